"""Shared reading of SPSS and Stata files through pyreadstat (see :mod:`.spss`, :mod:`.stata`).

Value labels go to ``Export.value_labels``, variable labels to
``Export.questions``. SPSS user-missing values and ranges are read as missing
and listed in ``Export.missing_codes`` (a range as a ``(low, high)`` tuple);
how many cells each column lost to them is in ``Export.source.missing_cells``.
Numeric columns whose values are all whole numbers below 10^9 become ``int64``
(``float64`` when some cells are missing), as for CSV.

Examples
--------
>>> import pathlib, tempfile
>>> import pandas as pd, pyreadstat
>>> p = str(pathlib.Path(tempfile.mkdtemp()) / "r.sav")
>>> pyreadstat.write_sav(pd.DataFrame({"x": [1.0, -9.0]}), p, missing_ranges={"x": [-9]})
>>> exp = read_readstat(p, pyreadstat.read_sav, "an SPSS file", "spss")
>>> exp.data["x"].tolist(), exp.source.missing_cells
([1.0, nan], {'x': 1})
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportError
from ._build import build_export
from ._convert import MAX_INT_DIGITS
from ._export import Export
from ._text import Grid

__all__ = ["read_readstat"]


def _code(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _tidy_numeric(column: pd.Series) -> pd.Series:
    if column.dtype.kind != "f":
        return column
    present = column.dropna().to_numpy()
    if present.size == 0 or not np.all(np.mod(present, 1) == 0):
        return column
    if np.abs(present).max() >= 10**MAX_INT_DIGITS or present.size < len(column):
        return column
    return column.astype("int64")


def _apply_user_missing(
    frame: pd.DataFrame, ranges: dict[str, list[dict[str, Any]]]
) -> tuple[dict[str, tuple[Any, ...]], dict[str, int]]:
    codes: dict[str, tuple[Any, ...]] = {}
    counts: dict[str, int] = {}
    for column, spec in ranges.items():
        if column not in frame.columns or not spec:
            continue
        values = frame[column]
        mask = pd.Series(False, index=frame.index)
        listed: list[Any] = []
        for r in spec:
            lo, hi = r["lo"], r["hi"]
            if lo == hi:
                mask |= values == lo
                listed.append(_code(lo))
            else:
                mask |= (values >= lo) & (values <= hi)
                listed.append((_code(lo), _code(hi)))
        codes[column] = tuple(listed)
        counts[column] = int(mask.sum())
        if mask.any():
            frame[column] = values.mask(mask)
    return codes, counts


def read_readstat(path: str | Path, reader: Any, kind: str, fmt: str) -> Export:
    """Read ``path`` with a pyreadstat ``reader``; ``kind`` names the file type in errors."""
    if not Path(path).exists():
        raise ExportError(f"{path}: no such file. Check the path.")
    try:
        frame, meta = reader(str(path), user_missing=True, apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises its own ReadstatError/PyreadstatError
        raise ExportError(f"{path}: cannot be read as {kind} ({exc}). "
                          "Check the file, or give the right format=.") from exc
    frame = frame.copy()
    missing_codes, missing_cells = _apply_user_missing(frame, dict(meta.missing_ranges or {}))
    for column in frame.columns:
        frame[column] = _tidy_numeric(frame[column])
    names = list(frame.columns)
    frame.columns = range(len(names))
    grid = Grid(header=[], data=frame, encoding=getattr(meta, "file_encoding", None),
                delimiter=None)
    labels = {c: {_code(k): str(v) for k, v in m.items()}
              for c, m in (meta.variable_value_labels or {}).items()}
    questions = {c: str(t) for c, t in (meta.column_names_to_labels or {}).items() if t}
    return build_export(grid, names, fmt, path=path, questions=questions, value_labels=labels,
                        missing_codes=missing_codes, missing_cells=missing_cells)
