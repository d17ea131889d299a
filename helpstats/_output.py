"""Safe output, one rule each: spreadsheet cells, Markdown cells, output paths, atomic files.

Every file helpstats writes goes through this module, so that one rule holds
everywhere (DESIGN.md, "one rule in one place"):

* **Spreadsheet neutralisation** (CSV). A text cell that a spreadsheet would
  evaluate as a formula (OWASP "CSV injection") is written with a leading
  apostrophe ``'``, and the original text follows it unchanged. A cell is
  neutralised when it starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage
  return or a line feed, or with their full-width forms (``＝ ＋ － ＠``), or
  when such a character follows leading white space (``" =1+1"``). Text that
  is a plain decimal number (``-5``, ``+1.5e3``) is left as it is, and numeric
  columns are never touched, so negative numbers stay numbers. To keep the rule
  reversible, text that already starts with apostrophes in front of such a
  character gets one more. :func:`restore_text` undoes :func:`neutralise_text`
  exactly. Analysis pipelines that read the CSV files back with a program, not
  a spreadsheet, can opt out (``neutralise=False``, ``--raw-csv``).
* **Excel** (``.xlsx``): :func:`write_xlsx` is the only ``.xlsx`` writer. Text is
  always stored as a string cell (never a formula), with Excel's quote prefix
  when it starts like a formula; the text itself is unchanged, except that
  characters XML cannot hold (control characters, a carriage return) are
  stored as Excel's own ``_xHHHH_`` escapes, which Excel shows as the
  original characters (:func:`xlsx_unescape`).
* **Markdown cells**: :func:`markdown_text` escapes HTML (``& < >``), the table
  delimiter ``|``, Markdown's inline syntax (backslash, backtick, ``*``, ``_``
  at word edges, ``~``, ``[ ]``) as character references, and line breaks as
  ``&#10;`` / ``&#13;``, so a cell stays one cell of one row, carries no live
  HTML or link, and ``html.unescape`` gives the original text back.
* **Output paths**: :func:`check_output` refuses to write over an input file
  (always) or over an existing output (unless ``overwrite=True``), and names a
  folder where a file is expected, or a file where a folder is expected.
  :func:`atomic_write` writes a temporary file next to the target and renames
  it into place, so a symbolic link planted at the target is replaced, never
  followed, and an interrupted run leaves no half-written file.

Examples
--------
>>> from helpstats._output import neutralise_text, restore_text, markdown_text
>>> neutralise_text("=HYPERLINK(\\"http://x\\")"), neutralise_text("-5"), neutralise_text("ok")
('\\'=HYPERLINK("http://x")', '-5', 'ok')
>>> restore_text(neutralise_text("'=1+1"))
"'=1+1"
>>> markdown_text("a|b\\n<script>")
'a&#124;b&#10;&lt;script&gt;'
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
import pandas as pd

from .errors import OutputError

__all__ = [
    "FORMULA_PREFIX",
    "atomic_write",
    "check_output",
    "markdown_text",
    "neutralise_frame",
    "neutralise_text",
    "restore_text",
    "starts_like_formula",
    "write_csv",
    "XlsxCell",
    "write_xlsx",
    "write_xlsx_cells",
    "xlsx_text",
    "xlsx_unescape",
]

#: The prefix that makes a spreadsheet show a cell as text.
FORMULA_PREFIX = "'"
#: Characters that make a spreadsheet read a cell as a formula (or a line break).
_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


# ----------------------------------------------------------------------------- cells


def starts_like_formula(text: str) -> bool:
    """True when a spreadsheet could evaluate ``text`` as a formula (see the module notes).

    Examples
    --------
    >>> [starts_like_formula(t) for t in ["=1", "-1", "-1+1", " @x", "\\tx", "a=1", ""]]
    [True, False, True, True, True, False, False]
    """
    if not text:
        return False
    first = text[0]
    if first in _TRIGGERS:
        return not (first in "+-" and _NUMBER.fullmatch(text))
    if first.isspace():
        stripped = text.lstrip()
        return bool(stripped) and stripped[0] in _TRIGGERS
    return False


def neutralise_text(text: str) -> str:
    """``text`` as it is safe to write into a spreadsheet cell (apostrophe prefix if needed)."""
    return FORMULA_PREFIX + text if starts_like_formula(text.lstrip(FORMULA_PREFIX)) else text


def restore_text(text: str) -> str:
    """Undo :func:`neutralise_text`: ``restore_text(neutralise_text(t)) == t`` for every ``t``."""
    if text.startswith(FORMULA_PREFIX) and starts_like_formula(text.lstrip(FORMULA_PREFIX)):
        return text[len(FORMULA_PREFIX):]
    return text


def _is_plain(value: Any) -> bool:
    """Missing values, numbers and booleans: written by the CSV writer as they are."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
        return True
    return isinstance(value, pd.Timestamp | pd.Timedelta)


