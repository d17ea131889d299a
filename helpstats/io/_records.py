"""Records of delimited text as the file shows them: quoted cells that span lines, and
how many fields each record has.

A quote at the start of a cell opens a quoted cell that ends at the next single
quote (``""`` inside is one literal quote). A genuine multi-line comment is such
a cell, and stays one cell of one row. A *stray* quote (``...,"Any comments?``)
opens a cell that swallows the lines after it, and with them whole respondents.
:func:`check_quoted_cells` tells the two apart and raises an
:class:`~helpstats.errors.ExportError` that names the 1-based line where the
quote opened when the cell

- runs to the end of the file (the quote is never closed);
- is closed by a quote followed by more text (``..."fine"`` in a later row: a
  well-formed file closes a quoted cell only before a delimiter or line break);
- holds, after its first line, lines that are whole records: as many fields as the
  line where the quote opened has when the quote is read as a plain character;
- makes a row with more fields than the header (the quote that "closed" it opened a
  cell of a later record).

:func:`record_widths` gives the number of fields of every record (0 for a blank
line), so short rows can be reported and the row count checked against the file.

Examples
--------
>>> from helpstats.io._records import check_quoted_cells
>>> check_quoted_cells("x.csv", 'id,note\\n1,"two\\nlines"\\n2,ok\\n', ",")
[(2, 3)]
>>> try:
...     check_quoted_cells("x.csv", 'id,q,"Any comments?\\n1,2,a\\n3,4,b\\n', ",")
... except ValueError as err:
...     print(str(err).split(",")[0])
x.csv: line 1: a quote opens a cell that is never closed and runs to the end of the file
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from ..errors import ExportError

__all__ = ["check_quoted_cells", "csv_field_limit", "line_breaks", "line_counts", "record_width",
           "record_widths"]

_QUOTE = '"'


@contextmanager
def csv_field_limit() -> Iterator[None]:
    """Lift the csv module's 128 KB limit on one field while reading (a long free-text
    answer is data, not an error)."""
    old = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(old)


_BREAK_OR_QUOTE = re.compile(r'["\r\n]')
_BREAK_OR_QUOTE_BYTES = re.compile(rb'["\r\n]')


def line_breaks(text: str | bytes) -> str:
    """The line break that ends the file's records: ``\\n`` (also for CRLF) or a lone
    ``\\r``.

    When the file holds both characters, the first one outside a quoted cell decides: a
    classic Mac export ends records with CR and keeps LF inside quoted cells (a line
    break typed in a spreadsheet cell).

    >>> line_breaks('a,b\\r"one\\ntwo",2\\r'), line_breaks("a\\r\\n1\\r\\n")
    ('\\r', '\\n')
    """
    has_cr, has_lf = (("\r" in text, "\n" in text) if isinstance(text, str) else
                      (b"\r" in text, b"\n" in text))
    if not has_cr:
        return "\n"
    if not has_lf:
        return "\r"
    pattern = _BREAK_OR_QUOTE if isinstance(text, str) else _BREAK_OR_QUOTE_BYTES
    quoted, match = False, pattern.search(text)  # type: ignore[arg-type]
    while match is not None:
        char = match.group()
        if char in ('"', b'"'):
            quoted = not quoted  # "" inside a cell toggles twice
        elif not quoted:
            return "\r" if char in ("\r", b"\r") and text[match.end(): match.end() + 1] \
                not in ("\n", b"\n") else "\n"
        match = pattern.search(text, match.end())  # type: ignore[arg-type]
    return "\n"


class _LineNumbers:
    """1-based line numbers of character offsets in ``text``, counted on from the offset
    asked before (offsets asked in file order cost one pass over the text in all)."""

    def __init__(self, text: str, brk: str) -> None:
        self._text, self._brk = text, brk
        self._pos, self._line = 0, 1

    def of(self, pos: int) -> int:
        """The line that character ``pos`` is on."""
        if pos >= self._pos:
            self._line += self._text.count(self._brk, self._pos, pos)
        else:
            self._line -= self._text.count(self._brk, pos, self._pos)
        self._pos = pos
        return self._line


def record_width(line: str, delimiter: str) -> int:
    """Number of fields of one line read on its own (quotes as csv reads them)."""
    line = line.rstrip("\r\n")
    if not line:
        return 0
    if _QUOTE not in line:
        return line.count(delimiter) + 1
    with csv_field_limit():
        rows = list(csv.reader(io.StringIO(line, newline=""), delimiter=delimiter))
    return len(rows[0]) if rows else 0


def _closing_quote(text: str, start: int) -> int:
    """Position of the quote that closes the quoted cell opened at ``start`` (-1: none)."""
    j = text.find(_QUOTE, start + 1)
    while j != -1 and text.startswith(_QUOTE, j + 1):
        j = text.find(_QUOTE, j + 2)
    return j


def _swallow_error(path: object, text: str, q: int, delimiter: str, brk: str,
                   close: int, header_width: int | None, lines: _LineNumbers) -> str | None:
    """Why the multi-line quoted cell opened at ``q`` swallows records, or None."""
    line_no = lines.of(q)
    fix = (f"; a cell that starts with a quote must end with one. Fix line {line_no} of the "
           "file (write a quote inside a cell as two quotes \"\", or remove the stray one)"
           " and read it again.")
    if close == -1:
        return (f"{path}: line {line_no}: a quote opens a cell that is never closed and runs "
                f"to the end of the file, swallowing every line after it{fix}")
    after = text[close + 1: close + 2]
    end_line = lines.of(close)
    if after not in ("", delimiter, "\r", "\n"):
        return (f"{path}: line {line_no}: a quote opens a cell that runs to line {end_line}, "
                f"where it is closed by a quote followed by {after!r} instead of a delimiter "
                f"or line break, so the lines between were read as one cell{fix}")
    start = text.rfind(brk, 0, q) + 1
    first_end = text.find(brk, q)
    opening = text[start:q] + text[q + 1:first_end]
    width = record_width(opening, delimiter)
    inner = text[first_end + 1: text.rfind(brk, 0, close) + 1].split(brk)[:-1]
    if width >= 2 and inner and all(record_width(line, delimiter) == width for line in inner):
        return (f"{path}: line {line_no}: a quote opens a cell that runs to line {end_line} "
                f"and holds {len(inner)} line(s) that look like whole records ({width} "
                f"fields each, as line {line_no} has without the quote){fix}")
    if header_width is not None and line_no > 1:
        stop = text.find(brk, close)
        record = text[start: len(text) if stop == -1 else stop]
        with csv_field_limit():
            fields = len(next(csv.reader(io.StringIO(record, newline=""), delimiter=delimiter)))
        if fields > header_width:
            return (f"{path}: line {line_no}: a quote opens a cell that runs to line {end_line}, "
                    f"and the row it makes has {fields} fields where the header has "
                    f"{header_width}, so the lines between are records read as one cell{fix}")
    return None


def line_counts(text: str | bytes, delimiter: str,
                brk: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per line of ``text``: how many delimiters and how many quotes it holds.

    C speed: every byte but delimiters, quotes and line breaks is deleted, so a line's
    length is its delimiters plus its quotes, and the (usually few) quotes are placed
    on their lines by a sorted search. ``text`` may be the raw bytes of a file in an
    ASCII-compatible encoding (UTF-8, Windows-1252): its delimiters, quotes and line
    breaks are the same bytes on the same lines, and no copy is made. ``brk``: the
    record break (:func:`line_breaks`), when already known.
    """
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    brk = brk or line_breaks(data)
    keep = (ord(delimiter), ord(_QUOTE), ord(brk))
    marks = np.frombuffer(data.translate(None, bytes(b for b in range(256) if b not in keep)),
                          dtype=np.uint8)
    breaks = np.flatnonzero(marks == ord(brk))
    lengths = np.diff(np.concatenate(([-1], breaks, [marks.size]))) - 1
    quote_lines = np.searchsorted(breaks, np.flatnonzero(marks == ord(_QUOTE)))
    quotes = np.bincount(quote_lines, minlength=lengths.size)[: lengths.size]
    return lengths - quotes, quotes


