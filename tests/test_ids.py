"""Participant ids are compared as exported text, one rule everywhere (helpstats._ids)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import helpstats as hs
from helpstats._ids import id_text, one_id
from helpstats.errors import ExportError


@pytest.mark.parametrize(("value", "text"), [
    ("001", "001"), (" 100 ", "100"), (100, "100"), (np.int64(100), "100"), (100.0, "100"),
    (np.float64(7.0), "7"), (1.5, "1.5"), ("1.10", "1.10"), ("1E5", "1E5"), ("A-7", "A-7"),
    (None, None), (np.nan, None), (pd.NA, None), ("", None), ("  ", None), (-3, "-3"),
    (2**60, str(2**60)),
])
def test_one_id(value: object, text: str | None) -> None:
    assert one_id(value) == text


@given(st.integers(-10**12, 10**12))
def test_an_integer_and_its_text_are_one_id(number: int) -> None:
    values = pd.Series([number, str(number), float(number) if abs(number) < 2**52 else number],
                       dtype=object)
    assert id_text(values).nunique() == 1


def test_id_text_keeps_index_and_name() -> None:
    values = pd.Series([1, "1"], index=[5, 5], name="pid", dtype=object)
    out = id_text(values)
    assert out.index.tolist() == [5, 5] and out.name == "pid" and out.dtype == "string"


def test_attrition_counts_100_and_text_100_as_one_participant() -> None:
    long = pd.DataFrame({"pid": ["001", "100", 100, 1], "wave": [0, 0, 1, 1]}, dtype=object)
    table = hs.attrition_table(long, id="pid", wave="wave")
    assert table[["enrolled", "observed", "lost", "returned"]].values.tolist() == [
        [3, 2, 0, 0], [3, 2, 1, 1]]


def test_to_wide_matches_ids_across_types_and_keeps_them_as_given() -> None:
    long = pd.DataFrame({"pid": [100, "100", 7, 7.0], "wave": ["t0", "t1", "t0", "t1"],
                         "score": [1, 2, 3, 4]}, dtype=object)
    wide = hs.to_wide(long, id="pid")
    assert wide.to_dict("list") == {"pid": [100, 7], "score_t0": [1, 3], "score_t1": [2, 4]}
    ints = pd.DataFrame({"pid": [1, 1, 2], "wave": ["a", "b", "a"], "y": [1.0, 2.0, 3.0]})
    assert hs.to_wide(ints, id="pid")["pid"].dtype == "int64"


@pytest.mark.parametrize("missing", [None, np.nan, "", "  "])
def test_to_wide_never_merges_two_people_without_an_id(missing: object) -> None:
    long = pd.DataFrame({"pid": [1, missing, missing], "wave": ["t0", "t0", "t1"],
                         "score": [1, 2, 3]}, dtype=object)
    with pytest.raises(ExportError, match=r"2 row\(s\) have no 'pid' value \(rows \[1, 2\]\)"):
        hs.to_wide(long, id="pid")


def test_validate_finds_a_duplicate_written_once_as_number_once_as_text() -> None:
    data = pd.DataFrame({"pid": [100, "100", "0100"], "wave": [0, 0, 0],
                         **{f"gad7_{n}": [0, 1, 2] for n in range(1, 8)}}, dtype=object)
    report = hs.validate(data, "gad7", id="pid", wave="wave")
    assert report["row"].tolist() == [0, 1]
    assert report.attrs["duplicated_rows"] == 2


def test_interaction_log_ids_match_participant_ids_across_types() -> None:
    log = pd.DataFrame({"from": ["7", 8, "8 "], "to": [8, "7", None]}, dtype=object)
    counts = hs.roles_from_interactions(log, giver="from", receiver="to",
                                        members=[7, 8, 9])
    assert counts.to_dict("list") == {"participant": [7, 8, 9], "n_given": [1, 2, 0],
                                      "n_received": [1, 1, 0]}
    with pytest.raises(hs.errors.RoleError, match="same giver and receiver"):
        hs.roles_from_interactions(pd.DataFrame({"g": [1], "r": ["1"]}, dtype=object),
                                   giver="g", receiver="r")
    with pytest.raises(hs.errors.RoleError, match="duplicated ids"):
        hs.roles_from_interactions(log, giver="from", receiver="to",
                                   members=[7, "7", 8])
    mixed = hs.roles_from_interactions(pd.DataFrame({"g": [1, "a"], "r": ["a", 2]}, dtype=object),
                                       giver="g", receiver="r")
    assert mixed["participant"].tolist() == [1, 2, "a"]
