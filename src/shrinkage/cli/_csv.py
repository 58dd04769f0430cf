"""Reading the CSV of ``shrinkage fit``: every problem named, every change said.

:func:`read_data` refuses, with a message naming the real problem, an empty path, a missing
file, a folder, an unreadable or non-text file, an empty file, a header without data rows,
a single data row and duplicate column names. A leading column with an empty header (pandas
calls it ``Unnamed: 0``) whose values are ``0..n-1`` or ``1..n`` is a saved row index: it is
dropped and a note says so, as is a column with neither a header nor values (a separator
at the end of each line). :func:`refuse_stray_text` refuses a column that looks numeric but
holds a few values that are not numbers (pandas then reads the whole column as text), naming
up to five of them, and a column of numbers written with commas (``1,000`` or ``1,5``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CsvData", "CsvError", "parse_sep", "read_data", "refuse_stray_text"]

#: how many offending values a message shows
SHOW = 5


class CsvError(ValueError):
    """A problem with the data file, reported without a traceback."""


@dataclass
class CsvData:
    """The frame read, the notes to print, and the columns whose header cell was empty."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    unnamed: list[str] = field(default_factory=list)


def parse_sep(text: str) -> str:
    """The ``--sep`` value: ``\\t`` or ``tab`` mean a tab; refuse an empty separator."""
    if text in ("\\t", "tab", "TAB"):
        return "\t"
    if not text:
        raise CsvError("--sep is empty; give the column separator, e.g. --sep ';'")
    return text


def _check_path(text: str) -> Path:
    if not text or not text.strip():
        raise CsvError("the data path is empty; give the CSV file's path")
    path = Path(text).expanduser()
    if path.is_dir():
        raise CsvError(f"data path {path} is a folder, not a CSV file")
    if not path.exists():
        raise CsvError(f"data file not found: {path}")
    if path.stat().st_size == 0:
        raise CsvError(f"data file {path} is empty (0 bytes): no header row, no data")
    with path.open("rb") as handle:
        if b"\0" in handle.read(4096):
            raise CsvError(f"data file {path} is not a text file (it holds NUL bytes)")
    return path


def _read(path: Path, sep: str, **kwargs) -> pd.DataFrame:
    engine = "c" if len(sep) == 1 else "python"  # longer separators are regular expressions
    try:
        return pd.read_csv(path, sep=sep, engine=engine, **kwargs)
    except pd.errors.EmptyDataError as err:
        raise CsvError(f"data file {path} has no header row (only blank lines)") from err
    except pd.errors.ParserError as err:
        reason = str(err).strip()
        raise CsvError(f"could not read {path} as CSV with separator {sep!r}: {reason}") from err
    except UnicodeDecodeError as err:
        raise CsvError(
            f"data file {path} is not UTF-8 text (byte {err.start}: {err.reason}); is it a CSV "
            "file?"
        ) from err
    except OSError as err:
        raise CsvError(f"cannot read {path}: {err.strerror or err}") from err


def _is_row_index(values: pd.Series) -> bool:
    if not pd.api.types.is_integer_dtype(values):
        return False
    arr = values.to_numpy()
    start = np.arange(len(arr))
    return bool(np.array_equal(arr, start) or np.array_equal(arr, start + 1))


def read_data(text: str, sep: str = ",") -> CsvData:
    """Read the CSV at ``text`` with separator ``sep`` (see the module docstring).

    Raises
    ------
    CsvError
        The path, the file or its header cannot be used; the message names the problem.
    """
    path = _check_path(text)
    frame = _read(path, sep)
    header = _read(path, sep, header=None, nrows=1, dtype=str, keep_default_na=False)
    raw = [str(v).strip() for v in header.iloc[0]] if len(header) else []
    dupes = {name: k for name, k in Counter(raw).items() if name and k > 1}
    if dupes:
        shown = ", ".join(f"{name!r} ({k} times)" for name, k in dupes.items())
        raise CsvError(f"duplicate column names in the header of {path}: {shown}; rename them")
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) < 2:
        what = "no data rows" if len(frame) == 0 else "only 1 data row"
        hint = ""
        if frame.shape[1] == 1 and re.search(r"[;\t|]", frame.columns[0]):
            hint = f" (one column {frame.columns[0]!r}: is the separator not {sep!r}? --sep)"
        raise CsvError(f"data file {path} has {what}; a fit needs at least 2{hint}")
    data = CsvData(frame)
    unnamed = [c for c, name in zip(frame.columns, raw, strict=False) if not name]
    if unnamed and unnamed[0] == frame.columns[0] and _is_row_index(frame[unnamed[0]]):
        first = frame[unnamed[0]]
        data.frame = frame.drop(columns=unnamed[0])
        data.notes.append(
            f"dropped the first column (empty header, values {first.iloc[0]}..{first.iloc[-1]}): "
            "a saved row index, not data"
        )
        unnamed = unnamed[1:]
    empty = [c for c in unnamed if data.frame[c].isna().all()]
    if empty:
        data.frame = data.frame.drop(columns=empty)
        data.notes.append(
            f"dropped {empty}: no header and no values (a separator at the end of each line?)"
        )
    data.unnamed = [c for c in unnamed if c not in empty]
    return data


def _stray_message(name: str, values: pd.Series) -> str | None:
    text = values.dropna().astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    bad = text[numbers.isna()]
    commas = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    if numbers.notna().sum() < len(text) / 2 <= commas.notna().sum():
        return (
            f"column {name!r} holds numbers written with commas (e.g. {list(bad.unique()[:SHOW])})"
            ": the file must use '.' for decimals and no thousands separators; fix them in the "
            "file or --drop the column"
        )
    if bad.empty or numbers.notna().sum() < len(text) / 2:
        return None
    counts = Counter(bad)
    shown = ", ".join(
        f"{v!r} ({k} row{'s' if k > 1 else ''})" for v, k in counts.most_common(SHOW)
    )
    more = f" and {len(counts) - SHOW} more" if len(counts) > SHOW else ""
    hint = ""
    if any(re.fullmatch(r"[+-]?\d+,\d+", v) for v in counts):
        hint = " (decimal commas? the file must use '.' for decimals)"
    return (
        f"column {name!r} looks numeric ({numbers.notna().sum()} of {len(text)} values are "
        f"numbers) but {len(bad)} values are not: {shown}{more}{hint}; fix them in the file "
        "or --drop the column"
    )


def refuse_stray_text(frame: pd.DataFrame, target: str) -> None:
    """Refuse text columns whose values are mostly numbers (see the module docstring)."""
    problems = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        message = _stray_message(col, s)
        if message:
            problems.append(message.replace(f"{col!r}", f"{col!r} (the target)", 1)
                            if col == target else message)  # fmt: skip
    if problems:
        raise CsvError("; ".join(problems))
