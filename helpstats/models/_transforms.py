"""Stateful transforms and contrasts of R's formula language, numerically as R.

Each ``*_learn`` function computes, from the model frame, the parameters R
stores on the result (``attr(, "coefs")`` of ``poly``, the knots of ``bs`` and
``ns``, the centre and scale of ``scale``); each ``*_apply`` rebuilds the
columns for any data from those parameters, so a reference grid (emmeans) or
new data get exactly the same basis.

Examples
--------
>>> import numpy as np
>>> x = np.array([1.0, 2, 3, 4, 5])
>>> p = poly_learn(x, 2)
>>> np.round(poly_apply(x, p), 6)[:, 0].tolist()
[-0.632456, -0.316228, 0.0, 0.316228, 0.632456]
>>> contrast_matrix("sum", 3).tolist()
[[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.interpolate import BSpline

from ..errors import ModelError

__all__ = [
    "contrast_matrix",
    "contrast_suffixes",
    "poly_apply",
    "poly_learn",
    "spline_apply",
    "spline_learn",
]


# ------------------------------------------------------------------ poly
def poly_learn(x: np.ndarray, degree: int) -> dict[str, Any]:
    """Recurrence coefficients of R's orthonormal ``poly(x, degree)`` (``alpha``, ``norm2``).

    The monic polynomials orthogonal over the observed ``x`` (what R's QR
    gives) satisfy ``p[i+1] = (x - alpha[i]) p[i] - (norm2[i+1] / norm2[i]) p[i-1]``;
    R's ``predict.poly`` uses the same recurrence.
    """
    x = np.asarray(x, dtype=float)
    if degree < 1:
        raise ModelError(f"poly() needs degree >= 1; found {degree}.")
    if len(np.unique(x)) <= degree:
        raise ModelError(
            f"poly(x, {degree}) needs more than {degree} distinct values of x; found "
            f"{len(np.unique(x))}. Use a lower degree."
        )
    xbar = float(np.mean(x))
    xc = x - xbar
    alpha = np.zeros(degree)
    norm2 = np.zeros(degree + 2)
    norm2[0] = 1.0
    prev = np.zeros_like(xc)
    cur = np.ones_like(xc)
    norm2[1] = float(cur @ cur)
    for i in range(degree):
        alpha[i] = float(xc @ (cur * cur)) / norm2[i + 1]
        nxt = (xc - alpha[i]) * cur - (norm2[i + 1] / norm2[i]) * prev
        prev, cur = cur, nxt
        norm2[i + 2] = float(cur @ cur)
    return {"alpha": tuple(float(a + xbar) for a in alpha),
            "norm2": tuple(float(v) for v in norm2), "degree": degree}


def poly_apply(x: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """Columns of ``poly`` at ``x`` from learned ``alpha``/``norm2`` (R's predict.poly)."""
    x = np.asarray(x, dtype=float)
    alpha = params["alpha"]
    norm2 = params["norm2"]
    degree = int(params["degree"])
    Z = np.empty((len(x), degree + 1))
    Z[:, 0] = 1.0
    Z[:, 1] = x - alpha[0]
    for i in range(1, degree):
        Z[:, i + 1] = (x - alpha[i]) * Z[:, i] - (norm2[i + 1] / norm2[i]) * Z[:, i - 1]
    return Z[:, 1:] / np.sqrt(np.asarray(norm2[2:], dtype=float))


# ------------------------------------------------------------------ splines
def _design(knots: np.ndarray, x: np.ndarray, order: int, deriv: int = 0) -> np.ndarray:
    """R's ``splines::splineDesign(knots, x, ord, derivs)`` for x inside the knots."""
    nb = len(knots) - order
    spl = BSpline(knots, np.eye(nb), order - 1, extrapolate=True)
    if deriv:
        spl = spl.derivative(deriv)
    return np.atleast_2d(spl(x))


def spline_learn(x: np.ndarray, kind: str, *, df: int | None, knots: Any, degree: int,
                 intercept: bool, boundary: Any) -> dict[str, Any]:
    """Knots of R's ``bs`` (``kind="bs"``) or ``ns`` (``kind="ns"``): interior knots at
    quantiles of ``x`` (R's type 7) when only ``df`` is given, boundary knots at its range."""
    x = np.asarray(x, dtype=float)
    order = degree + 1 if kind == "bs" else 4
    bk = (float(np.min(x)), float(np.max(x))) if boundary is None else tuple(
        float(b) for b in boundary)
    if knots is None:
        if df is None:
            n_inner = 0
        else:
            n_inner = int(df) - (order - 1 if kind == "bs" else 1) - int(intercept)
            if n_inner < 0:
                lowest = (order - 1 if kind == "bs" else 1) + int(intercept)
                raise ModelError(f"{kind}(x, df = {df}) is too small: df must be at least "
                                 f"{lowest} for this spline.")
        probs = np.linspace(0, 1, n_inner + 2)[1:-1]
        inside = x[(x >= bk[0]) & (x <= bk[1])]
        inner = np.quantile(inside, probs) if n_inner else np.zeros(0)
    else:
        inner = np.sort(np.atleast_1d(np.asarray(knots, dtype=float)))
    return {"kind": kind, "knots": tuple(float(k) for k in inner), "boundary": bk,
            "degree": order - 1, "intercept": bool(intercept)}


def _bs_basis(x: np.ndarray, all_knots: np.ndarray, order: int, bk: tuple[float, float]
              ) -> np.ndarray:
    out = np.empty((len(x), len(all_knots) - order))
    inside = (x >= bk[0]) & (x <= bk[1])
    out[inside] = _design(all_knots, x[inside], order)
    for pivot, mask in ((bk[0], x < bk[0]), (bk[1], x > bk[1])):
        if np.any(mask):  # R: Taylor expansion at the boundary knot
            derivs = np.vstack([_design(all_knots, np.array([pivot]), order, d)
                                for d in range(order)])
            scale = np.array([float(np.prod(np.arange(1, d + 1))) for d in range(order)])
            powers = np.power.outer(x[mask] - pivot, np.arange(order))
            out[mask] = powers @ (derivs / scale[:, None])
    return out


def spline_apply(x: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """Basis of ``bs``/``ns`` at ``x`` from learned knots (as R's ``predict``)."""
    x = np.asarray(x, dtype=float)
    bk = params["boundary"]
    inner = np.asarray(params["knots"], dtype=float)
    if params["kind"] == "bs":
        order = int(params["degree"]) + 1
        all_knots = np.sort(np.concatenate([np.repeat(bk, order), inner]))
        basis = _bs_basis(x, all_knots, order, bk)
        return basis if params["intercept"] else basis[:, 1:]
    all_knots = np.sort(np.concatenate([np.repeat(bk, 4), inner]))
    basis = np.empty((len(x), len(all_knots) - 4))
    inside = (x >= bk[0]) & (x <= bk[1])
    basis[inside] = _design(all_knots, x[inside], 4)
    for pivot, mask in ((bk[0], x < bk[0]), (bk[1], x > bk[1])):
        if np.any(mask):  # natural spline: linear beyond the boundary
            b0 = _design(all_knots, np.array([pivot]), 4)
            b1 = _design(all_knots, np.array([pivot]), 4, 1)
            basis[mask] = b0 + np.outer(x[mask] - pivot, b1[0])
    const = _design(all_knots, np.array(bk), 4, 2)
    if not params["intercept"]:
        const = const[:, 1:]
        basis = basis[:, 1:]
    q, _ = np.linalg.qr(const.T, mode="complete")
    return (basis @ q)[:, 2:]


# ------------------------------------------------------------------ contrasts
def contrast_matrix(kind: str, n_levels: int, reference: int = 0) -> np.ndarray:
    """R's ``contr.treatment`` (with ``base = reference + 1``), ``contr.sum`` or ``contr.poly``."""
    if kind == "treatment":
        return np.delete(np.eye(n_levels), reference, axis=1)
    if kind == "sum":
        out = np.vstack([np.eye(n_levels - 1), -np.ones((1, n_levels - 1))])
        return out
    if kind == "poly":
        return poly_apply(np.arange(1.0, n_levels + 1),
                          poly_learn(np.arange(1.0, n_levels + 1), n_levels - 1))
    raise ModelError(f"Unknown contrast {kind!r}; use treatment, sum or poly.")


def contrast_suffixes(kind: str, labels: list[str], reference: int = 0) -> list[str]:
    """Column-name suffixes R gives each contrast column."""
    if kind == "treatment":
        return [lab for i, lab in enumerate(labels) if i != reference]
    if kind == "sum":
        return [str(i) for i in range(1, len(labels))]
    named = [".L", ".Q", ".C"]
    return [named[i] if i < 3 else f"^{i + 1}" for i in range(len(labels) - 1)]
