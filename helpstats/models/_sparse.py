"""Sparse Cholesky of ``Lambda' Z' Z Lambda + I`` for models with several random terms.

lme4's route (Bates et al. 2015, section 3.2 and 5.4): the pattern of
``Lambda' Z' Z Lambda + I`` does not depend on ``theta``, so a fill-reducing
ordering and the symbolic factorisation are computed once and only the
numeric factorisation is repeated at each ``theta``. CHOLMOD (supernodal, as
in lme4) comes from ``cvxopt``, which ships it in its wheels; it is an
optional extra (``pip install helpstats[sparse]``), imported only when a model
with several random terms is fitted. Without it the engine's blocked
factorisation (dense Schur complement of the later terms) is used.

``Z' Z`` is kept as dense ``q_k x q_m`` blocks, one per pair of levels that
share an observation, so ``Lambda_k' B Lambda_m`` is formed block by block and
scattered into the fixed lower-triangular pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._engine import ReTerm

__all__ = ["SparseFactor", "SparseSystem", "available", "sparse_system"]


def _cholmod() -> Any:
    try:
        from cvxopt import cholmod
    except ImportError:  # the optional extra is not installed
        return None
    return cholmod


def available() -> bool:
    """Whether CHOLMOD (through cvxopt) can be imported."""
    return _cholmod() is not None


@dataclass(frozen=True)
class SparseFactor:
    """Factor at one theta: log det, ``C^-1 R`` for the right-hand side ``R``."""

    logdet: float
    rhs: np.ndarray  # Lambda' Z' [X y]  (Q, p1)
    solved: np.ndarray  # C^-1 rhs        (Q, p1)


class SparseSystem:
    """``C(theta) = Lambda' Z' Z Lambda + I`` with its symbolic factorisation done once.

    Parameters
    ----------
    terms : list
        Random-effects terms (``codes``, ``Z``, ``q``, ``nl``), in the engine's order.
    XY : numpy.ndarray
        ``[X y]`` (n, p1), for the right-hand side ``Z' [X y]``.
    """

    def __init__(self, terms: list[ReTerm], XY: np.ndarray) -> None:
        from cvxopt import matrix, spmatrix

        self._matrix = matrix
        self.cholmod = _cholmod()
        self.terms = terms
        offsets = np.cumsum([0] + [t.nl * t.q for t in terms])
        self.offsets = offsets
        self.Q = int(offsets[-1])
        p1 = XY.shape[1]
        # Z' [X y], per term (nl, q, p1)
        self.zxy = []
        for t in terms:
            out = np.empty((t.nl, t.q, p1))
            for a in range(t.q):
                za = t.Z[:, a]
                for c in range(p1):
                    out[:, a, c] = np.bincount(t.codes, weights=za * XY[:, c], minlength=t.nl)
            self.zxy.append(out)
        rows_all, cols_all = [], []
        # (term k, term m, values (blocks, q_k * q_m), kept entries of diagonal blocks)
        self.blocks: list[tuple[int, int, np.ndarray, np.ndarray | None]] = []
        for k, tk in enumerate(terms):
            for m in range(k + 1):
                tm = terms[m]
                if m == k:
                    lev = np.arange(tk.nl)
                    inv = tk.codes
                    nb = tk.nl
                    lev_m = lev
                else:
                    key = tk.codes.astype(np.int64) * tm.nl + tm.codes
                    uniq, inv = np.unique(key, return_inverse=True)
                    lev, lev_m = uniq // tm.nl, uniq % tm.nl
                    nb = len(uniq)
                vals = np.empty((nb, tk.q, tm.q))
                for a in range(tk.q):
                    for b in range(tm.q):
                        vals[:, a, b] = np.bincount(inv, weights=tk.Z[:, a] * tm.Z[:, b],
                                                    minlength=nb)
                rr = offsets[k] + lev[:, None, None] * tk.q + np.arange(tk.q)[None, :, None]
                cc = offsets[m] + lev_m[:, None, None] * tm.q + np.arange(tm.q)[None, None, :]
                rr = np.broadcast_to(rr, vals.shape)
                cc = np.broadcast_to(cc, vals.shape)
                keep = None
                if m == k:
                    lower = np.tril(np.ones((tk.q, tk.q), dtype=bool))
                    keep = np.flatnonzero(lower.ravel())
                    rr, cc = rr[:, lower], cc[:, lower]
                self.blocks.append((k, m, vals.reshape(nb, -1), keep))
                rows_all.append(np.ravel(rr))
                cols_all.append(np.ravel(cc))
        rows = np.concatenate(rows_all)
        cols = np.concatenate(cols_all)
        self.order = np.lexsort((rows, cols))
        rows, cols = rows[self.order], cols[self.order]
        self.diag = np.flatnonzero(rows == cols)
        self.nnz = len(rows)
        self.pattern = spmatrix(1.0, matrix(rows.astype(np.int64)), matrix(cols.astype(np.int64)),
                                (self.Q, self.Q))
        # the triplets are unique and in column order, so the values keep that order
        if not np.array_equal(np.asarray(self.pattern.CCS[1]).ravel(), rows):
            raise RuntimeError("the sparse pattern of Z'Z has repeated entries")
        self.symbolic = self.cholmod.symbolic(self.pattern, uplo="L")

    def values(self, lams: list[np.ndarray]) -> np.ndarray:
        """Lower-triangular values of ``C(theta)`` in the fixed pattern's order."""
        parts = []
        for k, m, vals, keep in self.blocks:
            lk, lm = lams[k], lams[m]
            if vals.shape[1] == 1:
                out = vals[:, 0] * (lk[0, 0] * lm[0, 0])
            else:
                # (Lambda_k' B Lambda_m)[a, b] = sum B[a', b'] Lambda_k[a', a] Lambda_m[b', b]
                qk, qm = lk.shape[0], lm.shape[0]
                kron = (lk[:, None, :, None] * lm[None, :, None, :]).reshape(qk * qm, qk * qm)
                out = (vals @ (kron if keep is None else kron[:, keep])).ravel()
            parts.append(out)
        data = np.concatenate(parts)[self.order]
        data[self.diag] += 1.0
        return data

    def factor(self, lams: list[np.ndarray]) -> SparseFactor:
        """Numeric factorisation at ``theta`` (its relative factors ``lams``).

        Raises ``numpy.linalg.LinAlgError`` when ``C`` is not positive definite."""
        A = self.pattern
        A.V = self._matrix(self.values(lams))
        F = self.symbolic
        try:
            self.cholmod.numeric(A, F)
        except ArithmeticError as exc:
            raise np.linalg.LinAlgError(str(exc)) from exc
        d = np.asarray(self.cholmod.diag(F)).ravel()
        logdet = 2.0 * float(np.sum(np.log(d)))
        rhs = np.concatenate([(lam.T @ z).reshape(-1, z.shape[2]) if lam.shape[0] > 1
                              else z.reshape(-1, z.shape[2]) * lam[0, 0]
                              for lam, z in zip(lams, self.zxy, strict=True)])
        B = self._matrix(rhs)
        self.cholmod.solve(F, B)
        return SparseFactor(logdet, rhs, np.asarray(B))


def sparse_system(terms: list[ReTerm], XY: np.ndarray) -> SparseSystem | None:
    """A :class:`SparseSystem` when CHOLMOD is available, else None."""
    if not available():
        return None
    return SparseSystem(terms, XY)
