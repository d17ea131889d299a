"""The random-effects part ``Z Lambda(theta) u`` of a GLMM and its penalised factor.

For weights ``w`` (the IRLS weights of the current iterate) the penalised
normal equations of the spherical random effects ``u`` have the matrix
``A = Lambda' Z' W Z Lambda + I`` (Bates et al. 2015, section 3 and 5). Two
factorisations are used:

* one random-effects term (``(1 | id)``, ``(1 + t | id)``): ``A`` is block
  diagonal with one ``q x q`` block per group, factorised for all groups at
  once with vectorised closed forms (q = 1) or batched LAPACK calls;
* several terms (crossed, nested, ``||``): ``A`` is assembled as a sparse
  matrix and factorised densely (small ``Q``) or by sparse LU (large ``Q``;
  ``A`` is symmetric positive definite, so ``log det A`` is the sum of the
  logs of ``|diag U|``).

The ordering of ``u`` follows lme4: by term, then group level, then the
columns of the term.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._engine import ReTerm
from .._theta import ThetaMap

__all__ = ["Factor", "ReSystem"]

_DENSE_MAX = 200
_SCHUR_MAX = 4000


_T = TypeVar("_T")


def _need(value: _T | None) -> _T:
    """A part the factor's kind guarantees (an internal invariant)."""
    if value is None:
        raise RuntimeError("internal error: factor part missing for its kind")
    return value


@dataclass
class Factor:
    """The factorised ``A`` at one (theta, w): log-determinant and solves."""

    logdet: float
    kind: str
    diag: np.ndarray | None = None  # q == 1 block: the diagonal of A
    blocks: np.ndarray | None = None  # q > 1 block: (nl, q, q) Cholesky factors
    dense: tuple[np.ndarray, bool] | None = None
    lu: spla.SuperLU | None = None
    chol2: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # q == 2: l00, l10, l11
    first: Factor | None = None  # Schur: the block-diagonal factor of the first term
    coupling: sp.csr_matrix | None = None  # Schur: C = Lambda2' Z2' W Z1 Lambda1 (Q2, Q1)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """``A^-1 rhs`` for a vector (Q,) or a matrix (Q, k)."""
        if self.kind == "scalar":
            diag = _need(self.diag)
            return rhs / (diag if rhs.ndim == 1 else diag[:, None])
        if self.kind == "block2":
            l00, l10, l11 = _need(self.chol2)
            nl = l00.shape[0]
            vec = rhs.ndim == 1
            R = rhs.reshape(nl, 2, 1 if vec else rhs.shape[1])
            a, b = l00[:, None], l10[:, None]
            c = l11[:, None]
            y0 = R[:, 0] / a
            x1 = (R[:, 1] - b * y0) / c / c
            x0 = (y0 - b * x1) / a
            return np.stack([x0, x1], axis=1).reshape(rhs.shape)
        if self.kind == "block":
            L = _need(self.blocks)
            nl, q, _ = L.shape
            vec = rhs.ndim == 1
            B = rhs.reshape(nl, q, 1 if vec else rhs.shape[1])
            Y = np.linalg.solve(L, B)
            X = np.linalg.solve(np.transpose(L, (0, 2, 1)), Y)
            return X.reshape(rhs.shape)
        if self.kind == "schur":
            first, coupling, dense = _need(self.first), _need(self.coupling), _need(self.dense)
            q1 = coupling.shape[1]
            r1, r2 = rhs[:q1], rhs[q1:]
            y1 = first.solve(r1)
            x2 = np.asarray(scipy.linalg.cho_solve(dense, r2 - coupling @ y1))
            x1 = first.solve(r1 - coupling.T @ x2)
            return np.concatenate([x1, x2], axis=0)
        if self.kind == "dense":
            return np.asarray(scipy.linalg.cho_solve(_need(self.dense), rhs))
        return np.asarray(_need(self.lu).solve(rhs))

    def inverse_diag_block(self) -> np.ndarray:
        """Per-level conditional SDs factor for a scalar term: ``1/sqrt(diag A)``."""
        return 1.0 / np.sqrt(_need(self.diag))


