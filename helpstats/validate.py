"""Check a whole data set against its instruments before scoring, in one pass.

:func:`validate` lists every problem at once (DESIGN.md convention 7): item
columns that are absent, cells that are not a response option (out of range,
unknown label), and participants with more than one row for the same wave.
The cell checks are :func:`helpstats.scoring.find_invalid_cells`, so a report
says exactly what :func:`helpstats.score` would reject.

Examples
--------
>>> import pandas as pd
>>> import helpstats as hs
>>> data = pd.DataFrame({"pid": [1, 1], "wave": [0, 0],
...                      **{f"gad7_{n}": ["1", "2"] for n in range(1, 8)}})
>>> data.loc[1, "gad7_3"] = "often"
>>> report = hs.validate(data, "gad7", id="pid", wave="wave")
>>> report[["row", "column", "value", "problem"]]
    row     column           value                    problem
0     1     gad7_3           often              unknown label
1     0  pid, wave  pid=1, wave=0  duplicated participant × wave
2     1  pid, wave  pid=1, wave=0  duplicated participant × wave
>>> report.attrs["summary"][["instrument", "n_rows", "invalid_cells", "complete_rows", "ok"]]
  instrument  n_rows  invalid_cells  complete_rows     ok
0       gad7       2              1              1  False
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ._dask import is_dask
from ._ids import id_text
from ._keywords import renamed_keywords
from .errors import ExportError
from .instruments import Instrument
from .io import Export
from .scoring import find_invalid_cells, resolve_columns, scoring_plan

__all__ = ["REPORT_COLUMNS", "SUMMARY_COLUMNS", "validate"]

REPORT_COLUMNS = ["instrument", "row", "column", "item", "value", "problem", "allowed"]
SUMMARY_COLUMNS = ["instrument", "n_rows", "n_items", "missing_columns", "invalid_cells",
                   "rows_with_invalid", "blank_cells", "complete_rows", "ok"]
DUPLICATE = "duplicated participant × wave"


def _blank(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return values.isna() | (text == "").fillna(False).astype(bool)


def _duplicates(data: pd.DataFrame, id: str | None, wave: str | None) -> pd.DataFrame:
    if id is None:
        if wave is not None:
            raise ExportError("validate: wave= needs id= (duplicates are participant × wave).")
        return pd.DataFrame(columns=REPORT_COLUMNS)
    if wave is not None and wave == id:
        raise ExportError(f"validate: id= and wave= are both {id!r}; give the participant "
                          "column and the wave column.")
    keys = [id] + ([wave] if wave is not None else [])
    absent = [k for k in keys if k not in data.columns]
    if absent:
        return pd.DataFrame([{"instrument": None, "row": None, "column": k, "item": None,
                              "value": None, "problem": "missing column", "allowed": None}
                             for k in absent], columns=REPORT_COLUMNS)
    # ids compared as exported text (helpstats._ids): 100 and "100" are one participant
    dup = data.assign(**{id: id_text(data[id])}).duplicated(keys, keep=False)
    rows = []
    for label, record in data.loc[dup, keys].iterrows():
        rows.append({"instrument": None, "row": label, "column": ", ".join(keys), "item": None,
                     "value": ", ".join(f"{k}={record[k]}" for k in keys),
                     "problem": DUPLICATE if wave is not None else "duplicated participant",
                     "allowed": None})
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def _labels(positions: pd.Series, labels: pd.Index) -> pd.Series:
    """Row positions back to the caller's index labels (None stays None)."""
    return pd.Series([None if pd.isna(p) else labels[int(p)] for p in positions],
                     index=positions.index, dtype=object)


