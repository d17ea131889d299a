"""Key findings in plain language, written from the model results (never by hand).

For each outcome of a study with a comparison (``[model] by``), the finding
is the *difference in change* from the baseline wave to the last wave
between each group and the reference group (the first level: "neither" for
helping roles), with its confidence interval: under treatment contrasts and
a model whose terms in the group and the wave are ``by + wave + by:wave``
(covariates may be added), that difference is the coefficient
``<by><group>:<wave><last>`` (R's and helpstats' naming), with its
Satterthwaite df. The direction word follows the scale: on a scale where
higher is worse (PHQ-9, GAD-7) a larger fall is a larger improvement; where
higher is better (WHO-5) a larger rise is. The omnibus Type III test of
``by:wave`` (``fit.anova()``) says whether change over time differed between
the groups at all. Roles are chosen, not randomised, and the findings say so.

When the model has another form, no finding is written for that outcome and
the reason is given instead.

Examples
--------
>>> direction(-2.14, "worse"), direction(2.14, "worse"), direction(1.0, "better")
('improved by 2.1 points more than', 'improved by 2.1 points less than', 'improved by 1.0 points more than')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ._level import interval, level_text
from .figures import label_of, level_of

__all__ = ["Finding", "direction", "findings", "findings_text", "higher_is_of", "units_of"]

#: How a helping role reads in a sentence.
ROLE_WORDS = {
    "neither": "members who did neither",
    "helpee": "members who mainly received help",
    "helper": "members who mainly gave help",
    "dual": "members who both gave and received help",
}

ROLE_CAVEAT = (
    "Roles were not randomised: members chose how much help to give and receive, so these "
    "differences may reflect who takes up each role (and other differences between them) "
    "rather than an effect of helping itself."
)


@dataclass(frozen=True)
class Finding:
    """One group compared with the reference on one outcome (difference in change).

    ``estimate`` is on the outcome's scale (group change minus reference change,
    baseline to ``last``); ``lower``/``upper`` at ``level``.
    """

    outcome: str
    group: Any
    reference: Any
    baseline: Any
    last: Any
    estimate: float
    se: float
    df: float
    lower: float
    upper: float
    p: float
    level: float
    higher_is: str | None


def direction(estimate: float, higher_is: str | None, unit: str = "points") -> str:
    """``"improved by 2.1 points more than"`` (or ``less than``; ``rose``/``fell`` when the
    better direction of the scale is not known)."""
    size = f"{abs(estimate):.1f} {unit}"
    if higher_is in ("worse", "better"):
        better = estimate < 0 if higher_is == "worse" else estimate > 0
        return f"improved by {size} {'more' if better else 'less'} than"
    return f"{'rose' if estimate > 0 else 'fell'} by {size} more than"


def _text(value: Any) -> str:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def findings(fit: Any, *, outcome: str, by: str, wave: str, higher_is: str | None = None,
             level: float = 0.95) -> tuple[list[Finding], str | None]:
    """The difference in change of each group versus the reference, or why there is none.

    Returns
    -------
    findings : list of Finding
    reason : str or None
        Why no finding was written (the model's form), else ``None``.
    """
    family = getattr(fit, "family", None)
    name = str(getattr(family, "name", family or "gaussian")).lower()
    if name != "gaussian":
        return [], (f"the model is a {name} GLMM, whose differences are on its link scale, "
                    "not in points of the outcome.")
    spec = fit.spec
    groups = spec.factor_levels(by)
    waves = spec.factor_levels(wave)
    if groups is None or waves is None or len(groups) < 2 or len(waves) < 2:
        return [], f"{by} and {wave} are not both factors with two or more levels in the model."
    interaction = f"{by}:{wave}"
    involved = {t for t in spec.terms if by in t.split(":") or wave in t.split(":")}
    if involved != {by, wave, interaction} or not spec.has_only_treatment_contrasts:
        return [], (f"the model is not of the form {by} * {wave} (+ covariates) with treatment "
                    "contrasts, so the difference in change is not one coefficient.")
    table = fit.fixed.set_index("term")
    out = []
    for g in groups[1:]:
        name = f"{by}{_text(g)}:{wave}{_text(waves[-1])}"
        if name not in table.index:
            return [], f"the coefficient {name} is not in the model (dropped as collinear?)."
        row = table.loc[name]
        est, se = float(row["estimate"]), float(row["se"])
        df = float(row["df"]) if "df" in row.index else float("inf")
        lower, upper = interval(est, se, df, level)
        out.append(Finding(outcome=outcome, group=g, reference=groups[0], baseline=waves[0],
                           last=waves[-1], estimate=est, se=se, df=df, lower=float(lower),
                           upper=float(upper), p=float(row.get("p", float("nan"))), level=level,
                           higher_is=higher_is))
    return out, None


def _who(labels: Any, by: str, value: Any, roles: bool) -> str:
    if roles and str(value) in ROLE_WORDS:
        return ROLE_WORDS[str(value)]
    return f"members in the {label_of(labels, by).lower()} group {level_of(labels, by, value)}"


def _p(p: float) -> str:
    from .tables import format_p

    text = format_p(p)
    if not text:
        return "p not available"
    return f"p {text}" if text.startswith(("<", ">")) else f"p = {text}"


def findings_text(
    fits: Mapping[str, Any],
    *,
    by: str | None,
    wave: str,
    higher_is: Mapping[str, str],
    labels: Any = None,
    roles: bool = False,
    flow: pd.DataFrame | None = None,
    units: Mapping[str, str] | None = None,
    level: float = 0.95,
) -> list[str]:
    """The key-findings paragraphs of the report, from the fits (and the flow counts).

    Parameters
    ----------
    fits : mapping of str to fit
        Outcome to its mixed model.
    by : str or None
        The comparison column (no comparison findings without it).
    wave : str
    higher_is : mapping of str to str
        Outcome to ``"worse"`` or ``"better"`` (from its instrument).
    labels : optional
        Labels (see :mod:`helpstats.figures`).
    roles : bool
        ``by`` is the helping role: plain words for the roles and the caveat
        that roles are not randomised.
    flow : pandas.DataFrame, optional
        :func:`helpstats.flow_counts`: a sentence on how many took part and stayed.
    units : mapping of str to str, optional
        Outcome to the unit of its points (``"PHQ-9 points"``).
    level : float, default 0.95

    Returns
    -------
    list of str
    """
    paragraphs: list[str] = []
    pct = level_text(level)
    if flow is not None:
        overall = flow[flow["group"] == "Overall"]
        enrolled = int(overall.loc[overall["step"] == "enrolled", "n"].iloc[0])
        assessed = overall[overall["step"] == "assessed"]
        if len(assessed) > 1:
            last = assessed.iloc[-1]
            share = 100 * int(last["n"]) / enrolled if enrolled else float("nan")
            paragraphs.append(
                f"{enrolled} members took part; {int(last['n'])} ({share:.0f}%) answered at "
                f"the last assessment ({label_of(labels, wave).lower()}: "
                f"{level_of(labels, wave, last['wave'])}).")
    if by is None:
        return paragraphs
    for outcome, fit in fits.items():
        what = label_of(labels, outcome)
        unit = (units or {}).get(outcome, "points")
        found, reason = findings(fit, outcome=outcome, by=by, wave=wave,
                                 higher_is=higher_is.get(outcome), level=level)
        if reason is not None:
            paragraphs.append(f"{what}: no plain-language comparison is written because {reason}"
                              " See the outcome and model tables.")
            continue
        better = higher_is.get(outcome)
        scale_note = (f"; {'higher' if better == 'worse' else 'lower'} scores mean more "
                      "symptoms or problems" if better in ("worse", "better") else "")
        first = found[0]
        sentences = [f"{what}, from the first assessment to the last "
                     f"({label_of(labels, wave).lower()}: {level_of(labels, wave, first.baseline)} "
                     f"to {level_of(labels, wave, first.last)}{scale_note}):"]
        for f in found:
            sentences.append(_sentence(f, labels, by, roles, unit, pct))
        omnibus = _omnibus(fit, by, wave, "roles" if roles else "groups")
        paragraphs.append(" ".join(sentences) + omnibus)
    if roles:
        paragraphs.append(ROLE_CAVEAT)
    else:
        paragraphs.append(f"If {label_of(labels, by).lower()} was not assigned at random, "
                          "differences between the groups may reflect who was in each group "
                          "rather than an effect of the group itself.")
    return paragraphs


def _sentence(f: Finding, labels: Any, by: str, roles: bool, unit: str, pct: str) -> str:
    """One comparison; its CI is of the amount the sentence states (improved more, or less)."""
    sign = 1.0 if (f.estimate >= 0) else -1.0
    low, high = sorted((sign * f.lower, sign * f.upper))
    doubt = ("" if f.lower > 0 or f.upper < 0 else
             "; the interval includes no difference, so the data are also consistent with none")
    who = _who(labels, by, f.group, roles)
    return (f"{who[:1].upper()}{who[1:]} {direction(f.estimate, f.higher_is, unit)} "
            f"{_who(labels, by, f.reference, roles)} ({pct} CI {low:.1f} to {high:.1f}; "
            f"{_p(f.p)}{doubt}).")


def _omnibus(fit: Any, by: str, wave: str, groups: str) -> str:
    """One sentence on the Type III test of ``by:wave`` (empty when there is none)."""
    try:
        table = fit.anova()
    except Exception:  # a family without Type III tests: the sentence is left out
        return ""
    rows = table[table["term"] == f"{by}:{wave}"]
    if rows.empty:
        return ""
    row = rows.iloc[0]
    word = "differed" if float(row["p"]) < 0.05 else "did not clearly differ"
    return (f" Taken together, change over time {word} between the {groups} (F({int(row['num_df'])}, "
            f"{float(row['den_df']):.1f}) = {float(row['F']):.2f}, {_p(float(row['p']))}).")


def units_of(study: Any) -> dict[str, str]:
    """Outcome column to the unit of its points (``"PHQ-9 points"``), from the instruments."""
    out = {}
    for spec in study.instruments:
        inst = spec.instrument
        for scale in inst.scales:
            name = inst.abbreviation or inst.id
            out[f"{inst.id}_{scale.id}"] = (f"{name} points" if len(inst.scales) == 1
                                            or scale.id == "total" else f"{name} {scale.id} points")
    return out


def higher_is_of(study: Any) -> dict[str, str]:
    """Outcome column to ``higher_is`` (``"worse"``/``"better"``) of its scale."""
    return {f"{spec.instrument.id}_{scale.id}": scale.higher_is
            for spec in study.instruments for scale in spec.instrument.scales}
