"""Profile-likelihood confidence intervals, as lme4's ``confint(fit, method = "profile")``.

lme4 refits the model by maximum likelihood (``refitML``, also for REML fits)
and profiles the ML deviance over each parameter in turn: the random-effect
standard deviations and correlations (``.sig01, .sig02, ...`` in the order of
``theta``: for each term, the lower triangle column by column, a standard
deviation on the diagonal and a correlation below it), the residual standard
deviation ``.sigma`` and each fixed effect. For a parameter ``x`` with the
others re-optimised, ``zeta(x) = sign(x - x_hat) sqrt(dev(x) - dev_min)``; the
interval is where ``|zeta| <= qnorm((1 + level) / 2)``. lme4 interpolates
``zeta`` with splines over a grid; here the crossing points are found by
root-finding on the exact profile. A standard deviation whose profile stays
below the critical value down to zero gets the lower limit 0, a correlation
that stays below it the limit -1 or 1 (as lme4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import nlopt
import numpy as np
import pandas as pd
from scipy import optimize as sopt
from scipy import stats

from .._blas import limit_blas
from ._engine import LmmProblem, _bobyqa, _newton_polish, _qr_lower, optimize

__all__ = ["profile_confint", "sdcor_names"]


def sdcor_names(problem: LmmProblem) -> list[str]:
    """lme4's profile names: ``.sig01 ...`` for the variance parameters, then ``.sigma``."""
    return [f".sig{i + 1:02d}" for i in range(problem.ntheta)] + [".sigma"]


def _to_sdcor(problem: LmmProblem, theta: np.ndarray, sigma: float) -> np.ndarray:
    out = np.empty(problem.ntheta + 1)
    for k in range(len(problem.terms)):
        lam = problem.lam(theta, k)
        cov = sigma**2 * lam @ lam.T
        sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        r, c = problem.tril[k]
        vals = []
        for i, j in zip(r, c, strict=True):
            if i == j:
                vals.append(sd[i])
            else:
                den = sd[i] * sd[j]
                vals.append(cov[i, j] / den if den > 0 else 0.0)
        out[problem.theta_slices[k]] = vals
    out[-1] = sigma
    return out


def _from_sdcor(problem: LmmProblem, psi: np.ndarray) -> tuple[np.ndarray, float]:
    sigma = float(psi[-1])
    theta = np.empty(problem.ntheta)
    for k, t in enumerate(problem.terms):
        r, c = problem.tril[k]
        vals = psi[problem.theta_slices[k]]
        sd = np.zeros(t.q)
        cor = np.eye(t.q)
        for v, i, j in zip(vals, r, c, strict=True):
            if i == j:
                sd[i] = v
            else:
                cor[i, j] = cor[j, i] = v
        cov = cor * np.outer(sd, sd)
        w, U = np.linalg.eigh(cov)
        L = _qr_lower(U * np.sqrt(np.clip(w, 0.0, None))) / sigma
        theta[problem.theta_slices[k]] = L[r, c]
    return theta, sigma


def _ml_deviance(problem: LmmProblem, theta: np.ndarray, sigma: float) -> float:
    """ML deviance at ``(theta, sigma)`` with beta profiled (lme4's devfun2)."""
    core = problem.core
    try:
        ev = core.evaluate(problem.to_internal(theta), blocks=False)
    except np.linalg.LinAlgError:
        return np.inf
    pwrss = ev.pwrss * problem.std.y_scale**2
    s2 = sigma * sigma
    return float(ev.logdet_l + pwrss / s2 + problem.n * np.log(2 * np.pi * s2))


