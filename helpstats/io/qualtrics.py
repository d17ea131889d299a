"""Qualtrics CSV exports: current (3 header rows) and legacy (2 header rows).

Current exports have row 1 export tags (the column names), row 2 question text
and row 3 ``{"ImportId": ...}`` JSON; legacy exports have ``V1 ... V10, Q1, ...``
then the labels row. Values are choice text or numeric codes, as exported.

Examples
--------
>>> import pathlib, tempfile
>>> from helpstats.io.qualtrics import read_qualtrics
>>> p = pathlib.Path(tempfile.mkdtemp()) / "q.csv"
>>> _ = p.write_text('ResponseId,Q1\\nResponse ID,How are you?\\n'
...                  '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}"\\nR_1,3\\n')
>>> exp = read_qualtrics(p)
>>> exp.data.to_dict("list"), exp.questions["Q1"], exp.source.header_rows
({'ResponseId': ['R_1'], 'Q1': [3]}, 'How are you?', 3)
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ExportError
from ._build import build_export
from ._export import Export
from ._sheet import is_zip_file, read_sheet
from ._text import Grid, read_delimited

__all__ = ["is_import_id_row", "read_qualtrics"]


def is_import_id_row(row: list[str]) -> bool:
    """True when most non-empty cells are Qualtrics ``{"ImportId": ...}`` JSON."""
    cells = [c.strip() for c in row if c.strip()]
    hits = sum(c.startswith("{") and '"ImportId"' in c for c in cells)
    return bool(cells) and hits * 2 >= len(cells)


def read_qualtrics(
    path: str | Path,
    *,
    legacy: bool = False,
    encoding: str | None = None,
    sheet: str | int | None = None,
    data: bytes | None = None,
) -> Export:
    """Read a Qualtrics export (.csv/.tsv, or .xlsx with the same header rows).

    Returns an :class:`~helpstats.io.Export` with ``format`` ``"qualtrics"`` (or
    ``"qualtrics-legacy"``) and ``questions`` from the question-text row.
    """
    header_rows = 2 if legacy else 3
    grid: Grid
    if is_zip_file(path):
        grid = read_sheet(path, sheet=sheet, header_rows=header_rows)
    else:
        grid = read_delimited(path, header_rows=header_rows, encoding=encoding, data=data)
    names = grid.header_row(0)
    texts = grid.header_row(1)
    if not legacy and not is_import_id_row(grid.header_row(2)):
        raise ExportError(
            f"{path}: row 3 does not hold Qualtrics ImportId JSON, so this is not a current "
            "Qualtrics export. Use format='qualtrics-legacy' for 2 header rows, or "
            "format='csv'."
        )
    fmt = "qualtrics-legacy" if legacy else "qualtrics"
    return build_export(grid, names, fmt, path=path, questions=texts)
