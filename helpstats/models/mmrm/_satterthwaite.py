"""Satterthwaite df for MMRM contrasts (SAS ``ddfm=satterthwaite``, R mmrm).

For one contrast ``l``: ``df = 2 (l'Phi l)^2 / (g' W g)`` with
``g_i = d(l'Phi l)/d phi_i = l' Phi P_i Phi l`` and ``W`` the inverse observed
information of the covariance parameters (invariant to their parameterisation).
For ``q > 1`` rows, the F test of Fai & Cornelius (1996) as SAS and lmerTest use:
``L V L' = U D U'`` (``V`` the covariance the test uses), one df ``nu_k`` per
eigen-direction, ``E = sum nu_k/(nu_k - 2)``
and ``ddf = 2E/(E - q)``.

Examples
--------
>>> import numpy as np
>>> round(satterthwaite_df(np.eye(1), np.ones(1), 0.02 * np.eye(1), np.eye(1)[None]), 6)
100.0
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["satterthwaite_df", "satterthwaite_md"]


def satterthwaite_df(Phi: np.ndarray, c: np.ndarray, W: np.ndarray, P: np.ndarray) -> float:
    """Satterthwaite df of ``c'beta``."""
    v = float(c @ Phi @ c)
    pl = Phi @ c
    g = np.einsum("a,iab,b->i", pl, P, pl)
    den = float(g @ W @ g)
    return 2 * v * v / den if den > 0 else np.inf


def satterthwaite_md(V: np.ndarray, L: np.ndarray, df_of: Callable[[np.ndarray], float]
                     ) -> float:
    """Denominator df of the F test of ``L beta = 0``: the 1-d df ``df_of`` of the
    eigen-directions of ``L V L'`` (``V`` the covariance the test uses), combined
    as SAS (Fai & Cornelius)."""
    L = np.atleast_2d(L)
    q = L.shape[0]
    d, U = np.linalg.eigh(L @ V @ L.T)
    rows = U.T @ L
    nu = np.array([df_of(r) for r in rows])
    if q == 1:
        return float(nu[0])
    ok = nu > 2
    E = float(np.sum(nu[ok] / (nu[ok] - 2)))
    return 2 * E / (E - q) if E > q else float(np.nan)
