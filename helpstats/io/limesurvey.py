"""LimeSurvey response exports (CSV).

Headings are either question codes (``id, submitdate, lastpage, startlanguage,
..., Q1, Q2[SQ001]``) or "question code & question text" headings such as
``socio1. In which country...?`` and ``currentEmp13[12]. In which disciplines ...
[Computer science]``. With text headings the column is named by the code and
the text goes to ``Export.questions``.

Examples
--------
>>> from helpstats.io.limesurvey import split_heading
>>> split_heading("currentEmp13[12]. In which disciplines? [Physics]")
('currentEmp13[12]', 'In which disciplines? [Physics]')
>>> split_heading("submitdate")
('submitdate', '')
"""

from __future__ import annotations

import re
from pathlib import Path

from ._build import build_export
from ._export import Export
from ._text import read_delimited

__all__ = ["LIMESURVEY_COLUMNS", "looks_like_limesurvey", "read_limesurvey", "split_heading"]

LIMESURVEY_COLUMNS = frozenset({"submitdate", "lastpage", "startlanguage", "seed", "startdate",
                                "datestamp", "refurl", "ipaddr"})
_HEADING = re.compile(r"(?P<code>[A-Za-z][A-Za-z0-9_]*(?:\[[A-Za-z0-9_#]+\])*)\. (?P<text>.*)",
                      re.DOTALL)


def split_heading(heading: str) -> tuple[str, str]:
    """Split a ``code. text`` heading into ``(code, text)``; plain codes give ``(code, "")``."""
    match = _HEADING.fullmatch(heading.strip())
    if match is None:
        return heading, ""
    return match["code"], match["text"].strip()


def looks_like_limesurvey(header: list[str]) -> bool:
    """Response-table columns (submitdate, lastpage, ...) or mostly ``code. text`` headings."""
    names = {h.strip().lower() for h in header}
    if len(names & LIMESURVEY_COLUMNS) >= 3:
        return True
    coded = sum(bool(split_heading(h)[1]) for h in header)
    return len(header) >= 2 and coded * 2 >= len(header)


def read_limesurvey(
    path: str | Path, *, encoding: str | None = None, data: bytes | None = None
) -> Export:
    """Read a LimeSurvey responses CSV; ``format`` is ``"limesurvey"``."""
    grid = read_delimited(path, header_rows=1, encoding=encoding, data=data)
    parts = [split_heading(h) for h in grid.header_row(0)]
    return build_export(grid, [code for code, _ in parts], "limesurvey", path=path,
                        questions=[text for _, text in parts])
