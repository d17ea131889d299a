"""Residual covariance structures of an MMRM and their parameter maps.

Each structure is defined twice over:

* in **SAS PROC MIXED's covariance parameters** ``phi`` (``UN(i,j)``, ``Var(i)``,
  ``Rho(k)``, ``TOEP(k)``, ``Residual`` ...): the matrix ``Sigma(phi)`` and its
  first and second derivatives. Kenward–Roger, Satterthwaite and the observed
  information are computed in these parameters, because the Kenward–Roger
  adjustment depends on the parameterisation (its second-derivative term vanishes
  for structures linear in ``phi``: ``us``, ``toep``, ``cs``), and SAS is the
  reference users check against;
* in **unconstrained parameters** ``theta`` for the optimiser, with a smooth map
  ``theta -> phi`` whose image is exactly the positive-definite matrices of the
  structure (log-Cholesky for ``us``; logs of variances; ``tanh`` of correlations;
  partial autocorrelations for the Toeplitz correlations).

All maps are written so that they accept complex arguments: first derivatives
are taken by the complex step (exact to rounding), second derivatives of
``Sigma(phi)`` by central differences of complex-step derivatives.

Examples
--------
>>> s = make_structure("ar1", 3)
>>> s.names
('AR(1)', 'Residual')
>>> s.sigma(np.array([0.5, 4.0])).real.round(3).tolist()
[[4.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 4.0]]
>>> th = s.theta_from_phi(np.array([0.5, 4.0]))
>>> s.phi_from_theta(th).real.round(12).tolist()
[0.5, 4.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ModelError

__all__ = ["STRUCTURES", "Structure", "make_structure", "nearest_pd"]

STRUCTURES = ("us", "toep", "toeph", "ar1", "ar1h", "adh", "cs", "csh", "sp_exp")
_ALIASES = {"ante": "adh", "un": "us", "arh1": "ar1h", "ar(1)": "ar1", "arh(1)": "ar1h",
            "ante(1)": "adh", "sp(exp)": "sp_exp"}
_LONG = {
    "us": "unstructured", "toep": "Toeplitz", "toeph": "heterogeneous Toeplitz",
    "ar1": "first-order autoregressive", "ar1h": "heterogeneous first-order autoregressive",
    "adh": "heterogeneous ante-dependence (SAS ANTE(1))", "cs": "compound symmetry",
    "csh": "heterogeneous compound symmetry", "sp_exp": "spatial exponential",
}
_STEP = 1e-30


def nearest_pd(S: np.ndarray, floor: float = 1e-3) -> np.ndarray:
    """Symmetric positive-definite matrix near ``S`` (eigenvalues raised to a floor).

    Examples
    --------
    >>> bool(np.all(np.linalg.eigvalsh(nearest_pd(np.array([[1.0, 2], [2, 1]]))) > 0))
    True
    """
    S = (S + S.T) / 2
    w, v = np.linalg.eigh(S)
    scale = max(float(np.mean(np.abs(np.diag(S)))), 1e-300)
    w = np.maximum(w, floor * scale)
    return (v * w) @ v.T


def _tanh_inv(r: np.ndarray, lim: float = 0.999) -> np.ndarray:
    return np.arctanh(np.clip(r, -lim, lim))


def _pacf_to_acf(pac: np.ndarray) -> np.ndarray:
    """Autocorrelations 1..k from partial autocorrelations (Durbin–Levinson); complex safe."""
    k = len(pac)
    acf: list = []
    phi: list = []
    for n in range(k):
        a = pac[n]
        new = [phi[j] - a * phi[n - 1 - j] for j in range(n)] + [a]
        # rho_{n+1} = sum_j new_j rho_{n-j} with rho_0 = 1
        rho = [1.0, *acf]
        acf.append(sum(new[j] * rho[n - j] for j in range(n + 1)))
        phi = new
    return np.array(acf) if k else np.zeros(0)


def _acf_to_pacf(acf: np.ndarray) -> np.ndarray:
    """Partial autocorrelations from autocorrelations 1..k (inverse of the above)."""
    k = len(acf)
    out = np.zeros(k)
    phi = np.zeros(0)
    rho = np.concatenate([[1.0], acf])
    for n in range(k):
        num = rho[n + 1] - (phi @ rho[n:0:-1] if n else 0.0)
        den = 1.0 - (phi @ rho[1:n + 1] if n else 0.0)
        a = float(np.clip(num / den, -0.99, 0.99))
        phi = np.concatenate([phi - a * phi[::-1], [a]])
        out[n] = a
    return out


@dataclass(frozen=True)
class Structure:
    """One covariance structure over ``m`` visits (or over coordinates for ``sp_exp``).

    Attributes
    ----------
    kind : str
        One of :data:`STRUCTURES`.
    m : int
        Number of visits (levels of the visit factor); the number of coordinate
        dimensions for ``sp_exp``.
    """

    kind: str
    m: int

    @property
    def spatial(self) -> bool:
        """Whether the covariance is a function of distances between visit times."""
        return self.kind == "sp_exp"

    @property
    def linear(self) -> bool:
        """Whether ``Sigma`` is linear in the SAS parameters (no Kenward–Roger R term)."""
        return self.kind in ("us", "toep", "cs")

    @property
    def label(self) -> str:
        """Long name, e.g. ``'unstructured'``."""
        return _LONG[self.kind]

    @property
    def n_par(self) -> int:
        """Number of covariance parameters."""
        m, k = self.m, self.kind
        return {"us": m * (m + 1) // 2, "toep": m, "toeph": 2 * m - 1, "ar1": 2,
                "ar1h": m + 1, "adh": 2 * m - 1, "cs": 2, "csh": m + 1, "sp_exp": 2}[k]

    @property
    def names(self) -> tuple[str, ...]:
        """SAS PROC MIXED's names of the covariance parameters, in its order."""
        m, k = self.m, self.kind
        var = [f"Var({i + 1})" for i in range(m)]
        if k == "us":
            return tuple(f"UN({i + 1},{j + 1})" for i in range(m) for j in range(i + 1))
        if k == "toep":
            return (*(f"TOEP({i + 1})" for i in range(1, m)), "Residual")
        if k == "toeph":
            return (*var, *(f"TOEPH({i})" for i in range(1, m)))
        if k == "ar1":
            return ("AR(1)", "Residual")
        if k == "ar1h":
            return (*var, "ARH(1)")
        if k == "adh":
            return (*var, *(f"Rho({i})" for i in range(1, m)))
        if k == "cs":
            return ("CS", "Residual")
        if k == "csh":
            return (*var, "CSH")
        return ("SP(EXP)", "Residual")

    # ------------------------------------------------------------------ Sigma(phi)
    def _lag(self) -> np.ndarray:
        i = np.arange(self.m)
        return np.abs(i[:, None] - i[None, :])

    def sigma(self, phi: np.ndarray, dist: np.ndarray | None = None) -> np.ndarray:
        """Covariance matrix for SAS parameters ``phi`` (complex safe).

        For ``sp_exp`` ``dist`` is the matrix of distances between the visits of one
        subject; otherwise the full ``m x m`` matrix over all visits is returned.
        """
        m, k = self.m, self.kind
        phi = np.asarray(phi)
        if k == "us":
            S = np.zeros((m, m), dtype=phi.dtype)
            r, c = np.tril_indices(m)
            order = np.argsort(r * m + c, kind="stable")
            S[r[order], c[order]] = phi
            return S + np.tril(S, -1).T
        if k == "sp_exp":
            if dist is None:
                raise ModelError("sp_exp needs the distances between visits.")
            return phi[1] * np.exp(-dist / phi[0])
        if k == "toep":
            band = np.concatenate([phi[-1:], phi[:-1]])
            return band[self._lag()]
        if k == "cs":
            return phi[0] * np.ones((m, m)) + phi[1] * np.eye(m)
        if k == "ar1":
            return phi[1] * phi[0] ** self._lag()
        s = np.sqrt(phi[:m])
        if k == "toeph":
            corr = np.concatenate([np.ones(1, dtype=phi.dtype), phi[m:]])[self._lag()]
        elif k == "ar1h":
            corr = phi[m] ** self._lag()
        elif k == "csh":
            corr = phi[m] * np.ones((m, m)) + (1 - phi[m]) * np.eye(m)
        else:  # adh: corr(i, j) = prod of rho_k for k from min(i, j) to max(i, j) - 1
            corr = np.eye(m, dtype=phi.dtype)
            for i in range(m):
                run = phi[0] * 0 + 1
                for j in range(i + 1, m):
                    run = run * phi[m + j - 1]
                    corr[i, j] = corr[j, i] = run
        return s[:, None] * corr * s[None, :]

    def dsigma(self, phi: np.ndarray, dist: np.ndarray | None = None) -> np.ndarray:
        """First derivatives ``d Sigma / d phi_i`` (``n_par x m x m``), by the complex step."""
        phi = np.asarray(phi, dtype=float)
        out = []
        for i in range(len(phi)):
            z = phi.astype(complex)
            z[i] += 1j * _STEP
            out.append(self.sigma(z, dist).imag / _STEP)
        return np.array(out)

    def d2sigma(self, phi: np.ndarray, dist: np.ndarray | None = None) -> np.ndarray:
        """Second derivatives (``n_par x n_par x m x m``): zero for linear structures,
        otherwise central differences of the complex-step first derivatives."""
        phi = np.asarray(phi, dtype=float)
        q = len(phi)
        base = self.dsigma(phi, dist)
        out = np.zeros((q, q, *base.shape[1:]))
        if self.linear:
            return out
        for j in range(q):
            h = 1e-5 * abs(phi[j]) if phi[j] != 0 else 1e-7   # relative: units vary
            up, down = phi.copy(), phi.copy()
            up[j] += h
            down[j] -= h
            out[:, j] = (self.dsigma(up, dist) - self.dsigma(down, dist)) / (2 * h)
        return (out + out.transpose(1, 0, 2, 3)) / 2

    # ------------------------------------------------------------------ theta <-> phi
    def phi_from_theta(self, theta: np.ndarray) -> np.ndarray:
        """SAS parameters from unconstrained ones (complex safe)."""
        m, k = self.m, self.kind
        t = np.asarray(theta)
        if k == "us":
            L = np.zeros((m, m), dtype=t.dtype)
            r, c = np.tril_indices(m)
            order = np.argsort(r * m + c, kind="stable")
            L[r[order], c[order]] = t
            d = np.arange(m)
            L[d, d] = np.exp(L[d, d])
            S = L @ L.T
            return S[r[order], c[order]]
        if k == "sp_exp":
            return np.exp(t)
        if k in ("ar1",):
            return np.array([np.tanh(t[0]), np.exp(t[1])])
        if k in ("cs", "csh"):
            lo = -1.0 / (m - 1) if m > 1 else -1.0
            rho = lo + (1 - lo) / (1 + np.exp(-t[-1]))
            if k == "cs":
                total = np.exp(t[0])
                return np.array([rho * total, (1 - rho) * total])
            return np.concatenate([np.exp(t[:m]), [rho]])
        if k == "toep":
            var = np.exp(t[0])
            acf = _pacf_to_acf(np.tanh(t[1:]))
            return np.concatenate([var * acf, [var]])
        v = np.exp(t[:m])
        if k == "toeph":
            return np.concatenate([v, _pacf_to_acf(np.tanh(t[m:]))])
        return np.concatenate([v, np.tanh(t[m:])])  # ar1h, adh

    def theta_from_phi(self, phi: np.ndarray) -> np.ndarray:
        """Unconstrained parameters of ``phi`` (a start value; clipped inside the domain)."""
        m, k = self.m, self.kind
        p = np.asarray(phi, dtype=float)
        tiny = 1e-12 * float(np.max(np.abs(p))) + 1e-300   # floors relative to the units
        if k == "us":
            L = np.linalg.cholesky(nearest_pd(self.sigma(p).real, 1e-6))
            d = np.arange(m)
            L[d, d] = np.log(L[d, d])
            r, c = np.tril_indices(m)
            order = np.argsort(r * m + c, kind="stable")
            return L[r[order], c[order]]
        if k == "sp_exp":
            return np.log(np.maximum(p, tiny))
        if k == "ar1":
            return np.array([_tanh_inv(p[0]), np.log(max(p[1], tiny))])
        if k in ("cs", "csh"):
            lo = -1.0 / (m - 1) if m > 1 else -1.0
            if k == "cs":
                total = p[0] + p[1]
                rho = p[0] / total
                first = [np.log(max(total, tiny))]
            else:
                rho = p[m]
                first = list(np.log(np.maximum(p[:m], tiny)))
            u = np.clip((rho - lo) / (1 - lo), 1e-4, 1 - 1e-4)
            return np.array([*first, np.log(u / (1 - u))])
        if k == "toep":
            var = p[-1]
            pac = _acf_to_pacf(p[:-1] / var)
            return np.concatenate([[np.log(max(var, tiny))], _tanh_inv(pac, 0.99)])
        v = np.log(np.maximum(p[:m], tiny))
        if k == "toeph":
            return np.concatenate([v, _tanh_inv(_acf_to_pacf(p[m:]), 0.99)])
        return np.concatenate([v, _tanh_inv(p[m:], 0.99)])

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """``d phi / d theta`` (``n_par x n_par``), by the complex step."""
        theta = np.asarray(theta, dtype=float)
        cols = []
        for i in range(len(theta)):
            z = theta.astype(complex)
            z[i] += 1j * _STEP
            cols.append(self.phi_from_theta(z).imag / _STEP)
        return np.array(cols).T

    def phi_from_cov(self, S: np.ndarray, dist: np.ndarray | None = None) -> np.ndarray:
        """Moment-style start values of ``phi`` from a sample covariance over the visits."""
        m, k = self.m, self.kind
        S = nearest_pd(S, 1e-3)
        v = np.diag(S)
        sd = np.sqrt(v)
        R = S / np.outer(sd, sd)
        lag = self._lag() if k != "sp_exp" else None
        if k == "us":
            r, c = np.tril_indices(m)
            order = np.argsort(r * m + c, kind="stable")
            return S[r[order], c[order]]

        def lag_mean(M: np.ndarray, h: int) -> float:
            return float(np.mean(M[lag == h])) if lag is not None else 0.0

        if k == "sp_exp":
            off = R[~np.eye(len(R), dtype=bool)]
            dd = dist[~np.eye(len(R), dtype=bool)] if dist is not None else np.ones(1)
            r0 = float(np.clip(np.mean(off), 0.05, 0.95)) if off.size else 0.5
            return np.array([float(np.mean(dd)) / -np.log(r0) if dd.size else 1.0,
                             float(np.mean(v))])
        acf = np.array([lag_mean(R, h) for h in range(1, m)])
        acf = np.clip(acf, -0.9, 0.9)
        rho1 = float(acf[0]) if m > 1 else 0.0
        off = float(np.mean(R[~np.eye(m, dtype=bool)])) if m > 1 else 0.0
        lo = -1.0 / (m - 1) if m > 1 else -1.0
        off = float(np.clip(off, lo / 2, 0.9))
        if k == "toep":
            var = float(np.mean(v))
            return np.concatenate([var * _pacf_to_acf(_acf_to_pacf(acf)), [var]])
        if k == "toeph":
            return np.concatenate([v, _pacf_to_acf(_acf_to_pacf(acf))])
        if k == "ar1":
            return np.array([float(np.clip(rho1, -0.9, 0.9)), float(np.mean(v))])
        if k == "ar1h":
            return np.concatenate([v, [float(np.clip(rho1, -0.9, 0.9))]])
        if k == "adh":
            return np.concatenate([v, np.clip(np.diag(R, -1), -0.9, 0.9)])
        if k == "cs":
            total = float(np.mean(v))
            return np.array([off * total, (1 - off) * total])
        return np.concatenate([v, [off]])  # csh


def make_structure(kind: str, m: int) -> Structure:
    """A :class:`Structure` for a name or alias (``"ante"`` = ``"adh"``, ``"un"`` = ``"us"``).

    Examples
    --------
    >>> make_structure("ante", 4).names[-1]
    'Rho(3)'
    """
    key = str(kind).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in STRUCTURES:
        raise ModelError(
            f"covariance={kind!r} is not a known structure; use one of {list(STRUCTURES)} "
            "(or 'ante' for 'adh'), or a list of them as a fallback chain."
        )
    if key != "sp_exp" and m < 1:
        raise ModelError("The visit variable has no levels.")
    return Structure(key, m)