class _Profiler:
    """Profiled ML deviance over one parameter at a time."""

    def __init__(self, problem: LmmProblem, start: np.ndarray | None = None) -> None:
        ml = problem if not problem.reml else LmmProblem(problem.X, problem.y, problem.terms,
                                                         reml=False)
        self.ml = ml
        opt = optimize(ml, start)
        ev = ml.evaluate(opt.theta)
        self.theta_hat = opt.theta
        self.sigma_hat = ml.sigma(ev)
        self.beta_hat, _ = ml.estimates(ev)
        self.dev_min = float(ml.deviance(ev))
        self.psi_hat = _to_sdcor(ml, opt.theta, self.sigma_hat)
        k = ml.ntheta
        lower = np.full(k + 1, -np.inf)
        upper = np.full(k + 1, np.inf)
        diag = ml.lower == 0
        lower[:k] = np.where(diag, 0.0, -1.0)
        upper[:k] = np.where(diag, np.inf, 1.0)
        lower[k] = 0.0
        self.lower, self.upper = lower, upper
        self.scale = np.where(np.concatenate([diag, [True]]),
                              np.maximum(np.abs(self.psi_hat), 1e-3 * self.sigma_hat), 1.0)

    def _dev_psi(self, psi: np.ndarray) -> float:
        if psi[-1] <= 0:
            return np.inf
        theta, sigma = _from_sdcor(self.ml, psi)
        return _ml_deviance(self.ml, theta, sigma)

    def varpar_profile(self, i: int) -> Callable[[float], float]:
        """``x -> min dev`` with parameter i of (sd/cor..., sigma) fixed at x.

        The others are re-optimised in lme4's Cholesky parameters, where the
        deviance is smooth (optimising over standard deviations and correlations
        stalls where a standard deviation reaches 0 and the correlation becomes
        free): for ``.sigma`` over theta; for a standard deviation over theta with
        that row of the factor written as ``x / sigma`` times a free direction, and
        sigma; for the correlation of a two-column term over theta with that row
        written as ``r (rho, sqrt(1 - rho^2))`` (sigma profiled out); otherwise over
        the standard deviations and correlations themselves."""
        ml = self.ml
        k_all = ml.ntheta
        if i == k_all:
            return self._theta_space(lambda u, x: (u, x), self.theta_hat.copy(), ml.lower.copy())
        k = next(t for t in range(len(ml.terms)) if ml.theta_slices[t].start <= i
                 < ml.theta_slices[t].stop)
        sl = ml.theta_slices[k]
        r, c = ml.tril[k]
        pos = i - sl.start
        row, col = int(r[pos]), int(c[pos])
        if row == col:
            idx_row = [sl.start + int(m) for m in np.flatnonzero(r == row)]
            other = [m for m in range(k_all) if m not in idx_row]
            diag_in_row = idx_row.index(sl.start + pos)
            start = np.concatenate([self.theta_hat[other], self.theta_hat[idx_row], [1.0]])
            lower = np.concatenate([ml.lower[other], np.full(len(idx_row), -np.inf), [1e-8]])
            lower[len(other) + diag_in_row] = 0.0
            sig_hat = self.sigma_hat

            def build_sd(u: np.ndarray, x: float) -> tuple[np.ndarray, float]:
                theta = np.empty(k_all)
                theta[other] = u[: len(other)]
                w = u[len(other): len(other) + len(idx_row)]
                sigma = u[-1] * sig_hat
                nrm = float(np.linalg.norm(w))
                if nrm == 0:
                    w = np.zeros(len(idx_row))
                    w[diag_in_row] = 1.0
                    nrm = 1.0
                theta[idx_row] = w / nrm * x / sigma
                return theta, sigma

            return self._theta_space(build_sd, start, lower)
        if ml.terms[k].q == 2:
            i_b, i_c = sl.start + 1, sl.start + 2
            other = [m for m in range(k_all) if m not in (i_b, i_c)]
            rr = float(np.hypot(self.theta_hat[i_b], self.theta_hat[i_c]))
            start = np.concatenate([self.theta_hat[other], [rr]])
            lower = np.concatenate([ml.lower[other], [0.0]])

            def build_cor(u: np.ndarray, x: float) -> tuple[np.ndarray, None]:
                theta = np.empty(k_all)
                theta[other] = u[:-1]
                theta[i_b] = u[-1] * x
                theta[i_c] = u[-1] * np.sqrt(max(1.0 - x * x, 0.0))
                return theta, None

            return self._theta_space(build_cor, start, lower)
        return self._sdcor_space(i)

    def _theta_space(self, build: Callable[[np.ndarray, float], tuple[np.ndarray, float | None]],
                     start: np.ndarray, lower: np.ndarray) -> Callable[[float], float]:
        ml = self.ml
        warm = {"u": start}

        def prof(x: float) -> float:
            def f(u: np.ndarray, grad: np.ndarray) -> float:
                theta, sigma = build(np.asarray(u), x)
                val = ml.objective(theta) if sigma is None else _ml_deviance(ml, theta, sigma)
                return val if np.isfinite(val) else 1e300

            lo = np.where(np.isfinite(lower), lower, -1e30)
            u0 = np.maximum(warm["u"], lo)
            opt = nlopt.opt(nlopt.LN_BOBYQA, len(u0))
            opt.set_lower_bounds(lo.tolist())
            opt.set_min_objective(f)
            opt.set_ftol_abs(1e-12)
            opt.set_xtol_rel(1e-10)
            opt.set_maxeval(20_000)
            opt.set_initial_step(np.maximum(0.1 * np.abs(u0), 0.02).tolist())
            try:
                u = np.asarray(opt.optimize(u0.tolist()))
                val = opt.last_optimum_value()
            except (nlopt.RoundoffLimited, RuntimeError):
                u, val = u0, f(u0, np.empty(0))
            warm["u"] = u
            return float(val)

        return prof

    def _sdcor_space(self, i: int) -> Callable[[float], float]:
        """Profile over the standard deviations and correlations (q > 2 correlations)."""
        m = len(self.psi_hat)
        others = [j for j in range(m) if j != i]
        warm = {"x": self.psi_hat[others] / self.scale[others]}

        def prof(x: float) -> float:
            if not others:
                psi = np.array([x])
                return self._dev_psi(psi)

            def f(u: np.ndarray, grad: np.ndarray) -> float:
                psi = np.empty(m)
                psi[others] = u * self.scale[others]
                psi[i] = x
                val = self._dev_psi(psi)
                return val if np.isfinite(val) else 1e300

            lo = self.lower[others] / self.scale[others]
            hi = self.upper[others] / self.scale[others]
            lo = np.where(np.isfinite(lo), lo, -1e30)
            hi = np.where(np.isfinite(hi), hi, 1e30)
            lo[np.array(others) == m - 1] = 1e-8
            u = np.clip(warm["x"], lo, hi)
            val = f(u, np.empty(0))
            # BOBYQA, then Nelder-Mead from its result: the simplex does not stall
            # where the optimum sits on a correlation bound of +/-1
            for algorithm in (nlopt.LN_BOBYQA, nlopt.LN_NELDERMEAD):
                opt = nlopt.opt(algorithm, len(others))
                opt.set_lower_bounds(lo.tolist())
                opt.set_upper_bounds(hi.tolist())
                opt.set_min_objective(f)
                opt.set_ftol_abs(1e-11)
                opt.set_xtol_rel(1e-10)
                opt.set_maxeval(20_000)
                opt.set_initial_step(np.maximum(0.05 * np.abs(u), 0.01).tolist())
                try:
                    cand = np.asarray(opt.optimize(u.tolist()))
                    cval = opt.last_optimum_value()
                except (nlopt.RoundoffLimited, RuntimeError):
                    continue
                if cval <= val:
                    u, val = cand, cval
            warm["x"] = u
            return float(val)

        return prof

    def beta_profile(self, j: int) -> Callable[[float], float]:
        """``b -> min dev`` with fixed effect j fixed at b."""
        X = np.asarray(self.ml.X, dtype=float)
        keep = [c for c in range(X.shape[1]) if c != j]
        warm = {"theta": self.theta_hat}

        def prof(b: float) -> float:
            sub = LmmProblem(X[:, keep], self.ml.y - X[:, j] * b, self.ml.terms, reml=False)
            res = _bobyqa(sub.core, sub.to_internal(warm["theta"]), 0.05, [0])
            theta_s, value, _ = _newton_polish(sub.core, res.theta, res.deviance, [0])
            warm["theta"] = sub.from_internal(theta_s)
            return float(value + sub.deviance_offset())

        return prof


