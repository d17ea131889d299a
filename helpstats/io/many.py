"""``read_exports``: several exports of one layout (a glob or a list) as one Export."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence

import pandas as pd

from ..errors import ExportError
from ._export import Export, Source

__all__ = ["read_exports"]


def read_exports(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], format: str = "auto", *,
                 encoding: str | None = None, engine: str = "pandas",
                 blocksize: int | str = "64MiB") -> Export:
    """Read several exports with the same columns and stack their rows in file order.

    Parameters
    ----------
    paths : str, path or list
        A glob pattern (``"sessions/*.csv"``, matches sorted) or a list of files.
    format, encoding : str, optional
        As for :func:`helpstats.read_export`.
    engine : {"pandas", "dask"}
        ``"dask"`` gives a lazy Dask DataFrame (see :func:`helpstats.read_export`).
    blocksize : int or str
        Block size of ``engine="dask"``.

    Returns
    -------
    Export
        Rows numbered 0, 1, ... across the files; ``source.path`` lists the
        files joined by ``;`` and ``source.notes`` holds every file's notes.

    Raises
    ------
    helpstats.errors.ExportError
        No file matches, or the files differ in columns or format.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import helpstats as hs
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("id,phq9_1\\n1,2\\n")
    >>> _ = (folder / "b.csv").write_text("id,phq9_1\\n2,3\\n")
    >>> hs.read_exports(str(folder / "*.csv")).data.to_dict("list")
    {'id': [1, 2], 'phq9_1': [2, 3]}
    """
    if engine == "dask":
        from .._dask.read import read_exports_dask

        return read_exports_dask(paths, format=format, encoding=encoding, blocksize=blocksize)
    if engine != "pandas":
        raise ExportError(f"engine={engine!r}; expected 'pandas' or 'dask'.")
    from .read import read_export

    files = sorted(glob.glob(os.fspath(paths))) if isinstance(paths, str | os.PathLike) else \
        [os.fspath(p) for p in paths]
    if not files:
        raise ExportError(f"no file matches {paths!r}.")
    exports = [read_export(f, format=format, encoding=encoding) for f in files]
    first = exports[0]
    for other in exports[1:]:
        if list(other.data.columns) != list(first.data.columns) or other.format != first.format:
            raise ExportError(f"{other.source.path}: its columns or format differ from "
                              f"{first.source.path}; read_exports stacks files of one layout only.")
    data = pd.concat([e.data for e in exports], ignore_index=True)
    source = Source(path=";".join(files), sheet=None, encoding=first.source.encoding,
                    delimiter=first.source.delimiter, rows_read=len(data),
                    header_rows=first.source.header_rows,
                    notes=tuple(n for e in exports for n in e.source.notes))
    return Export(data=data, format=first.format, source=source, questions=dict(first.questions),
                  value_labels={k: dict(v) for k, v in first.value_labels.items()},
                  missing_codes={k: tuple(v) for k, v in first.missing_codes.items()})
