"""GLMM profile-likelihood intervals against lme4's ``confint(fit, method = "profile")``
(tests/models/glmm_profile_data: make.R, lme4::cbpp). lme4 interpolates its profile
with splines; helpstats finds the crossings on the exact profile, so the limits agree
to lme4's interpolation error (measured: <= 7e-5 relative for Laplace, 1e-6 for AGQ)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs

HERE = Path(__file__).parent / "glmm_profile_data"


@pytest.fixture(scope="module")
def cbpp() -> tuple[pd.DataFrame, dict]:
    d = pd.read_csv(HERE / "data.csv")
    d["period"] = d["period"].astype(str)
    return d, json.loads((HERE / "expected.json").read_text())


@pytest.mark.parametrize("case, which, rtol", [
    ("laplace", "all", 2e-4), ("agq5", "theta_", 1e-5), ("slope", "theta_", 2e-4)])
def test_profile_limits_match_lme4(cbpp, case: str, which: str, rtol: float) -> None:
    d, expected = cbpp
    ref = expected[case]
    fit = hs.fit_mixed(d, ref["formula"], family="binomial", nagq=ref["nagq"])
    loglik = fit.loglik if fit.glmer_agq_loglik is None else fit.glmer_agq_loglik
    assert loglik >= ref["loglik"] - 1e-6
    ci = fit.confint(method="profile", which=which)
    want = pd.DataFrame({"parm": ref["parm"], "lower": ref["lower"], "upper": ref["upper"]})
    want = want[want["parm"].str.startswith(".sig")] if which == "theta_" else want
    assert list(ci["parm"]) == list(want["parm"])
    np.testing.assert_allclose(ci["lower"], want["lower"], rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(ci["upper"], want["upper"], rtol=rtol, atol=1e-6)
    assert (ci["lower"] <= ci["estimate"]).all() and (ci["estimate"] <= ci["upper"]).all()


def test_profile_limits_are_where_the_deviance_rises_by_the_chi_square_quantile(cbpp) -> None:
    d, _ = cbpp
    fit = hs.fit_mixed(d, "cbind(incidence, noninc) ~ period + (1 | herd)",
                       family="binomial")
    ci = fit.confint(method="profile", which="theta_", level=0.9)
    assert ci.attrs["level"] == 0.9
    lower = float(ci["lower"].iloc[0])
    # refit with the herd SD fixed at the lower limit (an offset-free check through the
    # profile itself): the deviance is qchisq(0.9, 1) above the minimum
    from helpstats.models.glmm._profile import _GlmmProfiler

    prof = _GlmmProfiler(fit._problem, 1, fit.theta, fit.coef.to_numpy())
    rise = prof.variance(0, 0, 0)(lower) - prof.dev_min
    assert rise == pytest.approx(2.705543454095404, rel=1e-6)
