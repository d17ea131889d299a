"""Numerical core of reliability: hand-computed alpha, Feldt interval and omega."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.multivariate.factor import Factor

from helpstats._psychometrics import (
    cronbach_alpha,
    feldt_interval,
    item_rest,
    omega_total,
    one_factor_ml,
)

# Three items, four people. Hand arithmetic (sample variances, divisor n - 1 = 3):
#   a = 1 2 3 4  -> SS 5, var 5/3
#   b = 2 2 4 4  -> SS 4, var 4/3
#   c = 1 3 3 5  -> SS 8, var 8/3
#   total = 4 7 10 13 -> SS 45, var 15
#   alpha = 3/2 * (1 - (17/3) / 15) = 3/2 * 28/45 = 14/15
# Item-rest r of b: rest = a + c = 2 5 6 9 (SS 25); cross-products with b = 8;
#   r = 8 / sqrt(4 * 25) = 0.8.  Of c: rest = a + b = 3 4 7 8 (SS 17), cross 10,
#   r = 10 / sqrt(8 * 17).  Of a: rest = b + c = 3 5 7 9 = 2a + 1, r = 1.
# Alpha without b: items a, c; var(a + c) = 25/3; alpha = 2 * (1 - (13/3) / (25/3)) = 24/25.
TINY = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [1, 3, 3, 5]}, dtype=float)


def test_alpha_hand_computed() -> None:
    assert cronbach_alpha(TINY.cov().to_numpy()) == pytest.approx(14 / 15, abs=1e-12)


def test_item_rest_hand_computed() -> None:
    r, dropped = item_rest(TINY.cov().to_numpy())
    assert r == pytest.approx([1.0, 0.8, 10 / math.sqrt(136)], abs=1e-12)
    assert dropped[1] == pytest.approx(24 / 25, abs=1e-12)


def test_two_items_alpha_if_dropped_undefined() -> None:
    r, dropped = item_rest(TINY[["a", "b"]].cov().to_numpy())
    assert np.isnan(dropped).all()
    assert r[0] == pytest.approx(r[1])


def test_alpha_zero_variance_is_nan() -> None:
    assert math.isnan(cronbach_alpha(np.zeros((3, 3))))


def test_feldt_hand_computed_f22() -> None:
    # n = 3, k = 2: F(2, 2) has cdf x / (1 + x), so its 2.5% and 97.5% points are 1/39 and 39.
    low, high = feldt_interval(0.5, 3, 2)
    assert low == pytest.approx(1 - 0.5 * 39, abs=1e-9)
    assert high == pytest.approx(1 - 0.5 / 39, abs=1e-9)


def test_feldt_hand_computed_f11() -> None:
    # n = 2, k = 2: F(1, 1) = (Z1/Z2)^2 has cdf (2/pi) atan(sqrt(x)), quantile tan(q pi / 2)^2.
    low, high = feldt_interval(0.8, 2, 2, level=0.9)
    assert low == pytest.approx(1 - 0.2 * math.tan(0.95 * math.pi / 2) ** 2, rel=1e-9)
    assert high == pytest.approx(1 - 0.2 * math.tan(0.05 * math.pi / 2) ** 2, rel=1e-9)


def test_feldt_matches_pingouin() -> None:
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.normal(size=(60, 4)) + rng.normal(size=(60, 1)))
    alpha, ci = pg.cronbach_alpha(data)
    assert cronbach_alpha(data.cov().to_numpy()) == pytest.approx(alpha, abs=1e-12)
    # pingouin rounds its interval to 3 decimals.
    assert feldt_interval(alpha, 60, 4) == pytest.approx(tuple(ci), abs=5e-4 + 1e-12)


def test_omega_congeneric_population_exact() -> None:
    lam, psi = np.array([2.0, 1.0, 1.0]), np.array([1.0, 2.0, 1.0])
    cov = np.outer(lam, lam) + np.diag(psi)
    # (2 + 1 + 1)^2 / ((2 + 1 + 1)^2 + (1 + 2 + 1)) = 16 / 20
    assert omega_total(cov) == pytest.approx(0.8, abs=1e-8)


def test_omega_equals_alpha_for_parallel_items() -> None:
    # Parallel items (equal loadings and unique variances): omega = alpha.
    cov = np.full((4, 4), 0.36) + np.diag(np.full(4, 0.64))
    assert omega_total(cov) == pytest.approx(cronbach_alpha(cov), abs=1e-8)


def test_omega_undefined_for_two_items() -> None:
    assert math.isnan(omega_total(np.array([[1.0, 0.5], [0.5, 1.0]])))


@settings(max_examples=15, deadline=None)
@given(
    loadings=st.lists(st.floats(0.3, 2.0), min_size=3, max_size=7),
    unique=st.lists(st.floats(0.2, 2.0), min_size=7, max_size=7),
)
def test_omega_recovers_any_congeneric_population(loadings: list[float],
                                                  unique: list[float]) -> None:
    lam = np.array(loadings)
    psi = np.array(unique[: len(lam)])
    cov = np.outer(lam, lam) + np.diag(psi)
    expected = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    assert omega_total(cov) == pytest.approx(expected, abs=1e-6)


def test_one_factor_ml_matches_statsmodels() -> None:
    rng = np.random.default_rng(11)
    lam = np.array([0.8, 0.6, 0.5, 0.7, 0.4])
    x = rng.normal(size=(400, 1)) * lam + rng.normal(size=(400, 5)) * np.sqrt(1 - lam**2)
    corr = np.corrcoef(x, rowvar=False)
    ours, psi = one_factor_ml(corr)
    fit = Factor(corr=corr, n_factor=1, method="ml", nobs=400).fit()
    theirs = fit.loadings[:, 0] * np.sign(fit.loadings[:, 0].sum())
    assert ours == pytest.approx(theirs, abs=1e-5)
    assert psi == pytest.approx(fit.uniqueness, abs=1e-5)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_alpha_at_most_one_and_order_invariant(data: st.DataObject) -> None:
    n = data.draw(st.integers(3, 12))
    k = data.draw(st.integers(2, 6))
    values = data.draw(st.lists(st.integers(0, 4), min_size=n * k, max_size=n * k))
    x = np.array(values, dtype=float).reshape(n, k)
    cov = np.cov(x, rowvar=False)
    alpha = cronbach_alpha(cov)
    if math.isnan(alpha):
        return
    assert alpha <= 1 + 1e-12
    order = data.draw(st.permutations(range(k)))
    assert cronbach_alpha(cov[np.ix_(order, order)]) == pytest.approx(alpha, abs=1e-12)
