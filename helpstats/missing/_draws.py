"""One imputation step per method: draw values for the missing entries of one column.

Each function takes the predictor matrix of the rows with the target observed
(``x_obs``) and missing (``x_mis``), the observed target values and a NumPy
generator, and returns draws for the missing rows. The algorithms are those of
van Buuren's *Flexible Imputation of Missing Data* (2nd ed., 2018), as ``mice``
implements them:

- ``norm``: Bayesian linear regression (Rubin 1987, p. 167): sigma* from a
  scaled inverse chi-square, beta* from its normal posterior, y* = x beta* + e.
- ``pmm``: predictive mean matching, type-1 matching: observed rows predicted
  with beta-hat, missing rows with a posterior draw beta*, and each missing row
  takes the observed value of one of its ``donors`` nearest neighbours at random.
- ``2l.pan``: a two-level normal model of the column, participants within
  clusters (support groups): y = x beta + u[cluster] + e with a random cluster
  intercept u ~ N(0, tau^2) and e ~ N(0, sigma^2), drawn by a Gibbs sampler
  (Schafer & Yucel 2002, the model of mice's ``2l.pan`` with a random
  intercept only); the sampler's state carries over between iterations.
- ``logreg`` and ``polyreg``: (multinomial) logistic regression fitted to a
  bootstrap sample of the observed rows, then a category drawn from the
  predicted probabilities (the bootstrap gives the parameter uncertainty).

A small ridge penalty (1e-5 times the diagonal of ``X'X``, as mice's default)
keeps nearly collinear predictors -- usual with item-level imputation -- stable;
the logistic fits use a weak ridge (0.1 on standardised coefficients) in place
of mice's data augmentation against separation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

__all__ = ["TwoLevelState", "draw_logreg", "draw_norm", "draw_pmm", "draw_polyreg", "draw_two_level"]

_RIDGE = 1e-5
# Ridge on the (standardised) logit coefficients: weak, but it keeps (quasi-)separated
# categories -- common with few participants per level -- finite and fast to fit.
_CATEGORY_RIDGE = 0.1


def _with_intercept(x: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(x)), x])


def _posterior(x_obs: np.ndarray, y_obs: np.ndarray, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray, float]:
    """beta-hat, one posterior draw beta* and sigma* of the linear regression of y on x."""
    X = _with_intercept(x_obs)
    xtx = X.T @ X
    penalty = _RIDGE * np.diag(np.diag(xtx))
    v = np.linalg.inv(xtx + penalty)
    v = (v + v.T) / 2
    beta = v @ X.T @ y_obs
    resid = y_obs - X @ beta
    df = max(len(y_obs) - X.shape[1], 1)
    sigma = np.sqrt(float(resid @ resid) / rng.chisquare(df))
    chol = np.linalg.cholesky(v + 1e-12 * np.eye(len(v)))
    beta_star = beta + sigma * (chol @ rng.standard_normal(X.shape[1]))
    return beta, beta_star, sigma


def draw_norm(x_obs: np.ndarray, y_obs: np.ndarray, x_mis: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
    """Bayesian linear regression draws (mice's ``norm``)."""
    _, beta_star, sigma = _posterior(x_obs, y_obs, rng)
    return _with_intercept(x_mis) @ beta_star + sigma * rng.standard_normal(len(x_mis))


def draw_pmm(x_obs: np.ndarray, y_obs: np.ndarray, x_mis: np.ndarray,
             rng: np.random.Generator, donors: int = 5) -> np.ndarray:
    """Predictive mean matching with ``donors`` candidates (mice's ``pmm``, type 1)."""
    beta, beta_star, _ = _posterior(x_obs, y_obs, rng)
    yhat_obs = _with_intercept(x_obs) @ beta
    yhat_mis = _with_intercept(x_mis) @ beta_star
    k = min(donors, len(y_obs))
    order = np.argsort(yhat_obs, kind="stable")
    sorted_hat = yhat_obs[order]
    n_obs = len(sorted_hat)
    # the k nearest observed predictions lie within k places of the insertion point: a
    # window of 2k sorted candidates per missing row (shifted inward at either end)
    width = min(2 * k, n_obs)
    pos = np.searchsorted(sorted_hat, yhat_mis)
    start = np.clip(pos - k, 0, n_obs - width)
    window = start[:, None] + np.arange(width)
    distance = np.abs(sorted_hat[window] - yhat_mis[:, None])
    nearest = np.take_along_axis(window, np.argsort(distance, axis=1, kind="stable")[:, :k], axis=1)
    pick = nearest[np.arange(len(yhat_mis)), rng.integers(0, k, len(yhat_mis))]
    return y_obs[order[pick]]


@dataclass
class TwoLevelState:
    """The Gibbs sampler's current cluster effects and variances for one column."""

    u: np.ndarray
    sigma2: float
    tau2: float

    @classmethod
    def start(cls, y_obs: np.ndarray, n_clusters: int) -> TwoLevelState:
        """Cluster effects at zero; both variances at half the observed variance."""
        half = float(np.var(y_obs)) / 2 or 1.0
        return cls(np.zeros(n_clusters), half, half)


# Gibbs sweeps per imputation step: the sampler's state persists over the chained
# iterations, so a few sweeps per step suffice to follow the other columns' changes.
_SWEEPS = 5


def draw_two_level(x_obs: np.ndarray, y_obs: np.ndarray, x_mis: np.ndarray,
                   cluster_obs: np.ndarray, cluster_mis: np.ndarray, state: TwoLevelState,
                   rng: np.random.Generator) -> np.ndarray:
    """Draws from a random-intercept normal model (``2l.pan``); updates ``state`` in place.

    ``cluster_obs`` and ``cluster_mis`` are cluster codes 0..C-1 (C = ``len(state.u)``).
    Priors: flat on beta, 1/sigma^2 on sigma^2, and a scaled inverse chi-square with one
    degree of freedom and scale 1e-4 var(y) on tau^2, so a cluster variance near zero
    stays proper.
    """
    X = _with_intercept(x_obs)
    xtx = X.T @ X
    v = np.linalg.inv(xtx + _RIDGE * np.diag(np.diag(xtx)))
    v = (v + v.T) / 2
    chol = np.linalg.cholesky(v + 1e-12 * np.eye(len(v)))
    n_clusters = len(state.u)
    counts = np.bincount(cluster_obs, minlength=n_clusters)
    beta = np.zeros(X.shape[1])
    for _ in range(_SWEEPS):
        r = y_obs - state.u[cluster_obs]
        beta = v @ (X.T @ r) + np.sqrt(state.sigma2) * (chol @ rng.standard_normal(X.shape[1]))
        e = y_obs - X @ beta
        precision = counts / state.sigma2 + 1 / state.tau2
        mean = np.bincount(cluster_obs, e, minlength=n_clusters) / state.sigma2 / precision
        state.u = mean + rng.standard_normal(n_clusters) / np.sqrt(precision)
        resid = e - state.u[cluster_obs]
        state.sigma2 = float(resid @ resid) / rng.chisquare(len(y_obs))
        state.tau2 = float(state.u @ state.u) / rng.chisquare(n_clusters - 1)
    return (_with_intercept(x_mis) @ beta + state.u[cluster_mis]
            + np.sqrt(state.sigma2) * rng.standard_normal(len(x_mis)))


def _softmax_fit(X: np.ndarray, codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Ridge-penalised multinomial logit coefficients (first class as reference)."""
    p = X.shape[1]
    penalty = _CATEGORY_RIDGE
    onehot = np.eye(n_classes)[codes]

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        coef = np.column_stack([np.zeros(p), flat.reshape(p, n_classes - 1)])
        eta = X @ coef
        logp = eta - special.logsumexp(eta, axis=1, keepdims=True)
        value = -float(np.sum(onehot * logp)) + penalty * float(flat @ flat)
        grad = -(X.T @ (onehot - np.exp(logp)))[:, 1:].ravel() + 2 * penalty * flat
        return value, grad

    res = optimize.minimize(objective, np.zeros(p * (n_classes - 1)), jac=True, method="L-BFGS-B",
                            options={"maxiter": 200})
    return np.column_stack([np.zeros(p), res.x.reshape(p, n_classes - 1)])


def _draw_categories(x_obs: np.ndarray, codes: np.ndarray, x_mis: np.ndarray, n_classes: int,
                     rng: np.random.Generator) -> np.ndarray:
    boot = rng.integers(0, len(codes), len(codes))
    present = np.unique(codes[boot])
    if len(present) == 1:  # a bootstrap sample with one category: it is the only draw
        return np.full(len(x_mis), present[0])
    scale = x_obs.std(axis=0)
    scale[scale == 0] = 1.0
    centre = x_obs.mean(axis=0)
    X = _with_intercept((x_obs[boot] - centre) / scale)
    coef = _softmax_fit(X, codes[boot], n_classes)
    eta = _with_intercept((x_mis - centre) / scale) @ coef
    prob = special.softmax(eta, axis=1)
    u = rng.random(len(x_mis))[:, None]
    return np.minimum((np.cumsum(prob, axis=1) < u).sum(axis=1), n_classes - 1)


def draw_logreg(x_obs: np.ndarray, codes: np.ndarray, x_mis: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Logistic regression draws of a two-category column (codes 0/1)."""
    return _draw_categories(x_obs, codes, x_mis, 2, rng)


def draw_polyreg(x_obs: np.ndarray, codes: np.ndarray, x_mis: np.ndarray, n_classes: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Multinomial logistic regression draws of a categorical column (codes 0..K-1)."""
    return _draw_categories(x_obs, codes, x_mis, n_classes, rng)
