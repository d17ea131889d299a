"""Profile-likelihood confidence intervals of a GLMM, as lme4's
``confint(glmer_fit, method = "profile")``.

The profiled quantity is the fit's own deviance (Laplace, or adaptive
Gauss-Hermite with the fit's ``nagq``) as a function of ``(theta, beta)``,
with the conditional modes found by PIRLS at every point, as lme4's
``profile.merMod`` does for GLMMs. For one parameter ``x`` with every other
re-optimised, ``zeta(x) = sign(x - x_hat) sqrt(dev(x) - dev_min)``, and the
limits are where ``|zeta|`` reaches ``qnorm((1 + level) / 2)``, found by the
Gaussian profile's bracketing and Brent root-finding
(:mod:`helpstats.models._profile`) on the exact profile rather than lme4's
spline interpolation. Parameters are named as lme4's: ``.sig01, .sig02 ...``
(standard deviations of the random effects and, for a two-column term, their
correlation), then the fixed effects. A standard deviation whose profile stays
below the critical value down to zero gets the lower limit 0.

The negative binomial's dispersion is held at its estimate while profiling
(as ``confint`` on a ``glmer.nb`` fit, whose family is fixed). Correlations of
terms with more than two columns are not profiled yet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import ModelError
from .._profile import _interval
from ._optimize import minimize, objective
from ._pirls import GlmmProblem

__all__ = ["profile_confint"]


def _sdcor(problem: GlmmProblem, theta: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """lme4's ``.sig`` values (sd on the diagonal, correlation below it) and, for each,
    (term, row, column)."""
    system = problem.system
    values, where = [], []
    for k in range(len(system.terms)):
        lam = system.lam(theta, k)
        cov = lam @ lam.T
        sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        r, c = system.tril[k]
        for i, j in zip(r, c, strict=True):
            den = sd[i] * sd[j]
            values.append(sd[i] if i == j else (cov[i, j] / den if den > 0 else 0.0))
            where.append((k, int(i), int(j)))
    return np.array(values), where


class _GlmmProfiler:
    """The deviance over ``(theta, beta)`` with one parameter held fixed."""

    def __init__(self, problem: GlmmProblem, nagq: int, theta: np.ndarray,
                 beta: np.ndarray) -> None:
        self.problem, self.nagq = problem, nagq
        self.nth = problem.system.ntheta
        self.f = objective(problem, nagq, self.nth)
        self.x_hat = np.concatenate([theta, beta])
        self.dev_min = float(self.f(self.x_hat))
        sd = problem.X.std(axis=0) if len(beta) else np.zeros(0)
        # beta * sd(column): equally scaled coordinates for BOBYQA, as the fit
        self.scale = np.concatenate([np.ones(self.nth), np.where(sd > 0, sd, 1.0)])
        self.lower = np.concatenate([problem.system.lower, np.full(len(beta), -np.inf)])

    def _profile(self, build: Callable[[np.ndarray, float], np.ndarray], start: np.ndarray,
                 lower: np.ndarray) -> Callable[[float], float]:
        warm = {"u": start}

        def prof(x: float) -> float:
            opt = minimize(lambda u: self.f(build(u, x)), warm["u"], lower)
            if opt.value < np.inf:
                warm["u"] = opt.x
            return float(opt.value)

        return prof

    def fixed(self, j: int) -> Callable[[float], float]:
        """``b -> min deviance`` with fixed effect ``j`` held at ``b``."""
        pos = self.nth + j
        free = np.array([i for i in range(len(self.x_hat)) if i != pos])
        sc = self.scale[free]

        def build(u: np.ndarray, b: float) -> np.ndarray:
            x = np.empty(len(self.x_hat))
            x[free] = u / sc
            x[pos] = b
            return x

        return self._profile(build, self.x_hat[free] * sc, self.lower[free])

    def variance(self, k: int, row: int, col: int) -> Callable[[float], float]:
        """``v -> min deviance`` with a standard deviation (``row == col``) or the
        correlation of a two-column term held at ``v``."""
        system = self.problem.system
        sl = system.theta_slices[k]
        r, c = system.tril[k]
        n = len(self.x_hat)
        if row == col:
            idx_row = [sl.start + int(m) for m in np.flatnonzero(r == row)]
            diag = idx_row.index(sl.start + int(np.flatnonzero((r == row) & (c == col))[0]))
            other = np.array([i for i in range(n) if i not in idx_row])
            sc = self.scale[other]
            start = np.concatenate([self.x_hat[other] * sc, self.x_hat[idx_row]])
            lower = np.concatenate([self.lower[other], np.full(len(idx_row), -np.inf)])
            lower[len(other) + diag] = 0.0

            def build_sd(u: np.ndarray, v: float) -> np.ndarray:
                x = np.empty(n)
                x[other] = u[: len(other)] / sc
                w = u[len(other):].copy()
                norm = float(np.linalg.norm(w))
                if norm == 0:
                    w[:] = 0.0
                    w[diag] = 1.0
                    norm = 1.0
                x[idx_row] = w / norm * v
                return x

            return self._profile(build_sd, start, lower)
        if system.terms[k].q != 2:
            raise ModelError("profile intervals of correlations in random-effect terms with "
                             "more than two columns are not supported yet; use "
                             "method='wald' for the fixed effects.")
        i_b, i_c = sl.start + 1, sl.start + 2
        other = np.array([i for i in range(n) if i not in (i_b, i_c)])
        sc = self.scale[other]
        start = np.concatenate([self.x_hat[other] * sc,
                                [float(np.hypot(self.x_hat[i_b], self.x_hat[i_c]))]])
        lower = np.concatenate([self.lower[other], [0.0]])

        def build_cor(u: np.ndarray, v: float) -> np.ndarray:
            x = np.empty(n)
            x[other] = u[:-1] / sc
            x[i_b] = u[-1] * v
            x[i_c] = u[-1] * np.sqrt(max(1.0 - v * v, 0.0))
            return x

        return self._profile(build_cor, start, lower)


def profile_confint(problem: GlmmProblem, nagq: int, theta: np.ndarray, beta: np.ndarray,
                    se: np.ndarray, *, level: float = 0.95,
                    fixed_names: Sequence[str] | None = None,
                    which: str = "all") -> pd.DataFrame:
    """Profile intervals ``parm, estimate, lower, upper`` (see the module docstring).

    ``which``: ``"all"``, ``"theta_"`` (the ``.sig`` parameters) or ``"beta_"`` (the
    fixed effects), as lme4's ``parm``. ``se`` (the Wald SEs) sets the first step of
    each fixed effect's search.
    """
    if which not in ("all", "theta_", "beta_"):
        raise ModelError(f"which must be 'all', 'theta_' or 'beta_'; got {which!r}.")
    pr = _GlmmProfiler(problem, nagq, np.asarray(theta, float), np.asarray(beta, float))
    z = float(stats.norm.ppf((1 + level) / 2))
    rows = []
    if which in ("all", "theta_"):
        values, where = _sdcor(problem, pr.x_hat[: pr.nth])
        for i, (est, (k, r, c)) in enumerate(zip(values, where, strict=True)):
            sd = r == c
            step = 0.25 * max(abs(float(est)), 1e-3) if sd else 0.1
            lo, hi = _interval(pr.variance(k, r, c), float(est), pr.dev_min, z, step,
                               0.0 if sd else -1.0, np.inf if sd else 1.0)
            rows.append({"parm": f".sig{i + 1:02d}", "estimate": float(est), "lower": lo,
                         "upper": hi})
    if which in ("all", "beta_"):
        names = list(fixed_names) if fixed_names is not None else [
            f"beta{j + 1}" for j in range(len(beta))]
        for j in range(len(beta)):
            est = float(beta[j])
            lo, hi = _interval(pr.fixed(j), est, pr.dev_min, z, float(se[j]), -np.inf, np.inf)
            rows.append({"parm": names[j], "estimate": est, "lower": lo, "upper": hi})
    pr.f(pr.x_hat)  # leave the problem's warm start at the optimum
    out = pd.DataFrame(rows, columns=["parm", "estimate", "lower", "upper"])
    out.attrs["level"] = level
    return out
