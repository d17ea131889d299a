"""Cohen's kappa between role rules: psych::cohen.kappa parity and hand-computed cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.agreement import cohen_kappa
from helpstats.errors import HelpingError

REF = Path(__file__).parents[1] / "data" / "helping" / "kappa"


def test_role_agreement_equals_psych() -> None:
    data = pd.read_csv(REF / "data.csv")
    expected = json.loads((REF / "expected.json").read_text())["pairs"]
    out = hs.role_agreement(data, giving="given", receiving="received", methods={
        "median": "median", "low": {"giving": 30, "receiving": 10},
        "high": {"giving": 60, "receiving": 8}})
    assert len(out) == 3
    for row, want in zip(out.itertuples(), expected, strict=True):
        assert (row.rule_1, row.rule_2, row.n) == (want["rule_1"], want["rule_2"], want["n"])
        assert row.kappa == pytest.approx(want["kappa"], abs=1e-12)
        assert row.se**2 == pytest.approx(want["var_kappa"], abs=1e-12)
        assert row.lower == pytest.approx(want["lower"], abs=1e-10)
        assert row.upper == pytest.approx(want["upper"], abs=1e-10)
        assert row.agreement == pytest.approx(want["agreement"], abs=1e-12)


def test_kappa_by_hand() -> None:
    # table [[1, 1], [0, 3]] / 5: po = 0.8, pc = 0.4*0.2 + 0.6*0.8 = 0.56, kappa = 0.24/0.44
    k = cohen_kappa(["a", "a", "b", "b", "b"], ["a", "b", "b", "b", "b"])
    assert k["kappa"] == pytest.approx(0.24 / 0.44, abs=1e-15)
    assert k["agreement"] == pytest.approx(0.8)
    perfect = cohen_kappa([1, 2, 3, 1], [1, 2, 3, 1])
    assert perfect["kappa"] == 1.0 and perfect["se"] == 0.0
    # chance-level: independent halves give kappa 0
    assert cohen_kappa([0, 0, 1, 1], [0, 1, 0, 1])["kappa"] == pytest.approx(0.0)


def test_kappa_missing_pairs_left_out_and_counted() -> None:
    k = cohen_kappa(["a", None, "b", "b"], ["a", "a", np.nan, "b"])
    assert k["n"] == 2 and k["n_missing"] == 2 and k["kappa"] == 1.0


def test_role_agreement_thresholds_rule_and_errors() -> None:
    d = pd.DataFrame({"g": [0, 2, 4, 6, 1, 5], "r": [1, 5, 0, 4, 2, 3]})
    out = hs.role_agreement(d, giving="g", receiving="r", thresholds={"giving": 0,
                                                                      "receiving": 0})
    assert out["rule_2"].tolist() == ["thresholds(giving=0, receiving=0)"]
    with pytest.raises(HelpingError, match="at least two"):
        hs.role_agreement(d, giving="g", receiving="r", methods=("median",))
    with pytest.raises(HelpingError, match="repeated names"):
        hs.role_agreement(d, giving="g", receiving="r", methods=("median", "median"))
