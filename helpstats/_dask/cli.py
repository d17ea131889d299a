"""``helpstats score ... --engine dask``: score an export too big for memory, write Parquet."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import HelpstatsError
from . import require_dask

__all__ = ["score_command"]

_MIN_BLOCK = 1 << 20
_MAX_BLOCK = 64 << 20


def default_blocksize(size: int, threads: int) -> int:
    """Two blocks per worker thread, so every worker has work, of 1 MiB to 64 MiB each.

    Examples
    --------
    >>> default_blocksize(39 << 20, 2) >> 20
    9
    >>> default_blocksize(10 << 30, 2) >> 20, default_blocksize(1000, 2) >> 20
    (64, 1)
    """
    return min(_MAX_BLOCK, max(_MIN_BLOCK, -(-size // (2 * max(threads, 1)))))


@contextlib.contextmanager
def _client(address: str | None, workers: int | None, memory: str | None) -> Iterator[Any]:
    """A client of the given scheduler, or of a local cluster that is closed afterwards."""
    from distributed import Client, LocalCluster

    if address:
        with Client(address) as client:
            yield client
        return
    options: dict[str, Any] = {"threads_per_worker": 1, "dashboard_address": None,
                               "processes": True}
    if workers:
        options["n_workers"] = workers
    if memory:
        options["memory_limit"] = memory
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's notes about ports and resources
        with LocalCluster(**options) as cluster, Client(cluster) as client:
            yield client


@contextlib.contextmanager
def _data_errors(source: Path) -> Iterator[None]:
    """Library errors about the data as command-line errors, warnings printed in CLI words."""
    from ..cli import _data_error, cli_words

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except HelpstatsError as exc:
            raise _data_error(source, exc) from None
    for warning in caught:
        print(f"helpstats: warning: {source}: {cli_words(str(warning.message))}", file=sys.stderr)


def score_command(args: argparse.Namespace, error: type[HelpstatsError], *,
                  instruments: list[Any], columns: dict[str, str] | None,
                  coding: dict[str, str] | None) -> int:
    """Read the export in blocks, check every cell and write the scores as a Parquet dataset.

    ``instruments``, ``columns`` and ``coding`` are the command line's, parsed as for the
    pandas engine (so both score the same definitions from the same columns).
    """
    require_dask()
    from distributed import progress

    from .read import read_export_dask
    from .scoring import score_checked

    source = Path(args.input)
    output = Path(args.output)
    if output.suffix.lower() != ".parquet":
        raise error(f"{output}: --engine dask writes a Parquet dataset; name the output *.parquet")
    if output.exists() and not getattr(args, "overwrite", False):
        raise error(f"{output} exists; remove it or pass --overwrite")
    ids = [i.id for i in instruments]
    with _client(args.scheduler, args.workers, args.memory_limit) as client:
        blocksize = args.blocksize or default_blocksize(source.stat().st_size if source.is_file()
                                                        else 0, sum(client.nthreads().values()))
        export = read_export_dask(source, format=args.format, blocksize=blocksize,
                                  missing_codes=getattr(args, "missing_codes", None))
        # one rule for row numbers (Export.file_rows): the line a spreadsheet shows
        first = export.source.header_rows + 1
        data = export.data.map_partitions(lambda part, s=first: part.set_axis(part.index + s))
        with _data_errors(source):
            checked = score_checked(data, instruments, columns=columns, on_invalid=args.on_invalid,
                                    coding=coding)
        # into a folder beside the output, renamed when every cell is checked: an export with
        # invalid cells (or a block that cannot be read) leaves no output, or the old one
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
        try:
            job = checked.frame.to_parquet(str(partial / output.name), write_index=False,
                                           compute=False)
            with warnings.catch_warnings():  # the expression is materialised: that is the point
                warnings.filterwarnings("ignore", message="Computing mixed collections")
                futures = client.compute([job, *checked.summaries])  # one read of each block
            if not args.no_progress:
                progress(futures)
                print(file=sys.stderr)
            computed = client.gather(futures)
            with _data_errors(source):
                checked.report(computed[1:])
            if output.is_dir():
                shutil.rmtree(output)
            elif output.exists():
                output.unlink()
            (partial / output.name).rename(output)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    print(f"Scored {export.source.rows_read} rows of {source} with {', '.join(ids)} on Dask "
          f"({data.npartitions} block(s)); wrote {output}")
    return 0
