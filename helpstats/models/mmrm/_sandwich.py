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

__all__ = ["VCOV_TYPES", "EmpiricalSatterthwaite", "sandwich"]

VCOV_TYPES = ("model", "empirical", "empirical-jackknife", "empirical-bias-reduced")


def _inv_sqrt(M: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((M + M.T) / 2)
    inv = np.where(w > 1e-10, 1 / np.sqrt(np.maximum(w, 1e-300)), 0.0)
    return (v * inv) @ v.T


def _adjustment(Xw: np.ndarray, Phi: np.ndarray, kind: str) -> np.ndarray | None:
    """``A_s`` of one subject (``None`` for the plain sandwich, where it is ``I``)."""
    if kind == "empirical":
        return None
    IH = np.eye(Xw.shape[0]) - Xw @ Phi @ Xw.T
    return np.linalg.pinv(IH) if kind == "empirical-jackknife" else _inv_sqrt(IH)


def sandwich(Phi: np.ndarray, X: Sequence[np.ndarray], e: Sequence[np.ndarray],
             L: Sequence[np.ndarray], kind: str) -> np.ndarray:
    """Sandwich covariance from per-subject (weighted) designs, residuals and the
    Cholesky factors of their covariance."""
    p = Phi.shape[0]
    meat = np.zeros((p, p))
    for Xs, es, Ls in zip(X, e, L, strict=True):
        Xw = linalg.solve_triangular(Ls, Xs, lower=True)
        ew = linalg.solve_triangular(Ls, es, lower=True)
        A = _adjustment(Xw, Phi, kind)
        z = Xw.T @ (ew if A is None else A @ ew)
        meat += np.outer(z, z)
    V = Phi @ meat @ Phi
    return (V + V.T) / 2


class EmpiricalSatterthwaite:
    """Satterthwaite df of ``c'beta`` under a sandwich covariance, as R mmrm.

    R mmrm (``method = "Satterthwaite"`` with an empirical ``vcov``) takes
    ``df = tr(M)^2 / ||M||_F^2`` with ``M = (G C')' (G C')``, where column ``s``
    of ``G C'`` is ``(I - H)[:, s] A_s X~_s Phi c`` (``X~`` the whitened design,
    ``H = X~ Phi X~'``), a Bell–McCaffrey-type df. Because ``X~' X~ = Phi^-1``,
    ``M = diag(|u_s|^2) - K' Phi K`` with ``u_s = A_s X~_s Phi c`` and
    ``K[:, s] = X~_s' u_s``: per-subject ``p x p`` blocks suffice, and the
    ``n x n`` matrix ``I - H`` is never formed.

    Examples
    --------
    Two subjects, two visits each, intercept only: ``M = [[1, -1], [-1, 1]] / 16``,
    so the df are 1 (the number of subjects minus one).

    >>> import numpy as np
    >>> X = [np.ones((2, 1)), np.ones((2, 1))]
    >>> L = [np.eye(2), np.eye(2)]
    >>> es = EmpiricalSatterthwaite(np.array([[0.25]]), X, L, "empirical")
    >>> round(es.df(np.array([1.0])), 10)
    1.0
    """

    def __init__(self, Phi: np.ndarray, X: Sequence[np.ndarray], L: Sequence[np.ndarray],
                 kind: str) -> None:
        self.Phi = Phi
        TT, XT = [], []
        for Xs, Ls in zip(X, L, strict=True):
            Xw = linalg.solve_triangular(Ls, Xs, lower=True)
            A = _adjustment(Xw, Phi, kind)
            T = Xw if A is None else A @ Xw
            TT.append(T.T @ T)
            XT.append(Xw.T @ T)
        self._TT = np.asarray(TT)
        self._XT = np.asarray(XT)

    def df(self, c: np.ndarray) -> float:
        """Denominator df for ``c'beta``."""
        a = self.Phi @ np.asarray(c, dtype=float)
        d = np.einsum("a,sab,b->s", a, self._TT, a)
        K = np.einsum("sab,b->as", self._XT, a)
        PK = self.Phi @ K
        q = np.einsum("as,as->s", K, PK)
        S = K @ K.T
        PS = self.Phi @ S
        trace = float(d.sum() - q.sum())
        frob = float(np.sum(d * d) - 2 * np.sum(d * q) + np.trace(PS @ PS))
        return trace * trace / frob if frob > 0 else np.inf
