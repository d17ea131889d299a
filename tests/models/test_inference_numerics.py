"""Numerical inference against R, and its invariance to units.

References: ``tests/data/reference/<case>/inference.json``, written by
``tests/data/reference/inference_extras.R`` (lme4 1.1-31, lmerTest 3.1-3,
pbkrtest 0.5.2): every model folder refitted to convergence (the better of lme4's
default optimizer and bobyqa), with lmerTest's Satterthwaite df, pbkrtest's
Kenward-Roger adjusted covariance and df (REML fits), lmerTest's
``anova(ddf = "Kenward-Roger")`` and lme4's ``confint(method = "profile")``.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import helpstats as hs
from helpstats.models._derivatives import theta_derivatives
from helpstats.models._engine import LmmProblem
from helpstats.models._profile import profile_confint
from helpstats.models._satterthwaite import VarparInference

REF = Path(__file__).resolve().parents[1] / "data" / "reference"
CASES = sorted(p.parent.name for p in REF.glob("*/inference.json"))
# level order of the factors of the first shared references (they carry no factor_levels)
OLD_LEVELS = {"drug": ["No", "Yes"], "length": ["<6m", ">6m"], "treatment": ["TAU", "BtheB"],
              "wave": ["2", "3", "5", "8"]}


def load(name: str) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    exp = json.loads((REF / name / "expected.json").read_text())
    extra = json.loads((REF / name / "inference.json").read_text())
    bars = re.findall(r"\|\|?\s*([^)]+)\)", exp["formula"])
    groups = {g.strip() for b in bars for g in re.split(r"[/:]", b)}
    levels = dict(exp.get("factor_levels") or {})
    if not levels:
        levels = {v: lv for v, lv in OLD_LEVELS.items() if re.search(rf"\b{v}\b", exp["formula"])}
    data = pd.read_csv(REF / name / "data.csv", dtype={c: str for c in set(levels) | groups})
    for v, lv in levels.items():
        data[v] = pd.Categorical(data[v], categories=lv)
    return data, exp, extra


def problem_of(fit: hs.MixedFit) -> LmmProblem:
    prob = getattr(fit, "problem", None)
    return prob if isinstance(prob, LmmProblem) else fit._problem


_FITS: dict[str, tuple[hs.MixedFit, VarparInference, dict[str, Any], dict[str, Any]]] = {}


def fitted(name: str) -> tuple[hs.MixedFit, VarparInference, dict[str, Any], dict[str, Any]]:
    """Our fit, and the inference at R's converged theta (same data, same model)."""
    if name not in _FITS:
        data, exp, extra = load(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fit = hs.fit_mixed(data, exp["formula"], reml=exp["reml"])
        prob = problem_of(fit)
        theta = np.array(list(extra["theta"].values()), dtype=float)
        sigma = prob.sigma(prob.evaluate(theta))
        _FITS[name] = (fit, VarparInference(prob, theta, sigma, exp["reml"]), exp, extra)
    return _FITS[name]


def close(got: Any, want: Any, rtol: float, atol: float = 0.0, what: str = "") -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                               rtol=rtol, atol=atol, err_msg=what)


pytestmark = pytest.mark.skipif(not CASES, reason="no inference references")


@pytest.mark.parametrize("name", CASES)
def test_optimum_and_satterthwaite_df(name: str) -> None:
    """At our own optimum: loglik at least R's converged one, df within 1e-3 of
    lmerTest's; at R's theta: df within 1e-5 (lmerTest's numerical Hessian)."""
    fit, inf, _, extra = fitted(name)
    assert fit.loglik > extra["loglik"] - 1e-6
    want = np.array(list(extra["satterthwaite_df"].values()), dtype=float)
    close(fit.fixed["df"], want, 1e-3, what="df at our optimum")
    p = len(want)
    close([inf.df(np.eye(p)[i]) for i in range(p)], want, 1e-5, what="df at R's theta")


KR_CASES = [c for c in CASES if json.loads((REF / c / "inference.json").read_text())
            .get("kenward_roger")]


