"""Inference methods written once against the result protocol.

:class:`InferenceMethods` gives any class that implements
:class:`~helpstats.models.ModelResult` its tables: ``fixed`` / ``fixed_table``,
``vcov``, ``confint``, ``emmeans``, ``contrasts`` and ``anova``, each with
``df=`` (the fit's ``df_method`` by default) and, where there are limits,
``level=``. A new model family inherits it and only implements the protocol.

Examples
--------
>>> from helpstats.models import MixedFit
>>> issubclass(MixedFit, InferenceMethods)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from scipy import stats

from .._level import check_level, interval
from ..errors import ModelError

if TYPE_CHECKING:
    from ._protocol import ModelResult

__all__ = ["InferenceMethods"]


class InferenceMethods:
    """Mixin: tables of a fit that implements ``ModelResult`` (see the module docstring)."""

    def _result(self) -> ModelResult:
        return cast("ModelResult", self)

    def fixed_table(self, *, df: str | None = None, level: float = 0.95) -> pd.DataFrame:
        """Fixed effects ``term, estimate, se, df, t, p, lower, upper`` with the given df
        method; ``lower, upper`` are the Wald limits at ``level`` (as :meth:`confint`)."""
        level = check_level(level)
        fit = self._result()
        beta = fit.coef.to_numpy()
        V = fit.coef_vcov(df=df)
        se = np.sqrt(np.diag(V))
        eye = np.eye(len(beta))
        dof = np.array([fit.contrast_df(eye[i], df=df) for i in range(len(beta))])
        t = beta / se
        p = 2 * stats.t.sf(np.abs(t), dof)
        lower, upper = interval(beta, se, dof, level)
        table = pd.DataFrame(
            {"term": fit.coef.index, "estimate": beta, "se": se, "df": dof, "t": t, "p": p,
             "lower": lower, "upper": upper}
        )
        table.attrs["level"] = level
        return table

    @cached_property
    def fixed(self) -> pd.DataFrame:
        """Fixed effects: ``term, estimate, se, df, t, p, lower, upper`` (the fit's df
        method, by default Satterthwaite as lmerTest; 95% limits ``estimate -/+ t(df) x se``,
        the same as :meth:`confint`); :meth:`fixed_table` takes ``df=`` and ``level=``."""
        return self.fixed_table()

    def vcov(self, *, df: str | None = None) -> pd.DataFrame:
        """Covariance matrix of the fixed effects (``sigma^2 (X'V~X)^-1``; with
        ``df="kenward-roger"`` the adjusted one)."""
        fit = self._result()
        names = list(fit.coef.index)
        return pd.DataFrame(fit.coef_vcov(df=df), index=names, columns=names)

    def confint(self, *, level: float = 0.95, method: str = "wald",
                df: str | None = None) -> pd.DataFrame:
        """Confidence intervals of the fixed effects.

        Parameters
        ----------
        level : float, default 0.95
        method : {"wald", "profile"}
            ``"wald"``: ``estimate -/+ t(level, df) * se`` with the df method's df
            (and its covariance). ``"profile"``: likelihood-profile intervals as
            lme4's ``confint()`` (when this build has them).
        df : str, optional
            df method; default the fit's.

        Returns
        -------
        pandas.DataFrame
            ``term, estimate, se, df, lower, upper`` (``attrs["level"]``).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import helpstats as hs
        >>> rng = np.random.default_rng(5)
        >>> d = pd.DataFrame({"id": np.repeat(np.arange(20), 3), "t": np.tile([0.0, 1, 2], 20)})
        >>> d["y"] = rng.normal(size=20)[d["id"]] + d["t"] + rng.normal(size=60)
        >>> fit = hs.fit_mixed(d, "y ~ t + (1 | id)")
        >>> ci = fit.confint(level=0.9)
        >>> bool((ci["lower"] < ci["estimate"]).all()), ci.attrs["level"]
        (True, 0.9)
        """
        level = check_level(level)
        if method == "profile":
            from ._profile import profile_confint

            fit = self._result()
            problem = getattr(fit, "problem", None)
            if problem is None:
                raise ModelError(f"method='profile' needs a linear mixed model fit; this "
                                 f"{type(fit).__name__} has Wald intervals (method='wald').")
            result = profile_confint(problem, getattr(fit, "theta", None), level=level,
                                     fixed_names=list(fit.coef.index))
            result.attrs["level"] = level
            return result
        if method != "wald":
            raise ModelError(f"method={method!r} is not known; use 'wald' or 'profile'.")
        tab = self.fixed_table(df=df, level=level)
        out = tab[["term", "estimate", "se", "df", "lower", "upper"]].copy()
        out.attrs["level"] = level
        return out

    def emmeans(self, specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                at: Mapping[str, Any] | None = None, level: float = 0.95,
                df: str | None = None) -> pd.DataFrame:
        """Estimated marginal means on emmeans' reference grid.

        Parameters
        ----------
        specs : str or list of str
            Factor(s) whose means are wanted; ``"~ arm | wave"`` is also accepted.
        by : str or list of str, optional
            Factors to condition on.
        at : dict, optional
            Values of covariates (default: their mean) or a subset of factor levels.
        level : float, default 0.95
            Confidence level of ``lower, upper``.
        df : str, optional
            df method (default the fit's).

        Returns
        -------
        pandas.DataFrame
            Spec and by columns, then ``emmean, se, df, lower, upper``
            (``attrs["level"]``).
        """
        from ._emmeans import emmeans

        return emmeans(self._result(), specs, by=by, at=at, level=level, df=df)

    def contrasts(self, specs: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                  at: Mapping[str, Any] | None = None, method: str = "pairwise",
                  adjust: str = "none", level: float = 0.95,
                  df: str | None = None) -> pd.DataFrame:
        """Contrasts of marginal means, labelled like emmeans (``"a - b"``).

        ``method`` is ``"pairwise"``, ``"revpairwise"`` or ``"trt.vs.ctrl"``;
        ``adjust`` is ``"none"``, ``"holm"``, ``"bonferroni"``, ``"sidak"`` or ``"tukey"``.
        Returns ``contrast`` (+ by columns), ``estimate, se, df, t, p, lower, upper``
        (unadjusted limits at ``level``; ``attrs["level"]``).
        """
        from ._emmeans import contrasts

        return contrasts(self._result(), specs, by=by, at=at, method=method, adjust=adjust,
                         level=level, df=df)

    def anova(self, *, df: str | None = None) -> pd.DataFrame:
        """Type III F tests as lmerTest's ``anova(type = 3)``: ``term, num_df, den_df, F, p``."""
        from ._anova import anova_type3

        return anova_type3(self._result(), df=df)

