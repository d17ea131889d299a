"""Wald inference for GLMMs: marginal means, contrasts and Type III chi-square tests.

Written against a small interface -- the coefficients, their covariance and
a :class:`FixedDesign` (the fixed-effects spec, variable coding, model frame
and kept columns) -- rather than a fit's internals. Marginal means follow
emmeans (Lenth): the reference grid crosses factor levels with covariates at
their means, a mean averages the grid's linear predictors with equal
weights (a numeric covariate with only two distinct values is kept at both,
as emmeans' default ``cov.keep = "2"``), the offset enters at its mean (emmeans' default for an
``offset()`` term). On the response scale the estimate is the inverse link
of the linear predictor, the SE is the delta method's
``|d mu / d eta| * se``, and the limits are the inverse link of the
link-scale limits. Contrasts are differences on the link scale; with
``type="response"`` they are back-transformed to odds ratios (logit) or rate
ratios (log), as emmeans' ``type = "response"``. Tests use the normal
distribution (emmeans' ``df = Inf`` for GLMMs).

The Type III hypothesis for each term is the same contrast-independent one
as the Gaussian ``anova()`` (lmerTest's construction); for models with
factors it equals ``car::Anova(type = 3)`` fitted with sum-to-zero contrasts
(``options(contrasts = c("contr.sum", "contr.poly"))``), whereas
``car::Anova(type = 3)`` under R's default treatment contrasts tests each
main effect at the reference level of the factors it interacts with.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
from ..families import Link
from ..spec import ModelSpec

__all__ = ["FixedDesign", "contrasts", "emmeans", "type3_wald"]

_METHODS = ("pairwise", "revpairwise", "trt.vs.ctrl")
_ADJUST = ("none", "holm", "bonferroni", "sidak", "tukey")


@dataclass(frozen=True)
class FixedDesign:
    """What rebuilds the fixed-effects design for new rows (a reference grid).

    Attributes
    ----------
    spec : FixedSpec
        The fixed-effects terms.
    model : ModelSpec
        The model spec: factor levels, transforms, and the matrices.
    frame : pandas.DataFrame
        The model frame (rows used).
    keep : list of int
        Columns of the full design kept after dropping collinear ones.
    offset_mean : float
        Mean of the offset over the rows used (0 without an offset).
    """

    spec: FixedSpec
    model: ModelSpec
    frame: pd.DataFrame
    keep: list[int]
    offset_mean: float = 0.0

    def matrix(self, rows: pd.DataFrame) -> np.ndarray:
        """Full design matrix (all columns, before dropping) of ``rows``."""
        return self.model.fixed_matrix(rows)

    def is_factor(self, atom: str) -> bool:
        """Whether a fixed-part variable (atom) is a factor."""
        return not self.model.variable_is_numeric(atom)

    def levels(self, atom: str) -> list[Hashable]:
        """The levels of a factor atom, in the model's order."""
        for f in self.model.factors:
            if f.name == atom:
                return list(f.levels)
        raise ModelError(f"{atom!r} is not a factor of the model.")

    def nullspace(self) -> np.ndarray:
        """Basis of the null space of the full design (for estimability)."""
        X = self.matrix(self.frame)
        if len(self.keep) == X.shape[1]:
            return np.zeros((X.shape[1], 0))
        scale = np.linalg.norm(X, axis=0)
        scale[scale == 0] = 1.0
        _, sv, vt = np.linalg.svd(X / scale, full_matrices=False)
        null = vt[sv <= 1e-7 * sv[0]].T / scale[:, None]
        return np.linalg.qr(null)[0] if null.shape[1] else null


def _cells(design: FixedDesign, spec_vars: list[str], by_vars: list[str],
           at: Mapping[str, Any] | None) -> Cells:
    """The shared reference grid (:func:`..._emmeans.cell_functions`, emmeans' rules)."""
    return cell_functions(design.model, design.frame, spec_vars, by_vars, at, cov_keep=2)


