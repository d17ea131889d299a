"""Hand-computed scores for the PHQ-8, PHQ-2, GAD-2 and PHQ-4 definitions.

Every expected number is worked out by hand from the published rules (item sums
of 0-3 codes; PHQ-8 bands at 5/10/15/20; PHQ-2 and GAD-2 cut-point 3; PHQ-4
total bands 0-2/3-5/6-8/9-12) and written in the test with its arithmetic.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ProvisionalKeyWarning


def frame(prefix: str, rows: list[list[object]]) -> pd.DataFrame:
    """One row per administration, columns {prefix}_1 .. {prefix}_k."""
    return pd.DataFrame(rows, columns=[f"{prefix}_{n}" for n in range(1, len(rows[0]) + 1)])


def score_verified(data: pd.DataFrame, instrument: str) -> pd.DataFrame:
    """Score, failing if a verified instrument warns that its key is provisional."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProvisionalKeyWarning)
        return hs.score(data, instrument)


# ----------------------------------------------------------------------------- PHQ-8


def test_phq8_band_boundaries_on_both_sides() -> None:
    data = frame("phq8", [
        [1, 1, 1, 1, 0, 0, 0, 0],  # 4 -> minimal
        [1, 1, 1, 1, 1, 0, 0, 0],  # 5 -> mild
        [2, 2, 2, 2, 1, 0, 0, 0],  # 8 + 1 = 9 -> mild
        [2, 2, 2, 2, 2, 0, 0, 0],  # 10 -> moderate
        [3, 3, 3, 3, 2, 0, 0, 0],  # 12 + 2 = 14 -> moderate
        [3, 3, 3, 3, 3, 0, 0, 0],  # 15 -> moderately severe
        [3, 3, 3, 3, 3, 3, 1, 0],  # 18 + 1 = 19 -> moderately severe
        [3, 3, 3, 3, 3, 3, 2, 0],  # 18 + 2 = 20 -> severe
        [3, 3, 3, 3, 3, 3, 3, 3],  # 8 x 3 = 24 (maximum) -> severe
    ])
    result = score_verified(data, "phq8")
    assert result["phq8_total"].tolist() == [4.0, 5.0, 9.0, 10.0, 14.0, 15.0, 19.0, 20.0, 24.0]
    assert result["phq8_total_band"].tolist() == [
        "minimal", "mild", "mild", "moderate", "moderate",
        "moderately severe", "moderately severe", "severe", "severe",
    ]


def test_phq8_labels_and_no_suicide_item() -> None:
    # Eight columns only: the PHQ-8 has no item 9 and therefore no item-9 flag.
    data = frame("phq8", [
        ["Nearly every day"] * 8,                       # 8 x 3 = 24
        ["several days", "NOT AT ALL"] * 4,             # 4 x 1 + 4 x 0 = 4
        ["More than half the days"] * 4 + [0] * 4,     # 4 x 2 = 8
    ])
    result = score_verified(data, "phq8")
    assert result["phq8_total"].tolist() == [24.0, 4.0, 8.0]
    assert list(result.columns) == ["phq8_total", "phq8_total_band", "phq8_total_n_answered"]


def test_phq8_any_missing_item_leaves_total_missing() -> None:
    # No published PHQ-8 proration rule: max_missing = 0.
    data = frame("phq8", [[3, 3, 3, 3, 3, 3, 3, None], [0, 0, 0, 0, 0, 0, 0, 0]])
    result = score_verified(data, "phq8")
    assert np.isnan(result.loc[0, "phq8_total"])
    assert result.loc[0, "phq8_total_n_answered"] == 7
    assert result.loc[1, "phq8_total"] == 0.0


# ----------------------------------------------------------------------------- PHQ-2 / GAD-2


