"""Dask DataFrames through the same scoring, validation and reliability rules.

Nothing here is imported by ``import helpstats``: the public functions
(:func:`helpstats.score`, :func:`helpstats.validate`, ...) look at their input
with :func:`is_dask` (which imports nothing) and only then import this
subpackage. Dask is an optional extra: ``pip install "helpstats[dask]"``.
"""

from __future__ import annotations

from typing import Any

from ..errors import HelpstatsError

__all__ = ["DaskMissingError", "is_dask", "require_dask"]


class DaskMissingError(HelpstatsError, ImportError):
    """A Dask input or option was used but Dask is not installed."""


def is_dask(obj: Any) -> bool:
    """True for a Dask DataFrame or Series (checked without importing Dask).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dask(pd.DataFrame())
    False
    """
    module = type(obj).__module__
    return module == "dask" or module.startswith("dask.")


def require_dask() -> Any:
    """Import and return ``dask.dataframe``, or raise a clear error saying how to install it."""
    try:
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise DaskMissingError(
            "this needs Dask, an optional extra of helpstats: pip install \"helpstats[dask]\" "
            f"(dask[dataframe], distributed, pyarrow). ({exc})"
        ) from None
    return dd
