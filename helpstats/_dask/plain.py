"""Blocks of plain delimited text typed at C speed, with the reader's text rules kept.

Reading a block as text and testing every cell with the number rules of
:func:`helpstats.io._convert.convert_text_column` costs about a microsecond a
cell. Most blocks of a survey export are plainer than that allows for: quotes
only around whole cells, no carriage return, no blank line, and item columns
of integer codes.
For such a block the field boundaries are found in the raw bytes with NumPy,
pandas' C parser infers the column types, and an integer column is accepted
only when every field is exactly the integer's own text (its length equals
the length of the number's digits and sign: any other text of that number,
``01``, ``+1``, `` 1``, ``-0``, is longer). Such a column is what the text
rules make of it too ('int', or 'intna' with empty cells), with the same
values; every other column is left to the text rules.

Examples
--------
>>> import numpy as np
>>> plain_lengths(b"1,22\\n333,4\\n", width=2, delimiter=",").tolist()
[[1, 2], [3, 1]]
>>> plain_lengths(b'1,"a,b"\\n2,"c\\nd"\\n', width=2, delimiter=",").tolist()
[[1, 5], [1, 5]]
>>> plain_lengths(b'1,a"b\\n', width=2, delimiter=",") is None
True
>>> canonical_length(np.array([0, 7, -12, 1000])).tolist()
[1, 1, 3, 4]
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from ..io._convert import MAX_INT_DIGITS

__all__ = ["canonical_length", "integer_kinds", "plain_lengths", "read_inferred"]

_NEWLINE = ord("\n")
_QUOTE = ord('"')
_POWERS = 10 ** np.arange(1, MAX_INT_DIGITS + 1, dtype=np.int64)
_LARGEST = 10**MAX_INT_DIGITS - 1
"""The largest magnitude the text rules read as a number (longer integers are identifiers)."""


def _field_ends(array: np.ndarray, sep: int) -> np.ndarray | None:
    """Positions of the delimiters and line breaks that end fields (not those inside quoted
    cells), or None when a quote is not one that opens or closes a whole cell.

    Every quote must pair up: an opening quote at the start of a field, its closing
    quote right before a delimiter or line break, at least one byte between them (no
    empty quoted cell ``""`` and no escaped quote ``""`` inside one). pandas' parser
    reads such cells the same way; any other quote is left to the text path.
    """
    is_end = (array == sep) | (array == _NEWLINE)
    quotes = np.flatnonzero(array == _QUOTE)
    if len(quotes):
        opening, closing = quotes[0::2], quotes[1::2]
        if len(opening) != len(closing) or not (closing > opening + 1).all():
            return None
        if not is_end[closing + 1].all():  # the block ends with a line break
            return None
        if not ((opening == 0) | is_end[np.maximum(opening - 1, 0)]).all():
            return None
        marks = np.zeros(len(array) + 1, dtype=np.int8)
        marks[opening] = 1
        marks[closing] = -1
        is_end &= np.cumsum(marks[:-1], dtype=np.int8) == 0
    return np.flatnonzero(is_end)


def plain_lengths(raw: bytes, *, width: int, delimiter: str) -> np.ndarray | None:
    """Byte length of every field, ``(records, width)``, or None when the block is not plain.

    Plain: no carriage return; quotes only around whole cells (see
    :func:`_field_ends`); every record holds exactly ``width - 1`` delimiters
    outside quotes; and every record holds a byte that is certainly not white
    space (so no record is blank). A quoted cell's length counts its quotes.
    """
    if not raw or b"\r" in raw or width < 1:
        return None
    if not raw.endswith(b"\n"):
        raw += b"\n"
    array = np.frombuffer(raw, dtype=np.uint8)
    sep = ord(delimiter)
    ends = _field_ends(array, sep)
    if ends is None or len(ends) % width:
        return None
    is_break = (array[ends] == _NEWLINE).reshape(-1, width)
    if not is_break[:, -1].all() or is_break[:, :-1].any():
        return None
    del is_break
    record_starts = ends[width - 1::width] + 1
    record_starts[1:] = record_starts[:-1]
    record_starts[0] = 0
    # ASCII letters, digits and signs: a record without one may be blank to the text rules
    solid = (array > 32) & (array < 127) & (array != sep) & (array != _QUOTE)
    if not np.logical_or.reduceat(solid, record_starts).all():
        return None
    del solid, record_starts
    lengths = np.empty_like(ends)  # np.diff(ends, prepend=-1) - 1, without its copies
    lengths[0] = ends[0]
    np.subtract(ends[1:], ends[:-1], out=lengths[1:])
    lengths[1:] -= 1
    return lengths.reshape(-1, width)


def canonical_length(values: np.ndarray) -> np.ndarray:
    """Length of each integer's own text (digits, and a minus sign when negative)."""
    magnitude = np.abs(values.astype(np.int64))
    return np.searchsorted(_POWERS, magnitude, side="right") + 1 + (values < 0)


def read_inferred(raw: bytes, *, width: int, delimiter: str, encoding: str,
                  columns: list[int] | None = None) -> pd.DataFrame:
    """The block (or some of its columns) parsed by pandas' C parser with its own type
    inference (empty cells NaN)."""
    return pd.read_csv(io.BytesIO(raw), header=None, names=list(range(width)), sep=delimiter,
                       encoding=encoding, keep_default_na=False, na_values=[""], engine="c",
                       index_col=False, skip_blank_lines=False, usecols=columns)


def integer_kinds(frame: pd.DataFrame, lengths: np.ndarray) -> dict[int, str]:
    """Columns proven to be integer codes: 'int', 'intna' (some empty) or 'empty'.

    A column is proven when pandas typed it int64 or float64, every empty field
    is missing and every other field is an integer of at most
    :data:`~helpstats.io._convert.MAX_INT_DIGITS` digits written as its own text.
    The other columns are absent from the result.
    """
    kinds: dict[int, str] = {}
    for c in frame.columns:
        values = frame[c].to_numpy()
        length = lengths[:, c]
        if values.dtype == np.int64:
            if np.abs(values).max(initial=0) <= _LARGEST and \
                    np.array_equal(length, canonical_length(values)):
                kinds[c] = "int"
        elif values.dtype == np.float64:
            empty = np.isnan(values)
            if not np.array_equal(empty, length == 0):
                continue
            if empty.all():
                kinds[c] = "empty"
                continue
            present = values[~empty]
            if np.abs(present).max() > _LARGEST or not np.array_equal(present, np.round(present)):
                continue
            if np.array_equal(length[~empty], canonical_length(present)):
                kinds[c] = "intna" if empty.any() else "int"
    return kinds
