"""GLMM interface: response codings, errors, families, dispatch, residuals, summary, compare.

Hand-checkable cases: the log-densities of each family against scipy.stats, the
Gauss-Hermite rule's moments, response codings that must give identical fits,
and a property test that AGQ with many nodes approaches the exact integral.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import helpstats as hs
from helpstats.errors import ModelError
from helpstats.models.glmm._quadrature import ghq_rule

REF = Path(__file__).resolve().parent / "glmm_data"


def _binary(seed: int = 3, n_id: int = 50, waves: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"id": np.repeat(np.arange(n_id), waves),
                      "wave": np.tile(np.arange(waves, dtype=float), n_id)})
    d["arm"] = np.where(d["id"] % 2 == 0, "peer", "usual")
    eta = -0.3 + 0.3 * d["wave"] - 0.5 * (d["arm"] == "peer") + rng.normal(0, 1, n_id)[d["id"]]
    d["y"] = (rng.uniform(size=len(d)) < 1 / (1 + np.exp(-eta))).astype(int)
    d["count"] = rng.poisson(np.exp(0.5 + 0.1 * d["wave"] + rng.normal(0, 0.5, n_id)[d["id"]]))
    d["exposure"] = rng.uniform(0.5, 2.0, len(d))
    return d


@pytest.fixture(scope="module")
def binary() -> pd.DataFrame:
    return _binary()


@pytest.fixture(scope="module")
def logit_fit(binary: pd.DataFrame) -> hs.GlmmFit:
    return hs.fit_glmm(binary, "y ~ arm * wave + (1 | id)", family="binomial")


# ----------------------------------------------------------------- families
def test_family_log_densities_match_scipy() -> None:
    y = np.array([0.0, 1.0, 3.0, 7.0])
    mu = np.array([0.5, 1.2, 2.0, 6.0])
    one = np.ones(4)
    assert np.allclose(hs.families.Poisson().logpdf(y, mu, one), stats.poisson.logpmf(y, mu))
    k = 1.7
    nb = hs.families.NegativeBinomial(dispersion=k)
    assert np.allclose(nb.logpdf(y, mu, one), stats.nbinom.logpmf(y, k, k / (k + mu)))
    m = np.array([1.0, 4.0, 10.0, 3.0])
    p = np.array([0.3, 0.5, 0.2, 0.9])
    succ = np.array([1.0, 2.0, 0.0, 3.0])
    assert np.allclose(hs.families.Binomial().logpdf(succ / m, p, m),
                       stats.binom.logpmf(succ, m, p))


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_binomial_links_invert_and_differentiate(link: str) -> None:
    lk = hs.families.Binomial(link).link
    eta = np.linspace(-3, 2, 11)
    assert np.allclose(lk(lk.inverse(eta)), eta)
    h = 1e-6
    assert np.allclose(lk.mu_eta(eta), (lk.inverse(eta + h) - lk.inverse(eta - h)) / (2 * h),
                       rtol=1e-6)


def test_family_spellings() -> None:
    get = hs.families.get_family
    assert get('binomial(link = "probit")').link.name == "probit"
    assert get("binomial(link='cloglog')").link.name == "cloglog"
    assert get("binomial", link="probit").link.name == "probit"
    assert get(hs.families.Binomial("cloglog")).link.name == "cloglog"
    assert isinstance(get("nbinom2"), hs.families.NegativeBinomial)
    assert get("poisson").link.name == "log"
    with pytest.raises(ModelError, match="Unknown family"):
        get("gamma")
    with pytest.raises(ModelError, match="logit"):
        hs.families.Binomial("log")


def test_gauss_hermite_rule_moments() -> None:
    z, w = ghq_rule(25)
    assert w.sum() == pytest.approx(1.0)
    assert w @ z**4 == pytest.approx(3.0)  # E Z^4 of the standard normal
    assert w @ z**6 == pytest.approx(15.0)


# ------------------------------------------------------------- the integral
@settings(max_examples=8, deadline=None)
@given(st.floats(0.2, 2.0), st.floats(-1.5, 1.5), st.integers(0, 10**6))
def test_agq_approaches_the_exact_marginal_likelihood(sd: float, b0: float, seed: int) -> None:
    """One group: AGQ with 25 nodes equals the numerically integrated likelihood."""
    rng = np.random.default_rng(seed)
    n = 6
    y = rng.integers(0, 2, n).astype(float)
    y[0], y[1] = 0.0, 1.0
    d = pd.DataFrame({"y": np.tile(y, 2), "g": np.repeat(["a", "b"], n)})

    def group_lik(yy: np.ndarray) -> float:
        def f(b: float) -> float:
            p = 1 / (1 + np.exp(-(b0 + b)))
            return float(np.prod(p**yy * (1 - p) ** (1 - yy)) * stats.norm.pdf(b, 0, sd))
        return float(integrate.quad(f, -12 * sd, 12 * sd, epsabs=1e-14)[0])

    exact = 2 * np.log(group_lik(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = hs.fit_glmm(d, "y ~ 1 + (1 | g)", family="binomial", nagq=25)
    from helpstats.models.glmm._optimize import objective  # evaluate at (sd, b0)
    dev = objective(fit._problem, 25, 1)(np.array([sd, b0]))
    assert -dev / 2 == pytest.approx(exact, abs=1e-6)


# -------------------------------------------------------- response codings
def test_binary_codings_agree(binary: pd.DataFrame, logit_fit: hs.GlmmFit) -> None:
    d = binary.copy()
    d["yb"] = d["y"].astype(bool)
    d["yf"] = pd.Categorical(np.where(d["y"] == 1, "remitted", "not"),
                             categories=["not", "remitted"])
    d["ys"] = np.where(d["y"] == 1, "yes", "no")  # strings: sorted levels, 'no' first
    for col in ("yb", "yf", "ys"):
        fit = hs.fit_glmm(d, f"{col} ~ arm * wave + (1 | id)", family="binomial")
        assert fit.loglik == pytest.approx(logit_fit.loglik, abs=1e-8)
        assert np.allclose(fit.coef, logit_fit.coef, atol=1e-6)
    fit = hs.fit_glmm(d, "yf ~ arm * wave + (1 | id)", family="binomial")
    assert fit.success_level == "remitted"
    assert binary.equals(_binary())  # the caller's data is untouched


def test_fit_mixed_dispatches_on_family(binary: pd.DataFrame, logit_fit: hs.GlmmFit) -> None:
    fit = hs.fit_mixed(binary, "y ~ arm * wave + (1 | id)", family="binomial")
    assert isinstance(fit, hs.GlmmFit)
    assert fit.loglik == pytest.approx(logit_fit.loglik, abs=1e-8)
    assert isinstance(hs.fit_mixed(binary, "count ~ wave + (1 | id)"), hs.MixedFit)
    with pytest.raises(ModelError, match="family"):
        hs.fit_mixed(binary, "y ~ wave + (1 | id)", nagq=5)


def test_offset_log_exposure_equals_precomputed(binary: pd.DataFrame) -> None:
    d = binary.assign(logexp=np.log(binary["exposure"]))
    a = hs.fit_glmm(d, "count ~ wave + (1 | id)", family="poisson", offset="log(exposure)")
    b = hs.fit_glmm(d, "count ~ wave + (1 | id)", family="poisson", offset="logexp")
    c = hs.fit_glmm(d, "count ~ wave + (1 | id)", family="poisson",
                    offset=d["logexp"].to_numpy())
    assert a.loglik == pytest.approx(b.loglik, abs=1e-9) == c.loglik
    # emmeans puts the offset at its mean
    e = b.emmeans("wave", at={"wave": [0.0]}, type="link")
    assert e["emmean"].iloc[0] == pytest.approx(b.coef.iloc[0] + d["logexp"].mean())


# ---------------------------------------------------------------- errors
def test_errors_are_clear(binary: pd.DataFrame) -> None:
    d = binary.copy()
    d["three"] = d["y"] + (d["id"] % 3 == 0)
    with pytest.raises(ModelError, match=r"values \[2.0\] outside \[0, 1\]"):
        hs.fit_glmm(d, "three ~ wave + (1 | id)", family="binomial")
    d["half"] = d["y"] * 0.5
    with pytest.raises(ModelError, match="not 0 or 1; for proportions pass weights="):
        hs.fit_glmm(d, "half ~ wave + (1 | id)", family="binomial")
    d["lvl3"] = np.array(["a", "b", "c"])[d["id"] % 3]
    with pytest.raises(ModelError, match="3 distinct values"):
        hs.fit_glmm(d, "lvl3 ~ wave + (1 | id)", family="binomial")
    d["neg"] = d["count"] - 1
    with pytest.raises(ModelError, match="negative values"):
        hs.fit_glmm(d, "neg ~ wave + (1 | id)", family="poisson")
    d["bad_exposure"] = d["exposure"].where(d.index != 5, 0.0)
    with pytest.raises(ModelError, match="exposure .* must be positive"):
        hs.fit_glmm(d, "count ~ wave + (1 | id)", family="poisson",
                    offset="log(bad_exposure)")
    with pytest.raises(ModelError, match="single scalar random effect"):
        hs.fit_glmm(d, "y ~ wave + (wave | id)", family="binomial", nagq=5)
    with pytest.raises(ModelError, match="single scalar random effect"):
        hs.fit_glmm(d.assign(site=d["id"] % 5), "y ~ wave + (1 | id) + (1 | site)",
                    family="binomial", nagq=3)
    with pytest.raises(ModelError, match="nagq"):
        hs.fit_glmm(d, "y ~ wave + (1 | id)", family="binomial", nagq=26)
    with pytest.raises(ModelError, match="from 1 to 25"):
        hs.fit_glmm(d, "y ~ wave + (1 | id)", family="binomial", nagq=0)
    with pytest.raises(ModelError, match="cbind"):
        hs.fit_glmm(d, "cbind(y, count) ~ wave + (1 | id)", family="poisson")


def test_complete_separation_names_the_term(binary: pd.DataFrame) -> None:
    d = binary.copy()
    d["site"] = np.where(d["id"] < 10, "A", np.where(d["id"] < 30, "B", "C"))
    d.loc[d["site"] == "C", "y"] = 1
    with pytest.raises(ModelError, match="Complete separation: the term 'siteC'"):
        hs.fit_glmm(d, "y ~ site + wave + (1 | id)", family="binomial")
    d2 = binary.copy()
    d2.loc[d2["arm"] == "peer", "y"] = 0  # the reference level 'peer' has only failures
    with pytest.raises(ModelError, match="reference level 'peer' of 'arm'"):
        hs.fit_glmm(d2, "y ~ arm + wave + (1 | id)", family="binomial")
    d3 = binary.copy()
    d3["x"] = np.linspace(-1, 1, len(d3))
    d3["y"] = (d3["x"] > 0.1).astype(int)
    with pytest.raises(ModelError, match="Complete separation: the coefficient of 'x'"):
        hs.fit_glmm(d3, "y ~ x + (1 | id)", family="binomial")


# ---------------------------------------------------------- result object
def test_fitted_and_residuals(logit_fit: hs.GlmmFit, binary: pd.DataFrame) -> None:
    mu = logit_fit.fitted()
    eta = logit_fit.fitted(type="link")
    assert np.allclose(mu, 1 / (1 + np.exp(-eta)))
    y = binary["y"].to_numpy()
    assert np.allclose(logit_fit.residuals("response"), y - mu)
    assert np.allclose(logit_fit.residuals("pearson"), (y - mu) / np.sqrt(mu * (1 - mu)))
    dev = logit_fit.residuals("deviance").to_numpy()
    expect = np.sign(y - mu) * np.sqrt(-2 * (y * np.log(mu) + (1 - y) * np.log(1 - mu)))
    assert np.allclose(dev, expect)
    # conditional modes reproduce the linear predictor
    b = logit_fit.ranef()["id"]["(Intercept)"]
    X = np.column_stack([np.ones(len(binary)), binary["arm"] == "usual", binary["wave"],
                         (binary["arm"] == "usual") * binary["wave"]])
    assert np.allclose(eta, X @ logit_fit.coef.to_numpy() + b.to_numpy()[binary["id"]])


def test_confint_and_summary(logit_fit: hs.GlmmFit) -> None:
    ci = logit_fit.confint(level=0.9)
    fx = logit_fit.fixed
    assert np.allclose(ci["upper"] - ci["estimate"], stats.norm.ppf(0.95) * fx["se"])
    with pytest.raises(ModelError, match="'wald' or 'profile'"):
        logit_fit.confint(method="bootstrap")  # profile intervals: test_glmm_profile.py
    text = logit_fit.summary()
    assert "Laplace Approximation" in text and "binomial  ( logit )" in text
    assert logit_fit.aic == pytest.approx(-2 * logit_fit.loglik + 2 * 5)


def test_emmeans_level_and_scales(logit_fit: hs.GlmmFit) -> None:
    link = logit_fit.emmeans("arm", at={"wave": 1.5}, level=0.8)
    resp = logit_fit.emmeans("arm", at={"wave": 1.5}, type="response", level=0.8)
    p = 1 / (1 + np.exp(-link["emmean"]))
    assert np.allclose(resp["emmean"], p)
    assert np.allclose(resp["se"], link["se"] * p * (1 - p))
    assert np.allclose(resp["lower"], 1 / (1 + np.exp(-link["lower"])))
    assert np.allclose(link["upper"] - link["emmean"], stats.norm.ppf(0.9) * link["se"])
    odds = logit_fit.contrasts("arm", at={"wave": 1.5}, type="response")
    assert odds["contrast"].tolist() == ["peer / usual"]
    diff = link["emmean"].iloc[0] - link["emmean"].iloc[1]
    assert odds["estimate"].iloc[0] == pytest.approx(np.exp(diff))


def test_compare_lrt_matches_glmer_anova() -> None:
    exp = json.loads((REF / "cbpp" / "expected.json").read_text())
    data = pd.read_csv(REF / "cbpp" / "data.csv")
    data["period"] = data["period"].astype(str)
    m0 = hs.fit_glmm(data, "cbind(incidence, noninc) ~ 1 + (1 | herd)", family="binomial")
    m1 = hs.fit_glmm(data, "cbind(incidence, noninc) ~ period + (1 | herd)", family="binomial")
    tab = hs.compare(m1, m0)
    ref = exp["cases"]["logit"]["lrt"]
    assert tab["loglik"].tolist() == pytest.approx(ref["loglik"], abs=1e-5)
    assert tab["chisq"].iloc[1] == pytest.approx(ref["chisq"], rel=1e-5)
    assert tab["df"].iloc[1] == ref["df"]
    assert tab["p"].iloc[1] == pytest.approx(ref["p"], rel=1e-4)


def test_nb_dispersion_recovered() -> None:
    rng = np.random.default_rng(11)
    n_id, waves, k = 150, 4, 2.0
    d = pd.DataFrame({"id": np.repeat(np.arange(n_id), waves),
                      "wave": np.tile(np.arange(waves, dtype=float), n_id)})
    mu = np.exp(1.0 + 0.1 * d["wave"] + rng.normal(0, 0.4, n_id)[d["id"]])
    d["y"] = rng.negative_binomial(k, k / (k + mu))
    fit = hs.fit_glmm(d, "y ~ wave + (1 | id)", family="negative_binomial")
    assert fit.dispersion is not None and 1.3 < fit.dispersion < 3.0
    assert "dispersion" in fit.summary()
    pois = hs.fit_glmm(d, "y ~ wave + (1 | id)", family="poisson")
    assert fit.loglik > pois.loglik + 10


def test_offset_in_the_formula_equals_the_offset_argument() -> None:
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"id": np.repeat(np.arange(80), 5), "x": rng.normal(size=400),
                      "exposure": rng.uniform(0.5, 3, 400)})
    mu = np.exp(0.3 + 0.5 * d["x"] + rng.normal(0, 0.5, 80)[d["id"]]) * d["exposure"]
    d["count"] = rng.poisson(mu)
    by_argument = hs.fit_glmm(d, "count ~ x + (1 | id)", family="poisson", offset="log(exposure)")
    in_formula = hs.fit_glmm(d, "count ~ x + offset(log(exposure)) + (1 | id)", family="poisson")
    assert in_formula.loglik == pytest.approx(by_argument.loglik, abs=1e-9)
    np.testing.assert_allclose(in_formula.coef, by_argument.coef, atol=1e-8)
    pd.testing.assert_frame_equal(in_formula.emmeans("x", at={"x": [0.0]}, type="response"),
                                  by_argument.emmeans("x", at={"x": [0.0]}, type="response"))
    d.loc[3, "exposure"] = 0.0
    with pytest.raises(ModelError, match="not finite"):
        hs.fit_glmm(d, "count ~ x + offset(log(exposure)) + (1 | id)", family="poisson")