@pytest.mark.parametrize("instrument", ["phq2", "gad2"])
def test_two_item_screeners_cut_point_three(instrument: str) -> None:
    data = frame(instrument, [
        [0, 0],  # 0 -> below cut-off
        [1, 1],  # 2 -> below cut-off (just under)
        [1, 2],  # 3 -> positive screen (at the cut-point)
        [3, 3],  # 6 (maximum) -> positive screen
    ])
    result = score_verified(data, instrument)
    assert result[f"{instrument}_total"].tolist() == [0.0, 2.0, 3.0, 6.0]
    assert result[f"{instrument}_total_band"].tolist() == [
        "below cut-off", "below cut-off", "positive screen", "positive screen",
    ]


@pytest.mark.parametrize("instrument", ["phq2", "gad2"])
def test_two_item_screeners_labels_and_missing(instrument: str) -> None:
    data = frame(instrument, [
        ["Several days", "more than half the days"],  # 1 + 2 = 3
        ["nearly every day", None],                   # one of two missing -> no score
    ])
    result = score_verified(data, instrument)
    assert result.loc[0, f"{instrument}_total"] == 3.0
    assert np.isnan(result.loc[1, f"{instrument}_total"])
    assert pd.isna(result.loc[1, f"{instrument}_total_band"])


def test_gad2_items_are_the_first_two_gad7_items() -> None:
    # Same answers to GAD-7 items 1-2 and to the GAD-2 give the same sum: 2 + 3 = 5.
    gad7 = frame("gad7", [[2, 3, 0, 0, 0, 0, 0]])
    gad2 = frame("gad2", [[2, 3]])
    assert hs.score(gad7, "gad7").loc[0, "gad7_total"] == 5.0
    assert score_verified(gad2, "gad2").loc[0, "gad2_total"] == 5.0


# ----------------------------------------------------------------------------- PHQ-4


def test_phq4_subscales_use_anxiety_first_order() -> None:
    # Items 1-2 are the GAD-2 (anxiety), items 3-4 the PHQ-2 (depression).
    data = frame("phq4", [
        [2, 1, 0, 0],  # anxiety 2 + 1 = 3 (positive), depression 0, total 3
        [0, 0, 3, 0],  # anxiety 0, depression 3 (positive), total 3
        [1, 1, 1, 1],  # anxiety 2, depression 2, total 4
    ])
    result = score_verified(data, "phq4")
    assert result["phq4_anxiety"].tolist() == [3.0, 0.0, 2.0]
    assert result["phq4_depression"].tolist() == [0.0, 3.0, 2.0]
    assert result["phq4_total"].tolist() == [3.0, 3.0, 4.0]
    assert result["phq4_anxiety_band"].tolist() == ["positive screen", "below cut-off", "below cut-off"]
    assert result["phq4_depression_band"].tolist() == ["below cut-off", "positive screen", "below cut-off"]


def test_phq4_total_band_boundaries() -> None:
    data = frame("phq4", [
        [1, 1, 0, 0],  # 2 -> normal
        [1, 1, 1, 0],  # 3 -> mild
        [2, 1, 1, 1],  # 5 -> mild
        [2, 2, 1, 1],  # 6 -> moderate
        [2, 2, 2, 2],  # 8 -> moderate
        [3, 2, 2, 2],  # 9 -> severe
        [3, 3, 3, 3],  # 12 -> severe
    ])
    result = score_verified(data, "phq4")
    assert result["phq4_total"].tolist() == [2.0, 3.0, 5.0, 6.0, 8.0, 9.0, 12.0]
    assert result["phq4_total_band"].tolist() == [
        "normal", "mild", "mild", "moderate", "moderate", "severe", "severe",
    ]


def test_phq4_missing_depression_item_keeps_anxiety() -> None:
    data = frame("phq4", [["nearly every day", "several days", None, "not at all"]])
    result = score_verified(data, "phq4")
    assert result.loc[0, "phq4_anxiety"] == 4.0  # 3 + 1
    assert np.isnan(result.loc[0, "phq4_depression"])
    assert np.isnan(result.loc[0, "phq4_total"])
    assert result.loc[0, "phq4_total_n_answered"] == 3
