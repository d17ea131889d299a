"""Penalised iteratively reweighted least squares (PIRLS) for the conditional modes.

As lme4's ``pwrssUpdate``: at fixed covariance parameters ``theta`` (and, in
glmer's second stage, fixed ``beta``) the conditional modes of the spherical
random effects minimise the penalised deviance
``-2 log p(y | u) + |u|^2``. Each iteration solves the weighted penalised
least-squares problem with the Fisher-scoring weights
``w = prior * (d mu / d eta)^2 / V(mu)`` and halves the step while the
penalised deviance increases. The first stage (glmer's ``nAGQ = 0``) updates
``beta`` jointly with ``u`` through the Schur complement of the penalised
system. Iterations stop when the relative change of the penalised deviance
is below 1e-13 and the largest change of ``u`` below 1e-10 (tighter than
lme4's default ``tolPwrss``, so that finite differences of the Laplace
deviance are precise enough for the Hessian).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..families import Family
from ._system import Factor, ReSystem

__all__ = ["GlmmProblem", "ModeResult"]

_MAXIT = 60
_HALVINGS = 30


@dataclass
class ModeResult:
    """Conditional modes at one (theta, beta) and the quantities built on them."""

    u: np.ndarray
    beta: np.ndarray
    eta: np.ndarray
    mu: np.ndarray
    factor: Factor
    logp: float  # sum of log p(y | u)
    converged: bool
    iterations: int

    @property
    def sqr_u(self) -> float:
        """``|u|^2``."""
        return float(self.u @ self.u)

    def laplace(self) -> float:
        """Laplace deviance ``-2 log p(y|u) + |u|^2 + log det A``."""
        return -2.0 * self.logp + self.sqr_u + self.factor.logdet


class GlmmProblem:
    """Data of one GLMM: response, design, weights, offset, family, random effects."""

    def __init__(self, X: np.ndarray, y: np.ndarray, weights: np.ndarray, offset: np.ndarray,
                 family: Family, system: ReSystem) -> None:
        self.X = X
        self.y = y
        self.weights = weights
        self.offset = offset
        self.family = family
        self.system = system
        self.n, self.p = X.shape
        self._zl_theta: np.ndarray | None = None
        self._zl: sp.csr_matrix | None = None
        self.last: ModeResult | None = None
        self.logp_const = float(np.sum(family.constant(y, weights)))

    def with_family(self, family: Family) -> GlmmProblem:
        """The same data with another family (e.g. a new NB dispersion)."""
        out = GlmmProblem(self.X, self.y, self.weights, self.offset, family, self.system)
        out.last = self.last
        return out

    # --------------------------------------------------------------- pieces
    def zl(self, theta: np.ndarray) -> sp.csr_matrix | None:
        """Cached ``Z Lambda`` for the general (several-term) path."""
        if self.system.single:
            return None
        if self._zl_theta is None or not np.array_equal(self._zl_theta, theta):
            self._zl = self.system.zlam(theta)
            self._zl_theta = theta.copy()
        return self._zl

    def _moments(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mu, d = self.family.link.mean_and_derivative(eta)
        w = self.weights * d * d / np.maximum(self.family.variance(mu), 1e-300)
        return mu, d, w

    def _pdev(self, mu: np.ndarray, u: np.ndarray) -> float:
        """Penalised deviance up to a constant: ``-2 * kernel + |u|^2``."""
        return float(-2.0 * np.sum(self.family.kernel(self.y, mu, self.weights)) + u @ u)

    def _finish(self, theta: np.ndarray, u: np.ndarray, beta: np.ndarray, eta: np.ndarray,
                converged: bool, it: int, zl: sp.csr_matrix | None) -> ModeResult:
        mu, _, w = self._moments(eta)
        factor = self.system.factor(theta, w, zl)
        logp = float(np.sum(self.family.kernel(self.y, mu, self.weights))) + self.logp_const
        res = ModeResult(u, beta, eta, mu, factor, logp, converged, it)
        self.last = res
        return res

    def start_eta(self) -> np.ndarray:
        """Linear predictor from the family's starting means (R's ``mustart``)."""
        return self.family.link(self.family.start_mu(self.y, self.weights))

    # ----------------------------------------------------------------- PIRLS
    def modes(self, theta: np.ndarray, beta: np.ndarray, u0: np.ndarray | None = None
              ) -> ModeResult:
        """Conditional modes of ``u`` at fixed ``theta`` and ``beta``."""
        theta = np.asarray(theta, dtype=float)
        zl = self.zl(theta)
        sysm = self.system
        fixed = self.X @ beta + self.offset
        if u0 is None:
            u0 = self.last.u if self.last is not None else np.zeros(sysm.Q)
        u = u0.copy()
        eta = fixed + sysm.linpred(theta, u, zl)
        mu = self.family.link.inverse(eta)
        pdev = self._pdev(mu, u)
        converged = False
        it = 0
        for it in range(1, _MAXIT + 1):  # noqa: B007
            mu, d, w = self._moments(eta)
            z = eta - fixed + (self.y - mu) / d
            factor = sysm.factor(theta, w, zl)
            u_new = factor.solve(sysm.crossprod(theta, w * z, zl))
            delta = u_new - u
            step = 1.0
            for _ in range(_HALVINGS):
                cand = u + step * delta
                eta_c = fixed + sysm.linpred(theta, cand, zl)
                mu_c = self.family.link.inverse(eta_c)
                pdev_c = self._pdev(mu_c, cand)
                if pdev_c <= pdev + 1e-10 * (abs(pdev) + 1.0):
                    break
                step /= 2
            change = abs(pdev - pdev_c)
            du = float(np.max(np.abs(step * delta), initial=0.0))
            u, eta, pdev = cand, eta_c, pdev_c
            if change <= 1e-13 * (abs(pdev) + 1.0) and du <= 1e-10 * (1.0 + float(
                    np.max(np.abs(u), initial=0.0))):
                converged = True
                break
            if step < 1e-8:
                converged = change <= 1e-9 * (abs(pdev) + 1.0)
                break
        return self._finish(theta, u, beta, eta, converged, it, zl)

    def joint_modes(self, theta: np.ndarray, beta0: np.ndarray | None = None,
                    u0: np.ndarray | None = None) -> ModeResult:
        """Modes of ``u`` and ``beta`` together at fixed ``theta`` (glmer's ``nAGQ = 0``)."""
        theta = np.asarray(theta, dtype=float)
        zl = self.zl(theta)
        sysm = self.system
        X = self.X
        if beta0 is None or u0 is None:
            eta = self.start_eta()
            u = np.zeros(sysm.Q)
            beta = np.zeros(self.p)
            pdev = np.inf
        else:
            u, beta = u0.copy(), beta0.copy()
            eta = X @ beta + self.offset + sysm.linpred(theta, u, zl)
            pdev = self._pdev(self.family.link.inverse(eta), u)
        converged = False
        it = 0
        for it in range(1, _MAXIT + 1):  # noqa: B007
            mu, d, w = self._moments(eta)
            z = eta - self.offset + (self.y - mu) / d
            factor = sysm.factor(theta, w, zl)
            cu = sysm.crossprod(theta, w * z, zl)
            B = sysm.crossprod(theta, w[:, None] * X, zl)  # (Q, p)
            AinvB = factor.solve(B)
            Ainvc = factor.solve(cu)
            XtW = X.T * w
            S = XtW @ X - B.T @ AinvB
            rhs = XtW @ z - B.T @ Ainvc
            beta_new = np.linalg.solve(S, rhs)
            u_new = Ainvc - AinvB @ beta_new
            du_full, db_full = u_new - u, beta_new - beta
            step = 1.0
            for _ in range(_HALVINGS):
                cu_c = u + step * du_full
                cb_c = beta + step * db_full
                eta_c = X @ cb_c + self.offset + sysm.linpred(theta, cu_c, zl)
                pdev_c = self._pdev(self.family.link.inverse(eta_c), cu_c)
                if not np.isfinite(pdev) or pdev_c <= pdev + 1e-10 * (abs(pdev) + 1.0):
                    break
                step /= 2
            change = abs(pdev - pdev_c) if np.isfinite(pdev) else np.inf
            u, beta, eta, pdev = cu_c, cb_c, eta_c, pdev_c
            if change <= 1e-12 * (abs(pdev) + 1.0):
                converged = True
                break
            if step < 1e-8:
                break
        return self._finish(theta, u, beta, eta, converged, it, zl)