def _interval(prof: Callable[[float], float], est: float, dev_min: float, z: float,
              step: float, lo_bound: float, hi_bound: float) -> tuple[float, float]:
    """Where ``zeta`` crosses -z and +z: expand a bracket from the estimate
    (doubling the step), then Brent's method; a bound reached first is the limit."""

    def zeta(x: float) -> float:
        d = prof(x) - dev_min
        return float(np.sign(x - est) * np.sqrt(max(d, 0.0)))

    out = []
    for side in (-1.0, 1.0):
        bound = lo_bound if side < 0 else hi_bound
        prev, s = est, step
        limit = np.nan
        for _ in range(60):
            x = est + side * s
            at_bound = (x <= bound) if side < 0 else (x >= bound)
            if at_bound:
                x = bound
                if side * zeta(x) < z:
                    limit = bound
                    break
            if side * zeta(x) >= z:
                a = prev if prev != est else est + side * 1e-9 * max(abs(s), 1e-12)
                tol = 1e-8 * max(abs(est), abs(step), 1e-12)
                try:
                    limit = sopt.brentq(lambda v, t=side * z: zeta(v) - t, min(a, x),
                                        max(a, x), xtol=tol, rtol=1e-9)
                except ValueError:  # the re-optimised profile moved: bisect instead
                    inner, outer = a, x
                    for _ in range(80):
                        mid = 0.5 * (inner + outer)
                        if side * zeta(mid) >= z:
                            outer = mid
                        else:
                            inner = mid
                        if abs(outer - inner) <= tol:
                            break
                    limit = 0.5 * (inner + outer)
                break
            prev = x
            s *= 2.0
        out.append(float(limit))
    return out[0], out[1]


