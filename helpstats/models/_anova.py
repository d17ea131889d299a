"""Type III F tests as lmerTest's ``anova(type = 3)``.

The hypothesis matrices follow lmerTest for treatment-coded models: map the
full indicator ("rank-deficient") design onto the model's columns through a
pseudo-inverse, orthogonalise each term's columns against the columns of the
terms that contain it (higher-order terms first), and test each term's
non-zero rows jointly with Satterthwaite's approximation (contestMD).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from ._protocol import ModelResult

__all__ = ["anova_type3", "type3_hypotheses"]


def zapsmall(x: np.ndarray, digits: int = 7) -> np.ndarray:
    """R's ``zapsmall``: round relative to the largest absolute entry.

    Examples
    --------
    >>> zapsmall(np.array([1.0, 1e-12])).tolist()
    [1.0, 0.0]
    """
    mx = float(np.max(np.abs(x), initial=0.0))
    if mx <= 0 or not np.isfinite(mx):
        return x
    return np.round(x, max(0, digits - int(np.ceil(np.log10(mx)))))


def _contained_in(terms: tuple[tuple[str, ...], ...], numeric: set[str]) -> list[list[int]]:
    """For each term, the other terms containing it (lmerTest's ``relatives``)."""
    out = []
    for i, t1 in enumerate(terms):
        rel = []
        for j, t2 in enumerate(terms):
            if i == j:
                continue
            if not set(t1) <= set(t2):
                continue
            if {v for v in t1 if v in numeric} != {v for v in t2 if v in numeric}:
                continue
            rel.append(j)
        out.append(rel)
    return out


def type3_hypotheses(fit: ModelResult) -> dict[str, np.ndarray]:
    """Type III hypothesis matrix (rows x coefficients) of every fixed term."""
    spec = fit.spec
    frame = fit.data
    keep = list(fit.coef_columns)
    labels = list(spec.terms)
    term_index = {lab: k for k, lab in enumerate(labels)}
    assign = np.array([term_index.get(spec.column_terms[i], -1) for i in keep])
    X = spec.fixed_matrix(frame)[:, keep]
    names = list(fit.coef.index)
    terms = tuple(spec.term_variables(lab) for lab in labels)
    if X.shape[1] <= 1 or len(terms) <= 1:
        eye = np.eye(X.shape[1])
        return {lab: eye[assign == k] for k, lab in enumerate(labels) if np.any(assign == k)}
    blocks = [np.ones((len(frame), 1))] if spec.intercept else []
    rd_names = ["(Intercept)"] if spec.intercept else []
    for lab in labels:
        Xt, nt = spec.term_matrix(frame, lab)
        blocks.append(Xt)
        rd_names.extend(nt)
    rdX = np.column_stack(blocks)
    L = zapsmall((np.linalg.pinv(X) @ rdX).T)  # rdX columns x model columns
    cols = {k: np.flatnonzero(assign == k) for k in range(len(terms))}
    numeric = {a for t in terms for a in t if spec.variable_is_numeric(a)}
    contained = _contained_in(terms, numeric)
    order = sorted(range(len(terms)), key=lambda k: -len(terms[k]))
    for k in order:
        if contained[k] and len(cols[k]):
            other = np.concatenate([cols[j] for j in contained[k]])
            A = L[:, other]
            B = L[:, cols[k]]
            coef, *_ = np.linalg.lstsq(A, B, rcond=None)
            L[:, cols[k]] = zapsmall(B - A @ coef)
    rows = [rd_names.index(nm) for nm in names]
    L = L[rows]
    out = {}
    for k, lab in enumerate(labels):
        if not len(cols[k]):
            continue
        Lk = L[:, cols[k]].T
        out[lab] = Lk[np.sum(np.abs(Lk), axis=1) > 1e-8]
    return out


def anova_type3(fit: ModelResult, *, df: str | None = None) -> pd.DataFrame:
    """Type III table ``term, num_df, den_df, F, p``; see :meth:`MixedFit.anova`."""
    rows = []
    for term, L in type3_hypotheses(fit).items():
        q, ddf, F = fit.contrast_test(L, df=df)
        rows.append({"term": term, "num_df": q, "den_df": ddf, "F": F,
                     "p": float(stats.f.sf(F, q, ddf))})
    return pd.DataFrame(rows, columns=["term", "num_df", "den_df", "F", "p"])
