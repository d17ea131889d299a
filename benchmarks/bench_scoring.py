"""Benchmark: score 1,000,000 PHQ-9 administrations against a bare NumPy sum.

Run ``python benchmarks/bench_scoring.py [--rows N] [--repeat R]``. The two are timed in
alternation, R times each, so both see the same machine load; the table gives the best time of
each and the median of the R paired ratios (target: helpstats within 5x of bare NumPy).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import helpstats as hs


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    codes = rng.integers(0, 4, size=(args.rows, 9)).astype(float)
    codes[rng.random(codes.shape) < 0.01] = np.nan  # 1% missing answers
    frame = pd.DataFrame(codes, columns=[f"phq9_{n}" for n in range(1, 10)])
    hs.score(frame.head(10), "phq9")  # load the definition once, outside the timing

    bare_times, scored_times = [], []
    for _ in range(args.repeat):
        bare_times.append(timed(lambda: np.nansum(codes, axis=1)))
        scored_times.append(timed(lambda: hs.score(frame, "phq9")))
    ratios = sorted(s / b for s, b in zip(scored_times, bare_times, strict=True))
    median_ratio = ratios[len(ratios) // 2]
    print(f"PHQ-9 scoring, {args.rows:,} rows x 9 items, {args.repeat} alternating runs")
    print(f"{'what':<40} {'best s':>10} {'median ratio':>14}")
    print(f"{'bare NumPy nansum of the item array':<40} {min(bare_times):>10.4f} {1.0:>14.2f}")
    label = 'hs.score(frame, "phq9")'
    print(f"{label:<40} {min(scored_times):>10.4f} {median_ratio:>14.2f}")


if __name__ == "__main__":
    main()
