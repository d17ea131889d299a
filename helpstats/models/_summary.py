"""Text summary of a mixed-model fit in the layout of lme4's ``summary()``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .fit import MixedFit

__all__ = ["describe_lines", "summary_text"]


def _fmt(x: float, width: int = 10) -> str:
    return f"{x:{width}.4g}"


def describe_lines(fit: MixedFit) -> list[str]:
    """The few lines of ``repr(fit)``: formula, data, criterion, status, where the tables are."""
    groups = ", ".join(f"{g} {n}" for g, n in fit.ngroups.items())
    dropped = f" ({fit.n_dropped} rows dropped for missing values)" if fit.n_dropped else ""
    status = "converged" if fit.converged else "may not have converged (see fit.optimizer)"
    if fit.singular:
        status += "; boundary (singular) fit"
    return [f"formula: {fit.formula}",
            f"{fit.nobs} observations{dropped}; groups: {groups}",
            f"logLik {fit.loglik:.2f}, AIC {fit.aic:.1f}, sigma {fit.sigma:.4g}; {status}",
            f"{len(fit.coef)} fixed effects in fit.fixed, variance components in fit.varcorr; "
            "print(fit.summary()) for the full summary"]


def summary_text(fit: MixedFit) -> str:
    """Readable summary: method, formula, criterion, random and fixed effects."""
    method = "REML" if fit.reml else "maximum likelihood"
    df_name = "Kenward-Roger" if fit.df_method == "kenward-roger" else "Satterthwaite"
    lines = [f"Linear mixed model fit by {method} (helpstats; {df_name} df as lmerTest)",
             f"Formula: {fit.formula}"]
    if fit.spec.weights:
        lines.append(f"Weights: {fit.spec.weights}")
    if fit.spec.offset:
        lines.append(f"Offset: {' + '.join(fit.spec.offset)}")
    lines.append("")
    crit = -2 * fit.loglik
    lines.append(f"{'REML criterion' if fit.reml else 'Deviance'} at convergence: {crit:.4f}")
    lines.append(f"     AIC      BIC   logLik\n{fit.aic:8.1f} {fit.bic:8.1f} {fit.loglik:8.2f}")
    res = fit.residuals().to_numpy() / fit.sigma
    q = np.quantile(res, [0, 0.25, 0.5, 0.75, 1])
    lines += ["", "Scaled residuals:", "     Min       1Q   Median       3Q      Max",
              " ".join(f"{v:8.4f}" for v in q), "", "Random effects:"]
    lines.append(f" {'Groups':<12} {'Name':<16} {'Variance':>10} {'Std.Dev.':>10} Corr")
    vc = fit.varcorr
    last_group = None
    for _, row in vc.iterrows():
        if not pd.isna(row["var2"]):
            continue  # correlations are printed beside the variances below
        group = "" if row["group"] == last_group else row["group"]
        last_group = row["group"]
        name = "" if pd.isna(row["var1"]) else row["var1"]
        corr = vc[(vc["group"] == row["group"]) & (vc["var2"] == row["var1"])]["sdcor"]
        corr_txt = " ".join(f"{c:5.2f}" for c in corr)
        lines.append(f" {group:<12} {name:<16} {_fmt(row['vcov'])} {_fmt(row['sdcor'])} "
                     f"{corr_txt}".rstrip())
    groups = ", ".join(f"{g}, {n}" for g, n in fit.ngroups.items())
    lines.append(f"Number of obs: {fit.nobs}, groups:  {groups}")
    if fit.n_dropped:
        lines.append(f"Rows dropped for missing values: {fit.n_dropped}")
    lines += ["", "Fixed effects:",
              f" {'':<22} {'Estimate':>10} {'Std. Error':>10} {'df':>8} {'t value':>8} Pr(>|t|)"]
    for _, r in fit.fixed.iterrows():
        lines.append(f" {r['term']:<22} {_fmt(r['estimate'])} {_fmt(r['se'])} "
                     f"{r['df']:8.2f} {r['t']:8.3f} {r['p']:.3g}")
    frame = fit.data
    ordered = list(dict.fromkeys(
        f.variable for f in fit.spec.factors
        if f.variable is not None and f.contrast == "treatment"
        and isinstance(frame[f.variable].dtype, pd.CategoricalDtype)
        and frame[f.variable].cat.ordered))
    if ordered:
        lines.append(f"Ordered factor(s) {', '.join(ordered)}: treatment contrasts, first level as "
                     "reference (R would use polynomial contrasts, contr.poly)")
    if fit.dropped_columns:
        lines.append(f"Dropped (rank deficient): {', '.join(fit.dropped_columns)}")
    if fit.singular:
        lines += ["", "boundary (singular) fit: see fit.varcorr"]
    if not fit.converged:
        lines += ["", f"Convergence warning: {fit.optimizer['message']}; max |scaled gradient| "
                  f"{np.max(np.abs(fit.optimizer['scaled_gradient'])):.2g}"]
    return "\n".join(lines)
