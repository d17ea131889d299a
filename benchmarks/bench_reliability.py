"""Benchmark: hs.reliability on PHQ-9 responses against pingouin's cronbach_alpha.

Run ``python benchmarks/bench_reliability.py [--rows N] [--repeat R]``. Prints the best-of-R
wall time of pingouin's alpha (with its Feldt interval), hs.reliability with and without the
omega fit (which is most of its cost), and their ratios to pingouin. hs.reliability also
reads and validates the responses, so it does more work than pingouin.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import pingouin as pg

import helpstats as hs
from helpstats import _psychometrics


def best_time(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    trait = rng.normal(size=(args.rows, 1))
    codes = np.clip(np.round(1.2 + 0.8 * trait + rng.normal(size=(args.rows, 9))), 0, 3)
    frame = pd.DataFrame(codes, columns=[f"phq9_{n}" for n in range(1, 10)])
    hs.reliability(frame.head(50), "phq9")  # load the definition once, outside the timing

    reference = best_time(lambda: pg.cronbach_alpha(frame), args.repeat)
    full = best_time(lambda: hs.reliability(frame, "phq9"), args.repeat)
    omega_only = best_time(lambda: _psychometrics.omega_total(frame.cov().to_numpy()),
                           args.repeat)
    rows = [("pingouin.cronbach_alpha(frame)", reference, 1.0),
            ("hs.reliability(frame, 'phq9')", full, full / reference),
            ("  of which the omega fit", omega_only, omega_only / reference)]
    print(f"PHQ-9 reliability, {args.rows:,} rows x 9 items, best of {args.repeat}")
    print(f"{'what':<40} {'seconds':>10} {'ratio':>8}")
    for name, seconds, ratio in rows:
        print(f"{name:<40} {seconds:>10.4f} {ratio:>8.2f}")


if __name__ == "__main__":
    main()
