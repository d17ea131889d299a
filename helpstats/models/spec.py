"""The model spec: a formula parsed once and fitted to the model frame.

A :class:`ModelSpec` keeps everything needed to rebuild a model's matrices
for new data -- the response expression, the fixed terms and the term of each
model-matrix column, factor levels and contrasts, stateful transforms with
their learned parameters (``scale``, ``poly``, ``ns``/``bs`` knots), random
terms, weights and offsets -- as formulaic's ``ModelSpec`` does. Every fit
exposes one (``fit.spec``); tables, plots, the report, the study pipeline and
the power simulation ask it rather than reading the formula text.

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({"y": [1.0, 2.5, 2.0, 4.0, 3.5, 6.0], "t": [0.0, 1, 2, 0, 1, 2],
...                   "arm": ["a", "a", "a", "b", "b", "b"], "id": [1, 1, 2, 2, 3, 3]})
>>> spec = ModelSpec.from_formula("log(y) ~ C(arm, sum) * poly(t, 2) + (1 | id)", d)
>>> spec.response, spec.response_variables, spec.variables
('log(y)', ('y',), ('y', 'arm', 't', 'id'))
>>> spec.terms
('C(arm, sum)', 'poly(t, 2)', 'C(arm, sum):poly(t, 2)')
>>> spec.columns[:4]
('(Intercept)', 'C(arm, sum)1', 'poly(t, 2)1', 'poly(t, 2)2')
>>> spec.column_terms[:3]
('(Intercept)', 'C(arm, sum)', 'poly(t, 2)')
>>> spec.factor_levels("arm"), spec.factors[0].contrast
(('a', 'b'), 'sum')
>>> spec.fixed_matrix(pd.DataFrame({"arm": ["b"], "t": [1.0]})).round(4).tolist()
[[1.0, -1.0, 0.0, -0.5774, -0.0, 0.5774]]
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelError
from ._design import (
    FactorValue,
    NumericValue,
    design_matrix,
    evaluate,
    learn,
    level_label,
    term_codings,
)
from ._formula import Call, Expr, FixedSpec, Formula, RandomTerm, deparse, expr_names, parse_formula

__all__ = ["FactorInfo", "ModelSpec", "RandomInfo", "TransformInfo"]

_STATEFUL = ("scale", "center", "poly", "bs", "ns")


@dataclass(frozen=True)
class FactorInfo:
    """A factor of the model: its levels (in order) and contrast.

    ``name`` is the model variable (``arm``, ``factor(wave)``, ``C(arm, sum)``),
    ``variable`` the data column it is made from (None for an expression such
    as ``factor(I(a + b))``), ``contrast`` one of ``treatment``, ``sum``,
    ``poly``, and ``reference`` the treatment contrasts' reference level.
    """

    name: str
    variable: str | None
    levels: tuple[Hashable, ...]
    contrast: str
    reference: Hashable | None


@dataclass(frozen=True)
class TransformInfo:
    """A stateful transform and what it learned from the model frame.

    ``params``: ``center``/``scale`` for ``scale`` and ``center``; ``alpha``,
    ``norm2`` (R's ``attr(, "coefs")``) for ``poly``; ``knots``, ``boundary``,
    ``degree``, ``intercept`` for ``bs`` and ``ns``.
    """

    name: str
    function: str
    variables: tuple[str, ...]
    params: Mapping[str, Any]


@dataclass(frozen=True)
class RandomInfo:
    """One random-effects term: grouping factor, its columns and terms."""

    group: str
    factors: tuple[str, ...]
    intercept: bool
    terms: tuple[str, ...]
    columns: tuple[str, ...]


def _calls(expr: Expr) -> list[Call]:
    out: list[Call] = []

    def walk(e: Any) -> None:
        if isinstance(e, Call):
            out.append(e)
            for a in e.args:
                walk(a)
            for _, v in e.kwargs:
                walk(v)
        for attr in ("operand", "left", "right", "inner"):
            if hasattr(e, attr):
                walk(getattr(e, attr))

    walk(expr)
    return out


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """A formula fitted to a model frame (immutable); rebuilds matrices for new data.

    Attributes
    ----------
    formula : str
        The formula as given.
    response : str
        The response: a column name, or R's text of an expression (``log(y)``).
    response_variables : tuple of str
        Data columns the response reads.
    variables : tuple of str
        Every data column the model uses (response, fixed part, offsets, random
        slopes, grouping factors, a weights column), in order of first use.
    fixed_variables : tuple of str
        Data columns of the fixed part and offsets (the reference grid's variables).
    terms : tuple of str
        Fixed-effect term labels in R's order (no intercept), as R's ``term.labels``.
    intercept : bool
        Whether the fixed part has an intercept.
    columns : tuple of str
        Names of the full fixed-effects model-matrix columns (before any
        collinear column is dropped), as R's ``model.matrix``.
    column_terms : tuple of str
        The term of each column (``"(Intercept)"`` for the intercept).
    factors : tuple of FactorInfo
        Every factor of the fixed part and random slopes.
    transforms : tuple of TransformInfo
        Stateful transforms with their learned parameters.
    random : tuple of RandomInfo
        Random-effects terms (``||`` and ``g1/g2`` expanded as lme4 does).
    weights : str or None
        Column of precision weights (``"(weights)"`` when an array was given).
    offset : tuple of str
        Offset expressions (``log(exposure)``), summed.
    """

    formula: str
    response: str
    response_variables: tuple[str, ...]
    variables: tuple[str, ...]
    fixed_variables: tuple[str, ...]
    terms: tuple[str, ...]
    intercept: bool
    columns: tuple[str, ...]
    column_terms: tuple[str, ...]
    factors: tuple[FactorInfo, ...]
    transforms: tuple[TransformInfo, ...]
    random: tuple[RandomInfo, ...]
    weights: str | None
    offset: tuple[str, ...]
    _parsed: Formula = field(repr=False)
    _state: Mapping[str, Any] = field(repr=False)

    # ------------------------------------------------------------ construction
    @classmethod
    def from_formula(cls, formula: str | Formula, frame: pd.DataFrame, *,
                     weights: str | None = None) -> ModelSpec:
        """Parse ``formula`` and learn levels and transforms on ``frame`` (complete rows)."""
        parsed = formula if isinstance(formula, Formula) else parse_formula(formula)
        text = parsed.text
        state: dict[str, Any] = {}
        learn(parsed.fixed.atoms, frame, state, formula=text)
        for rt in parsed.random:
            learn(rt.rhs.atoms, frame, state, formula=text)
        for off in parsed.offsets:
            evaluate(off, frame, state, learn=True, formula=text)
        response = evaluate(parsed.response_expr, frame, state, learn=True, formula=text)
        if isinstance(response, FactorValue) or response.matrix.shape[1] != 1:
            col = frame[parsed.response] if parsed.response in frame.columns else None
            found = f"dtype {col.dtype}" if col is not None else "a factor or several columns"
            raise ModelError(
                f"The outcome {parsed.response!r} must be numeric; found {found}. "
                "Convert it (e.g. pd.to_numeric) or score the questionnaire first."
            )
        frozen = MappingProxyType(dict(state))
        _, names, assign = design_matrix(frame.iloc[:1], parsed.fixed, frozen, formula=text)
        labels = [":".join(t) for t in parsed.fixed.terms]
        column_terms = tuple("(Intercept)" if a < 0 else labels[a] for a in assign)
        factors = _factor_infos(parsed, frame, frozen)
        transforms = _transform_infos(parsed, frozen)
        random = []
        for rt in parsed.random:
            _, rnames, _ = design_matrix(frame.iloc[:1], rt.rhs, frozen, formula=text)
            random.append(RandomInfo(rt.group, rt.factors, rt.rhs.intercept,
                                     tuple(":".join(t) for t in rt.rhs.terms), tuple(rnames)))
        fixed_vars = list(parsed.fixed.columns)
        for off in parsed.offsets:
            fixed_vars += expr_names(off)
        variables = list(parsed.columns) + ([weights] if weights else [])
        return cls(
            formula=text,
            response=parsed.response,
            response_variables=tuple(expr_names(parsed.response_expr)),
            variables=tuple(dict.fromkeys(variables)),
            fixed_variables=tuple(dict.fromkeys(fixed_vars)),
            terms=tuple(labels),
            intercept=parsed.fixed.intercept,
            columns=tuple(names),
            column_terms=column_terms,
            factors=factors,
            transforms=transforms,
            random=tuple(random),
            weights=weights,
            offset=tuple(deparse(o) for o in parsed.offsets),
            _parsed=parsed,
            _state=frozen,
        )

    # ------------------------------------------------------------ queries
    def factor_levels(self, variable: str) -> tuple[Hashable, ...] | None:
        """Levels of a data column that enters the fixed part as a factor (else None).

        The order is the model's (the first factor made from the column decides,
        so ``relevel(arm, "usual")`` puts ``usual`` first).
        """
        for f in self.factors:
            if f.variable == variable:
                return f.levels
        return None

    def is_factor(self, variable: str) -> bool:
        """Whether a data column enters the model as a factor."""
        return self.factor_levels(variable) is not None

    def term_columns(self, term: str) -> tuple[int, ...]:
        """Indices (into :attr:`columns`) of the columns of one term."""
        return tuple(i for i, t in enumerate(self.column_terms) if t == term)

    def term_variables(self, term: str) -> tuple[str, ...]:
        """Model variables (atoms) of one fixed term, e.g. ``("arm", "poly(t, 2)")``."""
        for t in self._parsed.fixed.terms:
            if ":".join(t) == term:
                return t
        raise ModelError(f"{term!r} is not a term of {self.formula!r}; terms: {self.terms}.")

    def variable_is_numeric(self, atom: str) -> bool:
        """Whether a model variable (atom) is numeric (covariate) rather than a factor."""
        return self._state.get(f"kind:{atom}") == "numeric"

    # ------------------------------------------------------------ matrices
    def fixed_matrix(self, data: pd.DataFrame) -> np.ndarray:
        """Full fixed-effects model matrix (all :attr:`columns`) for ``data``.

        ``data`` needs the :attr:`fixed_variables`; factors must use the
        model's levels and transforms use what they learned on the model frame.
        """
        X, _, _ = design_matrix(data, self._parsed.fixed, self._state, formula=self.formula)
        return X

    def treatment_matrix(self, data: pd.DataFrame) -> tuple[np.ndarray, list[str], list[int]]:
        """The fixed-effects matrix with every factor in treatment contrasts (first level
        as reference): matrix, column names, term index per column (-1: intercept).
        lmerTest's Type III hypotheses are built on it."""
        return design_matrix(data, self._parsed.fixed, self._state, formula=self.formula,
                             treatment=True)

    @property
    def has_only_treatment_contrasts(self) -> bool:
        """Whether every fixed-part factor uses treatment contrasts with the first level
        as reference (R's default coding)."""
        fixed_atoms = set(self._parsed.fixed.atoms)
        return all(f.contrast == "treatment" and f.reference == f.levels[0]
                   for f in self.factors if f.name in fixed_atoms)

    def term_coding(self, term: str) -> tuple[tuple[str, str], ...]:
        """How each model variable of a fixed term is coded: ``"num"`` (numeric),
        ``"contrast"`` (R's factors entry 1) or ``"full"`` (indicators; entry 2)."""
        labels = [":".join(t) for t in self._parsed.fixed.terms]
        if term not in labels:
            raise ModelError(f"{term!r} is not a term of {self.formula!r}.")
        return tuple(term_codings(self._parsed.fixed, self._state)[labels.index(term)])

    def term_matrix(self, data: pd.DataFrame, term: str) -> tuple[np.ndarray, list[str]]:
        """Columns of one term coded on its own (indicator coding of its factors where R
        would use them without the term's margins), for Type III hypotheses."""
        spec = FixedSpec(False, (self.term_variables(term),), self._parsed.fixed.atoms)
        X, names, _ = design_matrix(data, spec, self._state, formula=self.formula)
        return X, names

    def offset_values(self, data: pd.DataFrame) -> np.ndarray:
        """The summed offset for ``data`` (zeros when the model has none)."""
        total = np.zeros(len(data))
        for off in self._parsed.offsets:
            value = evaluate(off, data, dict(self._state), formula=self.formula)
            if not isinstance(value, NumericValue) or value.matrix.shape[1] != 1:
                raise ModelError(f"offset({deparse(off)}) must be one numeric column.")
            total = total + value.matrix[:, 0]
        return total

    def response_values(self, data: pd.DataFrame) -> np.ndarray:
        """The response (its expression evaluated) for ``data``."""
        value = evaluate(self._parsed.response_expr, data, dict(self._state),
                         formula=self.formula)
        assert isinstance(value, NumericValue)  # checked in from_formula
        return value.matrix[:, 0]

    def random_matrices(self, data: pd.DataFrame) -> list[tuple[RandomTerm, np.ndarray,
                                                                list[str]]]:
        """Per random term: the parsed term, its model matrix Z and column names."""
        out = []
        for rt in self._parsed.random:
            Z, names, _ = design_matrix(data, rt.rhs, self._state, formula=self.formula)
            out.append((rt, Z, names))
        return out

    def __repr__(self) -> str:
        return (f"ModelSpec({self.formula!r}: response {self.response!r}, "
                f"{len(self.columns)} fixed columns, {len(self.random)} random terms)")


def _factor_infos(parsed: Formula, frame: pd.DataFrame, state: Mapping[str, Any]
                  ) -> tuple[FactorInfo, ...]:
    atoms = dict(parsed.fixed.atoms)
    for rt in parsed.random:
        for k, v in rt.rhs.atoms.items():
            atoms.setdefault(k, v)
    out = []
    for label, expr in atoms.items():
        if state.get(f"kind:{label}") != "factor":
            continue
        value = evaluate(expr, frame.iloc[:1], dict(state))
        assert isinstance(value, FactorValue)
        ref = value.levels[value.reference] if value.contrast == "treatment" else None
        out.append(FactorInfo(label, value.variable, value.levels, value.contrast, ref))
    # a column used both as a factor and as numbers is a factor for the grid only if the
    # fixed part uses it as one
    return tuple(out)


def _transform_infos(parsed: Formula, state: Mapping[str, Any]) -> tuple[TransformInfo, ...]:
    exprs: list[Expr] = [parsed.response_expr, *parsed.fixed.atoms.values(), *parsed.offsets]
    for rt in parsed.random:
        exprs += list(rt.rhs.atoms.values())
    out: dict[str, TransformInfo] = {}
    for expr in exprs:
        for call in _calls(expr):
            key = deparse(call)
            if call.func in _STATEFUL and key in state and key not in out:
                params = state[key]
                if call.func == "poly":
                    params = {**params, "raw": False}
                out[key] = TransformInfo(key, call.func, tuple(expr_names(call)),
                                         MappingProxyType(dict(params)))
    return tuple(out.values())


def describe_levels(levels: tuple[Hashable, ...]) -> list[str]:
    """Level texts as R prints them (used in messages)."""
    return [level_label(lv) for lv in levels]