def _first_record_width(text: str, delimiter: str) -> int:
    with csv_field_limit():
        return len(next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), []))


def check_quoted_cells(path: object, text: str, delimiter: str,
                       quotes: np.ndarray | None = None,
                       brk: str | None = None) -> list[tuple[int, int]]:
    """Find quoted cells that span lines; raise :class:`ExportError` for one that swallows
    records (see the module docstring). Returns ``(first_line, last_line)`` of each
    multi-line cell (1-based).

    Only lines with an odd number of quotes are read closely: a line whose quotes pair
    up holds only one-line quoted cells, and the line where a cell opens and spans
    lines (or never closes) has an odd count. ``quotes`` are the quotes per line
    (:func:`line_counts`) and ``brk`` the record break (:func:`line_breaks`), when
    already known.
    """
    if _QUOTE not in text:
        return []
    if quotes is None:
        quotes = line_counts(text, delimiter, brk)[1]
    brk = brk or line_breaks(text)
    lines = _LineNumbers(text, brk)
    spans: list[tuple[int, int]] = []
    done = 0  # text before this offset is checked
    header_width: int | None = None
    line_no, offset = 0, 0  # a line number and the offset where that line starts
    for target in np.flatnonzero(quotes % 2).tolist():
        while line_no < target:
            offset = text.find(brk, offset) + 1
            line_no += 1
        if offset < done:
            continue
        if header_width is None and target > 0:
            header_width = _first_record_width(text, delimiter)
        done = _scan_from(path, text, delimiter, brk, offset, spans, header_width, lines)
    return spans


