"""Command line: ``shrinkage demo``, ``shrinkage fit DATA.csv --target COL`` and
``shrinkage predict FIT_DIR NEW.csv --out FILE``.

Each subcommand lives in its own module and registers itself with an
``add_<name>_parser(subparsers)`` function that sets ``func`` (called with the parsed
arguments, returns the exit code). To add one, append its adder to :data:`SUBCOMMANDS`.
Heavy imports (PyMC, ArviZ) happen inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse

from shrinkage.cli.demo import add_demo_parser, frequentist_comparison
from shrinkage.cli.fit import add_fit_parser
from shrinkage.cli.predict import add_predict_parser

__all__ = ["SUBCOMMANDS", "build_parser", "frequentist_comparison", "main"]

#: functions ``add_<name>_parser(subparsers)``, one per subcommand, in ``--help`` order
SUBCOMMANDS = [add_demo_parser, add_fit_parser, add_predict_parser]


def build_parser() -> argparse.ArgumentParser:
    """The ``shrinkage`` argument parser with every subcommand of :data:`SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="shrinkage",
        description="Bayesian regression with shrinkage priors, cross-checked against solvers.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``shrinkage`` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)
