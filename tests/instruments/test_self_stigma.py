"""Hand-computed scores for the self-stigma instruments: ISMI-29 (mean and sum), ISMI-10, SSMIS-SF.

Every expected number is worked out by hand in the comment beside it from the published
rules recorded in the definition files (codes 1-4 Strongly disagree ... Strongly agree for
the ISMI; stigma-resistance items 7, 14, 24, 26, 27 reversed as 5 - code in the ISMI-29 total
only; ISMI-10 items 2 and 9 reversed; SSMIS-SF subscale sums of five 1-9 items).
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
from helpstats.errors import InstrumentError, ProvisionalKeyWarning

SR = (7, 14, 24, 26, 27)  # ISMI-29 stigma-resistance items


def frame(instrument_id: str, *responses: Sequence[Any]) -> pd.DataFrame:
    inst = hs.load_instrument(instrument_id)
    return pd.DataFrame([{item.id: v for item, v in zip(inst.items, values, strict=True)}
                         for values in responses])


def score(instrument_id: str, *responses: Sequence[Any], **options: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        return hs.score(frame(instrument_id, *responses), instrument_id, **options)


def ismi29(stigma: int, resistance: int) -> list[int]:
    """29 responses: every stigma item coded `stigma`, every SR item coded `resistance`."""
    return [resistance if n in SR else stigma for n in range(1, 30)]


# ----------------------------------------------------------------------------- ISMI-29 (mean)


def test_ismi29_all_strongly_agree():
    out = score("ismi29", ismi29(4, 4)).iloc[0]
    # total: 24 stigma items at 4 + 5 SR items reversed to 5 - 4 = 1 -> (96 + 5) / 29 = 101/29
    assert out["ismi29_total"] == pytest.approx(101 / 29)
    assert out["ismi29_total_band"] == "severe"  # 3.48 lies in 3.01-4.00
    # every subscale is the mean of its own items, SR NOT reversed in its own subscale
    for sub in ("alienation", "stereotype_endorsement", "discrimination_experience",
                "social_withdrawal", "stigma_resistance"):
        assert out[f"ismi29_{sub}"] == 4.0


def test_ismi29_all_strongly_disagree():
    out = score("ismi29", ismi29(1, 1)).iloc[0]
    # 24 x 1 + 5 x (5 - 1 = 4) = 24 + 20 = 44 -> 44/29 = 1.517
    assert out["ismi29_total"] == pytest.approx(44 / 29)
    assert out["ismi29_total_band"] == "minimal"
    assert out["ismi29_stigma_resistance"] == 1.0
    assert out["ismi29_alienation"] == 1.0


def test_ismi29_band_boundaries():
    out = score("ismi29", ismi29(2, 3), ismi29(3, 2), ismi29(3, 1)).reset_index(drop=True)
    # row 0: 24 x 2 + 5 x (5 - 3 = 2) = 58 -> 58/29 = 2.00, top of "minimal" (1.00-2.00)
    assert out.loc[0, "ismi29_total"] == pytest.approx(2.0)
    assert out.loc[0, "ismi29_total_band"] == "minimal"
    # row 1: 24 x 3 + 5 x (5 - 2 = 3) = 87 -> 3.00, top of "moderate" (2.51-3.00)
    assert out.loc[1, "ismi29_total"] == pytest.approx(3.0)
    assert out.loc[1, "ismi29_total_band"] == "moderate"
    assert out.loc[1, "ismi29_stigma_resistance"] == 2.0
    # row 2: 24 x 3 + 5 x (5 - 1 = 4) = 92 -> 92/29 = 3.172 -> "severe"
    assert out.loc[2, "ismi29_total"] == pytest.approx(92 / 29)
    assert out.loc[2, "ismi29_total_band"] == "severe"


def test_ismi29_mixed_subscales():
    # alienation items (1, 5, 8, 16, 17, 21) coded 4, 4, 3, 3, 2, 2 -> mean 18/6 = 3.0
    values = ismi29(1, 4)
    for n, v in zip((1, 5, 8, 16, 17, 21), (4, 4, 3, 3, 2, 2), strict=True):
        values[n - 1] = v
    out = score("ismi29", values).iloc[0]
    assert out["ismi29_alienation"] == 3.0
    assert out["ismi29_social_withdrawal"] == 1.0
    assert out["ismi29_stigma_resistance"] == 4.0
    # total: alienation 18 + 18 other stigma items at 1 + 5 SR at 5 - 4 = 1 -> 41/29
    assert out["ismi29_total"] == pytest.approx(41 / 29)


def test_ismi29_missing_item_leaves_its_scales_missing():
    values: list[Any] = ismi29(3, 2)
    values[0] = None  # item 1 (alienation) unanswered
    out = score("ismi29", values).iloc[0]
    assert math.isnan(out["ismi29_total"])  # no missing item allowed (max_missing = 0)
    assert math.isnan(out["ismi29_alienation"])
    assert out["ismi29_alienation_n_answered"] == 5
    assert out["ismi29_social_withdrawal"] == 3.0  # other subscales still scored
    assert out["ismi29_total_n_answered"] == 28


def test_ismi29_labels_as_input():
    coded = score("ismi29", ismi29(3, 2)).iloc[0]
    # "Agree" = 3 and "Disagree" = 2, matched ignoring case and surrounding spaces
    spelled = score("ismi29", [" agree " if v == 3 else "DISAGREE" for v in ismi29(3, 2)]).iloc[0]
    assert spelled["ismi29_total"] == coded["ismi29_total"] == pytest.approx(3.0)


def test_ismi29_warns_provisional():
    with pytest.warns(ProvisionalKeyWarning, match="ISMI-29"):
        hs.score(frame("ismi29", ismi29(2, 2)), "ismi29")


# ----------------------------------------------------------------------------- ISMI-29 (sum)


def test_ismi29_sum_variant():
    out = score("ismi29_sum", ismi29(4, 4), ismi29(2, 3), ismi29(2, 3)).reset_index(drop=True)
    # row 0: 24 x 4 + 5 x 1 = 101
    assert out.loc[0, "ismi29_sum_total"] == 101
    assert out.loc[0, "ismi29_sum_total_band"] == "severe"  # 88-116
    assert out.loc[0, "ismi29_sum_alienation"] == 24  # 6 items x 4
    assert out.loc[0, "ismi29_sum_stigma_resistance"] == 20  # 5 items x 4, not reversed
    # row 1: 24 x 2 + 5 x (5 - 3) = 58 -> top of "minimal" (29-58)
    assert out.loc[1, "ismi29_sum_total"] == 58
    assert out.loc[1, "ismi29_sum_total_band"] == "minimal"
    assert hs.load_instrument("ismi29_sum").variant_of == "ismi29"


def test_ismi29_sum_first_mild_score():
    values = ismi29(2, 3)
    values[1] = 3  # item 2 (stereotype endorsement) one point higher: 58 + 1 = 59
    out = score("ismi29_sum", values).iloc[0]
    assert out["ismi29_sum_total"] == 59
    assert out["ismi29_sum_total_band"] == "mild"  # 59-72


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=29, max_size=29))
def test_ismi29_total_is_weighted_subscales(values):
    # 29 x total = 6 A + 7 SE + 5 DE + 6 SW + (5 x 5 - 5 SR): SR items enter the total as 5 - code
    out = score("ismi29", values).iloc[0]
    rebuilt = (6 * out["ismi29_alienation"] + 7 * out["ismi29_stereotype_endorsement"]
               + 5 * out["ismi29_discrimination_experience"] + 6 * out["ismi29_social_withdrawal"]
               + 25 - 5 * out["ismi29_stigma_resistance"]) / 29
    assert out["ismi29_total"] == pytest.approx(rebuilt)
    summed = score("ismi29_sum", values).iloc[0]
    assert summed["ismi29_sum_total"] == pytest.approx(29 * out["ismi29_total"])


# ----------------------------------------------------------------------------- ISMI-10


def test_ismi10_extremes():
    out = score("ismi10", [4] * 10, [1] * 10).reset_index(drop=True)
    # all 4: eight stigma items 4 + items 2 and 9 reversed to 1 -> (32 + 2) / 10 = 3.4
    assert out.loc[0, "ismi10_total"] == pytest.approx(3.4)
    assert out.loc[0, "ismi10_total_band"] == "elevated"
    # all 1: 8 x 1 + 2 x 4 = 16 -> 1.6
    assert out.loc[1, "ismi10_total"] == pytest.approx(1.6)
    assert out.loc[1, "ismi10_total_band"] == "not elevated"


def test_ismi10_cutoff_boundary():
    # stigma items (1, 3-8, 10): six 3s and two 2s = 22; item 2 = 4 -> 1, item 9 = 3 -> 2
    at_cutoff = [3, 4, 3, 3, 3, 3, 3, 2, 3, 2]
    # sum = 22 + 1 + 2 = 25 -> 2.50 = still "not elevated" (elevated is above 2.50)
    above = [3, 4, 3, 3, 3, 3, 3, 3, 3, 2]  # one stigma item 2 -> 3: 26 -> 2.60
    out = score("ismi10", at_cutoff, above).reset_index(drop=True)
    assert out.loc[0, "ismi10_total"] == pytest.approx(2.5)
    assert out.loc[0, "ismi10_total_band"] == "not elevated"
    assert out.loc[1, "ismi10_total"] == pytest.approx(2.6)
    assert out.loc[1, "ismi10_total_band"] == "elevated"


def test_ismi10_missing_and_labels():
    out = score("ismi10", [None, 4, 3, 3, 3, 3, 3, 2, 3, 2],
                ["agree"] * 10).reset_index(drop=True)
    assert math.isnan(out.loc[0, "ismi10_total"])  # any missing item -> missing
    # all "Agree" (3): 8 x 3 + 2 x (5 - 3 = 2) = 28 -> 2.8
    assert out.loc[1, "ismi10_total"] == pytest.approx(2.8)


def test_ismi10_only_items_2_and_9_reversed_no_warning():
    # item k alone at 4, every other item at 1: the stigma items enter as coded, items 2 and 9
    # as 5 - code. Base (all 1): 8 x 1 + 2 x 4 = 16.
    base = [1] * 10
    rows = []
    for k in range(10):
        values = list(base)
        values[k] = 4
        rows.append(values)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProvisionalKeyWarning)  # verified: scoring must not warn
        out = hs.score(frame("ismi10", *rows), "ismi10").reset_index(drop=True)
    for k in range(10):
        # reversed item: 4 -> 1, so 16 - 3 = 13 -> 1.3; stigma item: 1 -> 4, 16 + 3 = 19 -> 1.9
        expected = 1.3 if k + 1 in (2, 9) else 1.9
        assert out.loc[k, "ismi10_total"] == pytest.approx(expected), k + 1
    # the sum convention of the second source (10-40) is 10 x this mean: 13 and 19
    assert out.loc[1, "ismi10_total"] * 10 == pytest.approx(13)


def test_ismi10_missing_limit_at_and_past():
    # max_missing = 0: all ten answered -> scored (at the limit); one missing -> missing (past it)
    complete = [2, 3, 2, 2, 2, 2, 2, 2, 3, 2]  # 8 x 2 + 2 x (5 - 3 = 2) = 20 -> 2.0
    past = [2, 3, 2, 2, 2, 2, 2, 2, 3, None]
    out = score("ismi10", complete, past).reset_index(drop=True)
    assert out.loc[0, "ismi10_total"] == pytest.approx(2.0)
    assert out.loc[0, "ismi10_total_n_answered"] == 10
    assert math.isnan(out.loc[1, "ismi10_total"])
    assert out.loc[1, "ismi10_total_n_answered"] == 9


# ----------------------------------------------------------------------------- SSMIS-SF


def test_ssmis_sf_subscale_sums_and_no_total():
    values = [9, 9, 9, 9, 9, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 2, 2, 2, 2, 3]
    out = score("ssmis_sf", values).iloc[0]
    assert out["ssmis_sf_aware"] == 45  # 5 x 9
    assert out["ssmis_sf_agree"] == 15  # 1 + 2 + 3 + 4 + 5
    assert out["ssmis_sf_apply"] == 25  # 5 x 5
    assert out["ssmis_sf_harm"] == 11  # 2 + 2 + 2 + 2 + 3
    assert "ssmis_sf_total" not in out.index


def test_ssmis_sf_missing_item_only_affects_its_subscale():
    values: list[Any] = [1] * 20
    values[17] = None  # item 18 is a harm item
    out = score("ssmis_sf", values).iloc[0]
    assert math.isnan(out["ssmis_sf_harm"])
    assert out["ssmis_sf_aware"] == 5  # 5 x 1


def test_ssmis_sf_end_labels_and_range_check():
    out = score("ssmis_sf", ["9 strongly agree"] * 5 + ["1 Strongly Disagree"] * 15).iloc[0]
    assert out["ssmis_sf_aware"] == 45
    assert out["ssmis_sf_harm"] == 5
    with pytest.raises(hs.errors.ScoringError, match="out of range"):
        score("ssmis_sf", [10] + [1] * 19)


# ----------------------------------------------------------------------------- reverse_items


def _user_file(tmp_path, scale_extra: str) -> str:
    text = f'''
schema = 1
id = "mine"
name = "Test"
version = "1"
domain = "self-stigma"
citation = "none"
license_status = "unknown"
license_note = "none"
[verification]
status = "verified"
sources = ["test"]
[response_sets.a]
codes = [1, 2, 3, 4]
labels = ["w", "x", "y", "z"]
[[items]]
number = 1
label = "one"
[[items]]
number = 2
label = "two"
[[scales]]
id = "total"
items = [1, 2]
{scale_extra}
'''
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_reverse_items_scores_within_the_scale_only(tmp_path):
    path = _user_file(tmp_path, 'method = "sum"\nreverse_items = [2]\n[[scales]]\nid = "b"\n'
                                'items = [2]\nmethod = "sum"')
    out = hs.score(pd.DataFrame({"mine_1": [4, 1], "mine_2": [1, 3]}), path)
    # total: 4 + (1 + 4 - 1 = 4) = 8; 1 + (5 - 3 = 2) = 3; scale b keeps item 2 as coded
    assert out["mine_total"].tolist() == [8.0, 3.0]
    assert out["mine_b"].tolist() == [1.0, 3.0]


@pytest.mark.parametrize("extra, message", [
    ('method = "sum"\nreverse_items = [3]', "not one of the scale's items"),
    ('method = "sum"\nreverse_items = [2, 2]', "listed twice"),
    ('method = "sum"\nreverse_items = []', "non-empty list"),
    ('method = "count"\nkeyed = { "1" = 4, "2" = 4 }\nreverse_items = [2]', "keyed choices"),
])
def test_reverse_items_validation(tmp_path, extra, message):
    with pytest.raises(InstrumentError, match=message):
        hs.load_instrument(_user_file(tmp_path, extra))


# ----------------------------------------------------------------------------- item_scores(scale=)


def test_item_scores_for_a_scale_apply_its_reversals():
    data = frame("ismi29", ismi29(3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        total = hs.scoring.item_scores(data, "ismi29", scale="total")
        resistance = hs.scoring.item_scores(data, "ismi29", scale="stigma_resistance")
        plain = hs.scoring.item_scores(data, "ismi29")
    assert list(total.columns) == [f"ismi29_{n}" for n in range(1, 30)]
    assert total["ismi29_7"].tolist() == [1.0]  # SR item coded 4 counts 5 - 4 = 1 in the total
    assert total["ismi29_1"].tolist() == [3.0]
    assert list(resistance.columns) == [f"ismi29_{n}" for n in SR]
    assert resistance.iloc[0].tolist() == [4.0] * 5  # as coded in their own subscale
    assert plain["ismi29_7"].tolist() == [4.0]
    # the scale score is the mean of exactly these item scores: (24 x 3 + 5 x 1) / 29
    assert total.iloc[0].mean() == pytest.approx(77 / 29)


def test_item_scores_scale_errors():
    with pytest.raises(hs.errors.ScoringError, match="no scale 'nope'"):
        hs.scoring.item_scores(frame("ismi10", [1] * 10), "ismi10", scale="nope")
    data = pd.DataFrame({f"rotter_ie_{n}": ["a"] for n in range(1, 30)})
    with pytest.raises(hs.errors.ScoringError, match="counts keyed choices"):
        hs.scoring.item_scores(data, "rotter_ie", scale="total")


def test_cli_show_states_scale_level_reversal(capsys):
    from helpstats.cli import main

    assert main(["instruments", "show", "ismi29"]) == 0
    shown = capsys.readouterr().out
    assert "(reversed in this scale: 7, 14, 24, 26, 27)" in shown
    assert "ismi29_stigma_resistance: mean of items 7, 14, 24, 26, 27; range" in shown


def test_reliability_of_the_total_reverses_stigma_resistance_items():
    # Every respondent gives the same code b to all 29 items (b = 1, 2, 2, 3, 3, 4; variance v).
    # In the total the 5 SR items become 5 - b, so each item has variance v and the total is
    # 24 b + 5 (5 - b) = 19 b + 25 with variance 361 v:
    #   alpha = 29/28 * (1 - 29 v / 361 v) = 29/28 * 332/361 = 0.95252...
    # Without the reversal every item would equal b: 29/28 * (1 - 29/841) = 1.
    # The SR subscale keeps its items as coded: five identical columns, alpha = 5/4 * (1 - 5/25) = 1.
    data = frame("ismi29", *[[b] * 29 for b in (1, 2, 2, 3, 3, 4)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        table = hs.reliability(data, "ismi29").set_index("scale")
    assert table.loc["total", "alpha"] == pytest.approx(29 / 28 * 332 / 361)
    assert table.loc["stigma_resistance", "alpha"] == pytest.approx(1.0)
