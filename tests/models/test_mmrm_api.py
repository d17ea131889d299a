"""fit_mmrm: behaviour, errors, hand-computed cases and properties."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.errors import ModelError


def _trial(n: int = 80, visits: int = 4, seed: int = 1, missing: float = 0.15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n), visits)
    d = pd.DataFrame({"id": ids, "visit": np.tile([f"v{i + 1}" for i in range(visits)], n)})
    d["arm"] = np.where(d["id"] % 2 == 0, "peer", "usual")
    d["sex"] = np.where(rng.random(n)[ids] < 0.4, "f", "m")
    d["base"] = rng.normal(10, 2, n)[ids]
    t = np.tile(np.arange(visits), n)
    L = np.linalg.cholesky(0.5 ** np.abs(np.subtract.outer(np.arange(visits),
                                                          np.arange(visits))) * 4)
    e = (rng.normal(size=(n, visits)) @ L.T).ravel()
    d["y"] = 1 + 0.5 * d["base"] + np.where(d["arm"] == "peer", 0.4 * t, 0) + e
    d.loc[rng.random(len(d)) < missing, "y"] = np.nan
    return d


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    return _trial()


def test_single_visit_is_ordinary_regression():
    """One visit: the MMRM is OLS; REML variance = s^2, KR df = n - p exactly."""
    d = _trial(n=60, visits=1, missing=0.0)
    fit = hs.fit_mmrm(d, "y ~ arm + base", subject="id", visit="visit")
    X = np.column_stack([np.ones(60), (d["arm"] == "usual").astype(float), d["base"]])
    beta, *_ = np.linalg.lstsq(X, d["y"].to_numpy(), rcond=None)
    r = d["y"].to_numpy() - X @ beta
    s2 = r @ r / (60 - 3)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))
    np.testing.assert_allclose(fit.coef.to_numpy(), beta, rtol=1e-10)
    np.testing.assert_allclose(fit.fixed["se"], se, rtol=1e-8)
    np.testing.assert_allclose(fit.fixed["df"], 57.0, rtol=1e-8)
    assert fit.covariance.iloc[0, 0] == pytest.approx(s2, rel=1e-9)
    # REML log-likelihood of a linear model
    ll = -0.5 * ((60 - 3) * np.log(2 * np.pi) + 60 * np.log(s2)
                 + np.linalg.slogdet(X.T @ X / s2)[1] + (60 - 3))
    assert fit.loglik == pytest.approx(ll, rel=1e-10)


def test_result_interface(trial):
    fit = hs.fit_mmrm(trial, "y ~ arm * visit + base", subject="id", visit="visit")
    assert list(fit.fixed.columns) == ["term", "estimate", "se", "df", "t", "p", "lower", "upper"]
    assert fit.covariance_structure == "us" and fit.converged
    assert fit.df_method == "kenward-roger" and fit.vcov_method == "model"
    assert list(fit.covariance.index) == ["v1", "v2", "v3", "v4"]
    np.testing.assert_allclose(np.diag(fit.correlation), 1.0)
    ci = fit.confint(level=0.9)
    fx = fit.fixed
    half = (ci["upper"] - ci["lower"]) / 2
    from scipy import stats
    np.testing.assert_allclose(half, stats.t.ppf(0.95, fx["df"]) * fx["se"])
    con = fit.contrasts("arm", by="visit", level=0.8)
    assert con["contrast"].tolist() == ["peer - usual"] * 4
    assert {"lower", "upper"} <= set(con.columns)
    em = fit.emmeans("arm", by="visit")
    # a contrast equals the difference of its two marginal means
    peer = em[em["arm"] == "peer"]["emmean"].to_numpy()
    usual = em[em["arm"] == "usual"]["emmean"].to_numpy()
    np.testing.assert_allclose(con["estimate"], peer - usual, rtol=1e-10)
    assert fit.anova()["term"].tolist() == ["arm", "visit", "base", "arm:visit"]
    assert fit.aic == pytest.approx(fit.deviance + 2 * 10)
    assert fit.bic == pytest.approx(fit.deviance + 10 * np.log(80))
    text = fit.summary()
    assert "us" in text and "Kenward-Roger" in text and "missing at random" in text
    assert fit.vcov().shape == (len(fx), len(fx))


def test_missing_rows_counted_and_data_untouched(trial):
    d = trial.copy()
    d.loc[[0, 5, 9], "base"] = np.nan
    before = d.copy()
    with pytest.warns(UserWarning, match="3 rows dropped"):
        fit = hs.fit_mmrm(d, "y ~ arm + base", subject="id", visit="visit")
    pd.testing.assert_frame_equal(d, before)
    assert fit.n_dropped == 3 and fit.dropped_by_column == {"base": 3}
    kept = d.dropna(subset=["base"])
    assert fit.n_missing_response == int(kept["y"].isna().sum())
    assert fit.nobs == int(kept["y"].notna().sum())


def test_proportional_weights_average_observed_frequencies(trial):
    """``weights="proportional"``: the mean prediction over the observed rows' levels of
    the factors not named (covariates at their means), as emmeans."""
    fit = hs.fit_mmrm(trial, "y ~ arm + sex + visit + base", subject="id", visit="visit")
    pr = fit.emmeans("arm", weights="proportional").set_index("arm")["emmean"]
    eq = fit.emmeans("arm", weights="equal").set_index("arm")["emmean"]
    b, used = fit.coef, fit.data
    for arm in ("peer", "usual"):
        pred = (b["(Intercept)"] + b["armusual"] * (arm == "usual")
                + b["sexm"] * (used["sex"] == "m")
                + sum(b[f"visitv{k}"] * (used["visit"] == f"v{k}") for k in (2, 3, 4))
                + b["base"] * used["base"].mean())
        assert pr[arm] == pytest.approx(float(pred.mean()), rel=1e-12)
        equal = (b["(Intercept)"] + b["armusual"] * (arm == "usual") + b["sexm"] / 2
                 + sum(b[f"visitv{k}"] for k in (2, 3, 4)) / 4 + b["base"] * used["base"].mean())
        assert eq[arm] == pytest.approx(equal, rel=1e-12)


def test_group_reml_likelihood_is_sum_of_separate_fits(trial):
    """Separate covariances per arm with arm-specific fixed effects factorise."""
    both = hs.fit_mmrm(trial, "y ~ arm * visit", subject="id", visit="visit", group="arm",
                       covariance="ar1h")
    parts = [hs.fit_mmrm(trial[trial["arm"] == a], "y ~ visit", subject="id", visit="visit",
                         covariance="ar1h") for a in ("peer", "usual")]
    assert both.loglik == pytest.approx(sum(p.loglik for p in parts), rel=1e-9)
    assert set(both.covariance) == {"peer", "usual"}
    np.testing.assert_allclose(both.covariance["peer"], parts[0].covariance, rtol=1e-5)
    assert len(both.theta) == 10


def test_weights_scale_invariance(trial):
    rng = np.random.default_rng(5)
    w = rng.uniform(0.5, 2.0, len(trial))
    a = hs.fit_mmrm(trial, "y ~ arm * visit", subject="id", visit="visit", weights=w,
                    covariance="csh")
    b = hs.fit_mmrm(trial, "y ~ arm * visit", subject="id", visit="visit", weights=3 * w,
                    covariance="csh")
    np.testing.assert_allclose(a.fixed[["estimate", "se", "df"]],
                               b.fixed[["estimate", "se", "df"]], rtol=1e-6)
    np.testing.assert_allclose(b.covariance, 3 * a.covariance, rtol=1e-6)


def test_fallback_chain_is_reported():
    """v1 and v3 are never observed together: us is not identifiable, cs is."""
    d = _trial(n=60, visits=3, missing=0.0)
    d.loc[(d["id"] % 2 == 0) & (d["visit"] == "v3"), "y"] = np.nan
    d.loc[(d["id"] % 2 == 1) & (d["visit"] == "v1"), "y"] = np.nan
    fit = hs.fit_mmrm(d, "y ~ visit", subject="id", visit="visit", covariance=["us", "cs"])
    assert fit.covariance_structure == "cs"
    assert fit.fallback["structure"].tolist() == ["us", "cs"]
    assert fit.fallback["status"].tolist() == ["failed", "used"]
    assert "us: failed" in fit.summary()


def test_sandwich_variants_order(trial):
    kw = {"subject": "id", "visit": "visit", "covariance": "us"}
    se = {}
    for v in ("empirical", "empirical-bias-reduced", "empirical-jackknife"):
        fit = hs.fit_mmrm(trial, "y ~ arm * visit", vcov=v, **kw)
        assert fit.df_method == "between-within"
        se[v] = fit.fixed["se"].to_numpy()
    assert np.all(se["empirical"] < se["empirical-bias-reduced"])
    assert np.all(se["empirical-bias-reduced"] < se["empirical-jackknife"])


def test_between_within_df(trial):
    fit = hs.fit_mmrm(trial, "y ~ arm * visit + base", subject="id", visit="visit",
                      df="between-within")
    df = fit.fixed.set_index("term")["df"]
    n_subj, n_obs = fit.n_subjects, fit.nobs
    assert df["(Intercept)"] == df["armusual"] == df["base"] == n_subj - 3
    assert df["visitv2"] == df["armusual:visitv2"] == n_obs - n_subj - 6


def test_spatial_exponential_over_times():
    d = _trial(n=50, visits=4, missing=0.1)
    d["time"] = d["visit"].str[1:].astype(float) ** 1.5
    fit = hs.fit_mmrm(d, "y ~ arm", subject="id", visit="time", covariance="sp_exp")
    times = sorted(d["time"].unique())
    assert len(fit.covariance) == len(times)
    rng, var = fit.theta["estimate"]
    S = fit.covariance.to_numpy()
    assert S[0, 1] == pytest.approx(var * np.exp(-(times[1] - times[0]) / rng))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"covariance": "banded"}, "not a known structure"),
    ({"df": "containment"}, "not a df method"),
    ({"vcov": "empirical", "df": "kenward-roger"}, "not defined for a sandwich"),
    ({"reml": False}, "Kenward-Roger df need a REML fit"),
    ({"vcov": "hc3"}, "vcov="),
    ({"weights": "nope"}, "not a column"),
])
def test_argument_errors(trial, kwargs, match):
    with pytest.raises(ModelError, match=match):
        hs.fit_mmrm(trial, "y ~ arm", subject="id", visit="visit", **kwargs)


def test_data_errors(trial):
    with pytest.raises(ModelError, match="random-effect term"):
        hs.fit_mmrm(trial, "y ~ arm + (1 | id)", subject="id", visit="visit")
    dup = pd.concat([trial, trial.iloc[[0]]])
    with pytest.raises(ModelError, match="more than one row"):
        hs.fit_mmrm(dup, "y ~ arm", subject="id", visit="visit")
    bad = trial.assign(g=np.arange(len(trial)) % 2)
    with pytest.raises(ModelError, match="changes within subject"):
        hs.fit_mmrm(bad, "y ~ arm", subject="id", visit="visit", group="g")
    with pytest.raises(ModelError, match="positive"):
        hs.fit_mmrm(trial, "y ~ arm", subject="id", visit="visit",
                    weights=np.zeros(len(trial)))
    with pytest.raises(ModelError, match="not in the data"):
        hs.fit_mmrm(trial, "y ~ arm + age", subject="id", visit="visit")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=st.floats(1e-4, 1e4), b=st.floats(-1e3, 1e3),
       cov=st.sampled_from(["us", "ar1h", "adh", "toeph", "csh"]),
       df=st.sampled_from(["kenward-roger", "satterthwaite"]))
def test_outcome_units_do_not_change_inference(a, b, cov, df):
    """y -> a*y + b leaves t, df and p unchanged (derivatives are analytic, in units)."""
    d = _trial(n=40, visits=3, seed=7)
    d2 = d.assign(y=a * d["y"] + b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f1 = hs.fit_mmrm(d, "y ~ arm * visit", subject="id", visit="visit", covariance=cov,
                         df=df)
        f2 = hs.fit_mmrm(d2, "y ~ arm * visit", subject="id", visit="visit", covariance=cov,
                         df=df)
    x1, x2 = f1.fixed, f2.fixed
    np.testing.assert_allclose(x2["t"].iloc[1:], x1["t"].iloc[1:], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(x2["df"], x1["df"], rtol=1e-6)
    n, p = f1.nobs, len(x1)
    assert f2.loglik == pytest.approx(f1.loglik - (n - p) * np.log(a), rel=1e-9, abs=1e-7)


def test_outcome_table_accepts_an_mmrm_fit(trial):
    """The trial's outcome table: adjusted means per arm x visit and their KR differences."""
    fit = hs.fit_mmrm(trial, "y ~ arm * visit + base", subject="id", visit="visit")
    table = hs.outcome_table(fit, by="arm", wave="visit", data=trial)
    con = fit.contrasts("arm", by="visit", method="revpairwise")
    usual = table[table["arm"] == "usual"]
    np.testing.assert_allclose(usual["diff"], con["estimate"], rtol=1e-12)
    np.testing.assert_allclose(usual["diff_df"], con["df"], rtol=1e-12)
    em = fit.emmeans("arm", by="visit")
    np.testing.assert_allclose(table["emmean"].sort_values(), em["emmean"].sort_values())
