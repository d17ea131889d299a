"""GLMM parity with R (lme4's glmer / glmer.nb, emmeans, car) on tests/models/glmm_data.

Every folder's ``expected.json`` lists its models (``cases``); each is fitted
here and compared: log-likelihood at least R's minus 1e-4 (for nAGQ > 1 on
glmer's scale, which omits the saturated log-density), estimates to 1e-4
relative, SEs (from the Hessian, glmer's use.hessian) to 2e-3, variance
components to 1e-2, response-scale marginal means and ratios to 1e-4.
R's make.R scripts sit beside the data.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import helpstats as hs

REF = Path(__file__).resolve().parent / "glmm_data"


def _cases() -> list[tuple[str, str]]:
    out = []
    for folder in sorted(p for p in REF.iterdir() if (p / "expected.json").is_file()):
        for case in json.loads((folder / "expected.json").read_text())["cases"]:
            out.append((folder.name, case))
    return out


CASES = _cases()


def _levels(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


@cache
def load(folder: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    exp = json.loads((REF / folder / "expected.json").read_text())
    data = pd.read_csv(REF / folder / "data.csv")
    for var, levels in exp["factor_levels"].items():
        data[var] = pd.Categorical(data[var].astype(str), categories=_levels(levels))
    return data, exp


@cache
def fitted(folder: str, case: str) -> tuple[hs.GlmmFit, dict[str, Any]]:
    data, exp = load(folder)
    c = exp["cases"][case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = hs.fit_glmm(data, c["formula"], family=c["family"], link=c["link"],
                          nagq=c["nagq"], weights=c.get("weights"), offset=c.get("offset"))
    return fit, c


def _rel(a: Any, b: Any) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.abs(a - b) / np.maximum(np.abs(b), 1e-3)


@pytest.mark.parametrize(("folder", "case"), CASES)
def test_loglik_estimates_and_ses(folder: str, case: str) -> None:
    fit, c = fitted(folder, case)
    ll = fit.glmer_agq_loglik if c["nagq"] > 1 else fit.loglik
    assert ll is not None
    assert ll >= c["loglik"] - 1e-4
    assert fit.converged
    assert list(fit.fixed["term"]) == c["fixed"]["term"]
    # 1e-4 relative; or, where glmer itself stops short on a flat ridge (Contraception's
    # age; our log-likelihood is then the higher one), within 1e-4 of the SE
    diff = np.abs(fit.fixed["estimate"].to_numpy() - np.array(c["fixed"]["estimate"]))
    close = (_rel(fit.fixed["estimate"], c["fixed"]["estimate"]) < 1e-4) | (
        (diff < 1e-4 * np.array(c["fixed"]["se"])) & (fit.loglik >= c["loglik"]))
    assert close.all()
    assert _rel(fit.fixed["se"], c["fixed"]["se"]).max() < 2e-3
    assert fit.deviance == pytest.approx(-2 * fit.loglik)


@pytest.mark.parametrize(("folder", "case"), CASES)
def test_variance_components(folder: str, case: str) -> None:
    fit, c = fitted(folder, case)
    ours = fit.varcorr
    ref = pd.DataFrame(c["varcorr"])
    assert len(ours) == len(ref)
    for (_, o), (_, r) in zip(ours.iterrows(), ref.iterrows(), strict=True):
        assert o["group"] == r["grp"]
        if r["var2"]:
            assert abs(o["sdcor"] - r["sdcor"]) < 1e-2  # a correlation
        else:
            assert o["vcov"] == pytest.approx(r["vcov"], rel=1e-2, abs=1e-6)
    if "dispersion" in c:
        assert fit.dispersion == pytest.approx(c["dispersion"], rel=1e-3)


EMM = [(f, c) for f, c in CASES if "emmeans" in load(f)[1]["cases"][c]]


@pytest.mark.parametrize(("folder", "case"), EMM)
def test_response_scale_emmeans(folder: str, case: str) -> None:
    fit, c = fitted(folder, case)
    ref = pd.DataFrame(c["emmeans"])
    factors = [k for k in ref.columns if k not in ("response", "SE", "df", "asymp.LCL",
                                                     "asymp.UCL")]
    spec, by = factors[0], factors[1:] or None
    ours = fit.emmeans(spec, by=by, type="response")
    assert [str(v) for v in ours[spec]] == [str(v) for v in ref[spec]]
    for mine, theirs in (("emmean", "response"), ("se", "SE"), ("lower", "asymp.LCL"),
                         ("upper", "asymp.UCL")):
        tol = 2e-3 if mine == "se" else 1e-4
        # the SE enters the limits: their tolerance follows the SE's through z * se / est
        assert _rel(ours[mine], ref[theirs]).max() < (tol if mine in ("emmean", "se") else 1e-3)


CON = [(f, c) for f, c in CASES if "contrasts" in load(f)[1]["cases"][c]]


@pytest.mark.parametrize(("folder", "case"), CON)
def test_ratio_contrasts(folder: str, case: str) -> None:
    fit, c = fitted(folder, case)
    ref = pd.DataFrame(c["contrasts"])
    by = [k for k in ref.columns if k not in ("contrast", "ratio", "SE", "df", "asymp.LCL",
                                               "asymp.UCL", "null", "z.ratio", "p.value")]
    emm = pd.DataFrame(c["emmeans"])
    var = next(v for v in emm.columns if v not in by)
    ours = fit.contrasts(var, by=by or None, type="response",
                         adjust="tukey" if len(ref) > 1 and not by else "none")
    assert list(ours["contrast"]) == list(ref["contrast"])
    assert _rel(ours["estimate"], ref["ratio"]).max() < 1e-4
    assert _rel(ours["se"], ref["SE"]).max() < 2e-3
    assert _rel(ours["z"], ref["z.ratio"]).max() < 2e-3
    assert _rel(ours["lower"], ref["asymp.LCL"]).max() < 2e-3
    assert _rel(ours["upper"], ref["asymp.UCL"]).max() < 2e-3
    assert np.allclose(np.log(ours["p"]), np.log(ref["p.value"]), rtol=2e-2)


def test_type3_equals_car_anova_under_sum_contrasts() -> None:
    fit, c = fitted("owls", "poisson")
    tab = fit.anova().set_index("term")
    ref = c["anova_sum"]
    for term, chisq, df in zip(ref["term"], ref["chisq"], ref["df"], strict=True):
        if term == "(Intercept)":
            continue
        assert tab.loc[term, "df"] == df
        assert tab.loc[term, "chisq"] == pytest.approx(chisq, rel=5e-3)
    # the interaction does not depend on the coding: car under treatment contrasts agrees
    inter = c["anova_treatment"]["chisq"][-1]
    assert tab.loc["FoodTreatment:SexParent", "chisq"] == pytest.approx(inter, rel=5e-3)


def test_type3_single_factor_matches_car() -> None:
    fit, c = fitted("cbpp", "logit")
    tab = fit.anova().set_index("term")
    assert tab.loc["period", "df"] == 3
    assert tab.loc["period", "chisq"] == pytest.approx(c["anova"]["chisq"][1], rel=5e-3)


def test_pearson_overdispersion() -> None:
    fit, c = fitted("owls", "poisson")
    chisq, df = fit.pearson_dispersion
    assert chisq == pytest.approx(c["pearson_chisq"], rel=1e-4)
    assert df == fit.nobs - 5
    assert "Overdispersion: Pearson chi-square" in fit.summary()


def test_nb2_matches_glmer_nb_not_glmmtmb() -> None:
    fit, c = fitted("epil", "nb2")
    assert fit.loglik == pytest.approx(c["loglik"], abs=1e-4)
    assert abs(fit.loglik - c["glmmTMB_loglik"]) > 1e-3  # glmmTMB's Laplace differs


def test_proportion_with_trials_equals_cbind() -> None:
    a, _ = fitted("cbpp", "logit")
    b, _ = fitted("cbpp", "proportion")
    assert a.loglik == pytest.approx(b.loglik, abs=1e-8)
    assert np.allclose(a.coef, b.coef, atol=1e-6)


def test_cbind_total_minus_successes_equals_cbind() -> None:
    data, _ = load("cbpp")
    a, _ = fitted("cbpp", "logit")
    b = hs.fit_glmm(data, "cbind(incidence, size - incidence) ~ period + (1 | herd)",
                    family="binomial")
    assert b.loglik == pytest.approx(a.loglik, abs=1e-8)
