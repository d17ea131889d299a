"""Writers: a set of named tables to .xlsx, a folder of .csv, .md or .html."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from .._output import check_output, make_folder, markdown_text, write_csv, write_text, write_xlsx
from ..errors import TableError
from ._format import column_role, format_table, label_columns

__all__ = ["write_tables"]

FORMATS = ("xlsx", "csv", "md", "html")
_SUFFIXES = {".xlsx": "xlsx", ".csv": "csv", ".md": "md", ".markdown": "md", ".html": "html",
             ".htm": "html", "": "csv"}


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    format: str | None = None,
    decimals: int = 2,
    p_style: str = "apa",
    overwrite: bool = False,
    neutralise: bool = True,
    inputs: Iterable[str | Path] = (),
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
    overwrite : bool, default False
        Replace existing output files. Without it an existing file is an
        :class:`~helpstats.errors.OutputError`.
    neutralise : bool, default True
        CSV only: prefix text cells that a spreadsheet would run as a formula
        with ``'`` (see :mod:`helpstats._output`). ``False`` writes the text
        as it is, for analysis pipelines that never open the files in a
        spreadsheet.
    inputs : iterable of paths, optional
        Files this run read; they are never written over.

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
      Text is stored as text, with Excel's quote prefix when it starts like a
      formula, never as a formula.
    * ``.csv``: the numeric tables at full precision, for further analysis;
      text that a spreadsheet would run as a formula starts with ``'``.
    * ``.md`` and ``.html``: the :func:`format_table` text, HTML-escaped (in
      Markdown also ``|``, line breaks and inline Markdown syntax, see
      :func:`helpstats._output.markdown_text`).
    * Files are written atomically (a link at the target is replaced, never
      followed); an input file is never written over.

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
    inputs = list(inputs)
    folder = fmt == "csv" and path.suffix.lower() != ".csv"
    check_output(path, inputs=inputs, overwrite=overwrite, folder=folder)
    if fmt == "xlsx":
        _write_xlsx(tables, path, decimals, p_style)
    elif fmt == "csv":
        _write_csv(tables, path, overwrite=overwrite, neutralise=neutralise, inputs=inputs)
    elif fmt == "md":
        write_text(path, _markdown(tables, decimals, p_style))
    else:
        write_text(path, _html(tables, decimals, p_style))
    return path


def _notes(table: pd.DataFrame) -> str:
    return str(table.attrs.get("notes") or "")


def _markdown(tables: Mapping[str, pd.DataFrame], decimals: int, p_style: str) -> str:
    esc = markdown_text

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


def _write_csv(tables: Mapping[str, pd.DataFrame], path: Path, *, overwrite: bool,
               neutralise: bool, inputs: list[str | Path]) -> None:
    if path.suffix.lower() == ".csv":
        if len(tables) != 1:
            raise TableError(f"write_tables: {str(path)!r} is one CSV file but {len(tables)} "
                             "tables were given; pass a folder path (no suffix) to write one "
                             "CSV per table.")
        (table,) = tables.values()
        write_csv(table, path, neutralise=neutralise)
        return
    stems = [_file_stem(n) for n in tables]
    clash = sorted({s for s in stems if stems.count(s) > 1})
    if clash:
        raise TableError(f"write_tables: table names {list(tables)} give the same CSV file "
                         f"name(s) {clash}; rename the tables.")
    for target in [*(path / f"{stem}.csv" for stem in stems), path / "notes.txt"]:
        check_output(target, inputs=inputs, overwrite=overwrite)
    make_folder(path)
    notes = []
    for (name, table), stem in zip(tables.items(), stems, strict=True):
        write_csv(table, path / f"{stem}.csv", neutralise=neutralise)
        notes.append(f"{stem}.csv: {name}" + (f"\n  Note. {_notes(table)}" if _notes(table) else ""))
    write_text(path / "notes.txt", "\n".join(notes) + "\n")


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
    sheets: dict[str, pd.DataFrame] = {}
    formats: dict[str, list[str]] = {}
    for name, table in tables.items():
        shown = (format_table(table, decimals=decimals, p_style=p_style)
                 if table.attrs.get("kind") == "table_one" else table)
        labels = label_columns(shown)
        sheets[name] = shown
        formats[name] = ["General" if c in labels else _number_format(column_role(str(c)),
                                                                       decimals, p_style)
                         for c in shown.columns]
    write_xlsx(path, sheets, number_formats=formats,
               notes={name: _notes(table) for name, table in tables.items()})
