"""table_one checked value by value against hand computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import helpstats as hs
from helpstats.errors import TableError

# arm a: age 20, 30, 40 (mean 30, SD 10); arm b: 25, 35, NA, 45 (mean 35, SD 10);
# one participant without an arm (age 50) counts in Overall only.
DATA = pd.DataFrame({
    "arm": ["a", "a", "a", "b", "b", "b", "b", None],
    "age": [20, 30, 40, 25, 35, None, 45, 50],
    "score": [1, 2, 9, 4, 4, 6, 8, 3],
    "sex": ["f", "m", "f", "f", "f", None, "m", "f"],
})


def row(table: pd.DataFrame, variable: str, group: str, level: str | None = None) -> pd.Series:
    hit = table[(table["variable"] == variable) & (table["group"] == group)]
    if level is not None:
        hit = hit[hit["level"] == level]
    assert len(hit) == 1
    return hit.iloc[0]


def test_counts_and_numeric_summaries() -> None:
    t1 = hs.table_one(DATA, by="arm", variables=["age", "sex"])
    assert t1.attrs["groups"] == ["a", "b", "Overall"]
    assert t1.attrs["n_group_missing"] == 1
    assert [row(t1, "n", g)["n"] for g in ["a", "b", "Overall"]] == [3, 4, 8]
    a, b, overall = (row(t1, "age", g) for g in ["a", "b", "Overall"])
    assert (a["n"], a["mean"], a["sd"], a["missing"]) == (3, 30.0, 10.0, 0)
    assert (b["n"], b["mean"], b["sd"], b["missing"]) == (3, 35.0, 10.0, 1)
    # Overall: 20 30 40 25 35 45 50, mean 35, squared deviations sum 700 -> SD sqrt(700/6)
    assert overall["n"] == 7 and overall["mean"] == 35.0
    assert overall["sd"] == pytest.approx(math.sqrt(700 / 6), rel=1e-12)
    assert overall["missing"] == 1


def test_categorical_levels_percent_of_answered() -> None:
    t1 = hs.table_one(DATA, by="arm", variables=["sex"])
    assert row(t1, "sex", "a", "f")[["n", "pct"]].tolist() == [2, pytest.approx(200 / 3)]
    assert row(t1, "sex", "b", "f")[["n", "pct", "missing"]].tolist() == [
        2, pytest.approx(200 / 3), 1]
    assert row(t1, "sex", "b", "m")["n"] == 1
    assert row(t1, "sex", "Overall", "f")[["n", "pct"]].tolist() == [5, pytest.approx(500 / 7)]


def test_nonnormal_quartiles_type7() -> None:
    t1 = hs.table_one(DATA, by="arm", variables=["score"], nonnormal=["score"])
    # a: 1 2 9 -> Q1 1.5, median 2, Q3 5.5;  b: 4 4 6 8 -> Q1 4, median 5, Q3 6.5
    assert row(t1, "score", "a")[["q1", "median", "q3"]].tolist() == [1.5, 2.0, 5.5]
    assert row(t1, "score", "b")[["q1", "median", "q3"]].tolist() == [4.0, 5.0, 6.5]
    assert np.isnan(row(t1, "score", "a")["mean"])


def test_pvalues_name_their_test() -> None:
    t1 = hs.table_one(DATA, by="arm", variables=["age", "score", "sex"], nonnormal=["score"],
                      pvalues=True)
    age = row(t1, "age", "Overall")
    # SS between 3*2.5^2*2 = 37.5 on 1 df, SS within 400 on 4 df -> F = 0.375
    assert age["test"] == "ANOVA"
    assert age["statistic"] == pytest.approx(0.375, rel=1e-12)
    assert age["p"] == pytest.approx(stats.f.sf(0.375, 1, 4), rel=1e-12)
    score = row(t1, "score", "a")
    # ranks a: 1 2 7, b: 3.5 3.5 5 6 -> H = 0.5, tie correction 1 - 6/336
    assert score["test"] == "Kruskal-Wallis"
    assert score["statistic"] == pytest.approx(0.5 / (1 - 6 / 336), rel=1e-12)
    sex = row(t1, "sex", "b", "m")
    # 2 x 2 [[2, 1], [2, 1]] with expected counts below 5 -> Fisher, p = 1
    assert sex["test"] == "Fisher's exact"
    assert sex["p"] == pytest.approx(1.0)


def test_chi_square_for_larger_tables() -> None:
    df = pd.DataFrame({"g": ["x"] * 30 + ["y"] * 30,
                       "c": ["u"] * 10 + ["v"] * 10 + ["w"] * 10 + ["u"] * 20 + ["v"] * 10})
    t1 = hs.table_one(df, by="g", variables=["c"], pvalues=True)
    first = t1[t1["variable"] == "c"].iloc[0]
    # expected 15, 10, 5 per row: chi2 = 2 * (25/15 + 0 + 25/5) = 13.333, df 2 -> p = exp(-chi2/2)
    assert first["test"] == "Chi-square"
    assert first["statistic"] == pytest.approx(40 / 3, rel=1e-12)
    assert first["p"] == pytest.approx(math.exp(-20 / 3), rel=1e-10)
    assert row(t1, "c", "y", "w")[["n", "pct"]].tolist() == [0, 0.0]


def test_without_by_and_data_untouched() -> None:
    before = DATA.copy()
    t1 = hs.table_one(DATA, variables=["age"])
    pd.testing.assert_frame_equal(DATA, before)
    assert t1["group"].unique().tolist() == ["Overall"]
    assert row(t1, "age", "Overall")["mean"] == 35.0


def test_categorical_override_and_bool() -> None:
    df = pd.DataFrame({"g": ["a", "b", "b"], "code": [1, 2, 2], "flag": [True, False, True]})
    t1 = hs.table_one(df, by="g", variables=["code", "flag"], categorical=["code"])
    assert set(t1.loc[t1["variable"] == "code", "summary"]) == {"n_pct"}
    assert row(t1, "flag", "b", "True")["n"] == 1


def test_format_table_one() -> None:
    t1 = hs.table_one(DATA, by="arm", variables=["age", "score", "sex"], nonnormal=["score"],
                      pvalues=True)
    shown = hs.format_table(t1)
    assert list(shown.columns) == ["Characteristic", "Level", "a", "b", "Overall", "Test", "p"]
    by_var = shown.set_index("Characteristic")
    assert by_var.loc["Age, mean (SD)", "a"] == "30.00 (10.00)"
    assert by_var.loc["Age, mean (SD)", "Test"] == "ANOVA"
    assert by_var.loc["Age, mean (SD)", "p"] == f"{stats.f.sf(0.375, 1, 4):.3f}"[1:]
    assert by_var.loc["Score, median [Q1, Q3]", "b"] == "5.00 [4.00, 6.50]"
    levels = shown[shown["Characteristic"] == ""].set_index("Level")
    assert levels.loc["f", "Overall"] == "5 (71.4)"
    assert levels.loc["missing"].iloc[0]["b"] == "1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"by": "nope", "variables": ["age"]}, "nope"),
     ({"by": "arm", "variables": ["age"], "nonnormal": ["sex"]}, "not in variables"),
     ({"by": "arm", "variables": ["sex"], "nonnormal": ["sex"]}, "categorical"),
     ({"by": "arm", "variables": []}, "no variables")],
)
def test_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(TableError, match=message):
        hs.table_one(DATA, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", None]), st.sampled_from(["x", "y", None]),
                          st.one_of(st.none(), st.floats(-100, 100))), min_size=1, max_size=30))
def test_counts_add_up(rows: list[tuple[str | None, str | None, float | None]]) -> None:
    df = pd.DataFrame(rows, columns=["g", "c", "v"]).astype({"v": float})
    t1 = hs.table_one(df, by="g", variables=["c", "v"], categorical=["c"])
    n = t1[t1["variable"] == "n"].set_index("group")["n"]
    for group, block in t1[t1["variable"] == "c"].groupby("group"):
        assert block["n"].sum() + block["missing"].iloc[0] == n[group]
    numeric = t1[t1["variable"] == "v"].set_index("group")
    assert (numeric["n"] + numeric["missing"] == n).all()
    assert n["Overall"] == len(df)
    assert n.drop("Overall").sum() + t1.attrs["n_group_missing"] == len(df)


# Long data, by hand: 4 participants x waves 0 and 3 (p4 only at 0); role changes between
# waves for p2 (helper at 0, dual at 3), so counting rows or roles over waves would be wrong.
LONG = pd.DataFrame({
    "participant": ["p1", "p1", "p2", "p2", "p3", "p3", "p4"],
    "wave": [0, 3, 0, 3, 0, 3, 0],
    "role": ["helper", "helper", "helper", "dual", "dual", "dual", "neither"],
    "age": [30, 30, 40, 40, 50, 50, 60],
    "phq9_total": [10.0, 8.0, 14.0, 9.0, 6.0, 6.0, None],
    "phq9_1": [1, 0, 2, 1, 0, 0, 3],
})


def test_long_data_one_row_per_participant_at_baseline() -> None:
    t1 = hs.table_one(LONG, by="role", id="participant", wave="wave")
    # default variables: not the id, wave or item columns
    assert list(pd.unique(t1["variable"])) == ["n", "age", "phq9_total"]
    n = t1[t1["variable"] == "n"].set_index("group")["n"].to_dict()
    # at wave 0: p1, p2 helpers; p3 dual; p4 neither -- 4 participants, each counted once
    assert n == {"dual": 1, "helper": 2, "neither": 1, "Overall": 4}
    assert row(t1, "age", "helper")["mean"] == 35.0
    assert row(t1, "phq9_total", "Overall")["mean"] == pytest.approx(10.0)  # (10+14+6)/3
    assert row(t1, "phq9_total", "Overall")["missing"] == 1
    assert t1.attrs["n"] == 4 and t1.attrs["at"] == 0
    assert t1.attrs["notes"].startswith("One row per participant: wave 0.")
    shown = hs.format_table(t1)
    assert shown["Characteristic"].tolist()[:3] == ["n", "Age, mean (SD)",
                                                    "PHQ-9 total, mean (SD)"]


def test_long_data_at_another_wave() -> None:
    t1 = hs.table_one(LONG, by="role", id="participant", wave="wave", at=3,
                      variables=["phq9_total"])
    n = t1[t1["variable"] == "n"].set_index("group")["n"].to_dict()
    assert n == {"dual": 2, "helper": 1, "Overall": 3}  # p2 is dual at wave 3
    assert row(t1, "phq9_total", "dual")["mean"] == 7.5
    with pytest.raises(TableError, match=r"at=5 is not a wave of 'wave'; its waves are \['0', '3'\]"):
        hs.table_one(LONG, by="role", id="participant", wave="wave", at=5)


def test_long_data_refused_with_how_to_fix() -> None:
    with pytest.raises(TableError, match=r"column 'participant' repeats \(4 distinct values in 7 "
                                         r"rows\).*Pass id='participant', wave='wave'"):
        hs.table_one(LONG, by="role")
    with pytest.raises(TableError, match=r"3 participant\(s\) have more than one row.*pass "
                                         r"wave="):
        hs.table_one(LONG, by="role", id="participant")
    doubled = pd.concat([LONG, LONG.iloc[[0]]])
    with pytest.raises(TableError, match=r"1 participant\(s\) have more than one row at wave 0 "
                                         r"\(e.g. participant 'p1', 2 rows\)"):
        hs.table_one(doubled, by="role", id="participant", wave="wave")
    # ids compared as text: 1 and "1" are one participant
    mixed = pd.DataFrame({"pid": [1, "1"], "age": [20, 30]})
    with pytest.raises(TableError, match="more than one row"):
        hs.table_one(mixed, id="pid")


def test_labels_from_a_study_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    study = SimpleNamespace(variable_labels={"age": "Age (years)"},
                            level_labels={"role": {"dual": "Dual role", "helper": "Helper"}},
                            wave="wave", wave_label="Months since baseline")
    t1 = hs.table_one(LONG, by="role", id="participant", wave="wave", labels=study)
    shown = hs.format_table(t1)
    assert list(shown.columns) == ["Characteristic", "Level", "Dual role", "Helper", "neither",
                                   "Overall"]
    assert shown["Characteristic"].tolist()[1] == "Age (years), mean (SD)"
    # the same labels when passed to the writer instead
    plain = hs.table_one(LONG, by="role", id="participant", wave="wave")
    out = hs.write_tables({"Table 1": plain}, tmp_path / "t.md", labels=study)
    assert "| Characteristic | Level | Dual role | Helper | neither | Overall |" in out.read_text()
