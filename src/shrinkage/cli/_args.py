"""What the subcommands' parsers share: argument types for numeric options (bad values exit 2
with argparse's ``shrinkage COMMAND: error: argument --NAME: ...`` before anything runs) and
the help formatter."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["SEED_MAX", "DefaultsFormatter", "int_at_least", "seed"]


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends ``(default: ...)`` to each option's help, except where there is nothing to say
    (flags, repeatable options, required options) or the help states the default itself."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        nothing = default is None or default is False or default is argparse.SUPPRESS
        if nothing or action.nargs == 0 or default == [] or "default" in text:
            return text
        return super()._get_help_string(action)


#: numpy's and PyMC's seeds are unsigned 32-bit integers
SEED_MAX = 2**32 - 1


def int_at_least(low: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer ``>= low``."""

    def parse(text: str) -> int:
        value = _int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}; got {value}")
        return value

    parse.__name__ = f"integer >= {low}"  # argparse names the type in its messages
    return parse


def seed(text: str) -> int:
    """An argparse ``type``: a random seed, an integer in ``[0, 2**32 - 1]``."""
    value = _int(text)
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 0 to 2**32 - 1 = {SEED_MAX}; got {value}"
        )
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}") from None
