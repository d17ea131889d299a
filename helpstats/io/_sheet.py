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

Speed: cells are read with python-calamine (a Rust reader), about ten times faster
than openpyxl; openpyxl reads a workbook only where calamine cannot give what these
rules need: error cells (calamine reads them as empty), integers beyond 2**53 (calamine
reads every number as a float) and the formulas of cells without a saved result. Within
:func:`sheet_cache` (``read_export`` uses it) one parse of a sheet serves detection,
header rows and data.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
import pandas as pd

from ..errors import ExportError
from ._convert import convert_text_column, is_id_name
from ._text import Grid

__all__ = ["cell_text", "choose_sheet", "is_zip_file", "read_sheet", "sheet_cache", "sheet_cells",
           "sheet_names"]


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


_T = TypeVar("_T")
_CACHE: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("helpstats_sheet_cache",
                                                                   default=None)


@contextmanager
def sheet_cache() -> Iterator[None]:
    """Within this block a workbook's sheet names, flags and sheets are read once.

    ``read_export`` detects the format from the first rows of a sheet, then reads
    its header rows and data: calamine parses a whole sheet even for its first rows,
    so without the cache a big sheet would be parsed twice. The cache ends with the
    block (nothing is kept after a read) and is keyed by the file's path, size and
    modification time.
    """
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


def _cached(key: tuple[Any, ...], compute: Callable[[], _T]) -> _T:
    cache = _CACHE.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _file_key(path: str | Path) -> tuple[str, int, int]:
    try:
        stat = Path(path).stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


def _calamine() -> Any:
    """python-calamine, or None when it is not installed (openpyxl then reads)."""
    try:
        import python_calamine
    except ImportError:  # pragma: no cover - a base dependency; kept for stripped installs
        return None
    return python_calamine


def sheet_names(path: str | Path) -> list[str]:
    """Names of the worksheets of a workbook, raising :class:`ExportError` if unreadable."""
    return list(_cached(("names", *_file_key(path)), lambda: _sheet_names(path)))


def _sheet_names(path: str | Path) -> list[str]:
    calamine = _calamine()
    if calamine is not None:
        try:
            with calamine.CalamineWorkbook.from_path(str(path)) as book:
                return [str(m.name) for m in book.sheets_metadata
                        if m.typ == calamine.SheetTypeEnum.WorkSheet]
        except (calamine.CalamineError, OSError, ValueError) as exc:
            raise ExportError(f"{path}: not a readable .xlsx workbook ({exc}).") from exc
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            return [str(s) for s in book.sheet_names]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ExportError(f"{path}: not a readable .xlsx workbook ({exc}).") from exc


class _Flags(NamedTuple):
    formulas: bool  # some worksheet holds a formula element
    errors: bool  # some worksheet holds an error cell (#N/A ...)


# A formula element (``<f>``, ``<f t="shared" .../>``, ``<x:f>``) and an error cell
# (``t="e"``); a false alarm only costs speed (openpyxl then reads the workbook).
_FORMULA_TAGS = (b"<f>", b"<f ", b"<f/>", b":f>", b":f ", b":f/>")
_ERROR_VALUES = (b'"e"', b"'e'")


def _workbook_flags(path: str | Path) -> _Flags:
    return _cached(("flags", *_file_key(path)), lambda: _scan_worksheets(path))


def _scan_worksheets(path: str | Path) -> _Flags:
    """Search the worksheets' XML (streamed, never held whole) for formulas and error cells."""
    formulas = errors = False
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                tail = b""
                with archive.open(name) as part:
                    while not (formulas and errors):
                        chunk = part.read(1 << 22)
                        if not chunk:
                            break
                        window = tail + chunk
                        formulas = formulas or any(t in window for t in _FORMULA_TAGS)
                        errors = errors or any(t in window for t in _ERROR_VALUES)
                        tail = window[-8:]
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, ValueError):
        return _Flags(formulas=False, errors=False)
    return _Flags(formulas=formulas, errors=errors)


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT


_NUMERIC_KINDS = ("integer", "floating", "mixed-integer-float")
_EXACT_FLOAT_LIMIT = 2.0**53


class _InexactNumber(Exception):
    """A number cell beyond 2**53 read by calamine (as a float): openpyxl must read the sheet."""