@renamed_keywords(instruments="instrument")
def validate(
    data: pd.DataFrame | Export,
    instrument: str | Instrument | Sequence[str | Instrument],
    *,
    columns: Any = None,
    id: str | None = None,
    wave: str | None = None,
    coding: Any = None,
) -> pd.DataFrame:
    """Report every problem of ``data`` for one or more instruments at once.

    Parameters
    ----------
    data : pandas.DataFrame or Export
        One row per administration (an :class:`~helpstats.io.Export` is read
        through its ``.data``).
    instrument : str, Instrument, or a list of them
        As for :func:`helpstats.score` (formerly ``instruments=``; the old
        keyword works for one release with a ``FutureWarning``).
    columns : dict, str or None
        Where the items are, as for :func:`helpstats.score` (with several
        instruments, a dict keyed by instrument id).
    id, wave : str, optional
        Participant and wave columns: rows sharing both are reported (with only
        ``id``, rows sharing the participant).
    coding : str or dict, optional
        The response coding of an instrument that has several, as for
        :func:`helpstats.score`: the declared coding's valid responses are the ones
        checked (HADS coded 0-3 has 0 valid and 4 invalid).

    Returns
    -------
    pandas.DataFrame
        One row per problem, columns ``instrument, row, column, item, value,
        problem, allowed``. ``row`` is the index label of the row in a DataFrame;
        for an Export, the row a spreadsheet shows for that cell, header rows
        included (:meth:`~helpstats.io.Export.file_rows`, as the command line
        reports it): ``problem`` is ``"missing column"`` (then ``row`` is
        None), ``"out of range"``, ``"unknown label"`` (and the other problems
        :func:`~helpstats.scoring.find_invalid_cells` names) or
        ``"duplicated participant × wave"``. Empty when all is well.
        ``report.attrs["summary"]`` is a DataFrame with one line per instrument:
        ``instrument, n_rows, n_items, missing_columns, invalid_cells,
        rows_with_invalid, blank_cells, complete_rows, ok`` (``complete_rows``:
        every item answered with a valid response).
    """
    instruments = instrument
    if isinstance(data, Export):
        # one rule for row numbers (Export.file_rows): the line a spreadsheet shows
        data = data.data if is_dask(data.data) else data.data.set_axis(data.file_rows())
    if is_dask(data):
        from ._dask.scoring import validate_dask

        return validate_dask(data, instruments, columns=columns, id=id, wave=wave,
                             coding=coding)
    if not isinstance(data, pd.DataFrame):
        raise ExportError(f"validate: data must be a DataFrame or an Export, found "
                          f"{type(data).__name__}.")
    plan = scoring_plan(instruments, columns=columns, coding=coding)
    insts, specs = plan.instruments, plan.columns
    labels = data.index
    # every check works on row positions; labels (which may repeat, e.g. after pd.concat
    # without ignore_index) are put back only in the report
    data = data.reset_index(drop=True)
    parts = []
    summary = []
    for inst in insts:
        cells = find_invalid_cells(data, inst, columns=specs[inst.id])
        cells.insert(0, "instrument", inst.id)
        mapping = resolve_columns(inst, specs[inst.id], data)
        present = [c for c in mapping.values() if c in data.columns]
        missing_cols = int(cells["problem"].eq("missing column").sum())
        invalid = cells[cells["row"].notna()]
        blank = pd.DataFrame({c: _blank(data[c]) for c in present}, index=data.index)
        bad_rows = {int(r) for r in invalid["row"]}
        complete = (~blank.any(axis=1)) & ~data.index.isin(list(bad_rows)) \
            if present and not missing_cols else pd.Series(False, index=data.index)
        cells["row"] = _labels(cells["row"], labels)
        parts.append(cells)
        summary.append({
            "instrument": inst.id, "n_rows": len(data), "n_items": len(mapping),
            "missing_columns": missing_cols, "invalid_cells": len(invalid),
            "rows_with_invalid": len(bad_rows), "blank_cells": int(blank.to_numpy().sum()),
            "complete_rows": int(complete.sum()),
            "ok": missing_cols == 0 and len(invalid) == 0,
        })
    duplicates = _duplicates(data, id, wave)
    duplicates["row"] = _labels(duplicates["row"], labels)
    parts.append(duplicates)
    frames = [p for p in parts if not p.empty]
    report = (pd.concat(frames, ignore_index=True) if frames
              else pd.DataFrame(columns=REPORT_COLUMNS))[REPORT_COLUMNS]
    report.attrs["summary"] = pd.DataFrame(summary, columns=SUMMARY_COLUMNS)
    report.attrs["duplicated_rows"] = int(parts[-1]["row"].notna().sum())
    return report
