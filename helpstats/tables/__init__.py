"""Trial tables: numeric DataFrames first, formatted only by the writers.

Every builder returns a plain DataFrame with fixed snake_case columns (the
numbers) and declares its display layout in ``attrs["layout"]``, with
``attrs["notes"]`` (the method and n, printed under the table) and
``attrs["labels"]``. :func:`compose` turns a table into the composed table
(panels of typed cells, labels, notes) that every writer renders the same
way; :func:`format_table` gives it as text; :func:`write_tables` writes a set
of tables to ``.xlsx``, ``.docx``, ``.tex``, ``.md``, ``.html`` or a CSV
folder. Labels of variables and levels come from one lookup, :class:`Labels`
(study file, instruments, column names).

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
from ._labels import Labels
from ._layout import Cell, Composed, Panel, compose
from ._model import FitLike, model_table, outcome_table
from ._reliability import reliability_table
from ._table_one import table_one
from ._write import html_table, markdown_table, write_tables

__all__ = [
    "Cell",
    "Composed",
    "FitLike",
    "Labels",
    "Panel",
    "attrition_table",
    "compose",
    "format_p",
    "format_table",
    "html_table",
    "markdown_table",
    "model_table",
    "outcome_table",
    "reliability_table",
    "table_one",
    "write_tables",
]
