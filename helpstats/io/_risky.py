"""Fields whose text a number would not keep, found in raw bytes at C speed.

pandas' C parser reads ``00123`` as 123, ``+1`` as 1, ``-05`` as -5 and ``1E5`` as
100000.0. Such a field is a code (an ID, a zero-padded item) whose text must be kept,
so the column it belongs to is read as text. A field is *risky* when it starts (at the
start of the data, or after a delimiter, line break, quote, space or tab) with

* ``0`` and a digit, or ``-0`` and a digit (a leading zero);
* ``+`` (a sign a number does not keep);
* digits, ``e`` or ``E`` and a digit, optionally after ``-`` (a bare exponent: a code,
  not a number a program writes).

The scan works on NumPy views of the bytes, piece by piece (each piece about 1 MiB and
cut after a line break), so it holds a few piece-sized arrays, never a copy of the file.
:func:`risky_columns` then says which fields of the records those positions belong to,
so only those columns are read again as text.

Examples
--------
>>> from helpstats.io._risky import risky_field_starts
>>> risky_field_starts(b"id,q\\n00123,1\\n7,+2\\n", ",").tolist()
[5, 15]
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from ._records import line_breaks

__all__ = ["PIECE_BYTES", "risky_columns", "risky_field_starts"]

PIECE_BYTES = 1 << 20
"""Bytes per scanned piece (extended to the next line break): small enough that the
piece's masks stay in the processor's cache."""

_QUOTE, _BREAK, _MINUS, _PLUS, _ZERO, _LOW = 34, 10, 45, 43, 48, 45

_FIRST_FIELD = re.compile(rb"-?0[0-9]|\+|-?[0-9]+[eE][0-9]")
"""A risky field at the very start of the data (no byte before it to test)."""


def _edges(delimiter: str) -> np.ndarray:
    """Byte -> whether a field can start after it (delimiter, tab, line breaks, space,
    quote)."""
    table = np.zeros(256, dtype=bool)
    table[[ord(delimiter), 9, 10, 13, 32, _QUOTE]] = True
    return table


def _pieces(raw: bytes, start: int = 0) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of pieces of about :data:`PIECE_BYTES` from ``start``, each cut
    after a line break (a field never spans a piece unless it holds a line break)."""
    pos, n = start, len(raw)
    while pos < n:
        cut = raw.find(b"\n", pos + PIECE_BYTES)
        stop = n if cut == -1 else cut + 1
        yield pos, stop
        pos = stop


def _exponent_starts(data: np.ndarray, letters: np.ndarray, edges: np.ndarray) -> list[np.ndarray]:
    """Field starts of ``-``?digits ``e``/``E`` digit, given the letters' positions (each
    between two digits): walk back over the mantissa to what precedes it."""
    found: list[np.ndarray] = []
    at = letters - 1  # a digit
    while at.size:
        if at[0] == 0:  # digits from the start of the data
            found.append(at[:1])
            at = at[1:]
        previous = at - 1
        byte = data[previous]
        found.append(at[edges[byte]])
        minus = previous[byte == _MINUS]
        found.append(minus[(minus == 0) | edges[data[np.maximum(minus - 1, 0)]]])
        at = previous[(byte - 48) < 10]
    return found


def _piece_starts(data: np.ndarray, lo: int, hi: int, edges: np.ndarray, delimiter: int,
                  plus: bool) -> list[np.ndarray]:
    """Risky field starts at ``lo <= position < hi`` (positions 0 and 1 excepted).

    Every byte test is a whole-array comparison (the GIL is released), first with a
    cheap superset of the field edges (any byte below ``-``, or the delimiter), then
    exactly, position by position, for the few candidates left.
    """
    first = max(lo, 2)
    window = data[first - 2: min(hi + 1, data.size)]  # two bytes before, one after
    if window.size < 3:
        return []
    here = window[2:-1]  # the bytes tested, positions first .. hi - 1
    low = window < _LOW
    if delimiter >= _LOW:
        low |= window == delimiter
    digit = (window - 48) < 10  # unsigned: bytes below "0" wrap round
    digit_after = digit[3:]
    found: list[np.ndarray] = []
    zero = (here == _ZERO) & digit_after
    lead = zero & (low[1:-2] | ((window[1:-2] == _MINUS) & low[:-3]))
    if lead.any():
        at = np.flatnonzero(lead) + first
        before = data[at - 1]
        found.append(at[edges[before]])
        minus = at[before == _MINUS]
        found.append(minus[edges[data[minus - 2]]] - 1)
    if plus:
        sign = (window[2:] == _PLUS) & low[1:-1]  # a sign can end the data
        if sign.any():
            at = np.flatnonzero(sign) + first
            found.append(at[edges[data[at - 1]]])
    letter = ((here | 32) == ord("e")) & digit_after & digit[1:-2]  # e or E, nothing else
    if letter.any():
        found += _exponent_starts(data, np.flatnonzero(letter) + first, edges)
    return found