def _neutral_cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_text(value)
    if _is_plain(value):
        return value
    return neutralise_text(str(value))


#: A text cell may need the prefix only when it starts with one of these (white space and an
#: apostrophe included); every such cell is then checked exactly.
_CANDIDATES = frozenset(["'", *(chr(c) for c in range(0x3001) if chr(c).isspace())]) | _TRIGGERS


def _neutral_column(column: pd.Series) -> pd.Series:
    """One text column neutralised (a tight loop: most cells need one look at one character)."""
    candidates = _CANDIDATES
    out = [(neutralise_text(v) if v[:1] in candidates else v)
           if type(v) is str else _neutral_cell(v)
           for v in column.to_numpy(dtype=object)]
    return pd.Series(out, index=column.index, dtype=object)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name neutralised; numbers untouched.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_frame(pd.DataFrame({"=x": ["-1", "-1+1", "@a"], "n": [-1, 2, 3]}))
      '=x      n
    0    -1   -1
    1  '-1+1  2
    2    '@a  3
    """
    out = {}
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        dtype = column.dtype
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype) \
                or pd.api.types.is_datetime64_any_dtype(dtype):
            out[j] = column
        else:
            out[j] = _neutral_column(column)
    result = pd.DataFrame(out, index=frame.index)
    result.columns = [neutralise_text(str(c)) for c in frame.columns]
    return result


_MARKDOWN_REFS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "\\": "&#92;",
                  "`": "&#96;", "*": "&#42;", "~": "&#126;", "[": "&#91;", "]": "&#93;",
                  "\n": "&#10;", "\r": "&#13;"}
_MARKDOWN_SPECIAL = re.compile(r"[&<>|\\`*~\[\]\n\r]|(?<![^\W_])_|_(?![^\W_])")


def markdown_text(value: Any) -> str:
    """One cell (or heading, or note) of Markdown: no live HTML, links or row breaks.

    ``html.unescape(markdown_text(t)) == t`` for every text ``t``; an
    underscore inside a word (``phq9_total``) is left as it is.

    Examples
    --------
    >>> markdown_text("phq9_total"), markdown_text("_x_ [a](b)")
    ('phq9_total', '&#95;x&#95; &#91;a&#93;(b)')
    """
    text = str(value)
    return _MARKDOWN_SPECIAL.sub(lambda m: _MARKDOWN_REFS.get(m.group(), "&#95;"), text)


# ----------------------------------------------------------------------------- paths


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def check_output(path: str | Path, *, inputs: Iterable[str | Path] = (),
                 overwrite: bool = False, folder: bool = False) -> Path:
    """Check that ``path`` may be written; return it as a :class:`~pathlib.Path`.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (or, with ``folder=True``, the folder) to write.
    inputs : iterable of paths
        Files read by the same run: never written over, even with ``overwrite``.
    overwrite : bool
        Allow replacing an existing output file.
    folder : bool
        ``path`` is a folder to write into (it may exist).

    Raises
    ------
    helpstats.errors.OutputError
        ``path`` is an input, exists (without ``overwrite``), is a folder where
        a file is expected (or the reverse), or lies under a file.
    """
    path = Path(path)
    if "\x00" in str(path):
        raise OutputError(f"{str(path)!r}: a file name cannot hold a NUL character.")
    for source in inputs:
        if _same_file(path, Path(source)):
            raise OutputError(f"{path}: this is an input file of the same run; helpstats never "
                              "writes over its input. Choose another output name.")
    if path.is_symlink() and not folder:
        pass  # replaced by atomic_write, never followed
    elif path.is_dir() and not folder:
        raise OutputError(f"{path}: is a folder; give the name of a file to write "
                          f"(e.g. {path / 'out.csv'}).")
    elif path.exists() and folder and not path.is_dir():
        raise OutputError(f"{path}: is a file, not a folder; give a folder for the outputs.")
    if (path.exists() or path.is_symlink()) and not folder and not overwrite:
        raise OutputError(f"{path}: already exists; pass --overwrite (overwrite=True in Python) "
                          "to replace it, or choose another name.")
    for parent in path.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise OutputError(f"{path}: {parent} is a file, not a folder; choose an output "
                                  "path inside a folder.")
            break
    return path


def safe_stem(name: str, *, default: str = "file") -> str:
    """A file-name stem from any text: letters, digits, ``.``, ``_`` and ``-`` only.

    Examples
    --------
    >>> safe_stem("../../etc/passwd"), safe_stem("phq9 total"), safe_stem("")
    ('etc_passwd', 'phq9_total', 'file')
    """
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or default


def make_folder(path: Path) -> None:
    """Create ``path`` (and its parents); an OS failure is an :class:`OutputError`."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the folder ({exc.strerror or exc}).") from None
    if not path.is_dir():
        raise OutputError(f"{path}: is not a folder.")


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Write a file through ``write(handle)`` into a temporary file, then rename it to ``path``.

    A symbolic link at ``path`` is replaced by the new file, not followed; the
    folder is created if needed. OS failures become :class:`OutputError`.
    """
    path = Path(path)
    make_folder(path.parent)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror or exc}).") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the file ({exc.strerror or exc}).") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically (see :func:`atomic_write`)."""
    data = text.encode("utf-8")

    def write(stream: IO[bytes]) -> None:
        stream.write(data)

    return atomic_write(path, write)


