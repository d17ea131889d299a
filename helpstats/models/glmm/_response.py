"""The response of a GLMM: ``cbind(successes, failures)``, binary codings, counts.

The formula parser reads a single response column; this module splits the
left-hand side off first, so ``cbind(s, f)`` (and ``cbind(s, n - s)``) work
as in R. Binomial responses become proportions ``y`` with trials as prior
weights, as R's ``binomial()$initialize`` does: 0/1 numbers, booleans and
two-level factors (the first level is failure, as R) with weight 1, or
proportions with ``weights=`` trials.

Examples
--------
>>> split_response("cbind(s, n - s) ~ x + (1 | g)")
(Response(kind='cbind', columns=('s', 'n'), text='cbind(s, n - s)', second='n - s'), 'x + (1 | g)')
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import ModelError
from .._design import r_sort
from ..families import Family

__all__ = ["Response", "binomial_outcome", "count_outcome", "split_response"]

_NAME = r"`[^`]+`|[A-Za-z_.][A-Za-z0-9_.]*"


def _unquote(s: str) -> str:
    s = s.strip()
    return s[1:-1] if s.startswith("`") else s


@dataclass(frozen=True)
class Response:
    """Left-hand side of the formula: one column, or ``cbind(successes, failures)``."""

    kind: str  # "column" or "cbind"
    columns: tuple[str, ...]
    text: str
    second: str | None = None  # the failures expression of cbind: "f" or "n - s"

    @property
    def name(self) -> str:
        """The response's name (column or the cbind text)."""
        return self.columns[0] if self.kind == "column" else self.text


def split_response(formula: str) -> tuple[Response, str]:
    """Split ``formula`` into its response and right-hand side text."""
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ModelError(
            f"The formula {formula!r} must contain exactly one '~', as in "
            "'remission ~ arm * wave + (1 | participant)'."
        )
    lhs, rhs = (s.strip() for s in formula.split("~"))
    m = re.fullmatch(rf"cbind\s*\(\s*({_NAME})\s*,\s*(.+?)\s*\)", lhs)
    if m:
        first = _unquote(m.group(1))
        second = m.group(2).strip()
        diff = re.fullmatch(rf"({_NAME})\s*-\s*({_NAME})", second)
        if diff:
            total, again = _unquote(diff.group(1)), _unquote(diff.group(2))
            if again != first:
                raise ModelError(
                    f"In {lhs!r} the failures must be a column or 'total - {first}'; "
                    f"found {second!r}."
                )
            return Response("cbind", (first, total), lhs, f"{total} - {first}"), rhs
        if not re.fullmatch(_NAME, second):
            raise ModelError(
                f"Cannot read {lhs!r}: expected cbind(successes, failures) with two column "
                "names, or cbind(successes, total - successes)."
            )
        return Response("cbind", (first, _unquote(second)), lhs, _unquote(second)), rhs
    if not re.fullmatch(_NAME, lhs):
        raise ModelError(
            f"The response {lhs!r} in {formula!r} must be a column name or "
            "cbind(successes, failures). Compute other expressions as a column first."
        )
    return Response("column", (_unquote(lhs),), lhs), rhs


def binomial_outcome(frame: pd.DataFrame, resp: Response, weights: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, Hashable | None]:
    """Proportions and binomial weights (trials x prior weights); the success level."""
    if resp.kind == "cbind":
        s = frame[resp.columns[0]].to_numpy(dtype=float)
        other = frame[resp.columns[1]].to_numpy(dtype=float)
        f = other - s if resp.second and "-" in resp.second else other
        bad = (s < 0) | (f < 0) | (np.abs(s - np.round(s)) > 1e-8) | (np.abs(f - np.round(f)) > 1e-8)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ModelError(
                f"{resp.text} needs non-negative whole numbers of successes and failures; row "
                f"{frame.index[i]!r} has {s[i]:g} successes and {f[i]:g} failures."
            )
        n = s + f
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(n > 0, s / np.where(n > 0, n, 1.0), 0.0)
        return y, n * weights, None
    name = resp.columns[0]
    col = frame[name]
    success: Hashable | None = None
    if pd.api.types.is_bool_dtype(col):
        y = col.to_numpy(dtype=float)
    elif isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col):
        if isinstance(col.dtype, pd.CategoricalDtype):
            levels = [c for c in col.cat.categories.tolist() if c in set(col.unique().tolist())]
        else:
            levels = r_sort(col.unique().tolist())
        if len(levels) != 2:
            raise ModelError(
                f"The binomial outcome {name!r} has {len(levels)} distinct values "
                f"{[str(v) for v in levels][:6]}; expected two (the first is failure, as R). "
                "Recode it, e.g. remission = phq9_total < 5."
            )
        success = levels[1]
        y = (col.to_numpy(dtype=object) == success).astype(float)
    else:
        y = col.to_numpy(dtype=float)
        if np.any((y < 0) | (y > 1)):
            bad = sorted({float(v) for v in y[(y < 0) | (y > 1)]})[:5]
            raise ModelError(
                f"The binomial outcome {name!r} has values {bad} outside [0, 1]; expected 0/1, "
                "booleans, a two-level factor, proportions with weights= trials, or "
                "cbind(successes, failures)."
            )
        nonbinary = (y != 0) & (y != 1)
        if nonbinary.any() and np.all(weights == 1):
            bad = sorted({float(v) for v in y[nonbinary]})[:5]
            raise ModelError(
                f"The binomial outcome {name!r} has values {bad} that are not 0 or 1; for "
                "proportions pass weights= the number of trials, or use cbind(successes, "
                "failures)."
            )
        k = y * weights
        if np.any(np.abs(k - np.round(k)) > 1e-6):
            warnings.warn(f"non-integer number of successes in {name!r} (y * weights)",
                          UserWarning, stacklevel=4)
    return y, weights.astype(float), success


def count_outcome(frame: pd.DataFrame, resp: Response, family: Family) -> np.ndarray:
    """A Poisson / negative binomial count outcome, checked."""
    if resp.kind != "column":
        raise ModelError(f"cbind() responses are for the binomial family, not {family.name}.")
    name = resp.columns[0]
    col = frame[name]
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        raise ModelError(
            f"The count outcome {name!r} must be numeric; found dtype {col.dtype}."
        )
    y = col.to_numpy(dtype=float)
    if np.any(y < 0):
        i = int(np.flatnonzero(y < 0)[0])
        raise ModelError(
            f"The count outcome {name!r} has negative values (row {frame.index[i]!r}: "
            f"{y[i]:g}); {family.name} counts must be 0, 1, 2, ..."
        )
    if np.any(np.abs(y - np.round(y)) > 1e-8):
        warnings.warn(f"non-integer counts in {name!r} for the {family.name} family",
                      UserWarning, stacklevel=4)
    return y
