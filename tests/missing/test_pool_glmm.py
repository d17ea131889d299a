"""Pooled GLMM marginal means and odds ratios: Rubin's rules on the link scale, then
back-transformed, against lme4::glmer + emmeans + mitml on the same completed data sets
(tests/missing/data/glmm_mi/make.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ModelError

DATA = Path(__file__).parent / "data"
EXPECTED = json.loads((DATA / "glmm_mi" / "expected.json").read_text())


def _sets() -> list[pd.DataFrame]:
    out = []
    for i in range(1, 6):
        d = pd.read_csv(DATA / "sleepstudy_mi" / f"completed_{i}.csv")
        d["high"] = (d["Reaction"] > 300).astype(int)
        period = np.select([d["Days"] <= 3, d["Days"] <= 7], ["early", "middle"], "late")
        d["period"] = pd.Categorical(period, categories=["early", "middle", "late"])
        out.append(d)
    return out


@pytest.fixture(scope="module")
def pooled() -> hs.PooledFit:
    fits = [hs.fit_mixed(d, "high ~ period + (1 | Subject)", family="binomial") for d in _sets()]
    return hs.pool(fits)


def test_per_fit_means_match_glmer(pooled: hs.PooledFit) -> None:
    for fit, expected in zip(pooled.fits, EXPECTED["per_fit_emmean"], strict=True):
        np.testing.assert_allclose(fit.emmeans("period")["emmean"], expected, rtol=1e-4, atol=1e-5)


def test_link_scale_pooling_matches_mitml(pooled: hs.PooledFit) -> None:
    emm = pooled.emmeans("period")
    assert emm["period"].astype(str).tolist() == EXPECTED["period"]
    np.testing.assert_allclose(emm["emmean"], EXPECTED["emmean_link"], rtol=1e-4)
    np.testing.assert_allclose(emm["se"], EXPECTED["se_link"], rtol=1e-4)
    np.testing.assert_allclose(emm["riv"], EXPECTED["riv"], rtol=2e-3)
    np.testing.assert_allclose(emm["df"], EXPECTED["df"], rtol=5e-3)


def test_response_scale_is_transformed_after_pooling(pooled: hs.PooledFit) -> None:
    emm = pooled.emmeans("period", type="response")
    np.testing.assert_allclose(emm["emmean"], EXPECTED["prob"], rtol=1e-4)
    np.testing.assert_allclose(emm["lower"], EXPECTED["prob_lower"], rtol=1e-3)
    np.testing.assert_allclose(emm["upper"], EXPECTED["prob_upper"], rtol=1e-3)
    # delta method on the pooled link-scale mean: se = p (1 - p) se_link
    p = np.array(EXPECTED["prob"])
    np.testing.assert_allclose(emm["se"], p * (1 - p) * np.array(EXPECTED["se_link"]), rtol=1e-3)
    # pooling probabilities directly would give another mean: the order matters
    direct = np.mean([f.emmeans("period", type="response")["emmean"] for f in pooled.fits], axis=0)
    assert np.max(np.abs(direct - emm["emmean"].to_numpy())) > 1e-3


def test_odds_ratios_pooled_on_the_log_scale(pooled: hs.PooledFit) -> None:
    con = pooled.contrasts("period", type="response")
    assert con["contrast"].tolist() == [c.replace(" - ", " / ") for c in EXPECTED["contrast"]]
    np.testing.assert_allclose(con["estimate"], EXPECTED["odds_ratio"], rtol=1e-3)
    np.testing.assert_allclose(con["lower"], EXPECTED["or_lower"], rtol=2e-3)
    np.testing.assert_allclose(con["upper"], EXPECTED["or_upper"], rtol=2e-3)
    np.testing.assert_allclose(con["p"], EXPECTED["contrast_p"], rtol=5e-3)
    link = pooled.contrasts("period")
    np.testing.assert_allclose(link["estimate"], EXPECTED["log_or"], rtol=1e-3)


def test_response_type_needs_a_glmm() -> None:
    fits = [hs.fit_mixed(d, "Reaction ~ period + (1 | Subject)") for d in _sets()[:2]]
    with pytest.raises(ModelError, match="response scale already"):
        hs.pool(fits).emmeans("period", type="response")
    with pytest.raises(ModelError, match="expected 'link'"):
        hs.pool(fits).emmeans("period", type="probability")


def test_pooled_type3_of_a_glmm(pooled: hs.PooledFit) -> None:
    table = pooled.anova().set_index("term")
    assert list(table.index) == ["period"] and table.loc["period", "num_df"] == 2
    # the period term's hypothesis is its two coefficients: D1 of the pooled pair
    full = pooled.test(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    assert table.loc["period", "F"] == pytest.approx(full["F"], rel=1e-8)
    assert table.loc["period", "p"] < 0.001