def _scan_from(path: object, text: str, delimiter: str, brk: str, pos: int,
               spans: list[tuple[int, int]], header_width: int | None,
               lines: _LineNumbers) -> int:
    """Read the quotes from ``pos`` (outside any quoted cell) to the end of the line where
    reading ends outside a quoted cell; return that offset."""
    starts = {delimiter, "\n", "\r"}
    while True:
        line_end = text.find(brk, pos)
        line_end = len(text) if line_end == -1 else line_end
        q = text.find(_QUOTE, pos, line_end)
        if q == -1:
            return line_end
        if q > 0 and text[q - 1] not in starts:
            pos = q + 1  # a quote inside an unquoted cell is a plain character
            continue
        close = _closing_quote(text, q)
        end = len(text) if close == -1 else close
        if "\n" in text[q:end] or "\r" in text[q:end] or close == -1:
            problem = _swallow_error(path, text, q, delimiter, brk, close, header_width, lines)
            if problem is not None:
                raise ExportError(problem)
            spans.append((lines.of(q), lines.of(close)))
        if close == -1:
            return len(text)
        pos = close + 1
        if text[pos: pos + 1] not in ("", delimiter, "\r", "\n"):
            # text after a closing quote continues the cell; quotes in it are plain
            stops = [i for i in (text.find(delimiter, pos), text.find("\n", pos),
                                 text.find("\r", pos)) if i != -1]
            pos = min(stops) if stops else len(text)


def record_widths(text: str, delimiter: str, multiline: bool) -> list[int]:
    """Number of fields of every record, in file order (0 for a blank line).

    ``multiline`` says whether some quoted cell spans lines (then records are read
    with the csv module; otherwise each line is one record).
    """
    if multiline:
        with csv_field_limit():
            return [len(r) for r in csv.reader(io.StringIO(text, newline=""),
                                               delimiter=delimiter)]
    brk = line_breaks(text)
    lines = text.split(brk)
    if lines and lines[-1].strip("\r") == "":
        lines.pop()  # the break that ends the last line
    return [record_width(line, delimiter) for line in lines]
