"""Hand-computed HADS scores.

`hads` takes the position of the ticked option as printed on the 1983 form
(1 = top ... 4 = bottom). Options score 3, 2, 1, 0 (top to bottom) on items 1, 3,
5, 6, 8, 10, 11, 13 and 0, 1, 2, 3 on items 2, 4, 7, 9, 12, 14. Anxiety = odd
items, depression = even items, each 0-21; bands 0-7 normal, 8-10 borderline
abnormal, 11-21 abnormal. `hads_scored` takes the 0-3 item scores themselves.
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

TOP_SCORES_3 = (1, 3, 5, 6, 8, 10, 11, 13)  # printed options run 3-2-1-0
TOP_SCORES_0 = (2, 4, 7, 9, 12, 14)         # printed options run 0-1-2-3


def frame(prefix: str, rows: list[list[object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[f"{prefix}_{n}" for n in range(1, 15)])


def score_verified(data: pd.DataFrame, instrument: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProvisionalKeyWarning)
        return hs.score(data, instrument)


def test_per_option_scores_top_and_bottom_options() -> None:
    result = score_verified(frame("hads", [[1] * 14, [4] * 14]), "hads")
    # All top options: anxiety items 1, 3, 5, 11, 13 score 3 and 7, 9 score 0 -> 15;
    # depression items 6, 8, 10 score 3 and 2, 4, 12, 14 score 0 -> 9.
    # All bottom options: anxiety 7, 9 score 3 -> 6; depression 2, 4, 12, 14 score 3 -> 12.
    assert result["hads_anxiety"].tolist() == [15.0, 6.0]
    assert result["hads_depression"].tolist() == [9.0, 12.0]
    assert result["hads_anxiety_band"].tolist() == ["abnormal", "normal"]
    assert result["hads_depression_band"].tolist() == ["borderline abnormal", "abnormal"]


def test_anxiety_band_boundaries() -> None:
    # Start from the least symptomatic answer on every anxiety item: position 4 on
    # items 1, 3, 5, 11, 13 and position 1 on items 7, 9 (all score 0).
    base = {1: 4, 3: 4, 5: 4, 7: 1, 9: 1, 11: 4, 13: 4}

    def anxiety(**changes: int) -> list[object]:
        codes = base | {int(k[1:]): v for k, v in changes.items()}
        return [codes.get(n, 1) for n in range(1, 15)]

    rows = [
        anxiety(i1=1, i3=1, i5=3),         # 3 + 3 + 1 = 7 -> normal
        anxiety(i1=1, i3=1, i5=2),         # 3 + 3 + 2 = 8 -> borderline abnormal
        anxiety(i1=1, i3=1, i5=1, i11=3),  # 3 + 3 + 3 + 1 = 10 -> borderline abnormal
        anxiety(i1=1, i3=1, i5=1, i7=3),   # 3 + 3 + 3 + 2 (item 7, position 3) = 11 -> abnormal
    ]
    result = score_verified(frame("hads", rows), "hads")
    assert result["hads_anxiety"].tolist() == [7.0, 8.0, 10.0, 11.0]
    assert result["hads_anxiety_band"].tolist() == [
        "normal", "borderline abnormal", "borderline abnormal", "abnormal",
    ]


def test_depression_uses_even_items_and_labels() -> None:
    # Neutral option labels ('first option' ... 'fourth option') are accepted.
    row = ["first option"] * 14
    row[1] = "Third option"   # item 2 (0-1-2-3): 2
    row[3] = "fourth  option"  # item 4: 3
    row[5] = "second option"  # item 6 (3-2-1-0): 2
    # depression: item 2 -> 2, 4 -> 3, 6 -> 2, 8 (first) -> 3, 10 (first) -> 3, 12, 14 (first) -> 0
    # = 13 -> abnormal; anxiety unchanged from all-first = 15.
    result = score_verified(frame("hads", [row]), "hads")
    assert result.loc[0, "hads_depression"] == 13.0
    assert result.loc[0, "hads_anxiety"] == 15.0


def test_missing_item_and_zero_code() -> None:
    rows = [[1] * 14]
    rows[0][13] = None  # item 14 (depression) missing
    result = score_verified(frame("hads", rows), "hads")
    assert math.isnan(result.loc[0, "hads_depression"])
    assert result.loc[0, "hads_anxiety"] == 15.0
    # A 0 means the data hold item scores, not option positions: reported, not guessed.
    with pytest.raises(hs.errors.ScoringError, match="out of range"):
        score_verified(frame("hads", [[0] * 14]), "hads")


def test_hads_scored_variant_sums_item_scores() -> None:
    # Item scores as on the scoring key: anxiety 3+2+1+0+3+2+1 = 12 (abnormal),
    # depression 0+1+2+3+0+1+2 = 9 (borderline abnormal).
    anxiety = [3, 2, 1, 0, 3, 2, 1]
    depression = [0, 1, 2, 3, 0, 1, 2]
    row = [value for pair in zip(anxiety, depression, strict=True) for value in pair]
    result = score_verified(frame("hads_scored", [row]), "hads_scored")
    assert result.loc[0, "hads_scored_anxiety"] == 12.0
    assert result.loc[0, "hads_scored_depression"] == 9.0
    assert result.loc[0, "hads_scored_depression_band"] == "borderline abnormal"
    assert hs.load_instrument("hads_scored").variant_of == "hads"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4), min_size=14, max_size=14))
def test_positions_and_item_scores_agree(positions: list[int]) -> None:
    # Convert positions to item scores by the rule in the module docstring, then
    # score those with hads_scored: both definitions must agree.
    item_scores = [4 - p if n in TOP_SCORES_3 else p - 1 for n, p in enumerate(positions, 1)]
    by_position = score_verified(frame("hads", [positions]), "hads")
    by_score = score_verified(frame("hads_scored", [item_scores]), "hads_scored")
    assert by_position.loc[0, "hads_anxiety"] == by_score.loc[0, "hads_scored_anxiety"]
    assert by_position.loc[0, "hads_depression"] == by_score.loc[0, "hads_scored_depression"]
    assert set(TOP_SCORES_3) | set(TOP_SCORES_0) == set(range(1, 15))
