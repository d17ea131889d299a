"""The MMRM likelihood: (RE)ML deviance, its analytic gradient and observed Hessian.

The model is ``y_s = X_s beta + e_s`` with ``e_s ~ N(0, V_s)`` independently over
subjects ``s``, where ``V_s = W_s^{-1/2} Sigma_g[visits of s] W_s^{-1/2}`` (``W_s``
the precision weights, SAS's ``WEIGHT`` statement, ``g`` the subject's group).
Rows are multiplied by ``sqrt(w)``, so every subject with the same group and the
same observed visits (a *block*) shares one matrix ``Sigma_b``. All that the
deviance, its gradient and its Hessian need are the block moments

``MXX = sum_s X_s (x) X_s``, ``MXR = sum_s X_s (x) r_s``, ``MRR = sum_s r_s r_s'``

of the design and of the ordinary-least-squares residuals ``r`` (residuals rather
than ``y`` keep the cross-products free of cancellation), so one evaluation costs
the same for 200 or 20,000 subjects.

With ``phi`` the SAS covariance parameters, ``u = V^{-1} e`` and
``Phi = (X'V^{-1}X)^{-1}``, the deviance is
``-2 l = sum log|V_s| + [REML: log|X'V^{-1}X|] + e'V^{-1}e + const``; its gradient
``sum_b <dSigma_b/dphi_i, n_b S - [REML: S C_b S] - U_b>`` (``S = Sigma_b^{-1}``,
``C_b = sum X_s Phi X_s'``, ``U_b = sum u_s u_s'``) and its Hessian is the observed
one (Jennrich & Schluchter 1986), written with the Kenward–Roger matrices
``P_i = X'V^{-1}V_iV^{-1}X``, ``Q_ij = X'V^{-1}V_iV^{-1}V_jV^{-1}X`` and
``R_ij = X'V^{-1}V_ijV^{-1}X``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize

from ...errors import ModelError
from ._structures import Structure

__all__ = ["Block", "Evaluation", "KrMatrices", "MmrmProblem", "OptSummary", "fit_problem"]

_LOG2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True, eq=False)
class Block:
    """Subjects of one group sharing the same observed visits."""

    group: int
    visits: np.ndarray          # visit indices (non-spatial) or row positions
    dist: np.ndarray | None     # distances between the visits (spatial)
    subjects: np.ndarray        # subject codes, in order
    X: np.ndarray               # (n_b, k, p), rows scaled by sqrt(w)
    r: np.ndarray               # (n_b, k) OLS residuals, scaled by sqrt(w)
    MXX: np.ndarray = field(init=False)
    MXR: np.ndarray = field(init=False)
    MRR: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "MXX", np.einsum("skp,slq->kplq", self.X, self.X))
        object.__setattr__(self, "MXR", np.einsum("skp,sl->kpl", self.X, self.r))
        object.__setattr__(self, "MRR", self.r.T @ self.r)

    @property
    def n(self) -> int:
        """Number of subjects."""
        return int(self.X.shape[0])


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Deviance and what inference needs at one parameter vector."""

    deviance: float
    gradient: np.ndarray       # d(-2 l)/d phi
    beta: np.ndarray
    Phi: np.ndarray            # (X'V^-1 X)^-1
    S: list[np.ndarray]        # per block Sigma_b^-1
    E: list[np.ndarray]        # per block sum_s e_s e_s'


@dataclass(frozen=True, eq=False)
class KrMatrices:
    """``P_i``, ``Q_ij``, ``R_ij`` (each ``p x p``) of Kenward & Roger (1997)."""

    P: np.ndarray   # (q, p, p)
    Q: np.ndarray   # (q, q, p, p)
    R: np.ndarray   # (q, q, p, p)


@dataclass(frozen=True)
class OptSummary:
    """How the optimiser ended."""

    converged: bool
    message: str
    evaluations: int
    newton_steps: int
    gradient_norm: float