@pytest.mark.parametrize("name", KR_CASES)
def test_kenward_roger_matches_pbkrtest(name: str) -> None:
    fit, inf, _, extra = fitted(name)
    kr = extra["kenward_roger"]
    Va = np.array(kr["vcov_adj"]["matrix"], dtype=float)
    close(inf.vcov_kr, Va, 1e-6, 1e-9 * np.abs(Va).max(), "vcovAdj")
    want = pd.DataFrame(kr["fixed"])
    assert list(fit.fixed["term"]) == list(want["term"])
    p = len(want)
    beta = want["estimate"].to_numpy()
    se = np.sqrt(np.diag(inf.vcov_kr))
    df = np.array([inf.df_kr(np.eye(p)[i]) for i in range(p)])
    close(se, want["se"], 1e-6, what="KR se")
    close(df, want["df"], 1e-6, what="KR df")
    close(beta / se, want["t"], 1e-6, what="KR t")
    close(2 * stats.t.sf(np.abs(beta / se), df), want["p"], 1e-5, 1e-300, "KR p")


def _term_rows(names: list[str], term: str) -> np.ndarray:
    cols = [i for i, n in enumerate(names) if n == term or
            (n.startswith(term) and ":" not in n and ":" not in term)]
    return np.eye(len(names))[cols]


@pytest.mark.parametrize("name", ["btheb_ri", "ergostool_factor", "machines_nested"])
def test_kenward_roger_f_tests_match_lmertest(name: str) -> None:
    """Main-effect models, where a Type III hypothesis is the term's own coefficients."""
    fit, inf, _, extra = fitted(name)
    names = list(fit.fixed["term"])
    want = pd.DataFrame(extra["kenward_roger"]["anova"])
    fixed_r = np.array([f["estimate"] for f in extra["kenward_roger"]["fixed"]])
    for _, row in want.iterrows():
        q, ddf, F = inf.contest_kr(_term_rows(names, row["term"]), fixed_r)
        assert q == row["num_df"], row["term"]
        close(ddf, row["den_df"], 1e-6, what=f"{row['term']} ddf")
        close(F, row["F"], 1e-6, what=f"{row['term']} F")


def test_kenward_roger_needs_reml() -> None:
    fit, inf, _, _ = fitted("sleepstudy_ml")
    with pytest.raises(hs.errors.ModelError, match="REML"):
        _ = inf.vcov_kr


def test_oxboys_large_mean_outcome_gives_lmertest_df() -> None:
    """height ~ 150 cm with residual SD 0.66: lmerTest gives 25.00 / 25.00 df."""
    fit, _, _, extra = fitted("oxboys_slopes")
    close(fit.fixed["df"], list(extra["satterthwaite_df"].values()), 1e-4)
    close(fit.fixed["df"], [25.0, 25.0], 1e-4)
    data, exp, _ = load("oxboys_slopes")
    # lmerTest itself gives 193 df with age x 1e3. A shift of height moves the
    # intercept (its t changes, its df not); a shift of age changes what the intercept
    # means (only the slope is compared then).
    for change, rows_df, rows_t in (({"height": data["height"] + 1000.0}, [0, 1], [1]),
                                    ({"height": data["height"] * 1e-6}, [0, 1], [0, 1]),
                                    ({"age": data["age"] * 1e3}, [0, 1], [0, 1]),
                                    ({"age": data["age"] * 1e3 + 5e4}, [1], [1])):
        other = hs.fit_mixed(data.assign(**change), exp["formula"])
        what = str(list(change))
        close(other.fixed["df"].iloc[rows_df], fit.fixed["df"].iloc[rows_df], 1e-6, what=what)
        close(other.fixed["t"].iloc[rows_t], fit.fixed["t"].iloc[rows_t], 1e-6, what=what)
        close(other.fixed["p"].iloc[rows_t], fit.fixed["p"].iloc[rows_t], 1e-6, what=what)


def test_loblolly_reaches_the_boundary_optimum() -> None:
    """lme4's default optimizer stops at -207.5477; bobyqa (and we) reach -207.4875."""
    fit, _, exp, extra = fitted("loblolly_ml")
    assert fit.loglik > -207.4875137 - 1e-6
    close(fit.loglik, extra["loglik"], 0, 1e-6)
    assert fit.singular
    close(fit.theta, list(extra["theta"].values()), 1e-3, 1e-5, "theta")


# --- exact derivatives -------------------------------------------------------------

def _panel(seed: int, n_id: int = 12, waves: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_id):
        u0, u1 = rng.normal(scale=1.0), rng.normal(scale=0.4)
        site = f"s{i % 3}"
        arm = "peer" if i % 2 else "usual"
        for w in range(waves):
            x = rng.normal()
            y = 3 + u0 + (0.5 + u1) * w - 0.3 * w * (arm == "peer") + 0.4 * x + rng.normal()
            rows.append({"y": y, "wave": float(w), "x": x, "arm": arm, "id": f"p{i}",
                         "site": site, "rater": f"r{(i + w) % 5}"})
    return pd.DataFrame(rows)


