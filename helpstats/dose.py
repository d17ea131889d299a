"""Helping dose: helping acts per meeting attended and per week of membership.

A count of helping acts confounds helping with exposure: a member who came to
twelve meetings has more chances to help than one who came to two.
:func:`add_exposure_rates` (used by :func:`helpstats.roles_from_interactions`
through its ``attendance=`` and ``weeks=`` options) divides the counts by each
member's own exposure; :func:`dose_table` describes the resulting dose by arm.

Examples
--------
>>> import pandas as pd
>>> import helpstats as hs
>>> log = pd.DataFrame({"from": ["a", "a", "b"], "to": ["b", "c", "a"]})
>>> attended = pd.DataFrame({"participant": ["a", "a", "b", "c"], "meeting": [1, 2, 1, 1]})
>>> hs.roles_from_interactions(log, giver="from", receiver="to", attendance=attended)[
...     ["participant", "n_attended", "given_per_attended"]]
  participant  n_attended  given_per_attended
0           a           2                 1.0
1           b           1                 1.0
2           c           1                 0.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._ids import id_text
from ._keywords import renamed_keywords
from .errors import RoleError

__all__ = ["add_exposure_rates", "dose_table"]


def _keys(frame: pd.DataFrame, per: str | None) -> pd.MultiIndex | pd.Index:
    people = id_text(frame["participant"])
    if per is None:
        return pd.Index(people, name="participant")
    return pd.MultiIndex.from_arrays([people, id_text(frame[per])], names=["participant", per])


def _need(frame: pd.DataFrame, what: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise RoleError(f"{what} must be a DataFrame; found {type(frame).__name__}.")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise RoleError(f"{what} needs column(s) {list(columns)}; missing {absent} (it has "
                        f"{', '.join(map(str, frame.columns[:20]))}).")
    missing = frame[list(columns)].isna().any(axis=1)
    if missing.any():
        raise RoleError(f"{what} has {int(missing.sum())} row(s) with a missing "
                        f"{' / '.join(columns)}; fill them in or remove them.")


@renamed_keywords(per="wave")
def add_exposure_rates(counts: pd.DataFrame, *, wave: str | None,
                       attendance: pd.DataFrame | None = None, meeting: str = "meeting",
                       weeks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add per-exposure rates to a frame of ``participant, [wave], n_given, n_received``.

    Parameters
    ----------
    counts : pandas.DataFrame
        As returned by :func:`helpstats.roles_from_interactions`. Not modified.
    wave : str or None
        The wave (or other period) column of ``counts`` (formerly ``per=``);
        ``attendance`` and ``weeks`` then need it too.
    attendance : pandas.DataFrame, optional
        One row per meeting attended: ``participant``, ``meeting`` (the column
        named by ``meeting``) and ``wave``. Adds ``n_attended`` (distinct
        meetings attended; 0 when none), ``given_per_attended`` and
        ``received_per_attended`` (missing, not 0, when nothing was attended).
    meeting : str, default "meeting"
        The meeting column of ``attendance``.
    weeks : pandas.DataFrame, optional
        ``participant``, ``wave`` and ``weeks`` (weeks of membership in that
        period). Adds ``weeks``, ``given_per_week`` and ``received_per_week``
        (missing when weeks is 0 or not given for the member).

    Returns
    -------
    pandas.DataFrame
        A copy of ``counts`` with the new columns. Ids are compared as text.

    Raises
    ------
    helpstats.errors.RoleError
        Missing columns or values, negative weeks, or attendance/weeks rows for
        members or periods that are not in ``counts``.
    """
    per = wave
    out = counts.copy()
    keys = _keys(counts, per)
    period = [per] if per is not None else []
    if attendance is not None:
        _need(attendance, "attendance", ["participant", meeting, *period])
        seen = attendance.assign(_m=id_text(attendance[meeting])).drop_duplicates(
            ["participant", "_m", *period]) if len(attendance) else attendance
        tally = pd.Series(1, index=_keys(seen, per)).groupby(level=list(range(keys.nlevels)))\
            .sum() if len(seen) else pd.Series(dtype="int64")
        unknown = tally.index.difference(keys)
        if len(unknown):
            raise RoleError(f"attendance has {len(unknown)} member/period(s) not among the "
                            f"counted members: {list(unknown[:5])}; pass members= "
                            "listing every member, or correct the ids.")
        attended = tally.reindex(keys, fill_value=0).to_numpy(dtype="int64")
        out["n_attended"] = attended
        with np.errstate(divide="ignore", invalid="ignore"):
            for what in ("given", "received"):
                rate = counts[f"n_{what}"].to_numpy(dtype=float) / attended
                out[f"{what}_per_attended"] = np.where(attended > 0, rate, np.nan)
    if weeks is not None:
        _need(weeks, "weeks", ["participant", "weeks", *period])
        values = pd.to_numeric(weeks["weeks"], errors="coerce")
        if values.isna().any() or (values < 0).any():
            raise RoleError("weeks['weeks'] must be non-negative numbers (weeks of membership); "
                            f"found {weeks['weeks'][values.isna() | (values < 0)].tolist()[:5]}.")
        index = _keys(weeks, per)
        if index.has_duplicates:
            raise RoleError("weeks has more than one row for a member (and period); give one.")
        unknown = index.difference(keys)
        if len(unknown):
            raise RoleError(f"weeks has {len(unknown)} member/period(s) not among the counted "
                            f"members: {list(unknown[:5])}.")
        span = pd.Series(values.to_numpy(dtype=float), index=index).reindex(keys).to_numpy()
        out["weeks"] = span
        with np.errstate(divide="ignore", invalid="ignore"):
            for what in ("given", "received"):
                rate = counts[f"n_{what}"].to_numpy(dtype=float) / span
                out[f"{what}_per_week"] = np.where(span > 0, rate, np.nan)
    return out


