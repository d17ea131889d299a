"""Satterthwaite degrees of freedom as in lmerTest (Kuznetsova et al. 2017).

The variance parameters are ``varpar = (theta, sigma)``. lmerTest takes the
Hessian of the deviance (fixed effects profiled out, ``sigma`` not) in
``varpar`` and the Jacobian of ``cov(beta) = sigma^2 (X'V~X)^-1`` in
``varpar``, both by Richardson-extrapolated central differences; then for a
linear function ``c'beta`` the denominator df is
``2 (c'Vc)^2 / (g' A g)`` with ``g_i = c' (dV/dvarpar_i) c`` and
``A = 2 H^+`` (pseudo-inverse over eigenvalues above 1e-8).
"""

from __future__ import annotations

import numpy as np

from ._engine import LmmProblem

__all__ = ["VarparInference", "fstat_ddf"]


def _steps(x: float) -> float:
    """Initial step: larger than numDeriv's 1e-4 |x|, which is swamped by rounding
    when a theta is small; Richardson extrapolation removes the truncation error."""
    return 1e-3 * max(abs(x), 1.0)


def _richardson(values: list[np.ndarray]) -> np.ndarray:
    """Richardson extrapolation of estimates at steps h, h/2, h/4, ... (error O(h^2))."""
    table = [np.asarray(v, dtype=float) for v in values]
    m = 1
    while len(table) > 1:
        four = 4.0**m
        table = [(four * table[i + 1] - table[i]) / (four - 1) for i in range(len(table) - 1)]
        m += 1
    return table[0]


class VarparInference:
    """Hessian and Jacobian in ``varpar = (theta, sigma)`` at the fitted optimum."""

    def __init__(self, problem: LmmProblem, theta: np.ndarray, sigma: float, reml: bool) -> None:
        self.problem = problem
        self.reml = reml
        self.varpar = np.concatenate([theta, [sigma]])
        self._cache: dict[bytes, tuple[float, float, float, np.ndarray]] = {}
        self.hessian = self._hessian()
        self.jacobian = self._jacobian()  # (k, p, p)
        vals, vecs = np.linalg.eigh(self.hessian)
        pos = vals > 1e-8
        self.vcov_varpar = 2.0 * (vecs[:, pos] / vals[pos]) @ vecs[:, pos].T
        self.vcov_beta = self.covbeta(self.varpar)

    def _parts(self, theta: np.ndarray) -> tuple[float, float, float, np.ndarray]:
        key = np.asarray(theta, dtype=float).tobytes()
        hit = self._cache.get(key)
        if hit is None:
            ev = self.problem.evaluate(theta, blocks=False)
            inv = np.linalg.inv(ev.sxx) if self.problem.p else np.zeros((0, 0))
            hit = (ev.logdet_l, ev.logdet_rx, ev.pwrss, inv)
            self._cache[key] = hit
        return hit

    def deviance(self, varpar: np.ndarray) -> float:
        """Deviance at ``(theta, sigma)`` with beta profiled (lmerTest's devfun_vp)."""
        logdet_l, logdet_rx, pwrss, _ = self._parts(varpar[:-1])
        s2 = varpar[-1] ** 2
        n, p = self.problem.n, self.problem.p
        dev = logdet_l + pwrss / s2 + n * np.log(2 * np.pi * s2)
        if self.reml:
            dev += logdet_rx - p * np.log(2 * np.pi * s2)
        return float(dev)

    def covbeta(self, varpar: np.ndarray) -> np.ndarray:
        """``cov(beta)`` at ``(theta, sigma)``."""
        return varpar[-1] ** 2 * self._parts(varpar[:-1])[3]

    def _hessian(self, r: int = 4) -> np.ndarray:
        x = self.varpar
        k = len(x)
        f0 = self.deviance(x)
        h0 = np.array([_steps(v) for v in x])

        def second(step: np.ndarray) -> float:
            return self.deviance(x + step) - 2 * f0 + self.deviance(x - step)

        diag_est = []
        for level in range(r):
            h = h0 / 2.0**level
            diag_est.append(np.array([second(np.eye(k)[i] * h[i]) / h[i] ** 2 for i in range(k)]))
        diag = _richardson(diag_est)
        hess = np.diag(diag)
        for i in range(k):
            for j in range(i):
                est = []
                for level in range(r):
                    h = h0 / 2.0**level
                    step = np.zeros(k)
                    step[i], step[j] = h[i], h[j]
                    val = second(step) - diag[i] * h[i] ** 2 - diag[j] * h[j] ** 2
                    est.append(np.array(val / (2 * h[i] * h[j])))
                hess[i, j] = hess[j, i] = float(_richardson(est))
        return hess

    def _jacobian(self, r: int = 4) -> np.ndarray:
        x = self.varpar
        k = len(x)
        h0 = np.array([_steps(v) for v in x])
        out = []
        for i in range(k):
            est = []
            for level in range(r):
                e = np.zeros(k)
                e[i] = h0[i] / 2.0**level
                est.append((self.covbeta(x + e) - self.covbeta(x - e)) / (2 * e[i]))
            out.append(_richardson(est))
        return np.array(out)

    def df(self, c: np.ndarray) -> float:
        """Satterthwaite df of the linear function ``c'beta``."""
        var = float(c @ self.vcov_beta @ c)
        g = np.einsum("i,kij,j->k", c, self.jacobian, c)
        denom = float(g @ self.vcov_varpar @ g)
        return 2.0 * var**2 / denom if denom > 0 else np.inf

    def contest(self, L: np.ndarray, beta: np.ndarray) -> tuple[int, float, float]:
        """F test of ``L beta = 0`` (lmerTest's contestMD): num df, den df, F."""
        L = np.atleast_2d(L)
        V = L @ self.vcov_beta @ L.T
        d, P = np.linalg.eigh(V)
        order = np.argsort(d)[::-1]
        d, P = d[order], P[:, order]
        tol = max(float(np.sqrt(np.finfo(float).eps)) * d[0], 0.0)
        q = int(np.sum(d > tol))
        PtL = (P.T @ L)[:q]
        t2 = (PtL @ beta) ** 2 / d[:q]
        F = float(np.sum(t2) / q)
        nu = np.array([
            2 * d[m] ** 2
            / float(
                (g := np.einsum("i,kij,j->k", PtL[m], self.jacobian, PtL[m]))
                @ self.vcov_varpar
                @ g
            )
            for m in range(q)
        ])
        return q, fstat_ddf(nu), F


def fstat_ddf(nu: np.ndarray, tol: float = 1e-8) -> float:
    """Denominator df of an F made of ``q`` independent t statistics (lmerTest).

    Examples
    --------
    >>> round(fstat_ddf(np.array([10.0, 20.0])), 4)
    13.0769
    """
    if len(nu) == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < tol):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    e = float(np.sum(nu / (nu - 2)))
    return 2 * e / (e - len(nu))

