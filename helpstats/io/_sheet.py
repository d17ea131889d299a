"""Reading one sheet of an .xlsx workbook into a :class:`~helpstats.io._text.Grid`.

Cell values keep their Excel types: a column of numbers is numeric, a column of
text is converted like CSV text (:mod:`helpstats.io._convert`), and a column
mixing numbers and text (``1``, ``skipped``) becomes text with each number
written in its shortest form, so nothing is lost.

Missing is the same rule as for CSV: only an empty cell is missing. Typed text
such as ``NA``, ``None`` or ``null`` and error cells (``#N/A``, shown as their
text) are values; declare them with ``read_export(..., missing_codes=...)``. A
formula cell whose result was never saved (files written by scripts hold the
formula only) is read as empty and listed in an :class:`~helpstats.errors.ExportWarning`.

Examples
--------
>>> from helpstats.io._sheet import cell_text
>>> cell_text(3.0), cell_text(2.5), cell_text(None), cell_text("x")
('3', '2.5', '', 'x')
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportError
from ._convert import convert_text_column, is_id_name
from ._text import Grid

__all__ = ["cell_text", "choose_sheet", "is_zip_file", "read_sheet", "sheet_names"]


def cell_text(value: Any) -> str:
    """A cell value as text: empty for missing, integral floats without ``.0``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def is_zip_file(path: str | Path) -> bool:
    """True when the file starts with the zip signature (as .xlsx workbooks do)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def sheet_names(path: str | Path) -> list[str]:
    """Names of the sheets of a workbook, raising :class:`ExportError` if unreadable."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            return [str(s) for s in book.sheet_names]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ExportError(f"{path}: not a readable .xlsx workbook ({exc}).") from exc


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT


def _convert_cells(values: pd.Series, exact: bool = False) -> pd.Series:
    present = [v for v in values if not _is_missing(v)]
    if not present:
        return pd.Series(np.nan, index=values.index, dtype="str")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        numbers = pd.to_numeric(values.map(lambda v: np.nan if _is_missing(v) else v))
        if all(float(v).is_integer() for v in present) and len(present) == len(values):
            return numbers.astype("int64")
        return numbers.astype("float64")
    if all(isinstance(v, dt.datetime) for v in present):
        return pd.to_datetime(values.map(lambda v: pd.NaT if _is_missing(v) else v))
    if all(isinstance(v, bool) for v in present):
        return values.map(lambda v: None if _is_missing(v) else v).astype(object)
    texts = values.map(lambda v: None if _is_missing(v) else cell_text(v)).astype("str")
    return convert_text_column(texts, exact=exact)


def choose_sheet(path: str | Path, names: list[str], sheet: str | int | None) -> str:
    """The sheet name ``sheet`` refers to (None: the first), or :class:`ExportError`."""
    if not names:
        raise ExportError(f"{path}: the workbook has no sheets; expected at least one.")
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise ExportError(f"{path}: has no sheet number {sheet}; its sheets are {names} "
                              "(numbered from 0).")
        return names[sheet]
    if str(sheet) in names:
        return str(sheet)
    raise ExportError(f"{path}: has no sheet {sheet!r}; its sheets are {names}.")


def read_sheet(path: str | Path, *, sheet: str | int | None, header_rows: int) -> Grid:
    """Read ``sheet`` (name, 0-based position, or None for the first) of an .xlsx file."""
    names = sheet_names(path)
    chosen = choose_sheet(path, names, sheet)
    notes: list[str] = []
    if sheet is None and len(names) > 1:
        notes.append(f"the workbook has {len(names)} sheets {names}; read the first, "
                     f"{chosen!r} (choose another with sheet=)")
    cells = sheet_cells(path, chosen)
    uncached = _uncached_formulas(path, chosen, cells)
    warn = []
    if uncached:
        listing = ", ".join(uncached[:20]) + (f", ... ({len(uncached) - 20} more)"
                                               if len(uncached) > 20 else "")
        warn.append(f"sheet {chosen!r}: {len(uncached)} formula cell(s) have no saved result "
                    f"and were read as empty ({listing}); open and save the workbook in "
                    "Excel or LibreOffice to compute them, or write the values instead")
    if cells.empty:
        raise ExportError(f"{path}: sheet {chosen!r} is empty; expected a header row and data.")
    if len(cells) < header_rows:
        raise ExportError(f"{path}: sheet {chosen!r} has {len(cells)} row(s); expected "
                          f"{header_rows} header row(s) before the data.")
    header = [[cell_text(v) for v in cells.iloc[i]] for i in range(header_rows)]
    body = cells.iloc[header_rows:].reset_index(drop=True)
    body.columns = range(body.shape[1])
    names = header[0] if header else []
    ids = {c for c, name in zip(body.columns, names, strict=False) if is_id_name(name)}
    data = pd.DataFrame({c: _convert_cells(body[c], exact=c in ids) for c in body.columns},
                        index=body.index)
    return Grid(header=header, data=data, encoding=None, delimiter=None, sheet=chosen,
                notes=notes, warnings=warn)


def _rows(path: str | Path, sheet: str, *, data_only: bool, nrows: int | None = None
          ) -> list[list[Any]]:
    import openpyxl  # imported on first use

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ExportError(f"{path}: not a readable .xlsx workbook ({exc}).") from exc
    try:
        ws = book[sheet]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # the stored size is often wrong in script-written files
        rows: list[list[Any]] = []
        for row in ws.iter_rows(values_only=True):
            rows.append(list(row))
            if nrows is not None and len(rows) >= nrows:
                break
    except (KeyError, OSError, ValueError, TypeError) as exc:
        raise ExportError(f"{path}: sheet {sheet!r} cannot be read ({exc}).") from exc
    finally:
        book.close()
    return rows


def sheet_cells(path: str | Path, sheet: str, nrows: int | None = None) -> pd.DataFrame:
    """The cells of one sheet as objects, positional rows and columns from A1.

    Empty cells are None; text, numbers, dates and booleans as Excel stores them;
    error cells as their text (``#N/A``). Trailing empty rows and columns are dropped.
    """
    rows = [[None if v == "" else v for v in row]  # an empty text cell is an empty cell
            for row in _rows(path, sheet, data_only=True, nrows=nrows)]
    for row in rows:
        while row and (row[-1] is None or row[-1] == ""):
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object,
                        columns=range(width))


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _has_formulas(path: str | Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(b"<f" in archive.read(name) for name in archive.namelist()
                       if name.startswith("xl/worksheets/") and name.endswith(".xml"))
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


def _uncached_formulas(path: str | Path, sheet: str, cells: pd.DataFrame) -> list[str]:
    """Cells (``C2``) holding a formula whose result the file does not store."""
    if not _has_formulas(path):
        return []
    found = []
    for r, row in enumerate(_rows(path, sheet, data_only=False)):
        for c, value in enumerate(row):
            if not (isinstance(value, str) and value.startswith("=")) and \
                    type(value).__name__ not in ("ArrayFormula", "DataTableFormula"):
                continue
            cached = cells.iat[r, c] if r < cells.shape[0] and c < cells.shape[1] else None
            if cached is None:
                found.append(f"{_column_letters(c)}{r + 1}")
    return found
