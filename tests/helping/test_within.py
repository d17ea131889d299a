"""decompose, lag and change: datawizard::demean parity, scheduled waves, missed waves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.errors import HelpingError

REF = Path(__file__).parents[1] / "data" / "helping" / "demean"


def test_decompose_equals_datawizard_demean() -> None:
    data = pd.read_csv(REF / "data.csv")
    expected = json.loads((REF / "expected.json").read_text())
    before = data.copy()
    out = hs.decompose(data, ["weight", "time2"], id="Chick")
    pd.testing.assert_frame_equal(data, before)  # caller's data untouched
    assert out.index.equals(data.index) and len(out) == len(data)
    for name in ("weight_between", "weight_within", "time2_between", "time2_within"):
        want = np.array([np.nan if v is None else v for v in expected[name]], dtype=float)
        np.testing.assert_allclose(out[name].to_numpy(), want, rtol=0, atol=1e-12)
        assert np.array_equal(np.isnan(out[name].to_numpy()), np.isnan(want))
    grand = hs.decompose(data, "weight", id="Chick", grand_mean=True)
    np.testing.assert_allclose(grand["weight_between"], expected["weight_between_grand"],
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(grand["weight_within"], out["weight_within"], atol=0)


def test_decompose_by_hand_missing_value_keeps_between() -> None:
    data = pd.DataFrame({"pid": ["x", "x", "x", "y", "z"], "g": [1.0, np.nan, 5.0, 2.0, np.nan]},
                        index=[10, 11, 12, 13, 14])
    out = hs.decompose(data, "g", id="pid")
    assert out["g_between"].tolist()[:4] == [3.0, 3.0, 3.0, 2.0]
    assert np.isnan(out.loc[14, "g_between"])  # nobody to average: missing, row kept
    assert out["g_within"].tolist()[:1] == [-2.0] and np.isnan(out.loc[11, "g_within"])
    assert list(out.index) == [10, 11, 12, 13, 14]
    # grand mean = mean of person means (3 and 2), each person once
    assert hs.decompose(data, "g", id="pid", grand_mean=True)["g_between"].tolist()[:4] == [
        0.5, 0.5, 0.5, -0.5]


def test_decompose_ids_compared_as_text() -> None:
    data = pd.DataFrame({"pid": [1, "1", 2.0], "g": [2.0, 4.0, 7.0]})
    assert hs.decompose(data, "g", id="pid")["g_between"].tolist() == [3.0, 3.0, 7.0]


def test_decompose_errors() -> None:
    data = pd.DataFrame({"pid": [1, None], "g": [1.0, 2.0], "g_between": [0, 0]})
    with pytest.raises(HelpingError, match="already exist"):
        hs.decompose(data.assign(pid=[1, 2]), "g", id="pid")
    with pytest.raises(HelpingError, match="no participant id"):
        hs.decompose(data.drop(columns="g_between"), "g", id="pid")
    with pytest.raises(HelpingError, match="not numeric"):
        hs.decompose(pd.DataFrame({"pid": [1], "g": ["a"]}), "g", id="pid")
    with pytest.raises(HelpingError, match="not found"):
        hs.decompose(data, "nope", id="pid")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.one_of(st.none(), st.integers(-5, 5))),
                min_size=1, max_size=25))
def test_decompose_parts_add_up(rows: list[tuple[int, int | None]]) -> None:
    data = pd.DataFrame(rows, columns=["pid", "x"]).astype({"x": "float64"})
    out = hs.decompose(data, "x", id="pid")
    observed = data["x"].notna()
    np.testing.assert_allclose((out["x_between"] + out["x_within"])[observed], data["x"][observed])
    # within parts average to zero within each participant
    sums = out.loc[observed].groupby("pid")["x_within"].mean()
    np.testing.assert_allclose(sums, 0, atol=1e-12)


def _panel() -> pd.DataFrame:
    # schedule 0, 1, 3, 8; "b" missed wave 1, "c" missed wave 3 and has a missing value at 1
    rows = [("a", 0, 1.0), ("a", 1, 2.0), ("a", 3, 4.0), ("a", 8, 8.0),
            ("b", 0, 10.0), ("b", 3, 13.0), ("b", 8, 18.0),
            ("c", 0, 20.0), ("c", 1, np.nan), ("c", 8, 28.0)]
    return pd.DataFrame(rows, columns=["id", "wave", "x"])


def test_lag_on_scheduled_waves_with_shuffled_rows() -> None:
    data = _panel().sample(frac=1.0, random_state=4)  # row order must not matter
    out = hs.lag(data, "x", id="id", wave="wave")
    got = dict(zip(zip(out["id"], out["wave"], strict=True), out["x_lag1"], strict=True))
    want = {("a", 0): np.nan, ("a", 1): 1.0, ("a", 3): 2.0, ("a", 8): 4.0,
            ("b", 0): np.nan, ("b", 3): np.nan, ("b", 8): 13.0,   # missed wave 1: no lag at 3
            ("c", 0): np.nan, ("c", 1): 20.0, ("c", 8): np.nan}   # missed wave 3: no lag at 8
    for key, value in want.items():
        assert got[key] == value or (np.isnan(got[key]) and np.isnan(value)), key
    assert out.index.equals(data.index)
    lag2 = hs.lag(data, "x", id="id", wave="wave", k=2).set_index(["id", "wave"])["x_lag2"]
    assert lag2[("a", 3)] == 1.0 and lag2[("b", 3)] == 10.0 and np.isnan(lag2[("c", 8)])
    assert lag2[("a", 8)] == 2.0 and np.isnan(lag2[("c", 1)])


def test_lag_schedule_from_waves_argument() -> None:
    # nobody was seen at wave 3, but it is scheduled: the wave-8 lag is missing for everyone
    data = _panel()
    data = data[data["wave"] != 3]
    out = hs.lag(data, "x", id="id", wave="wave", waves=[0, 1, 3, 8])
    assert out.loc[out["wave"] == 8, "x_lag1"].isna().all()
    # without the schedule, wave 1 is taken to come right before 8
    plain = hs.lag(data, "x", id="id", wave="wave").set_index(["id", "wave"])["x_lag1"]
    assert plain[("a", 8)] == 2.0
    with pytest.raises(HelpingError, match="not in waves"):
        hs.lag(data, "x", id="id", wave="wave", waves=[0, 1])


def test_lag_categorical_waves_use_category_order() -> None:
    data = pd.DataFrame({"id": [1, 1, 1], "wave": ["post", "base", "mid"], "x": [3.0, 1.0, 2.0]})
    data["wave"] = pd.Categorical(data["wave"], categories=["base", "mid", "post"], ordered=True)
    assert hs.lag(data, "x", id="id", wave="wave")["x_lag1"].tolist()[:1] == [2.0]


def test_change_previous_and_from_baseline() -> None:
    data = _panel().iloc[::-1]
    prev = hs.change(data, "x", id="id", wave="wave").set_index(["id", "wave"])["x_change"]
    assert prev[("a", 3)] == 2.0 and prev[("a", 8)] == 4.0 and prev[("b", 8)] == 5.0
    assert np.isnan(prev[("b", 3)]) and np.isnan(prev[("c", 1)]) and np.isnan(prev[("a", 0)])
    base = hs.change(data, "x", id="id", wave="wave", from_baseline=True) \
        .set_index(["id", "wave"])["x_change"]
    assert base[("b", 3)] == 3.0 and base[("c", 8)] == 8.0 and base[("a", 0)] == 0.0
    assert np.isnan(base[("c", 1)])


def test_lag_errors() -> None:
    data = _panel()
    with pytest.raises(HelpingError, match="repeat a participant"):
        hs.lag(pd.concat([data, data.iloc[:1]]), "x", id="id", wave="wave")
    with pytest.raises(HelpingError, match="k must be"):
        hs.lag(data, "x", id="id", wave="wave", k=0)
    with pytest.raises(HelpingError, match="no wave"):
        hs.lag(data.assign(wave=[None] + data["wave"].tolist()[1:]), "x", id="id", wave="wave")
    with pytest.raises(HelpingError, match="repeats a wave"):
        hs.change(data, "x", id="id", wave="wave", waves=[0, 1, 1, 3, 8])


def test_change_scores_to_last_scheduled_wave() -> None:
    data = _panel().assign(arm=lambda d: d["id"].map({"a": "x", "b": "y", "c": "x"}))
    out = hs.change_scores(data.sample(frac=1, random_state=1), "x", id="id", wave="wave",
                           keep=["arm"]).set_index("id")
    assert out.loc["a", "x_baseline"] == 1.0 and out.loc["a", "x_change"] == 7.0
    assert out.loc["b", "x_change"] == 8.0 and out.loc["c", "x_change"] == 8.0
    assert out.loc["b", "arm"] == "y"
    to3 = hs.change_scores(data, "x", id="id", wave="wave", to=3).set_index("id")["x_change"]
    assert to3["a"] == 3.0 and to3["b"] == 3.0 and np.isnan(to3["c"])  # c missed wave 3
    with pytest.raises(HelpingError, match="varies within"):
        hs.change_scores(data.assign(arm=range(len(data))), "x", id="id", wave="wave",
                         keep=["arm"])
    with pytest.raises(HelpingError, match="not a scheduled wave"):
        hs.change_scores(data, "x", id="id", wave="wave", to=99)
