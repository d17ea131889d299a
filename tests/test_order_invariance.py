"""Results never depend on row order or index labels (hypothesis).

Random item responses (codes, labels, blanks, invalid cells, booleans next to 0 and 1 in one
object column) go through score, validate, classify_roles and reliability twice: sorted on a
unique RangeIndex, and shuffled on an index with repeated labels (what ``pd.concat`` of waves
without ``ignore_index=True`` gives). Row for row, the results must be the same.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import helpstats as hs

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
INSTRUMENTS = ["gad7", "phq9", "rses"]
ODD_CELLS = [True, False, 7, -1, "often", "", " ", None, 1.5, "1", " 2 "]


@st.composite
def study_rows(draw: st.DrawFn, instrument: str) -> pd.DataFrame:
    inst = hs.load_instrument(instrument)
    n = draw(st.integers(2, 24))
    columns: dict[str, list[object]] = {
        "wave": draw(st.lists(st.sampled_from([0, 1, 3]), min_size=n, max_size=n)),
        "pid": draw(st.lists(st.sampled_from(["001", "002", 3, 4, "5"]), min_size=n, max_size=n)),
        "given": draw(st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=n, max_size=n)),
        "received": draw(st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=n,
                                  max_size=n)),
    }
    for item in inst.items:
        options = [*item.response_set.codes, *item.response_set.labels]
        cell = st.one_of(st.sampled_from(options), st.sampled_from(ODD_CELLS))
        columns[item.id] = draw(st.lists(cell, min_size=n, max_size=n))
    return pd.DataFrame(columns, dtype=object).astype({"wave": "int64"})


def hostile(frame: pd.DataFrame, data: st.DataObject) -> tuple[pd.DataFrame, np.ndarray]:
    """Shuffled rows on repeated index labels; also the permutation used."""
    order = np.array(data.draw(st.permutations(range(len(frame)))))
    labels = data.draw(st.lists(st.integers(0, 2), min_size=len(frame), max_size=len(frame)))
    shuffled = frame.iloc[order].copy()
    shuffled.index = pd.Index(labels)
    return shuffled, order


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.mark.parametrize("instrument", INSTRUMENTS)
@SETTINGS
@given(data=st.data())
def test_score_is_row_for_row_the_same(instrument: str, data: st.DataObject) -> None:
    frame = data.draw(study_rows(instrument))
    mixed, order = hostile(frame, data)
    before = mixed.copy()
    plain = quiet(hs.score, frame, instrument, on_invalid="missing")
    tricky = quiet(hs.score, mixed, instrument, on_invalid="missing")
    pd.testing.assert_frame_equal(mixed, before)  # the caller's frame is untouched
    assert tricky.index.equals(mixed.index)
    pd.testing.assert_frame_equal(tricky.reset_index(drop=True),
                                  plain.iloc[order].reset_index(drop=True))
    assert len(plain.attrs.get("invalid_cells", [])) == len(tricky.attrs.get("invalid_cells", []))


@pytest.mark.parametrize("instrument", INSTRUMENTS)
@SETTINGS
@given(data=st.data())
def test_validate_counts_the_same(instrument: str, data: st.DataObject) -> None:
    frame = data.draw(study_rows(instrument))
    mixed, order = hostile(frame, data)
    plain = hs.validate(frame, instrument, id="pid", wave="wave")
    tricky = hs.validate(mixed, instrument, id="pid", wave="wave")
    pd.testing.assert_frame_equal(plain.attrs["summary"], tricky.attrs["summary"])
    assert plain.attrs["duplicated_rows"] == tricky.attrs["duplicated_rows"]

    def problems(report: pd.DataFrame) -> list[tuple[str, str, str]]:
        return sorted((str(r.column), repr(r.value), str(r.problem))
                      for r in report.itertuples())
    assert problems(plain) == problems(tricky)
    # the row labels reported are the caller's labels of the rows at fault
    cells = tricky[tricky["problem"] != "duplicated participant × wave"]
    assert set(cells["row"].dropna()) <= set(mixed.index)


@SETTINGS
@given(data=st.data(), by=st.sampled_from([None, "wave", ["wave", "pid"]]),
       method=st.sampled_from(["median", "thresholds"]))
def test_classify_roles_is_row_for_row_the_same(data: st.DataObject, by: object,
                                                 method: str) -> None:
    frame = data.draw(study_rows("gad7"))
    frame["pid"] = frame["pid"].astype(str)
    mixed, order = hostile(frame, data)
    thresholds = {"giving": 3, "receiving": 4} if method == "thresholds" else None
    plain = quiet(hs.classify_roles, frame, giving="given", receiving="received",
                  method=method, thresholds=thresholds, by=by)
    tricky = quiet(hs.classify_roles, mixed, giving="given", receiving="received",
                   method=method, thresholds=thresholds, by=by)
    assert tricky.index.equals(mixed.index)
    assert tricky.astype(str).tolist() == plain.iloc[order].astype(str).tolist()
    pd.testing.assert_frame_equal(pd.DataFrame(tricky.attrs["role_rule"]["cutoffs"]),
                                  pd.DataFrame(plain.attrs["role_rule"]["cutoffs"]))


@pytest.mark.parametrize("instrument", INSTRUMENTS)
@SETTINGS
@given(data=st.data(), use=st.sampled_from(["complete", "pairwise"]))
def test_reliability_by_wave_is_the_same(instrument: str, data: st.DataObject,
                                         use: str) -> None:
    frame = data.draw(study_rows(instrument))
    mixed, _ = hostile(frame, data)
    plain = quiet(hs.reliability, frame, instrument, by="wave", use=use, on_invalid="missing")
    tricky = quiet(hs.reliability, mixed, instrument, by="wave", use=use, on_invalid="missing")
    pd.testing.assert_frame_equal(plain, tricky, check_exact=False, rtol=1e-9, atol=1e-12)
    assert plain["n"].sum() + plain["n_incomplete"].sum() == len(frame) * len(
        hs.load_instrument(instrument).scales)


# ----------------------------------------------------------------------------- the cases found


def test_concat_of_waves_without_ignore_index_is_not_pooled() -> None:
    rng = np.random.default_rng(3)
    items = {f"gad7_{n}": rng.integers(0, 4, 100) for n in range(1, 8)}
    waves = [pd.DataFrame({"wave": w, "given": g, "received": rng.integers(0, 4, 50),
                           **{k: v[w * 50:(w + 1) * 50] for k, v in items.items()}})
             for w, g in ((0, np.tile([1, 2], 25)), (1, np.tile([10, 13], 25)))]
    stacked = pd.concat(waves)  # labels 0..49 twice
    roles = hs.classify_roles(stacked, giving="given", receiving="received", by="wave")
    assert [c["giving"] for c in roles.attrs["role_rule"]["cutoffs"]] == [1.5, 11.5]
    table = hs.reliability(stacked, "gad7", by="wave")
    assert table["n"].tolist() == [50, 50]
    stacked.iloc[3, stacked.columns.get_loc("gad7_2")] = 9  # one invalid cell, label 3
    summary = hs.validate(stacked, "gad7").attrs["summary"]
    assert summary[["invalid_cells", "rows_with_invalid", "complete_rows"]].values.tolist() == [
        [1, 1, 99]]


@pytest.mark.parametrize("cells", [[0, False], [False, 0], [1, True], [True, 1],
                                   [np.bool_(True), 1], [1.0, True]])
def test_booleans_next_to_numbers_score_the_same_in_any_order(cells: list[object]) -> None:
    data = pd.DataFrame({f"gad7_{n}": [1, 1] for n in range(1, 8)})
    data["gad7_1"] = pd.Series(cells, dtype=object)
    result = quiet(hs.score, data, "gad7", on_invalid="missing")
    number_row = next(i for i, c in enumerate(cells) if not isinstance(c, bool | np.bool_))
    assert result["gad7_total"].iloc[number_row] == float(cells[number_row]) + 6
    assert pd.isna(result["gad7_total"].iloc[1 - number_row])
    (cell,) = result.attrs["invalid_cells"]
    assert cell["row"] == 1 - number_row and "true/false" in cell["problem"]


@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, {1}, np.array([1, 2])])
def test_list_valued_cells_are_invalid_cells(value: object) -> None:
    data = pd.DataFrame({f"gad7_{n}": [1, 1] for n in range(1, 8)}, dtype=object)
    data.at[1, "gad7_3"] = value
    with pytest.raises(hs.errors.ScoringError, match=r"row 1, column 'gad7_3'.*not a single "
                                                     "response") as caught:
        hs.score(data, "gad7")
    assert caught.value.problems["row"].tolist() == [1]
    scored = quiet(hs.score, data, "gad7", on_invalid="missing")
    assert scored["gad7_total"].iloc[0] == 7 and pd.isna(scored["gad7_total"].iloc[1])
    assert len(hs.validate(data, "gad7")) == 1
