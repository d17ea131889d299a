"""Kenward-Roger adjusted covariance and denominator df, as pbkrtest (Halekoh & Hojsgaard 2014).

pbkrtest writes ``V = sum_i gamma_i G_i`` with one ``G_i = Z D_i Z'`` per
element of each term's covariance matrix (``D_i`` the symmetric unit matrix of
that element, repeated over the term's levels) and ``G_last = I`` for the
residual variance, and uses the *expected* information::

    P_i  = -X'V^-1 G_i V^-1 X,        Q_ij = X'V^-1 G_i V^-1 G_j V^-1 X,
    IE2_ij = tr(P G_i P G_j)  (P the REML projection),   W = 2 IE2^-1,
    Phi_A = Phi + 2 Phi [sum_ij W_ij (Q_ij - P_i Phi P_j)] Phi,

then ``Lb_ddf`` / ``KRmodcomp`` for the df and the scaled F. Every quantity
above is bilinear in the derivative matrices, so the result does not depend on
the basis of their span: here the basis is the standardised model's unit
matrices plus ``V`` itself (``P V P = P``), which needs only ``Z'PZ``,
``Z'V^-1Z`` and ``Z'V^-1X`` from :mod:`._derivatives` and never an ``n x n``
matrix. The results are mapped back to the caller's units of beta.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ._derivatives import ThetaDerivatives
from ._engine import LmmProblem

__all__ = ["KenwardRoger", "kr_ddf_terms"]


class KenwardRoger:
    """pbkrtest's ``vcovAdj`` and its df at one REML fit.

    Attributes
    ----------
    vcov_adj : numpy.ndarray
        Adjusted covariance of beta (caller's units), pbkrtest's ``vcovAdj``.
    vcov : numpy.ndarray
        Unadjusted ``cov(beta)``.
    """

    def __init__(self, problem: LmmProblem, derivs: ThetaDerivatives, sigma_s: float) -> None:
        mats = derivs.mats
        if mats is None:
            raise ModelError(
                "Kenward-Roger df are not available for this model: its later random-effect "
                "terms have too many levels to form Z'PZ (large crossed designs). Use "
                "df='satterthwaite'."
            )
        core = problem.core
        s2 = sigma_s * sigma_s
        H, K = mats.H, mats.K
        p = K.shape[0]
        basis: list[tuple[int, np.ndarray]] = []
        for k, t in enumerate(core.terms):
            for r, c in zip(*core.tril[k], strict=True):
                D = np.zeros((t.q, t.q))
                D[r, c] = D[c, r] = 1.0
                basis.append((k, D))
        m = len(basis)
        phi = s2 * K
        phi_inv = np.linalg.inv(phi)
        # derivative matrices of the basis, in V units (V = sigma^2 W)
        GH = [mats.MW.apply(k, D, H) for k, D in basis]
        P = [-(H.T @ g) / s2**2 for g in GH] + [-phi_inv]
        MWGH = [mats.MW.matmul(g) for g in GH]
        Q: dict[tuple[int, int], np.ndarray] = {}
        for i in range(m):
            for j in range(m):
                Q[i, j] = (GH[i].T @ MWGH[j]) / s2**3
            Q[i, m] = Q[m, i] = -P[i]
        Q[m, m] = phi_inv
        ie2 = np.empty((m + 1, m + 1))
        for i, (ki, Di) in enumerate(basis):
            for j in range(i + 1):
                kj, Dj = basis[j]
                ie2[i, j] = ie2[j, i] = mats.MP.trace2(ki, Di, kj, Dj,
                                                       keys=(10_000 + i, 10_000 + j)) / s2**2
            ie2[i, m] = ie2[m, i] = mats.MP.trace1(ki, Di) / s2
        ie2[m, m] = problem.n - problem.p
        W = 2.0 * np.linalg.pinv(ie2, rcond=1e-13, hermitian=True)
        UU = np.zeros((p, p))
        for i in range(m + 1):
            for j in range(m + 1):
                UU += W[i, j] * (Q[i, j] - P[i] @ phi @ P[j])
        phi_a = phi + 2.0 * phi @ UU @ phi
        T = problem.std.beta_map
        self._T = T
        self._phi = phi
        self._phi_a = phi_a
        self._P = P
        self._W = W
        self.vcov = T @ phi @ T.T
        self.vcov_adj = T @ phi_a @ T.T

    def _a1a2(self, Ls: np.ndarray) -> tuple[float, float]:
        phi = self._phi
        theta = Ls.T @ np.linalg.solve(Ls @ phi @ Ls.T, Ls)
        tp = theta @ phi
        u = [tp @ Pi @ phi for Pi in self._P]
        tr = np.array([np.trace(x) for x in u])
        W = self._W
        a1 = float(tr @ W @ tr)
        a2 = float(sum(W[i, j] * np.sum(u[i] * u[j].T)
                       for i in range(len(u)) for j in range(len(u))))
        return a1, a2

    def ddf(self, L: np.ndarray) -> float:
        """Denominator df of ``L beta`` (pbkrtest's ``Lb_ddf``; q = rows of L)."""
        L = np.atleast_2d(np.asarray(L, dtype=float))
        a1, a2 = self._a1a2(L @ self._T)
        return kr_ddf_terms(a1, a2, L.shape[0])[0]

    def ftest(self, L: np.ndarray, beta: np.ndarray) -> tuple[int, float, float]:
        """pbkrtest's ``KRmodcomp`` for ``L beta = 0``: q, ddf and the scaled F."""
        L = np.atleast_2d(np.asarray(L, dtype=float))
        q = int(np.linalg.matrix_rank(L))
        a1, a2 = self._a1a2(L @ self._T)
        ddf, _ = kr_ddf_terms(a1, a2, q)
        scaling = 1.0 if abs(ddf - 2.0) < 0.01 else ddf * (1.0 - a2 / q) / (ddf - 2.0)
        Lb = L @ beta
        wald = float(Lb @ np.linalg.lstsq(L @ self.vcov_adj @ L.T, Lb, rcond=None)[0])
        return q, ddf, scaling * wald / q


def kr_ddf_terms(a1: float, a2: float, q: int) -> tuple[float, float]:
    """Kenward-Roger df and ``rho`` from ``A1, A2`` for a q-row hypothesis (pbkrtest).

    Examples
    --------
    >>> round(kr_ddf_terms(0.0, 0.1, 1)[0], 6)
    29.035151
    """
    B = (a1 + 6.0 * a2) / (2.0 * q)
    g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2)
    den = 3.0 * q + 2.0 * (1.0 - g)
    c1, c2, c3 = g / den, (q - g) / den, (q + 2 - g) / den
    v0 = 1.0 + c1 * B
    v1 = 1.0 - c2 * B
    v2 = 1.0 - c3 * B
    if abs(v0) < 1e-10:
        v0 = 0.0
    x = 1.0 - a2 / q
    ratio = 1.0 if abs(x) < 1e-14 and abs(v1) < 1e-14 else x / v1
    rho = ratio**2 * v0 / v2 / q
    return 4.0 + (q + 2.0) / (q * rho - 1.0), rho
