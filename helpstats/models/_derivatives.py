"""Exact derivatives of the (RE)ML deviance in the covariance parameters.

With ``W = I + Z Lambda Lambda' Z'`` (the marginal covariance over ``sigma^2``),
``P = W^-1 - W^-1 X (X'W^-1X)^-1 X'W^-1`` and a covariance parameter ``t_a``
with ``d(Lambda Lambda')/dt_a = G_a`` (block diagonal: one small matrix
``g_a`` repeated over the levels of one term), the classical results are::

    d log|W| (+ log|X'W^-1X|)   / dt_a       = tr(M G_a)
    d^2 ...                     / dt_a dt_b  = tr(M G_ab) - tr(M G_a M G_b)
    d pwrss / dt_a                           = -v' G_a v
    d^2 pwrss / dt_a dt_b                    = 2 (G_a v)' M_P (G_b v) - v' G_ab v

with ``M = Z' W^-1 Z`` (ML) or ``M_P = Z' P Z`` (REML), and ``v = Z' r`` the
random-effects cross-product of the penalised residual ``r = W^-1 (y - X beta)``.
``M`` is never formed from raw cross-products of the data: it is
``A - A Lambda C^-1 Lambda' A`` with ``C = L L'`` the engine's blocked Cholesky
factor, kept in the engine's layout -- block diagonal plus low rank for the
first grouping factor, dense for the others (Q2 columns). These are the
derivatives MixedModels.jl obtains by automatic differentiation; here they are
in closed form, exact to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ._engine import Evaluation, _batched_forward, _Core

__all__ = ["MBlocks", "ZtMatrices", "fd_theta_derivatives", "theta_derivatives", "zt_matrices"]


@dataclass(frozen=True)
class _Layout:
    l1: int
    q1: int
    rest: tuple[tuple[int, int, int], ...]  # (offset, levels, columns) of each later term

    def rest_slice(self, k: int) -> slice:
        off, nl, q = self.rest[k - 1]
        return slice(off, off + nl * q)


def _right(X: np.ndarray, nl: int, q: int, g: np.ndarray) -> np.ndarray:
    """``X (I_nl kron g)`` for X with nl*q columns."""
    shape = X.shape
    return (X.reshape(*shape[:-1], nl, q) @ g).reshape(shape)


def _gmul(g: np.ndarray, blk: np.ndarray) -> np.ndarray:
    """``g @ blk[l]`` for every l (g small, blk (l, q, m)), as q broadcast products:
    faster than a batched matmul of tiny matrices."""
    q = g.shape[1]
    if q > 3:
        return np.asarray(g @ blk)
    out = g[None, :, 0, None] * blk[:, None, 0, :]
    for b in range(1, q):
        out += g[None, :, b, None] * blk[:, None, b, :]
    return out


class MBlocks:
    """``Z' W^-1 Z`` or ``Z' P Z``: blocks ``B - F F'`` (first factor), ``M1r``, ``Mrr``."""

    def __init__(self, layout: _Layout, B: np.ndarray, F: np.ndarray, M1r: np.ndarray,
                 Mrr: np.ndarray) -> None:
        self.lay = layout
        self.B, self.F, self.M1r, self.Mrr = B, F, M1r, Mrr
        self._GF: dict[int, np.ndarray] = {}
        # sums over the first factor's groups of products of its q x q blocks, so that
        # each trace below costs O(q^4), not O(groups q^3); the per-group blocks F_l F_l'
        # are not kept (memory: one (groups, q, q) array less per matrix)
        q = B.shape[1]
        Bf = B.reshape(B.shape[0], q * q)
        self.BB = (Bf.T @ Bf).reshape(q, q, q, q)
        if F.shape[2]:
            FFt = F @ np.swapaxes(F, 1, 2)
            self.BF = (Bf.T @ FFt.reshape(B.shape[0], q * q)).reshape(q, q, q, q)
            FFt -= B  # -(diagonal blocks of the first factor), in place
            self.D1_sum = -FFt.sum(axis=0)
        else:
            self.BF = np.zeros((q, q, q, q))
            self.D1_sum = B.sum(axis=0)

    # vectors / matrices over all Q random-effect coordinates --------------
    def apply(self, k: int, g: np.ndarray, X: np.ndarray) -> np.ndarray:
        """``G X`` for G = I kron g on term k (rows of other terms are zero)."""
        lay = self.lay
        n1 = lay.l1 * lay.q1
        if k == 0 and X.shape[0] == n1:  # one grouping factor: no zero rows to add
            return _gmul(g, X.reshape(lay.l1, lay.q1, -1)).reshape(X.shape)
        out = np.zeros_like(X)
        if k == 0:
            blk = X[:n1].reshape(lay.l1, lay.q1, -1)
            out[:n1] = _gmul(g, blk).reshape(n1, -1)
        else:
            s = lay.rest_slice(k)
            _, nl, q = lay.rest[k - 1]
            rows = slice(n1 + s.start, n1 + s.stop)
            blk = X[rows].reshape(nl, q, -1)
            out[rows] = _gmul(g, blk).reshape(nl * q, -1)
        return out

    def matmul(self, X: np.ndarray) -> np.ndarray:
        """``M X`` for X with Q rows."""
        lay = self.lay
        n1 = lay.l1 * lay.q1
        X1 = X[:n1].reshape(lay.l1, lay.q1, -1)
        Xr = X[n1:]
        F = self.F
        r = F.shape[2]
        top = self.B @ X1
        if r:
            Ff = F.reshape(n1, r)
            top = top - (Ff @ (Ff.T @ X[:n1])).reshape(top.shape)
        top = top.reshape(n1, -1)
        if Xr.shape[0]:
            M1r = self.M1r.reshape(n1, -1)
            top = top + M1r @ Xr
            bottom = M1r.T @ X[:n1] + self.Mrr @ Xr
            return np.vstack([top, bottom])
        return top

    # traces ----------------------------------------------------------------
    def trace1(self, k: int, g: np.ndarray) -> float:
        """``tr(M G)``."""
        if k == 0:
            return float(np.sum(self.D1_sum * g.T))
        s = self.lay.rest_slice(k)
        _, nl, q = self.lay.rest[k - 1]
        blocks = self.Mrr[s, s].reshape(nl, q, nl, q)
        summed = np.einsum("aiaj->ij", blocks)
        return float(np.sum(summed * g.T))

    def _gf(self, key: int, g: np.ndarray) -> np.ndarray:
        hit = self._GF.get(key)
        if hit is None:
            F = self.F
            n1 = self.lay.l1 * self.lay.q1
            GF = (g @ F).reshape(n1, -1)
            hit = F.reshape(n1, -1).T @ GF
            self._GF[key] = hit
        return hit

    def trace2(self, k1: int, g1: np.ndarray, k2: int, g2: np.ndarray,
               keys: tuple[int, int] | None = None) -> float:
        """``tr(M G1 M G2)`` (``keys`` cache the first factor's ``F' G F`` products)."""
        if k1 != 0 and k2 == 0:
            k1, g1, k2, g2 = k2, g2, k1, g1
            keys = None if keys is None else (keys[1], keys[0])
        lay = self.lay
        if k1 == 0 and k2 == 0:
            # sum_l tr(B_l g1 B_l g2) - tr(B_l g1 FF'_l g2) - tr(FF'_l g1 B_l g2)
            t = np.einsum("abcd,bc,da->", self.BB, g1, g2)
            if self.F.shape[2]:
                t -= np.einsum("abcd,bc,da->", self.BF, g1, g2)
                t -= np.einsum("abcd,da,bc->", self.BF, g1, g2)
                if keys is None:
                    n1 = lay.l1 * lay.q1
                    Ff = self.F.reshape(n1, -1)
                    S1 = Ff.T @ (g1 @ self.F).reshape(n1, -1)
                    S2 = Ff.T @ (g2 @ self.F).reshape(n1, -1)
                else:
                    S1, S2 = self._gf(keys[0], g1), self._gf(keys[1], g2)
                t += np.sum(S1 * S2.T)
            return float(t)
        if k1 == 0:
            s = lay.rest_slice(k2)
            _, nl, q = lay.rest[k2 - 1]
            M1s = self.M1r[:, :, s]
            E = _right(M1s, nl, q, g2)
            return float(np.einsum("ab,lbq,laq->", g1, E, M1s))
        s1, s2 = lay.rest_slice(k1), lay.rest_slice(k2)
        _, nl1, qa = lay.rest[k1 - 1]
        _, nl2, qb = lay.rest[k2 - 1]
        X = _right(self.Mrr[s2, s1], nl1, qa, g1)
        Y = _right(self.Mrr[s1, s2], nl2, qb, g2)
        return float(np.sum(X * Y.T))


