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

import nlopt
import numpy as np
import scipy.sparse as sp

__all__ = ["Evaluation", "LmmProblem", "OptResult", "ReTerm", "optimize"]


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


def _tril_index(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each theta element (lower triangle, column-major as lme4)."""
    rows, cols = [], []
    for j in range(q):
        for i in range(j, q):
            rows.append(i)
            cols.append(j)
    return np.array(rows), np.array(cols)


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
    L1: np.ndarray
    U1: np.ndarray
    L2: np.ndarray | None
    U2: np.ndarray | None
    W: sp.csr_matrix | None


class LmmProblem:
    """Data of one linear mixed model, with cross-products computed once."""

    def __init__(self, X: np.ndarray, y: np.ndarray, terms: list[ReTerm], reml: bool) -> None:
        self.X = X
        self.y = y
        self.terms = terms
        self.reml = reml
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
        # theta bookkeeping
        self.theta_slices: list[slice] = []
        self.tril: list[tuple[np.ndarray, np.ndarray]] = []
        start = 0
        lower: list[float] = []
        for t in terms:
            self.theta_slices.append(slice(start, start + t.ntheta))
            rows, cols = _tril_index(t.q)
            self.tril.append((rows, cols))
            lower.extend(0.0 if i == j else -np.inf for i, j in zip(rows, cols, strict=True))
            start += t.ntheta
        self.ntheta = start
        self.lower = np.array(lower)
        # further terms: sparse Zr (n x Q2)
        self.rest = terms[1:]
        if self.rest:
            blocks = []
            self.rest_offsets = []
            off = 0
            for t in self.rest:
                rows = np.repeat(np.arange(self.n), t.q)
                cols = (t.codes[:, None] * t.q + np.arange(t.q)[None, :]).ravel()
                blocks.append(
                    sp.csr_matrix((t.Z.ravel(), (rows, cols)), shape=(self.n, t.nl * t.q))
                )
                self.rest_offsets.append(off)
                off += t.nl * t.q
            self.Q2 = off
            Zr = sp.hstack(blocks).tocsc()
            rows1 = np.repeat(np.arange(self.n), q1)
            cols1 = (g1[:, None] * q1 + np.arange(q1)[None, :]).ravel()
            Z1 = sp.csr_matrix((t1.Z.ravel(), (rows1, cols1)), shape=(self.n, l1 * q1))
            self.A22 = (Zr.T @ Zr).toarray()
            self.A21 = (Zr.T @ Z1).tocsr()
            self.C2 = Zr.T @ XY
            self.bsr_indices = np.arange(l1)
            self.bsr_indptr = np.arange(l1 + 1)

    # ------------------------------------------------------------------ theta
    def lam(self, theta: np.ndarray, k: int) -> np.ndarray:
        """Relative covariance factor Lambda_k (q x q) of term k."""
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

    def lam_rest(self, theta: np.ndarray) -> sp.csr_matrix:
        """Block-diagonal Lambda of the terms after the first (Q2 x Q2)."""
        return sp.block_diag(
            [sp.kron(sp.identity(t.nl), self.lam(theta, k + 1)) for k, t in enumerate(self.rest)],
            format="csr",
        )

    # ------------------------------------------------------------- factorise
    def evaluate(self, theta: np.ndarray) -> Evaluation:
        """Factorise the penalised system at ``theta``."""
        theta = np.asarray(theta, dtype=float)
        lam1 = self.lam(theta, 0)
        M = lam1.T @ self.A11 @ lam1 + self.eye1
        L1 = _batched_cholesky(M)
        U1 = _batched_forward(L1, lam1.T @ self.B1)  # (l1, q1, p1)
        U1flat = U1.reshape(-1, self.p1)
        S = self.xy_cross - U1flat.T @ U1flat
        logdet = 2.0 * float(np.sum(np.log(np.diagonal(L1, axis1=1, axis2=2))))
        L2 = U2 = W = None
        if self.rest:
            lr = self.lam_rest(theta)
            q1 = L1.shape[1]
            linv = _batched_forward(L1, np.broadcast_to(self.eye1, L1.shape).copy())
            D = lam1 @ np.transpose(linv, (0, 2, 1))  # Lambda1 L1^{-T}
            Dbsr = sp.bsr_matrix(
                (D, self.bsr_indices, self.bsr_indptr), shape=(D.shape[0] * q1, D.shape[0] * q1)
            )
            W = (lr.T @ self.A21 @ Dbsr).tocsr()
            C22 = (lr.T @ sp.csr_matrix(self.A22) @ lr).toarray() + np.eye(self.Q2)
            C22 -= (W @ W.T).toarray()
            L2 = np.linalg.cholesky(C22)
            rhs = lr.T @ self.C2 - W @ U1flat
            U2 = np.linalg.solve(L2, rhs) if self.Q2 else rhs
            S = S - U2.T @ U2
            logdet += 2.0 * float(np.sum(np.log(np.diag(L2))))
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
        return Evaluation(theta, logdet, logdet_rx, pwrss, sxx, sxy, L1, U1, L2, U2, W)

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
            ev = self.evaluate(theta)
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
        beta = np.linalg.solve(ev.sxx, ev.sxy) if self.p else np.zeros(0)
        q1 = ev.L1.shape[1]
        r1 = ev.U1[:, :, self.p] - ev.U1[:, :, : self.p] @ beta
        out: list[np.ndarray] = []
        rest_b: list[np.ndarray] = []
        if self.rest and ev.L2 is not None and ev.U2 is not None and ev.W is not None:
            r2 = ev.U2[:, self.p] - ev.U2[:, : self.p] @ beta
            u2 = np.linalg.solve(ev.L2.T, r2)
            r1 = r1 - (ev.W.T @ u2).reshape(-1, q1)
            b2 = self.lam_rest(ev.theta) @ u2
            for k, t in enumerate(self.rest):
                off = self.rest_offsets[k]
                rest_b.append(b2[off : off + t.nl * t.q].reshape(t.nl, t.q))
        u1 = _batched_backward(ev.L1, r1[:, :, None])[:, :, 0]
        out.append(u1 @ self.lam(ev.theta, 0).T)
        out.extend(rest_b)
        return beta, out


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
}


def _bobyqa(problem: LmmProblem, start: np.ndarray, step: float, counter: list[int]) -> OptResult:
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


def optimize(problem: LmmProblem, start: np.ndarray | None = None) -> OptResult:
    """Minimise the profiled deviance: BOBYQA, then a restart from its optimum."""
    counter = [0]
    x0 = problem.theta_start() if start is None else start
    first = _bobyqa(problem, x0, 0.2, counter)
    second = _bobyqa(problem, first.theta, 0.02, counter)
    best = second if second.deviance <= first.deviance else first
    return OptResult(best.theta, best.deviance, counter[0], best.status, best.message)
