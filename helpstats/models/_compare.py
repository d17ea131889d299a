"""Likelihood-ratio comparison of nested mixed models (as lme4's ``anova()``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ModelError
from .fit import MixedFit
from .glmm import GlmmFit

__all__ = ["compare"]


def _npar(fit: MixedFit | GlmmFit) -> int:
    if isinstance(fit, GlmmFit):
        return fit.npar
    return len(fit.coef) + len(fit.theta) + 1


def compare(*fits: MixedFit | GlmmFit) -> pd.DataFrame:
    """Likelihood-ratio tests between nested mixed models.

    As lme4's ``anova(fit0, fit1)``: REML fits are refitted by maximum
    likelihood (REML likelihoods are not comparable when the fixed effects
    differ), models are ordered by their number of parameters, and each is
    tested against the one before it.

    Parameters
    ----------
    *fits : MixedFit or GlmmFit
        Two or more fits to the same rows (GLMMs are compared by their
        Laplace / quadrature log-likelihoods, as glmer's ``anova()``).

    Returns
    -------
    pandas.DataFrame
        ``model, npar, aic, bic, loglik, deviance, chisq, df, p`` (the first
        row has missing test columns).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import helpstats as hs
    >>> rng = np.random.default_rng(2)
    >>> d = pd.DataFrame({"id": np.repeat(np.arange(40), 3), "t": np.tile([0.0, 1, 2], 40)})
    >>> d["y"] = rng.normal(size=40)[d["id"]] + 0.8 * d["t"] + rng.normal(size=120)
    >>> tab = hs.compare(hs.fit_mixed(d, "y ~ 1 + (1 | id)"), hs.fit_mixed(d, "y ~ t + (1 | id)"))
    >>> list(tab["npar"]), bool(tab["p"].iloc[1] < 0.001)
    ([3, 4], True)
    """
    if len(fits) < 2:
        raise ModelError("compare() needs at least two fitted models.")
    nobs = {f.nobs for f in fits}
    if len(nobs) > 1:
        raise ModelError(
            f"The models were fitted to different numbers of rows ({sorted(nobs)}); a "
            "likelihood-ratio test needs the same rows. Drop missing values first."
        )
    kinds = {isinstance(f, GlmmFit) for f in fits}
    if len(kinds) > 1:
        raise ModelError("compare() needs fits of one kind: all linear or all generalized.")
    ml = [f if isinstance(f, GlmmFit) or not f.reml else f.refit(reml=False) for f in fits]
    order = sorted(range(len(ml)), key=lambda i: _npar(ml[i]))
    rows = []
    prev: MixedFit | GlmmFit | None = None
    for i in order:
        f = ml[i]
        row = {"model": fits[i].formula, "npar": _npar(f), "aic": f.aic, "bic": f.bic,
               "loglik": f.loglik, "deviance": -2 * f.loglik, "chisq": np.nan, "df": np.nan,
               "p": np.nan}
        if prev is not None:
            chisq = max(0.0, 2 * (f.loglik - prev.loglik))
            df = _npar(f) - _npar(prev)
            row.update(chisq=chisq, df=df, p=float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan)
        rows.append(row)
        prev = f
    return pd.DataFrame(rows, columns=["model", "npar", "aic", "bic", "loglik", "deviance",
                                       "chisq", "df", "p"])
