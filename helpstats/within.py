"""Time-varying predictors: within/between parts, lags on the wave schedule, changes.

The helper-therapy principle is a within-person claim: when a member helps
*more than they usually do*, they improve. :func:`decompose` splits a
time-varying column into the person's mean (``_between``) and the deviation
from it (``_within``), as ``datawizard::demean`` does; :func:`lag` and
:func:`change` look back along the study's *scheduled* waves, so that a missed
wave gives a missing value instead of silently reaching back to an older wave.

Examples
--------
>>> import pandas as pd
>>> import helpstats as hs
>>> d = pd.DataFrame({"id": ["a", "a", "b", "b"], "wave": [0, 1, 0, 1], "x": [1.0, 3, 4, 4]})
>>> hs.decompose(d, "x", id="id")[["x_between", "x_within"]].values.tolist()
[[2.0, -1.0], [2.0, 1.0], [4.0, 0.0], [4.0, 0.0]]
>>> hs.lag(d, "x", id="id", wave="wave")["x_lag1"].tolist()
[nan, 1.0, nan, 4.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._ids import id_text
from .errors import HelpingError

__all__ = ["change", "change_scores", "decompose", "lag", "schedule_positions", "value_at_position",
           "wave_schedule"]


def _columns(data: pd.DataFrame, columns: str | Sequence[str]) -> list[str]:
    if not isinstance(data, pd.DataFrame):
        raise HelpingError(f"data must be a pandas DataFrame; found {type(data).__name__}.")
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise HelpingError("columns is empty; name at least one time-varying column.")
    absent = [c for c in names if c not in data.columns]
    if absent:
        raise HelpingError(
            f"column(s) {absent} not found; the data has columns: "
            f"{', '.join(map(str, data.columns[:20]))}."
        )
    for name in names:
        if not (pd.api.types.is_numeric_dtype(data[name]) or data[name].isna().all()):
            raise HelpingError(
                f"column {name!r} is not numeric (dtype {data[name].dtype}); decompose, lag and "
                "change need numbers. Convert it with pd.to_numeric first."
            )
    return names


def _ids(data: pd.DataFrame, id: str) -> pd.Series:
    if id not in data.columns:
        raise HelpingError(f"id={id!r} is not a column; the data has columns: "
                           f"{', '.join(map(str, data.columns[:20]))}.")
    ids = id_text(data[id])
    if ids.isna().any():
        rows = ", ".join(map(repr, data.index[ids.isna()][:10]))
        raise HelpingError(f"{int(ids.isna().sum())} row(s) have no participant id in {id!r} "
                           f"(rows {rows}); fill them in or remove those rows.")
    return ids


def _check_new(data: pd.DataFrame, names: Sequence[str]) -> None:
    clash = [n for n in names if n in data.columns]
    if clash:
        raise HelpingError(f"the output column(s) {clash} already exist in the data; rename or "
                           "drop them first (nothing is overwritten).")


def decompose(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    id: str,
    grand_mean: bool = False,
) -> pd.DataFrame:
    """Split time-varying columns into between-person and within-person parts.

    For each column ``x``: ``x_between`` is the participant's mean of ``x``
    over the rows where ``x`` is observed (on every row of that participant,
    including rows where ``x`` is missing), and ``x_within = x - x_between``
    (missing where ``x`` is missing). This is ``datawizard::demean(data,
    select = "x", by = id)``. With ``grand_mean=True`` the between part is
    centred on the mean of the participants' means (each participant counts
    once, whatever their number of rows); the within part is unchanged.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per participant × wave. Not modified.
    columns : str or sequence of str
        Numeric time-varying columns (e.g. ``helping_given``).
    id : str
        Participant column (ids compared as text).
    grand_mean : bool, default False
        Centre the between part on the grand mean of person means.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` (same rows, same index, nothing dropped) with
        ``{col}_between`` and ``{col}_within`` appended for each column. A
        participant with no observed value has a missing between part.

    Raises
    ------
    helpstats.errors.HelpingError
        A column or the id is absent, a column is not numeric, an id is
        missing, or an output column already exists.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import helpstats as hs
    >>> d = pd.DataFrame({"id": [1, 1, 1, 2, 2], "g": [2.0, np.nan, 4, 1, 1]})
    >>> hs.decompose(d, "g", id="id")
       id    g  g_between  g_within
    0   1  2.0        3.0      -1.0
    1   1  NaN        3.0       NaN
    2   1  4.0        3.0       1.0
    3   2  1.0        1.0       0.0
    4   2  1.0        1.0       0.0
    >>> hs.decompose(d, "g", id="id", grand_mean=True)["g_between"].tolist()
    [1.0, 1.0, 1.0, -1.0, -1.0]
    """
    names = _columns(data, columns)
    ids = _ids(data, id)
    _check_new(data, [f"{c}{s}" for c in names for s in ("_between", "_within")])
    out = data.copy()
    for name in names:
        values = data[name].astype("float64")
        person = values.groupby(ids, sort=False).mean()  # mean over the observed values
        between = ids.map(person).astype("float64")
        within = values - between
        if grand_mean:
            between = between - float(person.mean())
        out[f"{name}_between"] = between.to_numpy()
        out[f"{name}_within"] = within.to_numpy()
    return out


def wave_schedule(data: pd.DataFrame, wave: str, waves: Sequence[Any] | None = None) -> list[Any]:
    """The scheduled waves, in order: ``waves`` if given, else the waves in the data, sorted.

    A categorical wave column is ordered by its categories (those present in
    the data); otherwise the distinct values are sorted.

    Parameters
    ----------
    data : pandas.DataFrame
    wave : str
        Wave column.
    waves : sequence, optional
        The schedule. Every wave in the data must be in it.

    Returns
    -------
    list

    Raises
    ------
    helpstats.errors.HelpingError
        The column is absent or has missing values, ``waves`` repeats a wave,
        or the data has a wave not in ``waves``.

    Examples
    --------
    >>> import pandas as pd
    >>> from helpstats.within import wave_schedule
    >>> wave_schedule(pd.DataFrame({"w": [3, 0, 1, 0]}), "w")
    [0, 1, 3]
    """
    if wave not in data.columns:
        raise HelpingError(f"wave={wave!r} is not a column; the data has columns: "
                           f"{', '.join(map(str, data.columns[:20]))}.")
    column = data[wave]
    if column.isna().any():
        rows = ", ".join(map(repr, data.index[column.isna()][:10]))
        raise HelpingError(f"{int(column.isna().sum())} row(s) have no wave in {wave!r} "
                           f"(rows {rows}); fill them in or remove those rows.")
    if waves is None:
        if isinstance(column.dtype, pd.CategoricalDtype):
            present = set(column.unique().tolist())
            return [c for c in column.cat.categories.tolist() if c in present]
        values = column.unique().tolist()
        try:
            return sorted(values)
        except TypeError as exc:
            raise HelpingError(f"the waves in {wave!r} cannot be sorted ({values[:6]}); pass "
                               "the schedule in order as waves=[...].") from exc
    schedule = list(waves)
    if pd.Index(schedule).has_duplicates:
        raise HelpingError(f"waves={schedule!r} repeats a wave; list each scheduled wave once.")
    index = pd.Index(schedule)
    unknown = [w for w in column.unique().tolist() if index.get_indexer([w])[0] < 0]
    if unknown:
        raise HelpingError(f"the data has wave(s) {unknown[:10]} that are not in waves="
                           f"{schedule!r}; add them to the schedule or correct the data.")
    return schedule


def schedule_positions(data: pd.DataFrame, id: str, wave: str,
                       waves: Sequence[Any] | None) -> tuple[pd.Series, np.ndarray, list[Any]]:
    """Text ids, each row's position in the wave schedule, and the schedule.

    Raises :class:`~helpstats.errors.HelpingError` for missing ids or waves, a
    wave not in the schedule, or a repeated participant × wave.
    """
    ids = _ids(data, id)
    schedule = wave_schedule(data, wave, waves)
    position = pd.Index(schedule).get_indexer(data[wave].tolist())
    key = pd.DataFrame({"id": ids.to_numpy(), "pos": position})
    repeated = key.duplicated(keep=False).to_numpy()
    if repeated.any():
        rows = ", ".join(map(repr, data.index[repeated][:10]))
        raise HelpingError(f"{int(repeated.sum())} rows repeat a participant × wave (rows {rows}); "
                           f"each participant needs at most one row per {wave!r}.")
    return ids, position, schedule


def value_at_position(data: pd.DataFrame, name: str, ids: pd.Series, position: np.ndarray,
                      target: np.ndarray) -> np.ndarray:
    """The participant's value of ``name`` at schedule position ``target`` (NaN if no such row)."""
    lookup = pd.Series(data[name].astype("float64").to_numpy(),
                       index=pd.MultiIndex.from_arrays([ids.to_numpy(), position]))
    wanted = pd.MultiIndex.from_arrays([ids.to_numpy(), target])
    found = np.array(lookup.reindex(wanted), dtype="float64")
    found[target < 0] = np.nan
    return found


def lag(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    id: str,
    wave: str,
    k: int = 1,
    waves: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Values at the participant's k-th previous scheduled wave.

    The schedule is ``waves`` or the sorted waves in the data
    (:func:`wave_schedule`). ``x_lag{k}`` on the row of wave ``w`` is the
    participant's ``x`` at the wave ``k`` steps before ``w`` in the schedule;
    it is missing when that wave is not in the data for the participant (a
    missed wave), when ``x`` was missing there, or at the first ``k`` waves.
    It is never the previous *row*: row order does not matter.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, at most one row per participant × wave. Not modified.
    columns : str or sequence of str
        Numeric columns to lag.
    id, wave : str
        Participant (compared as text) and wave columns.
    k : int, default 1
        How many scheduled waves back (``k >= 1``).
    waves : sequence, optional
        The schedule, e.g. ``[0, 1, 3, 8]``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` (same rows, index and order) with ``{col}_lag{k}``
        appended for each column.

    Raises
    ------
    helpstats.errors.HelpingError
        Absent or non-numeric columns, missing ids or waves, a wave not in
        the schedule, repeated participant × wave rows, or ``k < 1``.

    Examples
    --------
    Participant ``b`` missed wave 1, so their wave-3 lag is missing, not the
    baseline value:

    >>> import pandas as pd
    >>> import helpstats as hs
    >>> d = pd.DataFrame({"id": ["a", "a", "a", "b", "b"], "wave": [0, 1, 3, 0, 3],
    ...                   "x": [1.0, 2, 3, 5, 6]})
    >>> hs.lag(d, "x", id="id", wave="wave", waves=[0, 1, 3])["x_lag1"].tolist()
    [nan, 1.0, 2.0, nan, nan]
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise HelpingError(f"k must be a whole number >= 1; found {k!r}.")
    names = _columns(data, columns)
    _check_new(data, [f"{c}_lag{k}" for c in names])
    ids, position, _ = schedule_positions(data, id, wave, waves)
    out = data.copy()
    for name in names:
        out[f"{name}_lag{k}"] = value_at_position(data, name, ids, position, position - k)
    return out


