"""The missing-data part of ``helpstats analyze``: patterns, dropout, MI beside observed rows.

Called by :func:`helpstats.report.analyze` when the study file has a
``[missing]`` section (``method = "mi"``); everything here takes plain
arguments so that it can be used (and tested) without a study file.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .imputation import impute
from .pattern import dropout_model, missing_pattern
from .tipping import tipping_point

__all__ = ["MissingSpec", "MissingResults", "missing_analysis"]


@dataclass(frozen=True)
class MissingSpec:
    """The ``[missing]`` section of a study file.

    ``method`` is ``"mi"`` (multiple imputation beside the observed-rows
    analysis) or ``"observed"`` (patterns and dropout only); ``imputation`` the
    method of :func:`helpstats.impute` (``"pmm"`` or ``"norm"``; with strong
    dropout on the outcome, norm is unbiased where pmm's donors cannot reach
    the tail -- see ``benchmarks/bench_mi_validity.py``). ``deltas`` are the
    tipping-point shifts in outcome units (default: 0.25, 0.5, 0.75 and 1
    baseline SD); ``shift_level`` the arm/role whose imputed values are
    shifted (default: every group).
    """

    method: str = "mi"
    imputation: str = "pmm"
    m: int = 20
    seed: int = 1
    iterations: int = 20
    auxiliary: tuple[str, ...] = ()
    deltas: tuple[float, ...] | None = None
    shift_level: Any = None


@dataclass(frozen=True)
class MissingResults:
    """Tables and methods text of the missing-data analysis."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    methods: list[str] = field(default_factory=list)
    pooled: dict[str, Any] = field(default_factory=dict)


def _contrasts(fit: Any, by: str, wave: str) -> pd.DataFrame:
    return fit.contrasts(by, by=wave)


