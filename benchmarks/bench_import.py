"""Speed and memory of read_export against pandas' own readers, same files, same run.

Three tables:

1. **CSV time** (``--rows``, default 200,000): a Qualtrics-style CSV (3 header rows:
   export tags, question text, ImportId JSON) with metadata columns, a response ID, 30
   Likert items (1-5, 5 % blank), a decimal score, a numeric ID embedded-data column and a
   sparse free-text column; ``hs.read_export(path)`` against ``pandas.read_csv(path,
   skiprows=[1, 2])`` (which infers types but keeps no question texts and does not guard
   IDs). A second file has zero-padded IDs (``004711``), which read_export keeps exact.
2. **CSV time and peak memory at ``--memory-rows``** (default 1,000,000): the same
   Qualtrics-style file, each reader in a fresh interpreter (Linux); memory is the growth of
   the process's peak resident set while reading (``VmHWM``, reset after the imports, minus
   the resident set before reading).
3. **xlsx** (``--xlsx-rows``, default 50,000): the same columns as an Excel workbook
   (dates as Excel dates, numbers as numbers, the padded ID as text);
   ``hs.read_export`` against ``pandas.read_excel`` with ``engine="openpyxl"`` and with
   ``engine="calamine"``.

Targets (issue 17): CSV <= 1.5x pandas.read_csv in time and in peak memory; xlsx <= 1.5x
``pandas.read_excel(engine="calamine")``. Ratios are computed within one run (the machine
is shared: the load average is printed at the start and the end).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_import.py [--rows N] [--memory-rows N]
[--xlsx-rows N] [--repeat R] [--no-openpyxl] [--skip csv|memory|xlsx ...] [--one-core]``

pandas parses a file path on a second thread when one is free (with an integer
``skiprows``); ``--one-core`` pins everything to one CPU to show the figures without it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import helpstats as hs  # noqa: E402

N_ITEMS = 30


def make_frame(n: int, seed: int = 1, padded_ids: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {
        "StartDate": np.repeat("2024-01-01 10:00:00", n),
        "EndDate": np.repeat("2024-01-01 10:09:00", n),
        "Status": np.zeros(n, dtype=int).astype(str),
        "Progress": rng.integers(0, 101, n).astype(str),
        "Duration (in seconds)": rng.integers(10, 5000, n).astype(str),
        "Finished": rng.integers(0, 2, n).astype(str),
        "ResponseId": np.char.add("R_", rng.integers(10**9, 10**10, n).astype(str)),
    }
    for i in range(1, N_ITEMS + 1):
        v = rng.integers(1, 6, n).astype(str).astype(object)
        v[rng.random(n) < 0.05] = ""
        cols[f"Q{i}"] = v
    cols["SC0"] = np.round(rng.normal(10, 3, n), 2).astype(str)
    ids = rng.integers(1000, 99999, n)
    cols["pid"] = np.char.zfill(ids.astype(str), 6) if padded_ids else ids.astype(str)
    cols["comment"] = np.where(rng.random(n) < 0.9, "", "some text, with a comma")
    return pd.DataFrame(cols)


def make_export(path: Path, n: int, seed: int = 1, padded_ids: bool = False) -> None:
    frame = make_frame(n, seed, padded_ids)
    names = list(frame.columns)
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(",".join(names) + "\n")
        f.write(",".join(f'"Question text of {c}"' for c in names) + "\n")
        f.write(",".join(f'"{{""ImportId"":""QID{i}""}}"' for i in range(len(names))) + "\n")
        frame.to_csv(f, index=False, header=False)


def make_workbook(path: Path, n: int, seed: int = 1) -> None:
    """The Qualtrics-style columns as an Excel workbook: one header row, typed cells."""
    import openpyxl

    rng = np.random.default_rng(seed)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("responses")
    names = ["ResponseId", "StartDate", "Progress", "Duration (in seconds)",
             *[f"Q{i}" for i in range(1, N_ITEMS + 1)], "SC0", "pid", "comment"]
    sheet.append(names)
    likert = rng.integers(1, 6, (n, N_ITEMS)).astype(object)
    likert[rng.random((n, N_ITEMS)) < 0.05] = None
    minutes = rng.integers(0, 60 * 24 * 365, n)
    progress, duration = rng.integers(0, 101, n), rng.integers(10, 5000, n)
    score = np.round(rng.normal(10, 3, n), 2)
    pid, response = rng.integers(1000, 99999, n), rng.integers(10**9, 10**10, n)
    comment = rng.random(n) < 0.1
    start = dt.datetime(2024, 1, 1, 9)
    for i in range(n):
        sheet.append([f"R_{response[i]}", start + dt.timedelta(minutes=int(minutes[i])),
                      int(progress[i]), int(duration[i]), *likert[i].tolist(), float(score[i]),
                      f"{pid[i]:06d}", "some text, with a comma" if comment[i] else None])
    book.save(path)


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


_MEASURE = """
import json, sys, time
sys.path.insert(0, {root!r})
import pandas as pd
import helpstats as hs

def status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

path = {path!r}
if {reader!r} == "helpstats":
    read = lambda: hs.read_export(path)
else:
    read = lambda: pd.read_csv(path, skiprows=[1, 2])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak resident set (VmHWM) to the current one
