"""D3 (pooled likelihood-ratio) tests against mitml::testModels(method = "D3")
(tests/missing/data/d3/make.R), and the likelihood at given parameters."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ModelError
from helpstats.missing._likelihood import lmm_loglik, lmm_parameters

DATA = Path(__file__).parent / "data"
EXPECTED = json.loads((DATA / "d3" / "expected.json").read_text())
CASES = {
    "slope": ("Reaction ~ Days + (Days | Subject)", "Reaction ~ 1 + (Days | Subject)"),
    "period": ("Reaction ~ period + (1 | Subject)", "Reaction ~ 1 + (1 | Subject)"),
    "two_terms": ("Reaction ~ Days + period + (1 | Subject) + (0 + Days | Subject)",
                  "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)"),
}


def _sets() -> list[pd.DataFrame]:
    out = []
    for i in range(1, 6):
        d = pd.read_csv(DATA / "sleepstudy_mi" / f"completed_{i}.csv")
        period = np.select([d["Days"] <= 3, d["Days"] <= 7], ["early", "middle"], "late")
        d["period"] = pd.Categorical(period, categories=["early", "middle", "late"])
        out.append(d)
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_d3_matches_mitml(case: str) -> None:
    full, null = CASES[case]
    sets = _sets()
    result = hs.pool([hs.fit_mixed(d, full, reml=False) for d in sets]).compare(
        hs.pool([hs.fit_mixed(d, null, reml=False) for d in sets]))
    expected = EXPECTED[case]
    assert result["num_df"] == expected["num_df"]
    for key in ("F", "den_df", "riv"):
        assert result[key] == pytest.approx(expected[key], rel=1e-5), key
    assert result["p"] == pytest.approx(expected["p"], rel=1e-4)
    assert result["refitted_ml"] is False


def test_reml_fits_are_refitted_by_ml() -> None:
    full, null = CASES["slope"]
    sets = _sets()
    result = hs.pool([hs.fit_mixed(d, full) for d in sets]).compare(
        hs.pool([hs.fit_mixed(d, null) for d in sets]))
    assert result["refitted_ml"] is True
    assert result["F"] == pytest.approx(EXPECTED["slope"]["F"], rel=1e-5)


def test_loglik_at_own_estimates_is_the_fits_loglik() -> None:
    d = _sets()[0]
    d["w"] = np.linspace(0.5, 2.0, len(d))
    for formula in CASES["two_terms"]:
        for weights in (None, "w"):
            fit = hs.fit_mixed(d, formula, reml=False, weights=weights)
            assert lmm_loglik(fit, lmm_parameters(fit)) == pytest.approx(fit.loglik, abs=1e-8)


def test_compare_refuses_non_nested_order_and_other_fits() -> None:
    full, null = CASES["slope"]
    sets = _sets()[:3]
    big = hs.pool([hs.fit_mixed(d, full, reml=False) for d in sets])
    small = hs.pool([hs.fit_mixed(d, null, reml=False) for d in sets])
    with pytest.raises(ModelError, match="Swap them"):
        small.compare(big)
    pairs = hs.pool([(pd.Series([1.0]), np.eye(1)), (pd.Series([1.1]), np.eye(1))])
    with pytest.raises(ModelError, match="Gaussian mixed models.*holds a tuple"):
        pairs.compare(pairs)
    glmm = [hs.fit_mixed(d.assign(high=(d["Reaction"] > 300).astype(int)),
                         "high ~ Days + (1 | Subject)", family="binomial") for d in sets]
    with pytest.raises(ModelError, match="Gaussian mixed models"):
        hs.pool(glmm).compare(hs.pool(glmm))