def change(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    id: str,
    wave: str,
    waves: Sequence[Any] | None = None,
    from_baseline: bool = False,
) -> pd.DataFrame:
    """Change since the previous scheduled wave (or since baseline).

    ``x_change`` is ``x`` minus the participant's ``x`` at the previous
    scheduled wave (missing when that wave was missed or ``x`` missing there,
    and at the first wave). With ``from_baseline=True`` it is ``x`` minus the
    participant's ``x`` at the first scheduled wave (0 at baseline itself).

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, at most one row per participant × wave. Not modified.
    columns : str or sequence of str
        Numeric columns.
    id, wave : str
        Participant (compared as text) and wave columns.
    waves : sequence, optional
        The schedule (default: the sorted waves in the data).
    from_baseline : bool, default False
        Change from the first scheduled wave instead of the previous one.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with ``{col}_change`` appended for each column.

    Raises
    ------
    helpstats.errors.HelpingError
        As :func:`lag`.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> d = pd.DataFrame({"id": [1, 1, 1, 2, 2], "wave": [0, 1, 3, 0, 3],
    ...                   "x": [10.0, 12, 15, 8, 9]})
    >>> hs.change(d, "x", id="id", wave="wave")["x_change"].tolist()
    [nan, 2.0, 3.0, nan, nan]
    >>> hs.change(d, "x", id="id", wave="wave", from_baseline=True)["x_change"].tolist()
    [0.0, 2.0, 5.0, 0.0, 1.0]
    """
    names = _columns(data, columns)
    _check_new(data, [f"{c}_change" for c in names])
    ids, position, _ = schedule_positions(data, id, wave, waves)
    target = np.zeros_like(position) if from_baseline else position - 1
    out = data.copy()
    for name in names:
        before = value_at_position(data, name, ids, position, target)
        out[f"{name}_change"] = data[name].astype("float64").to_numpy() - before
    return out


