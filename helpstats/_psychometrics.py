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
* Omega hierarchical (:func:`schmid_leiman`), as ``psych::omega`` computes it:
  ``nfactors`` group factors by minres on the correlation matrix, rotated
  obliquely by oblimin (quartimin, GPArotation's gradient projection started from
  the varimax solution), a one-factor minres fit of the factor correlations gives
  the general factor's loadings on the group factors, and the Schmid-Leiman
  transformation gives each item's general loading ``g = F gamma``. Items whose
  ``g`` is negative are flipped (psych's ``flip = TRUE``); with ``V`` the sum of
  the (flipped) correlation matrix, ``omega_h = (sum g)^2 / V`` and psych's
  ``omega.tot = (V - sum(1 - h2)) / V`` (``h2`` the communalities of the minres
  fit). Its value depends on the number of group factors chosen: report it.
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

import math
from dataclasses import dataclass

import numpy as np

from ._blas import limit_blas

__all__ = [
    "cronbach_alpha",
    "feldt_interval",
    "item_rest",
    "omega_fit",
    "omega_total",
    "one_factor_ml",
    "SchmidLeiman",
    "min_items",
    "minres",
    "oblimin",
    "schmid_leiman",
    "varimax",
]

_PSI_FLOOR = 0.005


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
    with limit_blas():
        loadings, uniquenesses = one_factor_ml(corr)
    lam = loadings * sd
    psi = uniquenesses * sd**2
    common = lam.sum() ** 2
    heywood = tuple(int(i) for i in np.flatnonzero(uniquenesses <= _PSI_FLOOR * (1 + 1e-6)))
    return float(common / (common + psi.sum())), heywood


def minres(corr: np.ndarray, nfactors: int) -> np.ndarray:
    """Unrotated minimum-residual (ULS) factor loadings of a correlation matrix.

    As ``psych::fa(fm = "minres")``: the uniquenesses ``psi`` minimise the
    squared off-diagonal residuals, the loadings being the ``nfactors`` leading
    eigenvectors of ``R - diag(psi)`` scaled by the square roots of their
    (non-negative) eigenvalues; ``psi`` is bounded to ``[0.005, 1]`` and starts
    at ``1 - SMC``. The minimum is found on the profile of the full ULS
    discrepancy, whose stationary points are those of minres (the diagonal then
    fits exactly), with an analytic gradient.

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> corr = np.outer(lam, lam) + np.diag(1 - lam**2)
    >>> loadings = minres(corr, 1)
    >>> np.round(np.abs(loadings[:, 0]), 6).tolist()
    [0.8, 0.7, 0.6, 0.5]
    """
    from scipy import optimize  # imported on use: `import helpstats` stays fast

    corr = np.asarray(corr, dtype=float)
    k = corr.shape[0]

    def loadings_for(psi: np.ndarray) -> np.ndarray:
        values, vectors = np.linalg.eigh(corr - np.diag(psi))
        order = np.argsort(values)[::-1][:nfactors]
        return vectors[:, order] * np.sqrt(np.maximum(values[order], 0.0))

    def discrepancy(psi: np.ndarray) -> tuple[float, np.ndarray]:
        lam = loadings_for(psi)
        residual = corr - lam @ lam.T - np.diag(psi)
        return 0.5 * float(np.sum(residual**2)), -np.diag(residual).copy()

    try:
        smc = 1.0 - 1.0 / np.diag(np.linalg.inv(corr))
    except np.linalg.LinAlgError:
        smc = np.full(k, 0.5)
    start = np.clip(1.0 - smc, _PSI_FLOOR, 1.0)
    fit = optimize.minimize(
        discrepancy, start, jac=True, method="L-BFGS-B", bounds=[(_PSI_FLOOR, 1.0)] * k,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000},
    )
    return loadings_for(np.asarray(fit.x, dtype=float))


