"""Issue 17, items 8-10: the report folder is safe, Ctrl-C stops cleanly, CSV reading is honest.

In-process tests use ``run_fit`` / ``main`` with the sampler replaced where no draws are
needed; the subprocess tests run ``python -m shrinkage.cli`` with this worktree's ``src``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shrinkage
from shrinkage.cli import main
from shrinkage.cli._csv import CsvError, parse_sep, read_data
from shrinkage.cli._interrupt import EXIT_INTERRUPTED, Interrupts
from shrinkage.cli._output import MARKER, OutputError, OutputFolder

SRC = str(Path(shrinkage.__file__).resolve().parents[1])
TINY = ["--draws", "50", "--tune", "50", "--chains", "1", "--sampler", "pymc", "--seed", "1"]


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(17)
    n = 30
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["y"] = frame["x1"] + rng.normal(size=n)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def leftovers(folder: Path) -> list[str]:
    """Staging or swap folders a run left beside its target."""
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or ".old-" in p.name)


def fit(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["fit", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ------------------------------------------------------------------ 8. the output folder
def write_report(output: OutputFolder, text: str, extra: str | None = None) -> Path:
    """A stand-in report: two files (and a sub-folder) written into the staging folder."""
    (output.staging / "report.md").write_text(text)
    (output.staging / "sub").mkdir()
    (output.staging / "sub" / "table.csv").write_text(text)
    if extra:
        (output.staging / extra).write_text(text)
    return output.commit()


def test_output_new_then_replaced_whole(tmp_path):
    target = tmp_path / "a" / "b" / "report"
    first = OutputFolder.prepare(str(target))
    assert first.staging.parent == target.parent and first.staging.name.startswith(".report.")
    assert write_report(first, "one", extra="only_in_first.txt") == target
    marker = (target / MARKER).read_text().splitlines()
    assert marker[0] == f"run {first.run_id}"
    assert set(marker[1:]) == {"report.md", "sub/table.csv", "only_in_first.txt"}
    # a second run replaces the folder whole: no file of the first run survives
    second = OutputFolder.prepare(str(target))
    assert second.mode == "replace"
    assert write_report(second, "two") == target
    assert (target / "report.md").read_text() == "two"
    assert not (target / "only_in_first.txt").exists()
    assert leftovers(target.parent) == []


def test_output_refuses_what_it_cannot_use(tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "thesis.tex").write_text("precious")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    cases = {
        "": "--out is empty",
        "   ": "--out is empty",
        str(a_file): "exists and is not a folder",
        str(a_file / "sub"): "is a file, not a folder",
        "/proc/shrinkage-report": "cannot create a folder in /proc",  # no one can write there
        str(user): "is not empty",
    }
    for out, message in cases.items():
        with pytest.raises(OutputError, match=message):
            OutputFolder.prepare(out)
    assert (user / "thesis.tex").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "mine"]


def test_output_refuses_a_report_folder_the_user_added_to(tmp_path):
    target = tmp_path / "report"
    write_report(OutputFolder.prepare(str(target)), "one")
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="holds files shrinkage did not write"):
        OutputFolder.prepare(str(target))


def test_output_overwrite_keeps_the_users_other_files(tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "thesis.tex").write_text("precious")
    (user / "report.md").write_text("old")
    output = OutputFolder.prepare(str(user), overwrite=True)
    assert output.mode == "merge"
    assert write_report(output, "new") == user
    assert (user / "thesis.tex").read_text() == "precious"
    assert (user / "report.md").read_text() == "new"
    assert not (user / MARKER).exists()  # still the user's folder: never replaced whole
    assert leftovers(tmp_path) == []


def test_output_two_runs_at_once_never_mix(tmp_path):
    target = tmp_path / "report"
    for round_ in range(2):  # round 0: a new folder; round 1: replacing our own report
        a, b = OutputFolder.prepare(str(target)), OutputFolder.prepare(str(target))
        assert write_report(a, f"a{round_}") == target
        other = write_report(b, f"b{round_}")
        assert other == tmp_path / "report-2"  # b does not clobber a's report
        assert (target / "report.md").read_text() == (target / "sub/table.csv").read_text()
        assert (target / "report.md").read_text() == f"a{round_}"
        assert (other / "report.md").read_text() == (other / "sub/table.csv").read_text()
        assert (other / "report.md").read_text() == f"b{round_}"
        if round_ == 0:
            import shutil

            shutil.rmtree(other)
    assert leftovers(tmp_path) == []


def test_output_discard_removes_staging_and_created_parents(tmp_path):
    output = OutputFolder.prepare(str(tmp_path / "new" / "deeper" / "report"))
    (output.staging / "half.md").write_text("partial")
    output.discard()
    assert list(tmp_path.iterdir()) == []


def test_fit_refuses_bad_out_before_reading_or_fitting(data, tmp_path, capsys, monkeypatch):
    from shrinkage.cli import fit as cli_fit

    def never(*args, **kwargs):
        raise AssertionError("the data were read although --out is unusable")

    monkeypatch.setattr(cli_fit, "read_data", never)
    user = tmp_path / "mine"
    user.mkdir()
    (user / "keep.txt").write_text("x")
    for out, message in ((str(data), "exists and is not a folder"), (str(user), "not empty")):
        code, printed, err = fit(capsys, str(data), "--target", "y", "--out", out, *TINY)
        assert code == 2 and message in err and err.startswith("shrinkage fit: error: --out")
        assert "fitting" not in printed
    assert (user / "keep.txt").read_text() == "x"


def test_demo_refuses_a_users_folder(tmp_path, capsys, monkeypatch):
    from shrinkage.cli import demo as cli_demo

    monkeypatch.setattr(cli_demo, "_run", lambda *a: pytest.fail("the demo ran"))
    (tmp_path / "keep.txt").write_text("x")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("command", ["demo", "fit"])
@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--draws", "0", "argument --draws: must be an integer >= 1; got 0"),
        ("--draws", "2.5", "argument --draws: must be an integer; got '2.5'"),
        ("--chains", "0", "argument --chains: must be an integer >= 1; got 0"),
        ("--tune", "-1", "argument --tune: must be an integer >= "),
        ("--seed", "-1", "argument --seed: must be an integer from 0 to 2**32 - 1"),
        ("--seed", str(2**32), "argument --seed: must be an integer from 0 to 2**32 - 1"),
    ],
)
def test_bad_numbers_exit_2_like_argparse(command, option, value, message, tmp_path, capsys):
    """Every numeric option of demo and fit: exit 2 and ``shrinkage CMD: error: argument ...``
    before anything runs (``demo --draws 0`` exited 1, ``demo --seed -1`` raised numpy's
    ValueError as a traceback, ``fit --seed -1`` failed in PyMC after reading the data)."""
    args = [str(tmp_path / "none.csv"), "--target", "y"] if command == "fit" else []
    with pytest.raises(SystemExit) as exit_info:
        main([command, *args, "--out", str(tmp_path / "o"), option, value])
    assert exit_info.value.code == 2
    assert f"shrinkage {command}: error: {message}" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_fit_max_levels_below_one_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "d.csv", "--target", "y", "--out", str(tmp_path), "--max-levels", "0"])
    assert exit_info.value.code == 2
    assert "argument --max-levels: must be an integer >= 1; got 0" in capsys.readouterr().err


# ------------------------------------------------------------------ 9. interrupts
def test_interrupts_record_a_swallowed_ctrl_c():
    before = signal.getsignal(signal.SIGINT)
    with Interrupts() as intr:
        try:
            os.kill(os.getpid(), signal.SIGINT)  # what PyMC / nutpie then catch
            time.sleep(1)  # the handler runs at the next bytecode; never reached
        except KeyboardInterrupt:
            pass
        assert intr.hit
        with pytest.raises(KeyboardInterrupt):
            intr.check()
        with intr.deferred():  # recorded, not raised
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.parametrize("swallowed", [True, False])
def test_fit_interrupted_writes_no_report(data, tmp_path, capsys, monkeypatch, swallowed):
    """Ctrl-C during the fit: raised (compiling) or swallowed by the sampler, which then
    returns partial draws. Either way exit 130, one line, no report, no staging folder."""
    from shrinkage import estimators

    def interrupted_fit(self, X, y):
        if not swallowed:
            raise KeyboardInterrupt
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except KeyboardInterrupt:
            return self  # as pm.sample / nutpie.sample do: carry on with what was drawn

    monkeypatch.setattr(estimators.BayesianRegression, "fit", interrupted_fit)
    out = tmp_path / "report"
    code, _, err = fit(capsys, str(data), "--target", "y", "--out", str(out), *TINY)
    assert code == EXIT_INTERRUPTED == 130
    assert err == "shrinkage fit: interrupted (Ctrl-C); no report written\n"
    assert not out.exists() and leftovers(tmp_path) == []


def env_with_src() -> dict[str, str]:
    """This worktree's code; PyTensor's FAST_COMPILE halves a tiny fit's time (no rewrites)."""
    return dict(
        os.environ,
        PYTHONPATH=SRC,
        PYTHONUNBUFFERED="1",
        MPLBACKEND="Agg",
        PYTENSOR_FLAGS="mode=FAST_COMPILE",
    )


