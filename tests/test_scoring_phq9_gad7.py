"""Hand-computed PHQ-9 and GAD-7 scores: every band boundary, prorating at and past the limit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import helpstats as hs

PHQ9_ITEMS = [f"phq9_{n}" for n in range(1, 10)]
GAD7_ITEMS = [f"gad7_{n}" for n in range(1, 8)]


def responses_with_total(total: int, n_items: int) -> list[int]:
    """Item codes (0-3) that add up to ``total``: fill items with 3 from the first one."""
    codes = []
    remaining = total
    for _ in range(n_items):
        codes.append(min(3, remaining))
        remaining -= codes[-1]
    return codes


PHQ9_BANDS = [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
              (14, "moderate"), (15, "moderately severe"), (19, "moderately severe"),
              (20, "severe"), (27, "severe")]


@pytest.mark.parametrize(("total", "band"), PHQ9_BANDS)
def test_phq9_every_band_boundary(total: int, band: str) -> None:
    data = pd.DataFrame([responses_with_total(total, 9)], columns=PHQ9_ITEMS)
    result = hs.score(data, "phq9")
    assert result.loc[0, "phq9_total"] == total
    assert result.loc[0, "phq9_total_band"] == band
    assert result.loc[0, "phq9_total_n_answered"] == 9


GAD7_BANDS = [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
              (14, "moderate"), (15, "severe"), (21, "severe")]


@pytest.mark.parametrize(("total", "band"), GAD7_BANDS)
def test_gad7_every_band_boundary(total: int, band: str) -> None:
    data = pd.DataFrame([responses_with_total(total, 7)], columns=GAD7_ITEMS)
    result = hs.score(data, "gad7")
    assert result.loc[0, "gad7_total"] == total
    assert result.loc[0, "gad7_total_band"] == band


def test_phq9_prorates_two_missing_items_and_not_three() -> None:
    answered = [2, 1, 3, 0, 1, 2, 1]  # 7 items, sum 10, mean 10/7
    two_missing = answered + [np.nan, np.nan]
    three_missing = answered[:6] + [np.nan, np.nan, np.nan]  # 6 items answered
    data = pd.DataFrame([two_missing, three_missing], columns=PHQ9_ITEMS)
    result = hs.score(data, "phq9")
    # prorated: mean of the 7 answered items (10 / 7) times 9 items = 12.857142...
    assert result.loc[0, "phq9_total"] == pytest.approx(90 / 7)
    assert result.loc[0, "phq9_total_band"] == "moderate"  # 12.86 lies in the 10-14 band
    assert result.loc[0, "phq9_total_n_answered"] == 7
    assert np.isnan(result.loc[1, "phq9_total"])
    assert pd.isna(result.loc[1, "phq9_total_band"])
    assert result.loc[1, "phq9_total_n_answered"] == 6


def test_prorated_score_between_bands_takes_the_lower_band() -> None:
    # 8 items answered with sum 13 -> 13 / 8 * 9 = 14.625: above 14, below the cut-point 15
    data = pd.DataFrame([[3, 3, 3, 2, 2, 0, 0, 0, np.nan]], columns=PHQ9_ITEMS)
    result = hs.score(data, "phq9")
    assert result.loc[0, "phq9_total"] == pytest.approx(14.625)
    assert result.loc[0, "phq9_total_band"] == "moderate"


def test_gad7_any_missing_item_leaves_the_total_missing() -> None:
    data = pd.DataFrame([[1, 1, 1, 1, 1, 1, np.nan]], columns=GAD7_ITEMS)
    result = hs.score(data, "gad7")
    assert np.isnan(result.loc[0, "gad7_total"])
    assert result.loc[0, "gad7_total_n_answered"] == 6


def test_labels_codes_and_numeric_text_mix_in_one_column() -> None:
    data = pd.DataFrame({
        "phq9_1": ["  nearly EVERY   day ", "2", "2.0", 1],
        **{c: [0, 0, 0, 0] for c in PHQ9_ITEMS[1:]},
    })
    result = hs.score(data, "phq9")
    assert result["phq9_total"].tolist() == [3.0, 2.0, 2.0, 1.0]


def test_empty_strings_and_whitespace_are_missing() -> None:
    data = pd.DataFrame({c: ["1"] for c in PHQ9_ITEMS})
    data["phq9_1"] = ["  "]
    data["phq9_2"] = [""]
    result = hs.score(data, "phq9")
    assert result.loc[0, "phq9_total_n_answered"] == 7
    assert result.loc[0, "phq9_total"] == pytest.approx(9.0)  # mean 1 x 9 items


def test_phq9_item9_flag() -> None:
    rows = [[0] * 8 + [0], [0] * 8 + [1], [3] * 8 + [np.nan]]
    result = hs.score(pd.DataFrame(rows, columns=PHQ9_ITEMS), "phq9")
    assert result["phq9_item9_flag"].tolist()[:2] == [False, True]
    assert pd.isna(result["phq9_item9_flag"].iloc[2])
    assert str(result["phq9_item9_flag"].dtype) == "boolean"


def test_columns_pattern_and_dict() -> None:
    data = pd.DataFrame({f"Q5_{n}": [1] for n in range(1, 8)})
    assert hs.score(data, "gad7", columns="Q5_{n}").loc[0, "gad7_total"] == 7
    renamed = data.rename(columns={"Q5_1": "nervous"})
    mapping = {f"gad7_{n}": f"Q5_{n}" for n in range(2, 8)} | {"gad7_1": "nervous"}
    assert hs.score(renamed, "gad7", columns=mapping).loc[0, "gad7_total"] == 7


def test_several_instruments_with_columns_per_instrument() -> None:
    data = pd.DataFrame({**{f"A{n}": [3] for n in range(1, 10)}, **{f"B{n}": [2] for n in range(1, 8)}})
    result = hs.score(data, ["phq9", "gad7"], columns={"phq9": "A{n}", "gad7": "B{n}"})
    assert result.loc[0, "phq9_total"] == 27
    assert result.loc[0, "gad7_total"] == 14
    assert list(result.columns) == [
        "phq9_total", "phq9_total_band", "phq9_total_n_answered", "phq9_item9_flag",
        "gad7_total", "gad7_total_band", "gad7_total_n_answered",
    ]


def test_result_keeps_the_index_and_dtypes() -> None:
    data = pd.DataFrame({c: [1, 2] for c in GAD7_ITEMS}, index=["x", "y"])
    result = hs.score(data, "gad7")
    assert list(result.index) == ["x", "y"]
    assert result["gad7_total"].dtype == np.float64
    assert result["gad7_total_n_answered"].dtype == np.int64
    assert isinstance(result["gad7_total_band"].dtype, pd.CategoricalDtype)
    assert result["gad7_total_band"].cat.ordered
    assert list(result["gad7_total_band"].cat.categories) == ["minimal", "mild", "moderate", "severe"]
