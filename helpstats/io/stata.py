"""Stata ``.dta`` files, read with pyreadstat.

Value labels go to ``Export.value_labels``, variable labels to
``Export.questions``; Stata's missing values (``.``, ``.a`` ... ``.z``) are missing.

Examples
--------
>>> import pathlib, tempfile
>>> import pandas as pd
>>> from helpstats.io.stata import read_stata
>>> p = pathlib.Path(tempfile.mkdtemp()) / "d.dta"
>>> pd.DataFrame({"pid": [1, 2], "sex": [0, 1]}).to_stata(
...     p, write_index=False, value_labels={"sex": {0: "male", 1: "female"}})
>>> exp = read_stata(p)
>>> exp.format, exp.value_labels["sex"]
('stata', {0: 'male', 1: 'female'})
"""

from __future__ import annotations

from pathlib import Path

from ._export import Export
from ._readstat import read_readstat

__all__ = ["read_stata"]


def read_stata(path: str | Path) -> Export:
    """Read a Stata ``.dta`` file; ``format`` is ``"stata"``."""
    import pyreadstat  # imported on first use: it is slow to import

    return read_readstat(path, pyreadstat.read_dta, "a Stata .dta file", "stata")