def _starts_by_piece(raw: bytes, delimiter: str) -> Iterator[np.ndarray]:
    """The risky field starts of each piece of ``raw`` (sorted, possibly repeated)."""
    data = np.frombuffer(raw, dtype=np.uint8)
    edges = _edges(delimiter)
    plus = raw.find(b"+") != -1  # one fast byte search spares a scan for a rare sign
    head = [np.array([at], dtype=np.int64) for at in range(min(len(raw), 2))
            if (at == 0 or edges[raw[0]]) and _FIRST_FIELD.match(raw, at) is not None]
    for lo, hi in _pieces(raw):
        found = _piece_starts(data, lo, hi, edges, ord(delimiter), plus)
        if head:
            found, head = head + found, []
        starts = np.concatenate(found).astype(np.int64, copy=False) if found else None
        if starts is not None and starts.size:
            yield np.sort(starts)


def has_risky_field(raw: bytes, delimiter: str) -> bool:
    """Whether some field of ``raw`` is risky (the scan stops at the first piece with one)."""
    return next(_starts_by_piece(raw, delimiter), None) is not None


def risky_field_starts(raw: bytes, delimiter: str) -> np.ndarray:
    """Sorted byte offsets in ``raw`` where a risky field starts (see the module docstring).

    ``raw`` is the bytes of a file in an ASCII-compatible encoding (its delimiters,
    digits and signs are single bytes), or texts joined by line breaks with
    ``delimiter="\\n"``.
    """
    pieces = list(_starts_by_piece(raw, delimiter))
    if not pieces:
        return np.zeros(0, dtype=np.int64)
    starts = np.concatenate(pieces)
    return starts[np.concatenate(([True], starts[1:] != starts[:-1]))]  # once each


def risky_columns(raw: bytes, delimiter: str, starts: np.ndarray,
                  data_start: int = 0, brk: str | None = None) -> set[int] | None:
    """The fields (0-based, in record order) that the risky ``starts`` at or after byte
    ``data_start`` (the first byte of a line: where the data rows begin) belong to.

    A delimiter separates fields only outside quotes: it is counted when the quotes
    before it on its line are even in number. Returns ``None`` when that cannot be
    told line by line (a line with an odd number of quotes: a cell spanning lines, or
    a stray quote; records that end in a bare carriage return); the caller then treats
    every column as possibly risky. ``brk``: the record break
    (:func:`~helpstats.io._records.line_breaks`), when already known.
    """
    if (brk or line_breaks(raw)) == "\r":
        return None  # records end in a bare carriage return: not counted here
    starts = starts[np.searchsorted(starts, data_start):]
    if not starts.size:
        return set()
    data = np.frombuffer(raw, dtype=np.uint8)
    sep = ord(delimiter)
    columns: set[int] = set()
    for lo, hi in _pieces(raw, data_start):
        at = starts[np.searchsorted(starts, lo): np.searchsorted(starts, hi)] - lo
        if not at.size:
            continue
        piece = data[lo:hi]
        breaks = np.flatnonzero(piece == _BREAK)
        delimiters = np.flatnonzero(piece == sep)
        line_start = np.concatenate(([0], breaks + 1))[np.searchsorted(breaks, at)]
        counted = np.searchsorted(delimiters, at) - np.searchsorted(delimiters, line_start)
        if raw.find(b'"', lo, hi) != -1:
            inside = _quoted_delimiters(piece, breaks, delimiters, at, line_start)
            if inside is None:
                return None
            counted -= inside
        columns.update(np.flatnonzero(np.bincount(counted)).tolist())
    return columns


def _quoted_delimiters(piece: np.ndarray, breaks: np.ndarray, delimiters: np.ndarray,
                       at: np.ndarray, line_start: np.ndarray) -> np.ndarray | None:
    """Delimiters inside quoted cells between each line start and position ``at``.

    Quotes pair up in order (an escaped ``""`` is a pair too) when every line holds an
    even number of them; otherwise ``None``.
    """
    quotes = np.flatnonzero(piece == _QUOTE)
    per_line = np.bincount(np.searchsorted(breaks, quotes), minlength=breaks.size + 1)
    if (per_line % 2).any():
        return None
    opens, closes = quotes[0::2], quotes[1::2]
    within = np.searchsorted(delimiters, closes) - np.searchsorted(delimiters, opens)
    before = np.concatenate(([0], np.cumsum(within)))  # in the cells closed before each
    closed = np.searchsorted(closes, at)  # cells closed before ``at``
    inside = before[closed] - before[np.searchsorted(closes, line_start)]
    open_cell = closed < opens.size
    open_cell[open_cell] = opens[closed[open_cell]] < at[open_cell]  # ``at`` is in that cell
    partial = np.searchsorted(delimiters, at[open_cell]) - \
        np.searchsorted(delimiters, opens[closed[open_cell]])
    inside[open_cell] += partial
    return inside
