"""Speed of read_export on a 200,000-row Qualtrics-style export vs a bare pandas.read_csv.

Writes a Qualtrics CSV (3 header rows: export tags, question text, ImportId JSON) with
metadata columns, a response ID, 30 Likert items (1-5, 5 % blank), a decimal score, a
numeric ID embedded-data column and a sparse free-text column, then times, in the same
run, ``helpstats.read_export(path)`` and ``pandas.read_csv(path, skiprows=[1, 2])`` (which
infers types but keeps no question texts and does not guard IDs). Target: ratio <= 2.

A second file has zero-padded IDs (``004711``): read_export then re-reads the numeric
columns as text to keep such values exact (pandas turns them into 4711), which is slower;
that row is reported for information.

Run: ``python benchmarks/bench_import.py [n_rows]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import helpstats as hs


def make_export(path: Path, n: int, seed: int = 1, padded_ids: bool = False) -> None:
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {
        "StartDate": np.repeat("2024-01-01 10:00:00", n),
        "EndDate": np.repeat("2024-01-01 10:09:00", n),
        "Status": np.zeros(n, dtype=int).astype(str),
        "Progress": rng.integers(0, 101, n).astype(str),
        "Duration (in seconds)": rng.integers(10, 5000, n).astype(str),
        "Finished": rng.integers(0, 2, n).astype(str),
        "ResponseId": np.char.add("R_", rng.integers(10**9, 10**10, n).astype(str)),
    }
    for i in range(1, 31):
        v = rng.integers(1, 6, n).astype(str).astype(object)
        v[rng.random(n) < 0.05] = ""
        cols[f"Q{i}"] = v
    cols["SC0"] = np.round(rng.normal(10, 3, n), 2).astype(str)
    ids = rng.integers(1000, 99999, n)
    cols["pid"] = np.char.zfill(ids.astype(str), 6) if padded_ids else ids.astype(str)
    cols["comment"] = np.where(rng.random(n) < 0.9, "", "some text, with a comma")
    frame = pd.DataFrame(cols)
    names = list(frame.columns)
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(",".join(names) + "\n")
        f.write(",".join(f'"Question text of {c}"' for c in names) + "\n")
        f.write(",".join(f'"{{""ImportId"":""QID{i}""}}"' for i in range(len(names))) + "\n")
        frame.to_csv(f, index=False, header=False)


def best_of(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, padded in (("Qualtrics-style", False), ("same, zero-padded IDs", True)):
            path = Path(tmp) / f"qualtrics_{padded}.csv"
            make_export(path, n, padded_ids=padded)
            exp = hs.read_export(path)
            assert exp.format == "qualtrics" and len(exp.data) == n
            t_pandas = best_of(lambda p=path: pd.read_csv(p, skiprows=[1, 2]), 3)
            t_hs = best_of(lambda p=path: hs.read_export(p), 3)
            rows.append((label, t_pandas, t_hs))
            size = path.stat().st_size / 2**20
    print(f"{n:,} rows x {exp.data.shape[1]} columns, {size:.1f} MiB per file; best of 3 runs")
    print()
    print("| file | pandas.read_csv s | read_export s | ratio |")
    print("|---|---|---|---|")
    for label, t_pandas, t_hs in rows:
        print(f"| {label} | {t_pandas:.2f} | {t_hs:.2f} | {t_hs / t_pandas:.2f} |")
    print()
    ratio = rows[0][2] / rows[0][1]
    print(f"target (Qualtrics-style): ratio <= 2.00 -> {'met' if ratio <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
