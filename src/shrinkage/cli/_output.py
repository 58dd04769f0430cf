"""The report folder of ``shrinkage fit`` / ``shrinkage demo``: checked first, written whole.

Contract of :class:`OutputFolder` (the ``--out`` of both commands):

* :meth:`OutputFolder.prepare` runs before any fitting. It refuses an empty ``--out``, an
  existing file, a path under a file, a place where no folder can be created, and a non-empty
  folder that ``shrinkage`` did not write (unless ``overwrite``); it creates the *staging*
  folder ``.NAME.partial-XXXX`` beside the target, so writability is tested for real.
* The command writes the whole report into :attr:`OutputFolder.staging`.
* :meth:`OutputFolder.commit` moves it into place with ``os.rename`` (atomic on one file
  system), so a reader or another run never sees a half-written or mixed folder. A folder
  that ``shrinkage`` wrote holds a marker file listing its files; such a folder, with nothing
  added by the user, is replaced whole by the next run. If another run put its report at the
  target while this one ran, this report goes to the first free ``NAME-2``, ``NAME-3``, ...
  With ``overwrite`` into a folder ``shrinkage`` did not write, each top-level entry of the
  report replaces the entry of the same name; the user's other files stay.
* :meth:`OutputFolder.discard` (any error, Ctrl-C) removes the staging folder and the parent
  folders that :meth:`prepare` created, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MARKER", "OutputError", "OutputFolder"]

#: the file that marks a folder written by shrinkage: a run id, then one relative path a line
MARKER = ".shrinkage-report"


class OutputError(ValueError):
    """An ``--out`` that cannot be used; raised before any fitting starts."""


def _read_marker(folder: Path) -> tuple[str, set[str]] | None:
    """The run id and file list of a folder shrinkage wrote, or None."""
    try:
        lines = (folder / MARKER).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    if not lines or not lines[0].startswith("run "):
        return None
    return lines[0][4:], set(lines[1:])


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def _state(target: Path, overwrite: bool) -> tuple[str, str | None]:
    """``("new", None)``, ``("replace", run_id)`` or ``("merge", None)``; refuse otherwise."""
    if target.exists() and not target.is_dir():
        raise OutputError(f"--out {target} exists and is not a folder")
    if not target.exists() or not any(target.iterdir()):
        return "new", None
    marker = _read_marker(target)
    if marker is not None and _files(target) <= marker[1] | {MARKER}:
        return "replace", marker[0]
    if overwrite:
        return "merge", None
    what = "holds files shrinkage did not write" if marker else "is not empty"
    raise OutputError(
        f"--out {target} {what}; choose a new or empty folder, or pass --overwrite to write "
        "into it (files with the report's names are then replaced, others kept)"
    )


def _make_parents(target: Path) -> list[Path]:
    """Create the target's missing ancestors; the folders created, deepest first."""
    missing = []
    probe = target.parent
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"--out {target}: {probe} is a file, not a folder")
    for folder in reversed(missing):
        folder.mkdir()
    return missing


def _sibling(target: Path, kind: str) -> Path:
    """A hidden, unused name beside ``target``: ``.NAME.kind-XXXXXXXX``."""
    return target.with_name(f".{target.name}.{kind}-{uuid.uuid4().hex[:8]}")


@dataclass
class OutputFolder:
    """A report folder prepared by :meth:`prepare` (see the module docstring)."""

    target: Path
    staging: Path
    mode: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    previous: str | None = None
    created: list[Path] = field(default_factory=list)

    @classmethod
    def prepare(cls, out: str, overwrite: bool = False) -> OutputFolder:
        """Check ``out`` and create the staging folder beside it (see the module docstring).

        Raises
        ------
        OutputError
            ``out`` is empty, a file, under a file, not writable, or a non-empty folder that
            shrinkage did not write and ``overwrite`` is False.
        """
        if not out or not out.strip():
            raise OutputError("--out is empty; give the report folder's path")
        target = Path(out).expanduser().resolve()  # a symbolic link: its folder
        if target.parent == target:
            raise OutputError(f"--out {target} is a file system root; choose a folder in it")
        mode, previous = _state(target, overwrite)
        try:
            created = _make_parents(target)
            staging = _sibling(target, "partial")
            staging.mkdir()  # mode 0o777 less the umask, as the final folder should have
        except OSError as err:
            raise OutputError(
                f"--out {target}: cannot create a folder in {target.parent} "
                f"({err.strerror or err}); choose a writable place"
            ) from err
        return cls(target, staging, mode, previous=previous, created=created)

    def discard(self) -> None:
        """Remove the staging folder and the parent folders :meth:`prepare` created."""
        shutil.rmtree(self.staging, ignore_errors=True)
        for folder in self.created:
            try:
                folder.rmdir()
            except OSError:  # not empty any more: someone else uses it
                break

    def commit(self) -> Path:
        """Move the finished report into place; the folder it ended in (see module docs)."""
        if self.mode == "merge":
            return self._merge()
        files = sorted(_files(self.staging))
        (self.staging / MARKER).write_text(
            "\n".join([f"run {self.run_id}", *files]) + "\n", encoding="utf-8"
        )
        if self.mode == "replace" and self._swap():
            return self.target
        return self._rename_new()

    def _swap(self) -> bool:
        """Replace our previous report at the target, if it is still the one seen at start."""
        marker = _read_marker(self.target)
        if marker is None or marker[0] != self.previous:
            return False
        old = _sibling(self.target, "old")
        try:
            os.rename(self.target, old)
        except OSError:
            return False
        moved = _read_marker(old)
        if moved is None or moved[0] != self.previous:  # another run swapped in meanwhile
            os.rename(old, self.target)
            return False
        os.rename(self.staging, self.target)
        shutil.rmtree(old, ignore_errors=True)
        return True

    def _rename_new(self) -> Path:
        """Rename to the target, or to ``NAME-k`` when another run's report is there now."""
        candidates = [self.target] + [
            self.target.with_name(f"{self.target.name}-{k}") for k in range(2, 1000)
        ]
        for candidate in candidates:
            if candidate.exists() and (candidate is not self.target or self.mode != "new"):
                continue
            try:
                os.rename(self.staging, candidate)  # fails on a non-empty folder: no mixing
            except OSError:
                continue
            return candidate
        raise OutputError(f"no free folder name next to {self.target}")

    def _merge(self) -> Path:
        """``--overwrite`` into a user's folder: replace the entries of the report's names."""
        for entry in sorted(self.staging.iterdir()):
            dest = self.target / entry.name
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            elif dest.exists() or dest.is_symlink():
                dest.unlink()
            os.rename(entry, dest)
        self.staging.rmdir()
        return self.target
