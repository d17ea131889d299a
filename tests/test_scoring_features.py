"""Every scoring feature on a made-up instrument (tests/data/instruments/toy.toml), by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import InvalidCellsWarning, ProvisionalKeyWarning, ScoringError
from helpstats.scoring import find_invalid_cells, item_scores

NAN = np.nan


def toy_frame(rows: list[list[object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[f"toy_{n}" for n in range(1, 7)])


def score_toy(toy_path, rows, **options) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        return hs.score(toy_frame(rows), toy_path, **options)


def test_reverse_keying_and_bands(toy_path) -> None:
    result = score_toy(toy_path, [[4, 1, 4, 1, "a", "b"], [1, 4, 1, 4, "b", "a"]])
    # row 0: 4 + (1 + 4 - 1) + 4 = 12, row 1: 1 + (5 - 4) + 1 = 3
    assert result["toy_total"].tolist() == [12.0, 3.0]
    assert result["toy_total_band"].tolist() == ["high", "low"]
    assert result["toy_mean"].tolist() == [4.0, 1.0]


def test_prorating_with_rounding_half_up(toy_path) -> None:
    result = score_toy(toy_path, [[2, NAN, 3, 1, "a", "b"], [1, NAN, 2, 1, "a", "b"],
                                  [NAN, NAN, 3, 1, "a", "b"]])
    # 2 + 3 = 5 over 2 answered items -> 2.5 x 3 = 7.5 -> 8; 1 + 2 = 3 -> 4.5 -> 5
    assert result["toy_total"].tolist()[:2] == [8.0, 5.0]
    assert result["toy_total_band"].tolist()[:2] == ["high", "low"]
    # two items missing is past the limit of one
    assert np.isnan(result.loc[2, "toy_total"])
    # the mean scale takes the mean of the answered items, unrounded
    assert result["toy_mean"].tolist()[:2] == [2.5, 1.5]
    assert np.isnan(result.loc[2, "toy_mean"])


def test_per_option_scores(toy_path) -> None:
    result = score_toy(toy_path, [[1, 1, 1, 1, "a", "a"], [1, 1, 1, 4, "a", "a"],
                                  [1, 1, 1, "Agree", "a", "a"]])
    assert result["toy_odd"].tolist() == [3.0, 0.0, 1.0]  # codes 1, 4, 3 score 3, 0, 1


def test_count_of_keyed_choices_with_labels(toy_path) -> None:
    result = score_toy(toy_path, [[1, 1, 1, 1, "a", "b"], [1, 1, 1, 1, "b", "a"],
                                  [1, 1, 1, 1, "first statement", " SECOND statement"],
                                  [1, 1, 1, 1, "a", None]])
    assert result["toy_choices"].tolist()[:3] == [2.0, 0.0, 2.0]
    assert np.isnan(result.loc[3, "toy_choices"])
    assert result["toy_choices_n_answered"].tolist() == [2, 2, 2, 1]


def test_lookup_and_multiplier(toy_path) -> None:
    result = score_toy(toy_path, [[4, 1, 4, 1, "a", "b"], [1, 1, 1, 1, "a", "b"],
                                  [2, 1, NAN, 1, "a", "b"]])
    assert result["toy_converted"].tolist()[:2] == [25.0, 10.0]  # raw 8 -> 25.0, raw 2 -> 10.0
    assert np.isnan(result.loc[2, "toy_converted"])  # lookup needs complete responses
    assert result["toy_doubled"].tolist()[:2] == [16.0, 4.0]


def test_unscored_filler_column_is_not_required(toy_path) -> None:
    result = score_toy(toy_path, [[4, 1, 4, 1, "a", "b"]])  # no toy_7 column at all
    assert result.loc[0, "toy_total"] == 12


def test_provisional_key_warns_once_naming_what_is_unverified(toy_path) -> None:
    with pytest.warns(ProvisionalKeyWarning, match="not a real instrument") as record:
        hs.score(toy_frame([[4, 1, 4, 1, "a", "b"]]), toy_path)
    assert len([w for w in record if issubclass(w.category, ProvisionalKeyWarning)]) == 1


def test_verified_instrument_does_not_warn() -> None:
    data = pd.DataFrame({f"gad7_{n}": [1] for n in range(1, 8)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hs.score(data, "gad7")


def test_invalid_cells_raise_one_error_listing_all(toy_path) -> None:
    rows = [[5, 1, 1, 1, "a", "b"], [1, "maybe", 1, 1, 1, "b"], [1, 1, 1, 1, "a", "b"]]
    with pytest.raises(ScoringError) as caught:
        score_toy(toy_path, rows)
    problems = caught.value.problems
    assert list(problems.columns) == ["row", "column", "item", "value", "problem", "allowed"]
    assert problems[["row", "column", "problem"]].values.tolist() == [
        [0, "toy_1", "out of range"],
        [1, "toy_2", "unknown label"],
        [1, "toy_5", "a number where a response label is expected"],
    ]
    message = str(caught.value)
    assert "3 invalid cell(s)" in message and "'maybe'" in message and "toy_5" in message


def test_invalid_cells_as_missing_warn_and_report(toy_path) -> None:
    rows = [[5, 1, 1, 1, "a", "b"], [1, 1, 1, 1, "a", "b"]]
    with pytest.warns(InvalidCellsWarning, match="1 invalid cell"):
        result = score_toy(toy_path, rows, on_invalid="missing")
    # row 0: item 1 missing -> (1 + 4 - 1) + 1 = 5 over 2 items -> 7.5 -> 8
    assert result["toy_total"].tolist() == [8.0, 6.0]
    assert result.attrs["invalid_cells"][0]["value"] == 5


def test_error_message_lists_first_twenty_then_a_count() -> None:
    data = pd.DataFrame({f"gad7_{n}": [7] * 5 for n in range(1, 8)})
    with pytest.raises(ScoringError) as caught:
        hs.score(data, "gad7")
    assert "35 invalid cell(s)" in str(caught.value)
    assert "... and 15 more" in str(caught.value)
    assert len(caught.value.problems) == 35


def test_missing_columns_are_named() -> None:
    data = pd.DataFrame({f"gad7_{n}": [1] for n in range(1, 6)})
    with pytest.raises(ScoringError, match="gad7_6, gad7_7"):
        hs.score(data, "gad7")


def test_bad_options_are_reported() -> None:
    data = pd.DataFrame({f"gad7_{n}": [1] for n in range(1, 8)})
    with pytest.raises(ScoringError, match="on_invalid"):
        hs.score(data, "gad7", on_invalid="drop")
    with pytest.raises(ScoringError, match="placeholder"):
        hs.score(data, "gad7", columns="Q5_")
    with pytest.raises(ScoringError, match="unknown item"):
        hs.score(data, "gad7", columns={"gad7_99": "x"})
    with pytest.raises(ScoringError, match="dict keyed by instrument id"):
        hs.score(data, ["gad7", "phq9"], columns="Q{n}")


def test_find_invalid_cells_includes_missing_columns() -> None:
    data = pd.DataFrame({f"gad7_{n}": [1, 4] for n in range(1, 7)})
    report = find_invalid_cells(data, "gad7")
    assert (report["problem"] == "missing column").sum() == 1
    assert (report["problem"] == "out of range").sum() == 6


def test_item_scores_apply_reversal(toy_path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        scores = item_scores(toy_frame([[4, 1, 4, 1, "a", "b"]]), toy_path)
    assert list(scores.columns) == ["toy_1", "toy_2", "toy_3", "toy_4"]  # choice items have no scores
    assert scores.iloc[0].tolist() == [4.0, 4.0, 4.0, 3.0]


def test_input_is_not_modified() -> None:
    data = pd.DataFrame({f"phq9_{n}": ["Several days", "2"] for n in range(1, 10)})
    before = data.copy()
    hs.score(data, "phq9")
    pd.testing.assert_frame_equal(data, before)


def test_invalid_cell_counts_survive_join_and_concat() -> None:
    """Issue 15: the invalid-cell count travels in a column, not only in attrs."""
    import warnings

    import helpstats as hs

    data = pd.DataFrame({f"gad7_{n}": [1, 2, 0] for n in range(1, 8)}, dtype=object)
    data.loc[0, "gad7_3"] = 9          # out of range
    data.loc[0, "gad7_5"] = "often"    # unknown label
    data.loc[2, "gad7_1"] = 7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = hs.score(data, "gad7", on_invalid="missing")
    assert scores["gad7_total_n_invalid"].tolist() == [2, 0, 1]
    assert scores["gad7_total_n_answered"].tolist() == [5, 7, 6]
    combined = pd.concat([data.join(scores), data.join(scores)], ignore_index=True)
    assert combined["gad7_total_n_invalid"].sum() == 6
    assert "gad7_total_n_invalid" not in hs.score(data.iloc[[1]], "gad7").columns
