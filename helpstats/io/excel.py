"""Generic Excel workbooks (.xlsx): one sheet, first row = column names.

Examples
--------
>>> import pathlib, tempfile
>>> import pandas as pd
>>> from helpstats.io.excel import read_excel_export
>>> p = pathlib.Path(tempfile.mkdtemp()) / "b.xlsx"
>>> with pd.ExcelWriter(p) as w:
...     pd.DataFrame({"a": [1]}).to_excel(w, sheet_name="notes", index=False)
...     pd.DataFrame({"id": ["007"], "q": [2]}).to_excel(w, sheet_name="wave1", index=False)
>>> exp = read_excel_export(p, sheet="wave1")
>>> exp.data.to_dict("list"), exp.source.sheet
({'id': ['007'], 'q': [2]}, 'wave1')
"""

from __future__ import annotations

from pathlib import Path

from ._build import build_export
from ._export import Export
from ._sheet import read_sheet

__all__ = ["read_excel_export"]


def read_excel_export(path: str | Path, *, sheet: str | int | None = None) -> Export:
    """Read one sheet (name, 0-based number, default the first) of an .xlsx workbook."""
    grid = read_sheet(path, sheet=sheet, header_rows=1)
    return build_export(grid, grid.header_row(0), "excel", path=path)
