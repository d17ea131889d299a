"""Kenward–Roger (1997) small-sample inference in SAS PROC MIXED's parameterisation.

``W`` is the inverse *observed* information of the SAS covariance parameters (as
SAS and R mmrm use; pbkrtest uses the expected one, which gives other df).

* adjusted covariance ``Phi_A = Phi + 2 Phi {sum_ij W_ij (Q_ij - P_i Phi P_j - R_ij/4)} Phi``;
  ``linear=True`` drops the second-derivative term ``R`` (SAS ``ddfm=kr(linear)``),
  which is already zero for ``us``, ``toep`` and ``cs`` in SAS's parameters;
* for a hypothesis ``L beta = 0`` with ``q`` rows, the scale ``lambda`` and the
  denominator df ``m`` of ``F* = lambda F``, ``F = (L beta)'(L Phi_A L')^{-1}(L beta)/q``,
  from ``A1``, ``A2`` computed with the unadjusted ``Phi`` (Kenward & Roger 1997, eq. 3.3-3.6).

Examples
--------
>>> import numpy as np
>>> Phi = np.eye(1)
>>> m, lam = kr_df(Phi, np.eye(1), 0.02 * np.eye(1), np.eye(1)[None])
>>> round(m, 6), round(lam, 6)
(100.0, 1.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["kr_adjusted_vcov", "kr_df"]


def kr_adjusted_vcov(Phi: np.ndarray, W: np.ndarray, P: np.ndarray, Q: np.ndarray,
                     R: np.ndarray, *, linear: bool = False) -> np.ndarray:
    """The Kenward–Roger adjusted covariance of the fixed effects."""
    q, p = P.shape[0], P.shape[1]
    PPhi = P @ Phi
    # sum_ij W_ij P_i Phi P_j = sum_i P_i Phi (sum_j W_ij P_j)
    WP = (W @ P.reshape(q, p * p)).reshape(q, p, p)
    middle = np.tensordot(W, Q, axes=([0, 1], [0, 1])) - np.einsum("iab,ibc->ac", PPhi, WP)
    if not linear:
        middle = middle - np.tensordot(W, R, axes=([0, 1], [0, 1])) / 4
    A = Phi + 2 * Phi @ middle @ Phi
    return (A + A.T) / 2


def kr_df(Phi: np.ndarray, L: np.ndarray, W: np.ndarray, P: np.ndarray) -> tuple[float, float]:
    """Denominator df ``m`` and scale ``lambda`` for testing ``L beta = 0``."""
    L = np.atleast_2d(L)
    q = L.shape[0]
    Theta = L.T @ np.linalg.solve(L @ Phi @ L.T, L)
    M = (Theta @ Phi) @ P @ Phi                                 # Theta Phi P_i Phi
    tr = np.einsum("iaa->i", M)
    a1 = float(tr @ W @ tr)
    q_par, p = M.shape[0], M.shape[1]
    trMM = M.reshape(q_par, p * p) @ M.transpose(0, 2, 1).reshape(q_par, p * p).T
    a2 = float(np.sum(W * trMM))                                # sum W_ij tr(M_i M_j)
    b = (a1 + 6 * a2) / (2 * q)
    e_star = 1 / (1 - a2 / q)
    g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2)
    denom = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / denom, (q - g) / denom, (q + 2 - g) / denom
    v_star = 2 / q * (1 + c1 * b) / ((1 - c2 * b) ** 2 * (1 - c3 * b))
    rho = v_star / (2 * e_star ** 2)
    m = 4 + (q + 2) / (q * rho - 1)
    lam = m / (e_star * (m - 2))
    return float(m), float(lam)