@dataclass(frozen=True)
class ZtMatrices:
    """Everything the derivatives need at one ``theta_s`` (standardised units)."""

    MW: MBlocks  # Z' W^-1 Z
    MP: MBlocks  # Z' P Z
    H: np.ndarray  # Z' W^-1 X (Q, p)
    K: np.ndarray  # (X' W^-1 X)^-1
    v: np.ndarray  # Z' r, r = W^-1 (y - X beta)
    pwrss: float
    layout: _Layout


def _zt_residual(core: _Core, ev: Evaluation) -> np.ndarray:
    """``Z' r`` with ``r = W^-1 (y - X beta)`` the penalised residual (over all terms)."""
    beta_s, b_s = core.estimates(ev)
    r = core.y - core.X @ beta_s
    for t, b in zip(core.terms, b_s, strict=True):
        r -= np.einsum("nq,nq->n", t.Z, b[t.codes])
    del b_s
    parts = []
    for t in core.terms:
        zr = np.empty((t.nl, t.q))
        for a in range(t.q):
            zr[:, a] = np.bincount(t.codes, weights=t.Z[:, a] * r, minlength=t.nl)
        parts.append(zr.ravel())
    return np.concatenate(parts)


def zt_matrices(core: _Core, theta_s: np.ndarray, ev: Evaluation | None = None) -> ZtMatrices:
    """Form ``Z'W^-1Z``, ``Z'PZ``, ``Z'W^-1X`` and ``Z'r`` from the blocked factor."""
    if ev is None or ev.L1 is None:
        ev = core.evaluate(theta_s, blocks=True)
    L1, U1 = ev.L1, ev.U1
    if L1 is None or U1 is None:
        raise RuntimeError("per-group factors unavailable")
    t1 = core.terms[0]
    l1, q1 = t1.nl, t1.q
    n1 = l1 * q1
    p = core.p
    lam1 = core.lam(theta_s, 0)
    rest = tuple((off, t.nl, t.q) for off, t in zip(core.rest_offsets, core.rest, strict=True))
    lay = _Layout(l1, q1, rest)
    Q2 = core.Q2 if core.rest else 0
    # Z'r first: its (observations x columns) temporaries are gone before the blocks exist
    v = _zt_residual(core, ev)
    T = _batched_forward(L1, lam1.T @ core.A11)  # L1^-1 Lambda1' A11, per group
    Tt = np.swapaxes(T, 1, 2)
    B = core.A11 - Tt @ T
    U1x = U1[:, :, :p]
    H1 = core.B1[:, :, :p] - Tt @ U1x
    if Q2:
        A1r = np.zeros((l1, q1, Q2))
        for k, (lev, grp) in enumerate(core.pairs):
            off, nl, q = rest[k]
            vals = core.pair_vals[k]  # (pairs, q_k, q1) = Z_k' Z_1
            for a in range(q):
                A1r[grp, :, off + lev * q + a] = vals[:, a, :]  # (level, group) pairs are unique
        Y1r = _batched_forward(L1, lam1.T @ A1r)
        Wd = ev.W.toarray() if ev.W is not None else np.zeros((Q2, n1))
        L2 = ev.L2
        U2 = ev.U2
        if L2 is None or U2 is None:
            raise RuntimeError("Schur factor unavailable")
        WT = np.einsum("rlb,lbc->rlc", Wd.reshape(Q2, l1, q1), T).reshape(Q2, n1)
        lamr_Ar1 = core._rest_left(theta_s, A1r.reshape(n1, Q2).T)
        Y2_1 = scipy.linalg.solve_triangular(L2, lamr_Ar1 - WT, lower=True)
        Y1r_f = Y1r.reshape(n1, Q2)
        Y2_r = scipy.linalg.solve_triangular(
            L2, core._rest_left(theta_s, core.A22) - Wd @ Y1r_f, lower=True)
        Fr = Y2_1.T.reshape(l1, q1, Q2)
        M1r = A1r - (Tt @ Y1r) - (Y2_1.T @ Y2_r).reshape(l1, q1, Q2)
        Mrr = core.A22 - Y1r_f.T @ Y1r_f - Y2_r.T @ Y2_r
        U2x = U2[:, :p]
        H1 = H1 - (Y2_1.T @ U2x).reshape(l1, q1, p)
        Hr = core.C2[:, :p] - Y1r_f.T @ U1x.reshape(n1, p) - Y2_r.T @ U2x
    else:
        Fr = np.zeros((l1, q1, 0))
        M1r = np.zeros((l1, q1, 0))
        Mrr = np.zeros((0, 0))
        Hr = np.zeros((0, p))
    del T, Tt
    H = np.vstack([H1.reshape(n1, p), Hr]) if Q2 else H1.reshape(n1, p)
    del H1
    MW = MBlocks(lay, B, Fr, M1r, Mrr)
    if p:
        Lk = np.linalg.cholesky(ev.sxx)
        K = scipy.linalg.cho_solve((Lk, True), np.eye(p))
        Fx = scipy.linalg.solve_triangular(Lk, H.T, lower=True).T  # H Lk^-T
    else:
        K = np.zeros((0, 0))
        Fx = np.zeros((H.shape[0], 0))
    Fx1 = Fx[:n1].reshape(l1, q1, p)
    Fxr = Fx[n1:]
    MP = MBlocks(lay, B, np.concatenate([Fr, Fx1], axis=2) if Q2 else Fx1,
                 M1r - Fx1 @ Fxr.T, Mrr - Fxr @ Fxr.T)
    return ZtMatrices(MW, MP, H, K, v, float(ev.pwrss), lay)


