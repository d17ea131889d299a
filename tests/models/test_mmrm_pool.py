"""MMRM fits of multiply imputed data sets pooled by ``hs.pool`` (Rubin's rules), through
the result protocol (``coef``, ``vcov()``, ``fixed["df"]``, ``spec``, ``emmeans``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import helpstats as hs


@pytest.fixture(scope="module")
def pooled() -> tuple[list[hs.MmrmFit], hs.PooledFit]:
    rng = np.random.default_rng(11)
    n = 80
    d = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "visit": np.tile([1, 2, 3], n)})
    d["arm"] = np.where(d["id"] % 2 == 0, "ctl", "peer")
    d["base"] = np.repeat(rng.normal(size=n), 3)
    d["y"] = (d["base"] + 0.4 * d["visit"] * (d["arm"] == "peer") + rng.normal(size=n)[d["id"]]
              + rng.normal(size=len(d)))
    d.loc[rng.random(len(d)) < 0.15, "y"] = np.nan
    d.loc[d["visit"] == 1, "y"] = d.loc[d["visit"] == 1, "y"].fillna(0.0)
    imp = hs.impute(d, m=4, id="id", wave="visit", columns=["y"], auxiliary=["arm", "base"],
                    method="norm", seed=3, iterations=5)
    frames = []
    for frame in imp.completed:
        frame = frame.copy()
        frame["visit"] = frame["visit"].astype(str)
        frames.append(frame)
    fits = [hs.fit_mmrm(f, "y ~ arm * visit + base", subject="id", visit="visit",
                        covariance="us") for f in frames]
    return fits, hs.pool(fits)


def test_pooled_coefficients_follow_rubins_rules(pooled) -> None:
    fits, result = pooled
    q = np.vstack([f.coef.to_numpy() for f in fits])
    u = np.stack([f.vcov().to_numpy() for f in fits])
    m = len(fits)
    total = u.mean(axis=0) + (1 + 1 / m) * np.cov(q, rowvar=False, ddof=1)
    np.testing.assert_allclose(result.coef.to_numpy(), q.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(result.vcov().to_numpy(), total, rtol=1e-12)
    np.testing.assert_allclose(result.fixed["se"], np.sqrt(np.diag(total)), rtol=1e-12)
    # complete-data df: each term's Kenward-Roger df averaged over the imputations
    dfs = np.vstack([f.fixed["df"].to_numpy() for f in fits]).mean(axis=0)
    np.testing.assert_allclose(result.dfcom, dfs, rtol=1e-12)
    assert (result.fixed["df"] <= dfs + 1e-9).all()


def test_pooled_marginal_means_and_type3(pooled) -> None:
    fits, result = pooled
    em = result.emmeans("arm", by="visit")
    # every imputation's mean at the covariate mean averaged over the imputations
    base = float(np.mean([f.data["base"].mean() for f in fits]))
    each = np.vstack([f.emmeans("arm", by="visit", at={"base": base})["emmean"].to_numpy()
                      for f in fits])
    np.testing.assert_allclose(em["emmean"],
                               each.mean(axis=0), rtol=1e-10)
    table = result.anova()
    assert list(table["term"]) == ["arm", "visit", "base", "arm:visit"]
    assert (table["num_df"].to_numpy() == [1, 2, 1, 2]).all()
    assert table["p"].between(0, 1).all()
