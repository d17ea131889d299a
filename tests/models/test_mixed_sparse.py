"""Several random terms: the sparse (CHOLMOD) deviance, the scipy-only fallback and the
finite-difference derivatives of large crossed models, against the dense computation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_mixed_engine import FORMULAS, dense_deviance, nested_data

import helpstats as hs
from helpstats.models import _engine, _sparse
from helpstats.models._design import group_codes, r_sort

pytest.importorskip("cvxopt")


def _fit(data: pd.DataFrame, formula: str, reml: bool = True) -> hs.MixedFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return hs.fit_mixed(data, formula, reml=reml)


MULTI = [f for f in FORMULAS if f.count("|") > 1 or "/" in f]


@pytest.mark.parametrize("formula", MULTI)
@pytest.mark.parametrize("reml", [True, False])
def test_sparse_objective_equals_dense(formula: str, reml: bool) -> None:
    fit = _fit(nested_data(1), formula, reml)
    prob = fit.problem
    assert prob.core.sparse is not None
    rng = np.random.default_rng(4)
    for theta in [fit.theta, np.abs(rng.normal(size=prob.ntheta)) + 0.1, fit.theta * 0]:
        want, _ = dense_deviance(prob, theta, reml)
        assert prob.objective(theta) == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("formula", MULTI)
def test_fallback_without_cholmod_gives_the_same_fit(formula: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    d = nested_data(2)
    fit = _fit(d, formula)
    monkeypatch.setattr(_sparse, "_cholmod", lambda: None)
    plain = _fit(d, formula)
    assert plain.problem.core.sparse is None
    assert plain.loglik == pytest.approx(fit.loglik, rel=1e-10, abs=1e-8)
    np.testing.assert_allclose(plain.fixed["estimate"], fit.fixed["estimate"], rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_allclose(plain.fixed["df"], fit.fixed["df"], rtol=1e-5)


CROSSED = ["y ~ arm * wave + (1 | person) + (1 | rater) + (1 | group)",
           "y ~ wave + (wave | person) + (1 | group)",
           "y ~ wave + (1 | person) + (wave | rater)"]


@pytest.mark.parametrize("formula", CROSSED)
def test_large_model_path_matches_the_blocked_one(formula: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Above DENSE_LIMIT the estimates come from the sparse factor and the derivatives
    from central differences: the same fit and Satterthwaite df (to 1e-5)."""
    d = nested_data(3, n_groups=8)
    fit = _fit(d, formula)
    assert fit.problem.core.blocked
    monkeypatch.setattr(_engine, "DENSE_LIMIT", 0)
    big = _fit(d, formula)
    prob = big.problem
    assert not prob.core.blocked
    assert big.loglik == pytest.approx(fit.loglik, rel=1e-9, abs=1e-8)
    np.testing.assert_allclose(big.theta, fit.theta, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(big.fixed["estimate"], fit.fixed["estimate"], rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(big.fixed["se"], fit.fixed["se"], rtol=1e-5)
    np.testing.assert_allclose(big.fixed["df"], fit.fixed["df"], rtol=1e-4)
    # the sparse factor's estimates and conditional modes equal the dense ones at any theta
    theta = fit.theta + 0.05
    want, beta = dense_deviance(prob, theta, True)
    ev = prob.evaluate(theta)
    assert prob.deviance(ev) == pytest.approx(want, rel=1e-10)
    got_beta, blups = prob.estimates(ev)
    np.testing.assert_allclose(got_beta, beta, rtol=1e-8, atol=1e-10)
    ref_beta, ref_blups = fit.problem.estimates(fit.problem.evaluate(theta))
    for a, b in zip(blups, ref_blups, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    assert big.converged
    with pytest.raises(hs.errors.ModelError, match="Kenward-Roger"):
        big.coef_vcov(df="kenward-roger")


def test_string_levels_sorted_as_r() -> None:
    """The vectorised order of text levels (pyarrow strings included) is r_sort's."""
    ascii_values = ["b", "B", "a", "10", "9", "A", "a b", "Zed", "z", "_x", "zED"] * 3
    ascii_values += [f"p{i}" for i in range(1200)]  # many levels: the vectorised sort
    # ASCII (fixed-width numpy strings); a trailing NUL and non-ASCII text (pandas keys)
    for values in (ascii_values, ascii_values + ["a\x00"], ascii_values + ["ä", "ß", "SS", "ss"]):
        for dtype in (object, "string", "str"):
            frame = pd.DataFrame({"g": pd.Series(values, dtype=dtype)})
            codes, labels = group_codes(frame, ["g"])
            assert labels == r_sort(values)
            assert [labels[c] for c in codes] == values
