"""Exact conversion of text columns to numbers, and unique column names.

A column becomes numeric only when every non-empty value is a plain decimal
number whose text the number keeps: no leading zeros (``00123``), no sign
``+``, at most 15 significant digits, and integers of at most 9 digits (longer
ones are identifiers such as ``11400000001``, kept as text). Spaces around a
number are formatting and are ignored (as pandas, R and Excel do). Anything else
stays text, exactly as exported.

Examples
--------
>>> import pandas as pd
>>> from helpstats.io._convert import convert_text_column
>>> convert_text_column(pd.Series(["1", "2", None])).tolist()
[1.0, 2.0, nan]
>>> convert_text_column(pd.Series(["00123", "4"])).tolist()
['00123', '4']
>>> make_unique(["Q1", "Q1", ""])
(['Q1', 'Q1.1', 'column_3'], {'Q1.1': 'Q1', 'column_3': ''})
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["MAX_INT_DIGITS", "convert_text_column", "make_unique"]

MAX_INT_DIGITS = 9
"""Integers with more digits than this are kept as text (identifiers)."""

_SHORT_INT = "-?(?:0|[1-9][0-9]{0,%s})".replace("%s", str(MAX_INT_DIGITS - 1))
_INT = re.compile(_SHORT_INT)
_FLOAT = re.compile(
    "(?:" + _SHORT_INT + r"|-?(?:0|[1-9][0-9]*)\.[0-9]+|-?\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?"
)
_NON_DIGIT = re.compile(r"[^0-9]")


def _significant_digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text, maxsplit=1)[0]
    return len(_NON_DIGIT.sub("", mantissa).lstrip("0"))


def convert_text_column(values: pd.Series) -> pd.Series:
    """Return ``values`` as numbers when every non-missing text parses exactly.

    Integers become ``int64`` (``float64`` when some cells are missing),
    decimals ``float64``; otherwise the column is returned unchanged.
    """
    present = values.dropna()
    if present.empty or not all(isinstance(v, str) for v in present.iloc[:1]):
        return values
    texts = present.astype(str).str.strip()
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
