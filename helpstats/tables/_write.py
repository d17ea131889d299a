"""Writers: a set of named tables to .xlsx, a folder of .csv, .md or .html."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import TableError
from ._format import column_role, format_table, label_columns

__all__ = ["write_tables"]

FORMATS = ("xlsx", "csv", "md", "html")
_SUFFIXES = {".xlsx": "xlsx", ".csv": "csv", ".md": "md", ".markdown": "md", ".html": "html",
             ".htm": "html", "": "csv"}
#: Leading characters that make a spreadsheet treat text as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    format: str | None = None,
    decimals: int = 2,
    p_style: str = "apa",
) -> Path:
    """Write named tables to one Excel workbook, a CSV folder, Markdown or HTML.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        ``{name: table}`` in display order: tables from the helpstats table
        functions (their ``attrs["notes"]`` become a note under each table) or
        any DataFrame.
    path : str or pathlib.Path
        Output file; its suffix picks the format: ``.xlsx``, ``.md``,
        ``.html``; a path without suffix is a folder of CSV files (one per
        table, named after it, plus ``notes.txt``). A ``.csv`` path takes a
        single table.
    format : {"xlsx", "csv", "md", "html"}, optional
        Overrides the suffix.
    decimals, p_style
        Passed to :func:`format_table` (and used for the Excel number formats).

    Returns
    -------
    pathlib.Path
        The file or folder written.

    Notes
    -----
    * ``.xlsx``: one sheet per table (sheet names: at most 31 characters, none of
      ``[ ] : * ? / \\``), a styled, frozen header row, column widths fitted to
      the content and a "Note." row. Numbers stay numbers, shown through number
      formats (p as ``.031`` / ``< .001``); Table 1 is written as formatted text.
      Text that starts with ``=``, ``+``, ``-`` or ``@`` is stored as text with
      Excel's quote prefix, never as a formula.
    * ``.csv``: the numeric tables at full precision, for further analysis.
    * ``.md`` and ``.html``: the :func:`format_table` text.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> import helpstats as hs
    >>> t = pd.DataFrame({"term": ["x"], "estimate": [1.5], "p": [0.03]})
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "tables.md"
    >>> hs.write_tables({"Model": t}, out).name
    'tables.md'
    >>> print(out.read_text())
    ## Model
    <BLANKLINE>
    | term | estimate | p |
    | --- | --- | --- |
    | x | 1.50 | .030 |
    <BLANKLINE>
    """
    path = Path(path)
    if not isinstance(tables, Mapping) or not tables:
        raise TableError("write_tables expects a non-empty mapping {name: DataFrame}; got "
                         f"{type(tables).__name__}.")
    for name, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise TableError(f"write_tables: table {name!r} is a {type(table).__name__}, "
                             "not a DataFrame.")
    fmt = format or _SUFFIXES.get(path.suffix.lower())
    if fmt not in FORMATS:
        raise TableError(f"write_tables: cannot tell the format of {str(path)!r}; use a .xlsx, "
                         f".md or .html file, a folder for CSV, or format= one of {FORMATS}.")
    if fmt == "xlsx":
        _write_xlsx(tables, path, decimals, p_style)
    elif fmt == "csv":
        _write_csv(tables, path)
    elif fmt == "md":
        path.write_text(_markdown(tables, decimals, p_style), encoding="utf-8")
    else:
        path.write_text(_html(tables, decimals, p_style), encoding="utf-8")
    return path


def _notes(table: pd.DataFrame) -> str:
    return str(table.attrs.get("notes") or "")


def _markdown(tables: Mapping[str, pd.DataFrame], decimals: int, p_style: str) -> str:
    def esc(text: object) -> str:
        return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    parts = []
    for name, table in tables.items():
        shown = format_table(table, decimals=decimals, p_style=p_style)
        lines = [f"## {esc(name)}", "",
                 "| " + " | ".join(esc(c) for c in shown.columns) + " |",
                 "| " + " | ".join("---" for _ in shown.columns) + " |"]
        lines += ["| " + " | ".join(esc(v) for v in row) + " |"
                  for row in shown.itertuples(index=False)]
        if _notes(table):
            lines += ["", f"*Note.* {esc(_notes(table))}"]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _html(tables: Mapping[str, pd.DataFrame], decimals: int, p_style: str) -> str:
    e = html.escape
    body = []
    for name, table in tables.items():
        shown = format_table(table, decimals=decimals, p_style=p_style)
        head = "".join(f"<th>{e(str(c))}</th>" for c in shown.columns)
        rows = "\n".join(
            "<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
            for row in shown.itertuples(index=False)
        )
        note = f'<p class="note"><em>Note.</em> {e(_notes(table))}</p>' if _notes(table) else ""
        body.append(f"<section>\n<h2>{e(str(name))}</h2>\n<table>\n<thead><tr>{head}</tr></thead>"
                    f"\n<tbody>\n{rows}\n</tbody>\n</table>\n{note}\n</section>")
    style = ("body{font-family:sans-serif}table{border-collapse:collapse;margin:1em 0}"
             "th,td{padding:.2em .6em;text-align:right}th{border-bottom:1px solid #000}"
             "td:first-child,th:first-child{text-align:left}.note{font-size:.9em}")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>helpstats tables</title>\n<style>{style}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _file_stem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return stem or "table"


def _write_csv(tables: Mapping[str, pd.DataFrame], path: Path) -> None:
    if path.suffix.lower() == ".csv":
        if len(tables) != 1:
            raise TableError(f"write_tables: {str(path)!r} is one CSV file but {len(tables)} "
                             "tables were given; pass a folder path (no suffix) to write one "
                             "CSV per table.")
        (table,) = tables.values()
        table.to_csv(path, index=False)
        return
    stems = [_file_stem(n) for n in tables]
    clash = sorted({s for s in stems if stems.count(s) > 1})
    if clash:
        raise TableError(f"write_tables: table names {list(tables)} give the same CSV file "
                         f"name(s) {clash}; rename the tables.")
    path.mkdir(parents=True, exist_ok=True)
    notes = []
    for (name, table), stem in zip(tables.items(), stems, strict=True):
        table.to_csv(path / f"{stem}.csv", index=False)
        notes.append(f"{stem}.csv: {name}" + (f"\n  Note. {_notes(table)}" if _notes(table) else ""))
    (path / "notes.txt").write_text("\n".join(notes) + "\n", encoding="utf-8")


def _check_sheet_names(names: list[str]) -> None:
    problems = [n for n in names if not n or len(n) > 31 or _SHEET_BAD.search(n)
                or n.startswith("'") or n.endswith("'")]
    if problems:
        raise TableError(f"write_tables: {problems} cannot be Excel sheet names (1-31 "
                         "characters, none of [ ] : * ? / \\, no leading or trailing '); "
                         "rename those tables.")
    lowered = [n.lower() for n in names]
    dupes = sorted({n for n in names if lowered.count(n.lower()) > 1})
    if dupes:
        raise TableError(f"write_tables: sheet names {dupes} differ only in case; Excel "
                         "needs distinct names.")


def _number_format(role: str, decimals: int, p_style: str) -> str:
    fixed = "0." + "0" * decimals if decimals else "0"
    if role == "p":
        return '[<0.001]"< .001";.000' if p_style == "apa" else '[<0.001]"< 0.001";0.000'
    if role == "count":
        return "0"
    if role in ("pct", "df"):
        return "0.0"
    if role == "bounded" and p_style == "apa":
        return fixed[1:] if decimals else "0"
    return fixed


def _write_xlsx(tables: Mapping[str, pd.DataFrame], path: Path, decimals: int,
                p_style: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    _check_sheet_names(list(tables))
    book = Workbook()
    book.remove(book.active)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", start_color="DDE4EE", end_color="DDE4EE")
    header_border = Border(bottom=Side(style="thin"))
    for name, table in tables.items():
        sheet = book.create_sheet(title=name)
        shown = (format_table(table, decimals=decimals, p_style=p_style)
                 if table.attrs.get("kind") == "table_one" else table)
        widths = [len(str(c)) for c in shown.columns]
        for j, col in enumerate(shown.columns, start=1):
            cell = sheet.cell(row=1, column=j)
            _set_text(cell, str(col))
            cell.font, cell.fill, cell.border = header_font, header_fill, header_border
        labels = label_columns(shown)
        formats = ["General" if c in labels else _number_format(column_role(str(c)), decimals,
                                                                 p_style)
                   for c in shown.columns]
        for i, row in enumerate(shown.itertuples(index=False), start=2):
            for j, value in enumerate(row, start=1):
                value = value.item() if hasattr(value, "item") and not isinstance(value, str) \
                    else value
                cell = sheet.cell(row=i, column=j)
                shown_len = _put(cell, value, formats[j - 1])
                widths[j - 1] = max(widths[j - 1], shown_len)
        if _notes(table):
            note = sheet.cell(row=len(shown) + 3, column=1)
            _set_text(note, f"Note. {_notes(table)}")
            note.font = Font(italic=True)
        for j, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "A2"
    book.save(path)


def _set_text(cell: Any, text: str) -> None:
    """Store ``text`` as a string cell, never a formula."""
    cell.value = text
    cell.data_type = "s"
    if text.startswith(_FORMULA_START):
        cell.quotePrefix = True


def _put(cell: Any, value: Any, number_format: str) -> int:
    """Write one value; return its approximate displayed width."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return 0
    if isinstance(value, bool):
        cell.value = value
        return 5
    if isinstance(value, int | float):
        if math.isinf(value):
            _set_text(cell, "inf" if value > 0 else "-inf")
            return 4
        cell.value = value
        cell.number_format = number_format
        return len(f"{value:.2f}") if isinstance(value, float) else len(str(value))
    text = str(value)
    _set_text(cell, text)
    return len(text)
