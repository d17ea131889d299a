"""Text summary of a GLMM fit in the layout of glmer's ``summary()``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .result import GlmmFit

__all__ = ["summary_text"]


def summary_text(fit: GlmmFit) -> str:
    """Method, family, criteria, random and fixed effects, overdispersion (Poisson)."""
    if fit.nagq == 1:
        method = "Laplace Approximation"
    else:
        method = f"Adaptive Gauss-Hermite Quadrature (nAGQ = {fit.nagq})"
    lines = ["Generalized linear mixed model fit by maximum likelihood "
             f"({method}) [helpstats]", f" Family: {fit.family.describe()}",
             f"Formula: {fit.formula}", "",
             "     AIC      BIC   logLik deviance df.resid",
             f"{fit.aic:8.1f} {fit.bic:8.1f} {fit.loglik:8.1f} {fit.deviance:8.1f} "
             f"{fit.pearson_dispersion[1]:8d}"]
    res = fit.residuals("pearson").to_numpy()
    q = np.quantile(res, [0, 0.25, 0.5, 0.75, 1])
    lines += ["", "Scaled residuals:", "     Min       1Q   Median       3Q      Max",
              " ".join(f"{v:8.4f}" for v in q), "", "Random effects:",
              f" {'Groups':<12} {'Name':<16} {'Variance':>10} {'Std.Dev.':>10} Corr"]
    vc = fit.varcorr
    last = None
    for _, row in vc.iterrows():
        if not pd.isna(row["var2"]):
            continue
        group = "" if row["group"] == last else row["group"]
        last = row["group"]
        corr = vc[(vc["group"] == row["group"]) & (vc["var2"] == row["var1"])]["sdcor"]
        lines.append(f" {group:<12} {row['var1']:<16} {row['vcov']:10.4g} {row['sdcor']:10.4g} "
                     + " ".join(f"{c:5.2f}" for c in corr))
    groups = ", ".join(f"{g}, {n}" for g, n in fit.ngroups.items())
    lines.append(f"Number of obs: {fit.nobs}, groups:  {groups}")
    if fit.n_dropped:
        lines.append(f"Rows dropped for missing values: {fit.n_dropped}")
    lines += ["", "Fixed effects:",
              f" {'':<22} {'Estimate':>10} {'Std. Error':>10} {'z value':>8} Pr(>|z|)"]
    for _, r in fit.fixed.iterrows():
        lines.append(f" {r['term']:<22} {r['estimate']:10.4g} {r['se']:10.4g} {r['z']:8.3f} "
                     f"{r['p']:.3g}")
    if fit.dispersion is not None:
        lines += ["", f"Negative binomial dispersion (theta): {fit.dispersion:.4g}"]
    if fit.family.name == "poisson":
        chisq, df = fit.pearson_dispersion
        ratio = chisq / df if df > 0 else np.nan
        lines += ["", f"Overdispersion: Pearson chi-square {chisq:.2f} on {df} df, ratio "
                  f"{ratio:.3f}" + (" (> 1: consider a negative binomial or an "
                                   "observation-level random effect)" if ratio > 1.5 else "")]
    if fit.dropped_columns:
        lines.append(f"Dropped (rank deficient): {', '.join(fit.dropped_columns)}")
    if fit.singular:
        lines += ["", "boundary (singular) fit: see fit.varcorr"]
    if not fit.converged:
        lines += ["", f"Convergence warning: {fit.optimizer['message']}; max |scaled gradient| "
                  f"{np.max(np.abs(fit.optimizer['scaled_gradient'])):.2g}"]
    return "\n".join(lines)
