"""The helper-therapy transforms (decompose, lag) feed the GLMM and the MMRM as they feed
fit_mixed: within and between effects of helping recovered from a binary outcome by a
logistic GLMM, and a lagged helping effect by an MMRM."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import helpstats as hs

NO_ROLE = {r: 0.0 for r in ("neither", "helpee", "helper", "dual")}


def _row(table: pd.DataFrame, term: str) -> tuple[float, float]:
    row = table.set_index("term").loc[term]
    return float(row["estimate"]), float(row["se"])


def test_glmm_recovers_within_and_between_helping_effects() -> None:
    within, between = -0.12, 0.10
    data = hs.simulate_trial(
        n_participants=3000, n_groups=30, instruments=[], seed=2024,
        effects={"helping_within": within, "helping_between": between,
                 "role": NO_ROLE, "role_time": NO_ROLE})
    # a latent-threshold binary outcome: the logit-scale effects are the latent ones
    # scaled by pi / sqrt(3) over the latent SD of the logistic residual added
    rng = np.random.default_rng(5)
    data["case"] = (data["latent"] + rng.logistic(scale=0.5, size=len(data)) > 0).astype(int)
    parts = hs.decompose(data, "helping_given", id="participant")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = hs.fit_mixed(parts, "case ~ helping_given_within + helping_given_between + wave"
                                  " + (1 | participant)", family="binomial")
    est_w, se_w = _row(fit.fixed, "helping_given_within")
    est_b, se_b = _row(fit.fixed, "helping_given_between")
    # opposite signs, each far from zero: the decomposition separates the two effects
    assert est_w < -3 * se_w and est_b > 3 * se_b
    # the threshold model rescales both latent effects by the same factor, so their ratio
    # (-1.2) is kept on the logit scale
    assert abs(est_w / est_b - within / between) < 0.5


def test_mmrm_with_a_lagged_helping_measure() -> None:
    rng = np.random.default_rng(11)
    n, waves = 400, [0, 1, 2, 3]
    helping = rng.poisson(2.0, size=(n, 4)).astype(float)
    person = rng.normal(size=n)
    y = np.empty((n, 4))
    for w in waves:
        previous = helping[:, w - 1] if w else np.zeros(n)
        y[:, w] = 10 + person - 0.3 * previous + rng.normal(size=n)
    long = pd.DataFrame({"id": np.repeat(np.arange(n), 4), "wave": np.tile(waves, n),
                         "helping": helping.ravel(), "y": y.ravel()})
    long = long.drop(index=long.sample(frac=0.1, random_state=3).index)  # missed waves
    lagged = hs.lag(long.sample(frac=1.0, random_state=4), "helping", id="id", wave="wave",
                    waves=waves)
    later = lagged[lagged["wave"] > 0].copy()
    later["visit"] = pd.Categorical(later["wave"])
    dropped = int(later["helping_lag1"].isna().sum())
    with pytest.warns(UserWarning, match=f"{dropped} rows dropped"):
        fit = hs.fit_mmrm(later, "y ~ visit + helping_lag1", subject="id", visit="visit",
                          covariance="us")
    est, se = _row(fit.fixed, "helping_lag1")
    assert abs(est + 0.3) < 3 * se and se < 0.05
    # rows whose previous scheduled wave was missed have no lag and are not used
    assert fit.nobs == int(later["helping_lag1"].notna().sum())
