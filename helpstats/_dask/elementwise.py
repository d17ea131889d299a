"""Row-by-row rules (reliable change, service outcomes) applied to Dask Series partition by partition."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import HelpstatsError
from . import is_dask, require_dask

__all__ = ["align_partitions", "rowwise"]

F = TypeVar("F", bound=Callable[..., Any])


def rowwise(function: F) -> F:
    """Let a function of paired score vectors (``before, after, ...``) take Dask Series.

    With Dask input the pandas function runs once on empty inputs (its
    checks, defaults and warnings happen once, up front) and then lazily on
    each pair of aligned partitions; the result is a lazy Dask DataFrame with
    the same columns and dtypes. Two Dask inputs are paired partition by
    partition after :func:`align_partitions` (which fixes Dask's different
    partitionings of separate column projections of one Parquet frame).
    """

    @functools.wraps(function)
    def wrapper(before: Any, after: Any, *args: Any, **kwargs: Any) -> Any:
        if not (is_dask(before) or is_dask(after)):
            return function(before, after, *args, **kwargs)
        dd = require_dask()
        from dask.dataframe.utils import make_meta

        meta = function(make_meta(before), make_meta(after), *args, **kwargs)
        meta.attrs.clear()

        if is_dask(before) and is_dask(after):
            before, after = align_partitions(before, after)

        def part(b: Any, a: Any) -> Any:
            if len(b) != len(a):  # paired by position, as the pandas function pairs them
                raise HelpstatsError(
                    f"a partition of `before` ({len(b)} rows) and the matching partition of "
                    f"`after` ({len(a)} rows) do not hold the same rows; expected Dask inputs "
                    "partitioned alike. Take both columns from one frame (or .persist() it).")
            with warnings.catch_warnings():  # already warned once above
                warnings.simplefilter("ignore")
                out = function(b, a, *args, **kwargs)
            out.attrs.clear()
            return out

        return dd.map_partitions(part, before, after, meta=meta)

    return wrapper  # type: ignore[return-value]


def align_partitions(before: Any, after: Any) -> tuple[Any, Any]:
    """Two Dask collections partitioned alike, so partition *i* of one pairs with *i* of the other.

    Dask plans a column projection of an unpersisted Parquet frame by itself:
    a projection that reads few columns has its files fused into fewer
    partitions, so ``frame["a"]`` and ``scores["total"]`` (computed from the
    same frame) can reach the task graph with different partitions ("mismatched
    divisions", "missing dependency"). Here each input is optimised on its own
    (which fixes its partitions); when the counts differ and the finer one still
    has its files' partitions, it is repartitioned to the coarser count, the
    rule Dask's file fusion itself follows, so the same rows meet. Inputs whose
    counts already agree are returned unchanged (Dask then shares their work).

    Raises
    ------
    helpstats.errors.HelpstatsError
        When the partitions cannot be matched without reading the data.
    """
    n_before, n_after = before.optimize().npartitions, after.optimize().npartitions
    if n_before == n_after:
        return before, after
    if before.npartitions != after.npartitions:
        raise HelpstatsError(
            f"`before` has {before.npartitions} partitions and `after` {after.npartitions}; "
            "expected the two Dask inputs partitioned alike. Take both columns from one frame, "
            "or repartition one to the other's partitions.")
    fine, coarse = (before, after) if n_before > n_after else (after, before)
    fine, coarse = fine.optimize(), coarse.optimize()
    if fine.npartitions != before.npartitions:
        raise HelpstatsError(
            f"Dask planned `before` in {n_before} partitions and `after` in {n_after} (its file "
            "fusion of Parquet columns); they cannot be paired without reading the data. "
            "Call .persist() on the frame both come from, or take both from one frame.")
    fine = fine.repartition(npartitions=coarse.npartitions)
    return (fine, coarse) if n_before > n_after else (coarse, fine)