def _as_datetime(v: Any) -> Any:
    """A date cell as openpyxl gives it: calamine reads a date-time at midnight as a date."""
    if type(v) is dt.date:
        return dt.datetime(v.year, v.month, v.day)
    return v


def _exact(v: Any, calamine: bool = True) -> Any:
    """``v`` (after :func:`_as_datetime`); :class:`_InexactNumber` for a float from
    calamine that may not be the integer the file holds."""
    if calamine and type(v) is float and not -_EXACT_FLOAT_LIMIT < v < _EXACT_FLOAT_LIMIT:
        raise _InexactNumber
    return _as_datetime(v)


def _convert_cells(values: np.ndarray, exact: bool = False, calamine: bool = False
                   ) -> pd.Series:
    """One column of cells (objects, None for empty) as a typed Series.

    The column's kind is found in one vectorised pass (``infer_dtype``); only a
    column mixing kinds (numbers and text) is converted cell by cell. ``calamine``:
    the cells come from calamine (a float beyond 2**53 raises :class:`_InexactNumber`).
    """
    values = np.asarray(values, dtype=object)
    index = pd.RangeIndex(len(values))
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "empty":
        return pd.Series(np.nan, index=index, dtype="str")
    if kind not in _NUMERIC_KINDS + ("string", "boolean", "datetime"):
        values = np.array([_exact(v, calamine) for v in values] + [None], dtype=object)[:-1]
        kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in _NUMERIC_KINDS:
        if kind == "integer" and not pd.isna(values).any():
            try:
                return pd.Series(values.astype(np.int64), index=index)
            except OverflowError:
                return pd.to_numeric(pd.Series(values, index=index, dtype=object)).astype("int64")
        numbers = values.astype(np.float64)
        finite = np.isfinite(numbers)
        if calamine and bool((np.abs(numbers[finite]) >= _EXACT_FLOAT_LIMIT).any()):
            raise _InexactNumber  # never from openpyxl: it reads such integers as int
        if finite.all() and bool((numbers == np.floor(numbers)).all()):
            return pd.Series(numbers.astype(np.int64), index=index)
        return pd.Series(numbers, index=index)
    if kind == "datetime":
        return pd.to_datetime(pd.Series(values, index=index, dtype=object))
    if kind == "boolean":
        return pd.Series(values, index=index, dtype=object)
    if kind == "string":
        texts = pd.Series(values, index=index, dtype=object).astype("str")
    else:
        texts = pd.Series([None if _is_missing(v) else cell_text(v) for v in values],
                          index=index, dtype=object).astype("str")
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
    cells = _sheet_values(path, chosen)
    uncached = _uncached_formulas(path, chosen, cells)
    warn = []
    if uncached:
        listing = ", ".join(uncached[:20]) + (f", ... ({len(uncached) - 20} more)"
                                               if len(uncached) > 20 else "")
        warn.append(f"sheet {chosen!r}: {len(uncached)} formula cell(s) have no saved result "
                    f"and were read as empty ({listing}); open and save the workbook in "
                    "Excel or LibreOffice to compute them, or write the values instead")
    if cells.size == 0:
        raise ExportError(f"{path}: sheet {chosen!r} is empty; expected a header row and data.")
    if len(cells) < header_rows:
        raise ExportError(f"{path}: sheet {chosen!r} has {len(cells)} row(s); expected "
                          f"{header_rows} header row(s) before the data.")
    try:
        header, data = _typed(cells, header_rows, calamine=_reads_with_calamine(path))
    except _InexactNumber:  # calamine read a long integer as a float: openpyxl reads it whole
        header, data = _typed(_trimmed(_rows(path, chosen, data_only=True)), header_rows,
                              calamine=False)
    return Grid(header=header, data=data, encoding=None, delimiter=None, sheet=chosen,
                notes=notes, warnings=warn)


