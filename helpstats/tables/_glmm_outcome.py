"""The outcome table of a GLMM: proportions or rates by group and time, odds or rate ratios.

:func:`helpstats.outcome_table` hands a GLMM fit (``hs.fit_mixed(...,
family=...)``) to :func:`glmm_outcome_table`: the marginal means are on the
response scale (emmeans ``type = "response"``) and the comparisons are ratios
of odds (logit link) or rates (log link), with their CIs back-transformed from
the link scale, instead of differences and standardised differences.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._level import check_level, level_text
from ._common import finish, key, require_columns

__all__ = ["approximation_text", "glmm_outcome_table", "is_glmm", "ratio_name"]


def is_glmm(fit: Any) -> bool:
    """Whether ``fit`` is a GLMM (a family and quadrature points)."""
    return hasattr(fit, "family") and hasattr(fit, "nagq")


def ratio_name(fit: Any) -> str | None:
    """``"odds_ratio"`` (logit link), ``"rate_ratio"`` (log link) or None."""
    link = fit.family.link.name
    if link == "logit":
        return "odds_ratio"
    if link == "log":
        return "rate_ratio"
    return None


def approximation_text(fit: Any) -> str:
    """The integral approximation of a GLMM fit, as a phrase."""
    return ("the Laplace approximation" if fit.nagq == 1 else
            f"adaptive Gauss-Hermite quadrature with {fit.nagq} points")


def glmm_outcome_table(fit: Any, *, group: str, time: str, data: pd.DataFrame | None = None,
                       outcome: str | None = None, adjust: str = "none",
                       level: float = 0.95) -> pd.DataFrame:
    """Observed and model-based proportions (or rates) by group and time, with odds
    (rate) ratios against the first group at each time and against the first time
    within each group.

    Returns a table with ``<group>, <time>, n``, the observed ``proportion`` (binomial) or
    ``mean`` (counts), the model's marginal mean on the response scale ``emmean, se,
    lower, upper`` (emmeans ``type = "response"``: delta-method SE, limits
    back-transformed), ``change_<ratio>`` (+ ``_lower, _upper, _p``) against the first
    time and ``comparison``, ``<ratio>`` (+ ``_lower, _upper, _p``) against the first
    group; ``<ratio>`` is ``odds_ratio`` (logit), ``rate_ratio`` (log) or, for other
    links, ``link_difference`` (a difference on the link scale, as emmeans reports it).
    """
    level = check_level(level)
    if data is None:
        data = fit.data
    if outcome is None:
        data, outcome = model_outcome(fit, data)
    require_columns(data, [group, time, outcome], "outcome_table data")
    ratio = ratio_name(fit) or "link_difference"
    kind = "response" if ratio != "link_difference" else "link"
    em = fit.emmeans(group, by=time, type="response", level=level)
    groups = list(dict.fromkeys(em[group].tolist()))
    times = list(dict.fromkeys(em[time].tolist()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # link-scale contrasts are intended
        between = fit.contrasts(group, by=time, method="trt.vs.ctrl", type=kind, level=level,
                                adjust=adjust)
        within = fit.contrasts(time, by=group, method="trt.vs.ctrl", type=kind, level=level)
    counts = fit.family.name in ("poisson", "negative_binomial")
    observed = "mean" if counts else "proportion"
    y = pd.to_numeric(data[outcome], errors="coerce")
    cells = pd.DataFrame({"g": data[group].map(key), "t": data[time].map(key), "y": y}
                         ).dropna(subset=["y"]).groupby(["g", "t"], sort=False)["y"]
    n, mean = cells.count(), cells.mean()
    rows = []
    for g_index, g in enumerate(groups):
        for t_index, t in enumerate(times):
            hit = em[(em[group].map(key) == key(g)) & (em[time].map(key) == key(t))].iloc[0]
            cell = (key(g), key(t))
            row: dict[str, Any] = {group: g, time: t, "n": float(n.get(cell, 0)),
                                   observed: float(mean.get(cell, np.nan)),
                                   "emmean": hit["emmean"], "se": hit["se"],
                                   "lower": hit["lower"], "upper": hit["upper"]}
            for prefix, table, by_col, by_value, pos in (
                    (f"change_{ratio}", within, group, g, t_index),
                    (ratio, between, time, t, g_index)):
                values = [np.nan] * 4
                if pos > 0:
                    sub = table[table[by_col].map(key) == key(by_value)]
                    r = sub.iloc[pos - 1]  # trt.vs.ctrl: level pos against the first
                    values = [r["estimate"], r["lower"], r["upper"], r["p"]]
                row.update(dict(zip([prefix, f"{prefix}_lower", f"{prefix}_upper",
                                     f"{prefix}_p"], values, strict=True)))
            row["comparison"] = f"{key(g)} / {key(groups[0])}" if g_index else None
            rows.append(row)
    columns = [group, time, "n", observed, "emmean", "se", "lower", "upper",
               f"change_{ratio}", f"change_{ratio}_lower", f"change_{ratio}_upper",
               f"change_{ratio}_p", "comparison", ratio, f"{ratio}_lower", f"{ratio}_upper",
               f"{ratio}_p"]
    table = pd.DataFrame(rows, columns=columns)
    what = "rates" if counts else "probabilities"
    scale = ratio.replace("_", " ") + "s" if kind == "response" else (
        f"differences on the {fit.family.link.name} scale")
    notes = (f"Observed n and {observed} of {outcome}; model-based {what} from {fit.formula} "
             f"({type(fit.family).__name__}, {fit.family.link.name} link, "
             f"{approximation_text(fit)}; n = {fit.nobs}) with {level_text(level)} CIs "
             f"back-transformed from the link scale (emmeans type = 'response'); they are "
             "conditional on random effects of zero (a typical participant), so they are "
             "nearer 0 or 1 than observed proportions when the random-effect variance is "
             "large. "
             f"Change: {scale} of each {time} against {time} {key(times[0])} within "
             f"{group}; comparison: {scale} of each {group} against {key(groups[0])} at "
             f"each time; Wald z tests, p and CIs of the comparisons adjusted: {adjust}.")
    return finish(table, "glmm_outcome", label_columns=[group, time], group=group, time=time,
                  outcome=outcome, reference=groups[0], baseline=times[0], effect=ratio,
                  adjust=adjust,
                  formula=fit.formula, nobs=int(fit.nobs), level=level, notes=notes)


def model_outcome(fit: Any, data: pd.DataFrame | None) -> tuple[pd.DataFrame, str]:
    """The outcome column the model's response names (see :mod:`._model`)."""
    from ._model import model_outcome as outcome_of

    frame, name = outcome_of(fit, data)
    return (fit.data if frame is None else frame), name
