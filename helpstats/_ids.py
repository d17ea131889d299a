"""Participant ids: the one rule by which helpstats compares them.

An id is compared **as the text an export shows**. The same member may be read
as the integer ``100`` from one file and as the text ``"100"`` from another
(one wave's file has an id ``001`` and is read as text, the next has only
numbers): both are the member ``"100"``. The rule, applied by
:func:`id_text` wherever ids are matched (``analyze``, baseline roles,
``attrition_table``, ``to_wide``, duplicate checks in ``validate``):

* text is kept as it is, without surrounding white space: ``"001"`` stays
  ``"001"`` and is a different member from ``"1"`` (leading zeros are part of
  an exported id); case is kept;
* an integer is its decimal digits: ``100`` → ``"100"``;
* a float with a whole value is the integer it holds (``100.0`` → ``"100"``,
  as a column of integer ids with a blank is read as floats); any other float
  is its shortest repr (``1.5`` → ``"1.5"``);
* a missing value, an empty or blank text is no id (missing).

Examples
--------
>>> import pandas as pd
>>> from helpstats._ids import id_text
>>> id_text(pd.Series(["001", " 100", 100, 100.0, 1.5, None, ""], dtype=object)).tolist()
['001', '100', '100', '100', '1.5', <NA>, <NA>]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["id_text", "one_id"]


def one_id(value: Any) -> str | None:
    """The text of one id under the module's rule; ``None`` when there is no id."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    text = str(value).strip()
    return text or None


def id_text(values: pd.Series) -> pd.Series:
    """Participant ids as text (pandas ``string`` dtype, same index), by the module's rule."""
    return pd.Series([one_id(v) for v in values], index=values.index, dtype="string",
                     name=values.name)