def _typed(cells: np.ndarray, header_rows: int, *, calamine: bool
           ) -> tuple[list[list[str]], pd.DataFrame]:
    """Header records as text and the data columns typed (:func:`_convert_cells`)."""
    header = [[cell_text(_exact(v, calamine)) for v in cells[i]] for i in range(header_rows)]
    body = cells[header_rows:]
    names = header[0] if header else []
    ids = {c for c, name in enumerate(names) if is_id_name(name)}
    data = pd.DataFrame({c: _convert_cells(body[:, c], exact=c in ids, calamine=calamine)
                         for c in range(body.shape[1])}, index=pd.RangeIndex(len(body)))
    return header, data


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
    cells = _sheet_values(path, sheet, nrows=nrows)
    calamine = _reads_with_calamine(path)
    exact: np.ndarray = np.empty(cells.shape, dtype=object)
    try:
        for i, row in enumerate(cells):
            exact[i, :] = [_exact(v, calamine) for v in row]
    except _InexactNumber:
        exact = _trimmed(_rows(path, sheet, data_only=True, nrows=nrows))
    return pd.DataFrame(exact, dtype=object, columns=range(exact.shape[1]))


def _sheet_values(path: str | Path, sheet: str, nrows: int | None = None) -> np.ndarray:
    """The sheet's cells as a 2-D object array (``nrows``: only the first rows), as the
    reader gives them (calamine: dates at midnight as dates, numbers as floats)."""
    key = ("sheet", *_file_key(path), sheet)
    cache = _CACHE.get()
    if cache is not None and key in cache:
        cells = cache[key]
    elif nrows is not None and not _reads_with_calamine(path):
        return _trimmed(_rows(path, sheet, data_only=True, nrows=nrows))  # openpyxl streams
    else:
        cells = _cached(key, lambda: _read_values(path, sheet))
    return cells if nrows is None else _trimmed(cells[:nrows])


def _reads_with_calamine(path: str | Path) -> bool:
    return _calamine() is not None and not _workbook_flags(path).errors


def _read_values(path: str | Path, sheet: str) -> np.ndarray:
    if _reads_with_calamine(path):
        return _calamine_values(path, sheet)
    return _trimmed(_rows(path, sheet, data_only=True))


def _calamine_values(path: str | Path, sheet: str) -> np.ndarray:
    """The sheet's cells read by calamine, empty text as None."""
    calamine = _calamine()
    try:
        with calamine.CalamineWorkbook.from_path(str(path)) as book:
            rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except (calamine.CalamineError, OSError, ValueError) as exc:
        raise ExportError(f"{path}: sheet {sheet!r} cannot be read ({exc}).") from exc
    width = max((len(r) for r in rows), default=0)
    if all(len(r) == width for r in rows):  # calamine's rows are a rectangle
        cells = np.array(rows + [[None] * width], dtype=object)[:-1]
    else:  # pragma: no cover - defensive
        cells = np.empty((len(rows), width), dtype=object)
        for i, row in enumerate(rows):
            cells[i, : len(row)] = row
    del rows
    cells = cells.reshape(len(cells), width)
    cells[cells == ""] = None  # empty cells (and empty text) are empty
    return _trimmed(cells)


def _trimmed(rows: list[list[Any]] | np.ndarray) -> np.ndarray:
    """Rows as a 2-D object array without trailing empty rows and columns (an empty
    text cell is an empty cell)."""
    if isinstance(rows, np.ndarray) and rows.ndim == 2:
        cells = rows
    else:
        width = max((len(r) for r in rows), default=0)
        cells = np.empty((len(rows), width), dtype=object)
        for i, row in enumerate(rows):
            cells[i, : len(row)] = [None if v == "" else v for v in row]
    if cells.size == 0:
        return np.empty((0, 0), dtype=object)
    filled = cells != None  # noqa: E711 - elementwise
    used_rows = np.flatnonzero(filled.any(axis=1))
    used_cols = np.flatnonzero(filled.any(axis=0))
    if not used_rows.size:
        return np.empty((0, 0), dtype=object)
    return cells[: used_rows[-1] + 1, : used_cols[-1] + 1]


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _uncached_formulas(path: str | Path, sheet: str, cells: np.ndarray) -> list[str]:
    """Cells (``C2``) holding a formula whose result the file does not store."""
    if not _workbook_flags(path).formulas:
        return []
    found = []
    for r, row in enumerate(_rows(path, sheet, data_only=False)):
        for c, value in enumerate(row):
            if not (isinstance(value, str) and value.startswith("=")) and \
                    type(value).__name__ not in ("ArrayFormula", "DataTableFormula"):
                continue
            cached = cells[r, c] if r < cells.shape[0] and c < cells.shape[1] else None
            if cached is None:
                found.append(f"{_column_letters(c)}{r + 1}")
    return found
