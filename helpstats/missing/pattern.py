"""Missing-data patterns, dropout by wave and a model of dropout on baseline values."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._keywords import renamed_keywords
from ..errors import ImputationError

__all__ = ["dropout_model", "dropout_table", "missing_pattern", "plot_dropout"]


def _observed_grid(data: pd.DataFrame, id: str, wave: str, columns: Sequence[str],
                   waves: Sequence[Hashable] | None) -> tuple[pd.DataFrame, list[Hashable]]:
    """Participant x (column, wave) 0/1 frame: 1 where a value is observed."""
    missing = [c for c in [id, wave, *columns] if c not in data.columns]
    if missing:
        raise ImputationError(f"columns {missing} are not in the data; it has {list(data.columns)[:20]}.")
    key = data[id].astype(str)
    if waves is None:
        try:
            waves = sorted(pd.unique(data[wave]).tolist())
        except TypeError:
            waves = list(pd.unique(data[wave]))
    ids = list(dict.fromkeys(key))
    frames = {}
    for c in columns:
        obs = data[c].notna().to_numpy()
        table = pd.DataFrame({"id": key.to_numpy(), "wave": data[wave].to_numpy(), "obs": obs})
        grid = table.groupby(["id", "wave"], sort=False)["obs"].max().unstack("wave")
        grid = grid.reindex(index=ids, columns=list(waves))
        for w in waves:
            frames[f"{c} @ {w}"] = grid[w].fillna(False).astype(int).to_numpy()
    return pd.DataFrame(frames, index=pd.Index(ids, name=id)), list(waves)


def missing_pattern(data: pd.DataFrame, *, id: str, wave: str, columns: Sequence[str],
                    waves: Sequence[Hashable] | None = None) -> pd.DataFrame:
    """One row per pattern of observed (1) and missing (0) values, as mice's ``md.pattern``.

    A wave with no row for a participant counts as missing for every column.

    Parameters
    ----------
    data : pandas.DataFrame
        Long frame (one row per participant and wave).
    id, wave : str
        Participant and wave columns (ids compared as text).
    columns : list of str
        Columns whose patterns are counted.
    waves : list, optional
        The scheduled waves (default: the waves in the data, sorted).

    Returns
    -------
    pandas.DataFrame
        One 0/1 column per ``"column @ wave"``, then ``n_missing`` (missing
        cells in the pattern) and ``count`` (participants with it); sorted by
        count (most common first).

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2, 3], "wave": [0, 1, 0, 1, 0],
    ...                   "y": [5.0, 4.0, 6.0, None, 7.0]})
    >>> hs.missing_pattern(d, id="id", wave="wave", columns=["y"])
       y @ 0  y @ 1  n_missing  count
    0      1      0          1      2
    1      1      1          0      1
    """
    grid, _ = _observed_grid(data, id, wave, columns, waves)
    cols = list(grid.columns)
    counted = grid.value_counts(sort=False).rename("count").reset_index()
    counted["n_missing"] = len(cols) - counted[cols].sum(axis=1)
    counted = counted.sort_values(["count", "n_missing"], ascending=[False, True], kind="stable")
    return counted[[*cols, "n_missing", "count"]].reset_index(drop=True)


@renamed_keywords(column="outcome")
def dropout_table(data: pd.DataFrame, *, id: str, wave: str, outcome: str, by: str | None = None,
                  waves: Sequence[Hashable] | None = None) -> pd.DataFrame:
    """Participants with ``outcome`` observed at each wave, by group.

    ``outcome`` was called ``column=`` before; the old name works for one
    release with a ``FutureWarning``.

    Returns
    -------
    pandas.DataFrame
        ``by`` (when given), ``wave``, ``n`` (participants in the group),
        ``observed``, ``proportion``.
    """
    column = outcome
    grid, wave_list = _observed_grid(data, id, wave, [column], waves)
    if by is None:
        groups = pd.Series("all", index=grid.index)
    else:
        if by not in data.columns:
            raise ImputationError(f"by={by!r} is not a column of the data.")
        first = data.assign(_key=data[id].astype(str)).groupby("_key", sort=False)[by].first()
        groups = first.reindex(grid.index)
    rows = []
    for g, members in grid.groupby(groups.to_numpy(), sort=True):
        for w in wave_list:
            obs = int(members[f"{column} @ {w}"].sum())
            row: dict[str, Any] = {} if by is None else {by: g}
            row.update(wave=w, n=len(members), observed=obs, proportion=obs / len(members))
            rows.append(row)
    return pd.DataFrame(rows)


@renamed_keywords(column="outcome")
def plot_dropout(data: pd.DataFrame, *, id: str, wave: str, outcome: str, by: str | None = None,
                 waves: Sequence[Hashable] | None = None, ax: Any = None) -> Any:
    """Proportion of participants with ``outcome`` observed at each wave, one line per group
    (``outcome`` was ``column=`` before)."""
    import matplotlib.pyplot as plt

    column = outcome
    table = dropout_table(data, id=id, wave=wave, outcome=column, by=by, waves=waves)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    groups = [(None, table)] if by is None else list(table.groupby(by, sort=True))
    markers = ["o", "s", "^", "D", "v", "P"]
    for i, (g, part) in enumerate(groups):
        ax.plot([str(w) for w in part["wave"]], part["proportion"], marker=markers[i % len(markers)],
                label="all participants" if g is None else f"{by} = {g}")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(wave)
    ax.set_ylabel(f"proportion with {column} observed")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    return ax


def dropout_model(data: pd.DataFrame, *, id: str, wave: str, outcome: str,
                  covariates: Sequence[str] = (), baseline: Hashable | None = None,
                  last: Hashable | None = None) -> pd.DataFrame:
    """Logistic regression of missing ``outcome`` at the last wave on baseline values.

    Asks whether dropout is related to baseline severity (and arm, role...):
    ``missing_at_last ~ baseline outcome + covariates`` over participants with
    a baseline value.

    Returns
    -------
    pandas.DataFrame
        ``term, estimate`` (log odds), ``se, z, p, odds_ratio``.
    """
    import statsmodels.api as sm

    grid, wave_list = _observed_grid(data, id, wave, [outcome], None)
    base = wave_list[0] if baseline is None else baseline
    end = wave_list[-1] if last is None else last
    key = data[id].astype(str)
    at_base = data[data[wave] == base].assign(_key=key).drop_duplicates("_key").set_index("_key")
    frame = pd.DataFrame({"dropout": 1 - grid[f"{outcome} @ {end}"]}).join(
        at_base[[outcome, *covariates]], how="inner").dropna()
    if frame["dropout"].nunique() < 2:
        raise ImputationError(f"dropout_model: every participant with a baseline {outcome!r} is "
                              f"{'missing' if frame['dropout'].iloc[0] else 'observed'} at wave {end!r}; "
                              "there is no dropout to model.")
    X = pd.get_dummies(frame[[outcome, *covariates]], drop_first=True, dtype=float)
    X = sm.add_constant(X, has_constant="add").rename(columns={"const": "(Intercept)"})
    res = sm.Logit(frame["dropout"].astype(float), X).fit(disp=0)
    out = pd.DataFrame({"term": X.columns, "estimate": res.params.to_numpy(),
                        "se": res.bse.to_numpy(), "z": res.tvalues.to_numpy(),
                        "p": res.pvalues.to_numpy()})
    out["odds_ratio"] = np.exp(out["estimate"])
    return out
