"""Hand-computed scores for the Empowerment Scale (Rogers et al. 1997), provisional key.

Codes 1 Strongly agree ... 4 Strongly disagree (order of the printed form). The 19 items whose
agreement expresses empowerment (1-3, 5, 6, 9, 11-15, 18-20, 24-28) are reversed as 5 - code;
the 9 items 4, 7, 8, 10, 16, 17, 21, 22, 23 are not. Total = mean of the 28 item scores, 1-4.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ProvisionalKeyWarning

NEGATIVE = {4, 7, 8, 10, 16, 17, 21, 22, 23}


def frame(*responses: Sequence[Any]) -> pd.DataFrame:
    return pd.DataFrame([{f"empowerment_scale_{n}": v for n, v in enumerate(values, 1)}
                         for values in responses])


def score(*responses: Sequence[Any]) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        return hs.score(frame(*responses), "empowerment_scale").reset_index(drop=True)


def test_all_strongly_agree_and_all_strongly_disagree():
    out = score([1] * 28, [4] * 28)
    # all SA (1): 19 reversed items -> 4 each = 76; 9 others -> 1 each = 9; (76 + 9) / 28
    assert out.loc[0, "empowerment_scale_total"] == pytest.approx(85 / 28)
    # all SD (4): 19 reversed items -> 1 each = 19; 9 others -> 4 each = 36; 55 / 28
    assert out.loc[1, "empowerment_scale_total"] == pytest.approx(55 / 28)


def test_most_and_least_empowered_patterns():
    most = [4 if n in NEGATIVE else 1 for n in range(1, 29)]  # agree with positive, reject negative
    least = [1 if n in NEGATIVE else 4 for n in range(1, 29)]
    out = score(most, least)
    assert out.loc[0, "empowerment_scale_total"] == pytest.approx(4.0)  # 28 x 4 / 28
    assert out.loc[1, "empowerment_scale_total"] == pytest.approx(1.0)  # 28 x 1 / 28


def test_labels_mixed_pattern_and_missing():
    # items 1-14 "Agree" (2), items 15-28 "Disagree" (3)
    values = ["Agree"] * 14 + ["disagree"] * 14
    # items 1-14: reversed (1, 2, 3, 5, 6, 9, 11, 12, 13, 14: ten items) -> 5 - 2 = 3 -> 30;
    #             not reversed (4, 7, 8, 10: four items) -> 2 -> 8
    # items 15-28: reversed (15, 18, 19, 20, 24, 25, 26, 27, 28: nine items) -> 5 - 3 = 2 -> 18;
    #             not reversed (16, 17, 21, 22, 23: five items) -> 3 -> 15
    # total = (30 + 8 + 18 + 15) / 28 = 71 / 28
    missing: list[Any] = [2] * 28
    missing[27] = None
    out = score(values, missing)
    assert out.loc[0, "empowerment_scale_total"] == pytest.approx(71 / 28)
    assert math.isnan(out.loc[1, "empowerment_scale_total"])  # no missing item allowed


def test_provisional_warning_names_what_is_unverified():
    with pytest.warns(ProvisionalKeyWarning, match="reversed"):
        hs.score(frame([2] * 28), "empowerment_scale")
    inst = hs.load_instrument("empowerment_scale")
    assert inst.license_status == "license_required" and not inst.item_text
    assert [s.id for s in inst.scales] == ["total"]
