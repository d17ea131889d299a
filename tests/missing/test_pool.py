"""Rubin's rules against mice / mitml on the same completed data sets (tests/missing/data)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ModelError
from helpstats.missing._rubin import barnard_rubin_df, pool_scalars, pool_wald

DATA = Path(__file__).parent / "data" / "sleepstudy_mi"
EXPECTED = json.loads((DATA / "expected.json").read_text())
TERMS = ["(Intercept)", "Days"]


def _pairs() -> list[tuple[pd.Series, pd.DataFrame]]:
    return [(pd.Series(f["estimate"], index=TERMS),
             pd.DataFrame(f["vcov"], index=TERMS, columns=TERMS)) for f in EXPECTED["per_fit"]]


def test_pairs_with_infinite_dfcom_match_mitml() -> None:
    pooled = hs.pool(_pairs(), dfcom=np.inf)
    ref = EXPECTED["inf"]
    fixed = pooled.fixed
    for column, key in [("estimate", "estimate"), ("se", "se"), ("df", "df"), ("riv", "riv"),
                        ("fmi", "fmi")]:
        np.testing.assert_allclose(fixed[column], ref[key], rtol=1e-8)


def test_pairs_with_satterthwaite_dfcom_match_mitml_and_mice() -> None:
    pooled = hs.pool(_pairs(), dfcom=EXPECTED["dfcom"])
    ref = EXPECTED["satterthwaite"]
    for column, key in [("estimate", "estimate"), ("se", "se"), ("df", "df"), ("riv", "riv"),
                        ("fmi", "fmi")]:
        np.testing.assert_allclose(pooled.fixed[column], ref[key], rtol=1e-8)
    days = EXPECTED["pool_scalar_days"]  # mice::pool.scalar
    row = pooled.fixed.iloc[1]
    np.testing.assert_allclose([row["estimate"], row["se"] ** 2, row["df"], row["riv"], row["fmi"]],
                               [days["qbar"], days["t"], days["df"], days["r"], days["fmi"]], rtol=1e-8)


def test_d1_matches_mitml_with_and_without_dfcom() -> None:
    pooled = hs.pool(_pairs(), dfcom=np.inf)
    result = pooled.test(np.eye(2))
    ref = EXPECTED["d1"]
    np.testing.assert_allclose([result["F"], result["den_df"], result["riv"]],
                               [ref["F"], ref["df2"], ref["riv"]], rtol=1e-8)
    assert result["num_df"] == 2
    reiter = pooled.test(np.eye(2), dfcom=150)
    np.testing.assert_allclose([reiter["F"], reiter["den_df"]],
                               [EXPECTED["d1_dfcom150"]["F"], EXPECTED["d1_dfcom150"]["df2"]], rtol=1e-8)
    assert "Reiter" in reiter["df_method"]


def test_fits_of_the_completed_sets_pool_like_lme4_fits() -> None:
    fits = []
    for i in range(1, 6):
        frame = pd.read_csv(DATA / f"completed_{i}.csv", dtype={"Subject": str})
        fits.append(hs.fit_mixed(frame, "Reaction ~ Days + (Days | Subject)"))
    pooled = hs.pool(fits)  # default dfcom: each term's Satterthwaite df averaged over the fits
    np.testing.assert_allclose(pooled.dfcom, EXPECTED["dfcom"], rtol=1e-4)
    ref = EXPECTED["satterthwaite"]
    np.testing.assert_allclose(pooled.fixed["estimate"], ref["estimate"], rtol=1e-6)
    np.testing.assert_allclose(pooled.fixed["se"], ref["se"], rtol=1e-5)
    for column in ("df", "riv", "fmi"):
        np.testing.assert_allclose(pooled.fixed[column], ref[column], rtol=1e-4)


def test_hand_computed_rubin_rules() -> None:
    q = np.array([[1.0], [1.2], [0.9]])
    u = np.array([[0.04], [0.05], [0.045]])
    r = pool_scalars(q, u, dfcom=np.inf)
    b = np.var([1.0, 1.2, 0.9], ddof=1)
    t = 0.045 + (4 / 3) * b
    lam = (4 / 3) * b / t
    assert r.estimate[0] == pytest.approx(31 / 30)
    assert r.t[0] == pytest.approx(t)
    assert r.df[0] == pytest.approx(2 / lam**2)
    dfcom = 10.0
    dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
    expected = (2 / lam**2) * dfobs / (2 / lam**2 + dfobs)
    assert barnard_rubin_df(3, np.array([b]), np.array([t]), dfcom)[0] == pytest.approx(expected)


def test_no_between_variance_keeps_df_finite_as_mice() -> None:
    q = np.ones((4, 1))
    r = pool_scalars(q, np.full((4, 1), 0.1), dfcom=np.inf)
    assert r.df[0] == pytest.approx(3 / 1e-4**2)  # lambda floored at 1e-4
    assert r.riv[0] == 0


def test_d1_small_k_m_uses_li_form_and_says_so() -> None:
    rng = np.random.default_rng(1)
    w = pool_wald(rng.normal(size=(3, 2)), np.tile(np.eye(2), (3, 1, 1)), dfcom=30)
    assert "k(m-1) <= 4" in w.df_method and "Reiter" in w.df_method


def test_pool_refuses_mismatched_terms_and_single_fit() -> None:
    a = (pd.Series({"x": 1.0}), np.eye(1))
    b = (pd.Series({"z": 1.0}), np.eye(1))
    with pytest.raises(ModelError, match="same model"):
        hs.pool([a, b])
    with pytest.raises(ModelError, match="at least 2"):
        hs.pool([a])
    with pytest.raises(ModelError, match="expected a fitted model"):
        hs.pool([a, "not a fit"])


def test_pooled_emmeans_of_pairs_is_refused_clearly() -> None:
    pooled = hs.pool(_pairs())
    with pytest.raises(ModelError, match="hold no model"):
        pooled.pool_table(lambda f: f.emmeans("Days"), estimate="emmean", keys=[])