@dataclass(frozen=True, eq=False)
class MmrmProblem:
    """Data and covariance structures of one MMRM fit."""

    structures: tuple[Structure, ...]   # one per group
    blocks: tuple[Block, ...]
    beta0: np.ndarray
    n_obs: int
    p: int
    reml: bool
    log_weights: float                  # sum of log w

    @property
    def offsets(self) -> list[int]:
        """Start of each group's parameters in ``phi``."""
        out = [0]
        for s in self.structures:
            out.append(out[-1] + s.n_par)
        return out

    @property
    def n_par(self) -> int:
        """Number of covariance parameters."""
        return self.offsets[-1]

    def split(self, vec: np.ndarray) -> list[np.ndarray]:
        """Split a parameter vector by group."""
        off = self.offsets
        return [vec[off[g]:off[g + 1]] for g in range(len(self.structures))]

    def phi_from_theta(self, theta: np.ndarray) -> np.ndarray:
        """SAS parameters of all groups from unconstrained ones."""
        return np.concatenate([s.phi_from_theta(t) for s, t in
                               zip(self.structures, self.split(theta), strict=True)])

    def theta_from_phi(self, phi: np.ndarray) -> np.ndarray:
        """Unconstrained parameters of all groups."""
        return np.concatenate([s.theta_from_phi(t) for s, t in
                               zip(self.structures, self.split(phi), strict=True)])

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """Block-diagonal ``d phi / d theta``."""
        return linalg.block_diag(*[s.jacobian(t) for s, t in
                                   zip(self.structures, self.split(theta), strict=True)])

    def block_sigmas(self, phi: np.ndarray) -> list[np.ndarray]:
        """Per block ``Sigma_b`` (NaN where ``phi`` is outside the structure's domain)."""
        with np.errstate(invalid="ignore"):
            return self._block_sigmas(phi)

    def _block_sigmas(self, phi: np.ndarray) -> list[np.ndarray]:
        full = [None if s.spatial else s.sigma(p).real
                for s, p in zip(self.structures, self.split(phi), strict=True)]
        out = []
        pg = self.split(phi)
        for b in self.blocks:
            if self.structures[b.group].spatial:
                out.append(self.structures[b.group].sigma(pg[b.group], b.dist).real)
            else:
                F = full[b.group]
                if F is None:
                    raise ModelError("internal: missing covariance matrix")
                out.append(F[np.ix_(b.visits, b.visits)])
        return out

    def block_dsigma(self, phi: np.ndarray) -> list[np.ndarray]:
        """Per block ``d Sigma_b / d phi`` over *all* parameters (``q x k x k``)."""
        return self._derivs(phi, second=False)

    def block_d2sigma(self, phi: np.ndarray) -> list[np.ndarray]:
        """Per block second derivatives (``q x q x k x k``)."""
        return self._derivs(phi, second=True)

    def _derivs(self, phi: np.ndarray, *, second: bool) -> list[np.ndarray]:
        pg = self.split(phi)
        off = self.offsets
        q = self.n_par
        cache: dict[int, np.ndarray] = {}
        out = []
        for b in self.blocks:
            s = self.structures[b.group]
            if s.spatial:
                d = s.d2sigma(pg[b.group], b.dist) if second else s.dsigma(pg[b.group], b.dist)
            else:
                if b.group not in cache:
                    cache[b.group] = s.d2sigma(pg[b.group]) if second else s.dsigma(pg[b.group])
                full = cache[b.group]
                ix = b.visits
                d = full[..., ix[:, None], ix[None, :]]
            k = len(b.visits)
            lo, hi = off[b.group], off[b.group + 1]
            if second:
                z = np.zeros((q, q, k, k))
                z[lo:hi, lo:hi] = d
            else:
                z = np.zeros((q, k, k))
                z[lo:hi] = d
            out.append(z)
        return out

    # ------------------------------------------------------------------ deviance
    def evaluate(self, phi: np.ndarray, *, gradient: bool = True) -> Evaluation:
        """Deviance ``-2 l`` (with its constant, as SAS prints it) and its gradient."""
        p = self.p
        sigmas = self.block_sigmas(phi)
        A = np.zeros((p, p))
        c = np.zeros(p)
        rsr = 0.0
        logdet = 0.0
        Ss = []
        for b, Sig in zip(self.blocks, sigmas, strict=True):
            if not np.all(np.isfinite(Sig)):
                raise _NotPD
            try:
                L = linalg.cholesky(Sig, lower=True)
            except linalg.LinAlgError:
                raise _NotPD from None
            d = np.diag(L)
            if np.any(d <= 0) or not np.all(np.isfinite(d)):
                raise _NotPD
            S = linalg.cho_solve((L, True), np.eye(len(d)))
            Ss.append(S)
            logdet += b.n * 2 * float(np.sum(np.log(d)))
            A += np.einsum("kplq,kl->pq", b.MXX, S)
            c += np.einsum("kpl,kl->p", b.MXR, S)
            rsr += float(np.sum(b.MRR * S))
        try:
            cA = linalg.cho_factor(A)
        except linalg.LinAlgError:
            raise _NotPD from None
        delta = linalg.cho_solve(cA, c)
        Phi = linalg.cho_solve(cA, np.eye(p))
        quad = rsr - float(c @ delta)
        dev = logdet + quad - self.log_weights
        if self.reml:
            dev += 2 * float(np.sum(np.log(np.diag(cA[0])))) + (self.n_obs - p) * _LOG2PI
        else:
            dev += self.n_obs * _LOG2PI
        Es = []
        for b in self.blocks:
            xr = np.einsum("kpl,p->kl", b.MXR, delta)
            E = b.MRR - xr - xr.T + np.einsum("kplq,p,q->kl", b.MXX, delta, delta)
            Es.append(E)
        g = np.zeros(self.n_par)
        if gradient:
            for b, S, E, dS in zip(self.blocks, Ss, Es, self.block_dsigma(phi), strict=True):
                G = b.n * S - S @ E @ S
                if self.reml:
                    C = np.einsum("kplq,pq->kl", b.MXX, Phi)
                    G -= S @ C @ S
                g += np.einsum("ikl,kl->i", dS, G)
        return Evaluation(deviance=float(dev), gradient=g, beta=self.beta0 + delta, Phi=Phi,
                          S=Ss, E=Es)

    # ------------------------------------------------------------------ second order
    def kr_matrices(self, phi: np.ndarray, ev: Evaluation) -> KrMatrices:
        """Kenward–Roger's ``P``, ``Q`` and ``R`` at ``phi``."""
        q, p = self.n_par, self.p
        P = np.zeros((q, p, p))
        Q = np.zeros((q, q, p, p))
        R = np.zeros((q, q, p, p))
        linear = all(s.linear for s in self.structures)
        d2 = None if linear else self.block_d2sigma(phi)
        for n, (b, S, dS) in enumerate(zip(self.blocks, ev.S, self.block_dsigma(phi),
                                           strict=True)):
            k = len(b.visits)
            M = b.MXX.transpose(0, 2, 1, 3).reshape(k * k, p * p)   # (k l), (p q)
            SdS = np.einsum("ab,ibc->iac", S, dS)                  # S Sigma_i
            SdSS = SdS @ S                                         # S Sigma_i S
            P += (SdSS.reshape(q, k * k) @ M).reshape(q, p, p)
            T = np.einsum("iab,jbc->ijac", SdS, SdSS)              # S Sigma_i S Sigma_j S
            Q += (T.reshape(q * q, k * k) @ M).reshape(q, q, p, p)
            if d2 is not None:
                Rb = np.einsum("ab,ijbc,cd->ijad", S, d2[n], S)
                R += (Rb.reshape(q * q, k * k) @ M).reshape(q, q, p, p)
        return KrMatrices(P=P, Q=Q, R=R)

    def hessian(self, phi: np.ndarray, ev: Evaluation) -> np.ndarray:
        """Observed Hessian of ``-2 l`` in the SAS parameters.

        The REML terms ``tr(Phi Q_ij)`` and ``tr(Phi R_ij)`` are contracted per block
        with ``C_b = sum_s X_s Phi X_s'``, so the ``p x p`` matrices ``Q`` and ``R`` are
        never formed here.
        """
        q, p = self.n_par, self.p
        H = np.zeros((q, q))
        a = np.zeros((q, p))
        P = np.zeros((q, p, p))
        linear = all(s.linear for s in self.structures)
        d2 = None if linear else self.block_d2sigma(phi)
        Phi = ev.Phi
        delta = ev.beta - self.beta0
        for n, (b, S, E, dS) in enumerate(zip(self.blocks, ev.S, ev.E, self.block_dsigma(phi),
                                              strict=True)):
            k = len(b.visits)
            U = S @ E @ S
            SdS = np.einsum("ab,ibc->iac", S, dS)
            SdSS = SdS @ S
            # log|V| part: n_b [tr(S V_ij) - tr(S V_i S V_j)]
            H -= b.n * np.einsum("iab,jba->ij", SdS, SdS)
            # quadratic part: 2 sum u' V_i S V_j u - sum u' V_ij u
            UV = U @ dS                                            # U V_i
            H += 2 * np.einsum("jab,iba->ij", SdS, UV)             # tr(S V_j U V_i)
            if d2 is not None:
                H += b.n * np.einsum("ab,ijba->ij", S, d2[n])
                H -= np.einsum("ijab,ba->ij", d2[n], U)
            # a_i = sum_s X_s' S V_i S e_s
            MXE = b.MXR - np.einsum("kplq,q->kpl", b.MXX, delta)
            a += np.einsum("kpl,ikl->ip", MXE, SdSS)
            if self.reml:
                M = b.MXX.transpose(0, 2, 1, 3).reshape(k * k, p * p)
                P += (SdSS.reshape(q, k * k) @ M).reshape(q, p, p)
                C = np.einsum("kplq,pq->kl", b.MXX, Phi)           # sum X_s Phi X_s'
                # tr(Phi Q_ij) = tr(S V_i S V_j S C) ; tr(Phi R_ij) = tr(S V_ij S C)
                SCS = S @ C @ S
                H += 2 * np.einsum("jab,iba->ij", SdS, SCS @ dS)   # tr(S V_j SCS V_i)
                if d2 is not None:
                    H -= np.einsum("ijab,ba->ij", d2[n], SCS)
        H -= 2 * a @ Phi @ a.T
        if self.reml:
            PP = np.einsum("ab,ibc->iac", Phi, P)
            H -= np.einsum("iab,jba->ij", PP, PP)
        return (H + H.T) / 2


