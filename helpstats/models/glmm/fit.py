"""Fit generalized linear mixed models: :func:`fit_glmm`."""

from __future__ import annotations

import re
import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..._blas import limit_blas
from ...errors import ModelError
from .._arguments import check_data_formula
from .._design import drop_collinear, group_codes
from .._engine import ReTerm
from .._formula import Formula, parse_formula
from ..families import Family, Link, NegativeBinomial, get_family
from ..spec import ModelSpec
from ._optimize import fd_derivatives, minimize, objective, stage1
from ._pirls import GlmmProblem
from ._quadrature import deviance, saturated_logp
from ._response import Response, binomial_outcome, count_outcome, split_response
from ._separation import check_divergence, check_separation
from ._system import ReSystem
from ._wald import FixedDesign
from .result import GlmmFit

__all__ = ["fit_glmm"]

_SINGULAR_TOL = 1e-4
_NAGQ_MAX = 25


def _columns(parsed: Formula, resp: Response) -> list[str]:
    return list(dict.fromkeys([*resp.columns, *parsed.columns]))


def _vector(data: pd.DataFrame, value: Any, what: str) -> tuple[np.ndarray, str | None]:
    """A weights/offset argument as an array over data's rows (and its column, if any)."""
    if isinstance(value, str):
        m = re.fullmatch(r"\s*log\s*\(\s*`?([^`()]+?)`?\s*\)\s*", value)
        name = m.group(1) if m else value
        if name not in data.columns:
            raise ModelError(
                f"{what}={value!r} names a column that is not in the data; available: "
                f"{list(map(str, data.columns))}."
            )
        col = data[name]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            raise ModelError(f"The {what} column {name!r} must be numeric; found {col.dtype}.")
        v = col.to_numpy(dtype=float)
        if m:
            bad = np.isfinite(v) & (v <= 0)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ModelError(
                    f"The exposure {name!r} in {what}={value!r} must be positive; row "
                    f"{data.index[i]!r} has {v[i]:g}. Remove those rows or correct the exposure."
                )
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.log(v)
        return v, name
    v = np.asarray(value, dtype=float).ravel()
    if v.shape[0] != len(data):
        raise ModelError(f"{what} has {v.shape[0]} values for {len(data)} rows of data.")
    return v, None


def _terms(frame: pd.DataFrame, model: ModelSpec) -> list[ReTerm]:
    terms = []
    for rt, Z, names in model.random_matrices(frame):
        if Z.shape[1] == 0:
            raise ModelError(f"The random-effect term for {rt.group!r} has no columns.")
        codes, levels = group_codes(frame, rt.factors)
        if len(levels) < 2:
            raise ModelError(
                f"The grouping factor {rt.group!r} has {len(levels)} level; a random effect "
                "needs at least 2 groups. Remove the term or check the grouping column."
            )
        terms.append(ReTerm(rt.group, tuple(names), codes, tuple(levels), Z))
    nl = np.array([t.nl for t in terms])
    if np.any(np.diff(nl) > 0):  # lme4 orders terms by decreasing number of levels
        terms = [terms[i] for i in np.argsort(nl, kind="stable")[::-1]]
    return terms


def _frame(data: pd.DataFrame, used: list[str], extra: dict[str, np.ndarray]
           ) -> tuple[pd.DataFrame, dict[str, np.ndarray], int]:
    missing = [c for c in used if c not in data.columns]
    if missing:
        raise ModelError(
            f"The formula uses column(s) {missing} that are not in the data. Available "
            f"columns: {list(map(str, data.columns))}. Fix the formula or rename them."
        )
    frame = data.loc[:, used]
    complete = frame.notna().all(axis=1).to_numpy().copy()
    for v in extra.values():
        complete &= ~np.isnan(v)
    n_dropped = int((~complete).sum())
    frame = frame.loc[complete]
    if len(frame) == 0:
        raise ModelError(f"No complete rows: every row misses at least one of {used}.")
    for c in used:
        col = frame[c]
        if (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
                and np.isinf(col.to_numpy(dtype=float)).any()):
            raise ModelError(f"Column {c!r} contains infinite values; expected finite numbers.")
    out = {k: v[complete] for k, v in extra.items()}
    for k, v in out.items():
        if np.isinf(v).any():
            raise ModelError(f"{k} contains infinite values; expected finite numbers.")
    return frame, out, n_dropped


