"""attrition_table: CONSORT counts on hand-made waves, and their bookkeeping identities."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import helpstats as hs

# arm a: 1 (all waves), 2 (misses wave 1, returns at 2), 3 (baseline only)
# arm b: 4 (waves 0, 1), 5 (joins at wave 1)
LONG = pd.DataFrame({
    "pid": [1, 1, 1, 2, 2, 3, 4, 4, 5, 5],
    "wave": [0, 1, 2, 0, 2, 0, 0, 1, 1, 2],
    "arm": ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b"],
    "y": [5.0, 4.0, None, 6.0, 5.0, 7.0, 3.0, 2.0, 4.0, 4.0],
})
COLUMNS = ["enrolled", "observed", "pct_retained", "lost", "returned", "missing"]


def block(table: pd.DataFrame, group: str) -> list[list[float]]:
    return table.loc[table["group"] == group, COLUMNS].to_numpy().tolist()


def test_counts_by_arm() -> None:
    t = hs.attrition_table(LONG, id="pid", wave="wave", by="arm")
    assert list(t.columns) == ["group", "wave", *COLUMNS]
    assert t["wave"].tolist() == [0, 1, 2] * 3
    assert block(t, "a") == [[3, 3, 100.0, 0, 0, 0], [3, 1, 100 / 3, 2, 0, 2],
                             [3, 2, 200 / 3, 0, 1, 1]]
    assert block(t, "b") == [[2, 1, 50.0, 0, 0, 1], [2, 2, 100.0, 0, 1, 0],
                             [2, 1, 50.0, 1, 0, 1]]
    assert block(t, "Overall") == [[5, 4, 80.0, 0, 0, 1], [5, 3, 60.0, 2, 1, 2],
                                   [5, 3, 60.0, 1, 1, 2]]
    assert t.attrs["kind"] == "attrition" and t.attrs["n"] == 5


def test_outcome_defines_observed() -> None:
    t = hs.attrition_table(LONG, id="pid", wave="wave", outcome="y")
    assert "group" not in t.columns
    # pid 1 has no outcome at wave 2
    assert t["observed"].tolist() == [4, 3, 2]
    assert t["lost"].tolist() == [0, 2, 2]


def test_group_taken_at_first_wave_and_missing_group_reported() -> None:
    long = pd.DataFrame({"pid": [1, 1, 2, 2, 3], "wave": ["t0", "t1", "t0", "t1", "t0"],
                         "role": ["helper", "helpee", None, "helpee", None]})
    t = hs.attrition_table(long, id="pid", wave="wave", by="role")
    enrolled = t.drop_duplicates("group").set_index("group")["enrolled"].to_dict()
    assert enrolled == {"helpee": 1, "helper": 1, "(missing)": 1, "Overall": 3}


def test_categorical_wave_order() -> None:
    long = LONG.assign(wave=pd.Categorical(LONG["wave"].map({0: "base", 1: "3m", 2: "8m"}),
                                           categories=["base", "3m", "8m"], ordered=True))
    t = hs.attrition_table(long, id="pid", wave="wave")
    assert t["wave"].tolist() == ["base", "3m", "8m"]
    assert t["observed"].tolist() == [4, 3, 3]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 3), st.sampled_from("ab")),
                min_size=1, max_size=40))
def test_bookkeeping_identities(rows: list[tuple[int, int, str]]) -> None:
    long = pd.DataFrame(rows, columns=["pid", "wave", "arm"])
    t = hs.attrition_table(long, id="pid", wave="wave", by="arm")
    for _, g in t.groupby("group"):
        obs = g["observed"].tolist()
        assert (g["observed"] + g["missing"] == g["enrolled"]).all()
        for prev, now, lost, ret in zip(obs[:-1], obs[1:], g["lost"].iloc[1:], g["returned"].iloc[1:],
                                        strict=True):
            assert now == prev - lost + ret
    overall = t[t["group"] == "Overall"]
    assert overall["enrolled"].iloc[0] == long["pid"].nunique()
    per_group = t[t["group"] != "Overall"].drop_duplicates("group")["enrolled"].sum()
    assert per_group == long["pid"].nunique()


def test_duplicate_rows_counted_once_and_reported() -> None:
    doubled = pd.concat([LONG, LONG.iloc[[0, 3]]], ignore_index=True)
    t = hs.attrition_table(doubled, id="pid", wave="wave")
    assert t["observed"].tolist() == [4, 3, 3]
    assert t.attrs["n_duplicates"] == 2
    assert "2 repeated participant x wave row(s) counted once" in t.attrs["notes"]
