"""The result of :func:`helpstats.fit_glmm`: :class:`GlmmFit`."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..._display import Summary, result_html, short_repr
from ..._keywords import keyword_only
from ..._level import check_level, interval
from ...errors import ModelError
from .._emmeans import with_interaction_note
from .._random_effects import ranef_frames, varcorr_table
from .._summary import overview_lines
from ..families import Family
from ..spec import ModelSpec
from ._pirls import GlmmProblem, ModeResult
from ._response import Response
from ._wald import FixedDesign, contrasts, emmeans, type3_wald

__all__ = ["GlmmFit"]


@dataclass(frozen=True, eq=False)
class GlmmFit:
    """Result of :func:`helpstats.fit_glmm` (immutable).

    Attributes
    ----------
    formula : str
        The model formula as given.
    family : Family
        Response family and link (for the negative binomial, with the
        estimated dispersion).
    nagq : int
        Quadrature points (1: Laplace approximation).
    loglik, aic, bic : float
        Log-likelihood of the (Laplace or quadrature) approximation, with every
        constant of the density, as glmer's ``logLik`` for ``nAGQ = 1``.
    nobs, n_dropped : int
        Observations used; rows dropped for missing values.
    ngroups : dict
        Levels of each grouping factor.
    converged, singular : bool
        Optimiser success with a small scaled gradient; a variance on its boundary.
    optimizer : dict
        ``name, evaluations, status, message, gradient, scaled_gradient``.
    theta : numpy.ndarray
        Relative covariance factor parameters (lme4's ``theta``).
    coef : pandas.Series
        Fixed-effect estimates.
    dropped_columns : tuple of str
        Fixed-effect columns dropped as collinear.
    design : FixedDesign
        What rebuilds the fixed design for a reference grid.
    success_level : object or None
        For a two-level factor outcome, the level counted as success.
    dispersion : float or None
        NB2 dispersion (R's ``theta`` of ``negative.binomial``, glmmTMB's
        ``sigma`` for ``nbinom2``); None for other families.
    glmer_agq_loglik : float or None
        For ``nagq > 1``, the log-likelihood as glmer prints it (without the
        saturated model's log-density).
    """

    formula: str
    family: Family
    nagq: int
    loglik: float
    aic: float
    bic: float
    nobs: int
    n_dropped: int
    ngroups: dict[str, int]
    converged: bool
    singular: bool
    optimizer: dict[str, Any]
    theta: np.ndarray
    coef: pd.Series
    dropped_columns: tuple[str, ...]
    design: FixedDesign
    success_level: Hashable | None
    dispersion: float | None
    glmer_agq_loglik: float | None
    _problem: GlmmProblem = field(repr=False)
    _mode: ModeResult = field(repr=False)
    _vcov: np.ndarray = field(repr=False)
    _hessian: np.ndarray = field(repr=False)
    _response: Response = field(repr=False)

    @property
    def deviance(self) -> float:
        """``-2 * loglik`` (as glmer's ``summary()`` prints it)."""
        return -2.0 * self.loglik

    @property
    def npar(self) -> int:
        """Estimated parameters: fixed effects, theta and (NB2) the dispersion."""
        return len(self.coef) + len(self.theta) + (1 if self.dispersion is not None else 0)

    @property
    def data(self) -> pd.DataFrame:
        """The model frame (rows and columns used), as a new DataFrame."""
        return self.design.frame.copy()

    @property
    def spec(self) -> ModelSpec:
        """The model spec of the fixed part (response, variables, terms, factor levels)."""
        return self.design.model

    @property
    def coef_columns(self) -> tuple[int, ...]:
        """Positions of :attr:`coef` in ``spec.columns`` (collinear columns are absent)."""
        return tuple(self.design.keep)

    @property
    def reml(self) -> bool:
        """Always False: a GLMM is fitted by maximum likelihood (glmer has no REML)."""
        return False

    # ------------------------------------------------------------ estimates
    @cached_property
    def fixed(self) -> pd.DataFrame:
        """Fixed effects: ``term, estimate, se, z, p, lower, upper`` (Wald z, SEs from the
        Hessian; 95% Wald limits ``estimate -/+ z x se`` on the link scale, as :meth:`confint`)."""
        beta = self.coef.to_numpy()
        se = np.sqrt(np.diag(self._vcov))
        z = beta / se
        lower, upper = interval(beta, se, np.inf, 0.95)
        table = pd.DataFrame({"term": self.coef.index, "estimate": beta, "se": se, "z": z,
                              "p": 2 * stats.norm.sf(np.abs(z)), "lower": lower,
                              "upper": upper})
        table.attrs["level"] = 0.95
        return table

    def vcov(self) -> pd.DataFrame:
        """Covariance of the fixed effects (from the Hessian over all parameters)."""
        names = list(self.coef.index)
        return pd.DataFrame(self._vcov, index=names, columns=names)

    @keyword_only("level", "method")
    def confint(self, *, level: float = 0.95, method: str = "wald", which: str = "all"
                ) -> pd.DataFrame:
        """Confidence intervals (``attrs["level"]``).

        ``method="wald"``: the fixed effects, ``term, estimate, lower, upper``
        (z limits on the link scale). ``method="profile"``: likelihood-profile intervals
        as lme4's ``confint(fit, method = "profile")``, ``parm, estimate, lower,
        upper`` for the random-effect SDs and correlations (``.sig01`` ...) and the
        fixed effects (``which="theta_"`` or ``"beta_"`` for one group); see
        :mod:`helpstats.models.glmm._profile`.
        """
        level = check_level(level)
        if method == "profile":
            from ._profile import profile_confint

            table = profile_confint(self._problem, self.nagq, self.theta, self.coef.to_numpy(),
                                    np.sqrt(np.diag(self._vcov)), level=level,
                                    fixed_names=list(self.coef.index), which=which)
            table.attrs["level"] = level
            return table
        if method != "wald":
            raise ModelError(f"method={method!r} is not known; use 'wald' or 'profile'.")
        fx = self.fixed
        lower, upper = interval(fx["estimate"], fx["se"], np.inf, level)
        out = pd.DataFrame({"term": fx["term"], "estimate": fx["estimate"],
                            "lower": lower, "upper": upper})
        out.attrs["level"] = level
        return out

    @cached_property
    def varcorr(self) -> pd.DataFrame:
        """``group, var1, var2, vcov, sdcor`` as lme4's ``as.data.frame(VarCorr(fit))``."""
        system = self._problem.system
        lams = [system.lam(self.theta, k) for k in range(len(system.terms))]
        return varcorr_table(system.terms, lams)

    def ranef(self) -> dict[str, pd.DataFrame]:
        """Conditional modes of the random effects, one frame per grouping factor."""
        system = self._problem.system
        return ranef_frames(system.terms, system.b_of_u(self.theta, self._mode.u))

    def fitted(self, type: str = "response") -> pd.Series:
        """Fitted values with the random effects: ``"response"`` (mean) or ``"link"``."""
        if type not in ("response", "link"):
            raise ModelError(f"type={type!r} is not supported; use 'response' or 'link'.")
        vals = self._mode.eta if type == "link" else self._mode.mu
        return pd.Series(vals, index=self.design.frame.index, name="fitted")

    def residuals(self, type: str = "deviance") -> pd.Series:
        """Residuals: ``"deviance"`` (default, as glmer), ``"pearson"`` or ``"response"``."""
        prob, mu = self._problem, self._mode.mu
        y, w = prob.y, prob.weights
        if type == "response":
            r = y - mu
        elif type == "pearson":
            r = (y - mu) * np.sqrt(w) / np.sqrt(prob.family.variance(mu))
        elif type == "deviance":
            r = np.sign(y - mu) * np.sqrt(np.maximum(prob.family.dev_resid(y, mu, w), 0.0))
        else:
            raise ModelError(
                f"type={type!r} is not supported; use 'deviance', 'pearson' or 'response'."
            )
        return pd.Series(r, index=self.design.frame.index, name="residual")

    @property
    def pearson_dispersion(self) -> tuple[float, int]:
        """Pearson chi-square and its residual df (nobs minus all parameters)."""
        chisq = float(np.sum(self.residuals("pearson").to_numpy() ** 2))
        return chisq, self.nobs - self.npar

    # ------------------------------------------------------------ inference
    def emmeans(self, specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                at: Mapping[str, Any] | None = None, type: str = "link",
                level: float = 0.95) -> pd.DataFrame:
        """Estimated marginal means on emmeans' reference grid.

        ``type="response"`` gives probabilities or rates (delta-method SEs,
        limits back-transformed from the link scale). Returns the spec and by
        columns, then ``emmean, se, df, lower, upper`` (``df`` is infinite:
        asymptotic z intervals, as emmeans for GLMMs).
        """
        table = emmeans(self.coef.to_numpy(), self._vcov, self.design, self.family.link, specs,
                       by=by, at=at, type=type, level=level)
        return with_interaction_note(table, self, specs, by, at)

    def contrasts(self, specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                  at: Mapping[str, Any] | None = None, method: str = "pairwise",
                  adjust: str = "none", type: str = "link", level: float = 0.95
                  ) -> pd.DataFrame:
        """Contrasts of marginal means: differences on the link scale, or with
        ``type="response"`` odds ratios (logit) / rate ratios (log), labelled
        ``"a / b"``. Returns ``contrast`` (+ by), ``estimate, se, df, z, p, lower, upper``."""
        table = contrasts(self.coef.to_numpy(), self._vcov, self.design, self.family.link,
                         specs, by=by, at=at, method=method, adjust=adjust, type=type,
                         level=level)
        return with_interaction_note(table, self, specs, by, at)

    def anova(self) -> pd.DataFrame:
        """Type III Wald chi-square tests: ``term, df, chisq, p`` (see :mod:`._wald`)."""
        return type3_wald(self.coef.to_numpy(), self._vcov, self.design)

    def summary(self) -> Summary:
        """A text summary in the layout of glmer's ``summary()``: a ``str`` with the
        tables ``fixed`` and ``varcorr`` as attributes (and an HTML form)."""
        from ._summary import summary_text

        return Summary(summary_text(self), heading=self._title(),
                       tables={"fixed": self.fixed, "varcorr": self.varcorr})

    def __str__(self) -> str:
        return str(self.summary())

    def _title(self) -> str:
        method = "Laplace" if self.nagq == 1 else f"adaptive quadrature, nAGQ = {self.nagq}"
        return f"GlmmFit: generalized linear mixed model ({self.family.describe()}; {method})"

    def _lines(self) -> list[str]:
        return overview_lines(self, criteria=f"logLik {self.loglik:.2f}, AIC {self.aic:.1f}",
                              fixed="fixed effects (link scale)")

    def __repr__(self) -> str:
        return short_repr(self._title(), self._lines())

    def _repr_html_(self) -> str:
        return result_html(self._title(), self._lines(),
                           {"Fixed effects": self.fixed, "Variance components": self.varcorr})
