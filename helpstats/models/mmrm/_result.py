"""The result of an MMRM fit (:class:`MmrmFit`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..._display import Summary, result_html, short_repr
from ..._keywords import keyword_only
from ..._level import check_level, interval
from .._emmeans import with_interaction_note
from .._random_effects import VARCORR_COLUMNS, covariance_rows
from ..spec import ModelSpec
from ._hypotheses import ModelTerms, contrast_table, emmeans_table, type3_table
from ._inference import MmrmInference

__all__ = ["MmrmFit"]

_DF_LABEL = {"kenward-roger": "Kenward-Roger", "kenward-roger-linear": "Kenward-Roger (linear)",
             "satterthwaite": "Satterthwaite", "between-within": "between-within",
             "residual": "residual"}


@dataclass(frozen=True, eq=False)
class MmrmFit:
    """Result of :func:`helpstats.fit_mmrm` (immutable).

    Attributes
    ----------
    formula : str
        The fixed-effects formula as given.
    subject, visit : str
        Subject column; visit column (or the coordinate columns of ``sp_exp``).
    group : str or None
        Column whose levels have separate covariance matrices.
    reml : bool
        REML (True) or maximum likelihood.
    df_method, vcov_method : str
        The df method and the covariance of the fixed effects used by all inference.
    covariance_structure : str
        The structure used (after any fallback).
    fallback : pandas.DataFrame
        ``structure, status, message`` for every structure tried, in order.
    loglik, deviance, aic, bic : float
        Log-likelihood (restricted for REML), ``-2 loglik``, and SAS PROC MIXED's AIC
        and BIC (REML: ``q`` covariance parameters; ML: ``q + p``; BIC uses the number
        of subjects).
    nobs, n_subjects : int
        Observations (rows with an observed response) and subjects used.
    n_missing_response, n_dropped : int
        Rows without a response (unobserved visits: the likelihood uses the
        observed rows only, valid under missing at random) and rows dropped
        because a covariate, the subject, the visit, the group or the weight was missing.
    dropped_by_column : dict
        For each column, the rows dropped because it was missing.
    converged : bool
        Whether the optimiser converged (small gradient, positive-definite Hessian).
    optimizer : dict
        ``evaluations, newton_steps, gradient, message``.
    coef : pandas.Series
        Fixed-effect estimates (columns dropped as collinear are left out).
    dropped_columns : tuple of str
        Model-matrix columns dropped as collinear.
    theta : pandas.DataFrame
        ``group, parameter, estimate, se`` of the covariance parameters in SAS's
        parameterisation (``se`` from the observed information).
    """

    formula: str
    subject: str
    visit: str | tuple[str, ...]
    group: str | None
    reml: bool
    df_method: str
    vcov_method: str
    covariance_structure: str
    fallback: pd.DataFrame
    loglik: float
    aic: float
    bic: float
    nobs: int
    n_subjects: int
    n_missing_response: int
    n_dropped: int
    dropped_by_column: dict[str, int]
    converged: bool
    optimizer: dict[str, Any]
    coef: pd.Series
    dropped_columns: tuple[str, ...]
    theta: pd.DataFrame
    _covariances: dict[str, pd.DataFrame]
    _terms: ModelTerms
    _X: np.ndarray
    _inference: MmrmInference

    @property
    def deviance(self) -> float:
        """``-2 loglik`` (SAS's "-2 Res Log Likelihood" for REML)."""
        return -2 * self.loglik

    @property
    def spec(self) -> ModelSpec:
        """The model spec of the fixed part (response, variables, terms, factor levels)."""
        return self._terms.model

    @property
    def coef_columns(self) -> tuple[int, ...]:
        """Positions of :attr:`coef` in ``spec.columns`` (collinear columns are absent)."""
        return tuple(self._terms.keep)

    @property
    def data(self) -> pd.DataFrame:
        """The model frame used (observed rows; a new copy on each access)."""
        return self._terms.frame.copy()

    @cached_property
    def fixed(self) -> pd.DataFrame:
        """``term, estimate, se, df, t, p, lower, upper`` with the fit's covariance and df
        method (95% limits ``estimate -/+ t(df) x se``, as :meth:`confint`)."""
        V = self._inference.vcov
        beta = self.coef.to_numpy()
        se = np.sqrt(np.diag(V))
        eye = np.eye(len(beta))
        df = np.array([self._inference.df(eye[i]) for i in range(len(beta))])
        t = beta / se
        lower, upper = interval(beta, se, df, 0.95)
        table = pd.DataFrame({"term": list(self.coef.index), "estimate": beta, "se": se,
                              "df": df, "t": t, "p": 2 * stats.t.sf(np.abs(t), df),
                              "lower": lower, "upper": upper})
        table.attrs["level"] = 0.95
        return table

    def vcov(self) -> pd.DataFrame:
        """Covariance matrix of the fixed effects used for inference (Kenward–Roger
        adjusted for ``df="kenward-roger"``, the sandwich for an empirical ``vcov``)."""
        names = list(self.coef.index)
        return pd.DataFrame(self._inference.vcov, index=names, columns=names)

    @keyword_only("level")
    def confint(self, *, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals ``term, estimate, lower, upper`` with t quantiles on the fit's df
        (``attrs["level"]``)."""
        level = check_level(level)
        fx = self.fixed
        lower, upper = interval(fx["estimate"], fx["se"], fx["df"], level)
        out = pd.DataFrame({"term": fx["term"], "estimate": fx["estimate"],
                            "lower": lower, "upper": upper})
        out.attrs["level"] = level
        return out

    @property
    def covariance(self) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """Estimated visit x visit covariance (a dict by group level with ``group=``;
        for ``sp_exp`` over the observed distinct times)."""
        if self.group is None:
            return next(iter(self._covariances.values())).copy()
        return {k: v.copy() for k, v in self._covariances.items()}

    @property
    def ngroups(self) -> dict[str, int]:
        """``{subject: number of subjects}`` (the grouping of the repeated measures)."""
        return {self.subject: self.n_subjects}

    @cached_property
    def varcorr(self) -> pd.DataFrame:
        """The residual covariance in lme4's ``as.data.frame(VarCorr())`` layout:
        ``group`` (``"Residual"``, or ``"Residual: <group level>"`` with ``group=``),
        ``var1``/``var2`` (visits named as R names columns, ``"visit1"``; ``var2`` None
        for a variance), ``vcov`` (variance or
        covariance), ``sdcor`` (SD or correlation)."""
        rows: list[dict[str, Any]] = []
        for name, S in self._covariances.items():
            label = "Residual" if self.group is None else f"Residual: {name}"
            prefix = self.visit if isinstance(self.visit, str) else ""
            visits = [f"{prefix}{v}" for v in S.index]  # R's column names: "wave1"
            rows += covariance_rows(label, visits, S.to_numpy())
        return pd.DataFrame(rows, columns=VARCORR_COLUMNS)

    @property
    def correlation(self) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """The correlation matrix (or matrices) of :attr:`covariance`."""
        def corr(S: pd.DataFrame) -> pd.DataFrame:
            sd = np.sqrt(np.diag(S.to_numpy()))
            return pd.DataFrame(S.to_numpy() / np.outer(sd, sd), index=S.index,
                                columns=S.columns)
        if self.group is None:
            return corr(next(iter(self._covariances.values())))
        return {k: corr(v) for k, v in self._covariances.items()}

    def emmeans(self, specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                at: Mapping[str, Any] | None = None, weights: str = "equal",
                level: float = 0.95) -> pd.DataFrame:
        """Estimated marginal means (SAS LSMEANS; emmeans).

        Returns the spec and by columns, ``emmean, se, df, lower, upper``. Factors not
        named are averaged with ``weights="equal"`` (SAS's default) or in proportion to
        their observed frequencies (``"proportional"``, SAS ``/ OM``); covariates
        are at their means over the used observations unless ``at`` fixes them.
        """
        table = emmeans_table(self._terms, self._inference, specs, by=by, at=at,
                             weights=weights, level=level)
        return with_interaction_note(table, self, specs, by, at)

    def contrasts(self, specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                  at: Mapping[str, Any] | None = None, method: str = "pairwise",
                  adjust: str = "none", weights: str = "equal",
                  level: float = 0.95) -> pd.DataFrame:
        """Contrasts of marginal means, e.g. the arm difference at each visit
        (``fit.contrasts("arm", by="visit")``): ``contrast`` (+ by columns),
        ``estimate, se, df, t, p, lower, upper``."""
        table = contrast_table(self._terms, self._inference, specs, by=by, at=at,
                              method=method, adjust=adjust, weights=weights, level=level)
        return with_interaction_note(table, self, specs, by, at)

    def anova(self) -> pd.DataFrame:
        """Type III F tests ``term, num_df, den_df, F, p`` with the fit's df method
        (Kenward–Roger: ``F`` scaled by ``lambda``, as SAS)."""
        return type3_table(self._terms, self._inference)

    def summary(self) -> Summary:
        """A text summary like R mmrm's: a ``str`` with the tables ``fixed`` and
        ``theta`` as attributes (and an HTML form)."""
        return Summary(self._summary_text(), heading=self._title(),
                       tables={"fixed": self.fixed, "theta": self.theta})

    def _title(self) -> str:
        return (f"MmrmFit: mixed model for repeated measures ({self.covariance_structure} "
                f"covariance, {'REML' if self.reml else 'ML'}, {_DF_LABEL[self.df_method]} df)")

    def _lines(self) -> list[str]:
        status = "converged" if self.converged else "may not have converged (see fit.optimizer)"
        return [f"formula: {self.formula}; subject: {self.subject}, visit: {self.visit}"
                + (f", group: {self.group}" if self.group else ""),
                f"{self.nobs} observations from {self.n_subjects} subjects "
                f"({self.n_missing_response} rows without a response, {self.n_dropped} "
                "dropped for missing covariates)",
                f"logLik {self.loglik:.2f}, AIC {self.aic:.1f}; {status}",
                f"{len(self.coef)} fixed effects in fit.fixed, covariance in fit.covariance; "
                "print(fit.summary()) for the full summary"]

    def __repr__(self) -> str:
        return short_repr(self._title(), self._lines())

    def _repr_html_(self) -> str:
        return result_html(self._title(), self._lines(),
                           {"Fixed effects": self.fixed, "Covariance parameters": self.theta})

    def _summary_text(self) -> str:
        lines = ["MMRM fit", f"Formula:     {self.formula}",
                 f"Subject:     {self.subject}   Visit: {self.visit}"
                 + (f"   Group: {self.group}" if self.group else ""),
                 f"Covariance:  {self.covariance_structure} "
                 f"({len(self.theta)} variance parameters)"]
        tried = self.fallback
        if len(tried) > 1:
            lines.append("Fallback:    " + "; ".join(
                f"{r.structure}: {r.status}" for r in tried.itertuples()))
        lines += [f"Method:      {'REML' if self.reml else 'ML'}; df: "
                  f"{_DF_LABEL[self.df_method]}; vcov: {self.vcov_method}",
                  f"Data:        {self.nobs} observations from {self.n_subjects} subjects; "
                  f"{self.n_missing_response} rows without a response (missing at random "
                  f"assumed), {self.n_dropped} dropped for missing covariates",
                  f"Converged:   {self.converged}", "",
                  "Model selection criteria:",
                  f"  AIC {self.aic:.4f}   BIC {self.bic:.4f}   logLik {self.loglik:.4f}"
                  f"   deviance {self.deviance:.4f}", "", "Coefficients:"]
        coefficients = self.fixed[["term", "estimate", "se", "df", "t", "p"]]
        lines.append(coefficients.to_string(index=False, float_format=lambda x: f"{x:.5g}"))
        lines += ["", "Covariance estimate:"]
        for name, S in self._covariances.items():
            if self.group is not None:
                lines.append(f"  {self.group} = {name}")
            lines.append(S.to_string(float_format=lambda x: f"{x:.4f}"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return str(self.summary())
