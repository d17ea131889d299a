"""Text summary of a mixed-model fit in the layout of lme4's ``summary()``.

The parts that the GLMM's summary (glmer's layout) shares are here too:
the ``repr`` lines, the scaled residuals, the random-effects table and the
closing notes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .fit import MixedFit
    from .glmm.result import GlmmFit

__all__ = ["closing_lines", "describe_lines", "overview_lines", "random_effects_lines",
           "residual_lines", "summary_text"]


def _fmt(x: float, width: int = 10) -> str:
    return f"{x:{width}.4g}"


def describe_lines(fit: MixedFit) -> list[str]:
    """The few lines of ``repr(fit)``: formula, data, criterion, status, where the tables are."""
    return overview_lines(
        fit, criteria=f"logLik {fit.loglik:.2f}, AIC {fit.aic:.1f}, sigma {fit.sigma:.4g}",
        fixed="fixed effects")


def overview_lines(fit: MixedFit | GlmmFit, *, criteria: str, fixed: str) -> list[str]:
    """The lines of a mixed model's ``repr``: formula, data, criteria, status, the tables.

    Parameters
    ----------
    fit : MixedFit or GlmmFit
        The fit described.
    criteria : str
        The criteria shown before the status (e.g. ``"logLik -12.34, AIC 32.7"``).
    fixed : str
        What the fixed-effects table holds (e.g. ``"fixed effects"``).

    Returns
    -------
    list of str
    """
    groups = ", ".join(f"{g} {n}" for g, n in fit.ngroups.items())
    dropped = f" ({fit.n_dropped} rows dropped for missing values)" if fit.n_dropped else ""
    status = "converged" if fit.converged else "may not have converged (see fit.optimizer)"
    if fit.singular:
        status += "; boundary (singular) fit"
    return [f"formula: {fit.formula}",
            f"{fit.nobs} observations{dropped}; groups: {groups}",
            f"{criteria}; {status}",
            f"{len(fit.coef)} {fixed} in fit.fixed, variance components in fit.varcorr; "
            "print(fit.summary()) for the full summary"]


def residual_lines(residuals: np.ndarray) -> list[str]:
    """The ``Scaled residuals:`` block (after a blank line): min, quartiles, max.

    Parameters
    ----------
    residuals : numpy.ndarray
        The scaled residuals (Pearson residuals for a GLMM).

    Returns
    -------
    list of str
    """
    q = np.quantile(residuals, [0, 0.25, 0.5, 0.75, 1])
    return ["", "Scaled residuals:", "     Min       1Q   Median       3Q      Max",
            " ".join(f"{v:8.4f}" for v in q)]


def random_effects_lines(fit: MixedFit | GlmmFit, *, strip: bool = True) -> list[str]:
    """The ``Random effects:`` block (after a blank line), then observations and groups.

    One row per variance of ``fit.varcorr`` with the correlations of that
    column beside it, as lme4 prints ``VarCorr``.

    Parameters
    ----------
    fit : MixedFit or GlmmFit
        The fit (``varcorr``, ``ngroups``, ``nobs``, ``n_dropped``).
    strip : bool, default True
        Strip the blank that ends a row without correlations (the GLMM summary
        has always kept it).

    Returns
    -------
    list of str
    """
    lines = ["", "Random effects:",
             f" {'Groups':<12} {'Name':<16} {'Variance':>10} {'Std.Dev.':>10} Corr"]
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
        line = f" {group:<12} {name:<16} {_fmt(row['vcov'])} {_fmt(row['sdcor'])} {corr_txt}"
        lines.append(line.rstrip() if strip else line)
    groups = ", ".join(f"{g}, {n}" for g, n in fit.ngroups.items())
    lines.append(f"Number of obs: {fit.nobs}, groups:  {groups}")
    if fit.n_dropped:
        lines.append(f"Rows dropped for missing values: {fit.n_dropped}")
    return lines


def closing_lines(fit: MixedFit | GlmmFit) -> list[str]:
    """The closing notes: dropped collinear columns, a singular fit, a convergence warning.

    Parameters
    ----------
    fit : MixedFit or GlmmFit
        The fit (``dropped_columns``, ``singular``, ``converged``, ``optimizer``).

    Returns
    -------
    list of str
        Empty when there is nothing to note.
    """
    lines = []
    if fit.dropped_columns:
        lines.append(f"Dropped (rank deficient): {', '.join(fit.dropped_columns)}")
    if fit.singular:
        lines += ["", "boundary (singular) fit: see fit.varcorr"]
    if not fit.converged:
        lines += ["", f"Convergence warning: {fit.optimizer['message']}; max |scaled gradient| "
                  f"{np.max(np.abs(fit.optimizer['scaled_gradient'])):.2g}"]
    return lines


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
    lines += residual_lines(fit.residuals().to_numpy() / fit.sigma)
    lines += random_effects_lines(fit)
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
    lines += closing_lines(fit)
    return "\n".join(lines)
