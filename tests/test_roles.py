"""Helping roles: Maton's median split, fixed thresholds, by-wave roles, interaction logs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.errors import RoleError, RoleMissingWarning


def roles(data: pd.DataFrame, **kwargs: object) -> list[object]:
    result = hs.classify_roles(data, giving="g", receiving="r", **kwargs)  # type: ignore[arg-type]
    return [None if pd.isna(v) else v for v in result]


def test_median_split_by_hand() -> None:
    # giving sorted: 0 1 2 3 4 5 -> median 2.5; receiving sorted: 0 0 1 2 3 6 -> median 1.5
    data = pd.DataFrame({"g": [0, 5, 3, 1, 4, 2], "r": [6, 0, 2, 0, 3, 1]},
                        index=list("abcdef"))
    result = hs.classify_roles(data, giving="g", receiving="r")
    assert result.tolist() == ["helpee", "helper", "dual", "neither", "dual", "neither"]
    assert list(result.index) == list("abcdef")
    assert result.name == "role"
    assert result.cat.ordered
    assert list(result.cat.categories) == ["neither", "helpee", "helper", "dual"]
    rule = result.attrs["role_rule"]
    assert rule["cutoffs"] == [{"giving": 2.5, "receiving": 1.5, "n_classified": 6}]
    assert rule["method"] == "median" and rule["comparison"] == ">"
    assert rule["n_unclassified"] == 0


def test_ties_at_the_median_are_not_high() -> None:
    # median giving = 2 (three members at 2), median receiving = 1
    data = pd.DataFrame({"g": [2, 2, 2, 3, 1], "r": [1, 1, 4, 1, 0]})
    assert roles(data) == ["neither", "neither", "helpee", "helper", "neither"]


def test_all_equal_values_everyone_neither() -> None:
    data = pd.DataFrame({"g": [3, 3, 3, 3], "r": [0, 0, 0, 0]})
    assert roles(data) == ["neither"] * 4
    result = hs.classify_roles(data, giving="g", receiving="r")
    assert result.attrs["role_rule"]["cutoffs"][0]["giving"] == 3.0


def test_missing_values_reported_not_guessed() -> None:
    data = pd.DataFrame({"g": [0, 4, np.nan, 2, 5, 1], "r": [3, 0, 9, 1, np.nan, 2]})
    with pytest.warns(RoleMissingWarning, match="2 of 6 row"):
        result = hs.classify_roles(data, giving="g", receiving="r")
    # medians over the 4 complete rows: giving (0, 4, 2, 1) -> 1.5; receiving (3, 0, 1, 2) -> 1.5
    assert [None if pd.isna(v) else v for v in result] == [
        "helpee", "helper", None, "helper", None, "helpee"]
    rule = result.attrs["role_rule"]
    assert rule["cutoffs"] == [{"giving": 1.5, "receiving": 1.5, "n_classified": 4}]
    assert rule["n_unclassified"] == 2
    assert rule["missing"] == {"giving": 1, "receiving": 1, "by": 0}
    assert "2 observation(s) with missing helping data" in hs.describe_role_rule(result)


def test_by_wave_has_its_own_medians() -> None:
    data = pd.DataFrame({
        "wave": [0, 0, 0, 1, 1, 1, np.nan],
        "g": [1, 2, 3, 10, 20, 30, 5],
        "r": [3, 2, 1, 0, 0, 7, 5],
    })
    with pytest.warns(RoleMissingWarning, match="1 missing 'by'"):
        result = hs.classify_roles(data, giving="g", receiving="r", by="wave")
    assert [None if pd.isna(v) else v for v in result] == [
        "helpee", "neither", "helper", "neither", "neither", "dual", None]
    table = hs.role_cutoffs(result)
    assert table["wave"].tolist() == [0.0, 1.0]
    assert table["giving_cutoff"].tolist() == [2.0, 20.0]
    assert table["receiving_cutoff"].tolist() == [2.0, 0.0]
    assert table["n_classified"].tolist() == [3, 3]


def test_by_two_columns() -> None:
    data = pd.DataFrame({"site": ["a", "a", "b", "b"], "wave": [0, 0, 0, 0],
                         "g": [1, 2, 5, 6], "r": [0, 0, 0, 0]})
    result = hs.classify_roles(data, giving="g", receiving="r", by=["site", "wave"])
    assert result.tolist() == ["neither", "helper", "neither", "helper"]
    assert hs.role_cutoffs(result)[["site", "wave", "giving_cutoff"]].to_dict("list") == {
        "site": ["a", "b"], "wave": [0, 0], "giving_cutoff": [1.5, 5.5]}


def test_thresholds_are_strictly_above() -> None:
    data = pd.DataFrame({"g": [0, 1, 2, 2], "r": [1, 2, 2, 1]})
    result = roles(data, method="thresholds", thresholds={"giving": 1, "receiving": 1})
    assert result == ["neither", "helpee", "dual", "helper"]


def test_caller_data_not_modified() -> None:
    data = pd.DataFrame({"g": [0, 1, np.nan], "r": [1, 0, 2]})
    before = data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoleMissingWarning)
        hs.classify_roles(data, giving="g", receiving="r")
    pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"giving": "x", "receiving": "r"}, "giving column 'x' not found"),
        ({"giving": "g", "receiving": "r", "method": "mean"}, "method must be"),
        ({"giving": "g", "receiving": "r", "method": "thresholds"}, "needs thresholds"),
        ({"giving": "g", "receiving": "r", "method": "thresholds",
          "thresholds": {"giving": 1}}, "needs thresholds"),
        ({"giving": "g", "receiving": "r", "thresholds": {"giving": 1, "receiving": 1}},
         "method='thresholds'"),
        ({"giving": "g", "receiving": "r", "by": "wave"}, "by column 'wave'"),
        ({"giving": "s", "receiving": "r"}, r"non-numeric value\(s\) \(row 1: 'lots'\)"),
    ],
)
def test_errors(kwargs: dict[str, object], message: str) -> None:
    data = pd.DataFrame({"g": [0, 1], "r": [1, 0], "s": ["2", "lots"]})
    with pytest.raises(RoleError, match=message):
        hs.classify_roles(data, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=30))
def test_median_rule_invariants(pairs: list[tuple[int, int]]) -> None:
    data = pd.DataFrame(pairs, columns=["g", "r"])
    result = hs.classify_roles(data, giving="g", receiving="r")
    # Nobody at or below the median is high, so at most half are high on each dimension.
    high_giving = result.isin(["helper", "dual"])
    high_receiving = result.isin(["helpee", "dual"])
    assert high_giving.sum() <= len(data) / 2
    assert high_receiving.sum() <= len(data) / 2
    assert (high_giving == (data["g"] > data["g"].median())).all()
    assert (high_receiving == (data["r"] > data["r"].median())).all()
    # Giving more help never lowers the giving dimension (rank invariance).
    shifted = hs.classify_roles(data.assign(g=data["g"] * 3 + 1), giving="g", receiving="r")
    assert shifted.tolist() == result.tolist()


def test_interaction_counts_by_hand() -> None:
    log = pd.DataFrame({
        "wave": [0, 0, 0, 1, 1, 1],
        "meeting": ["m1", "m1", "m2", "m3", "m3", "m3"],
        "giver": ["ann", "bo", "ann", "cy", "cy", None],
        "receiver": ["bo", "ann", "cy", "ann", None, "bo"],
    })
    counts = hs.roles_from_interactions(log, giver="giver", receiver="receiver",
                                        members=["ann", "bo", "cy", "dee"])
    assert counts.to_dict("list") == {
        "participant": ["ann", "bo", "cy", "dee"],
        "n_given": [2, 1, 2, 0],
        "n_received": [2, 2, 1, 0],
    }
    assert counts.attrs == {"n_interactions": 6, "n_missing_giver": 1, "n_missing_receiver": 1}

    per_wave = hs.roles_from_interactions(log, giver="giver", receiver="receiver",
                                          wave="wave", meeting="meeting")
    assert per_wave["participant"].tolist() == ["ann", "ann", "bo", "bo", "cy", "cy"]
    assert per_wave["wave"].tolist() == [0, 1, 0, 1, 0, 1]
    assert per_wave["n_given"].tolist() == [2, 0, 1, 0, 0, 2]
    assert per_wave["n_received"].tolist() == [1, 1, 1, 1, 1, 0]
    # wave 0 has 2 meetings, wave 1 has 1
    assert per_wave["n_meetings"].tolist() == [2, 1, 2, 1, 2, 1]
    assert per_wave["given_per_meeting"].tolist() == [1.0, 0.0, 0.5, 0.0, 0.0, 2.0]
    assert per_wave["received_per_meeting"].tolist() == [0.5, 1.0, 0.5, 1.0, 0.5, 0.0]


def test_interactions_feed_classify_roles() -> None:
    log = pd.DataFrame({"giver": [1, 1, 1, 2, 3], "receiver": [2, 3, 4, 1, 4]})
    counts = hs.roles_from_interactions(log, giver="giver", receiver="receiver",
                                        members=[1, 2, 3, 4, 5])
    # given 3 1 1 0 0 (median 1); received 1 1 1 2 0 (median 1)
    result = hs.classify_roles(counts, giving="n_given", receiving="n_received")
    assert result.tolist() == ["helper", "neither", "neither", "helpee", "neither"]


@pytest.mark.parametrize(
    ("log", "kwargs", "message"),
    [
        (pd.DataFrame({"giver": ["a", None], "receiver": ["b", None]}), {},
         "neither a giver nor a receiver"),
        (pd.DataFrame({"giver": ["a", "b"], "receiver": ["b", "b"]}), {},
         "same giver and receiver"),
        (pd.DataFrame({"giver": ["a", "x"], "receiver": ["b", "a"]}),
         {"members": ["a", "b"]}, "not in members: 'x'"),
        (pd.DataFrame({"giver": ["a"], "receiver": ["b"]}), {"wave": "wave"},
         "wave column 'wave' not found"),
    ],
)
def test_interaction_errors(log: pd.DataFrame, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(RoleError, match=message):
        hs.roles_from_interactions(log, giver="giver", receiver="receiver",
                                   **kwargs)  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcde"), st.sampled_from("abcde"),
                          st.integers(0, 2)), max_size=40))
def test_interaction_totals(acts: list[tuple[str, str, int]]) -> None:
    log = pd.DataFrame([a for a in acts if a[0] != a[1]], columns=["giver", "receiver", "wave"])
    counts = hs.roles_from_interactions(log, giver="giver", receiver="receiver",
                                        members=list("abcdef"), wave="wave")
    # every act is counted once as given and once as received; absent members count zero
    assert counts["n_given"].sum() == counts["n_received"].sum() == len(log)
    assert len(counts) == 6 * log["wave"].nunique()
    assert (counts.loc[counts["participant"] == "f", ["n_given", "n_received"]] == 0).all().all()
    for (who, wave), row in counts.set_index(["participant", "wave"]).iterrows():
        assert row["n_given"] == ((log["giver"] == who) & (log["wave"] == wave)).sum()


def test_thresholds_may_be_given_as_the_method() -> None:
    data = pd.DataFrame({"given": [0, 2, 3, 1, 5], "received": [2, 0, 1, 1, 4]})
    as_method = hs.classify_roles(data, giving="given", receiving="received",
                                  method={"giving": 1, "receiving": 1})
    # given > 1 and received > 1: row 0 helpee, 1 helper, 2 helper, 3 neither, 4 dual
    assert as_method.tolist() == ["helpee", "helper", "helper", "neither", "dual"]
    with pytest.raises(hs.errors.RoleError, match="not both"):
        hs.classify_roles(data, giving="given", receiving="received",
                          method={"giving": 1, "receiving": 1}, thresholds={"giving": 1,
                                                                            "receiving": 1})
