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


def _lme4_fits() -> list[hs.MixedFit]:
    return [hs.fit_mixed(pd.read_csv(DATA / f"completed_{i}.csv", dtype={"Subject": str}),
                         "Reaction ~ Days + (Days | Subject)") for i in range(1, 6)]


def test_pooled_anova_is_d1_per_term_as_mitml() -> None:
    pooled = hs.pool(_lme4_fits())
    table = pooled.anova().set_index("term")
    ref = EXPECTED["d1_days"]  # k(m-1) = 4: Li et al.'s df (Reiter's needs more)
    assert table.loc["Days", "num_df"] == 1
    np.testing.assert_allclose(table.loc["Days", "F"], ref["F"], rtol=1e-5)
    np.testing.assert_allclose(table.loc["Days", "den_df"], ref["df2"], rtol=1e-4)


def test_pooled_emmeans_and_contrasts_are_rubin_rules_on_each_row() -> None:
    fits = _lme4_fits()
    pooled = hs.pool(fits)
    emm = pooled.emmeans("Days", at={"Days": [0.0, 9.0]})
    per_fit = [f.emmeans("Days", at={"Days": [0.0, 9.0]}) for f in fits]
    q = np.vstack([t["emmean"].to_numpy() for t in per_fit])
    u = np.vstack([t["se"].to_numpy() ** 2 for t in per_fit])
    dfc = np.vstack([t["df"].to_numpy() for t in per_fit]).mean(axis=0)
    r = pool_scalars(q, u, dfc)
    np.testing.assert_allclose(emm["emmean"], r.estimate)
    np.testing.assert_allclose(emm["se"], r.se)
    np.testing.assert_allclose(emm["df"], r.df)
    # at Days = 0 the mean is the intercept: the same as the pooled coefficient
    np.testing.assert_allclose(emm["emmean"].iloc[0], EXPECTED["satterthwaite"]["estimate"][0], rtol=1e-6)
    assert list(emm.columns[:2]) == ["Days", "emmean"]


def test_pooled_contrast_adjustment() -> None:
    rng = np.random.default_rng(4)
    fits = []
    for _ in range(3):
        d = pd.DataFrame({"g": np.repeat(np.arange(20), 3), "arm": np.tile(["a", "b", "c"], 20)})
        d["y"] = rng.normal(size=60) + (d["arm"] == "c") * 0.8 + rng.normal(size=20)[d["g"]]
        fits.append(hs.fit_mixed(d, "y ~ arm + (1 | g)"))
    pooled = hs.pool(fits)
    raw = pooled.contrasts("arm")
    holm = pooled.contrasts("arm", adjust="holm")
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(holm["p"], multipletests(raw["p"], method="holm")[1])
    with pytest.raises(ModelError, match="Tukey"):
        pooled.contrasts("arm", adjust="tukey")


def test_imputed_covariate_held_at_its_mean_over_imputations() -> None:
    rng = np.random.default_rng(9)
    n = 120
    d = pd.DataFrame({"g": np.repeat(np.arange(40), 3), "wave": np.tile([0, 1, 2], 40),
                      "arm": np.repeat(rng.choice(["a", "b"], 40), 3)})
    d["x"] = rng.normal(size=n)
    d["y"] = d["x"] + (d["arm"] == "b") + rng.normal(size=40)[d["g"]] + rng.normal(size=n)
    d.loc[d.sample(frac=0.3, random_state=2).index, "x"] = np.nan
    imp = hs.impute(d, m=3, id="g", wave="wave", columns=["x"], auxiliary=["arm"], seed=3,
                    iterations=3)
    fits = [hs.fit_mixed(c, "y ~ arm + x + (1 | g)") for c in imp.completed]
    pooled = hs.pool(fits)
    mean_x = float(np.mean([c["x"].mean() for c in imp.completed]))
    by_hand = [f.emmeans("arm", at={"x": mean_x}) for f in fits]
    q = np.vstack([t["emmean"].to_numpy() for t in by_hand])
    np.testing.assert_allclose(pooled.emmeans("arm")["emmean"], q.mean(axis=0), rtol=1e-12)


def test_imputed_two_valued_covariate_keeps_both_values_as_the_fits_do() -> None:
    rng = np.random.default_rng(9)
    n = 120
    d = pd.DataFrame({"g": np.repeat(np.arange(40), 3), "wave": np.tile([0, 1, 2], 40),
                      "arm": np.repeat(rng.choice(["a", "b"], 40), 3)})
    d["smoker"] = rng.integers(0, 2, n).astype(float)
    d["y"] = d["smoker"] + (d["arm"] == "b") + rng.normal(size=40)[d["g"]] + rng.normal(size=n)
    d.loc[d.sample(frac=0.3, random_state=2).index, "smoker"] = np.nan
    imp = hs.impute(d, m=3, id="g", wave="wave", columns=["smoker"], auxiliary=["arm"], seed=3,
                    iterations=3)
    assert all(set(c["smoker"].unique()) == {0.0, 1.0} for c in imp.completed)  # pmm: 0/1
    fits = [hs.fit_mixed(c, "y ~ arm + smoker + (1 | g)") for c in imp.completed]
    per_fit = np.vstack([f.emmeans("arm")["emmean"].to_numpy() for f in fits])
    np.testing.assert_allclose(hs.pool(fits).emmeans("arm")["emmean"], per_fit.mean(axis=0),
                               rtol=1e-12)
