"""Satterthwaite degrees of freedom as in lmerTest (Kuznetsova et al. 2017).

lmerTest takes the variance parameters ``varpar = (theta, sigma)``, the Hessian
of the deviance in ``varpar`` (fixed effects profiled out, ``sigma`` not) and
the Jacobian of ``cov(beta) = sigma^2 (X'V~X)^-1`` in ``varpar``, both by
numerical differentiation; then for a linear function ``c'beta`` the
denominator df is ``2 (c'Vc)^2 / (g' A g)`` with ``g_i = c' (dV/dvarpar_i) c``
and ``A = 2 H^+`` (pseudo-inverse over eigenvalues above 1e-8).

Here both derivatives are exact (:mod:`._derivatives`) and are taken in the
standardised model's parameters ``(theta_s, sigma_s)`` (:class:`~._engine.Standardisation`).
At the optimum the df are invariant to such a reparameterisation, so they are
lmerTest's -- and they do not change when the outcome or a covariate changes
units, where numerical differences in lme4's raw parameters lose precision.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..errors import ModelError
from ._derivatives import ThetaDerivatives, theta_derivatives
from ._engine import LmmProblem
from ._kenward_roger import KenwardRoger

__all__ = ["VarparInference", "fstat_ddf"]


class VarparInference:
    """Satterthwaite (and Kenward-Roger) inference for the fixed effects at ``theta``.

    Parameters
    ----------
    problem : LmmProblem
    theta : numpy.ndarray
        lme4's relative covariance parameters at the optimum.
    sigma : float
        Residual standard deviation.
    reml : bool
        Whether the fit is REML (the deviance whose Hessian is taken).

    Attributes
    ----------
    vcov_beta : numpy.ndarray
        ``cov(beta) = sigma^2 (X'V~X)^-1``.
    hessian : numpy.ndarray
        Hessian of lmerTest's deviance in ``(theta_s, sigma_s)``.
    vcov_varpar : numpy.ndarray
        ``2 H^+``: asymptotic covariance of ``(theta_s, sigma_s)``.
    jacobian : numpy.ndarray
        ``d cov(beta) / d (theta_s, sigma_s)``, shape (k + 1, p, p).
    """

    def __init__(self, problem: LmmProblem, theta: np.ndarray, sigma: float, reml: bool) -> None:
        self.problem = problem
        self.reml = reml
        core = problem.core
        std = problem.std
        self.theta_s = problem.to_internal(np.asarray(theta, dtype=float))
        self.sigma_s = float(sigma) / std.y_scale
        self.derivs: ThetaDerivatives = theta_derivatives(core, self.theta_s, reml)
        d = self.derivs
        s = self.sigma_s
        s2 = s * s
        k = len(self.theta_s)
        nu = problem.n - problem.p if reml else problem.n
        hess = np.empty((k + 1, k + 1))
        hess[:k, :k] = d.hess_logdet + d.hess_pwrss / s2
        hess[:k, k] = hess[k, :k] = -2.0 * d.grad_pwrss / (s2 * s)
        hess[k, k] = 6.0 * d.pwrss / s2**2 - 2.0 * nu / s2
        hess[:k, :k] += self._reparam_correction(d.grad_logdet + d.grad_pwrss / s2)
        self.hessian = hess
        vals, vecs = np.linalg.eigh(hess)
        pos = vals > 1e-8
        self.vcov_varpar = 2.0 * (vecs[:, pos] / vals[pos]) @ vecs[:, pos].T
        T = std.beta_map
        self.beta_map = T
        jac_s = np.concatenate([s2 * d.dK, (2.0 * s * d.K)[None]], axis=0)
        self.jacobian = np.einsum("ij,kjl,ml->kim", T, jac_s, T)
        self.vcov_beta = s2 * (T @ d.K @ T.T)

    def _reparam_correction(self, grad_s: np.ndarray) -> np.ndarray:
        """Curvature term that makes ``2 H^+`` lmerTest's away from the exact optimum.

        lmerTest differentiates in lme4's ``theta``; ``theta_s`` is a smooth,
        nonlinear function of it when random-slope columns were centred. The
        Hessians differ by ``-sum_i (dD/dtheta_i) d^2 theta_i / d theta_s^2``, which
        vanishes at the optimum (zero gradient) but not at a point where an
        optimiser stopped short (lme4's default on Orthodont). The second
        derivatives of the cheap map ``theta_s -> theta`` are taken by central
        differences; the term is skipped on the boundary, where the map has a kink."""
        prob = self.problem
        k = len(self.theta_s)
        zero = np.zeros((k, k))
        if all(prob.std.A_diagonal) or not np.any(grad_s):
            return zero
        diag = prob.lower == 0
        if np.any(self.theta_s[diag] < 1e-4):
            return zero
        x = self.theta_s
        h = 1e-4 * np.maximum(np.abs(x), 0.1)
        f = prob.from_internal
        eye = np.eye(k)
        jac = np.column_stack([(f(x + h[a] * eye[a]) - f(x - h[a] * eye[a])) / (2 * h[a])
                               for a in range(k)])
        try:
            grad_o = np.linalg.solve(jac.T, grad_s)
        except np.linalg.LinAlgError:
            return zero
        f0 = f(x)
        out = np.empty((k, k))
        for a in range(k):
            for b in range(a + 1):
                ea, eb = h[a] * eye[a], h[b] * eye[b]
                d2 = (f(x + ea + eb) - f(x + ea - eb) - f(x - ea + eb) + f(x - ea - eb)) / (
                    4 * h[a] * h[b]) if a != b else (f(x + ea) - 2 * f0 + f(x - ea)) / h[a] ** 2
                out[a, b] = out[b, a] = -float(grad_o @ d2)
        return out

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
        nu = np.array([self.df(PtL[m]) for m in range(q)])
        return q, fstat_ddf(nu), F

    # ------------------------------------------------------- Kenward-Roger
    @cached_property
    def _kr(self) -> KenwardRoger:
        if not self.reml:
            raise ModelError(
                "Kenward-Roger df need a REML fit (as lmerTest and pbkrtest); this fit is "
                "maximum likelihood. Refit with reml=True or use df='satterthwaite'."
            )
        return KenwardRoger(self.problem, self.derivs, self.sigma_s)

    @property
    def vcov_kr(self) -> np.ndarray:
        """Kenward-Roger adjusted covariance of beta (pbkrtest's ``vcovAdj``)."""
        return self._kr.vcov_adj

    def df_kr(self, c: np.ndarray) -> float:
        """Kenward-Roger df of ``c'beta`` (pbkrtest's ``Lb_ddf``)."""
        return self._kr.ddf(np.atleast_2d(c))

    def contest_kr(self, L: np.ndarray, beta: np.ndarray) -> tuple[int, float, float]:
        """Kenward-Roger F test of ``L beta = 0``: num df, den df and the scaled F
        (pbkrtest's ``KRmodcomp``, as lmerTest's ``anova(ddf = "Kenward-Roger")``)."""
        return self._kr.ftest(np.atleast_2d(L), np.asarray(beta, dtype=float))


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

