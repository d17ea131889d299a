"""Helping roles of a Dask DataFrame with exact medians.

The medians are computed exactly from the distribution of each helping
column (value counts per ``by`` group, one pass), so the roles equal the
pandas ones; memory grows with the number of distinct values, which is small
for counts and ratings. Each partition is then classified by the pandas code
with those cut-offs as fixed thresholds, so the rule is applied in one place.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RoleMissingWarning
from . import require_dask

__all__ = ["classify_roles_dask", "exact_median"]


def exact_median(counts: pd.Series) -> float:
    """Median of the values in ``counts.index`` repeated ``counts`` times (as ``np.median``).

    Examples
    --------
    >>> exact_median(pd.Series([2, 1, 1], index=[1.0, 2.0, 5.0]))
    1.5
    """
    counts = counts[counts > 0].sort_index()
    n = int(counts.sum())
    if n == 0:
        return float("nan")
    cumulative = np.cumsum(counts.to_numpy())
    values = counts.index.to_numpy(dtype=float)
    lower = values[np.searchsorted(cumulative, (n - 1) // 2 + 1)]
    upper = values[np.searchsorted(cumulative, n // 2 + 1)]
    return float((lower + upper) / 2)


def _key(value: Any) -> tuple[Hashable, ...]:
    return value if isinstance(value, tuple) else (value,)


def classify_roles_dask(data: Any, *, giving: str, receiving: str, method: Any = "median",
                        thresholds: Mapping[str, float] | None = None,
                        by: str | Sequence[str] | None = None) -> tuple[Any, dict[str, Any]]:
    """:func:`helpstats.classify_roles` of a Dask DataFrame: (lazy roles, the rule)."""
    from dask.dataframe.utils import make_meta

    from ..roles import classify_roles

    require_dask()
    meta = make_meta(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classify_roles(meta, giving=giving, receiving=receiving, method=method,
                       thresholds=thresholds, by=by)  # argument and column checks, once
    by_columns = [by] if isinstance(by, str) else list(by or [])
    if isinstance(method, Mapping):
        thresholds, method = dict(method), "thresholds"
    cols = [giving, receiving, *by_columns]
    frame = data[cols]
    usable = frame[giving].notnull() & frame[receiving].notnull()
    for column in by_columns:
        usable = usable & frame[column].notnull()
    n_missing = {"giving": frame[giving].isnull().sum(), "receiving": frame[receiving].isnull().sum(),
                 "by": (~usable & frame[giving].notnull() & frame[receiving].notnull()).sum(),
                 "rows": frame[giving].size, "usable": usable.sum()}
    kept = frame[usable]
    import dask

    cut: dict[tuple[Hashable, ...], tuple[float, float]]
    groups: dict[tuple[Hashable, ...], int]
    if method == "thresholds" and thresholds is not None:  # checked by the pandas call above
        sizes = kept.groupby(by_columns).size() if by_columns else kept[giving].size
        counts, tallies = dask.compute(n_missing, sizes)
        groups = {(): int(tallies)} if not by_columns else {_key(k): int(v) for k, v in tallies.items()}
        cut = {k: (float(thresholds["giving"]), float(thresholds["receiving"])) for k in groups}
    else:
        dist_g = kept.groupby([*by_columns, giving]).size()
        dist_r = kept.groupby([*by_columns, receiving]).size()
        counts, dist_g, dist_r = dask.compute(n_missing, dist_g, dist_r)
        found: dict[tuple[Hashable, ...], list[float]] = {}
        groups = {}
        for name, dist in (("g", dist_g), ("r", dist_r)):
            if by_columns:
                levels = list(range(len(by_columns)))
                for key, level_part in dist.groupby(level=levels, sort=True):
                    values = level_part.droplevel(levels)
                    slot = 0 if name == "g" else 1
                    found.setdefault(_key(key), [np.nan, np.nan])[slot] = exact_median(values)
                    groups[_key(key)] = int(values.sum())
            else:
                found.setdefault((), [np.nan, np.nan])[0 if name == "g" else 1] = exact_median(dist)
                groups[()] = int(dist.sum())
        cut = {k: (v[0], v[1]) for k, v in found.items()}
    keys = sorted(cut, key=lambda k: tuple(map(str, k))) if by_columns else [()]
    if by_columns:
        frame_keys = pd.DataFrame(keys, columns=by_columns).sort_values(by_columns, kind="stable")
        keys = [tuple(r) for r in frame_keys.itertuples(index=False)]

    def part(chunk: pd.DataFrame) -> pd.Series:
        out = pd.Series(pd.Categorical([None] * len(chunk), dtype=_role_dtype()), index=chunk.index,
                        name="role")
        positions = pd.Series(np.arange(len(chunk)), index=range(len(chunk)))
        reset = chunk.reset_index(drop=True)
        if by_columns:
            grouped = reset.groupby(by_columns, sort=False, dropna=True).indices.items()
        else:
            grouped = [((), positions.to_numpy())]
        for key, pos in grouped:
            k = _key(key) if by_columns else ()
            if k not in cut:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                roles = classify_roles(reset.iloc[pos], giving=giving, receiving=receiving,
                                       method="thresholds",
                                       thresholds={"giving": cut[k][0], "receiving": cut[k][1]})
            out.iloc[pos] = roles.to_numpy()
        return out

    meta_out = pd.Series(pd.Categorical([], dtype=_role_dtype()), name="role")
    roles = data[cols].map_partitions(part, meta=meta_out)
    n_rows, n_usable = int(counts["rows"]), int(counts["usable"])
    missing = {k: int(counts[k]) for k in ("giving", "receiving", "by")}
    rule = {
        "method": method, "comparison": ">", "giving": giving, "receiving": receiving, "by": by_columns,
        "cutoffs": [{**dict(zip(by_columns, k, strict=True)), "giving": cut[k][0], "receiving": cut[k][1],
                     "n_classified": groups.get(k, 0)} for k in keys],
        "n_unclassified": n_rows - n_usable, "missing": missing,
    }
    if n_rows - n_usable:
        details = ", ".join(f"{v} missing {k!r}" for k, v in missing.items() if v)
        warnings.warn(f"{n_rows - n_usable} of {n_rows} row(s) have no role because a helping value is "
                      f"missing ({details}); their role is missing, not guessed.",
                      RoleMissingWarning, stacklevel=3)
    return roles, rule


def _role_dtype() -> Any:
    from ..roles import ROLE_DTYPE

    return ROLE_DTYPE
