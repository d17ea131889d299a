"""Tables from a fitted mixed model: the model table and the outcome table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .._keywords import renamed_keywords
from .._level import check_level, level_text
from ..errors import HelpstatsError, TableError
from ._common import finish, key, levels, order_rows, require_columns, t_interval
from ._glmm_outcome import glmm_outcome_table, is_glmm
from ._labels import Labels, as_labels
from ._layout import Cell, Options, Panel, py, register_layout

__all__ = ["model_table", "outcome_table"]

#: emmeans/R spellings accepted from a fit's tables, mapped to helpstats names.
_ADJUST = ("holm", "none", "bonferroni", "sidak", "tukey")
_ADJUST_NAMES = {"holm": "Holm", "bonferroni": "Bonferroni", "sidak": "Sidak", "tukey": "Tukey"}
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


def model_table(fit: FitLike, *, level: float = 0.95, omnibus: bool = True,
                labels: Any = None) -> pd.DataFrame:
    """Fixed effects, variance components and fit summary of a mixed model.

    Parameters
    ----------
    fit : mixed-model result
        The object returned by ``hs.fit_mixed`` (``.fixed``, ``.varcorr``,
        ``.nobs``, ``.ngroups``, ``.formula``, ``.reml``, ``.loglik``).
    level : float, default 0.95
        Confidence level of the t-based intervals of the fixed effects
        (``estimate -/+ t(df) * se``, with the fit's Satterthwaite df).
    omnibus : bool, default True
        Add the Type III tests of ``fit.anova()`` (F with Satterthwaite or
        Kenward-Roger df, or Wald chi-square for a GLMM), one row per term.
    labels : Labels, Study or mapping, optional
        Variable and level labels for the displayed terms (``rolehelpee:wave8``
        is shown as ``Role: helpee × Wave 8``).

    Returns
    -------
    pandas.DataFrame
        Columns ``section``, ``term``, ``group``, ``estimate``, ``se``, ``df``,
        ``t``, ``p``, ``lower``, ``upper``, ``sdcor``, ``num_df``, ``den_df``,
        ``statistic``:

        * ``section == "fixed"``: one row per coefficient.
        * ``section == "omnibus"``: one row per model term, its Type III test:
          ``num_df``, ``den_df`` (NaN for chi-square tests), ``statistic``
          (F or chi-square, named in ``attrs["omnibus_test"]``) and ``p``.
        * ``section == "random"``: one row per variance component, as lme4's
          ``as.data.frame(VarCorr())``: ``group`` (grouping factor or
          ``"Residual"``), ``term`` (``var1``, or ``"var1, var2"`` for a
          covariance), ``estimate`` the variance or covariance and ``sdcor``
          the SD or correlation.
        * ``section == "fit"``: ``term`` ``"observations"``,
          ``"groups: <factor>"`` and ``"log-likelihood"`` (REML or ML) with
          the value in ``estimate``.

        ``attrs``: ``kind="model"``, ``layout``, ``formula``, ``method``
        (``"REML"`` or ``"ML"``), ``nobs``, ``ngroups``, ``level``,
        ``omnibus_test``, ``factors`` (levels of the model's factors, for term
        labels), ``labels`` and ``notes`` (which also
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
    raw_fixed = getattr(fit, "fixed", None)
    wald_z = False
    if isinstance(raw_fixed, pd.DataFrame) and "z" in raw_fixed.columns and \
            "t" not in raw_fixed.columns:  # a GLMM: Wald z tests, normal limits
        wald_z = True
        raw_fixed = raw_fixed.assign(t=raw_fixed["z"], df=np.inf)
    fixed = _frame(raw_fixed, "fit.fixed", ["term", "estimate", "se", "df", "t", "p"])
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
    method = "REML" if getattr(fit, "reml", False) else "ML"
    ngroups = dict(fit.ngroups)
    fit_rows = pd.DataFrame({
        "section": "fit",
        "term": ["observations", *[f"groups: {g}" for g in ngroups], "log-likelihood"],
        "group": None,
        "estimate": [float(fit.nobs), *[float(n) for n in ngroups.values()], float(fit.loglik)],
    })
    columns = ["section", "term", "group", "estimate", "se", "df", "t", "p", "lower", "upper",
               "sdcor", "num_df", "den_df", "statistic"]
    omnibus_rows, test, omnibus_note = _omnibus(fit) if omnibus else (None, None, "")
    table = pd.concat([part for part in (fixed_rows, omnibus_rows, random_rows, fit_rows)
                       if part is not None], ignore_index=True).reindex(columns=columns)
    table["group"] = table["group"].astype(object).where(table["group"].notna(), None)
    groups_text = ", ".join(_plural(n, g) for g, n in ngroups.items())
    family = getattr(getattr(fit, "family", None), "name", None)
    kind = f"Generalised linear mixed model ({family})" if wald_z and family else \
        "Generalised linear mixed model" if wald_z else "Linear mixed model"
    ci = ("estimate -/+ z x SE (Wald); z tests" if wald_z else
          f"estimate -/+ t(df) x SE with {_df_name(fit)} df")
    notes = (
        f"{kind} {fit.formula}, fitted by {method}; n = {fit.nobs} observations"
        + (f" in {groups_text}" if groups_text else "")
        + f". {level_text(level)} CI: {ci}. "
        + omnibus_note
        + "Random effects: variances and SDs (correlations for covariances)."
        + _fit_warnings(fit)
    )
    return finish(table, "model", formula=fit.formula, method=method, nobs=int(fit.nobs),
                  ngroups=ngroups, level=level, notes=notes, layout="model",
                  statistic="z" if wald_z else "t",
                  title=_model_title(fit, as_labels(labels)),
                  omnibus_test=test, factors=model_factors(fit), labels=as_labels(labels))


def _model_title(fit: Any, labels: Labels) -> str:
    response = getattr(_spec_of(fit), "response", None)
    return f"Mixed model of {labels.variable(response)}" if isinstance(response, str) else \
        "Mixed model"


def _plural(n: int, name: str) -> str:
    """``"120 participants"``, ``"1 group"``."""
    return f"{n} {name}" if n == 1 or name.endswith("s") else f"{n} {name}s"


def _spec_of(fit: Any) -> Any:
    try:
        return getattr(fit, "spec", None)
    except HelpstatsError:  # a stand-in whose formula cannot be parsed
        return None


def model_factors(fit: Any) -> dict[str, list[Any]]:
    """The levels of each factor of a fit's model spec (for term labels); without a spec,
    the text and categorical columns of the fit's model frame (``fit.data``)."""
    factors = getattr(_spec_of(fit), "factors", None) or ()
    if factors:
        return {str(f.name): list(f.levels) for f in factors}
    try:
        frame = getattr(fit, "data", None)
    except HelpstatsError:
        frame = None
    if not isinstance(frame, pd.DataFrame):
        return {}
    return {str(c): levels(frame[c]) for c in frame.columns
            if isinstance(frame[c].dtype, pd.CategoricalDtype)
            or not pd.api.types.is_numeric_dtype(frame[c])}


def omnibus_tests(fit: Any) -> tuple[pd.DataFrame | None, str | None, str]:
    """The fit's Type III tests as ``term, num_df, den_df, statistic, p``, the test name
    (``"F"`` or ``"chisq"``) and a note sentence; ``(None, None, note)`` when the fit
    has no ``anova()`` or it fails (the note says why)."""
    anova = getattr(fit, "anova", None)
    if not callable(anova):
        return None, None, ""
    try:
        result = anova()
    except HelpstatsError as exc:
        return None, None, f"Type III tests not available: {exc} "
    if not isinstance(result, pd.DataFrame) or "term" not in result.columns:
        return None, None, ""
    if "F" in result.columns:
        frame = pd.DataFrame({"term": result["term"].astype(str),
                              "num_df": result["num_df"].astype(float),
                              "den_df": result["den_df"].astype(float),
                              "statistic": result["F"].astype(float),
                              "p": result["p"].astype(float)})
        name = "F"
        den = "Kenward-Roger" if _df_name(fit) == "Kenward-Roger" else "Satterthwaite"
        note = f"Type III F tests with {den} denominator df. "
    elif "chisq" in result.columns:
        frame = pd.DataFrame({"term": result["term"].astype(str),
                              "num_df": result["df"].astype(float), "den_df": np.nan,
                              "statistic": result["chisq"].astype(float),
                              "p": result["p"].astype(float)})
        name, note = "chisq", "Type III Wald chi-square tests. "
    else:
        return None, None, ""
    return frame, name, note


def _omnibus(fit: Any) -> tuple[pd.DataFrame | None, str | None, str]:
    frame, name, note = omnibus_tests(fit)
    if frame is None:
        return None, None, note
    return frame.assign(section="omnibus", group=None), name, note


@renamed_keywords(group="by", time="wave")
def outcome_table(
    fit: FitLike,
    *,
    by: str,
    wave: str,
    data: pd.DataFrame | None = None,
    outcome: str | None = None,
    standardiser: str | float = "baseline_sd",
    adjust: str = "holm",
    baseline: Any = None,
    level: float = 0.95,
    omnibus: bool = True,
    labels: Any = None,
) -> pd.DataFrame:
    """Observed and model-based outcome by group and time, with between-group effects.

    Parameters
    ----------
    fit : mixed-model result
        From ``hs.fit_mixed`` (or ``fit_glmm``/``fit_mmrm``), with ``by`` and
        ``wave`` as factors in the model. Its ``emmeans(by, by=wave)``,
        ``contrasts(wave, by=by)``, ``contrasts(by, by=wave)`` and ``anova()``
        are used.
    by, wave : str
        Group (arm, role) and wave factors (``group=`` and ``time=`` are the
        old names: they work for one release, with a ``FutureWarning``).
        A GLMM (``family=...``) gets proportions or rates and odds or rate ratios
        instead (columns in :func:`helpstats.tables._glmm_outcome.glmm_outcome_table`).
    data : pandas.DataFrame, optional
        The long analysis frame, for the observed n, mean and SD. Default: the
        fit's ``data`` attribute when it has one.
    outcome : str, optional
        Outcome column in ``data``. Default: the left-hand side of ``fit.formula``.
    standardiser : {"baseline_sd", "sigma"} or float, default "baseline_sd"
        Denominator of the standardised difference ``d``: the pooled
        within-group SD of the observed outcome at baseline (needs ``data``),
        the model's residual SD (``fit.sigma``), or a given SD.
    adjust : {"holm", "none", "bonferroni", "sidak", "tukey"}, default "holm"
        Multiplicity adjustment of the between-group p-values. The family is
        the comparisons the table shows at one wave (each group against the
        reference group: k - 1 tests), adjusted with
        ``helpstats.models._emmeans.adjust_p``; ``"tukey"`` adjusts over all
        k(k - 1)/2 pairs at a wave (emmeans' pairwise family). The notes say
        which. Confidence intervals are not adjusted.
    baseline : optional
        Baseline level of ``time``. Default: its first level.
    level : float, default 0.95
        Confidence level of every interval.
    omnibus : bool, default True
        Add the fit's Type III tests (``fit.anova()``) under the table, in
        ``attrs["omnibus"]`` (``term, num_df, den_df, statistic, p``).
    labels : Labels, Study or mapping, optional
        Variable and level labels shown by the writers.

    Returns
    -------
    pandas.DataFrame
        One row per group x wave (groups, then waves, in the order of the
        model's marginal means), columns: ``<by>``, ``<wave>``; observed
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
        ``attrs``: ``kind="outcome"``, ``layout``, ``by``, ``wave`` (also as
        ``group``, ``time``), ``outcome``, ``baseline``, ``reference``,
        ``standardiser``, ``standardiser_sd``, ``adjust``, ``formula``,
        ``nobs``, ``omnibus``, ``omnibus_test``, ``labels``, ``notes`` (with
        emmeans' note when the means average over a factor that interacts
        with ``by`` or ``wave``).

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
    >>> t = hs.outcome_table(fit, by="arm", wave="wave", standardiser="sigma", adjust="none")
    >>> t[["arm", "wave", "emmean", "change", "comparison", "diff", "diff_p", "d"]]
      arm  wave  emmean  change comparison  diff  diff_p    d
    0   c     0    10.0     NaN        NaN   NaN     NaN  NaN
    1   c     1     9.0    -1.0        NaN   NaN     NaN  NaN
    2   t     0    10.2     NaN      t - c   0.2   0.780  0.1
    3   t     1     7.0    -3.2      t - c  -2.0   0.007 -1.0
    """
    level = check_level(level)
    if adjust not in _ADJUST:
        raise TableError(f"outcome_table: adjust={adjust!r} is not known; use one of {_ADJUST}.")
    group, time = by, wave
    if is_glmm(fit):  # proportions or rates and odds or rate ratios (._glmm_outcome)
        if baseline is not None or standardiser != "baseline_sd":
            raise TableError("outcome_table: a GLMM's table compares with the first level of "
                             f"{time!r} and reports ratios, not standardised differences; "
                             "leave baseline and standardiser at their defaults.")
        return glmm_outcome_table(fit, group=group, time=time, data=data, outcome=outcome,
                                  adjust=adjust, level=level)
    raw_em = fit.emmeans(group, by=time)
    em = _frame(raw_em, "fit.emmeans(by, by=wave)", [group, time, "emmean", "se", "df"])
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
    family = (f"all {len(groups) * (len(groups) - 1) // 2} pairwise comparisons of {group}"
              if adjust == "tukey" else
              f"the {len(groups) - 1} comparison(s) with {group} {key(ref)}")
    adjusted = ("p unadjusted" if adjust == "none" else
                f"p {_ADJUST_NAMES[adjust]}-adjusted within each {time} (family: {family})")
    omnibus_frame, test, omnibus_note = omnibus_tests(fit) if omnibus else (None, None, "")
    interaction = getattr(raw_em, "attrs", {}).get("note")
    names = as_labels(labels)
    notes = (
        f"Observed n, mean, SD of {names.variable(outcome)}; marginal means from "
        f"{fit.formula} ({'REML' if getattr(fit, 'reml', True) else 'ML'}, n = {fit.nobs}) "
        f"with {pct} CI. Change from {time} {key(base)} within {group}; difference from "
        f"{group} {key(ref)} at each {time}, {adjusted}; CIs unadjusted. d = difference / {sd_name} "
        f"({sd_value:.3g}); its CI divides the difference's CI by that SD. "
        + omnibus_note
        + (f"{interaction}" if interaction else "")
    ).strip()
    return finish(table, "outcome", label_columns=[group, time], by=group, wave=time,
                  group=group, time=time,
                  outcome=outcome, baseline=base, reference=ref, standardiser=sd_name,
                  standardiser_sd=sd_value, adjust=adjust,
                  formula=fit.formula, nobs=int(fit.nobs), level=level, notes=notes,
                  omnibus=omnibus_frame, omnibus_test=test, layout="outcome",
                  title=(f"{as_labels(labels).variable(outcome)} by "
                         f"{as_labels(labels).variable(group)} and "
                         f"{as_labels(labels).variable(time)}"),
                  factors=model_factors(fit), labels=as_labels(labels))


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
    what = "fit.contrasts(by, by=wave)"
    con = _frame(fit.contrasts(group, by=time, method="pairwise",
                               adjust="tukey" if adjust == "tukey" else "none"), what,
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
    if adjust not in ("none", "tukey"):  # the family: the comparisons shown at one wave
        from ..models._emmeans import adjust_p

        for _, rows in out.groupby(table[time].map(key), sort=False):
            ok = rows["diff_p"].notna()
            if ok.sum() > 1:
                idx = rows.index[ok]
                p = out.loc[idx, "diff_p"].to_numpy(dtype=float)
                t = (out.loc[idx, "diff"] / out.loc[idx, "diff_se"]).to_numpy(dtype=float)
                out.loc[idx, "diff_p"] = adjust_p(p, t, out.loc[idx, "diff_df"].to_numpy(float),
                                                  adjust, len(groups))
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


def _term_label(labels: Labels, term: Any, factors: Mapping[str, Any]) -> str:
    return labels.term(str(term), factors=factors)


def _omnibus_panel(frame: pd.DataFrame | None, test: str | None, labels: Labels,
                   factors: Mapping[str, Any]) -> list[Panel]:
    if frame is None or not len(frame):
        return []
    if test == "chisq":
        header: tuple[str, ...] = ("Term", "df", "\u03c7\u00b2", "p")
        roles: tuple[str, ...] = ("text", "integer", "estimate", "p")
        rows: tuple[tuple[Cell, ...], ...] = tuple(
                     (Cell(_term_label(labels, r.term, factors)), Cell(py(r.num_df), "integer"),
                      Cell(py(r.statistic), "estimate"), Cell(py(r.p), "p"))
                     for r in frame.itertuples())
    else:
        header = ("Term", "num df", "den df", "F", "p")
        roles = ("text", "integer", "df", "estimate", "p")
        rows = tuple((Cell(_term_label(labels, r.term, factors)), Cell(py(r.num_df), "integer"),
                      Cell(py(r.den_df), "df"), Cell(py(r.statistic), "estimate"),
                      Cell(py(r.p), "p")) for r in frame.itertuples())
    return [Panel(header=header, roles=roles, rows=rows, title="Type III tests")]


@register_layout("model")
def _model_layout(table: pd.DataFrame, options: Options) -> tuple[list[Panel], list[str]]:
    """Panels: fixed effects (with CI), Type III tests, random effects, fit."""
    labels, attrs = options.labels, table.attrs
    factors = attrs.get("factors") or {}
    pct = level_text(attrs.get("level", 0.95))
    fixed = table[table["section"] == "fixed"]
    if attrs.get("statistic") == "z":  # Wald z tests: no df column
        panels = [Panel(
            title="Fixed effects",
            header=("Term", "Estimate", "SE", "z", "p", f"{pct} CI"),
            roles=("text", "estimate", "estimate", "estimate", "p", "ci"),
            rows=tuple((Cell(_term_label(labels, r.term, factors)),
                        Cell(py(r.estimate), "estimate"), Cell(py(r.se), "estimate"),
                        Cell(py(r.t), "estimate"), Cell(py(r.p), "p"),
                        Cell((py(r.lower), py(r.upper)), "ci")) for r in fixed.itertuples()))]
    else:
        panels = [Panel(
            title="Fixed effects",
            header=("Term", "Estimate", "SE", "df", "t", "p", f"{pct} CI"),
            roles=("text", "estimate", "estimate", "df", "estimate", "p", "ci"),
            rows=tuple((Cell(_term_label(labels, r.term, factors)),
                        Cell(py(r.estimate), "estimate"), Cell(py(r.se), "estimate"),
                        Cell(py(r.df), "df"), Cell(py(r.t), "estimate"), Cell(py(r.p), "p"),
                        Cell((py(r.lower), py(r.upper)), "ci")) for r in fixed.itertuples()))]
    omnibus = table[table["section"] == "omnibus"]
    if "num_df" in table.columns and len(omnibus):
        panels += _omnibus_panel(omnibus, attrs.get("omnibus_test"), labels, factors)
    random = table[table["section"] == "random"]
    rows = []
    for r in random.itertuples():
        residual = r.group == "Residual"
        terms = [] if residual else [_term_label(labels, t.strip(), factors)
                                     for t in str(r.term).split(", ")]
        rows.append((Cell("Residual" if residual else labels.variable(r.group)),
                     Cell(", ".join(terms)), Cell(py(r.estimate), "estimate"),
                     Cell(py(r.sdcor), "bounded" if len(terms) > 1 else "estimate")))
    panels.append(Panel(title="Random effects",
                        header=("Group", "Term", "Variance", "SD / correlation"),
                        roles=("text", "text", "estimate", "estimate"), rows=tuple(rows)))
    fit_rows = []
    for r in table[table["section"] == "fit"].itertuples():
        term = str(r.term)
        if term == "log-likelihood":
            fit_rows.append((Cell(f"Log-likelihood ({attrs.get('method', 'REML')})"),
                             Cell(py(r.estimate), "estimate")))
        elif term.startswith("groups: "):
            name = labels.variable(term[len("groups: "):])
            fit_rows.append((Cell(name if name.endswith("s") else name + "s"),
                             Cell(py(r.estimate), "integer")))
        else:
            fit_rows.append((Cell(term.capitalize()), Cell(py(r.estimate), "integer")))
    panels.append(Panel(title="Model fit", header=("Statistic", "Value"),
                        roles=("text", "integer"), rows=tuple(fit_rows)))
    return panels, [str(attrs.get("notes") or "")]


@register_layout("outcome")
def _outcome_layout(table: pd.DataFrame, options: Options) -> tuple[list[Panel], list[str]]:
    """By, wave, observed n/M/SD, EMM and CI, change and CI, difference and CI, p, d and CI;
    then the Type III tests."""
    labels, attrs = options.labels, table.attrs
    group, time = attrs.get("by", attrs.get("group")), attrs.get("wave", attrs.get("time"))
    pct = level_text(attrs.get("level", 0.95))
    adjust = attrs.get("adjust", "none")
    p_name = "p" if adjust == "none" else f"p ({_ADJUST_NAMES.get(adjust, adjust)})"
    ref = labels.level(group, attrs.get("reference"))
    header = (labels.variable(group), labels.variable(time), "n", "M", "SD", "EMM", f"{pct} CI",
              "Change", f"{pct} CI", f"Difference vs {ref}", f"{pct} CI", p_name, "d",
              f"{pct} CI")
    roles = ("text", "text", "integer", "estimate", "estimate", "estimate", "ci", "estimate",
             "ci", "estimate", "ci", "p", "estimate", "ci")
    rows = []
    for r in table.to_dict("records"):
        rows.append((Cell(labels.level(group, r[group])), Cell(labels.level(time, r[time])),
                     Cell(py(r["n"]), "integer"), Cell(py(r["mean"]), "estimate"),
                     Cell(py(r["sd"]), "estimate"), Cell(py(r["emmean"]), "estimate"),
                     Cell((py(r["lower"]), py(r["upper"])), "ci"),
                     Cell(py(r["change"]), "estimate"),
                     Cell((py(r["change_lower"]), py(r["change_upper"])), "ci"),
                     Cell(py(r["diff"]), "estimate"),
                     Cell((py(r["diff_lower"]), py(r["diff_upper"])), "ci"),
                     Cell(py(r["diff_p"]), "p"), Cell(py(r["d"]), "estimate"),
                     Cell((py(r["d_lower"]), py(r["d_upper"])), "ci")))
    panels = [Panel(header=header, roles=roles, rows=tuple(rows))]
    panels += _omnibus_panel(attrs.get("omnibus"), attrs.get("omnibus_test"), labels,
                             attrs.get("factors") or {})
    return panels, [str(attrs.get("notes") or "")]
