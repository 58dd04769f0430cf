import os
import subprocess
import sys


def test_solvers_import_does_not_import_pymc():
    code = "import sys, shrinkage.solvers; assert 'pymc' not in sys.modules, 'pymc imported'"
    # the child sees our sys.path (pytest puts src/ on it), installed or not
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_lazy_attribute_error():
    import shrinkage

    try:
        shrinkage.not_a_thing  # noqa: B018
    except AttributeError as err:
        assert "not_a_thing" in str(err)
    else:
        raise AssertionError("expected AttributeError")