DERIV_FORMULAS = [
    "y ~ wave + (wave | id)",
    "y ~ arm * wave + (wave | id) + (1 | site)",
    "y ~ wave + (1 | id) + (1 | rater)",
    "y ~ wave + x + (1 + wave + x | id)",
    "y ~ wave + (1 | id) + (wave | rater)",
]


@pytest.mark.parametrize("formula", DERIV_FORMULAS)
@pytest.mark.parametrize("reml", [True, False])
def test_exact_derivatives_equal_finite_differences(formula: str, reml: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fit = hs.fit_mixed(_panel(5), formula, reml=reml)
    core = problem_of(fit).core
    rng = np.random.default_rng(1)
    theta = np.abs(problem_of(fit).to_internal(fit.theta)) + rng.uniform(0.05, 0.3, core.ntheta)
    nu = core.n - core.p if reml else core.n
    d = theta_derivatives(core, theta, reml)
    grad, hess = d.profiled(nu)
    k = len(theta)
    h = 1e-5
    eye = np.eye(k)
    fd_grad = [(core.objective(theta + h * eye[i]) - core.objective(theta - h * eye[i])) / (2 * h)
               for i in range(k)]
    close(grad, fd_grad, 1e-5, 1e-6 * np.abs(grad).max(), "gradient")

    def g(t: np.ndarray) -> np.ndarray:
        return theta_derivatives(core, t, reml).profiled(nu)[0]

    fd_hess = np.array([(g(theta + h * eye[i]) - g(theta - h * eye[i])) / (2 * h)
                        for i in range(k)])
    close(hess, fd_hess, 1e-6, 1e-7 * np.abs(hess).max(), "Hessian")


# --- invariance to units (property test) ----------------------------------------

INV_FORMULAS = [
    ("y ~ wave + (1 | id)", "wave"),
    ("y ~ wave + (wave | id)", "wave"),
    ("y ~ arm * wave + (wave | id)", "wave"),
    ("y ~ wave + x + (1 | id) + (1 | site)", "x"),
    ("y ~ wave + x + (x | id)", "x"),
]


def _fit_quiet(data: pd.DataFrame, formula: str, reml: bool) -> hs.MixedFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return hs.fit_mixed(data, formula, reml=reml)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), which=st.integers(0, len(INV_FORMULAS) - 1),
       log_a=st.floats(-6, 6), sign=st.sampled_from([-1.0, 1.0]), shift=st.floats(-1e4, 1e4),
       reml=st.booleans(), target=st.sampled_from(["y", "covariate"]))
def test_inference_does_not_depend_on_units(seed: int, which: int, log_a: float, sign: float,
                                            shift: float, reml: bool, target: str) -> None:
    """y -> a y + b (a in [1e-6, 1e6], |b| <= 1e4 sd(a y)), or the same for a numeric
    covariate (random-slope covariates included): t, df and p unchanged to 1e-6;
    loglik changes by exactly the Jacobian term."""
    formula, cov = INV_FORMULAS[which]
    d = _panel(seed)
    a = sign * 10.0**log_a
    f1 = _fit_quiet(d, formula, reml)
    terms = list(f1.fixed["term"])
    if target == "y":
        b = shift * float(np.std(a * d["y"]))
        d2 = d.assign(y=a * d["y"] + b)
        keep_df = terms
        # a shift of y moves the intercept: its t changes, its df and se do not
        keep = [t for t in terms if t != "(Intercept)"]
        n_eff = f1.nobs - (len(terms) if reml else 0)
        jacobian = -n_eff * np.log(abs(a))
    else:
        b = shift * float(np.std(a * d[cov]))
        d2 = d.assign(**{cov: a * d[cov] + b})
        # a shift changes what the intercept and the main effects of factors mean:
        # compare the coefficients of the covariate itself and its interactions
        keep = keep_df = [t for t in terms if cov in t.split(":")]
        jacobian = -len(keep) * np.log(abs(a)) if reml else 0.0
    f2 = _fit_quiet(d2, formula, reml)
    t1 = f1.fixed.set_index("term")
    t2 = f2.fixed.set_index("term")
    # a < 0 flips the sign of every compared coefficient
    close(t2.loc[keep, "t"], np.sign(a) * t1.loc[keep, "t"], 1e-6, 1e-9, "t")
    close(t2.loc[keep_df, "df"], t1.loc[keep_df, "df"], 1e-6, 0, "df")
    close(t2.loc[keep, "p"], t1.loc[keep, "p"], 1e-6, 1e-300, "p")
    close(f2.loglik, f1.loglik + jacobian, 0, 1e-6 * max(1.0, abs(f1.loglik)), "loglik")


