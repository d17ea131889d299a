"""The proportion mediated: estimate and delta-method SE equal to lavaan's, bootstrap intervals
within Monte Carlo error of lavaan's se = "bootstrap" (tests/data/helping/mediation_proportion)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import helpstats as hs

REF = Path(__file__).parents[1] / "data" / "helping" / "mediation_proportion"
EXPECTED = json.loads((REF / "expected.json").read_text())
DATA = pd.read_csv(REF / "data.csv")


def test_proportion_estimate_and_se_equal_lavaan() -> None:
    row = hs.mediate(DATA, "arm", "mediator", "outcome", n_boot=0).table.loc["proportion"]
    assert row["estimate"] == pytest.approx(EXPECTED["estimate"], abs=1e-10)
    assert row["se"] == pytest.approx(EXPECTED["se"], abs=1e-8)


def test_proportion_bootstrap_intervals_within_monte_carlo_error() -> None:
    res = hs.mediate(DATA, "arm", "mediator", "outcome", n_boot=5000, seed=11, progress=False)
    row, sd = res.table.loc["proportion"], float(res.boot["proportion"].std())
    # endpoints of two independent B = 5000 runs differ by about 0.05 bootstrap SDs
    for ours, theirs in (("perc_lower", "perc_lower"), ("perc_upper", "perc_upper"),
                         ("bca_lower", "bca_lower"), ("bca_upper", "bca_upper")):
        assert row[ours] == pytest.approx(EXPECTED[theirs], abs=0.25 * sd), ours
    assert row["perc_lower"] < row["estimate"] < row["perc_upper"]
    assert sd == pytest.approx(EXPECTED["boot_sd"], rel=0.1)
