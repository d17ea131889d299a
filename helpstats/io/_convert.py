"""Exact conversion of text columns to numbers, and unique column names.

A column becomes numeric only when every non-empty value is a plain decimal
number whose text the number keeps: no leading zeros (``00123``), no sign
``+``, at most 15 significant digits, integers of at most 9 digits (longer
ones are identifiers such as ``11400000001``, kept as text), and an exponent only
in the forms programs write (``1e-05``, ``1.5E+10``, ``2.5E3``; a bare ``1E5`` is a
code, kept as text). Spaces around a number are formatting and are ignored (as
pandas, R and Excel do). Anything else stays text, exactly as exported.

Identifier columns (:func:`is_id_name`: ``id``, ``record_id``, ``ResponseId``,
``Respondent ID``, ``pid`` ...) are stricter: they become numeric only when every
text is exactly how the number is written back (``1.10``, ``1.0e5`` or ``.5`` keep
the column text), so an id's text never changes.

:func:`parse_number` is the one reading of a single cell's text as a number (used
by scoring): Python's ``float`` without its extensions (``0_1``, non-ASCII digits).

Examples
--------
>>> import pandas as pd
>>> from helpstats.io._convert import convert_text_column
>>> convert_text_column(pd.Series(["1", "2", None])).tolist()
[1.0, 2.0, nan]
>>> convert_text_column(pd.Series(["00123", "4"])).tolist()
['00123', '4']
>>> convert_text_column(pd.Series(["1E5", "2"])).tolist()
['1E5', '2']
>>> convert_text_column(pd.Series(["1.10", "2.5"]), exact=True).tolist()
['1.10', '2.5']
>>> make_unique(["Q1", "Q1", ""])
(['Q1', 'Q1.1', 'column_3'], {'Q1.1': 'Q1', 'column_3': ''})
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["MAX_INT_DIGITS", "convert_text_column", "is_id_name", "make_unique", "parse_number"]

MAX_INT_DIGITS = 9
"""Integers with more digits than this are kept as text (identifiers)."""

_SHORT_INT = "-?(?:0|[1-9][0-9]{0,%s})".replace("%s", str(MAX_INT_DIGITS - 1))
_INT = re.compile(_SHORT_INT)
_DECIMAL = r"-?(?:0|[1-9][0-9]*)\.[0-9]+|-?\.[0-9]+"
_FLOAT = re.compile(
    "(?:" + _SHORT_INT + "|" + _DECIMAL + r")(?:[eE][-+][0-9]{1,3})?"
    "|(?:" + _DECIMAL + r")[eE][0-9]{1,3}"
)
_NON_DIGIT = re.compile(r"[^0-9]")
_ID_WORDS = frozenset({"id", "ids", "pid", "uid", "uuid", "guid", "identifier"})
_ID_NAMES = frozenset({"record", "respondent", "participant", "subject"})
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORD_BREAK = re.compile(r"[^a-z0-9]+")


def is_id_name(name: object) -> bool:
    """True for a column name that names an identifier (``id``, ``record_id``,
    ``ResponseId``, ``Respondent ID``, ``PID``, ``participant``).

    >>> is_id_name("ResponseId"), is_id_name("Respondent ID"), is_id_name("valid")
    (True, True, False)
    """
    words = [w for w in _WORD_BREAK.split(_CAMEL.sub(r"\1 \2", str(name)).lower()) if w]
    return any(w in _ID_WORDS for w in words) or (len(words) == 1 and words[0] in _ID_NAMES)


def parse_number(text: str) -> float | None:
    """One cell's text as a number, or None when it is not one.

    Python's ``float`` rules (spaces around, sign, exponent, ``nan``/``inf``) without
    its extensions: digit-group underscores (``0_1`` is not 1) and non-ASCII digits.

    >>> parse_number(" 2 "), parse_number("0_1"), parse_number("1e1"), parse_number("x")
    (2.0, None, 10.0, None)
    """
    if "_" in text or not text.isascii():
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _written_back(text: str) -> bool:
    """The number's own text is ``text`` (integers in full, decimals as ``repr``)."""
    if _INT.fullmatch(text):
        return True
    try:
        return repr(float(text)) == text
    except ValueError:
        return False


def _significant_digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text, maxsplit=1)[0]
    return len(_NON_DIGIT.sub("", mantissa).lstrip("0"))


def convert_text_column(values: pd.Series, *, exact: bool = False) -> pd.Series:
    """Return ``values`` as numbers when every non-missing text parses exactly.

    Integers become ``int64`` (``float64`` when some cells are missing),
    decimals ``float64``; otherwise the column is returned unchanged. With
    ``exact`` (identifier columns) every text must also be the number's own text.
    """
    present = values.dropna()
    if present.empty or not all(isinstance(v, str) for v in present.iloc[:1]):
        return values
    texts = present.astype(str).str.strip()
    if exact and not (texts == present.astype(str)).all():
        return values
    if exact and not all(_written_back(t) for t in texts.unique()):
        return values
    if texts.str.fullmatch(_INT.pattern).all():
        numbers = pd.to_numeric(values.str.strip())
        if numbers.isna().any():
            return numbers.astype("float64")
        return numbers.astype("int64")
    if not texts.str.fullmatch(_FLOAT.pattern).all():
        return values
    long_texts = texts[texts.str.len() > 16]
    if any(_significant_digits(t) > 15 for t in long_texts):
        return values
    numbers = pd.to_numeric(values.str.strip()).astype("float64")
    if not np.isfinite(numbers.dropna().to_numpy()).all():
        return values
    return numbers


def make_unique(names: Sequence[object]) -> tuple[list[str], dict[str, str]]:
    """Return unique column names and a map ``new name -> name in the file``.

    Empty names become ``column_<position>`` (1-based); a repeated name gets
    ``.1``, ``.2``, ... appended, as pandas does.
    """
    taken = {str(n) for n in names if str(n).strip() != ""}
    seen: set[str] = set()
    result: list[str] = []
    renamed: dict[str, str] = {}
    for position, raw in enumerate(names, start=1):
        name = "" if raw is None else str(raw)
        candidate = name if name.strip() != "" else f"column_{position}"
        if candidate in seen or (name.strip() == "" and candidate in taken):
            k = 1
            while f"{candidate}.{k}" in seen or f"{candidate}.{k}" in taken:
                k += 1
            candidate = f"{candidate}.{k}"
        if candidate != name:
            renamed[candidate] = name
        seen.add(candidate)
        result.append(candidate)
    return result, renamed
