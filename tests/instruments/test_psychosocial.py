"""Hand-computed scores for the psychosocial-adjustment instruments.

RSES (0-3 and 1-4), Pearlin Mastery, WHO-5, WEMWBS, SWEMWBS, UCLA-3 (3- and 4-point),
Rotter I-E, QPR-15 and MSPSS. Each expected number is worked out in the comment beside it
from the published rule in the instrument's definition file, never from the code under test.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.errors import ProvisionalKeyWarning, ScoringError


def frame(instrument_id: str, *responses: Sequence[Any]) -> pd.DataFrame:
    inst = hs.load_instrument(instrument_id)
    return pd.DataFrame([{item.id: v for item, v in zip(inst.items, values, strict=True)}
                         for values in responses])


def score(instrument_id: str, *responses: Sequence[Any], **options: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        out = hs.score(frame(instrument_id, *responses), instrument_id, **options)
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- RSES


def test_rses_reversed_items_and_extremes():
    # codes: 0 SD, 1 D, 2 A, 3 SA; items 2, 5, 6, 8, 9 reversed (3 - code)
    out = score("rses", [3] * 10, [3, 0, 3, 3, 0, 0, 3, 0, 0, 3], [2] * 10)
    assert out.loc[0, "rses_total"] == 15  # positives 5 x 3 = 15, negatives 5 x 0
    assert out.loc[1, "rses_total"] == 30  # every item scores 3
    assert out.loc[2, "rses_total"] == 15  # positives 5 x 2 = 10, negatives 5 x (3 - 2) = 5


def test_rses_mixed_labels():
    labels = ["Strongly agree", "disagree", "Agree", "agree", "Strongly Disagree",
              "Disagree", "strongly agree", "Disagree", "strongly disagree", "Agree"]
    # codes 3,1,2,2,0,1,3,1,0,2 -> scores 3, 3-1=2, 2, 2, 3-0=3, 3-1=2, 3, 3-1=2, 3-0=3, 2 = 24
    assert score("rses", labels).loc[0, "rses_total"] == 24


def test_rses_missing_limit_prorates_two_and_rejects_three():
    two: list[Any] = [None, 1, 2, 2, None, 1, 3, 1, 0, 2]
    three: list[Any] = [None, None, None, 2, 0, 1, 3, 1, 0, 2]
    out = score("rses", two, three)
    # answered scores: 2, 2, 2, 3, 2, 3, 2, 3... item by item: i2 3-1=2, i3 2, i4 2, i6 3-1=2,
    # i7 3, i8 3-1=2, i9 3-0=3, i10 2 -> 18 over 8 items; prorated 18 / 8 x 10 = 22.5
    assert out.loc[0, "rses_total"] == pytest.approx(22.5)
    assert out.loc[0, "rses_total_n_answered"] == 8
    assert math.isnan(out.loc[1, "rses_total"])  # 3 missing > max 2


def test_rses_1to4_variant_is_rses_plus_ten():
    out = score("rses_1to4", [4, 2, 3, 3, 1, 2, 4, 2, 1, 3], [1] * 10)
    # codes 4,2,3,3,1,2,4,2,1,3 (1-4): scores 4, 5-2=3, 3, 3, 5-1=4, 3, 4, 3, 4, 3 = 34
    assert out.loc[0, "rses_1to4_total"] == 34
    # all SD (1): positives 5 x 1 = 5, negatives 5 x 4 = 20 -> 25
    assert out.loc[1, "rses_1to4_total"] == 25
    with pytest.raises(ScoringError):
        score("rses", [4] * 10)  # 4 is not a code of the 0-3 form


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=10, max_size=10))
def test_rses_codings_agree(codes):
    zero = score("rses", codes).loc[0, "rses_total"]
    one = score("rses_1to4", [c + 1 for c in codes]).loc[0, "rses_1to4_total"]
    assert one == zero + 10
    assert 0 <= zero <= 30


# ----------------------------------------------------------------------------- Pearlin


def test_pearlin_mastery():
    out = score("pearlin_mastery", [4] * 7, [1, 1, 1, 4, 1, 4, 1], [2, 3, 1, 4, 2, 3, 1])
    # all SA: items 4, 6 -> 4 + 4; reversed 1, 2, 3, 5, 7 -> 5 - 4 = 1 each -> 8 + 5 = 13
    assert out.loc[0, "pearlin_mastery_total"] == 13
    assert out.loc[1, "pearlin_mastery_total"] == 28  # every item scores 4
    # 5-2=3, 5-3=2, 5-1=4, 4, 5-2=3, 3, 5-1=4 -> 23
    assert out.loc[2, "pearlin_mastery_total"] == 23


def test_pearlin_missing_and_labels():
    out = score("pearlin_mastery", ["strongly disagree"] * 7, [None, 1, 1, 4, 1, 4, 1])
    # all SD (1): reversed five -> 4 each = 20, items 4 and 6 -> 1 each = 2 -> 22
    assert out.loc[0, "pearlin_mastery_total"] == 22
    assert math.isnan(out.loc[1, "pearlin_mastery_total"])


# ----------------------------------------------------------------------------- WHO-5


def test_who5_percentage_and_band_boundaries():
    out = score("who5", [5, 4, 3, 2, 1], [3, 3, 2, 2, 2], [3, 3, 3, 2, 2])
    assert out.loc[0, "who5_total"] == 60  # raw 15 x 4
    assert out.loc[1, "who5_total"] == 48  # raw 12 x 4: highest "poor" score (raw < 13)
    assert out.loc[1, "who5_total_band"] == "poor well-being"
    assert out.loc[2, "who5_total"] == 52  # raw 13 x 4: lowest score above the cut-off
    assert out.loc[2, "who5_total_band"] == "not poor well-being"


def test_who5_labels_extremes_missing():
    out = score("who5", ["All of the time"] * 5, ["at no time"] * 5, [5, 5, 5, 5, None])
    assert out.loc[0, "who5_total"] == 100  # 5 x 5 = 25, x 4
    assert out.loc[1, "who5_total"] == 0
    assert math.isnan(out.loc[2, "who5_total"])  # all five items are required


# ----------------------------------------------------------------------------- WEMWBS / SWEMWBS


def test_wemwbs_sums():
    out = score("wemwbs", [1] * 14, [5] * 14, [1, 2, 3, 4, 5] * 2 + [1, 2, 3, 4])
    assert out.loc[0, "wemwbs_total"] == 14
    assert out.loc[1, "wemwbs_total"] == 70
    assert out.loc[2, "wemwbs_total"] == 40  # 2 x 15 + 1 + 2 + 3 + 4


def test_wemwbs_missing_and_labels():
    out = score("wemwbs", ["Often"] * 14, [None] + [3] * 13)
    assert out.loc[0, "wemwbs_total"] == 56  # 14 x 4
    assert math.isnan(out.loc[1, "wemwbs_total"])


def test_swemwbs_lookup_values():
    out = score("swemwbs", [5, 4, 4, 4, 4, 4, 4], [1] * 7, [5] * 7, [3] * 7, [4] * 7)
    assert out.loc[0, "swemwbs_total"] == 26.02  # raw 5 + 6 x 4 = 29 -> 26.02 (not 25.99)
    assert out.loc[1, "swemwbs_total"] == 7.00  # raw 7
    assert out.loc[2, "swemwbs_total"] == 35.00  # raw 35
    assert out.loc[3, "swemwbs_total"] == 19.25  # raw 21
    assert out.loc[4, "swemwbs_total"] == 25.03  # raw 28


def test_swemwbs_needs_complete_responses():
    out = score("swemwbs", [5, 5, 5, 5, 5, 5, None], ["some of the time"] * 7)
    assert math.isnan(out.loc[0, "swemwbs_total"])  # conversion valid for 7 answers only
    assert out.loc[0, "swemwbs_total_n_answered"] == 6
    assert out.loc[1, "swemwbs_total"] == 19.25  # "Some of the time" = 3, raw 21


# ----------------------------------------------------------------------------- UCLA-3


def test_ucla3_three_point():
    out = score("ucla3", [1, 1, 1], [3, 3, 3], ["Hardly ever", "Some of the time", "often"])
    assert out.loc[0, "ucla3_total"] == 3
    assert out.loc[1, "ucla3_total"] == 9
    assert out.loc[2, "ucla3_total"] == 6  # 1 + 2 + 3


def test_ucla3_missing_and_four_point_variant():
    with pytest.raises(ScoringError, match="out of range"):
        score("ucla3", [4, 4, 4])  # the published form has no code 4
    out = score("ucla3_4pt", [4, 4, 4], ["never", "rarely", "sometimes"])
    assert out.loc[0, "ucla3_4pt_total"] == 12
    assert out.loc[1, "ucla3_4pt_total"] == 6  # 1 + 2 + 3
    assert math.isnan(score("ucla3", [1, None, 3]).loc[0, "ucla3_total"])
    assert hs.load_instrument("ucla3_4pt").variant_of == "ucla3"


# ----------------------------------------------------------------------------- Rotter I-E

KEY_A = (2, 6, 7, 9, 16, 17, 18, 20, 21, 23, 25, 29)  # external choice is "a" (12 items)
KEY_B = (3, 4, 5, 10, 11, 12, 13, 15, 22, 26, 28)  # external choice is "b" (11 items)
FILLERS = (1, 8, 14, 19, 24, 27)


def test_rotter_counts_external_choices():
    out = score("rotter_ie", ["a"] * 29, ["b"] * 29)
    assert out.loc[0, "rotter_ie_total"] == 12  # all "a": the 12 a-keyed items
    assert out.loc[1, "rotter_ie_total"] == 11  # all "b": the 11 b-keyed items


def test_rotter_fillers_are_ignored():
    most_external = ["a" if n in KEY_A else "b" for n in range(1, 30)]
    no_fillers: list[Any] = [None if n in FILLERS else v
                             for n, v in enumerate(most_external, 1)]
    internal = ["b" if n in KEY_A else "a" for n in range(1, 30)]
    out = score("rotter_ie", most_external, no_fillers, internal)
    assert out.loc[0, "rotter_ie_total"] == 23  # every keyed choice
    assert out.loc[1, "rotter_ie_total"] == 23  # unanswered fillers do not count as missing
    assert out.loc[1, "rotter_ie_total_n_answered"] == 23
    assert out.loc[2, "rotter_ie_total"] == 0


def test_rotter_labels_missing_and_invalid():
    mixed: list[Any] = ["Option A" if n % 2 else "option b" for n in range(1, 30)]
    # odd items answered a, even b. a-keyed odd items: 7, 9, 17, 21, 23, 25, 29 = 7;
    # b-keyed even items: 4, 10, 12, 22, 26, 28 = 6 -> 13
    assert score("rotter_ie", mixed).loc[0, "rotter_ie_total"] == 13
    one_missing: list[Any] = ["a"] * 29
    one_missing[1] = None  # item 2 is keyed
    assert math.isnan(score("rotter_ie", one_missing).loc[0, "rotter_ie_total"])
    with pytest.raises(ScoringError, match="unknown label"):
        score("rotter_ie", ["a", "c"] + ["a"] * 27)  # item 2 is keyed; "c" is no option


# ----------------------------------------------------------------------------- QPR-15


def test_qpr15():
    out = score("qpr15", [4] * 15, [0] * 15, [0, 1, 2, 3, 4] * 3)
    assert out.loc[0, "qpr15_total"] == 60
    assert out.loc[1, "qpr15_total"] == 0
    assert out.loc[2, "qpr15_total"] == 30  # 3 x (0 + 1 + 2 + 3 + 4)


def test_qpr15_published_labels():
    # PhenX form: "Disagree strongly ... Agree strongly"; the reversed wording is an alias.
    first = ["Disagree strongly"] * 5 + ["Agree strongly"] * 5 + ["neither agree nor disagree"] * 5
    out = score("qpr15", first, ["strongly disagree"] * 14 + ["AGREE STRONGLY"])
    assert out.loc[0, "qpr15_total"] == 30  # 5 x 0 + 5 x 4 + 5 x 2
    assert out.loc[1, "qpr15_total"] == 4


def test_qpr15_labels_and_missing():
    out = score("qpr15", ["Strongly agree"] * 5 + ["agree"] * 10, [None] + [4] * 14)
    assert out.loc[0, "qpr15_total"] == 50  # 5 x 4 + 10 x 3
    assert math.isnan(out.loc[1, "qpr15_total"])


# ----------------------------------------------------------------------------- MSPSS


def test_mspss_subscale_means():
    values = [0] * 12
    for n in (1, 2, 5, 10):  # significant other
        values[n - 1] = 7
    for n, v in zip((3, 4, 8, 11), (1, 2, 3, 4), strict=True):  # family
        values[n - 1] = v
    for n, v in zip((6, 7, 9, 12), (5, 5, 6, 6), strict=True):  # friends
        values[n - 1] = v
    out = score("mspss", values).iloc[0]
    assert out["mspss_significant_other"] == 7.0
    assert out["mspss_family"] == 2.5  # (1 + 2 + 3 + 4) / 4
    assert out["mspss_friends"] == 5.5  # 22 / 4
    assert out["mspss_total"] == 5.0  # (28 + 10 + 22) / 12 = 60 / 12


def test_mspss_extremes_labels_missing():
    friend_missing: list[Any] = [4] * 12
    friend_missing[5] = None  # item 6 belongs to friends
    out = score("mspss", ["very strongly agree"] * 12, [1] * 12, friend_missing)
    assert out.loc[0, "mspss_total"] == 7.0
    assert out.loc[1, "mspss_total"] == 1.0
    assert math.isnan(out.loc[2, "mspss_friends"])
    assert math.isnan(out.loc[2, "mspss_total"])
    assert out.loc[2, "mspss_family"] == 4.0


# ----------------------------------------------------------------------------- provenance

VERIFIED = ("rses", "rses_1to4", "pearlin_mastery", "who5", "wemwbs", "swemwbs", "ucla3",
            "rotter_ie", "qpr15", "mspss")
PROVISIONAL = ("ucla3_4pt",)
DOMAIN = {"pearlin_mastery": "empowerment", "rotter_ie": "empowerment", "qpr15": "recovery/hope",
          "mspss": "social functioning/support", "ucla3": "social functioning/support",
          "ucla3_4pt": "social functioning/support"}


@pytest.mark.parametrize("instrument_id", VERIFIED + PROVISIONAL)
def test_status_and_warning(instrument_id):
    inst = hs.load_instrument(instrument_id)
    assert inst.domain == DOMAIN.get(instrument_id, "psychosocial adjustment")
    assert inst.citation and inst.license_note and inst.verification.sources
    assert inst.provisional == (instrument_id in PROVISIONAL)
    data = frame(instrument_id, [inst.items[0].response_set.codes[0]] * len(inst.items))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hs.score(data, instrument_id)
    provisional = [w for w in caught if issubclass(w.category, ProvisionalKeyWarning)]
    assert len(provisional) == (1 if inst.provisional else 0)
