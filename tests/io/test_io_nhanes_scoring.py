"""NHANES 2017-2018 PHQ-9 items (DPQ_J), read with read_export and scored with hs.score.

Codes 7 (Refused) and 9 (Don't know) are not PHQ-9 responses: on_invalid="raise"
lists them all; on_invalid="missing" scores them as missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import helpstats as hs
from helpstats.errors import InvalidCellsWarning, ScoringError

PATH = Path(__file__).parents[1] / "data" / "exports" / "nhanes-phq9" / "DPQ_J.csv"
COLUMNS = {f"phq9_{k}": f"DPQ0{k}0" for k in range(1, 10)}


@pytest.fixture(scope="module")
def nhanes() -> hs.Export:
    return hs.read_export(PATH)


def test_raise_lists_every_refusal_and_dont_know(nhanes: hs.Export) -> None:
    items = nhanes.data[list(COLUMNS.values())]
    n_bad = int(items.isin([7, 9]).sum().sum())
    with pytest.raises(ScoringError) as info:
        hs.score(nhanes.data, "phq9", columns=COLUMNS)
    problems = info.value.problems
    assert len(problems) == n_bad
    assert set(problems["value"].astype(float)) <= {7.0, 9.0}


def test_missing_scores_them_as_missing(nhanes: hs.Export) -> None:
    data = nhanes.data
    items = data[list(COLUMNS.values())]
    with pytest.warns(InvalidCellsWarning):
        scores = hs.score(data, "phq9", columns=COLUMNS, on_invalid="missing")
    assert len(scores) == 5533
    clean = items.where(~items.isin([7, 9]))
    answered = clean.notna().sum(axis=1)
    assert (scores["phq9_total_n_answered"] == answered).all()
    complete = answered == 9
    np.testing.assert_array_equal(scores.loc[complete, "phq9_total"],
                                  clean[complete].sum(axis=1))
    # 439 people were not asked: no total
    assert scores.loc[items.isna().all(axis=1), "phq9_total"].isna().all()
    # first respondent SEQN 93705: items 0,0,0,0,0,0,0,0,0 -> total 0
    assert data.loc[0, "SEQN"] == 93705.0 and scores.loc[0, "phq9_total"] == 0
    # the respondent answering item 1 then 9 ("don't know") for the rest has no total
    dont_know = (items.iloc[:, 1:] == 9).all(axis=1)
    assert dont_know.sum() == 1 and scores.loc[dont_know, "phq9_total"].isna().all()
