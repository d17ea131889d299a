"""fit_mmrm against nlme::gls fitted to convergence (tests/models/mmrm_data/nlme_*/make.R).

Tolerances (the issue's, for references refitted to convergence): log-likelihood 1e-6
relative, estimates 1e-5, SEs 1e-4; the visit covariance matrix 1e-4 relative to its
largest entry.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs

DATA = Path(__file__).parent / "mmrm_data"
CASES = [("nlme_orthodont", "Subject", ["age8", "age10", "age12", "age14"], {"Sex": ["Male", "Female"]}),
         ("nlme_chickweight", "Chick", [f"day{t}" for t in (0, 4, 8, 12, 16, 20)], {})]


def _params():
    for folder, subject, visits, factors in CASES:
        ref = json.loads((DATA / folder / "expected.json").read_text())
        for i, fit in enumerate(ref["fits"]):
            yield pytest.param(folder, subject, visits, factors, fit,
                               id=f"{folder}-{fit['covariance']}-{'reml' if fit['reml'] else 'ml'}-{i}")


@pytest.mark.parametrize(("folder", "subject", "visits", "factors", "ref"), list(_params()))
def test_against_gls(folder, subject, visits, factors, ref):
    d = pd.read_csv(DATA / folder / "data.csv")
    d["visit"] = pd.Categorical(d["visit"], visits)
    for col, levels in factors.items():
        d[col] = pd.Categorical(d[col], levels)
    fit = hs.fit_mmrm(d, ref["formula"], subject=subject, visit="visit",
                      covariance=ref["covariance"], reml=ref["reml"], df="residual")
    assert fit.converged
    assert fit.loglik >= ref["loglik"] - 1e-9 * abs(ref["loglik"])
    assert abs(fit.loglik / ref["loglik"] - 1) < 1e-6
    fx = fit.fixed
    assert fx["term"].tolist() == ref["terms"]
    est = np.array(ref["estimate"])
    np.testing.assert_allclose(fx["estimate"], est, rtol=1e-5, atol=1e-5 * np.abs(est).max())
    se = np.array(ref["se"])
    if not ref["reml"]:
        # nlme scales the ML covariance of the coefficients by n / (n - p); SAS and mmrm do not
        se = se * np.sqrt((fit.nobs - len(est)) / fit.nobs)
    np.testing.assert_allclose(fx["se"], se, rtol=1e-4)
    V = np.array(ref["vcov_visits"])
    assert np.max(np.abs(fit.covariance.to_numpy() - V)) <= 1e-4 * np.abs(V).max()
    assert fx["df"].tolist() == [fit.nobs - len(est)] * len(est)
