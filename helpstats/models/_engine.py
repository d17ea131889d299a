"""Profiled (RE)ML deviance of a linear mixed model and its optimisation.

Follows Bates, Maechler, Bolker & Walker (2015, J. Stat. Softw. 67(1)): the
random effects are ``b = Lambda(theta) u`` with spherical ``u``; the deviance
is profiled over the fixed effects and the residual scale, and minimised over
``theta`` with BOBYQA. The sparse Cholesky factor of
``Lambda' Z' Z Lambda + I`` is formed blockwise: the first (largest) grouping
factor gives a block-diagonal part, factorised with vectorised small Cholesky
decompositions over all groups at once; any further terms form a dense Schur
complement (the approach of MixedModels.jl).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import nlopt
import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._blas import limit_blas
from ._sparse import SparseFactor, SparseSystem, sparse_system
from ._theta import ThetaMap

# Above this many random-effect columns in the later terms the dense Schur complement
# (and with it the exact derivatives, which need it) is not formed: the sparse factor
# alone gives the deviance and the estimates, finite differences of it the derivatives.
DENSE_LIMIT = 1000

__all__ = ["DENSE_LIMIT", "Evaluation", "LmmProblem", "OptResult", "ReTerm", "Standardisation", "convergence",
           "optimize"]


@dataclass(frozen=True)
class ReTerm:
    """One random-effects term: ``q`` columns varying over ``nl`` groups."""

    group: str
    cnames: tuple[str, ...]
    codes: np.ndarray  # (n,) group index of each observation
    levels: tuple[str, ...]
    Z: np.ndarray  # (n, q) raw columns

    @property
    def q(self) -> int:
        return self.Z.shape[1]

    @property
    def nl(self) -> int:
        return len(self.levels)

    @property
    def ntheta(self) -> int:
        return self.q * (self.q + 1) // 2


def _batched_cholesky(M: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of a stack (m, q, q) of small SPD matrices."""
    q = M.shape[1]
    if q == 1:
        return np.sqrt(M)
    L = np.zeros_like(M)
    for j in range(q):
        d = M[:, j, j] - np.einsum("nk,nk->n", L[:, j, :j], L[:, j, :j])
        L[:, j, j] = np.sqrt(d)
        for i in range(j + 1, q):
            s = M[:, i, j] - np.einsum("nk,nk->n", L[:, i, :j], L[:, j, :j])
            L[:, i, j] = s / L[:, j, j]
    return L


