"""Row-by-row rules (reliable change, service outcomes) applied to Dask Series partition by partition."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from . import is_dask, require_dask

__all__ = ["rowwise"]

F = TypeVar("F", bound=Callable[..., Any])


def rowwise(function: F) -> F:
    """Let a function of paired score vectors (``before, after, ...``) take Dask Series.

    With Dask input the pandas function runs once on empty inputs (its
    checks, defaults and warnings happen once, up front) and then lazily on
    each pair of aligned partitions; the result is a lazy Dask DataFrame with
    the same columns and dtypes.
    """

    @functools.wraps(function)
    def wrapper(before: Any, after: Any, *args: Any, **kwargs: Any) -> Any:
        if not (is_dask(before) or is_dask(after)):
            return function(before, after, *args, **kwargs)
        dd = require_dask()
        from dask.dataframe.utils import make_meta

        meta = function(make_meta(before), make_meta(after), *args, **kwargs)
        meta.attrs.clear()

        def part(b: Any, a: Any) -> Any:
            with warnings.catch_warnings():  # already warned once above
                warnings.simplefilter("ignore")
                out = function(b, a, *args, **kwargs)
            out.attrs.clear()
            return out

        return dd.map_partitions(part, before, after, meta=meta)

    return wrapper  # type: ignore[return-value]
