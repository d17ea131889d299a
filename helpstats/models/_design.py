"""Model frames and design matrices with R's treatment coding.

A :class:`Coding` remembers, for every variable of a formula, whether it is
numeric or a factor (and its levels), so the same columns can be rebuilt for
new data such as an emmeans reference grid.

Examples
--------
>>> import pandas as pd
>>> from helpstats.models._formula import parse_rhs
>>> d = pd.DataFrame({"x": [1.0, 2.0, 3.0], "a": ["q", "p", "q"]})
>>> coding = Coding.from_frame(d, ["x", "a"])
>>> X, names, assign = design_matrix(d, parse_rhs("x * a"), coding)
>>> names
['(Intercept)', 'x', 'aq', 'x:aq']
>>> X[:, 3].tolist()
[1.0, 0.0, 3.0]
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ModelError
from ._formula import FixedSpec

__all__ = ["Coding", "design_matrix", "drop_collinear", "group_codes", "level_label", "r_sort"]


def r_sort(values: Sequence[Hashable]) -> list[Hashable]:
    """Sort distinct values the way R orders factor levels made from a vector.

    Numbers sort numerically; strings case-insensitively with lower case first
    among equals (R's usual collation for ASCII letters); booleans False < True.

    Examples
    --------
    >>> r_sort(["b", "B", "a", "10", "9"])
    ['10', '9', 'a', 'b', 'B']
    """
    vals = list(dict.fromkeys(values))
    if all(isinstance(v, (bool, np.bool_)) for v in vals):
        return sorted(vals, key=bool)
    if all(isinstance(v, (int, float, np.integer, np.floating)) for v in vals):
        return sorted(vals, key=lambda v: float(v))  # type: ignore[arg-type]
    return sorted(vals, key=lambda v: (str(v).casefold(), str(v).swapcase()))


def level_label(level: Hashable) -> str:
    """Text R uses for a factor level inside a column name.

    Examples
    --------
    >>> level_label(True), level_label(3.0), level_label("TAU")
    ('TRUE', '3', 'TAU')
    """
    if isinstance(level, (bool, np.bool_)):
        return "TRUE" if level else "FALSE"
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))
    return str(level)


@dataclass(frozen=True)
class Coding:
    """Variable types of a model: numeric covariates and factor levels."""

    levels: dict[str, list[Hashable]] = field(default_factory=dict)
    numeric: tuple[str, ...] = ()

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, variables: Sequence[str]) -> Coding:
        """Classify ``variables`` of a complete-case ``frame``."""
        levels: dict[str, list[Hashable]] = {}
        numeric: list[str] = []
        for v in dict.fromkeys(variables):
            col = frame[v]
            if isinstance(col.dtype, pd.CategoricalDtype):
                present = set(col.unique().tolist())
                levels[v] = [c for c in col.cat.categories.tolist() if c in present]
            elif pd.api.types.is_bool_dtype(col):
                levels[v] = r_sort(col.unique().tolist())
            elif pd.api.types.is_numeric_dtype(col):
                numeric.append(v)
            else:
                levels[v] = r_sort(col.unique().tolist())
        return cls(levels=levels, numeric=tuple(numeric))

    def is_factor(self, name: str) -> bool:
        """Whether ``name`` is coded as a factor."""
        return name in self.levels


def _codings(spec: FixedSpec, coding: Coding) -> list[list[tuple[str, str]]]:
    """Per term, each variable's coding: 'num', 'contrast' or 'full' (R's rule)."""
    present = {frozenset(t) for t in spec.terms}
    if spec.intercept:
        present.add(frozenset())
    out = []
    for term in spec.terms:
        row = []
        for v in term:
            if not coding.is_factor(v):
                row.append((v, "num"))
            elif frozenset(term) - {v} in present:
                row.append((v, "contrast"))
            else:
                row.append((v, "full"))
                present.add(frozenset(term) - {v})  # R: later factors use contrasts
        out.append(row)
    return out


def _variable_columns(
    frame: pd.DataFrame, var: str, how: str, coding: Coding
) -> list[tuple[str, np.ndarray]]:
    col = frame[var]
    if how == "num":
        return [(var, col.to_numpy(dtype=float))]
    levels = coding.levels[var]
    values = col.to_numpy(dtype=object)
    unknown = set(pd.unique(values)) - set(levels)
    if unknown:
        raise ModelError(
            f"Column {var!r} has values {sorted(map(str, unknown))} that the model "
            f"was not fitted with; expected one of {[level_label(x) for x in levels]}."
        )
    used = levels[1:] if how == "contrast" else levels
    return [(f"{var}{level_label(lv)}", (values == lv).astype(float)) for lv in used]


def design_matrix(
    frame: pd.DataFrame, spec: FixedSpec, coding: Coding
) -> tuple[np.ndarray, list[str], list[int]]:
    """Build the model matrix of ``spec`` for ``frame``.

    Returns the matrix, R-style column names and, per column, the index of
    its term (``-1`` for the intercept).
    """
    n = len(frame)
    cols: list[np.ndarray] = []
    names: list[str] = []
    assign: list[int] = []
    if spec.intercept:
        cols.append(np.ones(n))
        names.append("(Intercept)")
        assign.append(-1)
    for k, row in enumerate(_codings(spec, coding)):
        pieces = [_variable_columns(frame, v, how, coding) for v, how in row]
        # R: the first variable varies fastest
        for combo in itertools.product(*reversed(pieces)):
            parts = list(reversed(combo))
            names.append(":".join(p[0] for p in parts))
            vec = parts[0][1].copy()
            for p in parts[1:]:
                vec = vec * p[1]
            cols.append(vec)
            assign.append(k)
    X = np.column_stack(cols) if cols else np.empty((n, 0))
    return X, names, assign


def drop_collinear(X: np.ndarray, tol: float = 1e-7) -> list[int]:
    """Indices of columns kept when later collinear columns are dropped (as R's qr).

    A column is dropped when its residual after projection on the columns
    before it is below ``tol`` times its norm (the diagonal of R in X = QR).

    Examples
    --------
    >>> X = np.array([[1.0, 1, 2], [1, 2, 4], [1, 3, 6]])
    >>> drop_collinear(X)
    [0, 1]
    """
    if X.shape[1] == 0:
        return []
    R = np.asarray(np.linalg.qr(X, mode="r"))
    norms = np.linalg.norm(X, axis=0)
    diag = np.abs(np.diag(R)) if R.shape[0] >= X.shape[1] else np.zeros(X.shape[1])
    if R.shape[0] < X.shape[1]:
        diag[: R.shape[0]] = np.abs(np.diag(R))
    return [j for j in range(X.shape[1]) if norms[j] > 0 and diag[j] > tol * norms[j]]


def _labels(values: np.ndarray) -> list[str]:
    if values.dtype.kind in "iu":
        return values.astype(str).tolist()
    if values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0):
        return values.astype(np.int64).astype(str).tolist()
    return [level_label(v) for v in values.tolist()]


def group_codes(frame: pd.DataFrame, factors: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Integer codes (0..L-1) and level labels of a (possibly interacted) grouping factor."""
    per: list[np.ndarray] = []
    labels: list[list[str]] = []
    for f in factors:
        col = frame[f]
        if isinstance(col.dtype, pd.CategoricalDtype):
            raw = col.cat.codes.to_numpy()
            used = np.unique(raw)
            remap = np.full(len(col.cat.categories), -1, dtype=np.int64)
            remap[used] = np.arange(len(used))
            per.append(remap[raw])
            labels.append([level_label(c) for c in col.cat.categories[used].tolist()])
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            uniq, inv = np.unique(col.to_numpy(), return_inverse=True)
            per.append(inv.astype(np.int64))
            labels.append(_labels(uniq))
        else:
            codes, uniq = pd.factorize(col, sort=False)
            ordered = r_sort(list(uniq))
            position = {v: i for i, v in enumerate(ordered)}
            remap = np.array([position[v] for v in uniq], dtype=np.int64)
            per.append(remap[codes])
            labels.append([level_label(v) for v in ordered])
    if len(per) == 1:
        return per[0], labels[0]
    combined = np.zeros(len(frame), dtype=np.int64)
    for codes, lv in zip(per, labels, strict=True):
        combined = combined * len(lv) + codes
    uniq, codes = np.unique(combined, return_inverse=True)
    names = []
    for u in uniq:
        parts = []
        for lv in reversed(labels):
            parts.append(lv[u % len(lv)])
            u //= len(lv)
        names.append(":".join(reversed(parts)))
    return codes.astype(np.int64), names