def _nb_start(y: np.ndarray, mu: np.ndarray) -> float:
    """Moment estimate of the NB2 dispersion from Poisson-fitted means."""
    excess = float(np.sum((y - mu) ** 2 - mu))
    k = float(np.sum(mu**2)) / excess if excess > 0 else 100.0
    return float(np.clip(k, 0.05, 1e4))


def fit_glmm(data: pd.DataFrame, formula: str, *, family: str | Family, link: str | Link | None = None,
             nagq: int = 1, weights: str | Sequence[float] | np.ndarray | None = None,
             offset: str | Sequence[float] | np.ndarray | None = None) -> GlmmFit:
    """Fit a generalized linear mixed model by maximum likelihood, as lme4's ``glmer``.

    Parameters
    ----------
    data : pandas.DataFrame
        Long-format analysis frame (not modified). Rows missing any used
        column (or weight / offset) are dropped and counted in ``n_dropped``.
    formula : str
        lme4 syntax. The response may be ``cbind(successes, failures)`` or
        ``cbind(successes, trials - successes)`` for binomial counts.
    family : str or Family
        ``"binomial"``, ``"poisson"``, ``"negative_binomial"`` (NB2, its
        dispersion estimated as by ``glmer.nb``), R-style text such as
        ``'binomial(link = "probit")'``, or a :mod:`helpstats.families` object.
    link : str, optional
        ``"logit"`` (default), ``"probit"`` or ``"cloglog"`` for binomial;
        ``"log"`` for counts.
    nagq : int, default 1
        Points of adaptive Gauss-Hermite quadrature: 1 is the Laplace
        approximation, up to 25 for a single scalar random effect.
    weights : str or array, optional
        Prior weights; for a binomial proportion outcome, the numbers of trials.
    offset : str or array, optional
        Offset on the linear predictor: a column, ``"log(exposure)"`` (the
        exposure must be positive), or an array.

    Returns
    -------
    GlmmFit

    Raises
    ------
    helpstats.errors.ModelError
        Unknown columns or family; an outcome that is not binary (binomial)
        or has negative counts; a non-positive exposure; complete separation
        (naming the term); quadrature with vector or several random effects.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import helpstats as hs
    >>> rng = np.random.default_rng(4)
    >>> d = pd.DataFrame({"id": np.repeat(np.arange(60), 4), "wave": np.tile([0.0, 1, 2, 3], 60)})
    >>> eta = -0.5 + 0.4 * d["wave"] + rng.normal(0, 1, 60)[d["id"]]
    >>> d["remission"] = (rng.uniform(size=240) < 1 / (1 + np.exp(-eta))).astype(int)
    >>> fit = hs.fit_glmm(d, "remission ~ wave + (1 | id)", family="binomial")
    >>> fit.converged, list(fit.fixed["term"])
    (True, ['(Intercept)', 'wave'])
    >>> list(fit.fixed.columns)
    ['term', 'estimate', 'se', 'z', 'p', 'lower', 'upper']
    """
    check_data_formula("fit_glmm", data, formula)
    fam = get_family(family, link)
    if isinstance(nagq, bool) or not isinstance(nagq, (int, np.integer)) or not (
            1 <= nagq <= _NAGQ_MAX):
        raise ModelError(f"nagq must be a whole number from 1 to {_NAGQ_MAX}, got {nagq!r}.")
    if not isinstance(data, pd.DataFrame):
        raise ModelError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    resp, rhs = split_response(formula)
    parsed = parse_formula(f"`{resp.columns[0]}` ~ {rhs}")
    extra: dict[str, np.ndarray] = {}
    weight_col = offset_col = None
    if weights is not None:
        extra["weights"], weight_col = _vector(data, weights, "weights")
    if offset is not None:
        extra["offset"], offset_col = _vector(data, offset, "offset")
    frame, extra, n_dropped = _frame(data, _columns(parsed, resp), extra)
    n = len(frame)
    prior = extra.get("weights", np.ones(n))
    if np.any(prior < 0):
        raise ModelError("weights must be non-negative.")
    off = extra.get("offset", np.zeros(n))
    if fam.name == "binomial":
        y, wts, success = binomial_outcome(frame, resp, prior)
    else:
        y, wts, success = count_outcome(frame, resp, fam), prior, None
    # the spec learns levels and transforms on the model frame; its response is the numeric y
    model = ModelSpec.from_formula(parsed, frame.assign(**{str(resp.columns[0]): y}))
    Xfull, names_all = model.fixed_matrix(frame), list(model.columns)
    if model.offset:  # offset(...) terms in the formula, e.g. offset(log(exposure))
        with np.errstate(divide="ignore", invalid="ignore"):
            in_formula = model.offset_values(frame)
        if not np.all(np.isfinite(in_formula)):
            i = int(np.flatnonzero(~np.isfinite(in_formula))[0])
            raise ModelError(f"offset({', '.join(model.offset)}) is not finite in row "
                             f"{frame.index[i]!r} (a log of a non-positive exposure?); the "
                             "exposure must be positive.")
        off = off + in_formula
        offset_col = offset_col or model.offset[0]
    keep = drop_collinear(Xfull) if Xfull.shape[1] else []
    dropped = tuple(nm for i, nm in enumerate(names_all) if i not in keep)
    if dropped:
        warnings.warn(f"fixed-effect model matrix is rank deficient so dropping "
                      f"{len(dropped)} column(s) / coefficient(s): {list(dropped)}",
                      UserWarning, stacklevel=2)
    X = Xfull[:, keep]
    names = [names_all[i] for i in keep]
    terms = _terms(frame, model)
    system = ReSystem(terms)
    if nagq > 1 and not (len(terms) == 1 and terms[0].q == 1):
        raise ModelError(
            f"nagq={nagq} (adaptive Gauss-Hermite quadrature) needs a single scalar random "
            f"effect such as (1 | id); {formula!r} has "
            + ", ".join(f"({' + '.join(t.cnames)} | {t.group})" for t in terms)
            + ". Use nagq=1 (Laplace)."
        )
    if fam.name == "binomial":
        check_separation(X, names, y, wts, parsed, frame, model)
    with limit_blas():  # small dense blocks: no threading
        return _estimate(formula, fam, nagq, X, names, y, wts, off, system, terms, frame, model,
                     parsed, keep, dropped, n_dropped, success, weight_col, offset_col, resp)