def missing_analysis(
    data: pd.DataFrame,
    spec: MissingSpec,
    *,
    id: str,
    wave: str,
    outcomes: Sequence[str],
    by: str | None,
    covariates: Sequence[str],
    group: str | None = None,
    formula_for: Callable[[str], str],
    observed_fits: dict[str, Any],
    fit_fn: Callable[..., Any],
) -> MissingResults:
    """Missing-data tables for each outcome; MI results beside the observed-rows fits.

    Parameters
    ----------
    data : pandas.DataFrame
        The long analysis frame (``wave`` categorical, waves in study order).
    spec : MissingSpec
    id, wave, outcomes, by, covariates, group
        As in the study file (the support group is carried, not a predictor).
    formula_for : callable
        Outcome -> model formula.
    observed_fits : dict
        Outcome -> fit on the observed rows (for the side-by-side table).
    fit_fn : callable
        ``fit_fn(frame, formula)``, e.g. :func:`helpstats.fit_mixed`.
    """
    tables: dict[str, pd.DataFrame] = {}
    methods: list[str] = []
    pooled: dict[str, Any] = {}
    waves = list(data[wave].cat.categories) if isinstance(data[wave].dtype, pd.CategoricalDtype) \
        else sorted(pd.unique(data[wave]).tolist())
    pattern = missing_pattern(data, id=id, wave=wave, columns=list(outcomes), waves=waves)
    pattern.attrs["notes"] = ("1 = observed, 0 = missing (a wave with no row counts as missing); "
                              "count = participants with the pattern.")
    tables["Missing patterns"] = pattern
    group_cols = [by] if by else []
    for outcome in outcomes:
        try:
            model = dropout_model(data, id=id, wave=wave, outcome=outcome, covariates=group_cols)
            model.attrs["notes"] = (f"Logistic regression of a missing {outcome} at the last wave "
                                    f"({waves[-1]}) on the baseline {outcome}"
                                    + (f" and {by}" if by else "") + "; estimate in log odds.")
            tables[f"Dropout {outcome}"[:31]] = model
        except (ValueError, np.linalg.LinAlgError) as exc:
            methods.append(f"Dropout model for {outcome} not estimated: {exc}")
    if spec.method != "mi":
        return MissingResults(tables, methods, pooled)
    for outcome in outcomes:
        keep = list(dict.fromkeys([id, wave, *group_cols, *covariates, *spec.auxiliary, outcome,
                                   *([group] if group else [])]))
        frame = data[keep].copy()
        for name in keep:
            if isinstance(frame[name].dtype, pd.CategoricalDtype) and name != wave:
                frame[name] = frame[name].cat.remove_unused_categories().cat.as_unordered()
        frame = frame[frame[wave].notna()]
        auxiliary = [c for c in dict.fromkeys([*group_cols, *covariates, *spec.auxiliary]) if c != outcome]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            imp = impute(frame, m=spec.m, id=id, wave=wave, columns=[outcome], auxiliary=auxiliary,
                         seed=spec.seed, iterations=spec.iterations, waves=waves,
                         method=spec.imputation,
                         cluster=group if spec.imputation == "2l.pan" else None)
            formula = formula_for(outcome)
            mi_fit = imp.fit(fit_fn, formula)
        pooled[outcome] = mi_fit
        methods.extend(f"{outcome} imputation: {w.message}" for w in caught
                       if "imput" in str(w.message).lower())
        if by is not None and outcome in observed_fits:
            observed = _contrasts(observed_fits[outcome], by, wave)
            mi = mi_fit.contrasts(by, by=wave)
            side = observed[["contrast", wave, "estimate", "se", "p"]].rename(
                columns={"estimate": "observed_estimate", "se": "observed_se", "p": "observed_p"})
            side = side.assign(**{wave: side[wave].astype(str)})
            mi_part = mi[["contrast", wave, "estimate", "se", "df", "p", "fmi"]].rename(
                columns={"estimate": "mi_estimate", "se": "mi_se", "df": "mi_df", "p": "mi_p"})
            mi_part = mi_part.assign(**{wave: mi_part[wave].astype(str)})
            table = side.merge(mi_part, on=["contrast", wave], how="outer", sort=False)
            table.attrs["notes"] = (f"Observed rows: the mixed model on every observed row (valid "
                                    f"under missing at random). MI: {spec.m} imputations pooled with "
                                    "Rubin's rules; fmi = fraction of missing information.")
            tables[f"MI {outcome}"[:31]] = table
            deltas = spec.deltas
            if deltas is None:
                base = frame.loc[frame[wave] == waves[0], outcome]
                sd = float(base.std()) if base.notna().sum() > 1 else 1.0
                deltas = tuple(round(sd * f, 3) for f in (0.25, 0.5, 0.75, 1.0))
            def refit(completed: pd.DataFrame, formula: str = formula) -> Any:
                return fit_fn(completed, formula)

            tip = tipping_point(imp, refit, outcome=outcome, deltas=deltas,
                                by=by, shift_level=spec.shift_level, wave=wave)
            tip_table = tip.table.copy()
            tip_table.attrs["notes"] = (
                f"delta added to the imputed (never the observed) {outcome} of "
                + ("every participant" if spec.shift_level is None else f"{by} = {spec.shift_level}")
                + f"; contrast: the first {by} difference at wave {waves[-1]}. "
                + ("Significance at 0.05 changes at delta = "
                   f"{tip.tipping_delta:g}." if tip.tipping_delta is not None
                   else "No delta tried changes the conclusion at 0.05."))
            tables[f"Tipping {outcome}"[:31]] = tip_table
    methods.append(
        f"Missing outcomes were multiply imputed (helpstats.impute; m = {spec.m} data sets, "
        f"{spec.iterations} iterations of chained equations, seed {spec.seed}) in wide form: each "
        "wave's outcome was predicted from the participant's other waves"
        + (f", {by}" if by else "") + (f" and {', '.join([*covariates, *spec.auxiliary])}"
                                       if (covariates or spec.auxiliary) else "")
        + {"pmm": " by predictive mean matching (5 donors)",
           "norm": " by Bayesian linear regression (mice's norm)",
           "2l.pan": f" by a two-level normal model with a random intercept for each {group} "
                     "(mice's 2l.pan; every predictor also entered as its cluster mean)",
           }[spec.imputation]
        + "; waves a participant missed were added and "
        "imputed (intention to treat). Each completed data set was analysed with the same mixed "
        "model and the results pooled with Rubin's rules (Barnard & Rubin 1999 degrees of "
        "freedom; complete-data df the Satterthwaite df averaged over imputations). Both the "
        "observed-rows analysis and MI assume data missing at random; the tipping-point "
        "analysis adds a shift delta to the imputed values to show how far from that "
        "assumption the conclusion holds.")
    return MissingResults(tables, methods, pooled)