before = status("VmRSS")
start = time.perf_counter()
frame = read()
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "peak_mib": (status("VmHWM") - before) / 1024}}))
"""


def measure_in_fresh_process(path: Path, reader: str) -> dict[str, float]:
    code = _MEASURE.format(root=str(ROOT), path=str(path), reader=reader)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def csv_table(tmp: Path, n: int, repeat: int) -> None:
    rows = []
    for label, padded in (("Qualtrics-style", False), ("same, zero-padded IDs", True)):
        path = tmp / f"qualtrics_{padded}.csv"
        make_export(path, n, padded_ids=padded)
        exp = hs.read_export(path)
        assert exp.format == "qualtrics" and len(exp.data) == n
        t_pandas = best_of(lambda p=path: pd.read_csv(p, skiprows=[1, 2]), repeat)
        t_hs = best_of(lambda p=path: hs.read_export(p), repeat)
        # information: pandas' fastest form of the call (an integer skiprows, no header
        # names, only empty cells missing), which keeps even fewer of the file's rules
        t_fast = best_of(lambda p=path: pd.read_csv(p, header=None, skiprows=3,
                                                    keep_default_na=False, na_values=[""]),
                         repeat)
        rows.append((label, t_pandas, t_hs, t_fast))
        size = path.stat().st_size / 2**20
    print(f"CSV: {n:,} rows x {exp.data.shape[1]} columns, {size:.1f} MiB per file; "
          f"best of {repeat}")
    print()
    print("| file | pandas.read_csv s | read_export s | ratio | pandas, integer skiprows s | "
          "ratio to it |")
    print("|---|---|---|---|---|---|")
    for label, t_pandas, t_hs, t_fast in rows:
        print(f"| {label} | {t_pandas:.2f} | {t_hs:.2f} | {t_hs / t_pandas:.2f} | "
              f"{t_fast:.2f} | {t_hs / t_fast:.2f} |")
    print()


def memory_table(tmp: Path, n: int, repeat: int) -> None:
    path = tmp / "memory.csv"
    make_export(path, n)
    size = path.stat().st_size / 2**20
    runs: dict[str, list[dict[str, float]]] = {"pandas": [], "helpstats": []}
    for _ in range(repeat):  # alternate, so both see the same load
        for reader in runs:
            runs[reader].append(measure_in_fresh_process(path, reader))
    best = {r: (min(x["seconds"] for x in v), min(x["peak_mib"] for x in v))
            for r, v in runs.items()}
    print(f"CSV, fresh interpreter per read: {n:,} rows, {size:.0f} MiB; best of {repeat} "
          "(time) and smallest peak-memory growth")
    print()
    print("| reader | seconds | peak memory growth MiB |")
    print("|---|---|---|")
    print(f"| pandas.read_csv | {best['pandas'][0]:.2f} | {best['pandas'][1]:.0f} |")
    print(f"| hs.read_export | {best['helpstats'][0]:.2f} | {best['helpstats'][1]:.0f} |")
    print(f"| ratio | {best['helpstats'][0] / best['pandas'][0]:.2f} | "
          f"{best['helpstats'][1] / best['pandas'][1]:.2f} |")
    print()


def xlsx_table(tmp: Path, n: int, repeat: int, openpyxl: bool) -> None:
    path = tmp / "responses.xlsx"
    started = time.perf_counter()
    make_workbook(path, n)
    written = time.perf_counter() - started
    exp = hs.read_export(path)
    assert exp.format == "excel" and exp.data.shape == (n, N_ITEMS + 7)
    assert exp.data["pid"].str.len().eq(6).all()  # the padded IDs stay text
    timings = {}
    for _ in range(repeat):  # alternate, so all see the same load
        for label, fn in (
            ("pandas.read_excel, calamine", lambda: pd.read_excel(path, engine="calamine")),
            ("hs.read_export", lambda: hs.read_export(path)),
        ):
            timings[label] = min(timings.get(label, np.inf), best_of(fn, 1))
    if openpyxl:
        timings["pandas.read_excel, openpyxl"] = best_of(
            lambda: pd.read_excel(path, engine="openpyxl"), 1)
    base = timings["pandas.read_excel, calamine"]
    print(f"xlsx: {n:,} rows x {exp.data.shape[1]} columns, {path.stat().st_size / 2**20:.1f} "
          f"MiB (written in {written:.0f} s); best of {repeat} (openpyxl: one run)")
    print()
    print("| reader | seconds | ratio to read_excel calamine |")
    print("|---|---|---|")
    for label, seconds in timings.items():
        print(f"| {label} | {seconds:.2f} | {seconds / base:.2f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-openpyxl", action="store_true",
                        help="skip pandas.read_excel(engine='openpyxl') (about a minute)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["csv", "memory", "xlsx"])
    parser.add_argument("--one-core", action="store_true",
                        help="pin this process and its fresh interpreters to one CPU (Linux): "
                             "the figures of a machine with no core to spare")
    args = parser.parse_args()
    if args.one_core:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # inherited by subprocesses
        print("pinned to one CPU")
    print(f"load average at start: {load()}")
    print()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if "csv" not in args.skip:
            csv_table(tmp, args.rows, args.repeat)
        if "memory" not in args.skip:
            memory_table(tmp, args.memory_rows, args.repeat)
        if "xlsx" not in args.skip:
            xlsx_table(tmp, args.xlsx_rows, args.repeat, not args.no_openpyxl)
    print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()
