"""A PyMC model's ``-logp`` as a composite problem ``f(z) + g(z)`` on a flat vector ``z``.

``z`` concatenates the (unconstrained) value variables that are optimized, in model order.
One compiled PyTensor function evaluates the *signed smooth surrogate*

.. math::

    \\Phi(z; c, A) = f(z) + \\sum_j c_j w_j(z) (z_j - \\mu_j)
        + \\sum_g A_g v_g(z) \\sqrt{\\|z_g\\|^2 + 1 - A_g}

and its gradient, with ``c_j = sign(z_j - mu_j)`` and ``A_g = 1{||z_g|| > 0}``: it equals
``-logp(z)`` (``jacobian=False``) and is smooth on the face ``{c, A}`` fixed, which is what
the Newton polish needs; the prox-gradient steps use ``grad f = grad Phi - (non-smooth part)``.
"""

from __future__ import annotations

import copy
import threading

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
from pymc.util import get_default_varnames
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.replace import graph_replace
from pytensor.graph.traversal import graph_inputs

from shrinkage.priors.potentials import collect_terms


class CompositeProblem:
    """Compiled ``-logp = f + g`` of a model with some variables held fixed."""

    def __init__(self, model: pm.Model, fixed_values: dict[str, np.ndarray], point: dict):
        by_name = {v.name: v for v in model.value_vars}
        self._fixed_vars = {by_name[n]: val for n, val in fixed_values.items()}
        fixed_names = {model.values_to_rvs[v].name for v in self._fixed_vars}
        self.model = model
        self.vars = [v for v in model.value_vars if model.values_to_rvs[v].name not in fixed_names]
        for v in self.vars:
            if not v.dtype.startswith("float"):
                raise ValueError(f"find_map needs continuous variables; {v.name!r} is discrete")
        if not self.vars:
            raise ValueError("find_map: every free variable is fixed; nothing to optimize")
        self.shapes = [np.shape(point[v.name]) for v in self.vars]
        sizes = [int(np.prod(s)) for s in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.size = int(self.offsets[-1])
        self.fixed_values = fixed_values
        self._constrained_fn = None
        terms, tagged = collect_terms(model, fixed_names, point)
        self.terms = terms
        self._build(terms, tagged, sizes)

    # ------------------------------------------------------------------ construction
    def _build(self, terms, tagged, sizes) -> None:
        model = self.model
        tagged_names = {p.name for p in tagged}
        laplace_rvs = {t.var for t in terms if t.source not in tagged_names}
        smooth_parts = [rv for rv in model.free_RVs if rv not in laplace_rvs]
        smooth_parts += model.observed_RVs
        smooth_parts += [p for p in model.potentials if p not in tagged]
        logp = model.logp(vars=smooth_parts, jacobian=False) if smooth_parts else pt.zeros(())
        f_rv = -logp - sum((t.smooth_logp for t in terms), pt.zeros(()))
        l1 = [t for t in terms if t.kind == "l1"]
        grp = [t for t in terms if t.kind == "group_l2"]
        graphs = model.replace_rvs_by_values([f_rv, *(t.weight for t in l1 + grp)])
        f_val, weights = graphs[0], graphs[1:]

        pos = {v: self.offsets[i] + np.arange(sizes[i]) for i, v in enumerate(self.vars)}
        self.idx_l1 = self._positions(l1, pos)
        self.mu_l1 = np.concatenate([t.mu for t in l1]) if l1 else np.zeros(0)
        self.idx_grp = self._positions(grp, pos)
        gid, n_groups = [], 0
        for t in grp:
            gid.append(t.groups + n_groups)
            n_groups += int(t.groups.max()) + 1
        self.gid = np.concatenate(gid).astype(int) if gid else np.zeros(0, dtype=int)
        self.n_groups = n_groups
        self.smooth_mask = np.ones(self.size, dtype=bool)
        self.smooth_mask[self.idx_l1] = False
        self.smooth_mask[self.idx_grp] = False

        z = pt.vector("z", dtype="float64")
        repl = {
            v: z[self.offsets[i] : self.offsets[i + 1]].reshape(self.shapes[i])
            for i, v in enumerate(self.vars)
        }
        # inputs, so one compiled function serves any fixed values (see ``set_fixed``)
        self._fixed_inputs = {var: var.type(name=f"fixed_{var.name}") for var in self._fixed_vars}
        repl.update(self._fixed_inputs)
        f_z, *w_z = graph_replace([f_val, *weights], repl, strict=False)
        # and the model's data (pm.Data, dim lengths) as inputs too: the compiled function
        # then serves any model of the same structure (see ``rebind``)
        (f_z, *w_z), data_inputs = _data_as_inputs([f_z, *w_z])
        w_l1, v_grp = _concat(w_z[: len(l1)]), _concat(w_z[len(l1) :])
        c = pt.vector("c", dtype="float64")
        active = pt.vector("A", dtype="float64")
        phi = f_z
        if l1:
            phi = phi + pt.sum(c * w_l1 * (z[self.idx_l1] - self.mu_l1))
        if grp:
            member = np.zeros((n_groups, self.idx_grp.size))
            member[self.gid, np.arange(self.idx_grp.size)] = 1.0
            norms = pt.sqrt(pt.dot(member, pt.square(z[self.idx_grp])) + 1.0 - active)
            phi = phi + pt.sum(active * v_grp * norms)
        grad = pytensor.grad(phi, z)
        fixed = list(self._fixed_inputs.values())
        self._data_names = [v.name for v in data_inputs]
        self._fn = pm.pytensorf.compile(
            [z, c, active, *fixed, *data_inputs],
            [phi, grad, w_l1, v_grp],
            on_unused_input="ignore",
        )
        self._data = {name: v.get_value(borrow=True) for name, v in _model_data(model).items()}
        self._lock = threading.Lock()
        self.set_fixed(self.fixed_values)

    def rebind(self, model: pm.Model, fixed_values: dict, point: dict) -> CompositeProblem:
        """This problem for ``model``, a model of the same structure: no compile.

        A shallow copy reading ``model``'s data (the compiled functions are shared, behind
        one lock). ``KeyError`` when ``model`` lacks data the functions read or its Laplace
        locations ``mu`` (compiled in as constants) differ: then build a new problem.
        """
        other = copy.copy(self)
        other.model = model
        by_name = {v.name: v for v in model.value_vars}
        other.vars = [by_name[v.name] for v in self.vars]  # same order: z's layout
        other._fixed_vars = {by_name[n]: val for n, val in fixed_values.items()}
        fixed_names = {model.values_to_rvs[v].name for v in other._fixed_vars}
        other.terms, _ = collect_terms(model, fixed_names, point)
        l1 = [t for t in other.terms if t.kind == "l1"]
        mu = np.concatenate([t.mu for t in l1]) if l1 else np.zeros(0)
        if not np.array_equal(mu, self.mu_l1):  # compiled in as a constant
            raise KeyError("the Laplace locations differ")
        data = _model_data(model)
        if not set(self._data_names) <= set(data):
            raise KeyError(f"model data missing: {sorted(set(self._data_names) - set(data))}")
        other._data = {name: v.get_value(borrow=True) for name, v in data.items()}
        other.set_fixed(fixed_values)
        return other

    def set_fixed(self, fixed_values: dict[str, np.ndarray]) -> None:
        """Set the values of the held-fixed variables (same names as at construction)."""
        by_name = {v.name: v for v in self._fixed_inputs}
        self._fixed = [np.asarray(fixed_values[v.name], dtype=v.dtype) for v in self._fixed_inputs]
        if set(fixed_values) != set(by_name):
            raise ValueError(
                f"fixed variables must be {sorted(by_name)}; got {sorted(fixed_values)}"
            )
        self.fixed_values = dict(fixed_values)

    def constrained(self, raw: dict) -> dict[str, np.ndarray]:
        """Free and deterministic variables on the constrained scale at value point ``raw``."""
        if self._constrained_fn is None:  # compiled once, on first use
            outs = self.model.unobserved_value_vars
            self._constrained_names = [v.name for v in outs]
            outs, data_inputs = _data_as_inputs(outs)
            self._constrained_data = [v.name for v in data_inputs]
            self._constrained_fn = pm.pytensorf.compile(
                [*self.model.value_vars, *data_inputs], outs, on_unused_input="ignore"
            )
        args = [raw[v.name] for v in self.model.value_vars]
        args += [self._data[name] for name in self._constrained_data]
        with self._lock:
            out = [np.array(x) for x in self._constrained_fn(*args)]
        values = dict(zip(self._constrained_names, out, strict=True))
        keep = get_default_varnames(list(values), include_transformed=False)
        return {name: np.asarray(values[name]) for name in keep}

    def _positions(self, terms, pos) -> np.ndarray:
        out = [pos[self.model.rvs_to_values[t.var]] for t in terms]
        return np.concatenate(out).astype(int) if out else np.zeros(0, dtype=int)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, z: np.ndarray, c: np.ndarray, active: np.ndarray):
        """``Phi(z; c, A)``, its gradient, the L1 weights ``w`` and the group weights ``v``."""
        data = [self._data[name] for name in self._data_names]
        with self._lock:  # a compiled function is not reentrant; rebound copies share it
            val, grad, w, v = (np.array(x) for x in self._fn(z, c, active, *self._fixed, *data))
        return float(val), np.asarray(grad), np.asarray(w), np.asarray(v)

    def group_norms(self, z: np.ndarray) -> np.ndarray:
        return np.sqrt(np.bincount(self.gid, z[self.idx_grp] ** 2, minlength=self.n_groups))

    def face(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Signs ``c`` of the L1 coordinates and activity ``A`` of the groups at ``z``."""
        c = np.sign(z[self.idx_l1] - self.mu_l1)
        return c, (self.group_norms(z) > 0).astype(float)

    def full(self, z: np.ndarray):
        """Objective ``-logp(z)``, the step direction ``d``, and the weights at ``z``.

        ``d`` is ``grad f`` on the non-smooth coordinates and ``grad(-logp)`` on the smooth
        ones (which includes the derivative of the weights ``w(theta)|beta|``).
        """
        c, active = self.face(z)
        val, grad, w, v = self.evaluate(z, c, active)
        d = grad.copy()
        d[self.idx_l1] -= c * w
        if self.n_groups:
            norms = self.group_norms(z)
            unit = np.divide(
                z[self.idx_grp],
                norms[self.gid],
                where=norms[self.gid] > 0,
                out=np.zeros(self.idx_grp.size),
            )
            d[self.idx_grp] -= (active * v)[self.gid] * unit
        return val, d, w, v

    def g(self, z: np.ndarray, w: np.ndarray, v: np.ndarray) -> float:
        """Non-smooth part ``sum w |z - mu| + sum v ||z_g||`` with given weights."""
        out = float(np.sum(w * np.abs(z[self.idx_l1] - self.mu_l1)))
        return out + float(np.sum(v * self.group_norms(z))) if self.n_groups else out

    def prox(self, x: np.ndarray, t: float, w: np.ndarray, v: np.ndarray) -> np.ndarray:
        """``prox_{t g}(x)``: soft threshold and group soft threshold; exact zeros."""
        out = x.copy()
        r = x[self.idx_l1] - self.mu_l1
        out[self.idx_l1] = self.mu_l1 + np.sign(r) * np.maximum(np.abs(r) - t * w, 0.0)
        if self.n_groups:
            norms = self.group_norms(x)
            keep = np.maximum(
                1.0 - np.divide(t * v, norms, where=norms > 0, out=np.full(norms.shape, np.inf)),
                0.0,
            )
            out[self.idx_grp] = x[self.idx_grp] * keep[self.gid]
        return out

    def certificate(self, z: np.ndarray, d: np.ndarray, w: np.ndarray, v: np.ndarray) -> float:
        """Unit-step prox-gradient residual ``||z - prox_g(z - d)||_inf``.

        On smooth coordinates it is ``|grad(-logp)|``; on an L1 coordinate it is
        ``|grad_j f + w_j sign(z_j)|`` (non-zero) or ``max(|grad_j f| - w_j, 0)`` (zero),
        i.e. the KKT violation; likewise per group.
        """
        return float(np.max(np.abs(z - self.prox(z - d, 1.0, w, v)), initial=0.0))

    # ------------------------------------------------------------------ points
    def ravel(self, point: dict) -> np.ndarray:
        return np.concatenate([np.ravel(point[v.name]) for v in self.vars]).astype(float)

    def unravel(self, z: np.ndarray) -> dict[str, np.ndarray]:
        out = {
            v.name: z[self.offsets[i] : self.offsets[i + 1]].reshape(self.shapes[i])
            for i, v in enumerate(self.vars)
        }
        for name, value in self.fixed_values.items():
            out[name] = value
        return out


def _model_data(model: pm.Model) -> dict[str, SharedVariable]:
    """``model``'s data by name: ``pm.Data`` and the shared dim lengths."""
    shared = {v.name: v for v in model.data_vars}
    shared.update({k: v for k, v in model.dim_lengths.items() if isinstance(v, SharedVariable)})
    return shared


def _data_as_inputs(outputs: list) -> tuple[list, list]:
    """``outputs`` with every shared variable replaced by a symbolic input of the same name
    and type; returns the new outputs and those inputs."""
    shared = [v for v in graph_inputs(outputs) if isinstance(v, SharedVariable)]
    inputs = [v.type(name=v.name) for v in shared]
    if not shared:
        return list(outputs), []
    return list(
        graph_replace(outputs, dict(zip(shared, inputs, strict=True)), strict=False)
    ), inputs


def _concat(parts) -> pt.TensorVariable:
    """Flatten and join tensors (an empty float vector for none)."""
    if not parts:
        return pt.zeros(0)
    return pt.concatenate([pt.as_tensor(x).ravel() for x in parts])