class _Lin:
    """Estimate and SE of linear functions of the coefficients (NaN if not estimable)."""

    def __init__(self, coef: np.ndarray, vcov: np.ndarray, design: FixedDesign) -> None:
        self.coef, self.vcov, self.design = coef, vcov, design
        self.null = design.nullspace()

    def __call__(self, c_full: np.ndarray) -> tuple[float, float]:
        if self.null.shape[1] and float(np.sum((c_full @ self.null) ** 2)) > 1e-8 * float(
                c_full @ c_full):
            return np.nan, np.nan
        c = c_full[self.design.keep]
        return float(c @ self.coef), float(np.sqrt(max(c @ self.vcov @ c, 0.0)))


def _check_type(type: str) -> None:
    if type not in ("link", "response"):
        raise ModelError(f"type={type!r} is not supported; use 'link' or 'response'.")


def _check_level(level: float) -> float:
    if not 0 < level < 1:
        raise ModelError(f"level={level!r} must be between 0 and 1 (e.g. 0.95).")
    return float(stats.norm.ppf(0.5 + level / 2))


def emmeans(coef: np.ndarray, vcov: np.ndarray, design: FixedDesign, link: Link,
            specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
            at: Mapping[str, Any] | None = None, type: str = "link",
            level: float = 0.95) -> pd.DataFrame:
    """Marginal means table: spec and by columns, ``emmean, se, df, lower, upper``."""
    _check_type(type)
    zq = _check_level(level)
    spec_vars, by_vars = parse_specs(specs, by)
    spec_levels, by_levels, funcs = _cells(design, spec_vars, by_vars, at)
    lin = _Lin(coef, vcov, design)
    rows = []
    for b in by_levels:
        for s in spec_levels:
            est, se = lin(funcs[(s, b)])
            est += design.offset_mean
            lo, hi = est - zq * se, est + zq * se
            if type == "response":
                mu = float(link.inverse(np.array([est]))[0])
                se = float(link.mu_eta(np.array([est]))[0]) * se
                lo, hi = (float(v) for v in link.inverse(np.array([lo, hi])))
                est = mu
            row: dict[str, Any] = dict(zip(spec_vars + by_vars, s + b, strict=True))
            row.update(emmean=est, se=se, df=np.inf, lower=lo, upper=hi)
            rows.append(row)
    return pd.DataFrame(rows, columns=[*spec_vars, *by_vars, "emmean", "se", "df", "lower",
                                       "upper"])




def _labels(spec_vars: list[str], levels: list[tuple[Hashable, ...]]) -> list[str]:
    if len(spec_vars) == 1:
        lv = [s[0] for s in levels]
        return [contrast_label(spec_vars[0], lv, x, x).split(" - ")[0] for x in lv]
    return [" ".join(level_label(x) for x in s) for s in levels]


def _crit(how: str, level: float, m: int, k: int) -> float:
    """Critical value of the (simultaneous) interval, as emmeans adjusts confint."""
    alpha = 1 - level
    if how == "none" or m <= 1 and how != "tukey":
        return float(stats.norm.ppf(1 - alpha / 2))
    if how in ("bonferroni", "holm"):
        return float(stats.norm.ppf(1 - alpha / (2 * m)))
    if how == "sidak":
        return float(stats.norm.ppf(1 - (1 - (1 - alpha) ** (1 / m)) / 2))
    return float(stats.studentized_range.ppf(level, k, np.inf) / np.sqrt(2))


