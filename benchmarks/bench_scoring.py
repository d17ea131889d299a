"""Benchmark: score PHQ-9 administrations (1,000,000 and 10,000,000) against a bare NumPy sum.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_scoring.py [--rows N [N ...]] [--repeat R]``.
For each size the two are timed in alternation, R times each, so both see the same machine
load; the table gives the best time of each and the median of the R paired ratios (target,
issue 17: helpstats within 5x of bare NumPy at 1M and at 10M rows).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

import helpstats as hs


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(rows: int, repeat: int) -> tuple[float, float, float]:
    """Best bare seconds, best hs.score seconds and the median paired ratio at ``rows``."""
    rng = np.random.default_rng(2026)
    codes = rng.integers(0, 4, size=(rows, 9)).astype(float)
    codes[rng.random(codes.shape) < 0.01] = np.nan  # 1% missing answers
    frame = pd.DataFrame(codes, columns=[f"phq9_{n}" for n in range(1, 10)])
    hs.score(frame.head(10), "phq9")  # load the definition once, outside the timing

    bare_times, scored_times = [], []
    for _ in range(repeat):
        bare_times.append(timed(lambda: np.nansum(codes, axis=1)))
        scored_times.append(timed(lambda: hs.score(frame, "phq9")))
    ratios = sorted(s / b for s, b in zip(scored_times, bare_times, strict=True))
    return min(bare_times), min(scored_times), ratios[len(ratios) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the prorating rule's provisional-status warning
    print(f"PHQ-9 scoring, 9 items, 1% missing, {args.repeat} alternating runs per size; "
          "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print()
    print("| rows | bare NumPy nansum best s | hs.score best s | median paired ratio |")
    print("|---|---|---|---|")
    for rows in args.rows:
        bare, scored, ratio = measure(rows, args.repeat)
        print(f"| {rows:,} | {bare:.4f} | {scored:.4f} | {ratio:.2f} |", flush=True)
    print()
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
