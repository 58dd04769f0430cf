import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_solvers_import_does_not_import_pymc():
    code = "import sys, shrinkage.solvers; assert 'pymc' not in sys.modules, 'pymc imported'"
    # the subprocess imports this checkout's sources whether or not the package is installed
    env = {**os.environ, "PYTHONPATH": SRC}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_lazy_attribute_error():
    import shrinkage

    try:
        shrinkage.not_a_thing  # noqa: B018
    except AttributeError as err:
        assert "not_a_thing" in str(err)
    else:
        raise AssertionError("expected AttributeError")


def test_solvers_names_are_the_functions_whatever_was_imported_first():
    """The solvers package imports its submodules on first use; importing the submodule
    ``.solve`` (or ``.path``) first must not leave the module where the function is expected."""
    code = (
        "import sys, types, shrinkage.solvers.penalties;"
        "assert 'numba' not in sys.modules, 'numba imported by the penalties';"
        "import shrinkage.solvers.solve, shrinkage.solvers.path;"
        "from shrinkage.solvers import path, solve, solve_gram;"
        "assert not any(isinstance(f, types.ModuleType) for f in (path, solve, solve_gram))"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
