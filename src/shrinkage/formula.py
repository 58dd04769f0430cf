"""Model formulas (``"y ~ x1 + C(g) + x2:x3"``) as a numeric design with readable names.

The right-hand side is materialized by `formulaic <https://matthewwardrop.github.io/formulaic/>`_
(Wilkinson notation: ``+`` adds terms, ``a:b`` is the product term, ``a*b = a + b + a:b``,
``C(g)`` a categorical, ``center(x)``, ``scale(x)``, ``poly(x, 2)``, ``np.log(x)`` ...).
Categorical terms use treatment (drop-first) coding against the reference level, so the
columns of a term ``g`` with levels ``a < b < c`` are ``g[b]``, ``g[c]``, exactly the names
:class:`shrinkage.design.Design` gives a categorical column: a formula fit and a matrix fit of
the same design carry the same coefficient names. formulaic's own names are made readable:
``C(g)[T.b]`` becomes ``g[b]`` (``C(g)[T.b]:x`` becomes ``g[b]:x``).

* **Levels are pinned** with :func:`shrinkage.design.fit_levels` (text sorted, a pandas
  categorical in its category order, unused categories dropped with a warning, missing values
  and single levels refused); :meth:`FormulaDesign.transform` maps new rows through them
  (:func:`shrinkage.design.check_levels`: an unseen level is a ``ValueError`` naming the column
  and the level; another category order or fewer levels give the same columns).
* **Groups**: every term with more than one column (a categorical, its interactions, a
  polynomial) is one group named after the term, so group priors act on the whole factor.
* **Intercept**: the model's intercept is :func:`shrinkage.build_model`'s ``intercept=``; a
  formula that removes it (``- 1``, ``0 +``) is refused, because the coding of categoricals
  (drop-first) assumes it.
* The left-hand side, if any, is one column name of the data (the response as it is: numbers,
  or two labels for the classifier).
* Missing values in a column the formula reads are refused (formulaic would drop the rows).

:class:`FormulaDesign` keeps formulaic's model spec (levels, the state of stateful
transforms such as ``center``) and saves it as JSON (:meth:`FormulaDesign.to_dict`).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shrinkage._json import from_json, to_json
from shrinkage.design import check_levels, check_unique_columns, fit_levels, is_text

__all__ = ["FormulaDesign", "formula_design", "formula_variables", "parse_formula"]

_INTERCEPT = "Intercept"
_MATERIALIZE = {"na_action": "raise", "output": "pandas", "ensure_full_rank": True}


def readable(name: str) -> str:
    """formulaic's column / term name made readable: ``C(g)[T.b]`` -> ``g[b]``."""
    name = re.sub(r"\bC\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)", r"\1", name)
    return name.replace("[T.", "[")


def parse_formula(formula: str) -> tuple[str | None, Any]:
    """The response column name (or None) and formulaic's right-hand side of ``formula``.

    Raises
    ------
    TypeError
        ``formula`` is not a string.
    ValueError
        It does not parse, its left-hand side is not one column name, or it removes the
        intercept.
    """
    from formulaic import Formula
    from formulaic.errors import FormulaicError

    if not isinstance(formula, str):
        raise TypeError(f"formula must be a string like 'y ~ x1 + C(g)'; got {formula!r}")
    if not formula.strip():
        raise ValueError("formula is empty; write it like 'y ~ x1 + C(g)'")
    try:
        parsed = Formula(formula)
    except FormulaicError as err:
        raise ValueError(f"formula {formula!r} does not parse: {err}") from err
    rhs = parsed.rhs if hasattr(parsed, "rhs") else parsed
    response = None
    if hasattr(parsed, "lhs"):
        terms = [str(t) for t in parsed.lhs]
        names = sorted(parsed.lhs.required_variables)
        if len(terms) != 1 or names != terms:
            raise ValueError(
                f"formula {formula!r}: the left-hand side must be one column name (the "
                f"response); got {' + '.join(terms)!r}"
            )
        response = terms[0]
    if "1" not in [str(t) for t in rhs]:
        raise ValueError(
            f"formula {formula!r} removes the intercept ('- 1' or '0 +'); keep it in the "
            "formula and pass intercept=False to build_model instead"
        )
    if len(list(rhs)) == 1:
        raise ValueError(f"formula {formula!r} has no predictors on its right-hand side")
    return response, rhs


