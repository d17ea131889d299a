"""Plain CSV/TSV files: one header row of column names, delimiter and encoding sniffed.

Examples
--------
>>> import pathlib, tempfile
>>> from helpstats.io.delimited import read_csv_export
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.tsv"
>>> _ = p.write_text("id\\tphq9_1\\n00123\\t2\\n00124\\t\\n")
>>> exp = read_csv_export(p)
>>> exp.data.to_dict("list"), exp.source.delimiter
({'id': ['00123', '00124'], 'phq9_1': [2.0, nan]}, '\\t')
"""

from __future__ import annotations

from pathlib import Path

from ._build import build_export
from ._export import Export
from ._text import read_delimited

__all__ = ["read_csv_export"]


def read_csv_export(
    path: str | Path, *, encoding: str | None = None, data: bytes | None = None
) -> Export:
    """Read delimited text with one header row (delimiter and encoding sniffed)."""
    grid = read_delimited(path, header_rows=1, encoding=encoding, data=data)
    return build_export(grid, grid.header_row(0), "csv", path=path)

