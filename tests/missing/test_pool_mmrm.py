"""MI with the trial's primary analysis: imp.fit(hs.fit_mmrm, ...) pools MMRM fits by Rubin's
rules (each coefficient against a hand computation from the fits' coef and vcov) and their
marginal means and contrasts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import helpstats as hs


def _trial(n: int = 150, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    person = rng.normal(size=n)
    rows = []
    for w in range(4):
        y = 15 + person - 0.6 * w * arm + rng.normal(size=n)
        rows.append(pd.DataFrame({"pid": np.arange(n), "wave": w, "arm": arm, "y": y}))
    d = pd.concat(rows, ignore_index=True)
    d["arm"] = pd.Categorical(np.where(d["arm"] == 1, "peer", "usual"), categories=["usual", "peer"])
    d["visit"] = pd.Categorical(d["wave"])
    later = d["wave"] > 0
    d.loc[later & (rng.random(len(d)) < 0.25), "y"] = np.nan
    return d


@pytest.fixture(scope="module")
def pooled() -> hs.PooledFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        imp = hs.impute(_trial(), m=5, id="pid", wave="wave", columns=["y"], auxiliary=["arm"],
                        seed=2, iterations=5, method="norm")
        return imp.fit(hs.fit_mmrm, "y ~ arm * visit", subject="pid", visit="visit")


def test_rubins_rules_by_hand(pooled: hs.PooledFit) -> None:
    q = np.array([f.coef.to_numpy() for f in pooled.fits])
    u = np.array([np.diag(np.asarray(f.vcov(), dtype=float)) for f in pooled.fits])
    m = len(q)
    qbar, ubar, b = q.mean(axis=0), u.mean(axis=0), q.var(axis=0, ddof=1)
    total = ubar + (1 + 1 / m) * b
    fixed = pooled.fixed.set_index("term")
    np.testing.assert_allclose(fixed["estimate"], qbar, rtol=1e-12)
    np.testing.assert_allclose(fixed["se"], np.sqrt(total), rtol=1e-12)
    riv = (1 + 1 / m) * b / ubar
    np.testing.assert_allclose(fixed["riv"], riv, rtol=1e-10)
    # Barnard-Rubin df with the fits' own (Kenward-Roger) df averaged as the complete-data df
    dfcom = np.mean([f.fixed["df"].to_numpy() for f in pooled.fits], axis=0)
    # baseline is never missing, so B is (nearly) 0 there: lambda is floored at 1e-4 as
    # mice::pool does, which keeps the df finite
    lam = np.maximum((1 + 1 / m) * b / total, 1e-4)
    obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
    old = (m - 1) / lam ** 2
    expected = old * obs / (old + obs)
    np.testing.assert_allclose(fixed["df"], expected, rtol=1e-10)
    p = 2 * stats.t.sf(np.abs(qbar / np.sqrt(total)), fixed["df"].to_numpy())
    np.testing.assert_allclose(fixed["p"], p, rtol=1e-8)


def test_pooled_contrast_at_last_visit(pooled: hs.PooledFit) -> None:
    con = pooled.contrasts("arm", by="visit", method="revpairwise")
    last = con[con["visit"].astype(str) == "3"].iloc[0]
    per_fit = [f.contrasts("arm", by="visit", method="revpairwise") for f in pooled.fits]
    estimates = [float(c[c["visit"].astype(str) == "3"]["estimate"].iloc[0]) for c in per_fit]
    assert last["estimate"] == pytest.approx(np.mean(estimates), rel=1e-12)
    assert last["lower"] < -1.8 < last["upper"] < 0  # true difference -1.8; peer lower
    assert 0 < last["fmi"] < 1


def test_pooled_type3_of_the_interaction_is_d1_of_its_coefficients(pooled: hs.PooledFit) -> None:
    from helpstats.missing._rubin import pool_wald

    table = pooled.anova().set_index("term")
    names = list(pooled.terms)
    cols = [names.index(n) for n in names if n.startswith("armpeer:visit")]
    est = pooled.estimates[:, cols]
    cov = pooled.covariances[:, cols][:, :, cols]
    dfcom = float(np.mean(pooled.dfcom[cols]))
    expected = pool_wald(est, cov, dfcom)
    row = table.loc["arm:visit"]
    assert row["num_df"] == 3
    assert row["F"] == pytest.approx(expected.f, rel=1e-10)
    assert row["den_df"] == pytest.approx(expected.den_df, rel=1e-10)
    assert set(table.index) == {"arm", "visit", "arm:visit"}
