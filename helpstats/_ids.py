"""Participant ids compared as text (one rule for the helping modules).

``1``, ``1.0`` and ``"1"`` are the same participant; a missing id stays missing.
This is the single place to swap for the project-wide id helper once it lands.

Examples
--------
>>> import pandas as pd
>>> from helpstats._ids import id_text
>>> id_text(pd.Series([1.0, 2.0, None])).tolist()
['1', '2', None]
>>> id_text(pd.Series(["a", 3])).tolist()
['a', '3']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["id_text"]


def id_text(values: pd.Series) -> pd.Series:
    """Return ``values`` as text ids (object dtype, missing kept as ``None``), same index."""
    series = pd.Series(values)
    missing = series.isna()
    if series.dtype.kind == "f":
        present = series[~missing]
        if len(present) and np.all(np.mod(present.to_numpy(), 1) == 0):
            series = series.astype("Int64")
    text = series.astype(str).astype(object)
    text[missing] = None
    return text
