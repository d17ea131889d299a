"""Benchmark: score 1,000,000 PHQ-9 administrations against a bare NumPy sum.

Run ``python benchmarks/bench_scoring.py [--rows N] [--repeat R]``. Prints a table with the
best-of-R wall time of each and their ratio (target: helpstats within 5x of bare NumPy).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import helpstats as hs


def best_time(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    codes = rng.integers(0, 4, size=(args.rows, 9)).astype(float)
    codes[rng.random(codes.shape) < 0.01] = np.nan  # 1% missing answers
    frame = pd.DataFrame(codes, columns=[f"phq9_{n}" for n in range(1, 10)])
    hs.score(frame.head(10), "phq9")  # load the definition once, outside the timing

    bare = best_time(lambda: np.nansum(codes, axis=1), args.repeat)
    scored = best_time(lambda: hs.score(frame, "phq9"), args.repeat)
    rows = [("bare NumPy nansum of the item array", bare, 1.0),
            ("hs.score(frame, 'phq9')", scored, scored / bare)]
    print(f"PHQ-9 scoring, {args.rows:,} rows x 9 items, best of {args.repeat}")
    print(f"{'what':<40} {'seconds':>10} {'ratio':>8}")
    for name, seconds, ratio in rows:
        print(f"{name:<40} {seconds:>10.4f} {ratio:>8.2f}")


if __name__ == "__main__":
    main()
