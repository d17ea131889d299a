"""Reference grid, marginal means, contrasts and Type III hypotheses for an MMRM.

These functions take what they need explicitly (the fixed part of the formula, the
variable coding, the model frame, the kept model-matrix columns and an inference
object), not a fit's private fields. The grid is emmeans' / SAS LSMEANS': every
factor's levels crossed, covariates at their means over the used observations;
``weights="equal"`` averages the grid with equal weights over factors not named,
``weights="proportional"`` with the observed frequencies of their combinations
(emmeans ``weights = "proportional"``; SAS ``LSMEANS / OM`` for main-effect
nuisance factors).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import ModelError
from .._anova import zapsmall
from .._design import level_label
from .._emmeans import (
    Cells,
    adjust_p,
    cell_functions,
    contrast_label,
    contrast_pairs,
    parse_specs,
)
from .._formula import FixedSpec
from ..spec import ModelSpec

__all__ = ["Inference", "ModelTerms", "contrast_table", "emmeans_table", "type3_hypotheses",
           "type3_table"]

_METHODS = ("pairwise", "revpairwise", "trt.vs.ctrl")
_ADJUST = ("none", "holm", "bonferroni", "sidak")


class Inference(Protocol):
    """What the tables need from a fit's inference: coefficients, covariance, df."""

    @property
    def coef(self) -> np.ndarray: ...

    @property
    def vcov(self) -> np.ndarray: ...

    def df(self, c: np.ndarray) -> float: ...

    def contest(self, L: np.ndarray) -> tuple[int, float, float]: ...


@dataclass(frozen=True, eq=False)
class ModelTerms:
    """The fixed part of a model as the tables need it."""

    formula: str
    spec: FixedSpec
    model: ModelSpec             # levels, transforms and matrices of the fixed part
    frame: pd.DataFrame          # used observations
    keep: tuple[int, ...]        # kept (non-collinear) model-matrix columns
    null: np.ndarray             # null space of the full model matrix (columns)

    def is_factor(self, atom: str) -> bool:
        """Whether a fixed-part variable (atom) is a factor."""
        return not self.model.variable_is_numeric(atom)

    def levels(self, atom: str) -> list[Hashable]:
        """The levels of a factor atom, in the model's order."""
        for f in self.model.factors:
            if f.name == atom:
                return list(f.levels)
        raise ModelError(f"{atom!r} is not a factor of {self.formula!r}.")

    def cell_functions(self, spec_vars: list[str], by_vars: list[str],
                       at: Mapping[str, Any] | None, weights: str) -> Cells:
        """Linear functions (over all model-matrix columns) of each (spec, by) cell, on
        the shared reference grid with covariates at their means (SAS LSMEANS)."""
        return cell_functions(self.model, self.frame, spec_vars, by_vars, at,
                              weights=weights, cov_keep=0, formula=self.formula)

    def estimable(self, c_full: np.ndarray) -> bool:
        """Whether ``c'beta`` is estimable (orthogonal to the design's null space)."""
        if not self.null.shape[1]:
            return True
        return float(np.sum((c_full @ self.null) ** 2)) <= 1e-8 * float(c_full @ c_full)


def _infer(terms: ModelTerms, inf: Inference, c_full: np.ndarray) -> tuple[float, float, float]:
    if not terms.estimable(c_full):
        return np.nan, np.nan, np.nan
    c = c_full[list(terms.keep)]
    est = float(c @ inf.coef)
    se = float(np.sqrt(c @ inf.vcov @ c))
    return est, se, inf.df(c)


def _tcrit(level: float, df: float) -> float:
    if not 0 < level < 1:
        raise ModelError(f"level={level!r} must be between 0 and 1 (e.g. 0.95).")
    return float(stats.t.ppf(0.5 + level / 2, df)) if np.isfinite(df) else float(
        stats.norm.ppf(0.5 + level / 2))


def emmeans_table(terms: ModelTerms, inf: Inference, specs: str | Sequence[str], *,
                  by: str | Sequence[str] | None = None, at: Mapping[str, Any] | None = None,
                  weights: str = "equal", level: float = 0.95) -> pd.DataFrame:
    """Marginal means: spec and by columns, ``emmean, se, df, lower, upper``."""
    spec_vars, by_vars = parse_specs(specs, by)
    spec_levels, by_levels, funcs = terms.cell_functions(spec_vars, by_vars, at, weights)
    rows = []
    for b in by_levels:
        for s in spec_levels:
            est, se, df = _infer(terms, inf, funcs[(s, b)])
            half = _tcrit(level, df) * se if np.isfinite(se) else np.nan
            row: dict[str, Any] = dict(zip(spec_vars + by_vars, s + b, strict=True))
            row.update(emmean=est, se=se, df=df, lower=est - half, upper=est + half)
            rows.append(row)
    return pd.DataFrame(rows, columns=[*spec_vars, *by_vars, "emmean", "se", "df", "lower",
                                       "upper"])




