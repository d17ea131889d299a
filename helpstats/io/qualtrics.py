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

import re
from pathlib import Path

from ..errors import ExportError
from ._build import build_export
from ._convert import parse_number
from ._export import Export
from ._sheet import cell_text, is_zip_file, read_sheet, sheet_cells
from ._text import Grid, head_records, load_head, read_delimited, sniff_delimiter

__all__ = ["QUALTRICS_COLUMNS", "is_import_id_row", "is_question_text_row", "read_qualtrics"]

QUALTRICS_COLUMNS = frozenset({
    "startdate", "enddate", "status", "ipaddress", "progress", "duration (in seconds)",
    "finished", "recordeddate", "responseid", "recipientlastname", "recipientfirstname",
    "recipientemail", "externalreference", "locationlatitude", "locationlongitude",
    "distributionchannel", "userlanguage",
})
"""Qualtrics' metadata columns (export tags, lower case)."""

_STARTS_WITH_DIGIT = re.compile(r"[0-9]")
NO_IMPORT_ID_NOTE = ("no ImportId row: rows 1-2 were read as the header (export tags, question "
                     "text) because row 2 holds labels, not answers, under the metadata "
                     "columns")


def is_question_text_row(names: list[str], row: list[str]) -> bool:
    """True when ``row`` (under Qualtrics column names) is the question-text row, not data.

    Used for exports saved without their third (ImportId) row: under the metadata
    columns a respondent has a date (StartDate), a number (Progress, Finished) or an
    ``R_...`` id (ResponseId); the question-text row has their labels. At least two
    metadata cells must be labels (or ResponseId's label ``Response ID``) and none an
    answer.
    """
    labels = answers = 0
    named_id = False
    for name, value in zip(names, row, strict=False):
        key, text = name.strip().lower(), value.strip()
        if not text:
            continue
        if key in ("startdate", "enddate", "recordeddate"):
            answer = bool(_STARTS_WITH_DIGIT.match(text))
        elif key in ("progress", "duration (in seconds)", "finished", "status"):
            answer = parse_number(text) is not None or text.lower() in ("true", "false")
        elif key == "responseid":
            answer = text.startswith("R_")
            named_id = text.lower() == "response id"
        else:
            continue
        answers += answer
        labels += not answer
    return (labels >= 2 or named_id) and answers == 0


def _first_rows(path: str | Path, data: bytes | None, encoding: str | None,
                sheet: str | int | None) -> list[list[str]]:
    """The first three rows of the file (for choosing the number of header rows)."""
    if is_zip_file(path):
        from ._sheet import choose_sheet, sheet_names

        cells = sheet_cells(path, choose_sheet(path, sheet_names(path), sheet), nrows=3)
        return [[cell_text(v) for v in row] for row in cells.itertuples(index=False)]
    head = load_head(path, 262144) if data is None else data[:262144]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode(encoding or "utf-8", errors="replace").lstrip("\ufeff")
    return head_records(text, sniff_delimiter(text, path), 3)


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
    notes: list[str] = []
    if not legacy:
        rows = _first_rows(path, data, encoding, sheet) + [[], [], []]
        if not is_import_id_row(rows[2]) and is_question_text_row(rows[0], rows[1]):
            header_rows = 2
            notes.append(NO_IMPORT_ID_NOTE)
    grid: Grid
    if is_zip_file(path):
        grid = read_sheet(path, sheet=sheet, header_rows=header_rows)
    else:
        grid = read_delimited(path, header_rows=header_rows, encoding=encoding, data=data)
    names = grid.header_row(0)
    texts = grid.header_row(1)
    if not legacy and header_rows == 3 and not is_import_id_row(grid.header_row(2)):
        raise ExportError(
            f"{path}: row 3 does not hold Qualtrics ImportId JSON, so this is not a current "
            "Qualtrics export. Use format='qualtrics-legacy' for 2 header rows, or "
            "format='csv'."
        )
    fmt = "qualtrics-legacy" if legacy else "qualtrics"
    return build_export(grid, names, fmt, path=path, questions=texts, notes=notes)
