"""simulate_trial's helping effects: decompose + fit_mixed recover within and between."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ModelError

NO_ROLE = {r: 0.0 for r in ("neither", "helpee", "helper", "dual")}


def _estimate(fit: hs.MixedFit, term: str) -> tuple[float, float]:
    row = fit.fixed.set_index("term").loc[term]
    return float(row["estimate"]), float(row["se"])


def test_decompose_recovers_within_and_between_effects() -> None:
    within, between = -0.12, 0.10
    data = hs.simulate_trial(
        n_participants=3000, n_groups=30, instruments=[], seed=2024,
        effects={"helping_within": within, "helping_between": between,
                 "role": NO_ROLE, "role_time": NO_ROLE})
    parts = hs.decompose(data, "helping_given", id="participant")
    fit = hs.fit_mixed(parts, "latent ~ helping_given_within + helping_given_between + wave"
                              " + (1 | participant) + (1 | group)")
    est_w, se_w = _estimate(fit, "helping_given_within")
    est_b, se_b = _estimate(fit, "helping_given_between")
    assert abs(est_w - within) < 3 * se_w
    assert abs(est_b - between) < 3 * se_b
    # the undecomposed model blends the two: far from either effect
    blend = hs.fit_mixed(data, "latent ~ helping_given + wave + (1 | participant) + (1 | group)")
    est, se = _estimate(blend, "helping_given")
    assert abs(est - within) > 3 * se and abs(est - between) > 3 * se
    assert min(within, between) < est < max(within, between)


def test_helping_effects_by_construction() -> None:
    # with no noise at all, latent is exactly the helping terms (plus intercept/time = 0)
    zero = {"sd_participant": 0.0, "sd_group": 0.0, "sd_residual": 0.0, "time": 0.0,
            "role": NO_ROLE, "role_time": NO_ROLE}
    data = hs.simulate_trial(n_participants=40, n_groups=4, instruments=[], seed=3,
                             effects={**zero, "helping_within": 0.5, "helping_between": 2.0})
    mean = data.groupby("participant")["helping_given"].transform("mean")
    expected = 0.5 * (data["helping_given"] - mean) + 2.0 * mean
    np.testing.assert_allclose(data["latent"], expected, atol=1e-12)
    # the default (no helping effects) draws the same data as before the option existed
    plain = hs.simulate_trial(n_participants=40, n_groups=4, instruments=[], seed=3,
                              effects=zero)
    np.testing.assert_allclose(plain["latent"], 0.0, atol=1e-12)
    pd.testing.assert_series_equal(plain["helping_given"], data["helping_given"])
    with pytest.raises(ModelError, match="must be a number"):
        hs.simulate_trial(n_participants=40, n_groups=4, instruments=[],
                          effects={"helping_within": "big"})
