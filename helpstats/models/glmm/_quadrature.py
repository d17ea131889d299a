"""Laplace and adaptive Gauss-Hermite approximations of the GLMM deviance.

The marginal likelihood integrates ``p(y | u) phi(u)`` over the spherical
random effects. The Laplace approximation (``nagq = 1``) expands the
penalised deviance ``g(u) = -2 log p(y | u) + |u|^2`` about its mode:
``-2 log L ~ g(u~) + log det(Lambda' Z' W Z Lambda + I)``. With one scalar
random-effects term the integral factorises over groups and adaptive
Gauss-Hermite quadrature (as glmer's ``nAGQ > 1``, Pinheiro & Bates 1995)
centres the rule at each group's mode ``m_j`` with scale
``s_j = 1 / sqrt(A_jj)``:
``int exp(-g_j(u) / 2) du / sqrt(2 pi)
  ~ s_j exp(-g_j(m_j) / 2) sum_k w_k exp(-(g_j(m_j + s_j z_k) - g_j(m_j)) / 2 + z_k^2 / 2)``
with nodes ``z_k`` and weights ``w_k`` of the standard normal density.

Unlike glmer, the deviance here keeps every constant of the log-density at
every ``nAGQ``, so log-likelihoods are comparable across ``nagq`` and with
glmmTMB; glmer's ``logLik`` for ``nAGQ > 1`` omits the saturated model's
log-likelihood (it is ``loglik - sum log p(y | mu = y)`` here).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from ._pirls import GlmmProblem, ModeResult

__all__ = ["deviance", "ghq_rule", "saturated_logp"]


@lru_cache(maxsize=32)
def ghq_rule(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the ``k``-point Gauss-Hermite rule for the N(0, 1) density.

    Examples
    --------
    >>> z, w = ghq_rule(5)
    >>> round(float(w.sum()), 12), round(float(w @ z**2), 12)
    (1.0, 1.0)
    """
    z, w = hermegauss(k)
    return z, w / np.sqrt(2 * np.pi)


def _group_dev(problem: GlmmProblem, fixed: np.ndarray, theta: np.ndarray,
               u: np.ndarray) -> np.ndarray:
    term = problem.system.terms[0]
    lam = theta[0]
    eta = fixed + term.Z[:, 0] * (lam * u[term.codes])
    mu = problem.family.link.inverse(eta)
    lp = problem.family.kernel(problem.y, mu, problem.weights)  # constants cancel
    return -2.0 * np.bincount(term.codes, weights=lp, minlength=term.nl) + u * u


def deviance(problem: GlmmProblem, theta: np.ndarray, mode: ModeResult, nagq: int) -> float:
    """Laplace (``nagq = 1``) or adaptive Gauss-Hermite deviance at the modes ``mode``."""
    if nagq <= 1:
        return mode.laplace()
    fixed = problem.X @ mode.beta + problem.offset
    sd = mode.factor.inverse_diag_block()
    g0 = _group_dev(problem, fixed, theta, mode.u)
    mult = np.zeros_like(g0)
    z, w = ghq_rule(nagq)
    for zk, wk in zip(z, w, strict=True):
        if zk == 0.0:
            mult += wk
            continue
        gk = _group_dev(problem, fixed, theta, mode.u + zk * sd)
        mult += wk * np.exp(-0.5 * (gk - g0) + 0.5 * zk * zk)
    return float(np.sum(g0) - 2.0 * problem.logp_const + mode.factor.logdet
                 - 2.0 * np.sum(np.log(mult)))


def saturated_logp(problem: GlmmProblem) -> float:
    """``sum log p(y | mu = y)``: what glmer's AGQ log-likelihood leaves out."""
    fam = problem.family
    mu = np.clip(problem.y, 1e-300, None) if fam.name != "binomial" else problem.y
    return float(np.sum(fam.logpdf(problem.y, mu, problem.weights)))