def formula_variables(rhs: Any, columns: Sequence[str]) -> list[str]:
    """The columns (of ``columns``, in that order) that the right-hand side ``rhs`` reads.

    Read from each factor's expression (a column name, or Python code whose names are looked
    up); formulaic's own ``required_variables`` misses the arguments of stateful transforms
    such as ``center(x)``.
    """
    names: set[str] = set()
    for term in rhs:
        for factor in term.factors:
            expr = str(factor.expr)
            names.add(expr)
            try:
                tree = ast.parse(expr, mode="eval")
            except SyntaxError:
                continue
            names.update(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
    return [c for c in columns if c in names]


def _refuse_missing(data: pd.DataFrame, columns: Sequence[str]) -> None:
    for col in columns:
        bad = data[col].isna().to_numpy()
        if bad.any():
            first = data.index[int(np.flatnonzero(bad)[0])]
            raise ValueError(
                f"column {col!r} used by the formula has {int(bad.sum())} missing value(s) "
                f"(first at row {first!r}); fill or drop them (rows are never dropped silently)"
            )


@dataclass
class FormulaDesign:
    """A fitted formula: what it reads and how it makes columns of new data.

    Attributes
    ----------
    formula : str
        As given.
    response : str or None
        The left-hand side's column.
    variables : list of str
        Data columns the right-hand side reads, in the data's order.
    levels : dict
        Pinned levels of each text / categorical column read (reference first).
    columns : list of str
        The design's readable column names (the intercept excluded).
    terms : dict
        Readable term name -> its columns.
    spec : formulaic.ModelSpec
        formulaic's spec (levels of numeric ``C(x)`` terms, state of stateful transforms).
    """

    formula: str
    response: str | None
    variables: list[str]
    levels: dict[str, list[Any]]
    columns: list[str]
    terms: dict[str, list[str]]
    spec: Any

    # -- new data ---------------------------------------------------------------------------
    def transform(self, data: Any) -> pd.DataFrame:
        """The design columns of new rows (same names and order as at fit).

        Raises
        ------
        TypeError
            ``data`` is not a DataFrame.
        ValueError
            A column the formula reads is missing or has missing values; a categorical column
            has a level not seen in fit (the message names the column and the level).
        """
        if not isinstance(data, pd.DataFrame):
            raise TypeError(
                f"a formula fit predicts from a DataFrame with the columns {self.variables}; "
                f"got {type(data).__name__}"
            )
        check_unique_columns(data)
        data = data.rename(columns=str)
        missing = [c for c in self.variables if c not in data.columns]
        if missing:
            raise ValueError(f"the data lack column(s) {missing} used by the formula")
        frame = _pin(data, self.variables, self.levels)
        self._check_numeric_levels(frame)
        matrix = _materialize(self.spec, frame, self.formula)
        out = _readable_frame(matrix)
        if list(out.columns) != self.columns:
            raise ValueError(
                f"formula {self.formula!r} gave columns {list(out.columns)} on the new data "
                f"but {self.columns} at fit"
            )
        return out

    def _check_numeric_levels(self, frame: pd.DataFrame) -> None:
        """``C(x)`` of a numeric column: refuse values not seen in fit, naming the column."""
        for expr, (kind, state) in self.spec.encoder_state.items():
            if getattr(kind, "value", kind) != "categorical" or "categories" not in state:
                continue
            for var in self.variables:
                plain = expr == var or re.fullmatch(rf"C\(\s*{re.escape(var)}\s*(,.*)?\)", expr)
                if plain and var not in self.levels:
                    check_levels(frame[var], var, list(state["categories"]))

    # -- saving -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state; :meth:`from_dict` rebuilds an equal object."""
        encoder = {
            expr: [getattr(kind, "value", kind), _encoder_state(state)]
            for expr, (kind, state) in self.spec.encoder_state.items()
        }
        return {
            "formula": self.formula,
            "rhs": str(self.spec.formula),
            "response": self.response,
            "variables": list(self.variables),
            "levels": to_json(self.levels, "levels"),
            "columns": list(self.columns),
            "terms": dict(self.terms),
            "encoder_state": to_json(encoder, "encoder_state"),
            "transform_state": to_json(dict(self.spec.transform_state), "transform_state"),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FormulaDesign:
        """Rebuild from :meth:`to_dict`'s output."""
        from formulaic import ModelSpec
        from formulaic.parser.types import Factor

        encoder = {
            expr: (Factor.Kind(kind), state)
            for expr, (kind, state) in from_json(d["encoder_state"]).items()
        }
        spec = ModelSpec(
            formula=d["rhs"],
            materializer="pandas",
            encoder_state=encoder,
            transform_state=from_json(d["transform_state"]),
            **_MATERIALIZE,
        )
        return cls(
            formula=d["formula"],
            response=d["response"],
            variables=list(d["variables"]),
            levels=from_json(d["levels"]),
            columns=list(d["columns"]),
            terms={k: list(v) for k, v in d["terms"].items()},
            spec=spec,
        )


def _encoder_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """The part of formulaic's encoder state that it reads back (levels; contrasts are derived)."""
    return {"categories": list(state["categories"])} if "categories" in state else {}


def _pin(data: pd.DataFrame, variables: Sequence[str], levels: Mapping[str, list[Any]]):
    """The columns read, checked; pinned text / categorical columns as categoricals."""
    _refuse_missing(data, variables)
    frame = data[list(variables)].copy()
    for col, lev in levels.items():
        frame[col] = pd.Categorical(check_levels(frame[col], col, lev), categories=lev)
    return frame


def _materialize(spec_or_rhs: Any, frame: pd.DataFrame, formula: str) -> pd.DataFrame:
    """formulaic's model matrix; its errors and level warnings as ``ValueError``."""
    from formulaic import ModelSpec, model_matrix
    from formulaic.errors import DataMismatchWarning, FormulaicError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataMismatchWarning)
            if isinstance(spec_or_rhs, ModelSpec):
                return spec_or_rhs.get_model_matrix(frame)
            return model_matrix(spec_or_rhs, frame, **_MATERIALIZE)
    except DataMismatchWarning as err:
        raise ValueError(f"formula {formula!r}: {err}") from err
    except FormulaicError as err:
        raise ValueError(f"formula {formula!r}: {err}") from err


def _readable_frame(matrix: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(matrix).drop(columns=[_INTERCEPT])
    out.columns = [readable(str(c)) for c in out.columns]
    return out.astype(float)


def _fit_levels(frame: pd.DataFrame, variables: Sequence[str]) -> dict[str, list[Any]]:
    levels: dict[str, list[Any]] = {}
    for col in variables:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or is_text(s):
            levels[col], notes = fit_levels(s, col)
            for note in notes:
                warnings.warn(note, UserWarning, stacklevel=4)
    return levels


def _term_groups(
    terms: dict[str, list[str]], groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None
) -> dict[str, list[str]] | None:
    """``groups`` for :class:`~shrinkage.design.Design`: one per term unless the user says."""
    if groups is None:
        if all(len(cols) == 1 for cols in terms.values()):
            return None
        return dict(terms)
    if isinstance(groups, Mapping):
        out: dict[str, list[str]] = {}
        named: set[str] = set()
        for g, members in groups.items():
            if isinstance(members, str) or not isinstance(members, Sequence | np.ndarray):
                raise TypeError(f"groups[{g!r}] must be a list of formula terms")
            for m in members:
                term = readable(str(m))
                if term not in terms:
                    raise ValueError(
                        f"groups[{g!r}] names {m!r}, not a term of the formula: {list(terms)}"
                    )
                if term in named:
                    raise ValueError(f"term {term!r} is assigned to two groups")
                named.add(term)
                out.setdefault(str(g), []).extend(terms[term])
        for term, cols in terms.items():  # terms not named form their own group
            if term not in named:
                out.setdefault(term, []).extend(cols)
        return out
    labels = list(np.asarray(groups, dtype=object).ravel())
    if len(labels) != len(terms):
        raise ValueError(
            f"groups has {len(labels)} labels but the formula has {len(terms)} terms "
            f"{list(terms)}: give one label per term or a mapping {{group: [terms]}}"
        )
    out = {}
    for lab, cols in zip(labels, terms.values(), strict=True):
        out.setdefault(str(lab), []).extend(cols)
    return out


def formula_design(
    formula: str,
    data: Any,
    y: Any = None,
    groups: Sequence[Any] | Mapping[Any, Sequence[Any]] | None = None,
) -> tuple[pd.DataFrame, Any, dict[str, list[str]] | None, FormulaDesign]:
    """Materialize ``formula`` on ``data``.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + C(g) + x2:x3"``; without a left-hand side (``"~ x1 + C(g)"``) pass ``y``.
    data : pandas.DataFrame
    y : array-like, optional
        The response when the formula has no left-hand side.
    groups : sequence or mapping, optional
        ``{group: [terms]}`` or one label per term; default: every multi-column term is a group.

    Returns
    -------
    X : DataFrame
        The design (readable column names, no intercept column), indexed like ``data``.
    y : Series or array
        The response.
    groups : dict or None
        ``{group: [columns]}`` for :class:`~shrinkage.design.Design`.
    state : FormulaDesign
    """
    response, rhs = parse_formula(formula)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    check_unique_columns(data)
    data = data.rename(columns=str)
    if response is not None:
        if y is not None:
            raise ValueError(
                f"formula {formula!r} names the response {response!r}; pass y=None, or "
                "write the formula without a left-hand side ('~ x1 + ...')"
            )
        if response not in data.columns:
            raise ValueError(f"the response {response!r} is not a column of data")
        y = data[response]
    elif y is None:
        raise ValueError(f"formula {formula!r} has no left-hand side: pass y, or write 'y ~ ...'")
    variables = [c for c in formula_variables(rhs, list(data.columns)) if c != response]
    levels = _fit_levels(data, variables)
    frame = _pin(data, variables, levels)
    matrix = _materialize(rhs, frame, formula)
    spec = matrix.model_spec
    X = _readable_frame(matrix)
    terms = {
        readable(str(s.term)): [readable(c) for c in s.columns]
        for s in spec.structure
        if s.columns != [_INTERCEPT]
    }
    state = FormulaDesign(formula, response, variables, levels, list(X.columns), terms, spec)
    return X, y, _term_groups(terms, groups), state
