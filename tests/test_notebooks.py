"""Every notebook in ``notebooks/`` runs top to bottom (re-executed, outputs discarded)."""

import os
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # the kernel is a new process: give it this checkout's package (pytest's pythonpath
    # setting only reaches this process; an installed copy could be another version)
    pythonpath = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", pythonpath)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        out
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, errors


def test_all_seven_notebooks_present_with_outputs():
    """The notebooks are stored executed (the docs render the stored outputs)."""
    assert len(NOTEBOOKS) == 7, [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert all(c.get("execution_count") for c in code), f"{path.name} has unexecuted cells"
        assert any(
            "image/png" in out.get("data", {}) for c in code for out in c.get("outputs", [])
        ), f"{path.name} has no stored figure"