def contrasts(coef: np.ndarray, vcov: np.ndarray, design: FixedDesign, link: Link,
              specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
              at: Mapping[str, Any] | None = None, method: str = "pairwise",
              adjust: str = "none", type: str = "link", level: float = 0.95) -> pd.DataFrame:
    """Contrasts table: ``contrast`` (+ by), ``estimate, se, df, z, p, lower, upper``."""
    if method not in _METHODS:
        raise ModelError(f"method={method!r} is not supported; use one of {list(_METHODS)}.")
    if adjust not in _ADJUST:
        raise ModelError(f"adjust={adjust!r} is not supported; use one of {list(_ADJUST)}.")
    _check_type(type)
    _check_level(level)
    ratio = type == "response" and link.name in ("log", "logit")
    if type == "response" and not ratio:
        warnings.warn(f"contrasts on the {link.name} scale cannot be back-transformed to "
                      "ratios; they are reported on the link scale (as emmeans does)",
                      UserWarning, stacklevel=3)
    if adjust == "tukey" and method == "trt.vs.ctrl":
        warnings.warn("adjust='tukey' applies to pairwise comparisons only; using 'sidak' "
                      "(as emmeans does).", UserWarning, stacklevel=3)
        adjust = "sidak"
    spec_vars, by_vars = parse_specs(specs, by)
    spec_levels, by_levels, funcs = _cells(design, spec_vars, by_vars, at)
    labels = _labels(spec_vars, spec_levels)
    lin = _Lin(coef, vcov, design)
    sep = " / " if ratio else " - "
    out = []
    for b in by_levels:
        rows = []
        for i, j in contrast_pairs(len(spec_levels), method):
            est, se = lin(funcs[(spec_levels[i], b)] - funcs[(spec_levels[j], b)])
            z = est / se if se > 0 else np.nan
            row: dict[str, Any] = {"contrast": f"{labels[i]}{sep}{labels[j]}"}
            row.update(dict(zip(by_vars, b, strict=True)))
            row.update(estimate=est, se=se, df=np.inf, z=z, p=2 * stats.norm.sf(abs(z)))
            rows.append(row)
        ok = np.array([not np.isnan(r["p"]) for r in rows], dtype=bool)
        if rows:
            p = np.array([r["p"] for r in rows])
            zz = np.array([r["z"] for r in rows])
            adj = np.full(len(p), np.nan)
            adj[ok] = adjust_p(p[ok], zz[ok], np.full(int(ok.sum()), np.inf), adjust,
                               len(spec_levels))
            crit = _crit(adjust, level, int(ok.sum()), len(spec_levels))
            for r, pa in zip(rows, adj, strict=True):
                r["p"] = float(pa)
                lo, hi = r["estimate"] - crit * r["se"], r["estimate"] + crit * r["se"]
                if ratio:
                    r["estimate"] = float(np.exp(r["estimate"]))
                    r["se"] = r["estimate"] * r["se"]
                    lo, hi = float(np.exp(lo)), float(np.exp(hi))
                r["lower"], r["upper"] = lo, hi
        out.extend(rows)
    return pd.DataFrame(out, columns=["contrast", *by_vars, "estimate", "se", "df", "z", "p",
                                      "lower", "upper"])


def type3_hypotheses(design: FixedDesign) -> dict[str, np.ndarray]:
    """Contrast-independent Type III hypothesis matrix of every fixed term (lmerTest's,
    shared with the Gaussian and MMRM ``anova()``)."""
    return term_hypotheses(design.model, design.frame, list(design.keep), single="identity")


def type3_wald(coef: np.ndarray, vcov: np.ndarray, design: FixedDesign) -> pd.DataFrame:
    """Type III Wald chi-square tests: ``term, df, chisq, p``."""

    def test(L: np.ndarray) -> tuple[int, float, float]:
        _, r = np.linalg.qr(L.T)  # drop linearly dependent rows
        keep = np.abs(np.diag(r)) > 1e-8 * max(1.0, float(np.max(np.abs(r), initial=0.0)))
        Lr = L[keep] if keep.sum() < L.shape[0] else L
        est = Lr @ coef
        q = Lr.shape[0]
        return q, np.inf, float(est @ np.linalg.solve(Lr @ vcov @ Lr.T, est)) / q

    return wald_table(type3_hypotheses(design), test, chisq=True)
