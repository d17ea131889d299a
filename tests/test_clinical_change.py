"""clinical_change: NHS Talking Therapies rules (data file) and Jacobson-Truax; the tables by group."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.change_rules import load_change_rules
from helpstats.errors import InstrumentError, ProvisionalKeyWarning, ReliabilityError

RULES = Path(__file__).resolve().parent.parent / "instruments" / "rules" / "nhs_talking_therapies.toml"

# Each row is hand-classified from the rules: caseness PHQ-9 >= 10 or GAD-7 >= 8; reliable change
# PHQ-9 >= 6, GAD-7 >= 4 points; recovery only for people at caseness at the start.
BEFORE = pd.DataFrame({
    "phq9_total": [15, 8, 12, 10, 9, 20, 20, 14],
    "gad7_total": [12, 5, 9, 7, 8, 15, 3, 10],
    "arm": ["a", "a", "a", "a", "b", "b", "b", "b"],
    "role": ["helper", "helpee", "helper", "helpee", "helper", "helpee", "helper", "helpee"],
})
AFTER = pd.DataFrame({
    "phq9_total": [6, 7, 20, 9, 9, 14, 15, None],
    "gad7_total": [5, 4, 5, 7, 12, 15, 3, 4],
})
EXPECTED = [
    # case before, recovery, reliable improvement, reliable deterioration, mixed, outcome
    (True, True, True, False, False, "reliable recovery"),      # -9 and -7; below both after
    (False, None, False, False, False, "no reliable change"),   # 8 / 5: not a case -> no recovery
    (True, False, False, False, True, "mixed change"),          # PHQ +8 (worse), GAD -4 (better)
    (True, True, False, False, False, "recovery"),              # 10 -> 9, 7 -> 7: recovered, -1 only
    (True, False, False, True, False, "reliable deterioration"),  # GAD 8 -> 12 (+4)
    (True, False, True, False, False, "reliable improvement"),  # PHQ -6 exactly; still a case
    (True, False, False, False, False, "no reliable change"),   # PHQ -5: not reliable
    (None, None, None, None, None, None),                        # PHQ after missing
]


def nhs(before: pd.DataFrame = BEFORE, after: pd.DataFrame = AFTER, **options: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        return hs.clinical_change(before, after, rule="nhs-talking-therapies", **options)


def as_list(series: pd.Series) -> list[object]:
    return [None if pd.isna(v) else (bool(v) if isinstance(v, bool) or str(series.dtype) == "boolean"
                                     else v) for v in series]


def test_rules_are_data() -> None:
    rules = load_change_rules("nhs-talking-therapies")
    assert (rules.depression.caseness, rules.depression.reliable_change) == (10.0, 6.0)
    assert (rules.anxiety["gad7"].caseness, rules.anxiety["gad7"].reliable_change) == (8.0, 4.0)
    assert rules.verification.status == "provisional" and rules.verification.unverified
    assert "Manual" in rules.citation


def test_each_rule_per_participant() -> None:
    out = nhs()
    columns = ["caseness_before", "recovery", "reliable_improvement", "reliable_deterioration",
               "mixed_change"]
    for row, expected in enumerate(EXPECTED):
        got = tuple(as_list(out[c])[row] for c in columns) + (as_list(out["outcome"])[row],)
        assert got == expected, row
    assert out["depression_change"].tolist()[:3] == ["improved", "no reliable change", "deteriorated"]


def test_not_at_caseness_is_outside_the_recovery_denominator() -> None:
    out = nhs()
    assert pd.isna(out.loc[1, "recovery"]) and pd.isna(out.loc[1, "reliable_recovery"])
    assert out.loc[1, "reliable_improvement"] is False or not out.loc[1, "reliable_improvement"]


def test_provisional_rules_warn() -> None:
    with pytest.warns(ProvisionalKeyWarning, match="paired rule for mixed change"):
        hs.clinical_change(BEFORE, AFTER, rule="nhs-talking-therapies")


def test_table_by_role_and_arm() -> None:
    table = nhs(keep=["arm", "role"]).pipe(hs.clinical_change_table, by=["arm", "role"])
    a_helper = table[(table["arm"] == "a") & (table["role"] == "helper")].iloc[0]
    # rows 0 and 2: both at caseness; row 0 recovered, row 2 not
    assert (a_helper["n"], a_helper["recovery_n"], a_helper["recovery_of"]) == (2, 1, 2)
    assert a_helper["recovery_pct"] == 50.0
    a_helpee = table[(table["arm"] == "a") & (table["role"] == "helpee")].iloc[0]
    # rows 1 and 3: only row 3 at caseness -> denominator 1
    assert (a_helpee["recovery_n"], a_helpee["recovery_of"]) == (1, 1)
    b_helpee = table[(table["arm"] == "b") & (table["role"] == "helpee")].iloc[0]
    # rows 5 and 7: row 7 has a missing score -> outside every denominator
    assert (b_helpee["reliable_improvement_n"], b_helpee["reliable_improvement_of"]) == (1, 1)
    assert b_helpee["n_reliable improvement"] == 1
    overall = hs.clinical_change_table(nhs())
    assert (overall.loc[0, "recovery_n"], overall.loc[0, "recovery_of"]) == (2, 6)


def test_anxiety_measure_as_a_column(tmp_path: Path) -> None:
    text = RULES.read_text(encoding="utf-8").replace(
        "[rules]", "[anxiety.spin]\ncaseness = 19\nreliable_change = 10\n\n[rules]")
    rules = tmp_path / "rules.toml"
    rules.write_text(text, encoding="utf-8")
    before = pd.DataFrame({"phq9_total": [5, 5], "adsm": ["gad7", "spin"], "anx": [9, 25]})
    after = pd.DataFrame({"phq9_total": [5, 5], "anx": [4, 15]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        out = hs.clinical_change(before, after, rule=rules, anxiety="anx", anxiety_measure="adsm")
    # GAD-7 9 -> 4: case, improved by 5 >= 4, below 8 after; SPIN 25 -> 15: case (>= 19),
    # improved by 10 >= 10, below 19 after: both reliably recovered
    assert out["outcome"].tolist() == ["reliable recovery", "reliable recovery"]
    with pytest.raises(ReliabilityError, match="do not define"):
        nhs(before, after, anxiety="anx", anxiety_measure="adsm")  # bundled rules: GAD-7 only
    with pytest.raises(ReliabilityError, match="anxiety=<column>"):
        nhs(before.assign(adsm="gad7"), after, anxiety_measure="adsm")


def test_bad_inputs() -> None:
    with pytest.raises(ReliabilityError, match="rule must be one of"):
        hs.clinical_change(BEFORE, AFTER, rule="iapt")
    with pytest.raises(ReliabilityError, match="no column 'gad7_total'"):
        nhs(BEFORE, AFTER.drop(columns="gad7_total"))
    with pytest.raises(ReliabilityError, match="pair phq9 with gad7"):
        nhs(instrument="gad7")
    with pytest.raises(ReliabilityError, match="jacobson-truax"):
        nhs(sd=3.0)


def test_broken_rules_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(RULES.read_text(encoding="utf-8").replace(
        'recovery = "case_before_neither_after"', 'recovery = "any"'), encoding="utf-8")
    with pytest.raises(InstrumentError, match="rules.recovery"):
        load_change_rules(bad)


def test_jacobson_truax_with_instrument_norms() -> None:
    before = pd.DataFrame({"core10_total": [20.0, 20.0, 12.0]})
    after = pd.DataFrame({"core10_total": [9.0, 14.0, 10.0]})
    with pytest.warns(ProvisionalKeyWarning, match="criterion c"):
        out = hs.clinical_change(before, after, instrument="core10", sd=7.7, reliability=0.9)
    # c = (4.8 x 19.7 + 7.7 x 4.7) / (4.8 + 7.7) = 10.46; S_diff = sqrt(2) x 7.7 x sqrt(0.1) = 3.4435
    assert math.isclose(out.attrs["cutoff"], 130.75 / 12.5)
    assert math.isclose(out.attrs["s_diff"], math.sqrt(2) * 7.7 * math.sqrt(0.1))
    # -11 / 3.4435 = -3.19 reliable and below c; -6 / 3.4435 = -1.74 not reliable; 12 -> 10 crosses
    # c but RCI -0.58: clinically significant, not recovered
    assert out["outcome"].tolist() == ["recovered", "no reliable change", "no reliable change"]
    assert out["clinically_significant"].tolist() == [True, False, True]

scores = st.lists(st.tuples(st.integers(0, 27), st.integers(0, 21), st.integers(0, 27), st.integers(0, 21)),
                  min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(scores)
def test_nhs_rules_invariants(rows: list[tuple[int, int, int, int]]) -> None:
    before = pd.DataFrame({"phq9_total": [r[0] for r in rows], "gad7_total": [r[1] for r in rows]})
    after = pd.DataFrame({"phq9_total": [r[2] for r in rows], "gad7_total": [r[3] for r in rows]})
    out = nhs(before, after)
    case0 = (before["phq9_total"] >= 10) | (before["gad7_total"] >= 8)
    case1 = (after["phq9_total"] >= 10) | (after["gad7_total"] >= 8)
    assert out["caseness_before"].astype(bool).tolist() == case0.tolist()
    # recovery is defined exactly for people at caseness at the start
    assert out["recovery"].isna().tolist() == (~case0).tolist()
    assert out["recovery"].dropna().astype(bool).tolist() == (~case1[case0]).tolist()
    ri, rd, mixed = (out[c].astype(bool) for c in ("reliable_improvement", "reliable_deterioration",
                                                   "mixed_change"))
    assert not (ri & rd).any() and not (mixed & (ri | rd)).any()
    rr = out["reliable_recovery"].dropna().astype(bool)
    assert (rr == (out["recovery"].dropna().astype(bool) & ri[case0])).all()
    d = after["phq9_total"] - before["phq9_total"]
    g = after["gad7_total"] - before["gad7_total"]
    assert ri.tolist() == (((d <= -6) | (g <= -4)) & ~((d >= 6) | (g >= 4))).tolist()
