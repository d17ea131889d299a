"""Detect complete (or quasi-complete) separation in binomial GLMMs.

Two checks. Before fitting: the rows of a factor level or interaction cell
(a 0/1 column of the fixed design, or the reference level of a factor) that
hold only successes or only failures drive that coefficient to infinity.
After fitting: a coefficient whose effect over one standard deviation of its
column exceeds 15 on the link scale (a change in odds of more than 3e6), the
signature of separation by a numeric covariate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import ModelError
from .._formula import Formula
from ..spec import ModelSpec

__all__ = ["check_divergence", "check_separation"]

_BOUND = 15.0


def _fail(what: str, kind: str) -> ModelError:
    return ModelError(
        f"Complete separation: {what} has only {kind}, so its coefficient has no finite "
        "maximum-likelihood estimate. Merge sparse levels, drop the term, or check how the "
        "outcome was derived."
    )


def check_separation(X: np.ndarray, names: list[str], y: np.ndarray, weights: np.ndarray,
                     parsed: Formula, frame: pd.DataFrame, model: ModelSpec) -> None:
    """Raise :class:`ModelError` naming the first separated factor level or cell."""
    succ = weights * y
    fail = weights * (1 - y)
    if succ.sum() == 0 or fail.sum() == 0:
        kind = "failures" if succ.sum() == 0 else "successes"
        raise ModelError(f"The outcome has only {kind}; a binomial model needs both.")
    for j, name in enumerate(names):
        col = X[:, j]
        if name == "(Intercept)" or not np.all((col == 0) | (col == 1)):
            continue
        rows = col == 1
        if weights[rows].sum() == 0:
            continue
        if succ[rows].sum() == 0:
            raise _fail(f"the term {name!r} (rows where it is 1)", "failures")
        if fail[rows].sum() == 0:
            raise _fail(f"the term {name!r} (rows where it is 1)", "successes")
    for term in parsed.fixed.terms:
        if len(term) != 1 or term[0] not in frame.columns or not model.is_factor(term[0]):
            continue
        v = term[0]
        levels = model.factor_levels(v)
        if not levels:
            continue
        ref = levels[0]
        rows = (frame[v].to_numpy(dtype=object) == ref)
        if weights[rows].sum() == 0:
            continue
        for part, kind in ((succ, "failures"), (fail, "successes")):
            if part[rows].sum() == 0:
                raise _fail(f"the reference level {ref!r} of {v!r}", kind)


def check_divergence(X: np.ndarray, names: list[str], beta: np.ndarray) -> None:
    """Raise when a coefficient diverged (separation by a numeric covariate)."""
    sd = X.std(axis=0)
    for name, b, s in zip(names, beta, sd, strict=True):
        if name != "(Intercept)" and s > 0 and abs(b) * s > _BOUND:
            raise ModelError(
                f"Complete separation: the coefficient of {name!r} diverged ({b:.3g}, i.e. "
                f"{abs(b) * s:.1f} on the link scale per SD of the column): the outcome is "
                f"(almost) perfectly predicted by {name!r}. Drop or coarsen it, or check how the "
                "outcome was derived."
            )
