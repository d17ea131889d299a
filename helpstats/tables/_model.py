"""Tables from a fitted mixed model: the model table and the outcome table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .._level import check_level, level_text
from ..errors import TableError
from ._common import finish, key, order_rows, require_columns, t_interval
from ._glmm_outcome import glmm_outcome_table, is_glmm

__all__ = ["model_table", "outcome_table"]

#: emmeans/R spellings accepted from a fit's tables, mapped to helpstats names.
_RENAME = {"SE": "se", "lower.CL": "lower", "upper.CL": "upper", "t.ratio": "t",
           "p.value": "p", "grp": "group"}


class FitLike(Protocol):
    """What the tables need from a fitted mixed model (``hs.fit_mixed``'s result)."""

    @property
    def fixed(self) -> pd.DataFrame: ...

    @property
    def varcorr(self) -> pd.DataFrame: ...

    @property
    def nobs(self) -> int: ...

    @property
    def ngroups(self) -> Mapping[str, int]: ...

    @property
    def formula(self) -> str: ...

    @property
    def spec(self) -> Any: ...

    @property
    def reml(self) -> bool: ...

    @property
    def loglik(self) -> float: ...

    def emmeans(self, specs: Any, *, by: Any = None, at: Any = None) -> pd.DataFrame: ...

    def contrasts(
        self, specs: Any, *, by: Any = None, at: Any = None, method: str = "pairwise",
        adjust: str = "none",
    ) -> pd.DataFrame: ...


def model_table(fit: FitLike, *, level: float = 0.95) -> pd.DataFrame:
    """Fixed effects, variance components and fit summary of a mixed model.

    Parameters
    ----------
    fit : mixed-model result
        The object returned by ``hs.fit_mixed`` (``.fixed``, ``.varcorr``,
        ``.nobs``, ``.ngroups``, ``.formula``, ``.reml``, ``.loglik``).
    level : float, default 0.95
        Confidence level of the t-based intervals of the fixed effects
        (``estimate -/+ t(df) * se``, with the fit's Satterthwaite df).

    Returns
    -------
    pandas.DataFrame
        Columns ``section``, ``term``, ``group``, ``estimate``, ``se``, ``df``,
        ``t``, ``p``, ``lower``, ``upper``, ``sdcor``:

        * ``section == "fixed"``: one row per coefficient.
        * ``section == "random"``: one row per variance component, as lme4's
          ``as.data.frame(VarCorr())``: ``group`` (grouping factor or
          ``"Residual"``), ``term`` (``var1``, or ``"var1, var2"`` for a
          covariance), ``estimate`` the variance or covariance and ``sdcor``
          the SD or correlation.
        * ``section == "fit"``: ``term`` ``"observations"``,
          ``"groups: <factor>"`` and ``"log-likelihood"`` (REML or ML) with
          the value in ``estimate``.

        ``attrs``: ``kind="model"``, ``formula``, ``method`` (``"REML"`` or
        ``"ML"``), ``nobs``, ``ngroups``, ``level`` and ``notes`` (which also
        report rows the fit dropped, non-convergence and singular fits when the
        fit has ``n_dropped``, ``converged`` and ``singular``).

    Examples
    --------
    ``fit`` would come from ``hs.fit_mixed``; any object with its attributes works:

    >>> import pandas as pd
    >>> import helpstats as hs
    >>> from types import SimpleNamespace
    >>> fit = SimpleNamespace(
    ...     fixed=pd.DataFrame({"term": ["(Intercept)"], "estimate": [10.0], "se": [2.0],
    ...                         "df": [30.0], "t": [5.0], "p": [2.2e-5]}),
    ...     varcorr=pd.DataFrame({"group": ["id", "Residual"], "var1": ["(Intercept)", None],
    ...                           "var2": [None, None], "vcov": [4.0, 1.0], "sdcor": [2.0, 1.0]}),
    ...     nobs=64, ngroups={"id": 32}, formula="y ~ 1 + (1 | id)", reml=True, loglik=-100.5)
    >>> hs.model_table(fit)[["section", "term", "group", "estimate", "lower", "sdcor"]]
      section            term     group  estimate     lower  sdcor
    0   fixed     (Intercept)      None      10.0  5.915455    NaN
    1  random     (Intercept)        id       4.0       NaN    2.0
    2  random        Residual  Residual       1.0       NaN    1.0
    3     fit    observations      None      64.0       NaN    NaN
    4     fit      groups: id      None      32.0       NaN    NaN
    5     fit  log-likelihood      None    -100.5       NaN    NaN
    """
    level = check_level(level)
    fixed = getattr(fit, "fixed", None)
    if isinstance(fixed, pd.DataFrame) and "z" in fixed.columns and "t" not in fixed.columns:
        fixed = fixed.assign(t=fixed["z"], df=np.inf)  # a GLMM's Wald z: normal limits
    fixed = _frame(fixed, "fit.fixed", ["term", "estimate", "se", "df", "t", "p"])
    varcorr = _frame(getattr(fit, "varcorr", None), "fit.varcorr",
                     ["group", "var1", "var2", "vcov", "sdcor"])
    lower, upper = t_interval(fixed["estimate"], fixed["se"], fixed["df"], level)
    fixed_rows = pd.DataFrame({
        "section": "fixed",
        "term": fixed["term"].astype(str),
        "group": None,
        "estimate": fixed["estimate"].astype(float),
        "se": fixed["se"].astype(float),
        "df": fixed["df"].astype(float),
        "t": fixed["t"].astype(float),
        "p": fixed["p"].astype(float),
        "lower": lower,
        "upper": upper,
    })
    random_rows = pd.DataFrame({
        "section": "random",
        "term": [_vc_term(r.var1, r.var2) for r in varcorr.itertuples()],
        "group": varcorr["group"].astype(str),
        "estimate": varcorr["vcov"].astype(float),
        "sdcor": varcorr["sdcor"].astype(float),
    })
    method = "REML" if fit.reml else "ML"
    ngroups = dict(fit.ngroups)
    fit_rows = pd.DataFrame({
        "section": "fit",
        "term": ["observations", *[f"groups: {g}" for g in ngroups], "log-likelihood"],
        "group": None,
        "estimate": [float(fit.nobs), *[float(n) for n in ngroups.values()], float(fit.loglik)],
    })
    columns = ["section", "term", "group", "estimate", "se", "df", "t", "p", "lower", "upper",
               "sdcor"]
    table = pd.concat([fixed_rows, random_rows, fit_rows], ignore_index=True).reindex(
        columns=columns
    )
    table["group"] = table["group"].astype(object).where(table["group"].notna(), None)
    groups_text = ", ".join(f"{n} {g}" for g, n in ngroups.items())
    notes = (
        f"Linear mixed model {fit.formula}, fitted by {method}; n = {fit.nobs} observations"
        + (f" in {groups_text}" if groups_text else "")
        + f". {level_text(level)} CI: estimate -/+ t(df) x SE with {_df_name(fit)} df. "
        "Random: variances (estimate) and SDs or correlations (sdcor)."
        + _fit_warnings(fit)
    )
    return finish(table, "model", formula=fit.formula, method=method, nobs=int(fit.nobs),
                  ngroups=ngroups, level=level, notes=notes)


def outcome_table(
    fit: FitLike,
    *,
    group: str,
    time: str,
    data: pd.DataFrame | None = None,
    outcome: str | None = None,
    standardiser: str | float = "baseline_sd",
    adjust: str = "none",
    baseline: Any = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Observed and model-based outcome by group and time, with between-group effects.

    Parameters
    ----------
    fit : mixed-model result
        From ``hs.fit_mixed``, with ``group`` and ``time`` as factors in the model.
        Its ``emmeans(group, by=time)``, ``contrasts(time, by=group)`` and
        ``contrasts(group, by=time, adjust=adjust)`` are used. A GLMM
        (``family=...``) gets proportions or rates and odds or rate ratios instead
        (columns in :func:`helpstats.tables._glmm_outcome.glmm_outcome_table`).
    group, time : str
        Group (arm, role) and time (wave) factors.
    data : pandas.DataFrame, optional
        The long analysis frame, for the observed n, mean and SD. Default: the
        fit's ``data`` attribute when it has one.
    outcome : str, optional
        Outcome column in ``data``. Default: the left-hand side of ``fit.formula``.
    standardiser : {"baseline_sd", "sigma"} or float, default "baseline_sd"
        Denominator of the standardised difference ``d``: the pooled
        within-group SD of the observed outcome at baseline (needs ``data``),
        the model's residual SD (``fit.sigma``), or a given SD.
    adjust : str, default "none"
        Multiplicity adjustment of the between-group p-values, passed to
        ``fit.contrasts`` (the family: all pairwise group comparisons at a
        time). Confidence intervals are not adjusted.
    baseline : optional
        Baseline level of ``time``. Default: its first level.
    level : float, default 0.95
        Confidence level of every interval.

    Returns
    -------
    pandas.DataFrame
        One row per group x time (groups, then times, in the order of the
        model's marginal means), columns: ``<group>``, ``<time>``; observed
        ``n``, ``mean``, ``sd``; marginal mean ``emmean``, ``se``, ``df``,
        ``lower``, ``upper``; change from baseline within the group ``change``,
        ``change_se``, ``change_df``, ``change_lower``, ``change_upper``,
        ``change_p`` (NaN at baseline); difference from the first (reference)
        group at the same time ``comparison`` (``"<group> - <reference>"``),
        ``diff``, ``diff_se``, ``diff_df``, ``diff_lower``, ``diff_upper``,
        ``diff_p``, ``adjust``; standardised difference ``d``, ``d_lower``,
        ``d_upper`` (the difference and its limits divided by the
        standardiser, which is treated as known) and ``standardiser``. The
        reference group's rows have NaN differences.
        ``attrs``: ``kind="outcome"``, ``group``, ``time``, ``outcome``,
        ``baseline``, ``reference``, ``standardiser``, ``standardiser_sd``,
        ``adjust``, ``formula``, ``nobs``, ``notes``.

    Examples
    --------
    ``fit`` would come from ``hs.fit_mixed``; here a hand-made stand-in with its
    methods shows the arithmetic. Contrasts are labelled as R's emmeans does
    (``"c - t"``; ``"wave0 - wave1"`` for numeric-looking levels), see
    ``helpstats.models.contrast_label``:

    >>> import pandas as pd
    >>> import helpstats as hs
    >>> from types import SimpleNamespace
    >>> em = pd.DataFrame({"arm": ["c", "t", "c", "t"], "wave": [0, 0, 1, 1],
    ...                    "emmean": [10.0, 10.2, 9.0, 7.0], "se": 0.5, "df": 40.0})
    >>> em["lower"], em["upper"] = em["emmean"] - 1.01, em["emmean"] + 1.01
    >>> def contrasts(specs, by=None, at=None, method="pairwise", adjust="none"):
    ...     if specs == "wave":
    ...         return pd.DataFrame({"contrast": "wave0 - wave1", "arm": ["c", "t"], "se": 0.6,
    ...                              "estimate": [1.0, 3.2], "df": 40.0, "p": [0.1, 1e-5]})
    ...     return pd.DataFrame({"contrast": "c - t", "wave": [0, 1], "se": 0.7,
    ...                          "estimate": [-0.2, 2.0], "df": 40.0, "p": [0.78, 0.007]})
    >>> fit = SimpleNamespace(formula="y ~ arm * wave + (1 | id)", nobs=80, reml=True,
    ...                       spec=SimpleNamespace(response="y"),
    ...                       sigma=2.0, emmeans=lambda specs, by=None, at=None: em,
    ...                       contrasts=contrasts)
    >>> t = hs.outcome_table(fit, group="arm", time="wave", standardiser="sigma")
    >>> t[["arm", "wave", "emmean", "change", "comparison", "diff", "diff_p", "d"]]
      arm  wave  emmean  change comparison  diff  diff_p    d
    0   c     0    10.0     NaN        NaN   NaN     NaN  NaN
    1   c     1     9.0    -1.0        NaN   NaN     NaN  NaN
    2   t     0    10.2     NaN      t - c   0.2   0.780  0.1
    3   t     1     7.0    -3.2      t - c  -2.0   0.007 -1.0
    """
    level = check_level(level)
    if is_glmm(fit):  # proportions or rates and odds or rate ratios (._glmm_outcome)
        if baseline is not None or standardiser != "baseline_sd":
            raise TableError("outcome_table: a GLMM's table compares with the first level of "
                             f"{time!r} and reports ratios, not standardised differences; "
                             "leave baseline and standardiser at their defaults.")
        return glmm_outcome_table(fit, group=group, time=time, data=data, outcome=outcome,
                                  adjust=adjust, level=level)
    em = _frame(fit.emmeans(group, by=time), "fit.emmeans(group, by=time)",
                [group, time, "emmean", "se", "df"])
    # the limits at this table's level, by the one rule (whatever level the fit used)
    em["lower"], em["upper"] = t_interval(em["emmean"], em["se"], em["df"], level)
    groups = list(pd.unique(em[group]))
    times = list(pd.unique(em[time]))
    if data is not None and time in data.columns and len(times) == 1 and data[time].nunique() > 1:
        raise TableError(
            f"outcome_table: the fit treats {time!r} as a numeric covariate, so its marginal "
            f"means exist only at {time} = {times[0]:g} (the mean), not at each wave. Make "
            f"{time!r} categorical (e.g. data[{time!r}].astype('category')) and refit."
        )
    base = times[0] if baseline is None else _find_level(baseline, times, time)
    ref = groups[0]

    table = order_rows(em, [group, time], [groups, times])
    table = table[[group, time, "emmean", "se", "df", "lower", "upper"]].reset_index(drop=True)
    table.insert(2, "n", np.nan)
    table.insert(3, "mean", np.nan)
    table.insert(4, "sd", np.nan)

    if data is None:
        data = getattr(fit, "data", None)
    if outcome is None:
        data, outcome = model_outcome(fit, data)
    if data is not None:
        require_columns(data, [group, time, outcome], "outcome_table data")
        _fill_observed(table, data, group, time, outcome)

    change = _change(fit, table, group, time, base, level) if len(times) > 1 else None
    for col in ["change", "change_se", "change_df", "change_lower", "change_upper", "change_p"]:
        table[col] = np.nan if change is None else change[col]

    sd_value, sd_name = _standardiser(standardiser, fit, table, group, time, base)
    diff = _differences(fit, table, group, time, ref, adjust, level) if len(groups) > 1 else None
    for col in ["comparison", "diff", "diff_se", "diff_df", "diff_lower", "diff_upper", "diff_p"]:
        table[col] = (None if col == "comparison" else np.nan) if diff is None else diff[col]
    table["adjust"] = adjust
    table["d"] = table["diff"] / sd_value
    table["d_lower"] = table["diff_lower"] / sd_value
    table["d_upper"] = table["diff_upper"] / sd_value
    table["standardiser"] = sd_name

    pct = level_text(level)
    notes = (
        f"Observed n, mean, SD of {outcome}; marginal means from {fit.formula} "
        f"({'REML' if getattr(fit, 'reml', True) else 'ML'}, n = {fit.nobs}) with {pct} CI. "
        f"Change from {time} {base} within {group}; difference from {group} {ref} at each "
        f"{time}, p adjusted: {adjust} (CIs unadjusted). d = difference / {sd_name} "
        f"({sd_value:.3g}); its CI divides the difference's CI by that SD."
    )
    return finish(table, "outcome", label_columns=[group, time], group=group, time=time,
                  outcome=outcome, baseline=base, reference=ref, standardiser=sd_name,
                  standardiser_sd=sd_value, adjust=adjust,
                  formula=fit.formula, nobs=int(fit.nobs), level=level, notes=notes)


def _frame(value: object, what: str, required: list[str]) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame):
        raise TableError(f"{what} should be a DataFrame; got {type(value).__name__}. "
                         "Pass the result of hs.fit_mixed.")
    frame = value.rename(columns=_RENAME)
    require_columns(frame, required, what)
    return frame


def _fit_warnings(fit: FitLike) -> str:
    """Dropped rows and convergence problems the fit reports, as note sentences."""
    text = ""
    n_dropped = int(getattr(fit, "n_dropped", 0) or 0)
    if n_dropped:
        text += f" {n_dropped} row(s) with missing values in model variables were not used."
    if getattr(fit, "converged", True) is False:
        text += " The optimiser did not converge: interpret with caution."
    if getattr(fit, "singular", False) is True:
        text += " Singular fit: a variance component is estimated at its boundary."
    return text


def _vc_term(var1: object, var2: object) -> str:
    if var1 is None or (isinstance(var1, float) and math.isnan(var1)):
        return "Residual"
    if var2 is None or (isinstance(var2, float) and math.isnan(var2)):
        return str(var1)
    return f"{var1}, {var2}"


def _df_name(fit: Any) -> str:
    return "Kenward-Roger" if getattr(fit, "df_method", "") == "kenward-roger" else \
        "Satterthwaite"


def model_outcome(fit: Any, data: pd.DataFrame | None) -> tuple[pd.DataFrame | None, str]:
    """The outcome the model's response names: a column of ``data``, or (for a response
    such as ``log(y)``) its values computed by the model spec into a column of that name."""
    spec: Any = getattr(fit, "spec", None)
    response = getattr(spec, "response", None)
    if not isinstance(response, str):
        raise TableError("pass outcome= (the outcome column); the fit has no model spec "
                         "(fit.spec.response) to take it from.")
    if data is None or response in data.columns:
        return data, response
    variables = list(getattr(spec, "response_variables", ()))
    if variables and all(v in data.columns for v in variables):
        complete = data.loc[:, variables].notna().all(axis=1).to_numpy()
        values = np.full(len(data), np.nan)
        values[complete] = spec.response_values(data.loc[complete, variables])
        return data.assign(**{response: values}), response
    return data, response


def _find_level(value: Any, levels_: list[Any], name: str) -> Any:
    for lv in levels_:
        if key(lv) == key(value):
            return lv
    raise TableError(f"outcome_table: baseline {value!r} is not a level of {name!r} in the "
                     f"model's marginal means {levels_}; pass one of those.")


def _fill_observed(table: pd.DataFrame, data: pd.DataFrame, group: str, time: str,
                   outcome: str) -> None:
    y = pd.to_numeric(data[outcome], errors="coerce")
    summary = (
        pd.DataFrame({"g": data[group].map(key), "t": data[time].map(key), "y": y})
        .dropna(subset=["y"])
        .groupby(["g", "t"], sort=False)["y"]
        .agg(["count", "mean", "std"])
    )
    for i, row in table.iterrows():
        k = (key(row[group]), key(row[time]))
        if k in summary.index:
            table.loc[i, ["n", "mean", "sd"]] = summary.loc[k, ["count", "mean", "std"]].to_numpy()
        else:
            table.loc[i, "n"] = 0


def _pick(frame: pd.DataFrame, by_col: str, by_value: Any, spec: str, levels_: list[Any],
          a: Any, b: Any, what: str) -> tuple[pd.Series, float]:
    """Row of a pairwise contrast table giving ``a - b`` (sign +1) or ``b - a`` (-1).

    The fit labels contrasts as R's emmeans does; ``contrast_label`` gives that label
    for a pair of levels of ``spec`` (``levels_``: all its levels), so the convention
    (e.g. ``"wave1 - wave0"`` for numeric-looking levels) lives in one place.
    """
    from ..models import contrast_label

    rows = frame[frame[by_col].map(key) == key(by_value)]
    forward = contrast_label(spec, levels_, a, b)
    for label, sign in ((forward, 1.0), (contrast_label(spec, levels_, b, a), -1.0)):
        hit = rows[rows["contrast"].astype(str) == label]
        if len(hit):
            return hit.iloc[0], sign
    raise TableError(f"{what}: no contrast '{forward}' (or its reverse) at {by_col} = "
                     f"{by_value!r}; the fit returned {list(rows['contrast'])}. Check the "
                     "factor levels.")


def _change(fit: FitLike, table: pd.DataFrame, group: str, time: str, base: Any,
            level: float) -> pd.DataFrame:
    what = "fit.contrasts(time, by=group)"
    con = _frame(fit.contrasts(time, by=group, method="pairwise", adjust="none"), what,
                 ["contrast", group, "estimate", "se", "df", "p"])
    times = list(pd.unique(table[time]))
    out = pd.DataFrame(index=table.index,
                       columns=["change", "change_se", "change_df", "change_p"], dtype=float)
    for i, row in table.iterrows():
        if key(row[time]) == key(base):
            continue
        hit, sign = _pick(con, group, row[group], time, times, row[time], base, what)
        out.loc[i] = [sign * float(hit["estimate"]), hit["se"], hit["df"], hit["p"]]
    out["change_lower"], out["change_upper"] = t_interval(out["change"], out["change_se"],
                                                          out["change_df"], level)
    return out


def _differences(fit: FitLike, table: pd.DataFrame, group: str, time: str, ref: Any,
                 adjust: str, level: float) -> pd.DataFrame:
    what = "fit.contrasts(group, by=time)"
    con = _frame(fit.contrasts(group, by=time, method="pairwise", adjust=adjust), what,
                 ["contrast", time, "estimate", "se", "df", "p"])
    groups = list(pd.unique(table[group]))
    out = pd.DataFrame(index=table.index,
                       columns=["diff", "diff_se", "diff_df", "diff_p"], dtype=float)
    comparison: list[str | None] = []
    for i, row in table.iterrows():
        if key(row[group]) == key(ref):
            comparison.append(None)
            continue
        hit, sign = _pick(con, time, row[time], group, groups, row[group], ref, what)
        out.loc[i] = [sign * float(hit["estimate"]), hit["se"], hit["df"], hit["p"]]
        comparison.append(f"{key(row[group])} - {key(ref)}")
    out["diff_lower"], out["diff_upper"] = t_interval(out["diff"], out["diff_se"],
                                                      out["diff_df"], level)
    out["comparison"] = comparison
    return out


def _standardiser(standardiser: str | float, fit: FitLike, table: pd.DataFrame, group: str,
                  time: str, base: Any) -> tuple[float, str]:
    if isinstance(standardiser, int | float) and not isinstance(standardiser, bool):
        value, name = float(standardiser), "given SD"
    elif standardiser == "sigma":
        value, name = float(getattr(fit, "sigma", np.nan)), "residual SD (sigma)"
    elif standardiser == "baseline_sd":
        at_base = table[table[time].map(key) == key(base)]
        if at_base["sd"].isna().all():
            raise TableError(
                "outcome_table: standardiser='baseline_sd' needs the observed outcome at "
                f"baseline; pass data= (the long frame with {group!r}, {time!r} and the "
                "outcome), or standardiser='sigma' or a number."
            )
        ok = at_base.dropna(subset=["sd"])
        dof = ok["n"] - 1
        value = float(np.sqrt((dof * ok["sd"] ** 2).sum() / dof.sum()))
        name = "pooled baseline SD"
    else:
        raise TableError(f"outcome_table: standardiser={standardiser!r} is not known; use "
                         "'baseline_sd', 'sigma' or a positive number.")
    if not value > 0:
        raise TableError(f"outcome_table: the standardiser ({name}) is {value}; it must be "
                         "a positive SD.")
    return value, name
