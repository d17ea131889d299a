"""The Word (``.docx``) writer: composed tables through python-docx (an optional extra)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from .._output import atomic_write
from ..errors import TableError
from ._layout import Composed

__all__ = ["write_docx"]

#: Characters XML 1.0 cannot hold (python-docx would refuse them): shown as U+FFFD.
_XML_BAD = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF],
                         0xFFFD)


def _text(value: str) -> str:
    return value.translate(_XML_BAD)


def _import_docx() -> Any:
    try:
        import docx
    except ImportError:
        raise TableError("writing .docx needs python-docx, which is not installed; install it "
                         "with `pip install helpstats[docx]` (or `pip install python-docx`), "
                         "or write .xlsx, .html, .md or .tex instead.") from None
    return docx


def write_docx(composed: Mapping[str, Composed], path: Path) -> Path:
    """Write composed tables to a Word document: per table a heading, one table per
    panel (panel title as a sub-heading, column labels bold, numbers right-aligned) and
    the note in italics."""
    docx = _import_docx()
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    for name, table in composed.items():
        document.add_heading(_text(name), level=2)
        for panel in table.panels:
            if panel.title and len(table.panels) > 1:
                document.add_heading(_text(panel.title), level=3)
            grid = document.add_table(rows=1 + len(panel.rows), cols=len(panel.header))
            grid.style = "Table Grid"
            for i, row in enumerate([None, *panel.rows]):
                for j in range(len(panel.header)):
                    text = panel.header[j] if row is None else table.text(row[j])
                    paragraph = grid.cell(i, j).paragraphs[0]
                    run = paragraph.add_run(_text(text))
                    strong = row is None or (j == 0 and bool(panel.emphasis)
                                             and panel.emphasis[i - 1])
                    run.bold = strong
                    paragraph.alignment = (WD_ALIGN_PARAGRAPH.RIGHT if panel.right_aligned(j)
                                           else WD_ALIGN_PARAGRAPH.LEFT)
        if table.note:
            paragraph = document.add_paragraph()
            paragraph.add_run("Note. ").italic = True
            paragraph.add_run(_text(table.note))

    def write(stream: IO[bytes]) -> None:
        document.save(stream)

    return atomic_write(path, write)