class _NotPD(Exception):
    """A covariance matrix along the optimiser's path was not positive definite."""


def _deviance(problem: MmrmProblem, theta: np.ndarray) -> tuple[float, np.ndarray]:
    phi = problem.phi_from_theta(theta)
    try:
        ev = problem.evaluate(phi)
    except _NotPD:
        return np.inf, np.zeros_like(theta)
    J = problem.jacobian(theta)
    if not np.isfinite(ev.deviance):
        return np.inf, np.zeros_like(theta)
    return ev.deviance, J.T @ ev.gradient


def _newton(problem: MmrmProblem, phi: np.ndarray, ev: Evaluation, max_steps: int
            ) -> tuple[np.ndarray, Evaluation, int, bool]:
    """Damped Newton–Raphson in the SAS parameters with the analytic observed Hessian;
    backtracking keeps every covariance matrix positive definite."""
    steps = 0
    for _ in range(max_steps):
        H = problem.hessian(phi, ev)
        # judge definiteness on the diagonally scaled Hessian (parameters differ in units)
        dg = np.sqrt(np.abs(np.diag(H)))
        dg[dg == 0] = 1.0
        Hs = H / np.outer(dg, dg)
        w = np.linalg.eigvalsh(Hs)
        shift = 0.0 if w[0] > 1e-10 else 1e-6 - w[0]
        try:
            step = -np.linalg.solve(Hs + shift * np.eye(len(H)), ev.gradient / dg) / dg
        except np.linalg.LinAlgError:
            return phi, ev, steps, False
        decrement = float(-ev.gradient @ step)
        # converged when the predicted decrease is at the rounding level of the deviance
        if shift == 0.0 and decrement < 1e-13 * max(1.0, abs(ev.deviance)):
            # one last full step: Newton's error is squared, the deviance cannot show it
            try:
                new = problem.evaluate(phi + step)
                if new.deviance <= ev.deviance + 1e-13 * abs(ev.deviance):
                    phi, ev = phi + step, new
            except _NotPD:
                pass
            return phi, ev, steps, True
        t = 1.0
        accepted = False
        while t > 1e-6:
            try:
                new = problem.evaluate(phi + t * step)
            except _NotPD:
                t /= 2
                continue
            if np.isfinite(new.deviance) and new.deviance <= ev.deviance + 1e-12 * abs(
                    ev.deviance):
                phi, ev = phi + t * step, new
                accepted = True
                break
            t /= 2
        steps += 1
        if not accepted:
            return phi, ev, steps, shift == 0.0 and decrement < 1e-9 * max(1.0, abs(ev.deviance))
    return phi, ev, steps, False


