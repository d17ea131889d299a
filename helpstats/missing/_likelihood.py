"""The Gaussian mixed model's log-likelihood at given parameters (for D3 pooling).

Meng & Rubin's (1992) likelihood-ratio pooling evaluates each imputation's
likelihood at the parameters averaged over the imputations. For a linear mixed
model with random-effect covariance matrices ``T_k`` and residual variance
``sigma^2`` the marginal model is ``y ~ N(X beta, sigma^2 W^-1 + Z G Z')``; with
``T_k = sigma^2 L_k L_k'`` and ``A = I + L'Z'ZL`` (rows of ``X``, ``y``, ``Z``
scaled by the square roots of the weights ``W``)::

    -2 log L = n log(2 pi sigma^2) + log|A| + (e'e - e'ZL A^-1 L'Z'e) / sigma^2 - sum log w

with ``e = y - X beta``. The parameters are pooled as mitml does: beta, each
``T_k`` and ``sigma^2`` averaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.sparse import linalg as sparse_linalg

from ..errors import ModelError

if TYPE_CHECKING:
    from ..models.fit import MixedFit

__all__ = ["LmmParameters", "lmm_loglik", "lmm_parameters", "mean_parameters"]

_DENSE_LIMIT = 3000  # random-effect columns up to which A is factorised densely


@dataclass(frozen=True)
class LmmParameters:
    """Fixed effects, one covariance matrix per random term, residual variance."""

    beta: np.ndarray
    covariances: tuple[np.ndarray, ...]
    sigma2: float


def _lower(theta: np.ndarray, q: int) -> np.ndarray:
    """lme4's relative covariance factor of one term from its theta (column-major tril)."""
    out = np.zeros((q, q))
    rows, cols = np.tril_indices(q)
    order = np.lexsort((rows, cols))  # column-major: by column, then row
    out[rows[order], cols[order]] = theta
    return out


def lmm_parameters(fit: MixedFit) -> LmmParameters:
    """The parameters of a fitted Gaussian mixed model (:class:`helpstats.MixedFit`)."""
    problem = fit.problem
    sigma = float(fit.sigma)
    theta = np.asarray(fit.theta, dtype=float)
    covariances, start = [], 0
    for term in problem.terms:
        n_theta = term.q * (term.q + 1) // 2
        factor = _lower(theta[start:start + n_theta], term.q)
        covariances.append(sigma ** 2 * factor @ factor.T)
        start += n_theta
    beta = np.asarray(fit.coef, dtype=float)
    return LmmParameters(beta, tuple(covariances), sigma ** 2)


def mean_parameters(parameters: list[LmmParameters]) -> LmmParameters:
    """Average of beta, each covariance matrix and sigma^2 over the imputations."""
    first = parameters[0]
    for other in parameters[1:]:
        if other.beta.shape != first.beta.shape or len(other.covariances) != len(first.covariances):
            raise ModelError("D3 pooling needs the same model in every imputation: the fits have "
                             "different numbers of coefficients or random-effect terms.")
    return LmmParameters(
        np.mean([p.beta for p in parameters], axis=0),
        tuple(np.mean([p.covariances[k] for p in parameters], axis=0)
              for k in range(len(first.covariances))),
        float(np.mean([p.sigma2 for p in parameters])))


def _factor_root(covariance: np.ndarray, sigma2: float) -> np.ndarray:
    """A square root L of covariance / sigma^2 (L L' = T / sigma^2), singular T allowed."""
    values, vectors = np.linalg.eigh(covariance / sigma2)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


def lmm_loglik(fit: MixedFit, parameters: LmmParameters) -> float:
    """Marginal (ML) log-likelihood of ``fit``'s data at ``parameters``.

    Equals ``fit.loglik`` for a maximum-likelihood fit at its own estimates.
    """
    problem = fit.problem
    X, y = np.asarray(problem.X, dtype=float), np.asarray(problem.y, dtype=float)
    n = len(y)
    if parameters.beta.shape != (X.shape[1],):
        raise ModelError(f"D3 pooling: {len(parameters.beta)} pooled coefficients for a model with "
                         f"{X.shape[1]}; the fits differ.")
    blocks = []
    for term, covariance in zip(problem.terms, parameters.covariances, strict=True):
        root = _factor_root(covariance, parameters.sigma2)
        zl = np.asarray(term.Z, dtype=float) @ root  # (n, q): each row's columns times L
        q = term.q
        cols = (np.asarray(term.codes)[:, None] * q + np.arange(q)).ravel()
        rows = np.repeat(np.arange(n), q)
        blocks.append(sparse.csr_matrix((zl.ravel(), (rows, cols)), shape=(n, term.nl * q)))
    ZL = sparse.hstack(blocks, format="csc") if blocks else sparse.csc_matrix((n, 0))
    e = y - X @ parameters.beta
    A = (ZL.T @ ZL + sparse.identity(ZL.shape[1], format="csc")).tocsc()
    rhs = ZL.T @ e
    if A.shape[0] <= _DENSE_LIMIT:
        chol = np.linalg.cholesky(A.toarray())
        logdet = 2 * float(np.sum(np.log(np.diag(chol))))
        half = np.linalg.solve(chol, rhs)
        quad = float(e @ e - half @ half)
    else:
        lu = sparse_linalg.splu(A)
        logdet = float(np.sum(np.log(np.abs(lu.U.diagonal()))) + np.sum(np.log(np.abs(lu.L.diagonal()))))
        quad = float(e @ e - rhs @ lu.solve(rhs))
    weights = fit.weights
    log_w = float(np.sum(np.log(weights))) if weights is not None else 0.0
    return -0.5 * (n * np.log(2 * np.pi * parameters.sigma2) + logdet + quad / parameters.sigma2
                   - log_w)
