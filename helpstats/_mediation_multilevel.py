"""Multilevel 1-1-1 mediation (Bauer, Preacher & Gil 2006), for :func:`helpstats.mediate`.

Repeated measures of a treatment (or time-varying predictor) ``x``, mediator
``m`` and outcome ``y`` within persons ``j``::

    m_ij = d_Mj + a_j x_ij + e_Mij                 var(e_M) = s2_M
    y_ij = d_Yj + b_j m_ij + c' x_ij + e_Yij       var(e_Y) = s2_Y

with ``(d_Mj, a_j, d_Yj, b_j [, c'_j])`` multivariate normal. Both equations
are stacked (two rows per observation, with equation indicators) and fitted
jointly as *one* linear mixed model, so that the covariance of the random a
and b slopes, ``cov(a_j, b_j)``, is estimated; the average indirect effect is
``E(a_j b_j) = a b + cov(a_j, b_j)``.

How the residual variance per equation is obtained with helpstats' Gaussian
engine (which has a single residual variance): the equation with the larger
residual variance gets an extra *observation-level* random intercept (one
level per observation, non-zero only on that equation's rows), so its
residual variance is ``sigma^2 + tau^2`` while the other equation's is
``sigma^2``. This is the same likelihood as a ``varIdent`` residual by
equation (nlme) whenever the chosen equation's residual variance is the
larger one; the equation is picked by the single-level residual variances and,
if ``tau^2`` is estimated at zero, the other way round is fitted and the fit
with the higher likelihood kept. Checked against ``nlme::lme(...,
weights = varIdent(form = ~ 1 | equation), method = "ML")``.

The Monte Carlo interval draws ``(a, b, c')`` from the normal distribution of
their estimates (``fit.vcov()``) and ``cov(a_j, b_j)`` independently (fixed
effects and variance parameters are asymptotically independent under ML)
from a normal with the variance from the expected information of the
variance parameters, computed here person by person.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._ids import id_text
from .errors import HelpingError

__all__ = ["expected_information", "mediate_multilevel"]

_RE = ("dm", "dm_x", "dy", "dy_m")


def _stack(frame: pd.DataFrame, x: str, m: str, y: str, covariates: Sequence[str],
           ids: pd.Series) -> pd.DataFrame:
    n = len(frame)
    xv = frame[x].to_numpy(dtype=float)
    mv = frame[m].to_numpy(dtype=float)
    dm = np.r_[np.ones(n), np.zeros(n)]
    dy = 1.0 - dm
    stacked = pd.DataFrame({
        "resp": np.r_[mv, frame[y].to_numpy(dtype=float)],
        "dm": dm, "dm_x": dm * np.r_[xv, xv], "dy": dy, "dy_x": dy * np.r_[xv, xv],
        "dy_m": dy * np.r_[mv, mv],
        "person": np.r_[ids.to_numpy(), ids.to_numpy()],
        "obs": np.r_[np.arange(n), np.arange(n)],
    })
    for k, c in enumerate(covariates):
        cv = frame[c].to_numpy(dtype=float)
        stacked[f"dm_c{k}"] = dm * np.r_[cv, cv]
        stacked[f"dy_c{k}"] = dy * np.r_[cv, cv]
    return stacked


def expected_information(blocks: Sequence[tuple[np.ndarray, np.ndarray]], G: np.ndarray,
                         residual: np.ndarray) -> np.ndarray:
    """Expected (ML) information of the variance parameters of a linear mixed model.

    Parameters are the lower-triangle entries of ``G`` (row-major: ``(0,0),
    (1,0), (1,1), (2,0), ...``) then one residual variance per residual group.
    ``blocks`` holds, for each person, ``(Z_j, R_j)``: the random-effect design
    (rows × q) and the residual-group indicator matrix (rows × groups), so that
    ``V_j = Z_j G Z_j' + diag(R_j @ residual)``. The information is
    ``I_kl = 1/2 sum_j tr(V_j^-1 dV_j/dk V_j^-1 dV_j/dl)``.
    """
    q = G.shape[0]
    pairs = [(r, c) for r in range(q) for c in range(r + 1)]
    n_par = len(pairs) + len(residual)
    info = np.zeros((n_par, n_par))
    for Z, R in blocks:
        V = Z @ G @ Z.T + np.diag(R @ residual)
        Vinv = np.linalg.inv(V)
        derivs = []
        for r, c in pairs:
            D = np.outer(Z[:, r], Z[:, c])
            derivs.append(D + D.T if r != c else D)
        derivs.extend(np.diag(R[:, g]) for g in range(R.shape[1]))
        A = np.stack([Vinv @ D for D in derivs])
        info += 0.5 * np.einsum("kij,lji->kl", A, A)
    return info


def _varcorr_matrix(varcorr: pd.DataFrame, group: str, names: Sequence[str]) -> np.ndarray:
    G = np.zeros((len(names), len(names)))
    rows = varcorr[varcorr["group"] == group]
    index = {n: i for i, n in enumerate(names)}
    for row in rows.itertuples():
        i = index[row.var1]
        j = index[row.var2] if isinstance(row.var2, str) and row.var2 in index else i
        G[i, j] = G[j, i] = row.vcov
    return G


def _fit(stacked: pd.DataFrame, formula_fixed: str, random: Sequence[str], extra_on: str,
         reml: bool) -> tuple[Any, float]:
    from .models import fit_mixed

    formula = (f"resp ~ 0 + {formula_fixed} + (0 + {' + '.join(random)} | person)"
               f" + (0 + {extra_on} | obs)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a zero tau^2 is handled below
        fit = fit_mixed(stacked, formula, reml=reml)
    tau2 = float(_varcorr_matrix(fit.varcorr, "obs", [extra_on])[0, 0])
    return fit, tau2


def mediate_multilevel(
    data: pd.DataFrame, treatment: str, mediator: str, outcome: str,
    covariates: tuple[str, ...], *, id: str, n_draws: int,
    seed: int | np.random.Generator | None, level: float, reml: bool, random_direct: bool,
) -> Any:
    """Fit the stacked 1-1-1 model; see the module docstring. Returns a MediationResult."""
    from .mediation import PATHS, MediationResult, _frame, _paths

    frame, n_dropped = _frame(data, treatment, mediator, outcome, covariates, [id])
    for name in (treatment, *covariates):
        if not pd.api.types.is_numeric_dtype(frame[name]) or \
                pd.api.types.is_bool_dtype(frame[name]):
            raise HelpingError(f"{name!r} must be numeric for the multilevel model (found "
                               f"dtype {frame[name].dtype}); code it as 0/1 or a number.")
    ids = id_text(frame[id])
    n_persons = int(ids.nunique())
    if n_persons < 5:
        raise HelpingError(f"the multilevel model needs repeated measures of several persons; "
                           f"found {n_persons} person(s) in {id!r}.")
    stacked = _stack(frame, treatment, mediator, outcome, covariates, ids)
    fixed_terms = ["dm", "dm_x", "dy", "dy_m", "dy_x"]
    fixed_terms += [f"{e}_c{k}" for k in range(len(covariates)) for e in ("dm", "dy")]
    random = [*_RE, "dy_x"] if random_direct else list(_RE)

    # single-level residual variances decide which equation gets the extra variance
    xm = np.c_[np.ones(len(frame)), frame[treatment].to_numpy(float)]
    xy = np.c_[xm, frame[mediator].to_numpy(float)]
    s2 = []
    for design, target in ((xm, mediator), (xy, outcome)):
        yv = frame[target].to_numpy(float)
        resid = yv - design @ np.linalg.lstsq(design, yv, rcond=None)[0]
        s2.append(float(resid @ resid) / len(yv))
    order = ["dy", "dm"] if s2[1] >= s2[0] else ["dm", "dy"]
    fit, tau2 = _fit(stacked, " + ".join(fixed_terms), random, order[0], reml)
    if tau2 < 1e-8 * max(s2):
        other, tau2_other = _fit(stacked, " + ".join(fixed_terms), random, order[1], reml)
        if other.loglik > fit.loglik:
            fit, tau2, order = other, tau2_other, order[::-1]
    sigma2 = fit.sigma**2
    resid_var = {"dm": sigma2, "dy": sigma2}
    resid_var[order[0]] += tau2

    coef = fit.fixed.set_index("term")["estimate"]
    vcov = fit.vcov()
    G = _varcorr_matrix(fit.varcorr, "person", random)
    i_a, i_b = random.index("dm_x"), random.index("dy_m")
    cov_ab = float(G[i_a, i_b])
    theta = np.array([coef["dm_x"], coef["dy_m"], coef["dy_x"]])
    V3 = vcov.loc[["dm_x", "dy_m", "dy_x"], ["dm_x", "dy_m", "dy_x"]].to_numpy()

    # expected information of (G, s2_M, s2_Y), person by person
    Zcols = stacked[random].to_numpy()
    R = np.c_[stacked["dm"].to_numpy(), stacked["dy"].to_numpy()]
    codes = pd.factorize(stacked["person"])[0]
    order_rows = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order_rows], np.arange(n_persons + 1))
    blocks = [(Zcols[order_rows[lo:hi]], R[order_rows[lo:hi]])
              for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    info = expected_information(blocks, G, np.array([resid_var["dm"], resid_var["dy"]]))
    pairs = [(r, c) for r in range(len(random)) for c in range(r + 1)]
    k_ab = pairs.index((max(i_a, i_b), min(i_a, i_b)))
    try:
        var_cov_ab = float(np.linalg.inv(info)[k_ab, k_ab])
    except np.linalg.LinAlgError:
        var_cov_ab = float("nan")

    a, b, cp = theta
    est = _paths(np.array(a), np.array(b), np.array(cp))
    est[3] += cov_ab
    est[4] += cov_ab
    est[5] = est[3] / est[4] if est[4] != 0 else np.nan
    va, vb, vc = V3[0, 0], V3[1, 1], V3[2, 2]
    var_ind = b**2 * va + a**2 * vb + 2 * a * b * V3[0, 1] + var_cov_ab
    grad_total = np.array([b, a, 1.0])
    var_total = float(grad_total @ V3 @ grad_total) + var_cov_ab
    total = est[4]
    grad_prop = np.array([b * cp / total**2, a * cp / total**2, -est[3] / total**2]) \
        if total != 0 else np.full(3, np.nan)
    var_prop = float(grad_prop @ V3 @ grad_prop) + (cp / total**2) ** 2 * var_cov_ab \
        if total != 0 else np.nan
    se = np.sqrt([va, vb, vc, var_ind, var_total, var_prop])

    rng = np.random.default_rng(seed)
    draws = np.full((n_draws, len(PATHS)), np.nan)
    table = pd.DataFrame(np.nan, index=pd.Index(PATHS, name="path"),
                         columns=["estimate", "se", "perc_lower", "perc_upper", "bca_lower",
                                  "bca_upper"])
    table["estimate"], table["se"] = est, se
    if n_draws:
        fixed_draws = rng.multivariate_normal(theta, V3, size=n_draws)
        cov_draws = cov_ab + np.sqrt(max(var_cov_ab, 0.0)) * rng.standard_normal(n_draws)
        da, db, dc = fixed_draws.T
        draws = _paths(da, db, dc)
        draws[:, 3] += cov_draws
        draws[:, 4] += cov_draws
        with np.errstate(divide="ignore", invalid="ignore"):
            draws[:, 5] = draws[:, 3] / draws[:, 4]
        probs = [(1 - level) / 2, (1 + level) / 2]
        for j, path in enumerate(PATHS):
            column = draws[:, j][np.isfinite(draws[:, j])]
            table.loc[path, ["perc_lower", "perc_upper"]] = np.quantile(column, probs)
    z = est[3] / se[3]
    sobel = pd.Series({"estimate": est[3], "se": se[3], "z": z,
                       "p": float(2 * stats.norm.sf(abs(z)))}, name="sobel")
    names = {"dm": "intercept_mediator", "dm_x": "a", "dy": "intercept_outcome", "dy_m": "b",
             "dy_x": "direct"}
    labels = [names[r] for r in random]
    details = {
        "reml": reml, "random_direct": random_direct,
        "sigma2_mediator": resid_var["dm"], "sigma2_outcome": resid_var["dy"],
        "random_covariance": pd.DataFrame(G, index=labels, columns=labels),
        "cov_ab": cov_ab, "cov_ab_se": float(np.sqrt(var_cov_ab)),
        "loglik": float(fit.loglik), "converged": bool(fit.converged),
        "singular": bool(fit.singular),
    }
    return MediationResult(
        table=table, sobel=sobel, design="multilevel 1-1-1", n=len(frame), n_dropped=n_dropped,
        n_clusters=n_persons, n_boot=n_draws, n_boot_failed=0, level=level,
        treatment=treatment, mediator=mediator, outcome=outcome, covariates=covariates,
        treatment_levels=None, details=details,
        boot=pd.DataFrame(draws, columns=list(PATHS)),
    )
