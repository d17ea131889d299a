"""Reliable change (Jacobson & Truax 1991), hand-computed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import InstrumentError, ReliabilityError

DATA = Path(__file__).parent / "data"
NORMS = DATA / "rc_norms.toml"

# sd 10, r 0.82: SEM = 10 * sqrt(0.18); S_diff = sqrt(2) * SEM = 10 * sqrt(0.36) = 6 exactly.
BEFORE = pd.Series([30.0, 30.0, 30.0, 30.0], index=["p1", "p2", "p3", "p4"])
AFTER = [18.0, 25.0, 42.0, 30.0]  # change -12, -5, +12, 0 -> RCI -2, -5/6, +2, 0


def test_rci_hand_computed_higher_is_worse() -> None:
    out = hs.reliable_change(BEFORE, AFTER, sd=10.0, reliability=0.82, higher_is="worse")
    assert list(out.index) == ["p1", "p2", "p3", "p4"]
    assert out["change"].tolist() == [-12.0, -5.0, 12.0, 0.0]
    assert out["rci"].to_numpy() == pytest.approx([-2.0, -5 / 6, 2.0, 0.0], abs=1e-12)
    assert out["category"].tolist() == [
        "reliably improved", "no reliable change", "reliably deteriorated", "no reliable change",
    ]
    assert out.attrs["s_diff"] == pytest.approx(6.0, abs=1e-12)
    assert out.attrs["sem"] == pytest.approx(10 * math.sqrt(0.18), abs=1e-12)
    assert "clinically_significant" not in out


def test_rci_without_a_direction_names_only_the_way_the_score_moved() -> None:
    with pytest.warns(UserWarning, match="direction of the scale is unknown"):
        out = hs.reliable_change(BEFORE, AFTER, sd=10.0, reliability=0.82)
    assert out["rci"].to_numpy() == pytest.approx([-2.0, -5 / 6, 2.0, 0.0], abs=1e-12)
    assert out["category"].tolist() == [
        "reliable decrease", "no reliable change", "reliable increase", "no reliable change",
    ]
    assert out.attrs["higher_is"] is None


def test_rci_direction_better_flips_categories() -> None:
    out = hs.reliable_change(BEFORE, AFTER, sd=10.0, reliability=0.82, higher_is="better")
    assert out["category"].tolist()[:3] == [
        "reliably deteriorated", "no reliable change", "reliably improved",
    ]


def test_rci_exactly_at_critical_value_is_not_reliable() -> None:
    # change 11.76 / 6 = 1.96 exactly: |RCI| must exceed 1.96.
    out = hs.reliable_change([0.0], [11.76 - 1e-9], sd=10.0, reliability=0.82, higher_is="worse")
    assert out["category"].iloc[0] == "no reliable change"


def test_defaults_from_instrument_prefer_test_retest() -> None:
    out = hs.reliable_change(BEFORE, AFTER, instrument=NORMS)
    assert out.attrs["reliability"] == 0.82
    assert out.attrs["reliability_statistic"] == "test_retest"
    assert out.attrs["sd"] == 10.0
    assert out["rci"].iloc[0] == pytest.approx(-2.0, abs=1e-12)


def test_reliability_from_alpha() -> None:
    out = hs.reliable_change(BEFORE, AFTER, instrument=NORMS, reliability_from=("alpha",))
    # SEM = 10 sqrt(0.09) = 3, S_diff = 3 sqrt(2); RCI = -12 / 4.2426 = -2.8284
    assert out.attrs["reliability_statistic"] == "alpha"
    assert out["rci"].iloc[0] == pytest.approx(-12 / (3 * math.sqrt(2)), abs=1e-12)


def test_criterion_c_and_recovery_hand_computed() -> None:
    # c = (sd0 * mean1 + sd1 * mean0) / (sd0 + sd1) = (4 * 30 + 8 * 10) / 12 = 16.667
    before = [30.0, 20.0, 15.0, 30.0, 12.0]
    after = [15.0, 16.0, 10.0, 17.0, 30.0]
    out = hs.reliable_change(before, after, instrument=NORMS)
    assert out.attrs["cutoff"] == pytest.approx(200 / 12, abs=1e-12)
    # p1: crossed c and RCI -2.5 -> recovered; p2: crossed c, RCI -2/3 -> not reliable;
    # p3: functional already; p4: reliably improved but still above c; p5: deteriorated.
    assert out["clinically_significant"].tolist() == [True, True, False, False, False]
    assert out["recovered"].tolist() == [True, False, False, False, False]
    assert out["category"].tolist()[3:] == ["reliably improved", "reliably deteriorated"]


def test_explicit_cutoff_without_instrument() -> None:
    out = hs.reliable_change([20.0], [8.0], sd=10.0, reliability=0.82, higher_is="better",
                             cutoff=10.0)
    # higher is better: functional side is above c; 20 -> 8 moves the wrong way.
    assert out["category"].iloc[0] == "reliably deteriorated"
    assert not out["clinically_significant"].iloc[0]


def test_missing_scores_stay_missing() -> None:
    out = hs.reliable_change([30.0, np.nan], [15.0, 20.0], instrument=NORMS)
    assert len(out) == 2
    assert math.isnan(out["rci"].iloc[1])
    assert pd.isna(out["category"].iloc[1])
    assert pd.isna(out["recovered"].iloc[1])
    assert out["recovered"].iloc[0]


def test_no_published_values_raise() -> None:
    with pytest.raises(ReliabilityError, match="publishes no 'sd'"):
        hs.reliable_change(BEFORE, AFTER, instrument=NORMS, scale="better")
    with pytest.raises(ReliabilityError, match="publishes none of test_retest, alpha"):
        hs.reliable_change(BEFORE, AFTER, instrument=NORMS, scale="better", sd=5.0)
    with pytest.raises(ReliabilityError, match="publishes no 'sd'"):
        hs.reliable_change(BEFORE, AFTER, instrument="phq9")


def test_errors() -> None:
    with pytest.raises(ReliabilityError, match="needs the scale's direction"):
        hs.reliable_change(BEFORE, AFTER, sd=10.0, reliability=0.8, cutoff=20.0)
    with pytest.raises(ReliabilityError, match="'worse'.*'better'"):
        hs.reliable_change(BEFORE, AFTER, sd=10.0, reliability=0.8, higher_is="up")
    with pytest.raises(ReliabilityError, match="same people"):
        hs.reliable_change(BEFORE, AFTER[:2], sd=10.0, reliability=0.8, higher_is="worse")
    with pytest.raises(ReliabilityError, match=r"\[0, 1\)"):
        hs.reliable_change(BEFORE, AFTER, sd=10.0, reliability=1.0, higher_is="worse")
    with pytest.raises(ReliabilityError, match="non-numeric"):
        hs.reliable_change(["a"], [1.0], sd=10.0, reliability=0.8, higher_is="worse")
    with pytest.raises(InstrumentError, match="no scale 'nope'"):
        hs.reliable_change(BEFORE, AFTER, instrument=NORMS, scale="nope")


def test_inputs_not_modified() -> None:
    before = BEFORE.copy()
    hs.reliable_change(before, AFTER, instrument=NORMS)
    pd.testing.assert_series_equal(before, BEFORE)


def test_cesd_published_values_hand_computed() -> None:
    # CES-D (Radloff 1977): general-population SD 8.58; test-retest r 0.57 (preferred over
    # alpha); norms functional 9.25 (SD 8.58), clinical 24.42 (SD 13.51).
    # S_diff = sqrt(2) * 8.58 * sqrt(1 - 0.57) = 8.58 * sqrt(0.86) = 7.95677
    # c = (8.58 * 24.42 + 13.51 * 9.25) / (8.58 + 13.51) = 334.4911 / 22.09 = 15.14219
    out = hs.reliable_change([30.0, 30.0, 20.0], [12.0, 16.0, 14.0], instrument="cesd")
    assert out.attrs["s_diff"] == pytest.approx(7.95677, abs=1e-5)
    assert out.attrs["cutoff"] == pytest.approx(15.14219, abs=1e-5)
    assert out.attrs["reliability_statistic"] == "test_retest"
    assert out["rci"].to_numpy() == pytest.approx([-18 / 7.95677, -14 / 7.95677, -6 / 7.95677],
                                                  abs=1e-5)
    # |RCI| > 1.96 needs a change of more than 15.6 points.
    assert out["category"].tolist() == [
        "reliably improved", "no reliable change", "no reliable change"]
    assert out["clinically_significant"].tolist() == [True, False, True]
    assert out["recovered"].tolist() == [True, False, False]
