"""Simulated two-level data for the 2l.pan reference (run once; the CSV is committed)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(20261202)
clusters, per = 24, 8
n = clusters * per
group = np.repeat(np.arange(clusters), per)
arm = rng.integers(0, 2, n)
u = rng.normal(scale=1.5, size=clusters)[group]
person = rng.normal(size=n)
rows = []
for w in range(3):
    y = 10 + u + person - 0.7 * w * arm + rng.normal(size=n)
    rows.append(y)
y = np.column_stack(rows)
miss = np.zeros_like(y, dtype=bool)
miss[:, 0] = rng.random(n) < 0.15
for w in (1, 2):  # MAR on the baseline value
    miss[:, w] = rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 0.8 * (y[:, 0] - 10))))
miss[rng.random(n) < 0.12] = True  # some members miss every wave
y[miss] = np.nan
wide = pd.DataFrame({"pid": [f"P{i:03d}" for i in range(n)], "group": [f"G{g:02d}" for g in group],
                     "arm": arm, "y0": y[:, 0], "y1": y[:, 1], "y2": y[:, 2]})
wide.to_csv("twolevel_wide.csv", index=False, float_format="%.6f")
