"""Reliability and item analysis of Dask DataFrames from one pass of covariance reductions.

Each partition contributes sufficient statistics per group and scale (counts,
sums and cross-products of the item scores over complete rows, and the
pairwise-present versions); they are added up and the same formulas as the
pandas path (:mod:`helpstats._psychometrics`) turn them into alpha, its Feldt
interval, omega, item-rest correlations and alpha if dropped. The small
tables are returned as pandas DataFrames.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._psychometrics import item_rest
from ..errors import MiskeyedItemWarning, ReliabilityError
from ..instruments import Instrument, Scale, load_instrument
from ..reliability import (
    ITEM_COLUMNS,
    RELIABILITY_COLUMNS,
    _check_options,
    _scale_item_scores,
    _scale_score,
    scale_statistics_from,
)
from . import require_dask
from .scoring import problem_summary, report_invalid

__all__ = ["item_analysis_dask", "reliability_dask"]

_Moments = dict[str, Any]


def _group_positions(part: pd.DataFrame,
                     by_columns: list[str]) -> list[tuple[tuple[Hashable, ...], np.ndarray]]:
    if not by_columns:
        return [((), np.arange(len(part)))]
    grouped = part[by_columns].reset_index(drop=True).groupby(by_columns, dropna=False, sort=False,
                                                              observed=True)
    return [(key if isinstance(key, tuple) else (key,), np.asarray(pos))
            for key, pos in grouped.indices.items()]


def _moments(x: np.ndarray, score: np.ndarray) -> _Moments:
    present = ~np.isnan(x)
    complete = present.all(axis=1)
    xc = x[complete]
    x0 = np.where(present, x, 0.0)
    p = present.astype(float)
    return {"n": int(complete.sum()), "n_incomplete": int((~complete).sum()),
            "sx": xc.sum(axis=0), "sxx": xc.T @ xc, "ss": float(score.sum()),
            "sss": float((score ** 2).sum()), "N": p.T @ p, "A": x0.T @ p, "S": x0.T @ x0}


def _add(a: _Moments, b: _Moments) -> _Moments:
    return {k: a[k] + b[k] for k in a}


def _partition_moments(part: pd.DataFrame, inst: Instrument, columns: Any,
                       by_columns: list[str]) -> dict[tuple[Any, str], _Moments]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matrices = _scale_item_scores(part, inst, columns, "missing")
    out: dict[tuple[Any, str], _Moments] = {}
    for key, pos in _group_positions(part, by_columns):
        for scale in inst.scales:
            items = matrices[scale.id].iloc[pos]
            x = items.to_numpy(dtype=float)
            complete = ~np.isnan(x).any(axis=1)
            score = _scale_score(items[complete], scale).to_numpy(dtype=float)
            out[(key, scale.id)] = _moments(x, score)
    return out


def _reduce(data: Any, inst: Instrument, columns: Any, by_columns: list[str]
            ) -> dict[tuple[Any, str], _Moments]:
    import dask

    parts = dask.compute(*[dask.delayed(_partition_moments)(p, inst, columns, by_columns)
                           for p in data.to_delayed()])
    total: dict[tuple[Any, str], _Moments] = {}
    for part in parts:
        for key, m in part.items():
            total[key] = _add(total[key], m) if key in total else m
    return total


def _complete_cov(m: _Moments) -> np.ndarray | None:
    n = m["n"]
    if n < 2:
        return None
    return (m["sxx"] - np.outer(m["sx"], m["sx"]) / n) / (n - 1)


def _pairwise_cov(m: _Moments) -> np.ndarray | None:
    N = m["N"]
    if N.min() < 2:
        return None
    A = m["A"]  # A[i, j]: sum of item i over rows where i and j are answered
    return (m["S"] - A * A.T / N) / (N - 1)


def _cov(m: _Moments, use: str) -> np.ndarray | None:
    return _complete_cov(m) if use == "complete" else _pairwise_cov(m)


def _statistics(m: _Moments, scale: Scale, items: list[str], use: str, level: float) -> dict[str, Any]:
    n = m["n"]
    mean = m["ss"] / n if n >= 1 else math.nan
    sd = math.sqrt(max((m["sss"] - m["ss"] ** 2 / n) / (n - 1), 0.0)) if n >= 2 else math.nan
    return scale_statistics_from(_cov(m, use), scale=scale, n=n, n_incomplete=m["n_incomplete"],
                                 mean=mean, sd=sd, items=items, level=level)


def _sorted_keys(keys: list[tuple[Any, ...]], by_columns: list[str]) -> list[tuple[Any, ...]]:
    if not by_columns:
        return keys
    frame = pd.DataFrame(keys, columns=by_columns)
    order = frame.sort_values(by_columns, na_position="last", kind="stable").index
    return [keys[i] for i in order]


def _prepare(data: Any, instrument: Any, columns: Any, by: Any, use: str, level: float,
             on_invalid: str) -> tuple[Instrument, list[str], dict[tuple[Any, str], _Moments]]:
    from dask.dataframe.utils import make_meta

    require_dask()
    _check_options(use, level)
    inst = load_instrument(instrument)
    by_columns = [by] if isinstance(by, str) else list(by or [])
    meta = make_meta(data)
    for column in by_columns:
        if column not in meta.columns:
            raise ReliabilityError(f"by column {column!r} not found in the data.")
    _scale_item_scores(meta, inst, columns, "missing")  # absent item columns raise here
    total, first = problem_summary(data, [inst], {inst.id: columns})
    report_invalid(total, first, inst.id, on_invalid)
    return inst, by_columns, _reduce(data, inst, columns, by_columns)


def reliability_dask(data: Any, instrument: Any, columns: Any = None, *,
                     by: str | Sequence[str] | None = None, use: str = "complete",
                     level: float = 0.95, on_invalid: str = "raise") -> pd.DataFrame:
    """:func:`helpstats.reliability` of a Dask DataFrame (returns pandas)."""
    inst, by_columns, moments = _prepare(data, instrument, columns, by, use, level, on_invalid)
    keys = _sorted_keys(list(dict.fromkeys(key for key, _ in moments)), by_columns)
    rows = []
    for key in keys:
        for scale in inst.scales:
            m = moments[(key, scale.id)]
            rows.append({**dict(zip(by_columns, key, strict=True)),
                         **_statistics(m, scale, [inst.item(i).id for i in scale.items], use,
                                       level)})
    return pd.DataFrame(rows, columns=by_columns + RELIABILITY_COLUMNS)


def item_analysis_dask(data: Any, instrument: Any, columns: Any = None, *, use: str = "complete",
                       on_invalid: str = "raise") -> pd.DataFrame:
    """:func:`helpstats.item_analysis` of a Dask DataFrame (returns pandas)."""
    inst, _, moments = _prepare(data, instrument, columns, None, use, 0.95, on_invalid)
    labels = {item.id: item.label for item in inst.items}
    frames = []
    for scale in inst.scales:
        m = moments[((), scale.id)]
        ids = [inst.item(n).id for n in scale.items]
        k = len(ids)
        cov = _cov(m, use)
        if cov is None or k < 2:
            r = dropped = np.full(k, math.nan)
        else:
            r, dropped = item_rest(cov)
        if use == "complete":
            n = np.full(k, m["n"])
            sums, squares = m["sx"], np.diag(m["sxx"])
        else:
            n = np.diag(m["N"]).astype(int)
            sums, squares = np.diag(m["A"]), np.diag(m["S"])
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, sums / np.maximum(n, 1), np.nan)
            var = np.where(n > 1, (squares - sums ** 2 / np.maximum(n, 1)) / np.maximum(n - 1, 1), np.nan)
        frames.append(pd.DataFrame({
            "item": ids, "label": [labels[i] for i in ids], "scale": scale.id,
            "n": n.astype(np.int64), "mean": mean, "sd": np.sqrt(np.maximum(var, 0.0)),
            "item_rest_r": r, "alpha_if_dropped": dropped, "negative_item_rest": r < 0,
        }, columns=ITEM_COLUMNS))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ITEM_COLUMNS)
    negative = table[table["negative_item_rest"]]
    if len(negative):
        warnings.warn(f"{len(negative)} item(s) correlate negatively with the rest of their scale: "
                      + "; ".join(f"{row.item} in scale {row.scale!r}: r = {row.item_rest_r:.3f}"
                                  for row in negative.itertuples())
                      + ". Check whether they should be reverse-scored.", MiskeyedItemWarning,
                      stacklevel=3)
    return table
