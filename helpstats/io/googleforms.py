"""Google Forms CSV exports (responses sheet downloaded as CSV).

One header row of full question texts, ``Timestamp`` first. The question texts
are the column names and also ``Export.questions``. Checkbox questions arrive as
one cell with the ticked options joined by ``", "``; they are kept as exported
(options may themselves contain ``", "``, so splitting is left to the user).

Examples
--------
>>> import pathlib, tempfile
>>> from helpstats.io.googleforms import read_google_forms
>>> p = pathlib.Path(tempfile.mkdtemp()) / "f.csv"
>>> _ = p.write_text('Timestamp,How old are you?\\n3/1/2024 10:00:00,34\\n')
>>> exp = read_google_forms(p)
>>> exp.format, exp.questions
('google-forms', {'How old are you?': 'How old are you?'})
"""

from __future__ import annotations

import re
from pathlib import Path

from ._build import build_export
from ._export import Export
from ._text import read_delimited

__all__ = ["TIMESTAMP_NAMES", "looks_like_google_forms", "read_google_forms"]

TIMESTAMP_NAMES = frozenset({
    "timestamp", "marca temporal", "horodateur", "zeitstempel", "carimbo de data/hora",
    "informazioni cronologiche", "tijdstempel", "sygnatura czasowa",
})
_STAMP = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}[ T]\d{1,2}:\d{2}(:\d{2})?.*")


def looks_like_google_forms(header: list[str], first_row: list[str]) -> bool:
    """Timestamp-named first column holding a date-time in the first data row."""
    if not header or header[0].strip().lower() not in TIMESTAMP_NAMES:
        return False
    return not first_row or bool(_STAMP.fullmatch(first_row[0].strip()))


def read_google_forms(
    path: str | Path, *, encoding: str | None = None, data: bytes | None = None
) -> Export:
    """Read a Google Forms responses CSV; ``format`` is ``"google-forms"``."""
    grid = read_delimited(path, header_rows=1, encoding=encoding, data=data)
    names = grid.header_row(0)
    questions = ["" if n.strip().lower() in TIMESTAMP_NAMES else n for n in names]
    return build_export(grid, names, "google-forms", path=path, questions=questions)
