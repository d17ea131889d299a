"""SurveyMonkey exports (CSV or XLSX, "expanded" layout with two header rows).

Row 1 holds the question text once per question (merged cells: blank over the
question's other columns); row 2 holds the sub-header of each column:
``Response`` / ``Open-Ended Response`` for single-column questions, the option
text for multiple choice, ``row - column`` for matrices. The metadata columns at
the left (Respondent ID, Collector ID, Start Date, ...) have an empty row 2.

SurveyMonkey has no variable names, so question columns are named ``q1, q2, ...``
(one column) or ``q3_1, q3_2, ...`` (several columns), numbered in file order;
metadata columns keep their names. ``Export.questions`` holds the full text:
``question`` or ``question - sub-header``.

Examples
--------
>>> import pathlib, tempfile
>>> from helpstats.io.surveymonkey import read_surveymonkey
>>> p = pathlib.Path(tempfile.mkdtemp()) / "sm.csv"
>>> _ = p.write_text("Respondent ID,How often?,Which?,\\n,Response,Tea,Coffee\\n"
...                  "101,Daily,Tea,\\n")
>>> exp = read_surveymonkey(p)
>>> list(exp.data.columns), exp.questions["q2_2"]
(['Respondent ID', 'q1', 'q2_1', 'q2_2'], 'Which? - Coffee')
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ExportError
from ._build import build_export
from ._export import Export
from ._sheet import is_zip_file, read_sheet
from ._text import Grid, read_delimited

__all__ = ["METADATA_COLUMNS", "SINGLE_ANSWER", "looks_like_surveymonkey", "read_surveymonkey",
           "surveymonkey_signal"]

METADATA_COLUMNS = frozenset({
    "respondent id", "collector id", "start date", "end date", "ip address", "email address",
    "first name", "last name", "custom data 1", "custom data",
})
SINGLE_ANSWER = frozenset({"response", "open-ended response"})


def _answered_metadata(row1: list[str], row2: list[str]) -> list[tuple[str, str]]:
    """(column, value) of row-2 cells under metadata columns that hold something."""
    return [(name.strip(), value.strip()) for name, value in zip(row1, row2, strict=False)
            if name.strip().lower() in METADATA_COLUMNS and value.strip()]


def surveymonkey_signal(row1: list[str], row2: list[str]) -> str | None:
    """How strongly the first two rows say SurveyMonkey: ``"strong"``, ``"weak"`` or None.

    Row 2 must be SurveyMonkey's sub-header row: empty under the metadata columns
    (Respondent ID, Collector ID, dates ...) and not empty elsewhere. A row 2 with a
    Respondent ID is a respondent, so the file is not SurveyMonkey's two-row layout
    (detection never takes a data row for a header). ``"strong"``: sub-headers
    ``Response`` / ``Open-Ended Response``; ``"weak"``: only the Respondent ID and
    Collector ID columns.
    """
    names = {c.strip().lower() for c in row1}
    if "respondent id" not in names or _answered_metadata(row1, row2):
        return None
    others = [v.strip() for n, v in zip(row1, row2, strict=False)
              if n.strip().lower() not in METADATA_COLUMNS]
    if not any(others):
        return None
    if {v.lower() for v in others} & SINGLE_ANSWER:
        return "strong"
    return "weak" if "collector id" in names else None


def looks_like_surveymonkey(row1: list[str], row2: list[str]) -> bool:
    """Respondent ID column and a sub-header row 2 (see :func:`surveymonkey_signal`)."""
    return surveymonkey_signal(row1, row2) is not None


def read_surveymonkey(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    data: bytes | None = None,
) -> Export:
    """Read a SurveyMonkey CSV/XLSX export; ``format`` is ``"surveymonkey"``."""
    grid: Grid
    if is_zip_file(path):
        grid = read_sheet(path, sheet=sheet, header_rows=2)
    else:
        grid = read_delimited(path, header_rows=2, encoding=encoding, data=data)
    top, sub = grid.header_row(0), grid.header_row(1)
    answered = _answered_metadata(top, sub)
    if answered:
        column, value = answered[0]
        raise ExportError(
            f"{path}: row 2 holds {value!r} under {column!r}, so it is a respondent, not "
            "SurveyMonkey's second header row (question, then Response/option). Use "
            "format='csv' (or 'excel') for one header row.")
    if not any(s.strip() for s in sub):
        raise ExportError(
            f"{path}: row 2 is empty, so this is not a SurveyMonkey export with two header "
            "rows (question, then Response/option). Use format='csv' for one header row."
        )
    groups: list[list[int]] = []
    names: list[str] = [""] * len(top)
    questions: list[str] = [""] * len(top)
    current: str | None = None
    for i, (question, sub_header) in enumerate(zip(top, sub, strict=True)):
        q, s = question.strip(), sub_header.strip()
        if q and (not s or q.lower() in METADATA_COLUMNS) and current is None and not groups:
            names[i] = q
            continue
        if q:
            groups.append([i])
            current = q
        elif current is not None:
            groups[-1].append(i)
        else:
            names[i] = ""
            continue
        full = current
        questions[i] = full if s.lower() in SINGLE_ANSWER or not s else f"{full} - {s}"
    for k, members in enumerate(groups, start=1):
        for j, i in enumerate(members, start=1):
            names[i] = f"q{k}" if len(members) == 1 else f"q{k}_{j}"
    return build_export(grid, names, "surveymonkey", path=path, questions=questions)
