"""Optimisation of the GLMM deviance in glmer's two stages, and its derivatives.

Stage 1 (glmer's ``nAGQ = 0``) minimises the Laplace deviance over ``theta``
alone, with ``beta`` updated inside PIRLS; it gives starting values. Stage 2
minimises the Laplace or adaptive Gauss-Hermite deviance over ``(theta,
beta)`` (plus ``log(dispersion)`` for the negative binomial), with PIRLS for
``u`` only, as glmer does. Both use BOBYQA (nlopt) with tight tolerances and
a restart from the optimum with a smaller trust region. The optimum is then
polished with Newton steps on a central finite-difference gradient and
Hessian (kept only when they lower the deviance); the Hessian also gives the
standard errors (glmer's ``use.hessian = TRUE``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import nlopt
import numpy as np

from ..._blas import limit_blas
from ._pirls import GlmmProblem
from ._quadrature import deviance

__all__ = ["Optimum", "fd_derivatives", "stage1", "stage2"]


@dataclass(frozen=True)
class Optimum:
    """Result of one optimisation."""

    x: np.ndarray
    value: float
    evaluations: int
    status: int
    message: str


_MESSAGES = {1: "success", 2: "stopval reached", 3: "ftol reached", 4: "xtol reached",
             5: "maxeval reached", 6: "maxtime reached",
             -4: "roundoff limited (no further progress possible)"}


def _bobyqa(f: Callable[[np.ndarray], float], x0: np.ndarray, lower: np.ndarray,
            step: np.ndarray, counter: list[int]) -> Optimum:
    def obj(x: np.ndarray, grad: np.ndarray) -> float:
        counter[0] += 1
        return f(np.asarray(x))

    opt = nlopt.opt(nlopt.LN_BOBYQA, len(x0))
    opt.set_lower_bounds(lower.tolist())
    opt.set_min_objective(obj)
    opt.set_ftol_abs(1e-11)
    opt.set_ftol_rel(1e-15)
    opt.set_xtol_rel(1e-10)
    opt.set_maxeval(50_000)
    opt.set_initial_step(step.tolist())
    start = np.maximum(x0, lower)
    try:
        x = np.asarray(opt.optimize(start.tolist()))
        status = int(opt.last_optimize_result())
        value = float(opt.last_optimum_value())
    except (nlopt.RoundoffLimited, RuntimeError, ValueError):
        x, status, value = start, -4, f(start)
    return Optimum(x, value, counter[0], status, _MESSAGES.get(status, f"nlopt status {status}"))


def _safe(f: Callable[[np.ndarray], float]) -> Callable[[np.ndarray], float]:
    def g(x: np.ndarray) -> float:
        try:
            v = f(x)
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            return np.inf
        return float(v) if np.isfinite(v) else np.inf
    return g


def minimize(f: Callable[[np.ndarray], float], x0: np.ndarray, lower: np.ndarray) -> Optimum:
    """BOBYQA, then a restart from its optimum with a smaller trust region."""
    counter = [0]
    f = _safe(f)
    step = np.maximum(0.1 * np.abs(x0), 0.05)
    with limit_blas():
        first = _bobyqa(f, x0, lower, step, counter)
        second = _bobyqa(f, first.x, lower, step / 10, counter)
    best = second if second.value <= first.value else first
    return Optimum(best.x, best.value, counter[0], best.status, best.message)


def stage1(problem: GlmmProblem) -> tuple[np.ndarray, np.ndarray]:
    """Theta and beta at the optimum of the ``nAGQ = 0`` deviance."""
    sysm = problem.system
    theta0 = sysm.theta_start()
    first = problem.joint_modes(theta0)
    state = {"beta": first.beta, "u": first.u}

    def f(theta: np.ndarray) -> float:
        m = problem.joint_modes(theta, state["beta"], state["u"])
        state["beta"], state["u"] = m.beta, m.u
        return m.laplace()

    opt = minimize(f, theta0, sysm.lower)
    m = problem.joint_modes(opt.x, state["beta"], state["u"])
    return opt.x, m.beta


def objective(problem: GlmmProblem, nagq: int, ntheta: int) -> Callable[[np.ndarray], float]:
    """Stage-2 deviance as a function of ``(theta, beta)``."""
    def f(x: np.ndarray) -> float:
        theta, beta = x[:ntheta], x[ntheta:]
        mode = problem.modes(theta, beta)
        return deviance(problem, theta, mode, nagq)
    return f


def stage2(f: Callable[[np.ndarray], float], x0: np.ndarray, lower: np.ndarray) -> Optimum:
    """Minimise the stage-2 deviance ``f`` from ``x0``."""
    return minimize(f, x0, lower)


def fd_derivatives(f: Callable[[np.ndarray], float], x: np.ndarray, f0: float,
                   h: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """Central finite-difference gradient and Hessian (lme4's ``deriv12``, step ``h``)."""
    k = len(x)
    grad = np.empty(k)
    hess = np.empty((k, k))
    fp = np.empty(k)
    fm = np.empty(k)
    eye = np.eye(k) * h
    for i in range(k):
        fp[i] = f(x + eye[i])
        fm[i] = f(x - eye[i])
        grad[i] = (fp[i] - fm[i]) / (2 * h)
        hess[i, i] = (fp[i] - 2 * f0 + fm[i]) / h**2
    for i in range(k):
        for j in range(i):
            pp = f(x + eye[i] + eye[j])
            mm = f(x - eye[i] - eye[j])
            hess[i, j] = hess[j, i] = (pp - fp[i] - fp[j] + 2 * f0 - fm[i] - fm[j] + mm) / (
                2 * h**2)
    return grad, hess