def _batched_forward(L: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Solve L X = B for a stack of lower-triangular L (m, q, q), B (m, q, r)."""
    q = L.shape[1]
    if q == 1:
        return B / L
    X = np.empty_like(B)
    for i in range(q):
        acc = B[:, i, :] - np.einsum("nk,nkr->nr", L[:, i, :i], X[:, :i, :])
        X[:, i, :] = acc / L[:, i, i][:, None]
    return X


def _batched_backward(L: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Solve L' X = B for a stack of lower-triangular L (m, q, q), B (m, q, r)."""
    q = L.shape[1]
    if q == 1:
        return B / L
    X = np.empty_like(B)
    for i in range(q - 1, -1, -1):
        acc = B[:, i, :] - np.einsum("nk,nkr->nr", L[:, i + 1 :, i], X[:, i + 1 :, :])
        X[:, i, :] = acc / L[:, i, i][:, None]
    return X


@dataclass(frozen=True)
class Evaluation:
    """Factorisation at one theta: everything the deviance and estimates need."""

    theta: np.ndarray
    logdet_l: float  # log det(L L') of the random-effects block
    logdet_rx: float  # log det(X' V~ X) (the RX'RX block)
    pwrss: float  # penalised weighted residual sum of squares
    sxx: np.ndarray  # X' V~ X (p x p), cov(beta) = sigma^2 inv(sxx)
    sxy: np.ndarray
    L1: np.ndarray | None  # per-group factors; None when evaluated without blocks
    U1: np.ndarray | None
    L2: np.ndarray | None
    U2: np.ndarray | None
    W: sp.csr_matrix | None
    sparse: SparseFactor | None = None  # the whole system's sparse factor (several terms)


class _Core(ThetaMap):
    """Factorisation machinery on (standardised) data, cross-products computed once.

    Works in the internal parameterisation; :class:`LmmProblem` wraps it in the
    caller's units. The map from ``theta`` to the factors is :class:`ThetaMap`'s."""

    def __init__(self, X: np.ndarray, y: np.ndarray, terms: list[ReTerm], reml: bool) -> None:
        super().__init__(terms)
        self.X = X
        self.y = y
        self.reml = reml
        self._derivatives_cache: Any = None  # (key, derivatives) of the last exact derivatives
        # (theta_s bytes, gradient, Hessian) predicted after a rounding-level Newton step
        self._predicted: tuple[bytes, np.ndarray, np.ndarray] | None = None
        self.n, self.p = X.shape
        XY = np.column_stack([X, y])
        self.p1 = self.p + 1
        self.xy_cross = XY.T @ XY
        t1 = terms[0]
        g1 = t1.codes
        q1 = t1.q
        l1 = t1.nl
        # A11[j] = Z1_j' Z1_j ; B1[j] = Z1_j' XY
        self.A11 = np.empty((l1, q1, q1))
        for a in range(q1):
            for b in range(a, q1):
                v = np.bincount(g1, weights=t1.Z[:, a] * t1.Z[:, b], minlength=l1)
                self.A11[:, a, b] = v
                self.A11[:, b, a] = v
        self.B1 = np.empty((l1, q1, self.p1))
        for a in range(q1):
            za = t1.Z[:, a]
            for c in range(self.p1):
                self.B1[:, a, c] = np.bincount(g1, weights=za * XY[:, c], minlength=l1)
        self.eye1 = np.eye(q1)
        # contiguous components for the closed forms (q1 <= 2)
        self.a_comp = [self.A11[:, a, b].copy() for a in range(q1) for b in range(a, q1)]
        self.bt_comp = [np.ascontiguousarray(self.B1[:, a, :].T) for a in range(q1)]
        # further terms: a dense Schur complement of size Q2 = sum nl_k q_k
        self.rest = terms[1:]
        self.rest_offsets: list[int] = []
        self.sparse: SparseSystem | None = None
        # blocked: the dense Schur complement of the later terms is formed (needed by the
        # exact derivatives); above DENSE_LIMIT columns only the sparse factor is used
        self.blocked = True
        self.Q2 = 0
        if self.rest:
            self.sparse = sparse_system(terms, XY)
            self.Q2 = sum(t.nl * t.q for t in self.rest)
            self.blocked = self.sparse is None or self.Q2 <= DENSE_LIMIT
            if self.blocked:
                self._init_rest(XY, l1, q1)
            else:
                self.rest_offsets = [sum(t.nl * t.q for t in self.rest[:k])
                                     for k in range(len(self.rest))]

    def _init_rest(self, XY: np.ndarray, l1: int, q1: int) -> None:
        """Cross-products with the first term as (level, group) blocks, in a fixed CSR layout."""
        t1 = self.terms[0]
        off = 0
        blocks = []
        self.pairs: list[tuple[np.ndarray, np.ndarray]] = []
        self.pair_vals: list[np.ndarray] = []
        rows_all: list[np.ndarray] = []
        cols_all: list[np.ndarray] = []
        for t in self.rest:
            self.rest_offsets.append(off)
            key = t.codes.astype(np.int64) * l1 + t1.codes
            uniq, inv = np.unique(key, return_inverse=True)
            lev, grp = uniq // l1, uniq % l1
            vals = np.empty((len(uniq), t.q, q1))
            for a in range(t.q):
                for b in range(q1):
                    vals[:, a, b] = np.bincount(inv, weights=t.Z[:, a] * t1.Z[:, b],
                                                minlength=len(uniq))
            self.pairs.append((lev, grp))
            self.pair_vals.append(vals)
            r = off + lev[:, None, None] * t.q + np.arange(t.q)[None, :, None]
            c = grp[:, None, None] * q1 + np.arange(q1)[None, None, :]
            rows_all.append(np.broadcast_to(r, vals.shape).ravel())
            cols_all.append(np.broadcast_to(c, vals.shape).ravel())
            rows = np.repeat(np.arange(self.n), t.q)
            cols = (t.codes[:, None] * t.q + np.arange(t.q)[None, :]).ravel()
            blocks.append(sp.csr_matrix((t.Z.ravel(), (rows, cols)), shape=(self.n, t.nl * t.q)))
            off += t.nl * t.q
        self.Q2 = off
        rows_cat = np.concatenate(rows_all)
        cols_cat = np.concatenate(cols_all)
        self.w_order = np.lexsort((cols_cat, rows_cat))
        self.w_indices = cols_cat[self.w_order].astype(np.int32)
        self.w_indptr = np.concatenate(
            [[0], np.cumsum(np.bincount(rows_cat, minlength=self.Q2))]
        ).astype(np.int32)
        self.w_shape = (self.Q2, l1 * q1)
        Zr = sp.hstack(blocks).tocsc()
        self.A22 = (Zr.T @ Zr).toarray()
        self.C2 = np.asarray(Zr.T @ XY)

    # ------------------------------------------------------------------ theta
    def _rest_left(self, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
        """Lambda_r' M for the rows of the terms after the first (M has Q2 rows)."""
        out = np.empty_like(M)
        for k, t in enumerate(self.rest):
            off = self.rest_offsets[k]
            blk = M[off : off + t.nl * t.q].reshape(t.nl, t.q, -1)
            lam = self.lam(theta, k + 1)
            out[off : off + t.nl * t.q] = (lam.T @ blk).reshape(
                t.nl * t.q, -1
            )
        return out

    def _rest_right(self, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
        """M Lambda_r for a matrix with Q2 columns."""
        return self._rest_left(theta, M.T).T

    def lam_rest_times(self, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Lambda_r u for a vector over the terms after the first."""
        out = np.empty_like(u)
        for k, t in enumerate(self.rest):
            off = self.rest_offsets[k]
            blk = u[off : off + t.nl * t.q].reshape(t.nl, t.q)
            out[off : off + t.nl * t.q] = (blk @ self.lam(theta, k + 1).T).ravel()
        return out

    # ------------------------------------------------------------- factorise
    def _first_block(
        self, lam1: np.ndarray, blocks: bool
    ) -> tuple[float, np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Per-group Cholesky factors L1_j of Lambda1' Z1_j' Z1_j Lambda1 + I and
        U1_j = L1_j^-1 Lambda1' Z1_j' [X y]; returns log det, the updated [X y]
        cross-product, L1 (l1, q1, q1) and U1 (l1, q1, p1).

        One and two columns (random intercepts, intercept + slope) use closed
        forms on whole arrays of groups; larger blocks a column loop."""
        q1 = lam1.shape[0]
        B = self.B1
        if q1 == 1:
            t0 = lam1[0, 0]
            m = t0 * t0 * self.a_comp[0] + 1.0
            l00 = np.sqrt(m)
            u0 = self.bt_comp[0] * (t0 / l00)  # (p1, l1)
            S = self.xy_cross - u0 @ u0.T
            if not blocks:
                return float(np.sum(np.log(m))), S, None, None
            return float(np.sum(np.log(m))), S, l00[:, None, None], u0.T[:, None, :]
        if q1 == 2:
            t0, t1, t2 = lam1[0, 0], lam1[1, 0], lam1[1, 1]
            a00, a01, a11 = self.a_comp
            b00 = a00 * t0 + a01 * t1
            b10 = a01 * t0 + a11 * t1
            m00 = t0 * b00 + t1 * b10 + 1.0
            m01 = t2 * (t0 * a01 + t1 * a11)
            m11 = t2 * t2 * a11 + 1.0
            l00 = np.sqrt(m00)
            l10 = m01 / l00
            l11sq = m11 - l10 * l10
            l11 = np.sqrt(l11sq)
            bt0, bt1 = self.bt_comp
            u0 = (t0 * bt0 + t1 * bt1) / l00  # (p1, l1)
            u1 = (t2 * bt1 - l10 * u0) / l11
            S = self.xy_cross - u0 @ u0.T - u1 @ u1.T
            logdet = float(np.sum(np.log(m00 * l11sq)))
            if not blocks:
                return logdet, S, None, None
            L1 = np.zeros((len(l00), 2, 2))
            L1[:, 0, 0], L1[:, 1, 0], L1[:, 1, 1] = l00, l10, l11
            return logdet, S, L1, np.stack([u0.T, u1.T], axis=1)
        M = lam1.T @ self.A11 @ lam1 + self.eye1
        L1 = _batched_cholesky(M)
        U1 = _batched_forward(L1, lam1.T @ B)
        flat = U1.reshape(-1, self.p1)
        S = self.xy_cross - flat.T @ flat
        return 2.0 * float(np.sum(np.log(np.diagonal(L1, axis1=1, axis2=2)))), S, L1, U1

    def evaluate(self, theta: np.ndarray, blocks: bool = True) -> Evaluation:
        """Factorise the penalised system at ``theta``.

        ``blocks=False`` skips keeping the per-group factors when only the
        deviance is wanted (single grouping factor)."""
        theta = np.asarray(theta, dtype=float)
        if self.sparse is not None and (not blocks or not self.blocked):
            return self._evaluate_sparse(theta)
        lam1 = self.lam(theta, 0)
        logdet, S, L1, U1 = self._first_block(lam1, blocks or bool(self.rest))
        L2 = U2 = W = None
        if self.rest and L1 is not None and U1 is not None:
            U1flat = U1.reshape(-1, self.p1)
            linv = _batched_forward(L1, np.broadcast_to(self.eye1, L1.shape).copy())
            D = lam1 @ np.transpose(linv, (0, 2, 1))  # Lambda1 L1_j^{-T}, per group j
            parts = []
            for k, (_lev, grp) in enumerate(self.pairs):
                lam = self.lam(theta, k + 1)
                parts.append((lam.T @ self.pair_vals[k] @ D[grp]).ravel())
            data = np.concatenate(parts)[self.w_order]
            W = sp.csr_matrix((data, self.w_indices, self.w_indptr), shape=self.w_shape)
            C22 = self._rest_right(theta, self._rest_left(theta, self.A22))
            C22[np.diag_indices_from(C22)] += 1.0
            C22 -= (W @ W.T).toarray()
            L2 = np.linalg.cholesky(C22)
            rhs = self._rest_left(theta, self.C2) - W @ U1flat
            U2 = scipy.linalg.solve_triangular(L2, rhs, lower=True)
            S = S - U2.T @ U2
            logdet += 2.0 * float(np.sum(np.log(np.diag(L2))))
        return self._finish(theta, logdet, S, L1, U1, L2, U2, W)

    def _evaluate_sparse(self, theta: np.ndarray) -> Evaluation:
        """Deviance pieces from the sparse Cholesky factor of the whole system."""
        if self.sparse is None:
            raise RuntimeError("no sparse system")
        fac = self.sparse.factor([self.lam(theta, k) for k in range(len(self.terms))])
        S = self.xy_cross - fac.rhs.T @ fac.solved
        return self._finish(theta, fac.logdet, S, None, None, None, None, None, fac)

    def _finish(self, theta: np.ndarray, logdet: float, S: np.ndarray, L1: np.ndarray | None,
                U1: np.ndarray | None, L2: np.ndarray | None, U2: np.ndarray | None,
                W: sp.csr_matrix | None, fac: SparseFactor | None = None) -> Evaluation:
        p = self.p
        sxx = S[:p, :p]
        sxy = S[:p, p]
        if p:
            Lx = np.linalg.cholesky(sxx)
            z = np.linalg.solve(Lx, sxy)
            pwrss = float(S[p, p] - z @ z)
            logdet_rx = 2.0 * float(np.sum(np.log(np.diag(Lx))))
        else:
            pwrss = float(S[p, p])
            logdet_rx = 0.0
        return Evaluation(theta, logdet, logdet_rx, pwrss, sxx, sxy, L1, U1, L2, U2, W, fac)

    def deviance(self, ev: Evaluation, reml: bool | None = None) -> float:
        """Profiled deviance (-2 log-likelihood, REML criterion when ``reml``)."""
        reml = self.reml if reml is None else reml
        if reml:
            nmp = self.n - self.p
            return ev.logdet_l + ev.logdet_rx + nmp * (1 + np.log(2 * np.pi * ev.pwrss / nmp))
        return ev.logdet_l + self.n * (1 + np.log(2 * np.pi * ev.pwrss / self.n))

    def objective(self, theta: np.ndarray) -> float:
        """Deviance at ``theta`` (inf where the factorisation fails)."""
        try:
            ev = self.evaluate(theta, blocks=False)
        except np.linalg.LinAlgError:
            return np.inf
        val = self.deviance(ev)
        return float(val) if np.isfinite(val) else np.inf

    def sigma(self, ev: Evaluation) -> float:
        """Residual standard deviation at the profiled optimum."""
        denom = self.n - self.p if self.reml else self.n
        return float(np.sqrt(ev.pwrss / denom))

    def estimates(self, ev: Evaluation) -> tuple[np.ndarray, list[np.ndarray]]:
        """Fixed effects and conditional modes b (one (nl, q) array per term)."""
        if ev.sparse is not None and not self.blocked:
            return self._estimates_sparse(ev, ev.sparse)
        if ev.L1 is None or ev.U1 is None:
            ev = self.evaluate(ev.theta, blocks=True)
        L1, U1 = ev.L1, ev.U1
        if L1 is None or U1 is None:
            raise RuntimeError("per-group factors unavailable")
        beta = np.linalg.solve(ev.sxx, ev.sxy) if self.p else np.zeros(0)
        q1 = L1.shape[1]
        r1 = U1[:, :, self.p] - U1[:, :, : self.p] @ beta
        out: list[np.ndarray] = []
        rest_b: list[np.ndarray] = []
        if self.rest and ev.L2 is not None and ev.U2 is not None and ev.W is not None:
            r2 = ev.U2[:, self.p] - ev.U2[:, : self.p] @ beta
            u2 = scipy.linalg.solve_triangular(ev.L2, r2, lower=True, trans="T")
            r1 = r1 - (ev.W.T @ u2).reshape(-1, q1)
            b2 = self.lam_rest_times(ev.theta, u2)
            for k, t in enumerate(self.rest):
                off = self.rest_offsets[k]
                rest_b.append(b2[off : off + t.nl * t.q].reshape(t.nl, t.q))
        u1 = _batched_backward(L1, r1[:, :, None])[:, :, 0]
        out.append(u1 @ self.lam(ev.theta, 0).T)
        out.extend(rest_b)
        return beta, out


    def _estimates_sparse(self, ev: Evaluation, fac: SparseFactor
                          ) -> tuple[np.ndarray, list[np.ndarray]]:
        beta = np.linalg.solve(ev.sxx, ev.sxy) if self.p else np.zeros(0)
        u = fac.solved[:, self.p] - fac.solved[:, : self.p] @ beta
        out = []
        off = 0
        for k, t in enumerate(self.terms):
            uk = u[off : off + t.nl * t.q].reshape(t.nl, t.q)
            out.append(uk @ self.lam(ev.theta, k).T)
            off += t.nl * t.q
        return beta, out


def _qr_lower(M: np.ndarray) -> np.ndarray:
    """Lower-triangular ``L`` with non-negative diagonal and ``L L' = M M'``."""
    r = np.linalg.qr(M.T, mode="r")
    L = np.asarray(r).T
    sgn = np.sign(np.diag(L))
    sgn[sgn == 0] = 1.0
    return L * sgn


@dataclass(frozen=True)
class Standardisation:
    """How the data were centred and scaled before factorising.

    ``y_s = (y - X beta_ols) / y_scale``; ``X_s = X R^-1`` (orthonormal columns,
    ``X = X_s R``); each random term's columns ``Z_s = Z A_k`` (random-slope
    covariates centred when the term has a constant column and scaled to unit
    root mean square). Every quantity is computed for the standardised model
    and mapped back exactly, so a change of units of the outcome or of any
    covariate leaves the computation unchanged up to rounding."""

    y_scale: float
    beta_ols: np.ndarray
    R: np.ndarray
    A: tuple[np.ndarray, ...]
    A_inv: tuple[np.ndarray, ...]
    A_diagonal: tuple[bool, ...]

    @property
    def beta_map(self) -> np.ndarray:
        """``T`` with ``beta = T beta_s + beta_ols`` (so ``cov(beta) = T cov_s T'``)."""
        p = self.R.shape[0]
        if p == 0:
            return np.zeros((0, 0))
        return self.y_scale * scipy.linalg.solve_triangular(self.R, np.eye(p))


def _standardise(X: np.ndarray, y: np.ndarray, terms: list[ReTerm]
                 ) -> tuple[Standardisation, np.ndarray, np.ndarray, list[ReTerm]]:
    n, p = X.shape
    if p:
        Q, R = np.linalg.qr(X)
        sgn = np.sign(np.diag(R))
        sgn[sgn == 0] = 1.0
        Q, R = Q * sgn, R * sgn[:, None]
        qty = Q.T @ y
        resid = y - Q @ qty
        corr = Q.T @ resid  # a second pass removes what rounding left in the column space
        resid = resid - Q @ corr
        qty = qty + corr
        beta_ols = scipy.linalg.solve_triangular(R, qty)
    else:
        Q, R, resid, beta_ols = X, np.zeros((0, 0)), y.astype(float), np.zeros(0)
    ss = float(resid @ resid)
    scale = float(np.sqrt(ss / max(n - p, 1)))
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    As, Ainv, diag = [], [], []
    new_terms = []
    for t in terms:
        Z = np.array(t.Z, dtype=float, copy=True)
        q = Z.shape[1]
        A = np.eye(q)
        const = [j for j in range(q) if Z[0, j] != 0 and np.ptp(Z[:, j]) == 0]
        if q >= 2 and const:
            j0 = const[0]
            c0 = Z[0, j0]
            for j in range(q):
                if j != j0 and j not in const:
                    m = float(Z[:, j].mean())
                    Z[:, j] -= m
                    A[j0, j] = -m / c0
        d = np.sqrt(np.mean(Z * Z, axis=0))
        d[~(d > 0)] = 1.0
        Z /= d
        A = A / d
        As.append(A)
        Ainv.append(np.linalg.inv(A))
        diag.append(bool(np.all(A == np.diag(np.diag(A)))))
        new_terms.append(ReTerm(t.group, t.cnames, t.codes, t.levels, Z))
    st = Standardisation(scale, beta_ols, R, tuple(As), tuple(Ainv), tuple(diag))
    return st, Q, resid / scale, new_terms


class LmmProblem:
    """Data of one linear mixed model (the engine's boundary).

    Parameters
    ----------
    X : numpy.ndarray
        Full-rank fixed-effects model matrix (n, p).
    y : numpy.ndarray
        Response (n,).
    terms : list of ReTerm
        Random-effects terms, in lme4's order.
    reml : bool
        REML criterion (True) or maximum likelihood.

    Notes
    -----
    Everything public is in the caller's units: ``theta`` is lme4's (relative
    covariance factors for the columns as given), deviances are lme4's. Inside,
    the model is standardised first (:class:`Standardisation`) and factorised
    by :class:`_Core`; ``core`` and ``std`` expose that internal problem, whose
    parameter ``theta_s`` the optimiser and the derivatives use.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, terms: list[ReTerm], reml: bool) -> None:
        self.X = X
        self.y = y
        self.terms = terms
        self.reml = reml
        self.n, self.p = X.shape
        self.std, Xs, ys, terms_s = _standardise(np.asarray(X, dtype=float),
                                                 np.asarray(y, dtype=float), terms)
        self.core = _Core(Xs, ys, terms_s, reml)
        self._last_optimum: tuple[bytes, np.ndarray] | None = None
        self.ntheta = self.core.ntheta
        self.lower = self.core.lower
        self.theta_slices = self.core.theta_slices
        self.tril = self.core.tril
        if self.p:
            self._logdet_r = 2.0 * float(np.sum(np.log(np.abs(np.diag(self.std.R)))))
        else:
            self._logdet_r = 0.0

    @property
    def rest(self) -> list[ReTerm]:
        return self.core.rest

    @property
    def Q2(self) -> int:
        return getattr(self.core, "Q2", 0)

    # ---------------------------------------------------------- parameters
    def lam(self, theta: np.ndarray, k: int) -> np.ndarray:
        """Relative covariance factor Lambda_k (q x q) of term k (caller's units)."""
        return self.core.lam(theta, k)

    def _convert(self, theta: np.ndarray, to_internal: bool) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        out = np.empty_like(theta)
        for k in range(len(self.terms)):
            lam = self.core.lam(theta, k)
            A = self.std.A_inv[k] if to_internal else self.std.A[k]
            M = A @ lam
            L = M if self.std.A_diagonal[k] else _qr_lower(M)
            r, c = self.tril[k]
            out[self.theta_slices[k]] = L[r, c]
        return out

    def to_internal(self, theta: np.ndarray) -> np.ndarray:
        """lme4's ``theta`` -> the standardised model's ``theta_s``.

        The optimiser's own result maps back to exactly the ``theta_s`` it found."""
        last = self._last_optimum
        theta = np.asarray(theta, dtype=float)
        if last is not None and last[0] == theta.tobytes():
            return last[1].copy()
        return self._convert(theta, True)

    def from_internal(self, theta_s: np.ndarray) -> np.ndarray:
        """The standardised model's ``theta_s`` -> lme4's ``theta``."""
        return self._convert(theta_s, False)

    def theta_start(self) -> np.ndarray:
        """Start of the optimiser: identity relative factors of the standardised model."""
        return self.from_internal(self.core.theta_start())

    # ------------------------------------------------------------ evaluate
    def evaluate(self, theta: np.ndarray, blocks: bool = True) -> Evaluation:
        """Factorise the standardised system at lme4's ``theta``."""
        return self.core.evaluate(self.to_internal(theta), blocks)

    def deviance_offset(self, reml: bool | None = None) -> float:
        """Deviance of the data as given minus that of the standardised data."""
        reml = self.reml if reml is None else reml
        nu = self.n - self.p if reml else self.n
        out = nu * 2.0 * np.log(self.std.y_scale)
        return out + self._logdet_r if reml else out

    def deviance(self, ev: Evaluation, reml: bool | None = None) -> float:
        """Profiled deviance (-2 log-likelihood, REML criterion when ``reml``)."""
        return float(self.core.deviance(ev, reml) + self.deviance_offset(reml))

    def objective(self, theta: np.ndarray) -> float:
        """Deviance at lme4's ``theta`` (inf where the factorisation fails)."""
        return self.core.objective(self.to_internal(theta)) + self.deviance_offset()

    def objective_internal(self, theta_s: np.ndarray) -> float:
        """Deviance at the standardised model's ``theta_s`` (caller's units)."""
        return self.core.objective(theta_s) + self.deviance_offset()

    def sigma(self, ev: Evaluation) -> float:
        """Residual standard deviation at the profiled optimum."""
        return self.core.sigma(ev) * self.std.y_scale

    def estimates(self, ev: Evaluation) -> tuple[np.ndarray, list[np.ndarray]]:
        """Fixed effects and conditional modes b (one (nl, q) array per term)."""
        beta_s, b_s = self.core.estimates(ev)
        beta = self.std.beta_map @ beta_s + self.std.beta_ols if self.p else np.zeros(0)
        b = [self.std.y_scale * (bk @ A.T) for bk, A in zip(b_s, self.std.A, strict=True)]
        return beta, b


@dataclass(frozen=True)
class OptResult:
    """Outcome of the optimiser."""

    theta: np.ndarray
    deviance: float
    evaluations: int
    status: int
    message: str


_MESSAGES = {
    1: "success",
    2: "stopval reached",
    3: "ftol reached",
    4: "xtol reached",
    5: "maxeval reached",
    6: "maxtime reached",
    -4: "roundoff limited (no further progress possible)",
}


def _bobyqa(problem: _Core, start: np.ndarray, step: float, counter: list[int]) -> OptResult:
    def f(x: np.ndarray, grad: np.ndarray) -> float:
        counter[0] += 1
        return problem.objective(x)

    opt = nlopt.opt(nlopt.LN_BOBYQA, problem.ntheta)
    opt.set_lower_bounds(problem.lower.tolist())
    opt.set_min_objective(f)
    opt.set_ftol_abs(1e-12)
    opt.set_ftol_rel(1e-14)
    opt.set_xtol_rel(1e-9)
    opt.set_maxeval(100_000)
    opt.set_initial_step(step)
    x0 = np.maximum(start, problem.lower)
    try:
        x = opt.optimize(x0.tolist())
        status = opt.last_optimize_result()
        value = opt.last_optimum_value()
    except (nlopt.RoundoffLimited, RuntimeError):
        x = x0
        status = -4
        value = problem.objective(x0)
    return OptResult(np.asarray(x), float(value), counter[0], int(status),
                     _MESSAGES.get(int(status), f"nlopt status {status}"))


def blas_threads(problem: LmmProblem) -> int | None:
    """BLAS threads for the optimisation: one unless a large dense block needs more.

    The per-evaluation matrices are small (p x p, q x q); threaded BLAS only
    adds synchronisation cost there, and badly so on a busy machine."""
    return None if problem.rest and problem.Q2 > 1000 else 1


def _newton_polish(core: _Core, theta: np.ndarray, value: float, counter: list[int],
                   max_iter: int = 25) -> tuple[np.ndarray, float, int]:
    """Projected Newton steps on the exact gradient and Hessian of the profiled
    deviance (parameters on their bound with a gradient pushing outward stay
    there). Returns the polished theta, its deviance and the steps taken."""
    from ._derivatives import theta_derivatives

    nu = core.n - core.p if core.reml else core.n
    steps = 0
    for _ in range(max_iter):
        try:
            grad, hess = theta_derivatives(core, theta, core.reml).profiled(nu)
        except (np.linalg.LinAlgError, RuntimeError, FloatingPointError):
            break
        on_bound = (theta <= core.lower) & (grad > 0)
        free = ~on_bound
        if not free.any() or not np.all(np.isfinite(grad)) or not np.all(np.isfinite(hess)):
            break
        gf = grad[free]
        if float(np.max(np.abs(gf))) < 1e-11:
            break
        hf = hess[np.ix_(free, free)]
        try:
            chol = np.linalg.cholesky(hf)
        except np.linalg.LinAlgError:
            break
        step = np.zeros_like(theta)
        step[free] = -scipy.linalg.cho_solve((chol, True), gf)
        decrease = -float(gf @ step[free])
        if not decrease > 0 or float(np.max(np.abs(step))) <= 1e-13 * max(
                1.0, float(np.max(np.abs(theta)))):
            break  # converged to rounding: a further step changes nothing measurable
        noise = 1e-10 * max(1.0, abs(value))
        if decrease < noise:
            # Within rounding of the optimum: the deviance cannot tell the full
            # Newton step from its start, so accept it unless it is visibly worse.
            cand = np.maximum(theta + step, core.lower)
            counter[0] += 1
            fc = core.objective(cand)
            if not fc <= value + noise:
                break
            old, theta, value = theta, cand, min(fc, value)
            steps += 1
            if decrease < 1e-13 * max(1.0, abs(value)):
                # the step was at rounding level: the gradient is now ~0, and the
                # Taylor expansion gives it (and the Hessian) without a new derivative
                core._predicted = (theta.tobytes(), grad + hess @ (theta - old), hess)
                break
            continue
        t = 1.0
        accepted = False
        for _ in range(20):
            cand = np.maximum(theta + t * step, core.lower)
            counter[0] += 1
            fc = core.objective(cand)
            if fc <= value:
                accepted = True
                break
            t /= 2.0
        if not accepted:
            break
        moved = float(np.max(np.abs(cand - theta)))
        theta, value = cand, fc
        steps += 1
        if moved < 1e-12:
            break
    return theta, value, steps


def _polish_converges(core: _Core, res: OptResult, counter: list[int]) -> bool:
    """Whether Newton steps from BOBYQA's result reach a zero gradient (then a second
    BOBYQA run from there, lme4-style, is not needed: the polish follows anyway)."""
    theta, _, _ = _newton_polish(core, res.theta, res.deviance, counter)
    key = theta.tobytes()
    grad = None
    if core._predicted is not None and core._predicted[0] == key:
        grad = core._predicted[1]
    cached = core._derivatives_cache
    if grad is None and cached is not None and cached[0][0] == key:
        nu = core.n - core.p if core.reml else core.n
        grad = cached[1].profiled(nu)[0]
    if grad is None:
        return False
    free = ~((theta <= core.lower) & (grad > 0))
    return bool(np.all(np.abs(grad[free]) < 1e-8))


def _edge_starts(core: _Core, theta: np.ndarray) -> list[np.ndarray]:
    """Starts on the boundary: each diagonal element of a multi-column relative
    factor set to zero in turn (the boundary optima lme4's default misses)."""
    out = []
    for k, t in enumerate(core.terms):
        if t.q < 2:
            continue
        r, c = core.tril[k]
        sl = core.theta_slices[k]
        for i in np.flatnonzero(r == c):
            idx = sl.start + int(i)
            if theta[idx] > 0:
                cand = theta.copy()
                cand[idx] = 0.0
                out.append(cand)
    return out


def _negative_curvature(core: _Core, theta: np.ndarray) -> list[np.ndarray]:
    """Feasible unit directions of negative curvature of the profiled deviance at
    ``theta``, for parameters not held on their bound by an outward gradient.

    The deviance depends on ``theta`` through ``Lambda Lambda'`` only, so a term
    whose relative factor is zero is a stationary point whatever the data: its
    gradient vanishes and a derivative-free search can stop there although the
    Hessian shows a descent direction (a saddle, not a minimum). Each direction
    is returned with both signs, components pushing a bound parameter below its
    bound removed."""
    from ._derivatives import theta_derivatives

    nu = core.n - core.p if core.reml else core.n
    try:
        grad, hess = theta_derivatives(core, theta, core.reml).profiled(nu)
    except (np.linalg.LinAlgError, RuntimeError, FloatingPointError):
        return []
    if not (np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))):
        return []
    on_bound = theta <= core.lower
    held = on_bound & (grad > 1e-6 * max(1.0, float(np.max(np.abs(hess)))))
    free = np.flatnonzero(~held)
    if not free.size:
        return []
    vals, vecs = np.linalg.eigh(hess[np.ix_(free, free)])
    tol = 1e-6 * max(1.0, float(np.max(np.abs(vals))))
    out = []
    for j in np.flatnonzero(vals < -tol):
        for sign in (1.0, -1.0):
            v = np.zeros_like(theta)
            v[free] = sign * vecs[:, j]
            v[on_bound & (v < 0)] = 0.0
            norm = float(np.linalg.norm(v))
            if norm > 0.5:  # most of the direction survives the bounds
                out.append(v / norm)
    return out


def _escape_saddle(core: _Core, theta: np.ndarray, value: float, counter: list[int],
                   ) -> tuple[np.ndarray, float]:
    """Restart from the interior along directions of negative curvature
    (:func:`_negative_curvature`) until the optimum is a local minimum."""
    for _ in range(3):
        best: tuple[np.ndarray, float] | None = None
        for v in _negative_curvature(core, theta):
            for step in (0.5, 0.1, 0.02):
                cand = np.maximum(theta + step * v, core.lower)
                counter[0] += 1
                if core.objective(cand) < value - 1e-10 * max(1.0, abs(value)):
                    res = _bobyqa(core, cand, 0.1, counter)
                    t, f, _ = _newton_polish(core, res.theta, res.deviance, counter)
                    if f < value - 1e-10 * max(1.0, abs(value)) and (best is None or f < best[1]):
                        best = (t, f)
                    break
        if best is None:
            break
        theta, value = best
    return theta, value


def optimize(problem: LmmProblem, start: np.ndarray | None = None) -> OptResult:
    """Minimise the profiled deviance of the standardised model.

    BOBYQA from lme4's start (identity relative factors, here of the
    standardised model) and again from its optimum; then restarts from the
    boundary (:func:`_edge_starts`, lme4's ``restart_edge`` / ``allFit``
    idea), keeping the best; then Newton steps on the exact gradient and
    Hessian (:func:`_newton_polish`) so that the optimum, and the inference
    taken at it, do not depend on where the derivative-free search stopped;
    finally, where that Hessian has negative curvature (a saddle such as a
    zero relative factor), restarts from the interior (:func:`_escape_saddle`).
    ``start`` is in lme4's units."""
    core = problem.core
    counter = [0]
    x0 = core.theta_start() if start is None else problem.to_internal(start)
    with limit_blas(blas_threads(problem)):
        first = _bobyqa(core, x0, 0.2, counter)
        best = first
        if not (core.blocked and _polish_converges(core, first, counter)):
            second = _bobyqa(core, first.theta, 0.02, counter)
            best = second if second.deviance < first.deviance else first
        for cand in _edge_starts(core, best.theta):
            edge = core.objective(cand)
            if edge > best.deviance + 10.0:
                continue
            # a boundary optimum needs the deviance to rise when moving inward from the
            # edge; where it falls, the search from there returns to the interior optimum
            i = int(np.flatnonzero(cand != best.theta)[0])
            inward = cand.copy()
            inward[i] = 0.05 * best.theta[i]
            counter[0] += 2
            if core.objective(inward) < edge:
                continue
            alt = _bobyqa(core, cand, 0.02, counter)
            if alt.deviance < best.deviance - 1e-9:
                best = alt
        theta, value = best.theta, best.deviance
        if core.blocked:  # exact derivatives (finite differences are not worth a Newton step)
            theta, value, _ = _newton_polish(core, theta, value, counter)
            if np.any(theta[core.lower == 0] <= 0):  # saddles lie where a relative factor is 0
                theta, value = _escape_saddle(core, theta, value, counter)
    theta_o = problem.from_internal(theta)
    problem._last_optimum = (theta_o.tobytes(), theta)
    return OptResult(theta_o, value + problem.deviance_offset(), counter[0], best.status,
                     best.message)


def convergence(problem: LmmProblem, theta: np.ndarray) -> dict[str, np.ndarray]:
    """lme4's convergence check with exact derivatives: the gradient of the
    profiled deviance and the gradient scaled by the Cholesky factor of its
    Hessian (``solve(chol(H), g)``), in the standardised model's parameters
    (unit-free, so the check does not depend on the data's units)."""
    from ._derivatives import theta_derivatives

    core = problem.core
    theta_s = problem.to_internal(theta)
    nu = core.n - core.p if core.reml else core.n
    predicted = core._predicted
    if predicted is not None and predicted[0] == theta_s.tobytes():
        # the optimiser's last Newton step was at rounding level (see _newton_polish)
        grad, hess = predicted[1], predicted[2]
        try:
            scaled = scipy.linalg.solve_triangular(np.linalg.cholesky(hess), grad, lower=True)
        except np.linalg.LinAlgError:
            scaled = grad.copy()
        return {"gradient": grad, "scaled_gradient": scaled}
    try:
        # with the Jacobian, so that the Satterthwaite df reuse these derivatives
        grad, hess = theta_derivatives(core, theta_s, core.reml).profiled(nu)
    except (np.linalg.LinAlgError, RuntimeError):
        grad = np.full(len(theta_s), np.nan)
        return {"gradient": grad, "scaled_gradient": grad.copy()}
    try:
        scaled = scipy.linalg.solve_triangular(np.linalg.cholesky(hess), grad, lower=True)
    except np.linalg.LinAlgError:
        scaled = grad.copy()
    return {"gradient": grad, "scaled_gradient": scaled}