def change_scores(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    id: str,
    wave: str,
    waves: Sequence[Any] | None = None,
    to: Any = None,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per participant: baseline values and the change from baseline to a wave.

    The design of baseline-adjusted change-score analyses (e.g. Segal et al.
    2013: arm → change in empowerment → change in self-stigma, adjusted for
    the baselines). The baseline is the first scheduled wave; ``to`` defaults
    to the last scheduled wave. A participant without that wave (or with a
    missing value there or at baseline) has a missing change, never the change
    to an earlier wave.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, at most one row per participant × wave. Not modified.
    columns : str or sequence of str
        Numeric columns.
    id, wave : str
        Participant (compared as text) and wave columns.
    waves : sequence, optional
        The schedule (default: the sorted waves in the data).
    to : optional
        The follow-up wave (default: the last scheduled wave).
    keep : sequence of str
        Participant-level columns to carry (e.g. ``arm``, ``group``): each
        must have one value per participant (missing values ignored).

    Returns
    -------
    pandas.DataFrame
        One row per participant, in order of first appearance: ``id``, the
        ``keep`` columns, then ``{col}_baseline`` and ``{col}_change`` for
        each column.

    Raises
    ------
    helpstats.errors.HelpingError
        As :func:`lag`; ``to`` not in the schedule; a ``keep`` column that
        varies within a participant.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2, 3], "wave": [0, 8, 0, 3, 0],
    ...                   "arm": ["a", "a", "b", "b", "a"], "x": [3.0, 5, 4, 2, 1]})
    >>> hs.change_scores(d, "x", id="id", wave="wave", keep=["arm"])
       id arm  x_baseline  x_change
    0   1   a         3.0       2.0
    1   2   b         4.0       NaN
    2   3   a         1.0       NaN
    """
    names = _columns(data, columns)
    ids, position, schedule = schedule_positions(data, id, wave, waves)
    target = len(schedule) - 1
    if to is not None:
        found = pd.Index(schedule).get_indexer([to])[0]
        if found < 0:
            raise HelpingError(f"to={to!r} is not a scheduled wave; the schedule is {schedule}.")
        target = int(found)
    absent = [c for c in keep if c not in data.columns]
    if absent:
        raise HelpingError(f"keep column(s) {absent} not found in the data.")
    first = ~ids.duplicated().to_numpy()
    people = ids[first].to_numpy()
    out = pd.DataFrame({id: data[id].to_numpy()[first]})
    for column in keep:
        values = data[column].groupby(ids.to_numpy(), sort=False).nunique(dropna=True)
        if (values > 1).any():
            bad = values.index[values > 1][:5].tolist()
            raise HelpingError(f"keep column {column!r} varies within participant(s) {bad}; "
                               "keep only participant-level columns.")
        out[column] = data[column].groupby(ids.to_numpy(), sort=False).first() \
            .reindex(people).to_numpy()
    person_ids = pd.Series(people)
    zeros = np.zeros(len(people), dtype=int)
    for name in names:
        lookup = pd.Series(data[name].astype("float64").to_numpy(),
                           index=pd.MultiIndex.from_arrays([ids.to_numpy(), position]))
        at = lookup.reindex(pd.MultiIndex.from_arrays([person_ids, zeros])).to_numpy(float)
        end = lookup.reindex(pd.MultiIndex.from_arrays([person_ids, zeros + target])) \
            .to_numpy(float)
        out[f"{name}_baseline"] = at
        out[f"{name}_change"] = end - at
    return out
