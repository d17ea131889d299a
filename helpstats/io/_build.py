"""Assemble an :class:`~helpstats.io.Export` from a grid and its column names.

Examples
--------
>>> import pandas as pd
>>> from helpstats.io._text import Grid
>>> from helpstats.io._build import build_export
>>> grid = Grid(header=[["a", "b"]], data=pd.DataFrame({0: [1], 1: [2]}),
...             encoding="utf-8", delimiter=",")
>>> build_export(grid, ["a", "b"], "csv", path="x.csv").data.columns.tolist()
['a', 'b']
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ExportWarning
from ._convert import make_unique
from ._export import Export, Source
from ._text import Grid

__all__ = ["build_export"]


def _caller_level() -> int:
    """Stack level of the first caller outside helpstats.io (for warnings)."""
    package = str(Path(__file__).parent)
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def build_export(
    grid: Grid,
    names: Sequence[object],
    fmt: str,
    *,
    path: str | Path,
    questions: Mapping[str, str] | Sequence[str] | None = None,
    value_labels: Mapping[str, Mapping[Any, str]] | None = None,
    missing_codes: Mapping[str, tuple[Any, ...]] | None = None,
    missing_cells: Mapping[str, int] | None = None,
    notes: Sequence[str] = (),
    fields: pd.DataFrame | None = None,
) -> Export:
    """Name the grid's columns (unique, reported) and wrap everything in an Export.

    ``questions``, ``value_labels`` and ``missing_codes`` are keyed by the final
    (unique) column names; ``questions`` may instead be a list aligned with the
    columns (empty texts are skipped).
    """
    unique, renamed = make_unique(list(names))
    if renamed:
        listing = ", ".join(f"{old!r} -> {new!r}" for new, old in renamed.items())
        warnings.warn(
            f"{path}: {len(renamed)} column name(s) were empty or repeated and were renamed "
            f"({listing}); see Export.source.renamed_columns.",
            ExportWarning,
            stacklevel=_caller_level(),
        )
    for message in grid.warnings:
        warnings.warn(f"{path}: {message}.", ExportWarning, stacklevel=_caller_level())
    if questions is not None and not isinstance(questions, Mapping):
        questions = {c: str(t) for c, t in zip(unique, questions, strict=False) if str(t).strip()}
    data = grid.data.set_axis(pd.Index(unique), axis=1)  # copy-on-write: no copy made
    source = Source(
        path=str(path),
        sheet=grid.sheet,
        encoding=grid.encoding,
        delimiter=grid.delimiter,
        rows_read=len(data),
        header_rows=len(grid.header),
        renamed_columns=renamed,
        missing_cells=dict(missing_cells or {}),
        notes=tuple(grid.notes) + tuple(grid.warnings) + tuple(notes),
    )
    return Export(
        data=data,
        format=fmt,
        source=source,
        questions={k: v for k, v in (questions or {}).items() if k in data.columns},
        value_labels={k: dict(v) for k, v in (value_labels or {}).items() if k in data.columns},
        missing_codes={k: tuple(v) for k, v in (missing_codes or {}).items()
                       if k in data.columns},
        fields=fields,
    )
