"""Multilevel 1-1-1 mediation: the stacked model against nlme (varIdent residuals, ML)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats._mediation_multilevel import expected_information

REF = Path(__file__).parents[1] / "data" / "helping" / "ml111"
EXPECTED = json.loads((REF / "expected.json").read_text())
LABELS = {"dm": "intercept_mediator", "dm_x": "a", "dy": "intercept_outcome", "dy_m": "b",
          "dy_x": "direct"}


# The random-c' case (a_random_direct, 16 variance parameters) is checked in
# benchmarks/mediation_multilevel_nlme.py: too slow for the test suite.
@pytest.mark.parametrize(("key", "csv", "random_direct"), [
    ("a_fixed_direct", "data_a.csv", False),   # outcome residual variance the larger
    ("b_fixed_direct", "data_b.csv", False),   # mediator residual variance the larger
])
def test_stacked_model_equals_nlme(key: str, csv: str, random_direct: bool) -> None:
    want = EXPECTED[key]
    data = pd.read_csv(REF / csv)
    res = hs.mediate(data, "x", "m", "y", id="id", n_boot=0, random_direct=random_direct)
    d = res.details
    # nlme stops slightly short of the optimum: our log-likelihood is at least as high
    assert d["loglik"] >= want["loglik"] - 1e-6
    assert d["loglik"] == pytest.approx(want["loglik"], abs=2e-3)
    table = res.table
    for term, path in (("dm_x", "a"), ("dy_m", "b"), ("dy_x", "direct")):
        assert table.loc[path, "estimate"] == pytest.approx(want["fixed"][term], abs=2e-4)
        assert table.loc[path, "se"] == pytest.approx(want["se"][term], abs=1e-4)
    assert d["sigma2_mediator"] == pytest.approx(want["sigma2_m"], abs=5e-4)
    assert d["sigma2_outcome"] == pytest.approx(want["sigma2_y"], abs=5e-4)
    G = d["random_covariance"]
    names = [LABELS[n] for n in want["G_names"]]
    np.testing.assert_allclose(G.loc[names, names].to_numpy(), np.array(want["G"]), atol=5e-4)
    # the indirect effect includes the covariance of the random a and b slopes
    cov_ab = G.loc["a", "b"]
    assert table.loc["indirect", "estimate"] == pytest.approx(
        table.loc["a", "estimate"] * table.loc["b", "estimate"] + cov_ab, abs=1e-12)
    assert table.loc["total", "estimate"] == pytest.approx(
        table.loc["direct", "estimate"] + table.loc["indirect", "estimate"], abs=1e-12)


def test_monte_carlo_interval() -> None:
    data = pd.read_csv(REF / "data_b.csv")
    res = hs.mediate(data, "x", "m", "y", id="id", n_boot=4000, seed=5, progress=False)
    row = res.table.loc["indirect"]
    # with a near-normal indirect effect the MC interval is close to estimate +- 1.96 SE
    assert row["perc_lower"] == pytest.approx(row["estimate"] - 1.96 * row["se"], abs=0.02)
    assert row["perc_upper"] == pytest.approx(row["estimate"] + 1.96 * row["se"], abs=0.02)
    assert np.isnan(row["bca_lower"])
    assert res.design == "multilevel 1-1-1" and res.n_clusters == 80 and res.n == 400
    assert "Bauer, Preacher and Gil (2006)" in res.methods
    assert "maximum likelihood" in res.methods and "a fixed direct effect" in res.methods
    assert "mediator–outcome" in res.methods
    again = hs.mediate(data, "x", "m", "y", id="id", n_boot=4000, seed=5, progress=False)
    pd.testing.assert_frame_equal(res.table, again.table)


def test_expected_information_one_way_anova_by_hand() -> None:
    # balanced one-way random effects: J groups of T, ML asymptotic variances are known
    J, T, s2u, s2e = 30, 4, 0.5, 1.5
    blocks = [(np.ones((T, 1)), np.ones((T, 1)))] * J
    cov = np.linalg.inv(expected_information(blocks, np.array([[s2u]]), np.array([s2e])))
    lam = s2e + T * s2u
    var_e = 2 * s2e**2 / (J * (T - 1))
    var_u = 2 / (J * T**2) * (lam**2 + s2e**2 / (T - 1))
    assert cov[1, 1] == pytest.approx(var_e, rel=1e-12)
    assert cov[0, 0] == pytest.approx(var_u, rel=1e-12)
