"""Reshape repeated measurements between wide and long layouts.

Three ways waves arrive in survey exports:

* as column suffixes in one wide file (``phq9_1_t0, phq9_1_t1``): :func:`to_long`
  with ``wave_from="suffix"`` (``_t0``, ``_t1``, ...), a list of suffixes, or a
  regular expression with a ``(?P<wave>...)`` group;
* as REDCap events (``redcap_event_name``, one row per record × event):
  :func:`to_long` with ``wave_from="redcap"``;
* as separate files, one per wave: :func:`stack_waves`.

:func:`to_wide` goes back from long to wide. Nothing is dropped: every input
row appears in the output, and a row whose wave values are all missing is kept.

Examples
--------
>>> import pandas as pd
>>> import helpstats as hs
>>> wide = pd.DataFrame({"pid": [1, 2], "age": [30, 41],
...                      "phq9_1_t0": [1, 2], "phq9_1_t1": [0, 3]})
>>> long = hs.to_long(wide, id="pid")
>>> long
   pid wave  age  phq9_1
0    1   t0   30       1
1    1   t1   30       0
2    2   t0   41       2
3    2   t1   41       3
>>> hs.to_wide(long, id="pid").columns.tolist()
['pid', 'age', 'phq9_1_t0', 'phq9_1_t1']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._ids import id_text
from .errors import ExportError
from .io import Export

__all__ = ["stack_waves", "to_long", "to_wide"]

_DEFAULT_SUFFIX = r"_(?P<wave>t[0-9]+)"


def _wave_pattern(wave_from: str | Sequence[str]) -> re.Pattern[str]:
    if isinstance(wave_from, str):
        if wave_from == "suffix":
            return re.compile(r"(?P<stem>.+?)" + _DEFAULT_SUFFIX)
        if "(?P<wave>" not in wave_from:
            raise ExportError(f"wave_from={wave_from!r}: expected 'suffix', 'redcap', a list of "
                              "wave suffixes, or a regular expression with a (?P<wave>...) group "
                              r"matching the end of column names, e.g. r'_(?P<wave>w[0-9])'.")
        return re.compile(r"(?P<stem>.+?)" + wave_from)
    options = "|".join(re.escape(str(w)) for w in wave_from)
    return re.compile(r"(?P<stem>.+?)_(?P<wave>" + options + ")")


def _check_id(data: pd.DataFrame, id: str) -> None:
    if id not in data.columns:
        raise ExportError(f"id={id!r} is not a column; columns are {list(data.columns)[:10]}...")


def to_long(
    data: pd.DataFrame,
    *,
    id: str,
    wave_from: str | Sequence[str] = "suffix",
    wave: str = "wave",
) -> pd.DataFrame:
    """Turn wave-suffixed columns (or REDCap events) into one row per participant × wave.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide data, one row per participant (or a REDCap export for ``"redcap"``).
    id : str
        Participant column.
    wave_from : str or list of str, default "suffix"
        ``"suffix"``: columns ending ``_t0``, ``_t1``, ...; a list such as
        ``["baseline", "month_1"]``: columns ending ``_baseline``, ``_month_1``;
        a regular expression with a ``(?P<wave>...)`` group matched at the end of
        column names; or ``"redcap"``: waves from ``redcap_event_name``.
    wave : str, default "wave"
        Name of the wave column of the result.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``wave`` (ordered categorical in the order waves first
        appear), the columns without a wave (repeated on each row), then one
        column per stem. For ``"redcap"``: ``id``, ``wave`` (the event without
        its ``_arm_N``), ``arm`` and the other columns, one row per input row.
    """
    _check_id(data, id)
    if isinstance(wave_from, str) and wave_from == "redcap":
        return _redcap_long(data, id=id, wave=wave)
    pattern = _wave_pattern(wave_from)
    stems: dict[str, dict[str, str]] = {}
    waves: list[str] = []
    fixed: list[str] = []
    for column in data.columns:
        match = pattern.fullmatch(str(column)) if column != id else None
        if match is None:
            if column != id:
                fixed.append(column)
            continue
        stems.setdefault(match["stem"], {})[match["wave"]] = column
        if match["wave"] not in waves:
            waves.append(match["wave"])
    if not stems:
        raise ExportError(f"to_long: no column name ends with a wave suffix matching "
                          f"{pattern.pattern!r}; give wave_from= (see the docstring).")
    order = list(wave_from) if not isinstance(wave_from, str) else waves
    order = [w for w in order if w in waves]
    parts = []
    for w in order:
        part = data[[id, *fixed]].copy()
        part.insert(1, wave, w)
        for stem, by_wave in stems.items():
            part[stem] = data[by_wave[w]] if w in by_wave else pd.NA
        part["_row"] = range(len(data))
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    long[wave] = pd.Categorical(long[wave], categories=order, ordered=True)
    long = long.sort_values(["_row", wave], kind="stable").drop(columns="_row")
    return long.reset_index(drop=True)


def _redcap_long(data: pd.DataFrame, *, id: str, wave: str) -> pd.DataFrame:
    if "redcap_event_name" not in data.columns:
        raise ExportError("wave_from='redcap' needs a 'redcap_event_name' column (a longitudinal "
                          "REDCap export).")
    events = data["redcap_event_name"].astype("str")
    split = events.str.extract(r"^(?P<event>.*?)(?:_arm_(?P<arm>[0-9]+))?$")
    order = list(dict.fromkeys(split["event"].dropna()))
    rest = [c for c in data.columns if c not in (id, "redcap_event_name")]
    out = pd.DataFrame({id: data[id]})
    out[wave] = pd.Categorical(split["event"], categories=order, ordered=True)
    out["arm"] = pd.to_numeric(split["arm"]).astype("Int64")
    out = pd.concat([out, data[rest]], axis=1)
    return out.reset_index(drop=True)


def to_wide(
    data: pd.DataFrame,
    *,
    id: str,
    wave: str = "wave",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Turn one row per participant × wave into one row per participant.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data.
    id, wave : str
        Participant and wave columns. Ids are compared as exported text
        (``100`` and ``"100"`` are one participant; see ``helpstats._ids``).
    columns : list of str, optional
        Columns to spread by wave (default: every column that is not constant
        within participants). The other columns must be constant within
        participants and are kept once.

    Returns
    -------
    pandas.DataFrame
        ``id``, the constant columns, then ``{column}_{wave}`` for each varying
        column and wave (waves in category order, else order of appearance).

    Raises
    ------
    helpstats.errors.ExportError
        When a row has no id or no wave, when a participant has two rows for the same wave
        (they are listed), or when a column left out of ``columns`` differs between
        a participant's waves.
    """
    _check_id(data, id)
    if wave not in data.columns:
        raise ExportError(f"wave={wave!r} is not a column of the data.")
    no_wave = data[wave].isna()
    if no_wave.any():
        rows = list(data.index[no_wave][:10])
        raise ExportError(f"to_wide: {int(no_wave.sum())} row(s) have no {wave!r} value (rows "
                          f"{rows}); a wide table has no column for them. Fill in the wave or "
                          "drop those rows first.")
    original = data
    key = id_text(data[id])  # ids compared as exported text (helpstats._ids)
    no_id = key.isna()
    if no_id.any():
        rows = list(data.index[no_id.to_numpy()][:10])
        raise ExportError(f"to_wide: {int(no_id.sum())} row(s) have no {id!r} value (rows "
                          f"{rows}); rows without an id cannot be told apart, so they cannot "
                          "be put into one row per participant. Give every row an id first.")
    data = data.assign(**{id: key})
    dup = data.duplicated([id, wave], keep=False)
    if dup.any():
        pairs = data.loc[dup, [id, wave]].drop_duplicates().head(10).to_dict("records")
        raise ExportError(f"to_wide: {int(dup.sum())} rows share a participant and wave, e.g. "
                          f"{pairs}; make {id!r} x {wave!r} unique first.")
    others = [c for c in data.columns if c not in (id, wave)]
    groups = data.groupby(id, sort=False, observed=True, dropna=False)
    changing = [c for c in others if (groups[c].nunique(dropna=False) > 1).any()]
    if columns is None:
        varying = changing
    else:
        varying = list(columns)
        lost = [c for c in changing if c not in varying]
        if lost:
            raise ExportError(f"to_wide: column(s) {lost} differ between waves of the same "
                              "participant but are not in columns=; add them to columns= (or "
                              "drop them first) so that no value is lost.")
    constant = [c for c in others if c not in varying]
    wave_values = data[wave]
    order: list[Any] = (list(wave_values.cat.categories) if isinstance(wave_values.dtype,
                                                                        pd.CategoricalDtype)
                        else list(dict.fromkeys(wave_values)))
    order = [w for w in order if (wave_values == w).any()]
    base = data[[id, *constant]].drop_duplicates(id).reset_index(drop=True)
    for w in order:
        part = data.loc[wave_values == w, [id, *varying]]
        part = part.rename(columns={c: f"{c}_{w}" for c in varying})
        base = base.merge(part, on=id, how="left")
    # base has one row per id in order of first appearance: show each id as first given
    first = np.flatnonzero(~key.duplicated().to_numpy())
    base[id] = original[id].iloc[first].to_numpy()
    return base[[id, *constant, *[f"{c}_{w}" for c in varying for w in order]]]


