"""Writers: named tables, each rendered from its composed layout, to .xlsx, .docx, .tex,
.md, .html or a folder of .csv files."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .._output import (
    XlsxCell,
    check_output,
    make_folder,
    markdown_text,
    write_csv,
    write_text,
    write_xlsx_cells,
)
from ..errors import TableError
from ._layout import NUMERIC_ROLES, Composed, Panel, compose, number_format

__all__ = ["html_table", "markdown_table", "write_tables"]

FORMATS = ("xlsx", "csv", "md", "html", "docx", "tex")
_SUFFIXES = {".xlsx": "xlsx", ".csv": "csv", ".md": "md", ".markdown": "md", ".html": "html",
             ".htm": "html", ".docx": "docx", ".tex": "tex", "": "csv"}


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    format: str | None = None,
    decimals: int = 2,
    p_style: str = "apa",
    labels: Any = None,
    overwrite: bool = False,
    neutralise: bool = True,
    inputs: Iterable[str | Path] = (),
) -> Path:
    """Write named tables to Excel, Word, LaTeX, Markdown, HTML or a CSV folder.

    Every format shows the same composed table (:func:`compose`): the
    columns, labels, cells, number formats and notes the table's builder
    declares.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        ``{name: table}`` in display order: tables from the helpstats table
        functions or any DataFrame. The name is the table's heading (and its
        sheet name in Excel).
    path : str or pathlib.Path
        Output file; its suffix picks the format: ``.xlsx``, ``.docx``
        (needs ``python-docx``: ``pip install helpstats[docx]``), ``.tex``,
        ``.md``, ``.html``; a path without suffix is a folder of CSV files.
        A ``.csv`` path takes a single table.
    format : {"xlsx", "csv", "md", "html", "docx", "tex"}, optional
        Overrides the suffix.
    decimals, p_style
        Passed to :func:`compose` (and used for the Excel number formats).
    labels : Labels, Study or mapping, optional
        Variable and level labels (e.g. ``hs.Study``'s), added to those each
        table carries.
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
    * ``.xlsx``: one sheet per table (sheet names: at most 31 characters, none
      of ``[ ] : * ? / \\``, the table's heading): the styled column labels
      (frozen, so they stay in view; panel titles above later panels), the
      cells, a "Note." row; column widths fitted to
      the content. Numbers are stored as numbers with a number format per
      role (integers ``0``, estimates ``0.00``, p ``.031`` / ``< .001``); a
      CI, "mean (SD)" or "n (%)" cell is text. Each table's numeric frame, at
      full precision, follows on a sheet of its own (``<name> data``). Text
      is never a formula (Excel's quote prefix when it starts like one).
    * ``.docx``: a heading, one Word table per panel (column labels bold;
      numbers right-aligned) and the note.
    * ``.tex``: one booktabs ``table`` per table (``\\toprule``,
      ``\\midrule``, ``\\bottomrule``; needs ``\\usepackage{booktabs}``), every
      LaTeX special character escaped.
    * ``.md`` and ``.html``: the composed text, HTML-escaped (in Markdown also
      ``|``, line breaks and inline Markdown syntax, see
      :func:`helpstats._output.markdown_text`); text columns left-aligned,
      numbers right-aligned.
    * CSV folder: ``<name>.csv`` is the composed table as text,
      ``<name>_data.csv`` the numeric frame at full precision, and
      ``notes.txt`` the notes; text a spreadsheet would run as a formula
      starts with ``'``. A single ``.csv`` path holds the composed table.
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
    | :--- | ---: | ---: |
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
                         ".docx, .tex, .md or .html file, a folder for CSV, or format= one of "
                         f"{FORMATS}.")
    composed = {str(name): compose(table, decimals=decimals, p_style=p_style, labels=labels)
                for name, table in tables.items()}
    inputs = list(inputs)
    folder = fmt == "csv" and path.suffix.lower() != ".csv"
    check_output(path, inputs=inputs, overwrite=overwrite, folder=folder)
    if fmt == "xlsx":
        _write_xlsx(composed, path)
    elif fmt == "csv":
        _write_csv(composed, path, overwrite=overwrite, neutralise=neutralise, inputs=inputs)
    elif fmt == "md":
        write_text(path, "\n".join(_markdown(c, name) for name, c in composed.items()))
    elif fmt == "html":
        write_text(path, _html_page(composed))
    elif fmt == "docx":
        from ._docx import write_docx

        write_docx(composed, path)
    else:
        from ._latex import latex_document

        write_text(path, latex_document(composed))
    return path


# ----------------------------------------------------------------------------- Markdown


def _markdown(composed: Composed, heading: str | None, level: int = 2,
              empty: str | None = None) -> str:
    esc = markdown_text
    lines = [f"{'#' * level} {esc(heading)}", ""] if heading else []
    for i, panel in enumerate(composed.panels):
        if panel.title and (len(composed.panels) > 1 or i):
            lines += [f"{'#' * (level + 1)} {esc(panel.title)}", ""]
        if not panel.rows and empty is not None:
            lines += [esc(empty), ""]
            continue
        lines.append("| " + " | ".join(esc(c) for c in panel.header) + " |")
        lines.append("| " + " | ".join("---:" if panel.right_aligned(j) else ":---"
                                       for j in range(len(panel.header))) + " |")
        for k, row in enumerate(panel.rows):
            strong = bool(panel.emphasis) and panel.emphasis[k]
            cells = [esc(composed.text(c)) for c in row]
            if strong and cells and cells[0]:
                cells[0] = f"**{cells[0]}**"
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if composed.note:
        lines += [f"*Note.* {esc(composed.note)}", ""]
    return "\n".join(lines)


def markdown_table(table: pd.DataFrame, *, heading: str | None = None, level: int = 2,
                   empty: str | None = None, decimals: int = 2, p_style: str = "apa",
                   labels: Any = None) -> str:
    """One table as Markdown (the composed table; the same renderer as ``write_tables``).

    Parameters
    ----------
    table : pandas.DataFrame
    heading : str, optional
        A heading above the table (``#`` repeated ``level`` times).
    empty : str, optional
        Text shown instead of a table without rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from helpstats.tables import markdown_table
    >>> print(markdown_table(pd.DataFrame({"role": ["helper"], "cutoff": [2.0]})))
    | role | cutoff |
    | :--- | ---: |
    | helper | 2 |
    <BLANKLINE>
    """
    composed = compose(table, decimals=decimals, p_style=p_style, labels=labels)
    return _markdown(composed, heading, level, empty)


# ----------------------------------------------------------------------------- HTML


_STYLE = ("body{font-family:sans-serif}table{border-collapse:collapse;margin:.5em 0 1em}"
          "caption{text-align:left;font-weight:bold;padding:.2em 0}"
          "th,td{padding:.2em .6em}thead th{border-bottom:1px solid #000}"
          "table{border-top:2px solid #000;border-bottom:2px solid #000}"
          ".note{font-size:.9em}")


def _html_fragment(composed: Composed, heading: str | None, level: int = 2) -> str:
    e = html.escape
    parts = ['<section class="helpstats-table">']
    if heading:
        parts.append(f"<h{level}>{e(heading)}</h{level}>")
    for panel in composed.panels:
        def align(j: int, panel: Panel = panel) -> str:
            return "right" if panel.right_aligned(j) else "left"

        head = "".join(f'<th scope="col" style="text-align:{align(j)}">{e(c)}</th>'
                       for j, c in enumerate(panel.header))
        body = []
        for k, row in enumerate(panel.rows):
            strong = bool(panel.emphasis) and panel.emphasis[k]
            cells = []
            for j, cell in enumerate(row):
                text = e(composed.text(cell))
                if strong and j == 0 and text:
                    text = f"<strong>{text}</strong>"
                cells.append(f'<td style="text-align:{align(j)}">{text}</td>')
            body.append("<tr>" + "".join(cells) + "</tr>")
        caption = f"<caption>{e(panel.title)}</caption>" if panel.title else ""
        parts.append(f"<table>{caption}\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
                     + "\n".join(body) + "\n</tbody>\n</table>")
    if composed.note:
        parts.append(f'<p class="note"><em>Note.</em> {e(composed.note)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def html_table(table: pd.DataFrame, *, heading: str | None = None, level: int = 3,
               decimals: int = 2, p_style: str = "apa", labels: Any = None) -> str:
    """One table as an HTML fragment (the same renderer as ``write_tables``): a heading,
    one ``<table>`` per panel (its title as ``<caption>``), text left-aligned and numbers
    right-aligned, the note; every text HTML-escaped.

    Examples
    --------
    >>> import pandas as pd
    >>> from helpstats.tables import html_table
    >>> out = html_table(pd.DataFrame({"role": ["<b>"], "cutoff": [2.0]}), heading="Cut-offs")
    >>> "<h3>Cut-offs</h3>" in out, "&lt;b&gt;" in out, '<td style="text-align:right">2</td>' in out
    (True, True, True)
    """
    composed = compose(table, decimals=decimals, p_style=p_style, labels=labels)
    return _html_fragment(composed, heading if heading is not None else
                          table.attrs.get("title"), level)


def _html_page(composed: Mapping[str, Composed]) -> str:
    body = [_html_fragment(c, name) for name, c in composed.items()]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>helpstats tables</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


# ----------------------------------------------------------------------------- CSV


def _file_stem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return stem or "table"


def _write_csv(composed: Mapping[str, Composed], path: Path, *, overwrite: bool,
               neutralise: bool, inputs: list[str | Path]) -> None:
    if path.suffix.lower() == ".csv":
        if len(composed) != 1:
            raise TableError(f"write_tables: {str(path)!r} is one CSV file but {len(composed)} "
                             "tables were given; pass a folder path (no suffix) to write one "
                             "CSV per table.")
        (table,) = composed.values()
        write_csv(table.to_frame(), path, neutralise=neutralise)
        return
    stems = [_file_stem(n) for n in composed]
    clash = sorted({s for s in stems if stems.count(s) > 1} |
                   {s for s in stems if s.endswith("_data") and s[:-5] in stems})
    if clash:
        raise TableError(f"write_tables: table names {list(composed)} give the same CSV file "
                         f"name(s) {clash}; rename the tables.")
    targets = [*(path / f"{s}.csv" for s in stems), *(path / f"{s}_data.csv" for s in stems),
               path / "notes.txt"]
    for target in targets:
        check_output(target, inputs=inputs, overwrite=overwrite)
    make_folder(path)
    notes = []
    for (name, table), stem in zip(composed.items(), stems, strict=True):
        write_csv(table.to_frame(), path / f"{stem}.csv", neutralise=neutralise)
        if table.data is not None:
            write_csv(table.data, path / f"{stem}_data.csv", neutralise=neutralise)
        notes.append(f"{stem}.csv: {name} ({stem}_data.csv: its numbers)"
                     + (f"\n  Note. {table.note}" if table.note else ""))
    write_text(path / "notes.txt", "\n".join(notes) + "\n")


# ----------------------------------------------------------------------------- Excel


def _data_sheet_names(names: list[str]) -> list[str]:
    used = {n.lower() for n in names}
    out = []
    for name in names:
        base = name[:26].rstrip() + " data"
        candidate, k = base, 2
        while candidate.lower() in used:
            suffix = f" data{k}"
            candidate, k = name[:31 - len(suffix)].rstrip() + suffix, k + 1
        used.add(candidate.lower())
        out.append(candidate)
    return out


def composed_cells(composed: Composed) -> tuple[list[list[XlsxCell]], str]:
    """The rows of cells of one composed table in a sheet (its name is the heading), and
    the cell to freeze at (below the first panel's column labels)."""
    rows: list[list[XlsxCell]] = []
    freeze = ""
    for i, panel in enumerate(composed.panels):
        if i:
            rows.append([])
        if panel.title and (len(composed.panels) > 1):
            rows.append([XlsxCell(panel.title, style="section")])
        rows.append([XlsxCell(c, style="header",
                              align="right" if panel.right_aligned(j) else "left")
                     for j, c in enumerate(panel.header)])
        if not freeze:
            freeze = f"A{len(rows) + 1}"
        for row in panel.rows:
            out = []
            for j, cell in enumerate(row):
                text = composed.text(cell)
                align = "right" if panel.right_aligned(j) else "left"
                if cell.role in NUMERIC_ROLES and isinstance(cell.value, int | float) \
                        and not isinstance(cell.value, bool) and text:
                    out.append(XlsxCell(cell.value, number_format(cell.role, composed.decimals,
                                                                  composed.p_style),
                                        align=align, width=len(text)))
                else:
                    out.append(XlsxCell(text or None, align=align, width=len(text)))
            rows.append(out)
    if composed.note:
        rows += [[], [XlsxCell(f"Note. {composed.note}", style="note")]]
    return rows, freeze


def _write_xlsx(composed: Mapping[str, Composed], path: Path) -> None:
    names = list(composed)
    sheets: dict[str, list[list[XlsxCell]]] = {}
    freeze: dict[str, str | None] = {}
    for name, table in composed.items():
        sheets[name], freeze[name] = composed_cells(table)
    for name, data_name in zip(names, _data_sheet_names(names), strict=True):
        data = composed[name].data
        if data is None:
            continue
        rows = [[XlsxCell(str(c), style="header") for c in data.columns]]
        rows += [[XlsxCell(v) for v in values] for values in data.itertuples(index=False)]
        sheets[data_name], freeze[data_name] = rows, "A2"
    write_xlsx_cells(path, sheets, freeze=freeze)

