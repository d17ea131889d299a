"""The reference grid, marginal means, contrasts and Type III tests shared by the
Gaussian, GLMM and MMRM fits: R emmeans references and cross-family identities."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs

HERE = Path(__file__).parent / "emmeans_data"


@pytest.fixture(scope="module")
def sleep() -> tuple[pd.DataFrame, dict]:
    return pd.read_csv(HERE / "data.csv"), json.loads((HERE / "expected.json").read_text())


@pytest.fixture(scope="module")
def sleep_fit(sleep: tuple[pd.DataFrame, dict]) -> hs.MixedFit:
    return hs.fit_mixed(sleep[0], "Reaction ~ g + x + h + Days + (1 | Subject)")


def test_a_two_valued_covariate_is_averaged_over_as_emmeans(sleep, sleep_fit) -> None:
    em = sleep_fit.emmeans("g")
    ref = sleep[1]["emmeans_g"]
    for col in ("emmean", "se", "df", "lower", "upper"):
        np.testing.assert_allclose(em[col], ref[col], rtol=2e-4 if col == "df" else 1e-5)


@pytest.mark.parametrize("adjust", ["tukey", "holm", "sidak", "bonferroni"])
def test_adjusted_contrast_intervals_match_emmeans(sleep, sleep_fit, adjust: str) -> None:
    got = sleep_fit.contrasts("h", adjust=adjust)
    ref = sleep[1][f"pairs_h_{adjust}"]
    assert list(got["contrast"]) == ref["contrast"]
    for col in ("estimate", "se", "lower", "upper", "p"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-4)


def _panel(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 60
    d = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "wave": np.tile(["0", "1", "2"], n)})
    d["arm"] = np.where(d["id"] % 2 == 0, "ctl", "peer")
    d["x"] = rng.integers(0, 2, len(d)).astype(float)
    eta = -0.3 + 0.5 * (d["arm"] == "peer") * (d["wave"] != "0") + 0.4 * d["x"]
    d["y"] = eta + rng.normal(size=n)[d["id"]] + rng.normal(size=len(d))
    d["b"] = (rng.random(len(d)) < 1 / (1 + np.exp(-eta))).astype(float)
    return d


def test_the_three_families_share_the_grid_and_the_type3_hypotheses() -> None:
    d = _panel()
    lmm = hs.fit_mixed(d, "y ~ arm * wave + x + (1 | id)")
    mmrm = hs.fit_mmrm(d, "y ~ arm * wave + x", subject="id", visit="wave", covariance="cs",
                       df="residual")
    glmm = hs.fit_mixed(d, "b ~ arm * wave + x + (1 | id)", family="binomial")
    # the same Type III hypothesis matrices (the same model matrix columns)
    from helpstats.models._anova import term_hypotheses, type3_hypotheses

    gauss = type3_hypotheses(lmm)
    other = term_hypotheses(mmrm.spec, mmrm.data, list(range(len(mmrm.coef))),
                            single="identity")
    assert gauss.keys() == other.keys()
    for term in gauss:
        np.testing.assert_allclose(gauss[term], other[term], atol=1e-12)
    # the GLMM's Type III chi-square is q * F of the same Wald test
    table = glmm.anova()
    vcov = glmm.vcov().to_numpy()
    beta = glmm.coef.to_numpy()
    L = type3_hypotheses(lmm)["arm:wave"]
    est = L @ beta
    chisq = float(est @ np.linalg.solve(L @ vcov @ L.T, est))
    assert table.set_index("term").loc["arm:wave", "chisq"] == pytest.approx(chisq, rel=1e-10)
    # a two-valued covariate is averaged over by the LMM and the GLMM (emmeans), held at
    # its mean by the MMRM (SAS LSMEANS): on the link scale the means differ by the
    # slope of x times (0.5 - mean(x))
    gap = 0.5 - d["x"].mean()
    at_mean = {"x": float(d["x"].mean())}
    for fit in (lmm, glmm):
        diff = fit.emmeans("arm")["emmean"] - fit.emmeans("arm", at=at_mean)["emmean"]
        np.testing.assert_allclose(diff, fit.coef["x"] * gap, rtol=1e-8)
    np.testing.assert_allclose(mmrm.emmeans("arm")["emmean"],
                               mmrm.emmeans("arm", at=at_mean)["emmean"], rtol=1e-12)
