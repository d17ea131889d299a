"""Hand-computed CES-D scores (Radloff 1977).

Rules: 20 items coded 0-3; items 4, 8, 12, 16 (positively worded) are reversed
(score = 3 - code); total 0-60; cut-off 16; the scale is missing when more than
4 items are missing; with 1-4 missing the total is prorated (mean of the answered
items x 20, unrounded - the helpstats choice recorded in the definition).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ProvisionalKeyWarning

REVERSED = (4, 8, 12, 16)
COLUMNS = [f"cesd_{n}" for n in range(1, 21)]


def row(forward: dict[int, object], reversed_code: object = 3) -> list[object]:
    """Codes for items 1-20: `forward` gives non-reversed items (default 0);
    every reversed item gets `reversed_code` unless given in `forward`."""
    return [forward.get(n, reversed_code if n in REVERSED else 0) for n in range(1, 21)]


def score(rows: list[list[object]]) -> pd.DataFrame:
    with pytest.warns(ProvisionalKeyWarning, match="proration"):
        return hs.score(pd.DataFrame(rows, columns=COLUMNS), "cesd")


def test_reversed_items() -> None:
    result = score([
        [0] * 20,  # 16 forward items score 0; items 4, 8, 12, 16 coded 0 score 3 - 0 = 3: total 12
        [3] * 20,  # 16 forward items x 3 = 48; reversed items coded 3 score 0: total 48
        row({4: 0}),  # everything 0 except item 4 coded 0 -> 3: total 3
    ])
    assert result["cesd_total"].tolist() == [12.0, 48.0, 3.0]


def test_cut_off_16_on_both_sides() -> None:
    # Reversed items coded 3 (score 0); forward items carry the whole score.
    result = score([
        row({1: 3, 2: 3, 3: 3, 5: 3, 6: 3}),        # 5 x 3 = 15 -> below cut-off
        row({1: 3, 2: 3, 3: 3, 5: 3, 6: 3, 7: 1}),  # 15 + 1 = 16 -> at or above cut-off
    ])
    assert result["cesd_total"].tolist() == [15.0, 16.0]
    assert result["cesd_total_band"].tolist() == ["below cut-off", "at or above cut-off"]


def test_four_missing_items_are_prorated() -> None:
    # Items 17-20 missing (4 = the limit). Answered: forward items 1-3, 5-7, 9-11, 13-15
    # (12 items) coded 1 except item 1 coded 2 -> 13; reversed items coded 2 -> 3 - 2 = 1
    # each -> 4. Sum of 16 answered items = 17; prorated 17 / 16 x 20 = 21.25.
    codes = [2, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 2, None, None, None, None]
    result = score([codes])
    assert result.loc[0, "cesd_total"] == pytest.approx(21.25, abs=1e-12)
    assert result.loc[0, "cesd_total_n_answered"] == 16
    assert result.loc[0, "cesd_total_band"] == "at or above cut-off"


def test_five_missing_items_leave_scale_missing() -> None:
    # One past the limit: items 16-20 missing.
    codes = [2, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, None, None, None, None, None]
    result = score([codes])
    assert math.isnan(result.loc[0, "cesd_total"])
    assert result.loc[0, "cesd_total_n_answered"] == 15
    assert pd.isna(result.loc[0, "cesd_total_band"])


def test_prorated_score_between_integers_takes_lower_band() -> None:
    # Item 20 missing; 19 answered sum to 15 (five forward items coded 3, reversed coded 3).
    # Prorated 15 / 19 x 20 = 300 / 19 = 15.789..., not yet 16 -> below cut-off.
    codes = row({1: 3, 2: 3, 3: 3, 5: 3, 6: 3})
    codes[19] = None
    result = score([codes])
    assert result.loc[0, "cesd_total"] == pytest.approx(300 / 19, abs=1e-12)
    assert result.loc[0, "cesd_total_band"] == "below cut-off"


def test_labels_as_input() -> None:
    rare = "Rarely or none of the time (less than 1 day)"
    most = "most or all of the time  (5-7 days)"  # case and spacing ignored
    # All 'rarely': forward 0, reversed 3 x 4 = 12. All 'most': 16 x 3 = 48.
    result = score([[rare] * 20, [most] * 20])
    assert result["cesd_total"].tolist() == [12.0, 48.0]


def test_out_of_range_code_is_reported() -> None:
    codes = row({})
    codes[0] = 4  # the form prints 1-4, but helpstats codes the items 0-3
    with pytest.raises(hs.errors.ScoringError, match="cesd_1"):
        hs.score(pd.DataFrame([codes], columns=COLUMNS), "cesd")
    problems = hs.scoring.find_invalid_cells(pd.DataFrame([codes], columns=COLUMNS), "cesd")
    assert problems["column"].tolist() == ["cesd_1"]
    assert np.array_equal(problems["value"].to_numpy(), np.array([4]))
