"""Trial tables: numeric DataFrames first, formatted only by the writers.

Every builder returns a plain DataFrame with fixed snake_case columns and
``attrs["kind"]`` and ``attrs["notes"]`` (the method and n, printed under the
table by the writers). :func:`format_table` turns one into display text;
:func:`write_tables` writes a set of them to ``.xlsx``, ``.csv``, ``.md`` or
``.html``.

Examples
--------
>>> import pandas as pd
>>> import helpstats as hs
>>> long = pd.DataFrame({"pid": [1, 1, 2, 2, 3], "wave": [0, 1, 0, 1, 0],
...                      "arm": ["a", "a", "b", "b", "b"]})
>>> att = hs.attrition_table(long, id="pid", wave="wave", by="arm")
>>> att[["group", "wave", "enrolled", "observed", "lost"]]
     group  wave  enrolled  observed  lost
0        a     0         1         1     0
1        a     1         1         1     0
2        b     0         2         2     0
3        b     1         2         1     1
4  Overall     0         3         3     0
5  Overall     1         3         2     1
"""

from __future__ import annotations

from ._attrition import attrition_table
from ._format import format_p, format_table
from ._model import FitLike, model_table, outcome_table
from ._reliability import reliability_table
from ._table_one import table_one
from ._write import write_tables

__all__ = [
    "FitLike",
    "attrition_table",
    "format_p",
    "format_table",
    "model_table",
    "outcome_table",
    "reliability_table",
    "table_one",
    "write_tables",
]
