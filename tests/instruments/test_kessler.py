"""Hand-computed K10 (Australian 1-5 coding), K10 US (0-4) and K6 scores.

K10: items coded 1-5, total 10-50, ABS bands 10-15 low, 16-21 moderate,
22-29 high, 30-50 very high; one missing item -> round(sum of 9 / 9 x 10)
(PMHC MDS), two missing -> no total. K10 US: codes 0-4, total 0-40 = K10 - 10.
K6: codes 0-4, total 0-24, 13 or more = serious psychological distress.
"""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.errors import ProvisionalKeyWarning


def frame(prefix: str, rows: list[list[object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[f"{prefix}_{n}" for n in range(1, len(rows[0]) + 1)])


def score_verified(data: pd.DataFrame, instrument: str, **options: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProvisionalKeyWarning)
        return hs.score(data, instrument, **options)


def test_k10_abs_band_boundaries() -> None:
    data = frame("k10", [
        [1] * 10,            # 10 -> low
        [2] * 5 + [1] * 5,   # 10 + 5 = 15 -> low
        [2] * 6 + [1] * 4,   # 12 + 4 = 16 -> moderate
        [3] * 1 + [2] * 9,   # 3 + 18 = 21 -> moderate
        [3] * 2 + [2] * 8,   # 6 + 16 = 22 -> high
        [3] * 9 + [2] * 1,   # 27 + 2 = 29 -> high
        [3] * 10,            # 30 -> very high
        [5] * 10,            # 50 -> very high
    ])
    result = score_verified(data, "k10")
    assert result["k10_total"].tolist() == [10.0, 15.0, 16.0, 21.0, 22.0, 29.0, 30.0, 50.0]
    assert result["k10_total_band"].tolist() == [
        "low", "low", "moderate", "moderate", "high", "high", "very high", "very high",
    ]


def test_k10_one_missing_item_prorated_and_rounded() -> None:
    data = frame("k10", [
        [None, 3, 3, 2, 2, 2, 2, 2, 2, 2],  # 9 answered sum 20: 20 / 9 x 10 = 22.22 -> 22 (high)
        [2, 2, 2, 2, 2, 2, 2, 2, 1, None],  # sum 17: 17 / 9 x 10 = 18.89 -> 19 (moderate)
        [2, 2, 2, 2, 2, 1, 1, 1, 1, None],  # sum 14: 14 / 9 x 10 = 15.56 -> 16 (moderate, not low)
        [None, 2, 2, 2, 2, 2, 2, 2, 2, None],  # two missing: past the limit -> no total
    ])
    result = score_verified(data, "k10")
    assert result["k10_total"].iloc[:3].tolist() == [22.0, 19.0, 16.0]
    assert result["k10_total_band"].iloc[:3].tolist() == ["high", "moderate", "moderate"]
    assert math.isnan(result.loc[3, "k10_total"])
    assert result["k10_total_n_answered"].tolist() == [9, 9, 9, 8]


def test_k10_labels_and_us_codes_rejected() -> None:
    data = frame("k10", [["None of the time"] * 5 + ["all of the time"] * 5])  # 5 x 1 + 5 x 5 = 30
    assert score_verified(data, "k10").loc[0, "k10_total"] == 30.0
    # A 0 is not an Australian code: raised by default ...
    zero = frame("k10", [[0, 2, 2, 2, 2, 2, 2, 2, 2, 2]])
    with pytest.raises(hs.errors.ScoringError, match="k10_1"):
        score_verified(zero, "k10")
    # ... or scored as missing, which leaves one missing item: 18 / 9 x 10 = 20.
    with pytest.warns(hs.errors.InvalidCellsWarning):
        result = score_verified(zero, "k10", on_invalid="missing")
    assert result.loc[0, "k10_total"] == 20.0


def test_k10_us_coding() -> None:
    data = frame("k10_us", [
        [0] * 10,                           # 0 -> low
        [1] * 5 + [0] * 5,                  # 5 -> low
        [1] * 6 + [0] * 4,                  # 6 -> moderate
        [None, 2, 2, 1, 1, 1, 1, 1, 1, 1],  # sum 11: 11 / 9 x 10 = 12.22 -> 12 (high) = 22 - 10
        [4] * 10,                           # 40 -> very high
    ])
    # the key is verified, the missing-item rule for this coding is not: one warning, for row 3
    with pytest.warns(ProvisionalKeyWarning, match="k10_us_total: 1 score"):
        result = hs.score(data, "k10_us")
    assert result["k10_us_total"].tolist() == [0.0, 5.0, 6.0, 12.0, 40.0]
    assert result["k10_us_total_band"].tolist() == ["low", "low", "moderate", "high", "very high"]
    assert hs.load_instrument("k10_us").variant_of == "k10"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5), min_size=10, max_size=10),
       st.integers(min_value=-1, max_value=9))
def test_k10_us_is_k10_minus_ten(codes: list[int], missing: int) -> None:
    # Recoding every answer one lower lowers the (prorated, rounded) total by exactly 10.
    australian: list[object] = list(codes)
    if missing >= 0:
        australian[missing] = None
    us = [None if c is None else c - 1 for c in australian]
    k10 = score_verified(frame("k10", [australian]), "k10").loc[0, "k10_total"]
    with warnings.catch_warnings():  # the prorating rule of the 0-4 coding is provisional
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        k10_us = hs.score(frame("k10_us", [us]), "k10_us").loc[0, "k10_us_total"]
    assert k10_us == k10 - 10


def test_k6_cut_off_13() -> None:
    data = frame("k6", [
        [2, 2, 2, 2, 2, 2],  # 12 -> below cut-off
        [3, 2, 2, 2, 2, 2],  # 13 -> serious psychological distress
        [4, 4, 4, 4, 4, 4],  # 24 (maximum)
        [0, 0, 0, 0, 0, 0],  # 0 (minimum)
    ])
    result = score_verified(data, "k6")
    assert result["k6_total"].tolist() == [12.0, 13.0, 24.0, 0.0]
    assert result["k6_total_band"].tolist() == [
        "below cut-off", "serious psychological distress",
        "serious psychological distress", "below cut-off",
    ]


def test_k6_labels_missing_and_australian_codes() -> None:
    data = frame("k6", [
        ["Most of the time", "most of the time", "Some of the time",
         "A little of the time", "none of the time", "All of the time"],  # 3 + 3 + 2 + 1 + 0 + 4 = 13
        [4, 4, 4, 4, 4, None],  # no missing-item rule: no total
    ])
    result = score_verified(data, "k6")
    assert result.loc[0, "k6_total"] == 13.0
    assert math.isnan(result.loc[1, "k6_total"])
    # 5 ('all of the time' in a 1-5 coding) is not a K6 code here.
    with pytest.raises(hs.errors.ScoringError, match="out of range"):
        score_verified(frame("k6", [[5, 1, 1, 1, 1, 1]]), "k6")
