"""SPSS ``.sav`` / ``.zsav`` files, read with pyreadstat.

Value labels go to ``Export.value_labels``, variable labels to
``Export.questions``. User-missing values and ranges are read as missing and
listed in ``Export.missing_codes`` (a range as a ``(low, high)`` tuple); how many
cells each column lost to them is in ``Export.source.missing_cells``. Numeric
columns whose values are all whole numbers below 10^9 become ``int64``
(``float64`` when some cells are missing), as for CSV.

Examples
--------
>>> import pathlib, tempfile
>>> import pandas as pd, pyreadstat
>>> from helpstats.io.spss import read_spss
>>> p = str(pathlib.Path(tempfile.mkdtemp()) / "s.sav")
>>> pyreadstat.write_sav(pd.DataFrame({"q1": [1.0, 9.0, 2.0]}), p,
...                      variable_value_labels={"q1": {1: "No", 2: "Yes", 9: "Refused"}},
...                      missing_ranges={"q1": [9]})
>>> exp = read_spss(p)
>>> exp.data["q1"].tolist(), exp.missing_codes, exp.value_labels["q1"][9]
([1.0, nan, 2.0], {'q1': (9,)}, 'Refused')
"""

from __future__ import annotations

from pathlib import Path

from ._export import Export
from ._readstat import read_readstat

__all__ = ["read_spss"]


def read_spss(path: str | Path) -> Export:
    """Read an SPSS ``.sav`` or compressed ``.zsav`` file; ``format`` is ``"spss"``."""
    import pyreadstat  # imported on first use: it is slow to import

    return read_readstat(path, pyreadstat.read_sav, "an SPSS .sav/.zsav file", "spss")
