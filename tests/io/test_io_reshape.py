"""to_long / to_wide / stack_waves: suffixes, REDCap events, separate files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.errors import ExportError

D = Path(__file__).parents[1] / "data" / "exports"


def test_suffix_waves_round_trip() -> None:
    wide = pd.DataFrame({"pid": ["a", "b", "c"], "sex": ["f", "m", "f"],
                         "phq9_1_t0": [1, 2, 3], "phq9_2_t0": [0, 0, 1],
                         "phq9_1_t1": [2, np.nan, 0], "phq9_2_t1": [1, 1, np.nan]})
    long = hs.to_long(wide, id="pid")
    assert long.shape == (6, 5)
    assert long.columns.tolist() == ["pid", "wave", "sex", "phq9_1", "phq9_2"]
    assert long["wave"].cat.categories.tolist() == ["t0", "t1"]
    assert long.loc[(long.pid == "b") & (long.wave == "t1"), "phq9_2"].item() == 1
    back = hs.to_wide(long, id="pid")
    pd.testing.assert_frame_equal(back, wide[back.columns.tolist()], check_dtype=False)
    assert sorted(back.columns) == sorted(wide.columns)


def test_named_waves_and_regex() -> None:
    wide = pd.DataFrame({"id": [1], "mood_baseline": [3], "mood_month_1": [2], "x": [9]})
    long = hs.to_long(wide, id="id", wave_from=["baseline", "month_1"])
    assert long["wave"].tolist() == ["baseline", "month_1"] and long["mood"].tolist() == [3, 2]
    w = pd.DataFrame({"id": [1], "q.w1": [1], "q.w2": [5]})
    assert hs.to_long(w, id="id", wave_from=r"\.(?P<wave>w[0-9])")["q"].tolist() == [1, 5]
    with pytest.raises(ExportError, match="wave"):
        hs.to_long(w, id="id", wave_from=r"\.w[0-9]")
    with pytest.raises(ExportError, match="no column name"):
        hs.to_long(pd.DataFrame({"id": [1], "q": [2]}), id="id")


def test_redcap_events_longitudinal_fixture() -> None:
    exp = hs.read_export(D / "redcap/longitudinal/data.csv")
    long = hs.to_long(exp.data, id="study_id", wave_from="redcap")
    assert len(long) == 18  # one row per record x event, nothing dropped
    assert long.columns[:3].tolist() == ["study_id", "wave", "arm"]
    assert set(long["arm"].dropna()) == {1, 2}
    assert "redcap_event_name" not in long.columns
    first = exp.data["redcap_event_name"].iloc[0]
    assert first.startswith(str(long["wave"].iloc[0]))


def test_stack_waves_from_exports_and_frames(tmp_path: Path) -> None:
    (tmp_path / "w0.csv").write_text("pid,phq9_1\n00123,2\n00124,1\n")
    (tmp_path / "w1.csv").write_text("pid,phq9_1,extra\n00123,0,x\n")
    stacked = hs.stack_waves({"baseline": hs.read_export(tmp_path / "w0.csv"),
                              "month_1": hs.read_export(tmp_path / "w1.csv").data})
    assert stacked.columns.tolist() == ["wave", "pid", "phq9_1", "extra"]
    assert stacked["pid"].tolist() == ["00123", "00124", "00123"]
    assert stacked["wave"].cat.categories.tolist() == ["baseline", "month_1"]
    assert stacked["extra"].isna().tolist() == [True, True, False]
    wide = hs.to_wide(stacked, id="pid", columns=["phq9_1", "extra"])
    assert wide.loc[wide.pid == "00123", ["phq9_1_baseline", "phq9_1_month_1"]].values.tolist() \
        == [[2, 0]]
    with pytest.raises(ExportError, match="share a participant and wave"):
        hs.to_wide(pd.concat([stacked, stacked]), id="pid")
    with pytest.raises(ExportError, match=r"\['extra'\] differ between waves"):
        hs.to_wide(stacked, id="pid", columns=["phq9_1"])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 8), n_waves=st.integers(1, 4), seed=st.integers(0, 1000))
def test_long_wide_round_trip_keeps_every_value(n: int, n_waves: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    wide = pd.DataFrame({"pid": range(n)})
    for w in range(n_waves):
        values = rng.integers(0, 4, n).astype(float)
        values[rng.random(n) < 0.3] = np.nan
        wide[f"q_t{w}"] = values
    long = hs.to_long(wide, id="pid")
    assert len(long) == n * n_waves
    back = hs.to_wide(long, id="pid", columns=["q"])
    pd.testing.assert_frame_equal(back, wide, check_dtype=False)


def test_to_wide_refuses_rows_without_a_wave() -> None:
    data = pd.DataFrame({"pid": [1, 1, 2, 2, 3], "wave": ["t0", "t1", "t0", None, "t0"],
                         "y": [1, 2, 3, 4, 5]})
    with pytest.raises(ExportError, match=r"1 row\(s\) have no 'wave' value \(rows \[3\]\)"):
        hs.to_wide(data, id="pid", wave="wave")