def _dlam(core: _Core, theta_s: np.ndarray) -> list[tuple[int, np.ndarray, int, int]]:
    """(term, G_a = d(Lambda Lambda')/d theta_a, row, column) for each theta."""
    out = []
    for k in range(len(core.terms)):
        lam = core.lam(theta_s, k)
        q = lam.shape[0]
        for r, c in zip(*core.tril[k], strict=True):
            E = np.zeros((q, q))
            E[r, c] = 1.0
            out.append((k, E @ lam.T + lam @ E.T, int(r), int(c)))
    return out


@dataclass(frozen=True)
class ThetaDerivatives:
    """Derivatives at ``theta_s`` of the pieces of the profiled deviance."""

    logdet: float  # log|W| (+ log|X'W^-1X| for REML)
    grad_logdet: np.ndarray
    hess_logdet: np.ndarray
    pwrss: float
    grad_pwrss: np.ndarray
    hess_pwrss: np.ndarray
    dK: np.ndarray  # (k, p, p): d (X'W^-1X)^-1 / d theta_a
    K: np.ndarray
    mats: ZtMatrices | None  # None when taken by finite differences (large sparse models)

    def profiled(self, nu: int) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Hessian of ``logdet + nu log(pwrss)`` (sigma profiled out)."""
        pw, g, h = self.pwrss, self.grad_pwrss, self.hess_pwrss
        grad = self.grad_logdet + nu * g / pw
        hess = self.hess_logdet + nu * (h / pw - np.outer(g, g) / pw**2)
        return grad, hess


def theta_derivatives(core: _Core, theta_s: np.ndarray, reml: bool,
                      ev: Evaluation | None = None, jacobian: bool = True) -> ThetaDerivatives:
    """Exact gradient and Hessian in ``theta_s`` of the deviance's log-determinant
    and penalised residual sum of squares, and (``jacobian``) the Jacobian of
    ``(X'W^-1X)^-1``."""
    key = (np.asarray(theta_s, dtype=float).tobytes(), reml)
    cached = getattr(core, "_derivatives_cache", None)
    if cached is not None and cached[0] == key and (cached[1].dK.shape[0] or not jacobian):
        return cached[1]
    core._derivatives_cache = None  # free the last ones before forming new (memory)
    if not core.blocked:
        out = fd_theta_derivatives(core, np.asarray(theta_s, dtype=float), reml)
        core._derivatives_cache = (key, out)
        return out
    if ev is None or ev.L1 is None:
        ev = core.evaluate(theta_s, blocks=True)
    mats = zt_matrices(core, theta_s, ev)
    M = mats.MP if reml else mats.MW
    dl = _dlam(core, theta_s)
    k = len(dl)
    Q = mats.v.shape[0]
    gl = np.array([M.trace1(t, G) for t, G, _, _ in dl])
    gv = [M.apply(t, G, mats.v[:, None]) for t, G, _, _ in dl]
    gp = np.array([-float(mats.v @ x[:, 0]) for x in gv])
    hl = np.empty((k, k))
    hp = np.empty((k, k))
    for b in range(k):
        tb, Gb, rb, cb = dl[b]
        MPgv = mats.MP.matmul(gv[b])[:, 0]  # one Q-vector at a time (memory)
        for a in range(b, k):
            ta, Ga, ra, ca = dl[a]
            second = 0.0
            pw2 = 0.0
            if ta == tb and ca == cb:
                q = Ga.shape[0]
                Gab = np.zeros((q, q))
                Gab[ra, rb] += 1.0
                Gab[rb, ra] += 1.0
                second = M.trace1(ta, Gab)
                pw2 = float(mats.v @ M.apply(ta, Gab, mats.v[:, None])[:, 0])
            hl[a, b] = hl[b, a] = second - M.trace2(ta, Ga, tb, Gb, keys=(a, b))
            hp[a, b] = hp[b, a] = 2.0 * float(gv[a][:, 0] @ MPgv) - pw2
    del gv
    p = core.p
    dK = np.empty((k if jacobian else 0, p, p))
    for a, (t, G, _, _) in enumerate(dl[: len(dK)]):
        GH = M.apply(t, G, mats.H) if Q else np.zeros_like(mats.H)
        dK[a] = mats.K @ (mats.H.T @ GH) @ mats.K
    logdet = ev.logdet_l + (ev.logdet_rx if reml else 0.0)
    out = ThetaDerivatives(logdet, gl, hl, mats.pwrss, gp, hp, dK, mats.K, mats)
    core._derivatives_cache = (key, out)  # the optimiser's last step, reused by the checks
    return out


def fd_theta_derivatives(core: _Core, theta_s: np.ndarray, reml: bool) -> ThetaDerivatives:
    """The same derivatives by central differences of the sparse factorisation.

    For models whose later random terms have more than ``DENSE_LIMIT`` columns
    (large crossed designs), where ``Z'W^-1Z`` is too large to hold densely.
    The pieces (log-determinant, penalised RSS, ``(X'W^-1X)^-1``) are
    differentiated in the standardised model's parameters, whose scale is one,
    with steps ``2e-4 max(|theta|, 0.1)``: truncation and rounding errors are
    then about 1e-7 relative (lmerTest differentiates the deviance numerically
    too, in lme4's parameters). ``1 + k + k(k+1)/2 + k(k-1)/2`` factorisations
    for ``k`` parameters. Kenward-Roger, which needs ``Z'PZ``, is not available
    for these models.
    """
    k = len(theta_s)
    h = 2e-4 * np.maximum(np.abs(theta_s), 0.1)
    p = core.p

    def pieces(t: np.ndarray) -> tuple[float, float, np.ndarray]:
        ev = core.evaluate(t, blocks=False)
        logdet = ev.logdet_l + (ev.logdet_rx if reml else 0.0)
        K = np.linalg.inv(ev.sxx) if p else np.zeros((0, 0))
        return logdet, ev.pwrss, K

    eye = np.eye(k)
    f0 = pieces(theta_s)
    plus = [pieces(theta_s + h[a] * eye[a]) for a in range(k)]
    minus = [pieces(theta_s - h[a] * eye[a]) for a in range(k)]
    pairs: dict[tuple[int, int], tuple[tuple[float, float, np.ndarray], ...]] = {}
    for a in range(k):
        for b in range(a):
            step = h[a] * eye[a] + h[b] * eye[b]
            pairs[a, b] = (pieces(theta_s + step), pieces(theta_s - step))
    grads, hessians = [], []
    for j in (0, 1):
        g = np.array([(plus[a][j] - minus[a][j]) / (2 * h[a]) for a in range(k)])
        H = np.empty((k, k))
        for a in range(k):
            H[a, a] = (plus[a][j] - 2 * f0[j] + minus[a][j]) / h[a] ** 2
            for b in range(a):
                pp, mm = pairs[a, b]
                num = (pp[j] - plus[a][j] - plus[b][j] + 2 * f0[j] - minus[a][j] - minus[b][j]
                       + mm[j])
                H[a, b] = H[b, a] = num / (2 * h[a] * h[b])
        grads.append(g)
        hessians.append(H)
    dK = np.array([(plus[a][2] - minus[a][2]) / (2 * h[a]) for a in range(k)]).reshape(k, p, p)
    return ThetaDerivatives(float(f0[0]), grads[0], hessians[0], float(f0[1]), grads[1],
                            hessians[1], dK, f0[2], None)
