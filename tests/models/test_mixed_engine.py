"""The blocked (Schur-complement) deviance against a dense brute-force computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import block_diag

import helpstats as hs
from helpstats.models._engine import LmmProblem


def dense_deviance(prob: LmmProblem, theta: np.ndarray, reml: bool) -> tuple[float, np.ndarray]:
    """Profiled deviance from V = I + Z Lambda Lambda' Z' (dense), and beta."""
    n, p = prob.X.shape
    blocks = []
    lams = []
    for k, t in enumerate(prob.terms):
        Zk = np.zeros((n, t.nl * t.q))
        for a in range(t.q):
            Zk[np.arange(n), t.codes * t.q + a] = t.Z[:, a]
        blocks.append(Zk)
        lams.append(np.kron(np.eye(t.nl), prob.lam(theta, k)))
    Z = np.hstack(blocks)
    lam = np.zeros((Z.shape[1], Z.shape[1]))
    off = 0
    for m in lams:
        lam[off : off + m.shape[0], off : off + m.shape[0]] = m
        off += m.shape[0]
    V = np.eye(n) + Z @ lam @ lam.T @ Z.T
    Vi = np.linalg.inv(V)
    XtViX = prob.X.T @ Vi @ prob.X
    beta = np.linalg.solve(XtViX, prob.X.T @ Vi @ prob.y)
    r = prob.y - prob.X @ beta
    rss = float(r @ Vi @ r)
    logdet = np.linalg.slogdet(V)[1]
    if reml:
        dof = n - p
        extra = np.linalg.slogdet(XtViX)[1]
        return logdet + extra + dof * (1 + np.log(2 * np.pi * rss / dof)), beta
    return logdet + n * (1 + np.log(2 * np.pi * rss / n)), beta


def nested_data(seed: int, n_groups: int = 6, per_group: int = 5, waves: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_groups):
        ug = rng.normal(scale=0.8)
        for i in range(per_group):
            ui, si = rng.normal(scale=1.0), rng.normal(scale=0.3)
            arm = "peer" if (g + i) % 2 else "usual"
            for w in range(waves):
                if rng.random() < 0.1:
                    continue
                y = 10 + ug + ui + (0.5 + si) * w - 0.4 * w * (arm == "peer") + rng.normal()
                rows.append({"y": y, "wave": float(w), "arm": arm, "person": f"p{g}_{i}",
                             "group": f"g{g}", "rater": f"r{(i + w) % 4}"})
    return pd.DataFrame(rows)


FORMULAS = [
    "y ~ arm * wave + (1 | person) + (1 | group)",
    "y ~ arm * wave + (wave | person) + (1 | group)",
    "y ~ wave + (1 | group/person)",
    "y ~ wave + (1 | person) + (wave | rater)",
    "y ~ arm + wave + (wave || person)",
    "y ~ wave + (1 + wave + arm | person)",  # three random columns: the general block path
    "y ~ wave + (1 | person) + (wave + arm | group)",  # three columns in the Schur block
]


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("reml", [True, False])
def test_blocked_deviance_equals_dense(formula: str, reml: bool) -> None:
    d = nested_data(1)
    fit = hs.fit_mixed(d, formula, reml=reml)
    prob = fit.problem
    rng = np.random.default_rng(0)
    for theta in [fit.theta, np.abs(rng.normal(size=prob.ntheta)) + 0.1]:
        want, beta = dense_deviance(prob, theta, reml)
        ev = prob.evaluate(theta)
        assert prob.deviance(ev) == pytest.approx(want, rel=1e-10)
        got_beta, _ = prob.estimates(ev)
        np.testing.assert_allclose(got_beta, beta, rtol=1e-8, atol=1e-10)


def test_blups_equal_dense_conditional_modes() -> None:
    """b = Lambda Lambda' Z' V^-1 (y - X beta) with V = I + Z Lambda Lambda' Z'."""
    d = nested_data(2)
    fit = hs.fit_mixed(d, "y ~ arm * wave + (wave | person) + (1 | group)")
    prob = fit.problem
    n = prob.n
    blocks, lams = [], []
    for k, t in enumerate(prob.terms):
        Zk = np.zeros((n, t.nl * t.q))
        for a in range(t.q):
            Zk[np.arange(n), t.codes * t.q + a] = t.Z[:, a]
        blocks.append(Zk)
        lams.append(np.kron(np.eye(t.nl), prob.lam(fit.theta, k)))
    Z = np.hstack(blocks)
    lam = block_diag(*lams)
    V = np.eye(n) + Z @ lam @ lam.T @ Z.T
    b = lam @ lam.T @ Z.T @ np.linalg.solve(V, prob.y - prob.X @ fit.coef.to_numpy())
    np.testing.assert_allclose(np.concatenate([x.ravel() for x in fit.blups]), b,
                               rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit.fitted() + fit.residuals(), d["y"].to_numpy(), rtol=1e-12)


def test_nested_names_and_counts() -> None:
    d = nested_data(3)
    fit = hs.fit_mixed(d, "y ~ wave + (1 | group/person)")
    assert fit.ngroups == {"person:group": 30, "group": 6}
    assert list(fit.varcorr["group"]) == ["person:group", "group", "Residual"]
    uncorrelated = hs.fit_mixed(d, "y ~ wave + (wave || person)")
    assert list(uncorrelated.varcorr["group"]) == ["person", "person.1", "Residual"]
    blups = uncorrelated.ranef()  # one frame per factor, as lme4's ranef()
    assert list(blups) == ["person"]
    assert list(blups["person"].columns) == ["(Intercept)", "wave"]


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(-50, 50), scale=st.floats(0.2, 20))
def test_affine_response_invariance(seed: int, shift: float, scale: float) -> None:
    """y -> a + c*y: loglik shifts by -n log c, sigma scales by c, slopes scale by c."""
    d = nested_data(seed, n_groups=4, per_group=4)
    f1 = hs.fit_mixed(d, "y ~ wave + (1 | person)")
    d2 = d.assign(y=shift + scale * d["y"])
    f2 = hs.fit_mixed(d2, "y ~ wave + (1 | person)")
    n_eff = f1.nobs - 2  # REML: n - p
    assert f2.loglik == pytest.approx(f1.loglik - n_eff * np.log(scale), abs=1e-5)
    assert f2.sigma == pytest.approx(scale * f1.sigma, rel=1e-4)
    assert f2.coef["wave"] == pytest.approx(scale * f1.coef["wave"], rel=1e-4, abs=1e-6)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_does_not_matter(seed: int) -> None:
    d = nested_data(seed, n_groups=4, per_group=4)
    shuffled = d.sample(frac=1.0, random_state=seed)
    a = hs.fit_mixed(d, "y ~ arm * wave + (wave | person)")
    b = hs.fit_mixed(shuffled, "y ~ arm * wave + (wave | person)")
    assert a.loglik == pytest.approx(b.loglik, abs=1e-7)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-5, atol=1e-7)
