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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...errors import ModelError
from .._anova import term_hypotheses, wald_table
from .._emmeans import Cells, Scale, cell_functions, contrast_table, emmeans_table, parse_specs
from .._formula import FixedSpec
from ..families import Link
from ..spec import ModelSpec

__all__ = ["FixedDesign", "contrasts", "emmeans", "type3_wald"]


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
    """Estimate, SE and (infinite) df of linear functions of the coefficients (NaN if not
    estimable)."""

    def __init__(self, coef: np.ndarray, vcov: np.ndarray, design: FixedDesign) -> None:
        self.coef, self.vcov, self.design = coef, vcov, design
        self.null = design.nullspace()

    def __call__(self, c_full: np.ndarray) -> tuple[float, float, float]:
        if self.null.shape[1] and float(np.sum((c_full @ self.null) ** 2)) > 1e-8 * float(
                c_full @ c_full):
            return np.nan, np.nan, np.nan
        c = c_full[self.design.keep]
        return float(c @ self.coef), float(np.sqrt(max(c @ self.vcov @ c, 0.0))), np.inf


def _check_type(type: str) -> None:
    if type not in ("link", "response"):
        raise ModelError(f"type={type!r} is not supported; use 'link' or 'response'.")


def emmeans(coef: np.ndarray, vcov: np.ndarray, design: FixedDesign, link: Link,
            specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
            at: Mapping[str, Any] | None = None, type: str = "link",
            level: float = 0.95) -> pd.DataFrame:
    """Marginal means table: spec and by columns, ``emmean, se, df, lower, upper``."""
    _check_type(type)
    spec_vars, by_vars = parse_specs(specs, by)
    scale = Scale(link.inverse, link.mu_eta, stat="z") if type == "response" else Scale(
        stat="z")
    return emmeans_table(_cells(design, spec_vars, by_vars, at), _Lin(coef, vcov, design),
                         spec_vars, by_vars, level=level, offset=design.offset_mean,
                         scale=scale)


def contrasts(coef: np.ndarray, vcov: np.ndarray, design: FixedDesign, link: Link,
              specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
              at: Mapping[str, Any] | None = None, method: str = "pairwise",
              adjust: str = "none", type: str = "link", level: float = 0.95) -> pd.DataFrame:
    """Contrasts table: ``contrast`` (+ by), ``estimate, se, df, z, p, lower, upper``."""
    _check_type(type)
    ratio = type == "response" and link.name in ("log", "logit")
    if type == "response" and not ratio:
        warnings.warn(f"contrasts on the {link.name} scale cannot be back-transformed to "
                      "ratios; they are reported on the link scale (as emmeans does)",
                      UserWarning, stacklevel=3)
    spec_vars, by_vars = parse_specs(specs, by)
    return contrast_table(_cells(design, spec_vars, by_vars, at), _Lin(coef, vcov, design),
                          spec_vars, by_vars, method=method, adjust=adjust, level=level,
                          scale=Scale(ratio=ratio, stat="z"))


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
