"""The map from ``theta`` to the relative covariance factors of the random-effects terms.

lme4's parameterisation (Bates, Maechler, Bolker & Walker 2015, section 2.2):
the factor ``Lambda_k`` of term ``k`` is lower triangular (``q_k x q_k``), and
``theta`` holds, term after term, the lower triangle of each factor column by
column. Diagonal elements are bounded below by 0, the others are free; the
start is the identity. The Gaussian engine (:class:`._engine._Core`) and the
GLMM's random-effects system (:class:`.glmm._system.ReSystem`) share this map.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ._engine import ReTerm

__all__ = ["ThetaMap", "tril_index"]


def tril_index(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each theta element of a ``q x q`` factor (lower triangle,
    column-major as lme4)."""
    rows, cols = [], []
    for j in range(q):
        for i in range(j, q):
            rows.append(i)
            cols.append(j)
    return np.array(rows, dtype=int), np.array(cols, dtype=int)


class ThetaMap:
    """Where each element of ``theta`` goes in the factors of a list of terms.

    Parameters
    ----------
    terms : list of ReTerm
        The random-effects terms, in the order of ``theta``.

    Attributes
    ----------
    terms : list of ReTerm
        The terms.
    theta_slices : list of slice
        The elements of ``theta`` that belong to each term.
    tril : list of tuple of numpy.ndarray
        Row and column in ``Lambda_k`` of each of those elements.
    ntheta : int
        Length of ``theta``.
    lower : numpy.ndarray
        Lower bounds of ``theta``: 0 for diagonal elements, ``-inf`` for the others.
    """

    def __init__(self, terms: list[ReTerm]) -> None:
        self.terms = terms
        self.theta_slices: list[slice] = []
        self.tril: list[tuple[np.ndarray, np.ndarray]] = []
        start = 0
        lower: list[float] = []
        for t in self.terms:
            self.theta_slices.append(slice(start, start + t.ntheta))
            rows, cols = tril_index(t.q)
            self.tril.append((rows, cols))
            lower.extend(0.0 if i == j else -np.inf for i, j in zip(rows, cols, strict=True))
            start += t.ntheta
        self.ntheta = start
        self.lower = np.array(lower)

    def lam(self, theta: np.ndarray, k: int) -> np.ndarray:
        """Relative covariance factor ``Lambda_k`` (lower triangular, q x q) of term ``k``."""
        t = self.terms[k]
        out = np.zeros((t.q, t.q))
        r, c = self.tril[k]
        out[r, c] = theta[self.theta_slices[k]]
        return out

    def theta_start(self) -> np.ndarray:
        """lme4's start: identity relative factors."""
        start = np.zeros(self.ntheta)
        for k in range(len(self.terms)):
            r, c = self.tril[k]
            start[self.theta_slices[k]] = (r == c).astype(float)
        return start