def varimax(loadings: np.ndarray, *, eps: float = 1e-10, maxit: int = 1000) -> np.ndarray:
    """Kaiser-normalised varimax rotation (the algorithm of R's ``stats::varimax``).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[0.8, 0.3], [0.7, 0.4], [0.3, 0.8], [0.2, 0.7]])
    >>> rotated = varimax(a)
    >>> bool(np.allclose((rotated**2).sum(axis=1), (a**2).sum(axis=1)))
    True
    """
    x = np.asarray(loadings, dtype=float)
    p, nf = x.shape
    if nf < 2:
        return x.copy()
    norms = np.sqrt((x**2).sum(axis=1))
    norms[norms == 0] = 1.0
    z = x / norms[:, None]
    rotation = np.eye(nf)
    criterion = 0.0
    for _ in range(maxit):
        y = z @ rotation
        b = z.T @ (y**3 - y @ np.diag((y**2).sum(axis=0)) / p)
        u, singular, vt = np.linalg.svd(b)
        rotation = u @ vt
        previous, criterion = criterion, float(singular.sum())
        if criterion < previous * (1 + eps):
            break
    return (z @ rotation) * norms[:, None]


def oblimin(loadings: np.ndarray, *, gamma: float = 0.0, eps: float = 1e-7,
            maxit: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Direct oblimin rotation by gradient projection (Jennrich 2002; GPArotation's GPFoblq).

    Starts from the loadings given (``T = I``), as ``GPArotation::oblimin``;
    ``gamma = 0`` is quartimin, GPArotation's default. Stops when the projected
    gradient's norm is below ``eps`` (GPArotation: 1e-5) or when no step
    improves the criterion any more (its floating-point floor, about 1e-8).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The pattern loadings ``A (T')^-1`` and the factor correlations ``T'T``.

    Examples
    --------
    >>> import numpy as np
    >>> pattern = np.array([[0.8, 0.0], [0.7, 0.0], [0.0, 0.8], [0.0, 0.7]])
    >>> phi = np.array([[1.0, 0.4], [0.4, 1.0]])
    >>> root = np.linalg.cholesky(phi)            # any A with A A' = P Phi P'
    >>> rotated, corr = oblimin(pattern @ root)
    >>> round(abs(float(corr[0, 1])), 6)
    0.4
    """
    a = np.asarray(loadings, dtype=float)
    nf = a.shape[1]
    off = 1.0 - np.eye(nf)

    def criterion(lam: np.ndarray) -> tuple[float, np.ndarray]:
        x = (lam**2) @ off
        if gamma != 0:
            p = lam.shape[0]
            x = (np.eye(p) - gamma / p) @ x
        return float(np.sum(lam**2 * x) / 4.0), lam * x

    t = np.eye(nf)
    lam = a @ np.linalg.inv(t).T
    f, gq = criterion(lam)
    g = -(lam.T @ gq @ np.linalg.inv(t)).T
    step = 1.0
    for _ in range(maxit):
        gp = g - t @ np.diag(np.sum(t * g, axis=0))
        size = math.sqrt(float(np.sum(gp**2)))
        if size < eps:
            break
        step *= 2.0
        for _ in range(20):
            x = t - step * gp
            t_new = x / np.sqrt(np.sum(x**2, axis=0))
            lam_new = a @ np.linalg.inv(t_new).T
            f_new, gq_new = criterion(lam_new)
            if f - f_new > 0.5 * size**2 * step:
                break
            step /= 2.0
        else:
            if not f_new < f:  # no step improves the criterion: converged to rounding
                break
        t, lam, f, gq = t_new, lam_new, f_new, gq_new
        g = -(lam.T @ gq @ np.linalg.inv(t)).T
    return lam, t.T @ t


@dataclass(frozen=True)
class SchmidLeiman:
    """A Schmid-Leiman solution and psych::omega's coefficients (see :func:`schmid_leiman`).

    Attributes
    ----------
    nfactors : int
        Number of group factors.
    omega_h : float
        Omega hierarchical, ``(sum g)^2 / V``.
    omega_total : float
        psych's ``omega.tot``, ``(V - sum(1 - h2)) / V``.
    omega_limit : float
        psych's ``omega.lim``, ``(sum g)^2 / (V - sum(1 - h2))``.
    ecv : float
        Explained common variance of the general factor.
    g_loadings : numpy.ndarray
        General-factor loading of each item (after flipping).
    group_loadings : numpy.ndarray
        Items x group factors, residualised (after flipping).
    h2 : numpy.ndarray
        Communalities.
    phi : numpy.ndarray
        Correlations of the oblique group factors.
    key : numpy.ndarray
        ``1``, or ``-1`` for an item flipped because its general loading was negative.
    heywood : tuple of int
        0-based positions of items whose uniqueness sits at the 0.005 bound.
    """

    nfactors: int
    omega_h: float
    omega_total: float
    omega_limit: float
    ecv: float
    g_loadings: np.ndarray
    group_loadings: np.ndarray
    h2: np.ndarray
    phi: np.ndarray
    key: np.ndarray
    heywood: tuple[int, ...] = ()


def min_items(nfactors: int) -> int:
    """Fewest items whose correlations identify ``nfactors`` common factors (df >= 0).

    Examples
    --------
    >>> min_items(3), min_items(4), min_items(5)
    (6, 8, 9)
    """
    k = nfactors + 1
    while (k - nfactors) ** 2 < k + nfactors:
        k += 1
    return k


def schmid_leiman(corr: np.ndarray, nfactors: int = 3) -> SchmidLeiman:
    """Omega hierarchical from a Schmid-Leiman transformation, as ``psych::omega``.

    Parameters
    ----------
    corr : numpy.ndarray
        Item correlation matrix (``k x k``, positive definite), with at least
        :func:`min_items` items: fewer leave the factor model unidentified
        (negative degrees of freedom, many exact-fit solutions), and psych's
        value is then one arbitrary solution.
    nfactors : int
        Number of group factors, at least 3 (with 2 the general factor is not
        identified; psych then sets both loadings equal, which helpstats does
        not do).

    Returns
    -------
    SchmidLeiman

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([0.6] * 9)
    >>> s = np.kron(np.eye(3), np.ones((3, 1))) * 0.5     # three group factors
    >>> corr = np.outer(g, g) + s @ s.T
    >>> np.fill_diagonal(corr, 1.0)
    >>> fit = schmid_leiman(corr, 3)
    >>> # (9 x 0.6)^2 / (9 + 72 x 0.36 + 18 x 0.25) = 29.16 / 39.42
    >>> round(fit.omega_h, 4), round(float(fit.g_loadings[0]), 4)
    (0.7397, 0.6)
    """
    corr = np.asarray(corr, dtype=float)
    k = corr.shape[0]
    if nfactors < 3 or k < min_items(nfactors):
        raise ValueError(f"nfactors = {nfactors} with {k} items: need nfactors >= 3 and at "
                         f"least {min_items(max(nfactors, 3))} items")
    with limit_blas():
        orth = varimax(minres(corr, nfactors))
        pattern, phi = oblimin(orth)
        gamma = minres(phi, 1)[:, 0]
    if gamma.sum() < 0:
        gamma = -gamma
    g = pattern @ gamma
    h2 = np.sum(orth**2, axis=1)
    u2 = np.diag(corr) - h2
    # group loadings: each pattern loading without the general factor's share, F_ij^2 (1 - gamma_j^2)
    uniq2 = np.clip(pattern**2 * (1.0 - gamma**2), 0.0, None)
    group = np.sign(pattern) * np.sqrt(uniq2)
    key = np.where(g < 0, -1.0, 1.0)
    g = g * key
    group = group * key[:, None]
    total = float(np.sum(np.outer(key, key) * corr))
    common = float(g.sum() ** 2)
    explained = np.sum(g**2) + np.sum(group**2)
    return SchmidLeiman(
        nfactors=nfactors,
        omega_h=common / total,
        omega_total=(total - float(u2.sum())) / total,
        omega_limit=common / (total - float(u2.sum())),
        ecv=float(np.sum(g**2) / explained),
        g_loadings=g, group_loadings=group, h2=h2, phi=phi, key=key,
        heywood=tuple(int(i) for i in np.flatnonzero(u2 <= _PSI_FLOOR * (1 + 1e-6))),
    )