class ReSystem(ThetaMap):
    """Random-effects terms of one model with the fixed sparsity of ``Z Lambda``
    (the map from ``theta`` to the factors is :class:`ThetaMap`'s)."""

    def __init__(self, terms: list[ReTerm]) -> None:
        super().__init__(terms)
        self.n = terms[0].Z.shape[0]
        self.offsets: list[int] = []
        off = 0
        for t in terms:
            self.offsets.append(off)
            off += t.nl * t.q
        self.Q = off
        self.single = len(terms) == 1
        self._split_of: sp.csr_matrix | None = None
        self._split: tuple[sp.csr_matrix, sp.csr_matrix] = (sp.csr_matrix((0, 0)),
                                                            sp.csr_matrix((0, 0)))
        q1 = terms[0].nl * terms[0].q
        q2 = self.Q - q1
        self.schur = (not self.single and q2 <= _SCHUR_MAX
                      and q1 * q2 <= 4e7 and self.Q > _DENSE_MAX)
        if not self.single:
            rows, cols = [], []
            for t, o in zip(terms, self.offsets, strict=True):
                rows.append(np.repeat(np.arange(self.n), t.q))
                cols.append((o + t.codes[:, None] * t.q + np.arange(t.q)[None, :]).ravel())
            r_all = np.concatenate(rows)
            c_all = np.concatenate(cols)
            order = np.lexsort((c_all, r_all))
            self._order = order
            self._indices = c_all[order].astype(np.int32)
            counts = np.bincount(r_all, minlength=self.n)
            self._indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)

    # ---------------------------------------------------------------- theta
    def zlam(self, theta: np.ndarray) -> sp.csr_matrix:
        """``Z Lambda`` as a sparse (n, Q) matrix (several terms)."""
        data = np.concatenate(
            [(t.Z @ self.lam(theta, k)).ravel() for k, t in enumerate(self.terms)]
        )[self._order]
        return sp.csr_matrix((data, self._indices, self._indptr), shape=(self.n, self.Q))

    def b_of_u(self, theta: np.ndarray, u: np.ndarray) -> list[np.ndarray]:
        """Random effects ``b = Lambda u`` per term, as (nl, q) arrays."""
        out = []
        for k, t in enumerate(self.terms):
            o = self.offsets[k]
            out.append(u[o : o + t.nl * t.q].reshape(t.nl, t.q) @ self.lam(theta, k).T)
        return out

    def linpred(self, theta: np.ndarray, u: np.ndarray, zl: sp.csr_matrix | None = None
                ) -> np.ndarray:
        """``Z Lambda u`` (n,)."""
        if zl is not None:
            return np.asarray(zl @ u)
        out = np.zeros(self.n)
        for t, b in zip(self.terms, self.b_of_u(theta, u), strict=True):
            if t.q == 1:
                out += t.Z[:, 0] * b[t.codes, 0]
            elif t.q == 2:
                bt = b.T
                out += t.Z[:, 0] * bt[0][t.codes] + t.Z[:, 1] * bt[1][t.codes]
            else:
                out += np.einsum("nq,nq->n", t.Z, b[t.codes])
        return out

    def crossprod(self, theta: np.ndarray, wv: np.ndarray, zl: sp.csr_matrix | None = None
                  ) -> np.ndarray:
        """``Lambda' Z' v`` for a vector (n,) or matrix (n, k) ``wv`` (weights applied)."""
        if zl is not None:
            return np.asarray(zl.T @ wv)
        t = self.terms[0]
        lam = self.lam(theta, 0)
        vec = wv.ndim == 1
        M = wv[:, None] if vec else wv
        out = np.empty((t.nl, t.q, M.shape[1]))
        for a in range(t.q):
            za = t.Z[:, a]
            for c in range(M.shape[1]):
                out[:, a, c] = np.bincount(t.codes, weights=za * M[:, c], minlength=t.nl)
        out = lam.T @ out
        return out.reshape(t.nl * t.q) if vec else out.reshape(t.nl * t.q, M.shape[1])

    def factor(self, theta: np.ndarray, w: np.ndarray, zl: sp.csr_matrix | None = None
               ) -> Factor:
        """Factorise ``Lambda' Z' W Z Lambda + I``."""
        if zl is None:
            return self._block_factor(theta, w)
        if self.schur:
            return self._schur_factor(theta, w, zl)
        return self._general_factor(w, zl)

    def _block_factor(self, theta: np.ndarray, w: np.ndarray) -> Factor:
        """Block-diagonal factor of the first term alone."""
        t = self.terms[0]
        lam = self.lam(theta, 0)
        if t.q == 1:
            z0 = t.Z[:, 0]
            d = lam[0, 0] ** 2 * np.bincount(t.codes, weights=w * z0 * z0,
                                              minlength=t.nl) + 1.0
            return Factor(float(np.sum(np.log(d))), "scalar", diag=d)
        if t.q == 2:
            z0, z1 = t.Z[:, 0], t.Z[:, 1]
            wz0 = w * z0
            a00 = np.bincount(t.codes, weights=wz0 * z0, minlength=t.nl)
            a01 = np.bincount(t.codes, weights=wz0 * z1, minlength=t.nl)
            a11 = np.bincount(t.codes, weights=w * z1 * z1, minlength=t.nl)
            t0, t1, t2 = lam[0, 0], lam[1, 0], lam[1, 1]
            m00 = t0 * (a00 * t0 + a01 * t1) + t1 * (a01 * t0 + a11 * t1) + 1.0
            m01 = t2 * (t0 * a01 + t1 * a11)
            m11 = t2 * t2 * a11 + 1.0
            l00 = np.sqrt(m00)
            l10 = m01 / l00
            l11sq = m11 - l10 * l10
            if np.any(l11sq <= 0):
                raise np.linalg.LinAlgError("not positive definite")
            logdet = float(np.sum(np.log(m00 * l11sq)))
            return Factor(logdet, "block2", chol2=(l00, l10, np.sqrt(l11sq)))
        C = np.empty((t.nl, t.q, t.q))
        for a in range(t.q):
            for b in range(a, t.q):
                v = np.bincount(t.codes, weights=w * t.Z[:, a] * t.Z[:, b], minlength=t.nl)
                C[:, a, b] = v
                C[:, b, a] = v
        M = lam.T @ C @ lam
        M[:, np.arange(t.q), np.arange(t.q)] += 1.0
        L = np.linalg.cholesky(M)
        logdet = 2.0 * float(np.sum(np.log(np.diagonal(L, axis1=1, axis2=2))))
        return Factor(logdet, "block", blocks=L)

    def _schur_factor(self, theta: np.ndarray, w: np.ndarray, zl: sp.csr_matrix) -> Factor:
        """First term block-diagonal, the others through a dense Schur complement."""
        first = self._block_factor(theta, w)
        if self._split_of is not zl:  # column blocks of this Z Lambda, split once per theta
            q1 = self.offsets[1]
            zc = zl.tocsc()
            self._split = (zc[:, :q1].tocsr(), zc[:, q1:].tocsr())
            self._split_of = zl
        z1, z2 = self._split
        zw2t = (sp.diags(w) @ z2).T.tocsr()
        C = (zw2t @ z1).tocsr()  # sparse (Q2, Q1)
        E = np.asarray((zw2t @ z2).toarray())
        if first.kind == "scalar" and first.diag is not None:
            S = E - np.asarray((C @ sp.diags(1.0 / first.diag) @ C.T).toarray())
        else:
            S = E - np.asarray(C @ first.solve(np.asarray(C.T.toarray())))
        S[np.diag_indices_from(S)] += 1.0
        cf = scipy.linalg.cho_factor(S, lower=True)
        logdet = first.logdet + 2.0 * float(np.sum(np.log(np.diag(cf[0]))))
        return Factor(logdet, "schur", dense=cf, first=first, coupling=C)

    def _general_factor(self, w: np.ndarray, zl: sp.csr_matrix) -> Factor:
        """Sparse assembly, dense Cholesky (small) or sparse LU."""
        A = (zl.T @ sp.diags(w) @ zl).tocsc() + sp.identity(self.Q, format="csc")
        if self.Q <= _DENSE_MAX:
            cf = scipy.linalg.cho_factor(A.toarray(), lower=True)
            logdet = 2.0 * float(np.sum(np.log(np.diag(cf[0]))))
            return Factor(logdet, "dense", dense=cf)
        lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                       options={"SymmetricMode": True})
        logdet = float(np.sum(np.log(np.abs(lu.U.diagonal()))))
        return Factor(logdet, "sparse", lu=lu)

    def design(self, theta: np.ndarray) -> sp.csr_matrix | None:
        """The sparse ``Z Lambda`` when the general path is used, else None."""
        return None if self.single else self.zlam(theta)