# ----------------------------------------------------------------------------- writers


def write_csv(frame: pd.DataFrame, path: str | Path, *, neutralise: bool = True,
              **options: Any) -> Path:
    """Write ``frame`` (without its index) as UTF-8 CSV, text neutralised unless opted out.

    Records end with CRLF (RFC 4180), so that a cell holding a line break is
    always quoted and stays one cell of one record.

    Examples
    --------
    >>> import pandas as pd, pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = write_csv(pd.DataFrame({"a": ["=1+1", "x"], "b": [-1.5, 2]}), out)
    >>> print(out.read_text().strip())
    a,b
    '=1+1,-1.5
    x,2.0
    """
    shown = neutralise_frame(frame) if neutralise else frame
    # CRLF ends records (RFC 4180), so a cell holding a lone CR or LF is always quoted
    options.setdefault("lineterminator", "\r\n")
    text = shown.to_csv(index=False, **options)
    return write_text(path, text)


#: Characters XML 1.0 cannot hold, a carriage return (XML readers turn it into a line feed)
#: and text that looks like an escape itself: written as Excel's ``_xHHHH_`` escapes.
_XLSX_ESCAPE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def xlsx_text(text: str) -> str:
    """``text`` as stored in an ``.xlsx`` cell: what XML cannot hold as Excel's ``_xHHHH_``.

    Excel shows the original characters; :func:`xlsx_unescape` gives them back.

    Examples
    --------
    >>> xlsx_text("a\\x01b\\rc"), xlsx_unescape(xlsx_text("_x0041_"))
    ('a_x0001_b_x000D_c', '_x0041_')
    """
    return _XLSX_ESCAPE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def xlsx_unescape(text: str) -> str:
    """Undo :func:`xlsx_text` (as Excel does when it reads a cell)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def _set_text(cell: Any, text: str) -> None:
    """Store ``text`` as a string cell, never a formula (quote prefix when it looks like one)."""
    cell.value = xlsx_text(text)
    cell.data_type = "s"
    if starts_like_formula(text) or text[:1] in _TRIGGERS:
        cell.quotePrefix = True


def _put(cell: Any, value: Any, number_format: str) -> int:
    """Write one value; return its approximate displayed width."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and math.isnan(value)):
        return 0
    if isinstance(value, bool):
        cell.value = value
        return 5
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isinf(value):
            _set_text(cell, "inf" if value > 0 else "-inf")
            return 4
        if isinstance(value, int) and abs(value) >= 2**53:  # Excel keeps 15 digits
            _set_text(cell, str(value))
            return len(str(value))
        cell.value = value
        cell.number_format = number_format
        return len(f"{value:.2f}") if isinstance(value, float) else len(str(value))
    text = str(value)
    _set_text(cell, text)
    return len(text)


def check_sheet_names(names: Sequence[str]) -> None:
    """Excel's rules for sheet names (1-31 characters, none of ``[ ] : * ? / \\``, distinct)."""
    problems = [n for n in names if not n or len(n) > 31 or _SHEET_BAD.search(n)
                or n.startswith("'") or n.endswith("'")]
    if problems:
        raise OutputError(f"write_tables: {problems} cannot be Excel sheet names (1-31 "
                          "characters, none of [ ] : * ? / \\ or control characters, no "
                          "leading or trailing '); "
                          "rename those tables.")
    lowered = [n.lower() for n in names]
    dupes = sorted({n for n in names if lowered.count(n.lower()) > 1})
    if dupes:
        raise OutputError(f"write_tables: sheet names {dupes} differ only in case; Excel "
                          "needs distinct names.")


class XlsxCell(NamedTuple):
    """One cell for :func:`write_xlsx_cells`.

    ``value``: a number, text or missing; ``number_format``: Excel's format of a
    number; ``style``: ``""``, ``"header"``, ``"title"``, ``"section"`` or
    ``"note"``; ``align``: ``"left"``, ``"right"`` or ``None``; ``width``: the
    displayed width (default: from the value).
    """

    value: Any
    number_format: str = "General"
    style: str = ""
    align: str | None = None
    width: int | None = None


_CANONICAL_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?")


_NUMBER_LIKE = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")


