"""Effect sizes for outcome change: reliable and clinically significant change.

Jacobson & Truax (1991, J Consult Clin Psychol 59:12-19) judge an individual's
change against measurement error:

* standard error of measurement ``SEM = sd * sqrt(1 - r)``;
* standard error of a difference ``S_diff = sqrt(2) * SEM``;
* reliable change index ``RCI = (after - before) / S_diff``; ``|RCI| > 1.96``
  is a change larger than measurement error alone would produce 95% of the time;
* criterion c, the point between the clinical (1) and functional (0)
  populations weighted by their spreads: ``c = (sd0 * mean1 + sd1 * mean0) /
  (sd0 + sd1)``.

Examples
--------
>>> import helpstats as hs
>>> out = hs.reliable_change([20, 20], [10, 19], sd=5.0, reliability=0.8,
...                          higher_is="worse")
>>> out[["change", "category"]].to_dict("list")
{'change': [-10.0, -1.0], 'category': ['reliably improved', 'no reliable change']}
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._dask.elementwise import rowwise
from ._keywords import keyword_only
from .change_rules import ChangeRules, load_change_rules
from .errors import InstrumentError, ProvisionalKeyWarning, ReliabilityError
from .instruments import Instrument, ReferenceValue, Scale, load_instrument

__all__ = ["clinical_change", "clinical_change_table", "reliable_change"]

CATEGORIES = ("reliably improved", "no reliable change", "reliably deteriorated")
UNDIRECTED = ("reliable increase", "no reliable change", "reliable decrease")
RELIABILITY_STATISTICS = ("test_retest", "alpha")


@rowwise
def reliable_change(
    before: Any,
    after: Any,
    *,
    sd: float | None = None,
    reliability: float | None = None,
    instrument: str | Path | Instrument | None = None,
    scale: str = "total",
    higher_is: str | None = None,
    reliability_from: Sequence[str] = RELIABILITY_STATISTICS,
    cutoff: float | None = None,
    critical: float = 1.96,
) -> pd.DataFrame:
    """Reliable change index and clinically significant change per person.

    Parameters
    ----------
    before, after : array-like or pandas.Series
        Scale scores of the same people at two occasions, same length,
        paired by position. The result keeps the index of ``before`` when it
        is a Series. Missing
        scores give missing results for that person (nothing is dropped).
    sd : float, optional
        Standard deviation of the scale in the reference (usually
        pre-treatment) population. Defaults to the scale's published
        ``sd`` reference value (``instrument`` needed).
    reliability : float, optional
        Reliability of the scale, in ``[0, 1)``. Defaults to the first
        published reference value of the scale among ``reliability_from``.
    instrument : str, path or Instrument, optional
        Supplies the defaults above, the scale's direction (``higher_is``)
        and its norms for criterion c.
    scale : str
        Scale id within ``instrument`` (default ``"total"``).
    higher_is : {"worse", "better"}, optional
        Direction of the scale. Defaults to the instrument scale's
        ``higher_is``. Without a direction (no instrument, no ``higher_is``)
        the categories say only which way the score moved (``reliable
        increase``, ``no reliable change``, ``reliable decrease``) and a
        warning asks for the direction; helpstats never guesses which way is
        better.
    reliability_from : sequence of str
        Which published reliability to use, in order of preference. The
        default ``("test_retest", "alpha")`` follows Jacobson & Truax, who
        used test-retest reliability, and falls back to internal consistency.
        Pass ``("alpha",)`` to use alpha only.
    cutoff : float, optional
        Criterion c. Defaults to the value computed from the scale's
        ``clinical`` and ``functional`` norms; without a cutoff or norms the
        clinical-significance columns are omitted.
    critical : float
        Critical value of ``|RCI|`` (default 1.96, two-sided 5%).

    Returns
    -------
    pandas.DataFrame
        ``before, after, change, rci, category`` where ``change = after -
        before`` and ``category`` is ``reliably improved``, ``no reliable
        change`` or ``reliably deteriorated`` (ordered categorical; missing
        when a score is missing; the undirected labels above when the
        direction is unknown). With a cutoff also
        ``clinically_significant`` (moved from the clinical to the functional
        side of c: strictly beyond c afterwards, not beyond it before) and
        ``recovered`` (clinically significant and reliably improved;
        Jacobson & Truax's "recovered"). ``attrs`` records ``sd``,
        ``reliability``, ``reliability_statistic``, ``sem``, ``s_diff``,
        ``cutoff``, ``higher_is``, ``sd_source`` and ``reliability_source``
        (the published value used, marked verified or UNVERIFIED, or
        ``"given"``), ``defaults_verified`` and ``methods`` (a sentence for a
        methods section saying where SD and reliability came from).

    Raises
    ------
    helpstats.errors.ReliabilityError
        ``sd`` or ``reliability`` is neither given nor published for the
        scale, the direction is unknown, a value is out of range, or the
        score vectors differ in length or are not numeric.
    helpstats.errors.InstrumentError
        The instrument or its scale does not exist.

    Warns
    -----
    helpstats.errors.ProvisionalKeyWarning
        A default SD, reliability or criterion-c norm comes from a published
        value that the definition marks unverified (e.g. the PHQ-9's r = .84,
        an agreement with a 48-hour telephone re-administration).

    Examples
    --------
    SD 5 and reliability 0.84 give SEM = 2, S_diff = 2.828 and RCI = -7 /
    2.828 = -2.47 for a drop of 7 points:

    >>> import helpstats as hs
    >>> out = hs.reliable_change([18.0], [11.0], sd=5.0, reliability=0.84,
    ...                          higher_is="worse", cutoff=14.0)
    >>> round(float(out["rci"].iloc[0]), 4), out["category"].iloc[0]
    (-2.4749, 'reliably improved')
    >>> bool(out["recovered"].iloc[0])
    True
    """
    before_s = _as_series(before, "before")
    after_s = _as_series(after, "after")
    if len(before_s) != len(after_s):
        raise ReliabilityError(
            f"before has {len(before_s)} scores but after has {len(after_s)}; "
            "pass the two occasions' scores of the same people, in the same order."
        )
    after_s.index = before_s.index

    scale_def = _scale(instrument, scale) if instrument is not None else None
    direction = higher_is or (scale_def.higher_is if scale_def is not None else None)
    if direction not in ("worse", "better", None):
        raise ReliabilityError(
            f"higher_is must be 'worse' (e.g. depression) or 'better' (e.g. empowerment); "
            f"found {direction!r}."
        )
    sd_value, sd_reference = _sd(sd, scale_def, scale)
    r_value, r_statistic, r_reference = _reliability(reliability, scale_def, scale,
                                                     reliability_from)
    _warn_unverified_defaults(scale_def, scale, sd_reference, r_reference)
    c_value = cutoff if cutoff is not None else _criterion_c(scale_def)
    if cutoff is None and c_value is not None and scale_def is not None:
        _warn_unverified_norms(scale_def, scale)
    if direction is None:
        if c_value is not None:
            raise ReliabilityError(
                "a cutoff for clinically significant change needs the scale's direction; pass "
                "higher_is='worse' or 'better', or an instrument whose scale defines it."
            )
        warnings.warn(
            "the direction of the scale is unknown, so changes are labelled 'reliable increase'"
            " / 'reliable decrease'; pass higher_is='worse' (e.g. depression) or 'better' "
            "(e.g. empowerment), or instrument=, to label them improved / deteriorated.",
            UserWarning, stacklevel=2,
        )

    sem = sd_value * math.sqrt(1.0 - r_value)
    s_diff = math.sqrt(2.0) * sem
    change = after_s - before_s
    rci = change / s_diff
    improving = -1.0 if direction == "worse" else 1.0
    names = CATEGORIES if direction is not None else UNDIRECTED
    signed = rci * improving
    labels = np.where(signed > critical, names[0],
                      np.where(signed < -critical, names[2], names[1]))
    category = pd.Categorical(
        pd.Series(labels, index=rci.index).where(rci.notna()),
        categories=list(names), ordered=True,
    )
    out = pd.DataFrame(
        {"before": before_s, "after": after_s, "change": change, "rci": rci,
         "category": category},
        index=before_s.index,
    )
    if c_value is not None:
        complete = before_s.notna() & after_s.notna()
        functional_after = (after_s - c_value) * improving > 0
        functional_before = (before_s - c_value) * improving > 0
        significant = functional_after & ~functional_before
        out["clinically_significant"] = significant.where(complete).astype("boolean")
        recovered = significant & (out["category"] == CATEGORIES[0])
        out["recovered"] = recovered.where(complete).astype("boolean")
    out.attrs.update({
        "sd": sd_value, "reliability": r_value, "reliability_statistic": r_statistic,
        "sem": sem, "s_diff": s_diff, "cutoff": c_value, "higher_is": direction,
        "sd_source": _source(sd_reference), "reliability_source": _source(r_reference),
        "defaults_verified": all(ref is None or ref.verified
                                 for ref in (sd_reference, r_reference)),
        "methods": _methods_sentence(sd_value, sd_reference, r_value, r_statistic, r_reference,
                                     s_diff, critical),
    })
    return out


def _source(reference: ReferenceValue | None) -> str:
    if reference is None:
        return "given"
    flag = "verified" if reference.verified else "UNVERIFIED"
    return f"{reference.source} ({flag})"


def _warn_unverified_defaults(scale_def: Scale | None, scale: str,
                              *references: ReferenceValue | None) -> None:
    """A default taken from an unverified published value warns: it may be wrong or unsuitable."""
    unverified = [ref for ref in references if ref is not None and not ref.verified]
    if not unverified:
        return
    listed = "; ".join(
        f"{ref.statistic} = {ref.value:g} ({ref.sample + ', ' if ref.sample else ''}"
        f"source: {ref.source})" for ref in unverified
    )
    warnings.warn(
        f"reliable change for scale {scale!r} uses published default(s) that are not verified: "
        f"{listed}. Pass sd= and reliability= (e.g. your baseline SD and hs.reliability() on your"
        " data, or a value you have checked), and say in the methods where they come from.",
        ProvisionalKeyWarning, stacklevel=3,
    )


def _warn_unverified_norms(scale_def: Scale, scale: str) -> None:
    used = [next(n for n in scale_def.norms if n.population == population)
            for population in ("clinical", "functional")]
    unverified = [n for n in used if not n.verified]
    if unverified:
        listed = "; ".join(f"{n.population} mean {n.mean:g}, SD {n.sd:g} (source: {n.source})"
                           for n in unverified)
        warnings.warn(
            f"criterion c for scale {scale!r} comes from norms that are not verified: {listed}. "
            "Pass cutoff= (a value you have checked) to silence this.",
            ProvisionalKeyWarning, stacklevel=3,
        )


def _methods_sentence(sd: float, sd_reference: ReferenceValue | None, r: float, statistic: str,
                      r_reference: ReferenceValue | None, s_diff: float, critical: float) -> str:
    """One sentence for a methods section, saying where each default came from."""
    def origin(reference: ReferenceValue | None) -> str:
        if reference is None:
            return "as given"
        status = "verified" if reference.verified else "an UNVERIFIED published value"
        return f"{reference.source}; {status}"

    kind = {"test_retest": "test-retest reliability", "alpha": "Cronbach's alpha",
            "given": "reliability"}[statistic]
    return (f"Reliable change (Jacobson & Truax 1991): SD {sd:g} ({origin(sd_reference)}), "
            f"{kind} {r:g} ({origin(r_reference)}); S_diff = {s_diff:.4g}, |RCI| > {critical:g}.")


def _as_series(values: Any, name: str) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ReliabilityError(
                f"{name} is a table with {values.shape[1]} columns; pass one column of scores."
            )
        values = values.iloc[:, 0]
    series = pd.Series(values).copy() if not isinstance(values, pd.Series) else values.copy()
    try:
        return pd.to_numeric(series).astype(float)
    except (TypeError, ValueError):
        raise ReliabilityError(
            f"{name} holds non-numeric values; pass scale scores (numbers, NaN for missing)."
        ) from None


def _scale(instrument: str | Path | Instrument, scale: str) -> Scale:
    inst = load_instrument(instrument)
    try:
        return inst.scale(scale)
    except KeyError as exc:
        raise InstrumentError(str(exc.args[0]) + "; pass scale=<one of them>.") from None


def _sd(sd: float | None, scale_def: Scale | None,
        scale: str) -> tuple[float, ReferenceValue | None]:
    published = None
    if sd is None and scale_def is not None:
        published = scale_def.reference("sd")
        if published is not None:
            sd = published.value
    if sd is None:
        where = (f"scale {scale!r} publishes no 'sd' reference value" if scale_def
                 else "no instrument")
        raise ReliabilityError(
            f"no standard deviation for reliable change ({where}); pass sd=<SD of the "
            "scale in the reference population>, e.g. the baseline SD of your sample."
        )
    if not (math.isfinite(sd) and sd > 0):
        raise ReliabilityError(f"sd must be a positive number; found {sd!r}.")
    return float(sd), published


def _reliability(reliability: float | None, scale_def: Scale | None, scale: str,
                 reliability_from: Sequence[str]) -> tuple[float, str, ReferenceValue | None]:
    unknown = [s for s in reliability_from if s not in RELIABILITY_STATISTICS]
    if unknown:
        raise ReliabilityError(
            f"reliability_from has {unknown}; expected statistics among "
            f"{', '.join(RELIABILITY_STATISTICS)}."
        )
    statistic = "given"
    used = None
    if reliability is None and scale_def is not None:
        for name in reliability_from:
            published = scale_def.reference(name)
            if published is not None:
                reliability, statistic, used = published.value, name, published
                break
    if reliability is None:
        where = (f"scale {scale!r} publishes none of {', '.join(reliability_from)}"
                 if scale_def else "no instrument")
        raise ReliabilityError(
            f"no reliability for reliable change ({where}); pass reliability=<test-retest "
            "reliability or alpha of the scale>, e.g. from hs.reliability() on your baseline data."
        )
    if not (math.isfinite(reliability) and 0 <= reliability < 1):
        raise ReliabilityError(f"reliability must be in [0, 1); found {reliability!r}.")
    return float(reliability), statistic, used


def _criterion_c(scale_def: Scale | None) -> float | None:
    if scale_def is None:
        return None
    clinical = [n for n in scale_def.norms if n.population == "clinical"]
    functional = [n for n in scale_def.norms if n.population == "functional"]
    if not clinical or not functional:
        return None
    c1, c0 = clinical[0], functional[0]
    return (c0.sd * c1.mean + c1.sd * c0.mean) / (c0.sd + c1.sd)


# ----------------------------------------------------------------------------- service outcomes

RULES = ("jacobson-truax", "nhs-talking-therapies")
CHANGE = ("improved", "no reliable change", "deteriorated")
OUTCOMES = ("reliable recovery", "recovery", "reliable improvement", "no reliable change",
            "mixed change", "reliable deterioration")


def clinical_change(
    before: Any,
    after: Any,
    *,
    instrument: str | Path | Instrument | Sequence[str] | None = None,
    rule: str | Path = "jacobson-truax",
    depression: str | None = None,
    anxiety: str | None = None,
    anxiety_measure: str | None = None,
    keep: Sequence[str] = (),
    **options: Any,
) -> pd.DataFrame:
    """Per-participant clinical change under a named rule set.

    Parameters
    ----------
    before, after : pandas.DataFrame or array-like
        Scores at the start and end, paired by position (the result keeps the
        index of ``before``). For ``"jacobson-truax"`` one score per person
        (a Series/array, or a frame holding ``{instrument}_{scale}``). For
        ``"nhs-talking-therapies"`` frames holding the depression and anxiety
        scores (by default ``phq9_total`` and ``gad7_total``).
    instrument : str, optional
        ``"jacobson-truax"``: the instrument supplying SD, reliability,
        direction and norms (as :func:`reliable_change`). NHS rules: the
        depression measure of the rules (``"phq9"``) or ``None``.
    rule : {"jacobson-truax", "nhs-talking-therapies"} or path
        The rule set. The NHS Talking Therapies rules are data
        (``instruments/rules/nhs_talking_therapies.toml``: caseness PHQ-9 >= 10
        and GAD-7 >= 8, reliable change 6 and 4 points); a path loads a copy
        of that file with more anxiety measures.
    depression, anxiety : str, optional
        Columns of ``before``/``after`` holding the depression score and the
        anxiety score (the disorder-specific measure where the service records
        one). Defaults: ``{measure}_total``.
    anxiety_measure : str, optional
        Which anxiety measure the anxiety column holds: a measure id of the
        rules (``"gad7"``, the default) or the name of a column of ``before``
        holding each person's measure id (the pairing recorded by the service).
    keep : sequence of str
        Columns of ``before`` copied into the result (e.g. ``["role", "arm"]``
        for :func:`clinical_change_table`).
    **options
        Passed to :func:`reliable_change` for ``"jacobson-truax"`` (``sd``,
        ``reliability``, ``scale``, ``higher_is``, ``cutoff``, ...).

    Returns
    -------
    pandas.DataFrame
        ``"jacobson-truax"``: the columns of :func:`reliable_change` plus
        ``outcome``. NHS rules: ``depression_before, depression_after,
        anxiety_measure, anxiety_before, anxiety_after, caseness_before,
        caseness_after, depression_change, anxiety_change,
        reliable_improvement, reliable_deterioration, mixed_change, recovery,
        reliable_recovery, outcome``. Booleans are nullable: missing when a
        score is missing, and ``recovery``/``reliable_recovery`` are missing
        (outside the denominator, not False) for people not at caseness at the
        start. ``outcome`` is one of ``reliable recovery, recovery, reliable
        improvement, no reliable change, mixed change, reliable
        deterioration``. ``attrs["rules"]`` names the rule set and version.

    Raises
    ------
    helpstats.errors.ReliabilityError
        Unknown rule, missing score columns, an anxiety measure the rules do
        not define, or scores that differ in length.

    Warns
    -----
    helpstats.errors.ProvisionalKeyWarning
        The rule set is provisional (the bundled NHS rules are: the manual
        itself was not read; see the rules file's ``[verification]``), or, for
        Jacobson-Truax, a default comes from an unverified published value.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> before = pd.DataFrame({"phq9_total": [15, 8, 12], "gad7_total": [12, 5, 9]})
    >>> after = pd.DataFrame({"phq9_total": [6, 7, 20], "gad7_total": [5, 4, 5]})
    >>> import warnings
    >>> with warnings.catch_warnings():  # the rules are provisional (the manual was not read)
    ...     warnings.simplefilter("ignore")
    ...     out = hs.clinical_change(before, after, rule="nhs-talking-therapies")
    >>> out[["caseness_before", "recovery", "outcome"]]
       caseness_before  recovery                 outcome
    0             True      True       reliable recovery
    1            False      <NA>      no reliable change
    2             True     False            mixed change
    """
    if str(rule) == "jacobson-truax":
        return _jacobson_truax(before, after, instrument, keep, options)
    if options:
        raise ReliabilityError(f"options {sorted(options)} apply to rule='jacobson-truax' only.")
    if str(rule) not in RULES and not str(rule).endswith(".toml"):
        raise ReliabilityError(f"rule must be one of {', '.join(RULES)} or a rules .toml file; "
                               f"found {rule!r}.")
    try:
        rules = load_change_rules(rule)
    except InstrumentError as exc:
        raise ReliabilityError(str(exc)) from None
    return _service_rules(before, after, rules, instrument, depression, anxiety, anxiety_measure,
                          keep)


def _frame(values: Any, name: str) -> pd.DataFrame:
    if isinstance(values, pd.DataFrame):
        return values
    raise ReliabilityError(f"{name} must be a DataFrame of scores for the service rules; "
                           f"found {type(values).__name__}.")


def _kept(before: Any, keep: Sequence[str]) -> pd.DataFrame:
    if not keep:
        return pd.DataFrame(index=before.index if hasattr(before, "index") else None)
    frame = _frame(before, "before")
    absent = [c for c in keep if c not in frame.columns]
    if absent:
        raise ReliabilityError(f"keep names column(s) {absent} that are not in before.")
    return frame[list(keep)].copy()


def _jacobson_truax(before: Any, after: Any, instrument: Any, keep: Sequence[str],
                    options: dict[str, Any]) -> pd.DataFrame:
    column = None
    if instrument is not None:
        inst = load_instrument(instrument)
        column = f"{inst.id}_{options.get('scale', 'total')}"
    pair = []
    for values, name in ((before, "before"), (after, "after")):
        if isinstance(values, pd.DataFrame) and values.shape[1] != 1:
            if column is None or column not in values.columns:
                raise ReliabilityError(f"{name} is a table without the score column {column!r}; "
                                       "pass instrument= and scale=, or one column of scores.")
            values = values[column]
        pair.append(values)
    out = reliable_change(pair[0], pair[1], instrument=instrument, **options)
    outcome = out["category"].astype(object)
    if "recovered" in out.columns:
        outcome = outcome.where(~out["recovered"].fillna(False).astype(bool), "recovered")
    out["outcome"] = outcome
    for name in keep:
        out[name] = _kept(before, keep)[name].to_numpy()
    out.attrs["rules"] = "Jacobson & Truax 1991 (reliable change index, criterion c)"
    return out


def _scores(frame: pd.DataFrame, column: str, name: str) -> pd.Series:
    if column not in frame.columns:
        raise ReliabilityError(f"{name} has no column {column!r}; pass depression=/anxiety= "
                               f"naming the score columns (columns: {list(frame.columns)[:12]}).")
    return _as_series(frame[column], f"{name}[{column!r}]")


def _per_row_measures(before: pd.DataFrame, rules: ChangeRules,
                      anxiety_measure: str | None) -> pd.Series:
    chosen = anxiety_measure or "gad7"
    if chosen in rules.anxiety:
        return pd.Series(chosen, index=before.index, dtype=object)
    if chosen in before.columns:
        measures = before[chosen].astype(object).where(before[chosen].notna())
        unknown = sorted({str(m) for m in measures.dropna() if m not in rules.anxiety})
        if unknown:
            raise ReliabilityError(
                f"column {chosen!r} names anxiety measure(s) {unknown} that the rules "
                f"{rules.id!r} do not define (they define {', '.join(rules.anxiety)}); add their "
                "caseness and reliable-change thresholds to a copy of the rules file.")
        return measures
    raise ReliabilityError(f"anxiety_measure {chosen!r} is neither a measure of the rules "
                           f"({', '.join(rules.anxiety)}) nor a column of before.")


def _reliable(change: pd.Series, thresholds: pd.Series) -> pd.Series:
    """'improved' (a fall of at least the criterion), 'deteriorated' (a rise), or neither."""
    labels = np.where(-change >= thresholds, CHANGE[0],
                      np.where(change >= thresholds, CHANGE[2], CHANGE[1]))
    return pd.Series(labels, index=change.index, dtype=object).where(change.notna())


def _service_rules(before: Any, after: Any, rules: ChangeRules, instrument: Any,
                   depression: str | None, anxiety: str | None, anxiety_measure: str | None,
                   keep: Sequence[str]) -> pd.DataFrame:
    before_f, after_f = _frame(before, "before"), _frame(after, "after")
    if len(before_f) != len(after_f):
        raise ReliabilityError(f"before has {len(before_f)} rows but after has {len(after_f)}; "
                               "pass the same people in the same order.")
    dep = rules.depression
    if instrument is not None:
        named = [instrument] if isinstance(instrument, str | Path | Instrument) else list(instrument)
        ids = [load_instrument(i).id for i in named]
        if ids[0] != dep.measure or any(i not in rules.anxiety for i in ids[1:]):
            raise ReliabilityError(f"the rules {rules.id!r} pair {dep.measure} with "
                                   f"{', '.join(rules.anxiety)}; found instrument={ids}.")
    measures = _per_row_measures(before_f, rules, anxiety_measure)
    constant = anxiety_measure is None or anxiety_measure in rules.anxiety
    if anxiety is None:
        if not constant:
            raise ReliabilityError("with a per-person anxiety measure, name the column holding "
                                   "its score: anxiety=<column>.")
        anxiety = f"{measures.iloc[0] if len(measures) else 'gad7'}_total"
    dep_col = depression or f"{dep.measure}_total"
    d0, d1 = _scores(before_f, dep_col, "before"), _scores(after_f, dep_col, "after")
    a0, a1 = _scores(before_f, anxiety, "before"), _scores(after_f, anxiety, "after")
    index = before_f.index
    d1.index = a0.index = a1.index = index
    anx_case = measures.map(lambda m: rules.anxiety[m].caseness if m in rules.anxiety else np.nan)
    anx_rc = measures.map(lambda m: rules.anxiety[m].reliable_change
                          if m in rules.anxiety else np.nan).astype(float)
    complete = d0.notna() & d1.notna() & a0.notna() & a1.notna() & measures.notna()

    def case(dep_score: pd.Series, anx_score: pd.Series) -> pd.Series:
        return (dep_score >= dep.caseness) | (anx_score >= anx_case.astype(float))

    case_before = case(d0, a0)
    case_after = case(d1, a1)
    dep_change = _reliable(d1 - d0, pd.Series(dep.reliable_change, index=index))
    anx_change = _reliable(a1 - a0, anx_rc)
    improved = (dep_change == CHANGE[0]) | (anx_change == CHANGE[0])
    deteriorated = (dep_change == CHANGE[2]) | (anx_change == CHANGE[2])
    reliable_improvement = improved & ~deteriorated
    reliable_deterioration = deteriorated & ~improved
    mixed = improved & deteriorated
    recovery = case_before & ~case_after
    reliable_recovery = recovery & reliable_improvement

    def boolean(values: pd.Series, valid: pd.Series) -> pd.Series:
        return values.astype(bool).where(valid).astype("boolean")

    at_case = complete & case_before
    outcome = np.select(
        [reliable_recovery & at_case, recovery & at_case, reliable_improvement, mixed,
         reliable_deterioration],
        [OUTCOMES[0], OUTCOMES[1], OUTCOMES[2], OUTCOMES[4], OUTCOMES[5]],
        default=OUTCOMES[3],
    )
    out = pd.DataFrame({
        "depression_before": d0, "depression_after": d1,
        "anxiety_measure": measures,
        "anxiety_before": a0, "anxiety_after": a1,
        "caseness_before": boolean(case_before, complete),
        "caseness_after": boolean(case_after, complete),
        "depression_change": dep_change.where(complete),
        "anxiety_change": anx_change.where(complete),
        "reliable_improvement": boolean(reliable_improvement, complete),
        "reliable_deterioration": boolean(reliable_deterioration, complete),
        "mixed_change": boolean(mixed, complete),
        "recovery": boolean(recovery, at_case),
        "reliable_recovery": boolean(reliable_recovery, at_case),
        "outcome": pd.Categorical(pd.Series(outcome, index=index).where(complete),
                                  categories=list(OUTCOMES)),
    }, index=index)
    for name in keep:
        out[name] = _kept(before_f, keep)[name].to_numpy()
    out.attrs["rules"] = f"{rules.name} (helpstats rules {rules.id} {rules.version})"
    out.attrs["rules_verification"] = rules.verification.status
    if rules.verification.status != "verified":
        warnings.warn(
            f"service-outcome rules {rules.id!r} are provisional: "
            + "; ".join(u.rstrip(".") for u in rules.verification.unverified) + ".",
            ProvisionalKeyWarning, stacklevel=3,
        )
    return out


@keyword_only("by")
def clinical_change_table(result: pd.DataFrame, *, by: str | Sequence[str] | None = None
                          ) -> pd.DataFrame:
    """Counts and percentages of each clinical-change outcome, by group (e.g. role x arm).

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`clinical_change` (with the ``by`` columns, e.g.
        via ``keep=["role", "arm"]``).
    by : str or list of str, optional
        Grouping columns of ``result``.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``n`` (people in the group),
        then for every yes/no outcome column ``{name}_n`` (yes), ``{name}_of``
        (its denominator: people with that outcome defined - for recovery,
        those at caseness at the start) and ``{name}_pct``; and ``n_{outcome}``
        for each ``outcome`` category.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> before = pd.DataFrame({"phq9_total": [15, 8, 12, 14], "gad7_total": [12, 5, 9, 3],
    ...                        "arm": ["a", "a", "b", "b"]})
    >>> after = pd.DataFrame({"phq9_total": [6, 7, 20, 7], "gad7_total": [5, 4, 6, 3]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     out = hs.clinical_change(before, after, rule="nhs-talking-therapies", keep=["arm"])
    >>> table = hs.clinical_change_table(out, by="arm")
    >>> table[["arm", "n", "recovery_n", "recovery_of", "recovery_pct"]]
      arm  n  recovery_n  recovery_of  recovery_pct
    0   a  2           1            1         100.0
    1   b  2           1            2          50.0
    """
    names = [] if by is None else ([by] if isinstance(by, str) else list(by))
    absent = [n for n in names if n not in result.columns]
    if absent:
        raise ReliabilityError(f"by names column(s) {absent} that are not in the result; "
                               "copy them with clinical_change(..., keep=[...]).")
    flags = [c for c in result.columns if str(result[c].dtype) == "boolean" and c not in names]
    groups = ([((), result)] if not names else
              [((k if isinstance(k, tuple) else (k,)), g)
               for k, g in result.groupby(names, dropna=False, observed=True, sort=True)])
    rows = []
    for key, group in groups:
        row: dict[str, Any] = dict(zip(names, key, strict=True))
        row["n"] = len(group)
        for flag in flags:
            defined = group[flag].notna()
            yes = int(group[flag].fillna(False).astype(bool).sum())
            row[f"{flag}_n"] = yes
            row[f"{flag}_of"] = int(defined.sum())
            row[f"{flag}_pct"] = 100.0 * yes / defined.sum() if defined.sum() else math.nan
        if "outcome" in group.columns:
            counts = group["outcome"].value_counts(dropna=True)
            categories = (list(group["outcome"].cat.categories)
                          if isinstance(group["outcome"].dtype, pd.CategoricalDtype)
                          else sorted(counts.index.astype(str)))
            for category in categories:
                row[f"n_{category}"] = int(counts.get(category, 0))
        rows.append(row)
    return pd.DataFrame(rows)
