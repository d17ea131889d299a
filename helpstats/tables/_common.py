"""Small helpers shared by the table builders (level order, column checks, t intervals)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._level import interval
from ..errors import TableError


def require_frame(data: object, what: str) -> pd.DataFrame:
    """Return ``data`` if it is a DataFrame, else raise a :class:`TableError`."""
    if not isinstance(data, pd.DataFrame):
        raise TableError(
            f"{what} must be a pandas DataFrame; got {type(data).__name__}. "
            "Pass the long analysis frame (one row per participant and wave)."
        )
    return data


def require_columns(data: pd.DataFrame, columns: Iterable[Hashable], what: str) -> None:
    """Raise a :class:`TableError` naming every column of ``columns`` missing from ``data``."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise TableError(
            f"{what}: column(s) {missing} not found in the data; it has {list(data.columns)}. "
            "Check the spelling or rename the column."
        )


def levels(values: pd.Series) -> list[Any]:
    """Levels of ``values`` in display order, missing values excluded.

    Categorical columns keep their category order (unused categories included);
    other columns are sorted when their values can be compared, else kept in
    order of first appearance.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    present = list(pd.unique(values.dropna()))
    try:
        return sorted(present)
    except TypeError:
        return present


def t_interval(
    estimate: np.ndarray | pd.Series | float,
    se: np.ndarray | pd.Series | float,
    df: np.ndarray | pd.Series | float,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided t confidence limits ``estimate -/+ t(1 - (1 - level)/2, df) * se``.

    ``df`` may be ``inf`` (normal limits); NaN inputs give NaN limits.
    """
    lower, upper = interval(estimate, se, df, level)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def key(value: object) -> str:
    """A matching key for a factor level: levels from the model and data may differ in
    type (``2`` and ``"2"``), so they are matched on their text, spelled as R labels
    levels (``2.0`` as ``"2"``, ``True`` as ``"TRUE"``)."""
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def finish(table: pd.DataFrame, kind: str, **attrs: Any) -> pd.DataFrame:
    """Attach ``kind`` and metadata to ``table.attrs`` and return it with a fresh index.

    ``attrs["label_columns"]`` names columns holding factor levels (group, wave):
    the formatters show them as labels (``3``, not ``3.00``).
    """
    out = table.reset_index(drop=True)
    out.attrs = {"kind": kind, **attrs}
    return out


def order_rows(frame: pd.DataFrame, by: Sequence[str], orders: Sequence[list[Any]]) -> pd.DataFrame:
    """Sort ``frame`` by columns ``by`` following the explicit level ``orders``
    (values not in an order go last, in their current order)."""
    sorter = pd.DataFrame(index=range(len(frame)))
    for i, (col, order) in enumerate(zip(by, orders, strict=True)):
        rank = {key(v): j for j, v in enumerate(order)}
        sorter[f"_o{i}"] = [rank.get(key(v), len(rank)) for v in frame[col]]
    positions = sorter.sort_values(list(sorter.columns), kind="stable").index
    return frame.iloc[list(positions)]
