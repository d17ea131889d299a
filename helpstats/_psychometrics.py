"""Numerical core of reliability and item analysis, on covariance matrices.

Private: :mod:`helpstats.reliability` turns questionnaire data into item
scores and calls these functions. Every function takes a ``k × k`` covariance
matrix of item scores (``k >= 2``) and returns plain floats or arrays.

Formulas
--------
* Cronbach's alpha: ``k / (k - 1) * (1 - trace(C) / sum(C))``.
* Feldt (1965) interval: ``(1 - alpha_pop) / (1 - alpha)`` follows
  ``F(n - 1, (n - 1)(k - 1))``, so the ``level`` interval is
  ``1 - (1 - alpha) * F_upper`` to ``1 - (1 - alpha) * F_lower``.
* Item-rest correlation of item ``i``: ``cov(i, rest) / sqrt(var(i) var(rest))``
  with ``cov(i, rest) = sum_j!=i C[i, j]`` and ``var(rest)`` the sum of the
  covariance matrix without row and column ``i``.
* Omega total from a one-factor model fitted by maximum likelihood (McDonald's
  omega with the model-implied denominator):
  ``(sum lambda)^2 / ((sum lambda)^2 + sum psi)`` with unstandardised loadings
  ``lambda`` and unique variances ``psi`` (the reliability of the raw sum). This
  is what lavaan/semTools ``compRelSEM`` reports for a one-factor CFA (ML, no
  correlated residuals); it is not psych's ``omega.tot``, which comes from a
  Schmid-Leiman bifactor solution (minres, oblimin, three group factors) and
  divides by the observed variance of the sum (the two differ by up to 0.04 on
  real scales).
* ``omega_hierarchical`` is not computed: it needs a bifactor (or higher-order)
  model whose number of group factors and rotation the analyst must choose, and
  its value depends on both; for the one-factor model fitted here it would equal
  omega total. Use psych::omega or a bifactor CFA (lavaan) when it is wanted.
* Heywood cases: a residual variance that would be estimated negative is held at
  ``0.005`` of the item variance; :func:`omega_fit` reports it so callers warn.

Examples
--------
>>> import numpy as np
>>> cov = np.array([[1.0, 0.5], [0.5, 1.0]])
>>> round(cronbach_alpha(cov), 6)
0.666667
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

__all__ = [
    "cronbach_alpha",
    "feldt_interval",
    "item_rest",
    "omega_fit",
    "omega_total",
    "one_factor_ml",
]

_PSI_FLOOR = 0.005


@functools.cache
def _blas() -> Any:
    """Controller of the BLAS thread pools (created once, on first use)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def cronbach_alpha(cov: np.ndarray) -> float:
    """Cronbach's alpha of the sum of items with covariance matrix ``cov``.

    Examples
    --------
    >>> import numpy as np
    >>> round(cronbach_alpha(np.array([[2.0, 1.0], [1.0, 2.0]])), 6)
    0.666667
    """
    cov = np.asarray(cov, dtype=float)
    k = cov.shape[0]
    total = cov.sum()
    # A sum score with no variance (up to rounding) has no reliability to estimate.
    if k < 2 or not total > 1e-10 * max(float(np.trace(cov)), 1.0):
        return math.nan
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def feldt_interval(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's (1965) confidence interval for alpha from ``n`` people and ``k`` items.

    Examples
    --------
    >>> low, high = feldt_interval(0.8, 101, 5)
    >>> round(low, 4), round(high, 4)
    (0.7309, 0.8556)
    """
    from scipy import stats  # imported on use: `import helpstats` stays fast

    if not math.isfinite(alpha) or n < 2 or k < 2:
        return (math.nan, math.nan)
    df1 = n - 1
    df2 = (n - 1) * (k - 1)
    tail = (1.0 - level) / 2.0
    f_upper = float(stats.f.ppf(1.0 - tail, df1, df2))
    f_lower = float(stats.f.ppf(tail, df1, df2))
    return (1.0 - (1.0 - alpha) * f_upper, 1.0 - (1.0 - alpha) * f_lower)


def item_rest(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Item-rest correlations and alpha with each item dropped.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``item_rest_r`` and ``alpha_if_dropped``, one value per item. With
        two items, alpha without an item is undefined (NaN).

    Examples
    --------
    >>> import numpy as np
    >>> r, a = item_rest(np.array([[1.0, 0.5], [0.5, 1.0]]))
    >>> r.tolist()
    [0.5, 0.5]
    """
    cov = np.asarray(cov, dtype=float)
    k = cov.shape[0]
    r = np.full(k, math.nan)
    dropped = np.full(k, math.nan)
    for i in range(k):
        rest = [j for j in range(k) if j != i]
        var_rest = cov[np.ix_(rest, rest)].sum()
        denominator = math.sqrt(cov[i, i] * var_rest) if cov[i, i] > 0 and var_rest > 0 else 0.0
        if denominator > 0:
            r[i] = cov[i, rest].sum() / denominator
        if k > 2:
            dropped[i] = cronbach_alpha(cov[np.ix_(rest, rest)])
    return r, dropped


def one_factor_ml(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fit a one-factor model to a correlation matrix by maximum likelihood.

    Minimises the ML discrepancy ``log|Sigma| + tr(Sigma^-1 R) - log|R| - k``
    with ``Sigma = lambda lambda' + diag(psi)``. For given uniquenesses
    ``psi`` the best loadings come from the largest eigenvalue ``theta`` and
    its eigenvector ``u`` of ``psi^-1/2 R psi^-1/2``:
    ``lambda = psi^1/2 u sqrt(max(theta - 1, 0))``; the uniquenesses are
    found with L-BFGS-B on ``[0.005, 1]`` (the usual bound against Heywood
    cases).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Standardised loadings (sign chosen so that their sum is positive) and
        uniquenesses.

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([0.8, 0.7, 0.6])
    >>> corr = np.outer(lam, lam) + np.diag(1 - lam**2)
    >>> loadings, psi = one_factor_ml(corr)
    >>> np.round(loadings, 6).tolist()
    [0.8, 0.7, 0.6]
    """
    from scipy import optimize  # imported on use: `import helpstats` stays fast

    corr = np.asarray(corr, dtype=float)
    k = corr.shape[0]

    def loadings_for(psi: np.ndarray) -> np.ndarray:
        root = np.sqrt(psi)
        scaled = corr / np.outer(root, root)
        values, vectors = np.linalg.eigh(scaled)
        theta, u = values[-1], vectors[:, -1]
        return root * u * math.sqrt(max(theta - 1.0, 0.0))

    def discrepancy(psi: np.ndarray) -> tuple[float, np.ndarray]:
        root = np.sqrt(psi)
        values = np.linalg.eigvalsh(corr / np.outer(root, root))[:-1]
        value = float(np.sum(values - np.log(values)) - (k - 1))
        lam = loadings_for(psi)
        residual_diag = lam**2 + psi - np.diag(corr)
        return value, residual_diag / psi**2

    try:
        start = (1.0 - 0.5 / k) / np.diag(np.linalg.inv(corr))
    except np.linalg.LinAlgError:
        start = np.full(k, 0.5)
    start = np.clip(start, _PSI_FLOOR, 1.0)
    fit = optimize.minimize(
        discrepancy, start, jac=True, method="L-BFGS-B",
        bounds=[(_PSI_FLOOR, 1.0)] * k,
        options={"ftol": 1e-13, "gtol": 1e-10, "maxiter": 2000},
    )
    psi = np.asarray(fit.x, dtype=float)
    lam = loadings_for(psi)
    if lam.sum() < 0:
        lam = -lam
    return lam, psi


def omega_total(cov: np.ndarray) -> float:
    """Omega total of the raw sum from a one-factor ML model (see :func:`omega_fit`).

    Examples
    --------
    >>> import numpy as np
    >>> lam, psi = np.array([2.0, 1.0, 1.0]), np.array([1.0, 2.0, 1.0])
    >>> round(omega_total(np.outer(lam, lam) + np.diag(psi)), 6)
    0.8
    """
    return omega_fit(cov)[0]


def omega_fit(cov: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """Omega total of the raw sum, from a one-factor ML model, and its Heywood items.

    The model is fitted to the correlation matrix (ML is scale-invariant);
    loadings and unique variances are then rescaled to the items' variances,
    so omega is the reliability of the unweighted sum of the raw item scores:
    ``(sum lambda)^2 / ((sum lambda)^2 + sum psi)``, the denominator being the
    model-implied variance of the sum.

    Returns
    -------
    (float, tuple of int)
        Omega (NaN when undefined) and the 0-based positions of items whose
        uniqueness sits at the lower bound (a Heywood case: the unbounded ML
        estimate would be a negative residual variance).

    Examples
    --------
    >>> import numpy as np
    >>> lam, psi = np.array([2.0, 1.0, 1.0]), np.array([1.0, 2.0, 1.0])
    >>> cov = np.outer(lam, lam) + np.diag(psi)
    >>> omega, heywood = omega_fit(cov)
    >>> round(omega, 6), heywood   # 16 / (16 + 4)
    (0.8, ())
    """
    cov = np.asarray(cov, dtype=float)
    k = cov.shape[0]
    sd = np.sqrt(np.diag(cov))
    if k < 3 or not np.all(sd > 0):
        # Two items do not identify a one-factor model; omega is undefined.
        return math.nan, ()
    corr = cov / np.outer(sd, sd)
    if not np.all(np.linalg.eigvalsh(corr) > 1e-10):
        return math.nan, ()
    # Hundreds of tiny eigen-decompositions: BLAS threads only contend here (40x slower on
    # a busy 2-core machine), so the fit runs single-threaded.
    with _blas().limit(limits=1, user_api="blas"):
        loadings, uniquenesses = one_factor_ml(corr)
    lam = loadings * sd
    psi = uniquenesses * sd**2
    common = lam.sum() ** 2
    heywood = tuple(int(i) for i in np.flatnonzero(uniquenesses <= _PSI_FLOOR * (1 + 1e-6)))
    return float(common / (common + psi.sum())), heywood