def test_boundary_optimum_in_other_units() -> None:
    """After y -> 75 y + b the optimiser once stopped at the zero relative factor (a
    saddle: the gradient vanishes there by symmetry), loglik 0.048 below the singular
    optimum the original units reach; the negative-curvature restart finds it."""
    d = _panel(18)
    a = 10.0**1.875
    f1 = _fit_quiet(d, "y ~ arm * wave + (wave | id)", False)
    b = 2.0 * float(np.std(a * d["y"]))
    f2 = _fit_quiet(d.assign(y=a * d["y"] + b), "y ~ arm * wave + (wave | id)", False)
    close(f2.loglik, f1.loglik - f1.nobs * np.log(a), 0, 1e-6 * abs(f1.loglik), "loglik")


# --- profile likelihood -----------------------------------------------------------

PROFILE_CASES = ["dyestuff2_singular", "sleepstudy_slope_only", "ergostool_factor", "btheb_ri",
                 "oxboys_slopes"]


@pytest.mark.parametrize("name", PROFILE_CASES)
def test_profile_confint_matches_lme4(name: str) -> None:
    """Both limits to 1e-3 relative (lme4 interpolates a spline through its profile;
    the limits here are roots of the exact profile, so they agree to about 1e-4)."""
    fit, _, _, extra = fitted(name)
    got = profile_confint(problem_of(fit), fit.theta, fixed_names=list(fit.fixed["term"]))
    want = pd.DataFrame(extra["profile"]["table"])
    assert list(got["parm"]) == list(want["parm"])
    scale = np.maximum(np.abs(want[["lower", "upper"]].to_numpy(dtype=float)), 1e-3)
    err = np.abs(got[["lower", "upper"]].to_numpy() - want[["lower", "upper"]].to_numpy(
        dtype=float)) / scale
    assert np.nanmax(err) < 1e-3, got.assign(err_lo=err[:, 0], err_hi=err[:, 1])
    assert (got["lower"] <= got["estimate"]).all() and (got["estimate"] <= got["upper"]).all()


EMM_KR = [(c, e) for c in KR_CASES
          for e in json.loads((REF / c / "inference.json").read_text())["kenward_roger"]["emmeans"]
          if re.fullmatch(r"~ (1|\w+)", e["spec"]) and (e["spec"] == "~ 1" or e["at"])]


@pytest.mark.parametrize(("name", "entry"), EMM_KR, ids=[f"{c} {e['spec']}" for c, e in EMM_KR])
def test_kenward_roger_marginal_means_match_emmeans(name: str, entry: dict[str, Any]) -> None:
    """emmeans(lmer.df = "kenward-roger") for grids over one numeric covariate (or "~ 1"),
    whose rows are (1, x): mean, SE, df and 95% limits; and their pairwise differences."""
    fit, inf, _, extra = fitted(name)
    beta = np.array([f["estimate"] for f in extra["kenward_roger"]["fixed"]])
    names = list(fit.fixed["term"])
    want = pd.DataFrame(entry["table"])
    var = entry["spec"][2:]
    xs = want[var].to_numpy(dtype=float) if var != "1" else np.zeros(len(want))
    rows = np.array([[1.0 if n == "(Intercept)" else (x if n == var else 0.0) for n in names]
                     for x in xs])
    est = rows @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", rows, inf.vcov_kr, rows))
    df = np.array([inf.df_kr(r) for r in rows])
    half = stats.t.ppf(0.975, df) * se
    close(est, want["emmean"], 1e-8, 1e-10, "emmean")
    close(se, want["SE"], 1e-6, what="SE")
    close(df, want["df"], 1e-6, what="df")
    close(est - half, want["lower.CL"], 1e-6, 1e-9, "lower")
    close(est + half, want["upper.CL"], 1e-6, 1e-9, "upper")
    pairs = pd.DataFrame(entry["pairs"])
    k = 0
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            c = rows[i] - rows[j]
            close(np.sqrt(c @ inf.vcov_kr @ c), pairs["SE"].iloc[k], 1e-6, what="pair SE")
            close(inf.df_kr(c), pairs["df"].iloc[k], 1e-6, what="pair df")
            k += 1
