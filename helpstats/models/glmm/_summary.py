"""Text summary of a GLMM fit in the layout of glmer's ``summary()``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._summary import closing_lines, random_effects_lines, residual_lines

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
    lines += residual_lines(fit.residuals("pearson").to_numpy())
    lines += random_effects_lines(fit, strip=False)
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
    lines += closing_lines(fit)
    return "\n".join(lines)