def dose_table(data: pd.DataFrame, columns: str | Sequence[str], *,
               by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Distribution of helping dose (counts or rates), overall or by arm (and wave).

    Parameters
    ----------
    data : pandas.DataFrame
        E.g. the result of :func:`helpstats.roles_from_interactions` merged
        with the arm. Not modified.
    columns : str or sequence of str
        Numeric dose columns (``n_given``, ``given_per_attended``...).
    by : str or sequence of str, optional
        Grouping columns (``"arm"``, or ``["arm", "wave"]``).

    Returns
    -------
    pandas.DataFrame
        One row per group and column: the ``by`` columns, ``variable``, ``n``
        (non-missing), ``n_missing``, ``mean``, ``sd``, ``min``, ``q25``,
        ``median``, ``q75``, ``max``.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> d = pd.DataFrame({"arm": ["a", "a", "b", "b"], "rate": [1.0, 3.0, 0.5, None]})
    >>> hs.dose_table(d, "rate", by="arm")[["arm", "n", "n_missing", "mean", "median"]]
      arm  n  n_missing  mean  median
    0   a  2          0   2.0     2.0
    1   b  1          1   0.5     0.5
    """
    names = [columns] if isinstance(columns, str) else list(columns)
    groups = [by] if isinstance(by, str) else list(by or [])
    absent = [c for c in [*names, *groups] if c not in data.columns]
    if absent:
        raise RoleError(f"column(s) {absent} not found; the data has "
                        f"{', '.join(map(str, data.columns[:20]))}.")
    rows = []
    parts = data.groupby(groups, sort=True, observed=True) if groups else [((), data)]
    for key, part in parts:
        key = key if isinstance(key, tuple) else (key,)
        for name in names:
            values = pd.to_numeric(part[name], errors="raise").astype(float)
            present = values.dropna()
            row = dict(zip(groups, key, strict=True))
            row.update(variable=name, n=len(present), n_missing=int(values.isna().sum()),
                       mean=present.mean() if len(present) else np.nan,
                       sd=present.std(ddof=1) if len(present) > 1 else np.nan,
                       min=present.min() if len(present) else np.nan,
                       q25=present.quantile(0.25) if len(present) else np.nan,
                       median=present.median() if len(present) else np.nan,
                       q75=present.quantile(0.75) if len(present) else np.nan,
                       max=present.max() if len(present) else np.nan)
            rows.append(row)
    return pd.DataFrame(rows, columns=[*groups, "variable", "n", "n_missing", "mean", "sd", "min",
                                       "q25", "median", "q75", "max"])
