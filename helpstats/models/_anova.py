"""Type III F tests as lmerTest's ``anova(type = 3)``.

The hypothesis matrices follow lmerTest for treatment-coded models: map the
full indicator ("rank-deficient") design onto the model's columns through a
pseudo-inverse, orthogonalise each term's columns against the columns of the
terms that contain it (higher-order terms first), and test each term's
non-zero rows jointly with Satterthwaite's approximation (contestMD).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ._design import drop_collinear

if TYPE_CHECKING:
    from ._protocol import ModelResult
    from .spec import ModelSpec

__all__ = ["anova_type3", "term_hypotheses", "type3_hypotheses", "wald_table"]


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


def _contained_in(terms: list[str], variables: dict[str, set[str]],
                  numeric: dict[str, set[str]]) -> dict[str, list[str]]:
    """For each term, the terms containing it (lmerTest's ``containment``): ``variables``
    are the atoms of a term that R's ``factors`` attribute marks 1 (numeric, or a factor
    coded by contrasts; indicator-coded factors, marked 2, do not count)."""
    out = {}
    for t1 in terms:
        out[t1] = [t2 for t2 in terms
                   if variables[t1] <= variables[t2] and variables[t2] - variables[t1]
                   and numeric[t1] == numeric[t2]]
    return out


def _doolittle_rows(X: np.ndarray) -> np.ndarray:
    """Rows of lmerTest's type I contrasts: ``t(L)`` of the unit-lower LDL' of ``X'X``."""
    R = np.linalg.cholesky(X.T @ X).T  # X'X = R'R, R upper
    return R / np.diag(R)[:, None]


def _type3_treatment(spec: ModelSpec, frame: pd.DataFrame, X: np.ndarray, names: list[str],
                     assign: np.ndarray) -> dict[str, np.ndarray]:
    """lmerTest's ``extract_contrasts_type3`` for a treatment-coded, full-rank ``X``."""
    labels = list(spec.terms)
    blocks = [np.ones((len(frame), 1))] if spec.intercept else []
    rd_names = ["(Intercept)"] if spec.intercept else []
    for lab in labels:
        Xt, nt = spec.term_matrix(frame, lab)
        blocks.append(Xt)
        rd_names.extend(nt)
    rdX = np.column_stack(blocks)
    L = zapsmall((np.linalg.pinv(X) @ rdX).T)  # rdX columns x model columns
    cols = {lab: np.flatnonzero(assign == k) for k, lab in enumerate(labels)}
    # R's factors attribute marks a main effect 1 even when it is coded by indicators
    # (no intercept); in interactions an indicator-coded factor is marked 2
    variables = {lab: {a for a, how in spec.term_coding(lab)
                       if how != "full" or len(spec.term_variables(lab)) == 1}
                 for lab in labels}
    numeric = {lab: {a for a, how in spec.term_coding(lab) if how == "num"} for lab in labels}
    contained = _contained_in(labels, variables, numeric)
    order = sorted(labels, key=lambda lab: -len(spec.term_variables(lab)))
    for lab in order:
        if contained[lab] and len(cols[lab]):
            other = np.concatenate([cols[j] for j in contained[lab]])
            A = L[:, other]
            B = L[:, cols[lab]]
            coef, *_ = np.linalg.lstsq(A, B, rcond=None)
            L[:, cols[lab]] = zapsmall(B - A @ coef)
    L = L[[rd_names.index(nm) for nm in names]]
    out = {}
    for lab in labels:
        if not len(cols[lab]):
            continue
        Lk = L[:, cols[lab]].T
        out[lab] = Lk[np.sum(np.abs(Lk), axis=1) > 1e-8]
    return out


def type3_hypotheses(fit: ModelResult) -> dict[str, np.ndarray]:
    """Type III hypothesis matrix (rows x coefficients) of every fixed term (lmerTest's
    ``get_contrasts_type3``): factors in other contrasts than treatment are recoded to
    treatment contrasts, the hypotheses built there and mapped back."""
    return term_hypotheses(fit.spec, fit.data, list(fit.coef_columns))


def term_hypotheses(spec: ModelSpec, frame: pd.DataFrame, keep: list[int], *,
                    single: str = "doolittle") -> dict[str, np.ndarray]:
    """The Type III hypotheses of every family (see :func:`type3_hypotheses`), from the
    model spec, the model frame and the kept model-matrix columns ``keep``.

    With one term (or one column) the hypothesis of each term is its coefficients:
    ``single="doolittle"`` gives lmerTest's rows (type I = type III), ``"identity"``
    unit rows; the two span the same space, so Wald and Kenward-Roger tests agree and
    only a multi-df Satterthwaite df can differ.
    """
    labels = list(spec.terms)
    term_index = {lab: k for k, lab in enumerate(labels)}
    X = spec.fixed_matrix(frame)[:, keep]
    names = [spec.columns[i] for i in keep]
    if X.shape[1] <= 1 or len(labels) <= 1:
        assign = np.array([term_index.get(spec.column_terms[i], -1) for i in keep])
        if single == "identity":
            rows = np.eye(X.shape[1])
        else:
            rows = _doolittle_rows(X) if X.shape[1] else np.zeros((0, 0))
        return {lab: rows[assign == k] for k, lab in enumerate(labels) if np.any(assign == k)}
    if spec.has_only_treatment_contrasts:
        assign = np.array([term_index.get(spec.column_terms[i], -1) for i in keep])
        return _type3_treatment(spec, frame, X, names, assign)
    XT, names_t, assign_t = spec.treatment_matrix(frame)
    keep_t = drop_collinear(XT)
    XT = XT[:, keep_t]
    out = _type3_treatment(spec, frame, XT, [names_t[i] for i in keep_t],
                           np.array([assign_t[i] for i in keep_t]))
    mapping = zapsmall(np.linalg.pinv(XT) @ X)
    return {lab: L @ mapping for lab, L in out.items()}


def anova_type3(fit: ModelResult, *, df: str | None = None) -> pd.DataFrame:
    """Type III table ``term, num_df, den_df, F, p``; see :meth:`MixedFit.anova`."""
    return wald_table(type3_hypotheses(fit), lambda L: fit.contrast_test(L, df=df))


def wald_table(hypotheses: Mapping[str, np.ndarray],
               test: Callable[[np.ndarray], tuple[int, float, float]], *,
               chisq: bool = False) -> pd.DataFrame:
    """The Type III table of every family: ``test(L)`` gives ``(num_df, den_df, F)`` of
    ``L beta = 0`` with the family's covariance and df method.

    Returns ``term, num_df, den_df, F, p`` (F distribution), or with ``chisq=True``
    (a GLMM's asymptotic test, ``den_df`` infinite) ``term, df, chisq, p`` where
    ``chisq = num_df * F``.
    """
    rows = []
    for term, L in hypotheses.items():
        q, ddf, F = test(L)
        if chisq:
            rows.append({"term": term, "df": q, "chisq": q * F, "p": float(stats.chi2.sf(q * F, q))})
        else:
            rows.append({"term": term, "num_df": q, "den_df": ddf, "F": F,
                         "p": float(stats.f.sf(F, q, ddf))})
    columns = ["term", "df", "chisq", "p"] if chisq else ["term", "num_df", "den_df", "F", "p"]
    return pd.DataFrame(rows, columns=columns)