def _estimate(formula: str, fam: Family, nagq: int, X: np.ndarray, names: list[str],
              y: np.ndarray, wts: np.ndarray, off: np.ndarray, system: ReSystem,
              terms: list[ReTerm], frame: pd.DataFrame, model: ModelSpec, parsed: Formula,
              keep: list[int], dropped: tuple[str, ...], n_dropped: int,
              success: Hashable | None, weight_col: str | None, offset_col: str | None,
              resp: Response) -> GlmmFit:
    nb = isinstance(fam, NegativeBinomial) and fam.dispersion is None
    nth = system.ntheta
    if nb:
        pois = GlmmProblem(X, y, wts, off, get_family("poisson"), system)
        th0, b0 = stage1(pois)
        m0 = pois.joint_modes(th0)
        k0 = _nb_start(y, m0.mu)
        fam = fam.with_dispersion(k0)
    problem = GlmmProblem(X, y, wts, off, fam, system)
    theta0, beta0 = stage1(problem)
    lower = np.concatenate([system.lower, np.full(len(names), -np.inf)])
    # the optimiser works on beta * sd(column): equally scaled coordinates for BOBYQA
    sd = X.std(axis=0) if len(names) else np.zeros(0)
    sc = np.concatenate([np.ones(nth), np.where(sd > 0, sd, 1.0)])
    z0 = np.concatenate([theta0, beta0]) * sc
    if nb:
        problems: dict[float, GlmmProblem] = {}

        def f_nb(zz: np.ndarray) -> float:
            k = float(np.exp(zz[-1]))
            pr = problems.get(k)
            if pr is None:
                pr = problem.with_family(fam.with_dispersion(k))
                problems.clear()
                problems[k] = pr
            return objective(pr, nagq, nth)(zz[:-1] / sc)

        opt = minimize(f_nb, np.append(z0, np.log(getattr(fam, "dispersion", None) or 1.0)),
                       np.append(lower, -np.inf))
        fam = fam.with_dispersion(float(np.exp(opt.x[-1])))
        problem = problem.with_family(fam)
        x = opt.x[:-1] / sc
    else:
        fz = objective(problem, nagq, nth)
        opt = minimize(lambda zz: fz(zz / sc), z0, lower)
        x = opt.x / sc
    status, message, evals = opt.status, opt.message, opt.evaluations
    f = objective(problem, nagq, nth)
    zx, value, gz, hz = _polish(lambda zz: f(zz / sc), x * sc, lower, nth)
    x = zx / sc
    grad = gz * sc
    hess = hz * np.outer(sc, sc)
    theta, beta = x[:nth], x[nth:]
    if fam.name == "binomial":
        check_divergence(X, names, beta)
    mode = problem.modes(theta, beta)
    dev = deviance(problem, theta, mode, nagq)
    singular = bool(np.any(theta[system.lower == 0] < _SINGULAR_TOL))
    vcov = _vcov(hess, nth, len(beta))
    try:
        scaled = np.linalg.solve(np.linalg.cholesky(hess), grad)
    except np.linalg.LinAlgError:
        scaled = grad.copy()
    small = float(np.max(np.abs(scaled), initial=0.0)) < 2e-3
    converged = bool((status > 0 or status == -4) and (small or singular) and mode.converged)
    if singular:
        warnings.warn(f"boundary (singular) fit for {formula!r}: a random-effect variance is "
                      "estimated as zero or a correlation as +/-1 (see fit.varcorr).",
                      UserWarning, stacklevel=3)
    if not converged:
        warnings.warn(f"The fit of {formula!r} may not have converged: {message}, max |scaled "
                      f"gradient| {np.max(np.abs(scaled)):.2g} (tolerance 0.002).",
                      UserWarning, stacklevel=3)
    loglik = -dev / 2
    npar = len(beta) + nth + (1 if isinstance(fam, NegativeBinomial) else 0)  # = fit.npar
    ngroups: dict[str, int] = {}
    for t in terms:
        ngroups.setdefault(t.group, t.nl)
    design = FixedDesign(parsed.fixed, model, frame, keep,
                         float(np.mean(off)) if offset_col is not None or np.any(off) else 0.0)
    return GlmmFit(
        formula=formula, family=fam, nagq=nagq, loglik=float(loglik),
        aic=float(-2 * loglik + 2 * npar), bic=float(-2 * loglik + np.log(len(y)) * npar),
        nobs=len(y), n_dropped=n_dropped, ngroups=ngroups, converged=converged,
        singular=singular,
        optimizer={"name": "bobyqa (nlopt), two stages as glmer", "evaluations": evals,
                   "status": status, "message": message, "gradient": grad,
                   "scaled_gradient": scaled, "pirls_iterations": mode.iterations},
        theta=theta, coef=pd.Series(beta, index=names, name="estimate"),
        dropped_columns=dropped, design=design, success_level=success,
        dispersion=fam.dispersion if isinstance(fam, NegativeBinomial) else None,
        glmer_agq_loglik=float(loglik - saturated_logp(problem)) if nagq > 1 else None,
        _problem=problem, _mode=mode, _vcov=vcov, _hessian=hess, _response=resp,
    )