def start_fit(data: Path, out: Path, *extra: str) -> subprocess.Popen:
    argv = [sys.executable, "-m", "shrinkage.cli", "fit", str(data), "--target", "y"]
    return subprocess.Popen(
        [*argv, "--out", str(out), *extra],
        env=env_with_src(),
        cwd=data.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until(proc: subprocess.Popen, text: str, timeout: float = 120) -> list[str]:
    """Lines of ``proc``'s output up to the first holding ``text`` (fails after timeout)."""
    lines: list[str] = []
    found = threading.Event()

    def reader():
        for line in proc.stdout:
            lines.append(line)
            if text in line:
                found.set()
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert found.wait(timeout), f"{text!r} never printed:\n{''.join(lines)}"
    return lines


def test_sigint_during_sampling_exits_130_without_report(data, tmp_path):
    """A real Ctrl-C while PyMC draws: PyMC swallows it and returns the partial draws
    (its log says how many), and still no report is written. ~9 s on a busy machine."""
    out = tmp_path / "report"
    # no tuning: every step after PyMC's "NUTS: [...]" line is a draw
    long_run = ["--draws", "200000", "--tune", "0", "--chains", "1", "--sampler", "pymc"]
    long_run += ["--prior", "gaussian"]
    proc = start_fit(data, out, *long_run)
    try:
        read_until(proc, "NUTS: [")  # PyMC's last line before its sampling loop
        time.sleep(1.0)  # a few hundred draws of this 3-parameter model
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
    stopped = time.monotonic() - sent
    assert proc.returncode == 130, rest
    assert rest.strip().splitlines()[-1] == (
        "shrinkage fit: interrupted (Ctrl-C); no report written"
    )
    assert "Traceback" not in rest
    drawn = re.search(r"for 0 tune and (\d+) draw iterations", rest)  # PyMC's closing log
    assert drawn and 0 < int(drawn.group(1)) < 200000, rest
    # the 200000 draws would take minutes; after the interrupt only the estimator's
    # bookkeeping on the partial draws runs (measured 3.4 s on a busy 2-core machine)
    assert stopped < 30
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.mark.slow
def test_two_fits_into_one_folder_at_once(data, tmp_path):
    """Both runs check the folder before the other writes it (the first is paused with
    SIGSTOP until the second has started): both reports are whole, in separate folders."""
    out = tmp_path / "report"
    first = start_fit(data, out, "--drop", "x2", "--prior", "gaussian", *TINY)
    second = None
    try:
        read_until(first, "fitting")  # printed after the --out checks
        first.send_signal(signal.SIGSTOP)
        second = start_fit(data, out, "--drop", "x1", "--prior", "gaussian", *TINY)
        read_until(second, "fitting")
        first.send_signal(signal.SIGCONT)
        texts = [p.communicate(timeout=300)[0] for p in (first, second)]
    finally:
        for p in (first, second):
            if p is not None:
                p.kill()
    assert [first.returncode, second.returncode] == [0, 0], texts
    folders = {out, tmp_path / "report-2"}
    assert {
        Path(t.strip().splitlines()[-1].removeprefix("report written to ")) for t in texts
    } == (folders)
    kept = {}
    for folder in folders:
        table = pd.read_csv(folder / "table.csv", index_col=0)
        marker = (folder / MARKER).read_text().splitlines()
        assert set(marker[1:]) == {p.name for p in folder.iterdir()} - {MARKER}
        assert {"report.md", "report.html", "table.csv", "forest.png"} <= set(marker[1:])
        (feature,) = table.index  # each run has one predictor: x1 or x2
        assert f"| {feature} |" in (folder / "report.md").read_text()  # not mixed
        kept[feature] = folder
    assert set(kept) == {"x1", "x2"}
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ 10. reading the CSV
BAD_FILES = {
    "empty.csv": ("", "is empty (0 bytes)"),
    "blank.csv": ("\n\n", "has no header row"),
    "header.csv": ("x1,x2,y\n", "has no data rows"),
    "one.csv": ("x1,x2,y\n1,2,3\n", "has only 1 data row"),
    "dup.csv": ("x,x,y\n1,2,3\n4,5,6\n", "duplicate column names"),
    "binary.csv": ("x\0y\n1\0 2\n", "is not a text file"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_are_named(tmp_path, capsys, name):
    content, message = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(content)
    code, _, err = fit(capsys, str(path), "--target", "y", "--out", str(tmp_path / "o"))
    assert code == 2 and err.startswith("shrinkage fit: error:") and message in err
    assert str(path) in err and "Traceback" not in err
    assert not (tmp_path / "o").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("path", "message"), [("", "data path is empty"), (".", "is a folder, not a CSV file")]
)
def test_bad_data_paths_are_named(tmp_path, capsys, path, message):
    code, _, err = fit(capsys, path, "--target", "y", "--out", str(tmp_path / "o"))
    assert code == 2 and message in err


def test_stray_text_in_a_numeric_column_is_shown(data, tmp_path, capsys):
    frame = pd.read_csv(data)
    for col in ("x2", "y"):
        frame[col] = frame[col].round(3).astype(str)
    frame.loc[[3, 7], "x2"] = "?"
    frame.loc[9, "x2"] = "1,5"
    frame.loc[[1, 2, 4, 5, 6, 8], "y"] = ["a", "b", "c", "d", "e", "f"]
    path = tmp_path / "stray.csv"
    frame.to_csv(path, index=False)
    code, _, err = fit(capsys, str(path), "--target", "y", "--out", str(tmp_path / "o"))
    assert code == 2
    assert "column 'x2' looks numeric (27 of 30 values are numbers)" in err
    assert "'?' (2 rows), '1,5' (1 row) (decimal commas?" in err
    # the target too, and only five of its six bad values are shown
    assert "column 'y' (the target) looks numeric (24 of 30" in err
    assert "'e' (1 row) and 1 more" in err and "'f'" not in err


def test_a_text_column_is_not_called_numeric(tmp_path):
    from shrinkage.cli._csv import refuse_stray_text

    frame = pd.DataFrame({"smoker": ["yes", "no", "1"] * 4, "y": np.arange(12.0)})
    refuse_stray_text(frame, "y")  # mostly words: a categorical, not a broken number


@pytest.mark.parametrize("start", [0, 1])
def test_saved_row_index_is_dropped_with_a_note(data, tmp_path, start):
    frame = pd.read_csv(data)
    frame.index += start
    path = tmp_path / "indexed.csv"
    frame.to_csv(path)  # first header cell empty, values start..start+n-1
    read = read_data(str(path))
    assert list(read.frame.columns) == ["x1", "x2", "y"]
    assert read.notes == [
        f"dropped the first column (empty header, values {start}..{start + 29}): "
        "a saved row index, not data"
    ]
    assert read.unnamed == []


def test_unnamed_data_column_is_refused_unless_dropped(data, tmp_path, capsys):
    frame = pd.read_csv(data)
    frame.index = frame.index * 2  # not 0..n-1: data, not an index
    path = tmp_path / "unnamed.csv"
    frame.to_csv(path)
    out = str(tmp_path / "o")
    code, _, err = fit(capsys, str(path), "--target", "y", "--out", out)
    assert code == 2 and "['Unnamed: 0'] have an empty header cell" in err
    assert read_data(str(path)).notes == []


def test_sep_option(data, tmp_path, capsys):
    frame = pd.read_csv(data)
    semi = tmp_path / "semi.csv"
    frame.to_csv(semi, index=False, sep=";")
    tab = tmp_path / "tab.tsv"
    frame.to_csv(tab, index=False, sep="\t")
    for path, sep in ((semi, ";"), (tab, "\\t"), (tab, "tab")):
        read = read_data(str(path), parse_sep(sep))
        assert list(read.frame.columns) == ["x1", "x2", "y"]
        assert np.array_equal(read.frame.to_numpy(), frame.to_numpy())
    code, _, err = fit(capsys, str(semi), "--target", "y", "--out", str(tmp_path / "o"))
    assert code == 2 and "the file has one column: is its separator not ','? (--sep)" in err
    with pytest.raises(CsvError, match="--sep is empty"):
        parse_sep("")


def test_missing_values_are_located(data, tmp_path, capsys):
    frame = pd.read_csv(data)
    frame.loc[[4, 11], "x2"] = np.nan
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    code, _, err = fit(capsys, str(path), "--target", "y", "--out", str(tmp_path / "o"))
    assert code == 2 and "missing values in 'x2' (2 rows, first data row 5)" in err


def test_fit_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for default in (
        "(default: ,)",
        "(default: bayesian_lasso)",
        "(default: gaussian)",
        "(default: 10)",
        "(default: 1000)",
        "(default: 4)",
        "(default: auto)",
    ):
        assert default in text
    assert "--sep" in text and "--overwrite" in text
    assert "(default: None)" not in text and "(default: [])" not in text
    assert "(default: False)" not in text


def test_numbers_with_commas_are_named(tmp_path, capsys):
    path = tmp_path / "thousands.csv"
    path.write_text('x1,x2,y\n"1,000",2,3\n"2,000",3,4\n"3,500",1,2\n')
    code, _, err = fit(capsys, str(path), "--target", "y", "--out", str(tmp_path / "o"))
    assert code == 2
    assert (
        "column 'x1' holds numbers written with commas (e.g. ['1,000', '2,000', '3,500'])" in err
    )


def test_trailing_separator_column_is_dropped_with_a_note(data, tmp_path):
    lines = data.read_text().splitlines()
    path = tmp_path / "trailing.csv"
    path.write_text("".join(line + ",\n" for line in lines))
    read = read_data(str(path))
    assert list(read.frame.columns) == ["x1", "x2", "y"] and read.unnamed == []
    assert read.notes == [
        "dropped ['Unnamed: 3']: no header and no values (a separator at the end of each line?)"
    ]


def test_header_with_spaces_gets_a_hint(data, tmp_path, capsys):
    path = tmp_path / "spaced.csv"
    path.write_text(data.read_text().replace(",", ", "))
    code, _, err = fit(capsys, str(path), "--target", "y", "--out", str(tmp_path / "o"))
    assert code == 2 and "the header has ' y' (spaces after the separators?" in err
    read = read_data(str(path), parse_sep(r"\s*,\s*"))
    assert list(read.frame.columns) == ["x1", "x2", "y"]


@pytest.mark.parametrize(
    ("edit", "extra", "message"),
    [
        (
            lambda f: f.assign(x1=f["x1"].where(f.index != 3, np.inf)),
            [],
            "infinite values in 'x1' (1 row, first data row 4)",
        ),
        (lambda f: f, ["--drop", "y"], "--drop names the target 'y'"),
    ],
)
def test_more_refusals(data, tmp_path, capsys, edit, extra, message):
    path = tmp_path / "edited.csv"
    edit(pd.read_csv(data)).to_csv(path, index=False)
    argv = [str(path), "--target", "y", *extra, "--out", str(tmp_path / "o")]
    code, _, err = fit(capsys, *argv)
    assert code == 2 and message in err


def test_sigterm_is_handled_like_ctrl_c(capsys):
    """``kill`` / ``timeout`` send SIGTERM: same cleanup, exit 128 + 15."""
    from shrinkage.cli._interrupt import report_interrupt

    with Interrupts() as intr:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # never reached
        assert report_interrupt("fit", intr) == 143
    assert capsys.readouterr().err == "shrinkage fit: stopped by SIGTERM; no report written\n"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
