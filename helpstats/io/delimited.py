"""Plain CSV/TSV files and generic Excel sheets: one header row of column names.

Examples
--------
>>> import pathlib, tempfile
>>> from helpstats.io.delimited import read_csv_export
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.tsv"
>>> _ = p.write_text("id\\tphq9_1\\n00123\\t2\\n00124\\t\\n")
>>> exp = read_csv_export(p)
>>> exp.data.to_dict("list"), exp.source.delimiter
({'id': ['00123', '00124'], 'phq9_1': [2.0, nan]}, '\\t')
"""

from __future__ import annotations

from pathlib import Path

from ._build import build_export
from ._export import Export
from ._sheet import read_sheet
from ._text import read_delimited

__all__ = ["read_csv_export", "read_excel_export"]


def read_csv_export(
    path: str | Path, *, encoding: str | None = None, data: bytes | None = None
) -> Export:
    """Read delimited text with one header row (delimiter and encoding sniffed)."""
    grid = read_delimited(path, header_rows=1, encoding=encoding, data=data)
    return build_export(grid, grid.header_row(0), "csv", path=path)


def read_excel_export(path: str | Path, *, sheet: str | int | None = None) -> Export:
    """Read one sheet of an .xlsx workbook whose first row holds the column names."""
    grid = read_sheet(path, sheet=sheet, header_rows=1)
    return build_export(grid, grid.header_row(0), "excel", path=path)