def contrast_table(terms: ModelTerms, inf: Inference, specs: str | Sequence[str], *,
                   by: str | Sequence[str] | None = None, at: Mapping[str, Any] | None = None,
                   method: str = "pairwise", adjust: str = "none", weights: str = "equal",
                   level: float = 0.95) -> pd.DataFrame:
    """Contrasts of marginal means: ``contrast`` (+ by), ``estimate, se, df, t, p,
    lower, upper``."""
    if method not in _METHODS:
        raise ModelError(f"method={method!r} is not supported; use one of {list(_METHODS)}.")
    if adjust not in _ADJUST:
        raise ModelError(f"adjust={adjust!r} is not supported for MMRM fits; use one of "
                         f"{list(_ADJUST)}.")
    spec_vars, by_vars = parse_specs(specs, by)
    spec_levels, by_levels, funcs = terms.cell_functions(spec_vars, by_vars, at, weights)
    if len(spec_vars) == 1:
        lv = [s[0] for s in spec_levels]
        labels = None
    else:
        labels = [" ".join(level_label(x) for x in s) for s in spec_levels]
    out = []
    for b in by_levels:
        rows = []
        for i, j in contrast_pairs(len(spec_levels), method):
            c = funcs[(spec_levels[i], b)] - funcs[(spec_levels[j], b)]
            est, se, df = _infer(terms, inf, c)
            t = est / se if se > 0 else np.nan
            half = _tcrit(level, df) * se if np.isfinite(se) else np.nan
            name = (contrast_label(spec_vars[0], lv, lv[i], lv[j]) if labels is None
                    else f"{labels[i]} - {labels[j]}")
            row: dict[str, Any] = {"contrast": name}
            row.update(dict(zip(by_vars, b, strict=True)))
            row.update(estimate=est, se=se, df=df, t=t, p=float(2 * stats.t.sf(abs(t), df)),
                       lower=est - half, upper=est + half)
            rows.append(row)
        if rows:
            p = np.array([r["p"] for r in rows])
            tt = np.array([r["t"] for r in rows])
            dfs = np.array([r["df"] for r in rows])
            ok = ~np.isnan(p)
            adj = np.full(len(p), np.nan)
            adj[ok] = adjust_p(p[ok], tt[ok], dfs[ok], adjust, len(spec_levels))
            for r, pa in zip(rows, adj, strict=True):
                r["p"] = float(pa)
        out.extend(rows)
    return pd.DataFrame(out, columns=["contrast", *by_vars, "estimate", "se", "df", "t", "p",
                                      "lower", "upper"])


def _contained_in(terms: tuple[tuple[str, ...], ...], numeric: set[str]) -> list[list[int]]:
    out = []
    for i, t1 in enumerate(terms):
        out.append([j for j, t2 in enumerate(terms) if i != j and set(t1) <= set(t2)
                    and {v for v in t1 if v in numeric} == {v for v in t2 if v in numeric}])
    return out


def type3_hypotheses(terms: ModelTerms, X: np.ndarray) -> dict[str, np.ndarray]:
    """Type III hypothesis matrices (rows x kept coefficients) of every fixed term
    (SAS's Type III for treatment coding, built as lmerTest does: the full indicator
    design projected on the model's columns, each term orthogonalised against the
    terms containing it)."""
    spec, model, frame = terms.spec, terms.model, terms.frame
    names_all = list(model.columns)
    term_labels = [":".join(t) for t in spec.terms]
    assign_all = [-1 if t == "(Intercept)" else term_labels.index(t) for t in model.column_terms]
    keep = list(terms.keep)
    assign = np.array([assign_all[i] for i in keep])
    labels = [":".join(t) for t in spec.terms]
    if X.shape[1] <= 1 or len(spec.terms) <= 1:
        eye = np.eye(X.shape[1])
        return {lab: eye[assign == k] for k, lab in enumerate(labels) if np.any(assign == k)}
    blocks = [np.ones((len(frame), 1))] if spec.intercept else []
    rd_names = ["(Intercept)"] if spec.intercept else []
    for term in spec.terms:
        Xt, nt = model.term_matrix(frame, ":".join(term))
        blocks.append(Xt)
        rd_names.extend(nt)
    rdX = np.column_stack(blocks)
    L = zapsmall((np.linalg.pinv(X) @ rdX).T)
    cols = {k: np.flatnonzero(assign == k) for k in range(len(spec.terms))}
    contained = _contained_in(spec.terms, {v for v in spec.variables if model.variable_is_numeric(v)})
    for k in sorted(range(len(spec.terms)), key=lambda k: -len(spec.terms[k])):
        if contained[k] and len(cols[k]):
            other = np.concatenate([cols[j] for j in contained[k]])
            A, B = L[:, other], L[:, cols[k]]
            coef, *_ = np.linalg.lstsq(A, B, rcond=None)
            L[:, cols[k]] = zapsmall(B - A @ coef)
    kept_names = [names_all[i] for i in keep]
    L = L[[rd_names.index(nm) for nm in kept_names]]
    out = {}
    for k, lab in enumerate(labels):
        if len(cols[k]):
            Lk = L[:, cols[k]].T
            out[lab] = Lk[np.sum(np.abs(Lk), axis=1) > 1e-8]
    return out


def type3_table(terms: ModelTerms, inf: Inference, X: np.ndarray) -> pd.DataFrame:
    """``term, num_df, den_df, F, p``."""
    rows = []
    for term, L in type3_hypotheses(terms, X).items():
        q, ddf, F = inf.contest(L)
        rows.append({"term": term, "num_df": q, "den_df": ddf, "F": F,
                     "p": float(stats.f.sf(F, q, ddf))})
    return pd.DataFrame(rows, columns=["term", "num_df", "den_df", "F", "p"])