def fit_problem(problem: MmrmProblem, phi_start: np.ndarray, *, max_iter: int = 500
                ) -> tuple[np.ndarray, Evaluation, OptSummary]:
    """Minimise the deviance.

    Damped Newton–Raphson in SAS's parameters from ``phi_start`` (as PROC MIXED); if
    that does not converge, L-BFGS with analytic gradients in unconstrained parameters
    (positive definite by construction) from the best point so far, then Newton again
    to polish the optimum to rounding.

    Raises
    ------
    ModelError
        When the deviance cannot be evaluated at the start.
    """
    try:
        ev = problem.evaluate(phi_start)
    except _NotPD:
        raise ModelError("The MMRM deviance cannot be evaluated at the start values; "
                         "check that every visit has observations.") from None
    phi, ev, steps, ok = _newton(problem, np.asarray(phi_start, float), ev, 50)
    nfev, used = 0, "Newton-Raphson"
    if not ok:
        theta0 = problem.theta_from_phi(phi)
        res = optimize.minimize(lambda t: _deviance(problem, t), theta0, jac=True,
                                method="L-BFGS-B",
                                options={"maxiter": max_iter, "maxfun": 2 * max_iter,
                                         "ftol": 1e-13, "gtol": 1e-7, "maxcor": 20})
        cand = problem.phi_from_theta(res.x).real
        try:
            ev2 = problem.evaluate(cand)
            if ev2.deviance < ev.deviance:
                phi, ev = cand, ev2
        except _NotPD:
            pass
        nfev, used = int(res.nfev), f"L-BFGS-B ({res.nit} iterations)"
        phi, ev, more, ok = _newton(problem, phi, ev, 50)
        steps += more
    gnorm = float(np.max(np.abs(ev.gradient))) if len(ev.gradient) else 0.0
    H = problem.hessian(phi, ev)
    dg = np.sqrt(np.abs(np.diag(H)))
    dg[dg == 0] = 1.0
    pd = bool(np.all(np.linalg.eigvalsh(H / np.outer(dg, dg)) > 1e-12)) if len(H) else True
    converged = bool(pd and ok)
    if not pd:
        message = "the Hessian of the deviance is not positive definite at the optimum"
    elif not converged:
        message = f"no convergence: gradient {gnorm:.2g} after {steps} Newton steps"
    else:
        message = f"converged: {used}, {steps} Newton steps, gradient {gnorm:.2g}"
    return phi, ev, OptSummary(converged=converged, message=message,
                               evaluations=nfev + steps, newton_steps=steps,
                               gradient_norm=gnorm)