def _polish(f: Any, x: np.ndarray, lower: np.ndarray, nth: int
            ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Newton steps on finite-difference derivatives, kept while they lower ``f``."""
    f0 = f(x)
    grad, hess = fd_derivatives(f, x, f0)
    for _ in range(3):
        free = ~((x <= lower + 1e-10) & (grad > 0))
        try:
            step = np.zeros_like(x)
            step[free] = -np.linalg.solve(hess[np.ix_(free, free)], grad[free])
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or np.max(np.abs(step)) > 0.5:
            break
        cand = np.maximum(x + step, lower)
        fc = f(cand)
        if not fc < f0 - 1e-12:
            break
        x, f0 = cand, fc
        grad, hess = fd_derivatives(f, x, f0)
    f(x)  # leave the problem's warm start at the optimum
    return x, f0, grad, hess


def _vcov(hess: np.ndarray, nth: int, p: int) -> np.ndarray:
    """Covariance of beta from the Hessian of the deviance (glmer's ``use.hessian``)."""
    try:
        full = 2.0 * np.linalg.inv(hess)
        v = full[nth:, nth:]
        if np.all(np.isfinite(v)) and np.all(np.diag(v) > 0):
            return (v + v.T) / 2
    except np.linalg.LinAlgError:
        pass
    hb = hess[nth:, nth:]
    return 2.0 * np.linalg.inv((hb + hb.T) / 2)
