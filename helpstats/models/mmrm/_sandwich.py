"""Sandwich (empirical) covariances of the fixed effects, as R mmrm and SAS offer.

``Phi (sum_s X_s' L_s^{-T} A_s L_s^{-1} e_s e_s' L_s^{-T} A_s' L_s^{-1} X_s) Phi`` with
``L_s`` the Cholesky factor of ``V_s`` and, in whitened coordinates,
``H_s = L_s^{-1} X_s Phi X_s' L_s^{-T}``:

* ``"empirical"``: ``A_s = I`` (Liang & Zeger; SAS ``EMPIRICAL``);
* ``"empirical-jackknife"``: ``A_s = (I - H_s)^{-1}`` (R mmrm's "Empirical-Jackknife",
  without a (n-1)/n factor);
* ``"empirical-bias-reduced"``: ``A_s = (I - H_s)^{-1/2}``, the symmetric inverse
  square root (Bell & McCaffrey's CR2 as R mmrm's "Empirical-Bias-Reduced").

Examples
--------
>>> import numpy as np
>>> X = [np.ones((2, 1)), np.ones((2, 1))]
>>> e = [np.array([1.0, 1.0]), np.array([-1.0, -1.0])]
>>> L = [np.eye(2), np.eye(2)]
>>> sandwich(np.array([[0.25]]), X, e, L, "empirical").round(6).tolist()
[[0.5]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import linalg

__all__ = ["VCOV_TYPES", "sandwich"]

VCOV_TYPES = ("model", "empirical", "empirical-jackknife", "empirical-bias-reduced")


def _inv_sqrt(M: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((M + M.T) / 2)
    inv = np.where(w > 1e-10, 1 / np.sqrt(np.maximum(w, 1e-300)), 0.0)
    return (v * inv) @ v.T


def sandwich(Phi: np.ndarray, X: Sequence[np.ndarray], e: Sequence[np.ndarray],
             L: Sequence[np.ndarray], kind: str) -> np.ndarray:
    """Sandwich covariance from per-subject (weighted) designs, residuals and the
    Cholesky factors of their covariance."""
    p = Phi.shape[0]
    meat = np.zeros((p, p))
    for Xs, es, Ls in zip(X, e, L, strict=True):
        Xw = linalg.solve_triangular(Ls, Xs, lower=True)
        ew = linalg.solve_triangular(Ls, es, lower=True)
        if kind == "empirical":
            z = Xw.T @ ew
        else:
            IH = np.eye(len(es)) - Xw @ Phi @ Xw.T
            A = np.linalg.pinv(IH) if kind == "empirical-jackknife" else _inv_sqrt(IH)
            z = Xw.T @ (A @ ew)
        meat += np.outer(z, z)
    V = Phi @ meat @ Phi
    return (V + V.T) / 2
