"""Registry scale: score, validate and summarise a large session file on Dask (run by hand).

Generates a PHQ-9 + GAD-7 session file (referral, service, session, 16 items) as Parquet,
then on a local cluster of 2 workers limited to --memory each: validates it, scores it,
computes reliable-change counts by service (first vs last session of each referral is the
registry rule; here consecutive rows stand in for it), and writes the scores to Parquet.
The same steps run with pandas on the largest size that fits in memory (--pandas-rows).
Prints rows/s for both and the workers' peak memory.

    python benchmarks/bench_registry.py --rows 50000000 --pandas-rows 5000000

``--cli-rows N`` (default 1,000,000) also times the command line on an N-row CSV export
(referral, service, 16 items): ``helpstats score BIG.csv -i phq9 -i gad7 -o scored.parquet
--engine dask --workers 2 --memory-limit 2GB`` (a local cluster, as a user runs it) and, for
reference, the pandas path ``-o scored.csv``; each with the peak resident memory of its
largest process (the command or one of its workers). ``--cli-rows 0`` skips it;
``--only-cli`` runs only it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import helpstats as hs

ITEMS = [f"phq9_{k}" for k in range(1, 10)] + [f"gad7_{k}" for k in range(1, 8)]


def chunk(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    severity = rng.normal(size=n)
    frame = pd.DataFrame({"referral": rng.integers(0, n // 8 + 1, n),
                          "service": rng.integers(0, 50, n).astype("int16")})
    for item in ITEMS:
        frame[item] = np.clip(np.round(1.3 + severity + rng.normal(size=n)), 0, 3).astype("int8")
    return frame


def write_parquet(folder: Path, rows: int, per_file: int = 2_000_000) -> None:
    folder.mkdir(parents=True)
    done, k = 0, 0
    while done < rows:
        n = min(per_file, rows - done)
        chunk(n, k).to_parquet(folder / f"part-{k:04d}.parquet", index=False)
        done, k = done + n, k + 1


def summarise(scores: pd.DataFrame, service: pd.Series) -> pd.DataFrame:
    change = hs.reliable_change(scores["phq9_total"], scores["phq9_total"].shift(1).fillna(0.0),
                                sd=5.7, reliability=0.84, higher_is="worse")
    return change[["category"]].assign(service=service)


def run_dask(folder: Path, out: Path, memory: str) -> tuple[float, float]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, memory_limit=memory,
                               dashboard_address=None)
    with cluster, Client(cluster) as client:
        started = time.perf_counter()
        # persisted: the partitions stay fixed whatever columns a step reads (Dask would
        # otherwise re-plan a column projection into other partitions, which then don't align)
        data = dd.read_parquet(str(folder)).persist()
        hs.validate(data, ["phq9", "gad7"])
        scores = hs.score(data, ["phq9", "gad7"])
        summarise(scores, data["service"]).groupby(["service", "category"],
                                                            observed=True).size().compute()
        scores.to_parquet(str(out), write_index=False)
        seconds = time.perf_counter() - started
        peak = max(w["metrics"]["memory"] for w in client.scheduler_info()["workers"].values())
    return seconds, peak / 2**30


def run_pandas(rows: int) -> float:
    data = chunk(rows, 99)
    started = time.perf_counter()
    hs.validate(data, ["phq9", "gad7"])
    scores = hs.score(data, ["phq9", "gad7"])
    summarise(scores, data["service"]).groupby(["service", "category"], observed=True).size()
    return time.perf_counter() - started


def run_cli(folder: Path, rows: int, memory: str) -> pd.DataFrame:
    """Time ``helpstats score`` on a ``rows``-row CSV export, Dask and pandas engines."""
    export = folder / "sessions.csv"
    done, k = 0, 0
    while done < rows:  # written in chunks, as a registry export would be
        n = min(1_000_000, rows - done)
        chunk(n, 100 + k).to_csv(export, mode="a", header=k == 0, index=False)
        done, k = done + n, k + 1
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    base = [sys.executable, "-m", "helpstats", "score", str(export), "-i", "phq9", "-i", "gad7"]
    runs = [("dask, 2 workers x " + memory,
             [*base, "-o", str(folder / "scored.parquet"), "--engine", "dask", "--workers", "2",
              "--memory-limit", memory, "--no-progress"]),
            ("pandas", [*base, "-o", str(folder / "scored.csv")])]
    table = []
    for engine, command in runs:
        peak_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        done_run = subprocess.run(command, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done_run.returncode != 0:
            raise SystemExit(f"{engine}: {done_run.stderr[-2000:]}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        table.append({"command": f"helpstats score ({engine})", "rows": rows,
                      "seconds": seconds, "rows/s": rows / seconds,
                      # the largest process so far; a later, smaller run cannot lower it
                      "peak process memory GiB": (peak / 2**20 if peak > peak_before
                                                  else float("nan"))})
    size = export.stat().st_size / 2**20
    print(f"CLI on a {rows:,}-row CSV export ({size:.0f} MiB), load average "
          "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return pd.DataFrame(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--pandas-rows", type=int, default=5_000_000)
    parser.add_argument("--memory", default="2GB", help="memory limit per worker")
    parser.add_argument("--cli-rows", type=int, default=1_000_000)
    parser.add_argument("--only-cli", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        if args.cli_rows:
            cli = run_cli(tmp, args.cli_rows, args.memory)
            print(cli.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
            if args.only_cli:
                return
        started = time.perf_counter()
        write_parquet(tmp / "sessions", args.rows)
        print(f"wrote {args.rows:,} rows of Parquet in {time.perf_counter() - started:.0f} s")
        seconds, peak = run_dask(tmp / "sessions", tmp / "scored.parquet", args.memory)
        pandas_seconds = run_pandas(args.pandas_rows)
        table = pd.DataFrame([
            {"engine": "dask, 2 workers x " + args.memory, "rows": args.rows, "seconds": seconds,
             "rows/s": args.rows / seconds, "peak worker memory GiB": peak},
            {"engine": "pandas, one process", "rows": args.pandas_rows, "seconds": pandas_seconds,
             "rows/s": args.pandas_rows / pandas_seconds, "peak worker memory GiB": float("nan")},
        ])
        print(table.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
