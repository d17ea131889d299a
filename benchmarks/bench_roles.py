"""Benchmark: classify helping roles by wave against a bare pandas median split.

Run ``python benchmarks/bench_roles.py [--rows N] [--waves W] [--repeat R]``. Prints a table
with the best-of-R wall time of each and their ratio (target: helpstats within 3x of the bare
groupby-median comparison, which does no validation, missing-value accounting or rule record).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import helpstats as hs
from helpstats.roles import ROLE_DTYPE


def best_time(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def bare(frame: pd.DataFrame) -> pd.Series:
    medians = frame.groupby("wave")[["given", "received"]].transform("median")
    code = (frame["given"] > medians["given"]) * 2 + (frame["received"] > medians["received"])
    return pd.Series(pd.Categorical.from_codes(code.to_numpy(), dtype=ROLE_DTYPE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--waves", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    frame = pd.DataFrame({
        "wave": rng.integers(0, args.waves, args.rows),
        "given": rng.poisson(2.0, args.rows).astype(float),
        "received": rng.poisson(2.0, args.rows).astype(float),
    })
    expected = bare(frame)
    got = hs.classify_roles(frame, giving="given", receiving="received", by="wave")
    if not (got.to_numpy() == expected.to_numpy()).all():
        raise SystemExit("helpstats and the bare median split disagree")

    t_bare = best_time(lambda: bare(frame), args.repeat)
    t_hs = best_time(lambda: hs.classify_roles(frame, giving="given", receiving="received",
                                               by="wave"), args.repeat)
    rows = [("bare pandas groupby-median split", t_bare, 1.0),
            ("hs.classify_roles(by='wave')", t_hs, t_hs / t_bare)]
    table = pd.DataFrame(rows, columns=["method", "seconds", "ratio"])
    print(f"{args.rows:,} rows, {args.waves} waves, best of {args.repeat}")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
