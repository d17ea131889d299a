"""Hand-computed DASS-21 scores.

Rules: 21 items coded 0-3; depression = items 3, 5, 10, 13, 16, 17, 21; anxiety =
2, 4, 7, 9, 15, 19, 20; stress = 1, 6, 8, 11, 12, 14, 18; each scale = sum x 2
(0-42); total = all 21 items x 2. Severity labels on the doubled scores:
depression 0-9/10-13/14-20/21-27/28+, anxiety 0-7/8-9/10-14/15-19/20+,
stress 0-14/15-18/19-25/26-33/34+ (provisional, see the definition).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ProvisionalKeyWarning

DEPRESSION = (3, 5, 10, 13, 16, 17, 21)
ANXIETY = (2, 4, 7, 9, 15, 19, 20)
STRESS = (1, 6, 8, 11, 12, 14, 18)
COLUMNS = [f"dass21_{n}" for n in range(1, 22)]


def answers(codes: dict[int, object]) -> list[object]:
    """Codes of items 1-21; items not given are 0."""
    return [codes.get(n, 0) for n in range(1, 22)]


def raw_sum(items: tuple[int, ...], raw: int) -> dict[int, int]:
    """Codes on the given items adding up to `raw` (3s first, then the remainder)."""
    codes = {}
    for item in items:
        codes[item] = min(3, raw)
        raw -= codes[item]
    return codes


def score(rows: list[list[object]]) -> pd.DataFrame:
    with pytest.warns(ProvisionalKeyWarning, match="severity bands"):
        return hs.score(pd.DataFrame(rows, columns=COLUMNS), "dass21")


def test_every_scale_is_doubled() -> None:
    result = score([[1] * 21])
    # Each scale: 7 items x 1 = 7, x 2 = 14. Total: 21 x 1 = 21, x 2 = 42.
    assert result.loc[0, ["dass21_depression", "dass21_anxiety", "dass21_stress"]].tolist() == [14.0] * 3
    assert result.loc[0, "dass21_total"] == 42.0
    # 14 is 'moderate' depression (14-20), 'moderate' anxiety (10-14), 'normal' stress (0-14).
    assert result.loc[0, "dass21_depression_band"] == "moderate"
    assert result.loc[0, "dass21_anxiety_band"] == "moderate"
    assert result.loc[0, "dass21_stress_band"] == "normal"


def test_item_to_scale_key() -> None:
    result = score([
        answers(dict.fromkeys(DEPRESSION, 3)),  # depression 21 x 2 = 42; others 0
        answers(dict.fromkeys(ANXIETY, 3)),     # anxiety 42
        answers(dict.fromkeys(STRESS, 3)),      # stress 42
    ])
    assert result["dass21_depression"].tolist() == [42.0, 0.0, 0.0]
    assert result["dass21_anxiety"].tolist() == [0.0, 42.0, 0.0]
    assert result["dass21_stress"].tolist() == [0.0, 0.0, 42.0]
    assert result["dass21_total"].tolist() == [42.0, 42.0, 42.0]
    assert result["dass21_depression_band"].tolist() == ["extremely severe", "normal", "normal"]


@pytest.mark.parametrize(("items", "name", "raws", "doubled", "labels"), [
    # depression: raw 4 -> 8 normal | 5 -> 10 mild | 6 -> 12 mild | 7 -> 14 moderate
    #             10 -> 20 moderate | 11 -> 22 severe | 13 -> 26 severe | 14 -> 28 extremely severe
    (DEPRESSION, "depression", [4, 5, 6, 7, 10, 11, 13, 14], [8, 10, 12, 14, 20, 22, 26, 28],
     ["normal", "mild", "mild", "moderate", "moderate", "severe", "severe", "extremely severe"]),
    # anxiety: raw 3 -> 6 normal | 4 -> 8 mild | 5 -> 10 moderate | 7 -> 14 moderate
    #          8 -> 16 severe | 9 -> 18 severe | 10 -> 20 extremely severe
    (ANXIETY, "anxiety", [3, 4, 5, 7, 8, 9, 10], [6, 8, 10, 14, 16, 18, 20],
     ["normal", "mild", "moderate", "moderate", "severe", "severe", "extremely severe"]),
    # stress: raw 7 -> 14 normal | 8 -> 16 mild | 9 -> 18 mild | 10 -> 20 moderate
    #         12 -> 24 moderate | 13 -> 26 severe | 16 -> 32 severe | 17 -> 34 extremely severe
    (STRESS, "stress", [7, 8, 9, 10, 12, 13, 16, 17], [14, 16, 18, 20, 24, 26, 32, 34],
     ["normal", "mild", "mild", "moderate", "moderate", "severe", "severe", "extremely severe"]),
])
def test_band_boundaries_on_doubled_scores(items: tuple[int, ...], name: str, raws: list[int],
                                           doubled: list[int], labels: list[str]) -> None:
    result = score([answers(raw_sum(items, raw)) for raw in raws])
    assert result[f"dass21_{name}"].tolist() == [float(d) for d in doubled]
    assert result[f"dass21_{name}_band"].tolist() == labels


def test_labels_as_input_and_missing_item() -> None:
    some = "Applied to me to some degree, or some of the time"
    rows = [[some] * 21, [some] * 21]
    rows[1][2] = None  # item 3 (depression) missing in the second row
    result = score(rows)
    assert result.loc[0, "dass21_stress"] == 14.0  # 7 x 1 x 2
    # No published missing-item rule: the depression scale and the total are missing,
    # anxiety and stress are still scored (7 x 1 x 2 = 14).
    assert math.isnan(result.loc[1, "dass21_depression"])
    assert math.isnan(result.loc[1, "dass21_total"])
    assert result.loc[1, ["dass21_anxiety", "dass21_stress"]].tolist() == [14.0, 14.0]
    assert result.loc[1, "dass21_depression_n_answered"] == 6