def stack_waves(
    waves: Mapping[str, Export | pd.DataFrame], *, wave: str = "wave"
) -> pd.DataFrame:
    """Stack one export (or DataFrame) per wave into one long DataFrame.

    Parameters
    ----------
    waves : dict
        ``{"baseline": export0, "month_1": export1, ...}``, in wave order.
    wave : str, default "wave"
        Name of the added wave column (first column, ordered categorical).

    Returns
    -------
    pandas.DataFrame
        Every row of every wave; columns are the union, in order of first
        appearance (missing where a wave lacks a column).

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> hs.stack_waves({"baseline": pd.DataFrame({"pid": [1, 2], "q": [3, 4]}),
    ...                 "month_1": pd.DataFrame({"pid": [1], "q": [2]})})
           wave  pid  q
    0  baseline    1  3
    1  baseline    2  4
    2   month_1    1  2
    """
    if not waves:
        raise ExportError("stack_waves: no waves given; expected {wave name: export, ...}.")
    frames = []
    for name, item in waves.items():
        frame = item.data if isinstance(item, Export) else item
        if not isinstance(frame, pd.DataFrame):
            raise ExportError(f"stack_waves: wave {name!r} is a {type(item).__name__}; expected "
                              "an Export or a DataFrame.")
        if wave in frame.columns:
            raise ExportError(f"stack_waves: wave {name!r} already has a {wave!r} column; pass "
                              "wave= with another name.")
        frames.append(frame.assign(**{wave: name}))
    out = pd.concat(frames, ignore_index=True)
    out[wave] = pd.Categorical(out[wave], categories=list(waves), ordered=True)
    return out[[wave, *[c for c in out.columns if c != wave]]]
