"""The compiled-model cache (shrinkage.inference.compile_cache): right key, same draws."""

import threading

import numpy as np
import pymc as pm
import pytensor
import pytest

from shrinkage import priors
from shrinkage.families import Gaussian as GaussianFamily
from shrinkage.inference import compile_cache as cc
from shrinkage.inference import sample
from shrinkage.inference.nuts import sample_nutpie
from shrinkage.model import build_model


def _data(n, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    return X, X @ np.linspace(1.0, 0.0, p) + rng.normal(size=n)


def _key(n=30, p=4, seed=0, prior=None, **kwargs):
    X, y = _data(n, p, seed)
    model = build_model(X, y, prior=prior or priors.Laplace(), **kwargs)
    return cc.structure_key(model)


def test_new_rows_of_the_same_structure_share_the_key():
    # both likelihood forms: sufficient statistics (n >= 4p) and pointwise (n < 4p)
    assert _key(n=30) == _key(n=47, seed=1)
    assert _key(n=10, p=6) == _key(n=13, p=6, seed=1)
    assert _key(n=30) is not None
    # sigma's prior scale is model data (the sd of y by default): a hit swaps the value in
    assert _key(family=GaussianFamily(sigma_scale=2.0)) == _key()


@pytest.mark.parametrize(
    "changed",
    [
        {"prior": priors.Laplace(scale=2.0)},
        {"prior": priors.Gaussian()},
        {"prior": priors.RegularizedHorseshoe()},
        {"family": "student_t"},
        {"p": 5},
        {"intercept": "flat"},
        {"n": 12},  # pointwise likelihood instead of sufficient statistics
        {"family": GaussianFamily(sigma_prior="jeffreys")},
    ],
)
def test_a_changed_structure_changes_the_key(changed):
    base = _key()
    assert _key(**changed) != base


def test_group_layout_is_part_of_the_key():
    prior = priors.GroupLasso()
    assert _key(prior=prior, groups=[0, 0, 1, 1]) != _key(prior=prior, groups=[0, 1, 1, 1])
    assert _key(prior=prior, groups=[0, 0, 1, 1]) == _key(prior=prior, groups=[0, 0, 1, 1], n=41)


def test_a_model_with_an_op_equal_only_to_itself_is_not_keyed():
    import pytensor.tensor as pt
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op

    class Twice(Op):  # no __props__: equal only to itself, as the marginal form's op
        def make_node(self, x):
            x = pt.as_tensor(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = 2 * inputs[0]

    with pm.Model() as model:
        b = pm.Normal("b")
        pm.Potential("p", Twice()(b))
    assert cc.model_key(model) is None
    assert cc.structure_key(model) is None


def test_settings_are_checked():
    with pytest.raises(ValueError, match="maxsize"):
        cc.set_compile_cache(maxsize=0)
    with pytest.raises(TypeError, match="enabled"):
        cc.set_compile_cache(enabled="no")
    info = cc.compile_cache_info()
    assert set(info) == {"enabled", "size", "maxsize", "hits", "misses", "unkeyed"}


def test_environment_switch_turns_the_cache_off(monkeypatch):
    monkeypatch.setenv("SHRINKAGE_COMPILE_CACHE", "0")
    assert cc.compile_cache_info()["enabled"] is False
    monkeypatch.setenv("SHRINKAGE_COMPILE_CACHE", "1")
    assert cc.compile_cache_info()["enabled"] is True


def _draws(model, seed=3):
    kw = {"draws": 30, "tune": 30, "chains": 2, "cores": 1, "random_seed": seed}
    dt = sample_nutpie(model, progressbar=False, nuts={"target_accept": 0.9}, **kw)
    return dt


def _same(a, b):
    for name in ("beta", "intercept", "sigma", "beta_original", "intercept_original"):
        np.testing.assert_array_equal(a["posterior"][name].values, b["posterior"][name].values)


@pytest.mark.slow
def test_reused_compile_gives_the_draws_of_a_fresh_compile_and_of_pm_sample():
    cc.clear_compile_cache()
    try:
        first = build_model(*_data(30), prior=priors.Laplace())
        other = build_model(*_data(47, seed=1), prior=priors.Laplace())
        a = _draws(first)  # miss: compiles and stores
        b = _draws(other)  # hit: the first model's code with the other model's data
        assert cc.compile_cache_info()["hits"] == 1 and cc.compile_cache_info()["misses"] == 1
        cc.set_compile_cache(enabled=False)
        _same(b, _draws(other))  # bit for bit: the same compiled function of the same data
        # and PyMC's own nutpie path (compiles again) gives the same draws for the same seed
        ref = pm.sample(
            draws=30, tune=30, chains=2, cores=1, random_seed=3, nuts_sampler="nutpie",
            target_accept=0.9, progressbar=False, model=first,
        )  # fmt: skip
        _same(a, ref)
        assert list(b["posterior"]["beta"].coords["feature"].values) == ["x0", "x1", "x2", "x3"]
    finally:
        cc.set_compile_cache(enabled=None)


@pytest.mark.slow
def test_concurrent_fits_of_one_structure_match_serial_fits():
    cc.clear_compile_cache()
    models = [build_model(*_data(30 + k, seed=k), prior=priors.Laplace()) for k in range(3)]
    serial = [_draws(m) for m in models]  # the first compiles, the others hit
    results: dict[int, object] = {}

    def run(k):
        results[k] = _draws(models[k])

    mode = pytensor.config.mode
    threads = [threading.Thread(target=run, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(3):
        _same(results[k], serial[k])
    # unserialized, PyMC's change_flags in three threads left PyTensor's default mode on the
    # Python VM (4 runs of 4), which changed the draws of every later pm.sample in the process
    assert pytensor.config.mode is mode
    # no count of misses: a key computed while another thread's PyMC call has PyTensor's
    # global config changed for a moment can differ, which costs a compile, never a result


@pytest.mark.slow
def test_datatree_hides_the_internal_model_data():
    X, y = _data(30)
    dt = sample(build_model(X, y, prior=priors.Laplace()), draws=20, tune=20, chains=1,
                sampler="nutpie", random_seed=1, progressbar=False)  # fmt: skip
    const = dt["constant_data"]
    assert sorted(const.data_vars) == ["X", "x_center", "x_scale", "y_center", "y_scale"]
    assert not [c for c in const.coords if str(c).startswith("_")]
