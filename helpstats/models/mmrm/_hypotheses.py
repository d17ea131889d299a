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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .._anova import term_hypotheses, wald_table
from .._emmeans import Cells, cell_functions, parse_specs
from .._emmeans import contrast_table as shared_contrasts
from .._emmeans import emmeans_table as shared_emmeans
from .._formula import FixedSpec
from ..spec import ModelSpec

__all__ = ["Inference", "ModelTerms", "contrast_table", "emmeans_table", "type3_hypotheses",
           "type3_table"]



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


def emmeans_table(terms: ModelTerms, inf: Inference, specs: str | Sequence[str], *,
                  by: str | Sequence[str] | None = None, at: Mapping[str, Any] | None = None,
                  weights: str = "equal", level: float = 0.95) -> pd.DataFrame:
    """Marginal means: spec and by columns, ``emmean, se, df, lower, upper``."""
    spec_vars, by_vars = parse_specs(specs, by)
    cells = terms.cell_functions(spec_vars, by_vars, at, weights)
    return shared_emmeans(cells, lambda c: _infer(terms, inf, c), spec_vars, by_vars,
                          level=level)


def contrast_table(terms: ModelTerms, inf: Inference, specs: str | Sequence[str], *,
                   by: str | Sequence[str] | None = None, at: Mapping[str, Any] | None = None,
                   method: str = "pairwise", adjust: str = "none", weights: str = "equal",
                   level: float = 0.95) -> pd.DataFrame:
    """Contrasts of marginal means: ``contrast`` (+ by), ``estimate, se, df, t, p,
    lower, upper`` (p values and intervals adjusted within each ``by`` family)."""
    spec_vars, by_vars = parse_specs(specs, by)
    cells = terms.cell_functions(spec_vars, by_vars, at, weights)
    return shared_contrasts(cells, lambda c: _infer(terms, inf, c), spec_vars, by_vars,
                            method=method, adjust=adjust, level=level)


def type3_hypotheses(terms: ModelTerms) -> dict[str, np.ndarray]:
    """Type III hypothesis matrices (rows x kept coefficients) of every fixed term
    (SAS's Type III for treatment coding, built as lmerTest does and shared with the
    Gaussian and GLMM ``anova()``: the full indicator design projected on the model's
    columns, each term orthogonalised against the terms containing it)."""
    return term_hypotheses(terms.model, terms.frame, list(terms.keep), single="identity")


def type3_table(terms: ModelTerms, inf: Inference) -> pd.DataFrame:
    """``term, num_df, den_df, F, p``."""
    return wald_table(type3_hypotheses(terms), inf.contest)
