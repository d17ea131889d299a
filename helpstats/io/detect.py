"""Recognise the format of a survey export from its content (not only its name).

Binary signatures first (SPSS ``$FL2``/``$FL3``, Stata, .xlsx zip, old .xls),
then, for text, the header rows: Qualtrics ImportId JSON in row 3, legacy
Qualtrics ``V1, V2, ...``, SurveyMonkey's two rows, REDCap's special columns,
LimeSurvey headings, Google Forms' Timestamp; anything else is ``"csv"``.

Examples
--------
>>> import pathlib, tempfile
>>> from helpstats.io.detect import detect_format
>>> p = pathlib.Path(tempfile.mkdtemp()) / "export.txt"
>>> _ = p.write_text("record_id,redcap_event_name,phq9_1\\n1,baseline_arm_1,2\\n")
>>> detect_format(p)
'redcap'
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..errors import ExportError
from ._sheet import cell_text, choose_sheet, sheet_cells, sheet_names
from ._text import decode, head_records, load_head, sniff_delimiter
from .googleforms import looks_like_google_forms
from .limesurvey import LIMESURVEY_COLUMNS, looks_like_limesurvey
from .qualtrics import is_import_id_row, is_question_text_row
from .redcap import looks_like_redcap
from .surveymonkey import surveymonkey_signal

__all__ = ["detect_format", "detect_from_rows", "guess_format", "guess_from_rows"]

_LEGACY = re.compile(r"V[0-9]+")


def detect_from_rows(rows: list[list[str]]) -> str:
    """Format of a table given its first rows (header rows and some data)."""
    return guess_from_rows(rows)[0]


def guess_from_rows(rows: list[list[str]]) -> tuple[str, str | None]:
    """Format of a table given its first rows, and a note when the guess rests on weak
    signals (None when the format's own markers are there)."""
    padded = rows + [[]] * max(0, 3 - len(rows))
    row1, row2, row3 = padded[0], padded[1], padded[2]
    if len(rows) >= 3 and is_import_id_row(row3):
        return "qualtrics", None
    if len(row1) >= 2 and all(_LEGACY.fullmatch(c) for c in row1[:2]) and \
            any(c.strip().lower() == "responseid" for c in row2):
        return "qualtrics-legacy", None
    if is_question_text_row(row1, row2):
        return "qualtrics", None  # the reader notes the missing ImportId row
    signal = surveymonkey_signal(row1, row2)
    if signal is not None:
        return "surveymonkey", None if signal == "strong" else (
            "format guessed as SurveyMonkey from weak signals (Respondent ID and Collector ID "
            "columns, and a row 2 with no answers under them), so row 2 was read as "
            "sub-headers; pass format='csv' if row 2 is a respondent")
    if looks_like_redcap(row1):
        special = any(c.strip().startswith("redcap_") or c.strip().endswith("Complete?")
                      for c in row1)
        return "redcap", None if special else (
            "format guessed as REDCap from its *_complete status columns (no redcap_ "
            "columns); pass format='csv' if it is not a REDCap export")
    if looks_like_google_forms(row1, row2):
        return "google-forms", None
    if looks_like_limesurvey(row1):
        coded = len({c.strip().lower() for c in row1} & LIMESURVEY_COLUMNS) >= 3
        return "limesurvey", None if coded else (
            "format guessed as LimeSurvey from its 'code. question text' headings; pass "
            "format='csv' if it is not a LimeSurvey export")
    return "csv", None


def _is_stata(head: bytes) -> bool:
    if head.startswith(b"<stata_dta>"):
        return True
    return len(head) > 4 and 102 <= head[0] <= 115 and head[1] in (1, 2) and head[2] == 1 \
        and head[3] == 0


def _xlsx_rows(path: str | Path, sheet: str | int | None) -> list[list[str]]:
    target = choose_sheet(path, sheet_names(path), sheet)
    cells = sheet_cells(path, target, nrows=8)
    return [[cell_text(v) for v in row] for row in cells.itertuples(index=False)]


def detect_format(path: str | Path, *, sheet: str | int | None = None,
                  encoding: str | None = None) -> str:
    """Return the export format of ``path``: one of :data:`helpstats.io.FORMATS`.

    Raises :class:`~helpstats.errors.ExportError` for files that are empty,
    unreadable, or not a survey export.
    """
    return guess_format(path, sheet=sheet, encoding=encoding)[0]


def guess_format(path: str | Path, *, sheet: str | int | None = None,
                 encoding: str | None = None) -> tuple[str, str | None]:
    """:func:`detect_format`, plus a note when the format was guessed from weak signals."""
    data = load_head(path, 262144)
    head = data[:512]
    if head.startswith((b"$FL2", b"$FL3")):
        return "spss", None
    if _is_stata(head):
        return "stata", None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExportError(f"{path}: is an old binary Excel (.xls) or other OLE file, which "
                          "helpstats does not read. Save it as .xlsx or CSV and read that.")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                is_xlsx = "xl/workbook.xml" in archive.namelist()
        except zipfile.BadZipFile as exc:
            raise ExportError(f"{path}: a damaged zip/xlsx file ({exc}).") from exc
        if not is_xlsx:
            raise ExportError(f"{path}: a zip archive that is not an .xlsx workbook, so not a "
                              "survey export. Unpack it and read the export inside.")
        fmt, note = guess_from_rows(_xlsx_rows(path, sheet))
        return (fmt, note) if fmt in ("qualtrics", "surveymonkey") else ("excel", None)
    binary_suffixes = {".xlsx": "an Excel workbook", ".xlsm": "an Excel workbook",
                       ".sav": "an SPSS file", ".zsav": "an SPSS file", ".dta": "a Stata file"}
    suffix = Path(path).suffix.lower()
    if suffix in binary_suffixes:
        raise ExportError(f"{path}: is named {suffix} but is not {binary_suffixes[suffix]} (its "
                          "first bytes are not that format's signature). Export it again, or "
                          "give it the extension of what it holds (e.g. .csv).")
    text, _ = decode(path, data, encoding)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[", "<")):
        what = "XML (a REDCap project XML?)" if stripped.startswith("<") else "JSON"
        raise ExportError(f"{path}: looks like {what}, not a survey export table. Expected a "
                          "CSV/TSV export, .xlsx, .sav/.zsav or .dta.")
    delimiter = sniff_delimiter(text, path)
    rows = head_records(text, delimiter, 4)
    if len(rows[0]) == 1 and len(rows) > 1 and len(stripped) > 0 and \
            max(len(r) for r in rows) == 1 and len(rows[0][0]) > 200:
        raise ExportError(f"{path}: no delimited columns found (first line is one long field), "
                          "so this is not a survey export.")
    if rows and [c.strip().lower() for c in rows[0][:1]] == ["variable / field name"]:
        raise ExportError(f"{path}: is a REDCap data dictionary, not a record export. Pass it "
                          "as dictionary= together with the records file.")
    return guess_from_rows(rows)
