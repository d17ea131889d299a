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
from .._anova import term_hypotheses, wald_table
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


def type3_hypotheses(terms: ModelTerms) -> dict[str, np.ndarray]:
    """Type III hypothesis matrices (rows x kept coefficients) of every fixed term
    (SAS's Type III for treatment coding, built as lmerTest does and shared with the
    Gaussian and GLMM ``anova()``: the full indicator design projected on the model's
    columns, each term orthogonalised against the terms containing it)."""
    return term_hypotheses(terms.model, terms.frame, list(terms.keep), single="identity")


def type3_table(terms: ModelTerms, inf: Inference) -> pd.DataFrame:
    """``term, num_df, den_df, F, p``."""
    return wald_table(type3_hypotheses(terms), inf.contest)
