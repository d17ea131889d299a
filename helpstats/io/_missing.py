"""Missing-value codes declared by the user: ``read_export(..., missing_codes=...)``.

One rule for every format: only an empty cell is missing. Typed answers such as
``NA``, ``None``, ``N/A`` or ``#N/A`` and numeric codes such as NHANES' 7 (refused)
and 9 (don't know) are values until declared: a list applies to every column but
the identifier columns (``id``, ``record_id``, ``ResponseId`` ...: participant 9 keeps
its id), a mapping ``{column: codes}`` to the columns named. A code matches a numeric cell by
value and a text cell by its text (spaces around ignored; ``7`` also matches the
text ``7.0``). Matched cells become missing, the codes are recorded in
``Export.missing_codes`` and the number of cells per column in
``Export.source.missing_cells``; a text column left with only numbers becomes numeric.

Examples
--------
>>> import pathlib, tempfile
>>> import helpstats as hs
>>> p = pathlib.Path(tempfile.mkdtemp()) / "nhanes.csv"
>>> _ = p.write_text("SEQN,DPQ010,DPQ020\\n1,0,9\\n2,7,1\\n")
>>> exp = hs.read_export(p, missing_codes={"DPQ010": [7, 9], "DPQ020": [7, 9]})
>>> exp.data["DPQ020"].tolist(), exp.missing_codes["DPQ010"], exp.source.missing_cells
([nan, 1.0], (7, 9), {'DPQ010': 1, 'DPQ020': 1})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportError
from ._convert import convert_text_column, is_id_name, parse_number
from ._export import Export

__all__ = ["MissingCodes", "apply_missing_codes", "parse_missing_codes"]

Code = int | float | str
MissingCodes = Sequence[Code] | Mapping[str, Code | Sequence[Code]]


def parse_missing_codes(text: str) -> list[Code]:
    """``"7,9,NA"`` (the command line's ``--missing-codes``) as ``[7, 9, "NA"]``.

    >>> parse_missing_codes("7, 9,-1, 9.5,NA")
    [7, 9, -1, 9.5, 'NA']
    """
    codes: list[Code] = []
    for part in str(text).split(","):
        item = part.strip()
        if not item:
            continue
        number = parse_number(item)
        if number is None or not np.isfinite(number):
            codes.append(item)
        elif number.is_integer() and "." not in item and "e" not in item.lower():
            codes.append(int(number))
        else:
            codes.append(number)
    return codes


def _codes_of(value: Any, where: str) -> tuple[Code, ...]:
    if isinstance(value, str):
        items: list[Any] = list(parse_missing_codes(value))  # "7,9" as on the command line
    elif isinstance(value, int | float):
        items = [value]
    else:
        items = list(value)
    for code in items:
        if isinstance(code, bool) or not isinstance(code, str | int | float | np.integer |
                                                     np.floating):
            raise ExportError(f"missing_codes{where}: {code!r} is not a code; expected numbers "
                              "or texts, e.g. missing_codes=[7, 9] or {'q1': [7, 9]}.")
    return tuple(c.item() if isinstance(c, np.generic) else c for c in items)


def _matches(column: pd.Series, codes: tuple[Code, ...]) -> pd.Series:
    numbers = [float(n) for n in (c if not isinstance(c, str) else parse_number(c)
                                  for c in codes) if n is not None]
    kind = column.dtype.kind
    if kind in "iuf":
        return column.isin(numbers) if numbers else pd.Series(False, index=column.index)
    if kind != "O" and not isinstance(column.dtype, pd.StringDtype):
        return pd.Series(False, index=column.index)
    texts = column.map(lambda v: v.strip() if isinstance(v, str) else None)
    hit = texts.isin([str(c).strip() for c in codes])
    if numbers:
        as_numbers = texts.map(lambda t: parse_number(t) if isinstance(t, str) else None)
        hit |= as_numbers.isin(numbers)
    return hit.fillna(False).astype(bool)


def apply_missing_codes(export: Export, missing_codes: MissingCodes | None) -> Export:
    """A new :class:`Export` with the declared codes read as missing (see module docs)."""
    if missing_codes is None:
        return export
    data = export.data
    if isinstance(missing_codes, Mapping):
        unknown = [str(c) for c in missing_codes if c not in data.columns]
        if unknown:
            raise ExportError(f"{export.source.path}: missing_codes names column(s) {unknown} "
                              f"that the export does not have; its columns are "
                              f"{list(map(str, data.columns))[:12]}.")
        declared = {str(c): _codes_of(v, f"[{c!r}]") for c, v in missing_codes.items()}
    else:
        codes = _codes_of(missing_codes, "")
        declared = {str(c): codes for c in data.columns if not is_id_name(c)}
    data = data.copy()
    codes_out = {k: tuple(v) for k, v in export.missing_codes.items()}
    cells = dict(export.source.missing_cells)
    total = 0
    for column, codes in declared.items():
        if not codes:
            continue
        hit = _matches(data[column], codes)
        n = int(hit.sum())
        if n:
            masked = data[column].mask(hit)
            if masked.dtype.kind not in "iuf":
                masked = convert_text_column(masked.astype("str"), exact=is_id_name(column)) \
                    if masked.notna().any() else masked
            data[column] = masked
            cells[column] = cells.get(column, 0) + n
            total += n
        codes_out[column] = tuple(dict.fromkeys((*codes_out.get(column, ()), *codes)))
    shown = ", ".join(repr(c) for c in dict.fromkeys(c for v in declared.values() for c in v))
    note = (f"missing codes declared ({shown}): {total} cell(s) in "
            f"{sum(1 for c in declared if cells.get(c))} column(s) read as missing")
    source = replace(export.source, missing_cells=cells, notes=(*export.source.notes, note))
    return replace(export, data=data, missing_codes=codes_out, source=source)