def profile_confint(problem: LmmProblem, theta: np.ndarray | None = None, *,
                    level: float = 0.95,
                    fixed_names: Sequence[str] | None = None,
                    which: str = "all") -> pd.DataFrame:
    """Profile-likelihood confidence intervals, as lme4's ``confint(method = "profile")``.

    Parameters
    ----------
    problem : LmmProblem
        The fitted model's problem (REML or ML: the profile is of the ML
        deviance either way, as lme4's ``profile`` refits by ML).
    theta : numpy.ndarray, optional
        The fit's theta (lme4's units), used to start the ML refit.
    level : float, default 0.95
        Confidence level.
    fixed_names : sequence of str, optional
        Names of the fixed effects (default ``beta1, beta2, ...``).
    which : {"all", "theta_", "beta_"}
        All parameters, only the variance parameters, or only the fixed effects
        (lme4's ``parm`` values).

    Returns
    -------
    pandas.DataFrame
        ``parm, estimate, lower, upper``: ``.sig01 ...`` (standard deviations
        and correlations of the random effects on lme4's scale), ``.sigma``,
        then the fixed effects; estimates are the ML estimates.

    Examples
    --------
    >>> import numpy as np
    >>> from helpstats.models._engine import LmmProblem, ReTerm
    >>> rng = np.random.default_rng(2)
    >>> g = np.repeat(np.arange(8), 5)
    >>> y = rng.normal(size=8)[g] + rng.normal(size=40)
    >>> term = ReTerm("g", ("(Intercept)",), g, tuple(map(str, range(8))), np.ones((40, 1)))
    >>> prob = LmmProblem(np.ones((40, 1)), y, [term], reml=True)
    >>> ci = profile_confint(prob, fixed_names=["(Intercept)"])
    >>> list(ci["parm"])
    ['.sig01', '.sigma', '(Intercept)']
    >>> bool((ci["lower"] < ci["estimate"]).all() and (ci["estimate"] < ci["upper"]).all())
    True
    """
    if not 0 < level < 1:
        from ..errors import ModelError

        raise ModelError(f"level must be between 0 and 1; got {level!r}. Use e.g. level=0.95.")
    if which not in ("all", "theta_", "beta_"):
        from ..errors import ModelError

        raise ModelError(f"which must be 'all', 'theta_' or 'beta_'; got {which!r}.")
    with limit_blas():
        return _profile_confint(problem, theta, level, fixed_names, which)


def _profile_confint(problem: LmmProblem, theta: np.ndarray | None, level: float,
                     fixed_names: Sequence[str] | None, which: str) -> pd.DataFrame:
    pr = _Profiler(problem, theta)
    z = float(stats.norm.ppf((1 + level) / 2))
    rows = []
    if which in ("all", "theta_"):
        names = sdcor_names(pr.ml)
        for i, name in enumerate(names):
            est = float(pr.psi_hat[i])
            step = 0.25 * pr.scale[i] if pr.lower[i] != -1 else 0.1
            lo_b = float(pr.lower[i]) if i < pr.ml.ntheta else 1e-6 * est
            lo, hi = _interval(pr.varpar_profile(i), est, pr.dev_min, z, step,
                               lo_b, float(pr.upper[i]))
            rows.append({"parm": name, "estimate": est, "lower": lo, "upper": hi})
    if which in ("all", "beta_"):
        ev = pr.ml.evaluate(pr.theta_hat)
        sxx_inv = np.linalg.inv(ev.sxx) if pr.ml.p else np.zeros((0, 0))
        T = pr.ml.std.beta_map
        se = np.sqrt(np.diag((pr.sigma_hat / pr.ml.std.y_scale) ** 2 * T @ sxx_inv @ T.T))
        names_b = list(fixed_names) if fixed_names is not None else [
            f"beta{j + 1}" for j in range(pr.ml.p)]
        for j in range(pr.ml.p):
            est = float(pr.beta_hat[j])
            lo, hi = _interval(pr.beta_profile(j), est, pr.dev_min, z, float(se[j]),
                               -np.inf, np.inf)
            rows.append({"parm": names_b[j], "estimate": est, "lower": lo, "upper": hi})
    return pd.DataFrame(rows, columns=["parm", "estimate", "lower", "upper"])