def _numbers_stored_as_text(column: pd.Series) -> bool:
    """Whether the text cells of a column that are numbers in their plain form (``2``,
    ``-1.5``) are written to Excel as numbers: yes, unless some cell is a number in
    another form (``007``, ``1e3``, ``" 2"``), as ids and codes are, where all stay text."""
    if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return False
    found = False
    for v in column.to_numpy(dtype=object):
        if not isinstance(v, str):
            continue
        if _CANONICAL_NUMBER.fullmatch(v):
            found = True
        elif _NUMBER_LIKE.fullmatch(v):
            return False
    return found


def _as_number(value: Any) -> Any:
    if isinstance(value, str) and _CANONICAL_NUMBER.fullmatch(value):
        number = float(value)
        return int(number) if "." not in value else number
    return value


def write_xlsx(path: str | Path, sheets: Mapping[str, pd.DataFrame], *,
               number_formats: Mapping[str, Sequence[str]] | None = None,
               notes: Mapping[str, str] | None = None) -> Path:
    """Write data frames, one sheet each, through :func:`write_xlsx_cells`.

    Parameters
    ----------
    path : str or pathlib.Path
    sheets : mapping of str to pandas.DataFrame
        Sheet name to table (written without the index).
    number_formats : mapping of str to list of str, optional
        Per sheet, one Excel number format per column (default ``"General"``).
    notes : mapping of str to str, optional
        Per sheet, a note written in italics two rows under the table.

    Notes
    -----
    A styled, frozen header row; column widths fitted to the content; numbers
    stay numbers (``inf`` and integers beyond 2**53 are written as text). In a
    text column, a cell that is a number in its plain form (``"2"``, ``"-1.5"``,
    as answers read from a CSV export are) is written as a number, so Excel
    does not flag "number stored as text"; when a cell of the column is a
    number in another form (ids such as ``007``), the column stays text.
    """
    grids: dict[str, list[list[XlsxCell]]] = {}
    for name, table in sheets.items():
        formats = list((number_formats or {}).get(name, ["General"] * table.shape[1]))
        numeric_text = [_numbers_stored_as_text(table.iloc[:, j]) for j in range(table.shape[1])]
        rows = [[XlsxCell(str(c), style="header") for c in table.columns]]
        for values in table.itertuples(index=False):
            rows.append([XlsxCell(_as_number(v) if numeric_text[j] else v, formats[j])
                         for j, v in enumerate(values)])
        note = (notes or {}).get(name)
        if note:
            rows += [[], [XlsxCell(f"Note. {note}", style="note")]]
        grids[name] = rows
    return write_xlsx_cells(path, grids, freeze={name: "A2" for name in sheets})


def write_xlsx_cells(path: str | Path, sheets: Mapping[str, Sequence[Sequence[XlsxCell]]], *,
                     freeze: Mapping[str, str | None] | None = None) -> Path:
    """The one ``.xlsx`` writer: sheets of cells, text never a formula.

    Parameters
    ----------
    path : str or pathlib.Path
    sheets : mapping of str to rows of :class:`XlsxCell`
        Sheet name to its rows (an empty row is a blank line).
    freeze : mapping of str to str, optional
        Per sheet, the first cell below and right of the frozen panes (``"A2"``:
        the first row stays in view).

    Notes
    -----
    Numbers stay numbers with their number format (``inf`` and integers beyond
    2**53 are written as text); text is always a string cell, with Excel's
    quote prefix when it starts like a formula. Column widths are fitted to
    the content (at most 60 characters); a note cell is not counted, as it
    runs across the columns.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    check_sheet_names(list(sheets))
    book = Workbook()
    book.remove(book.active)
    header_fill = PatternFill("solid", start_color="DDE4EE", end_color="DDE4EE")
    header_border = Border(bottom=Side(style="thin"))
    for name, rows in sheets.items():
        sheet = book.create_sheet(title=name)
        widths: dict[int, int] = {}
        for i, row in enumerate(rows, start=1):
            for j, item in enumerate(row, start=1):
                cell = sheet.cell(row=i, column=j)
                shown = _put(cell, item.value, item.number_format)
                if item.style == "header":
                    cell.font, cell.fill, cell.border = Font(bold=True), header_fill, header_border
                elif item.style in ("title", "section"):
                    cell.font = Font(bold=True, size=12 if item.style == "title" else 11)
                elif item.style == "note":
                    cell.font = Font(italic=True)
                if item.align:
                    cell.alignment = Alignment(horizontal=item.align)
                if item.style not in ("note", "title"):
                    widths[j] = max(widths.get(j, 0), item.width if item.width is not None
                                    else shown)
        for j, width in widths.items():
            sheet.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
        cell_ref = (freeze or {}).get(name)
        if cell_ref:
            sheet.freeze_panes = cell_ref
    return atomic_write(path, book.save)
