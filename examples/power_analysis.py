"""Simulation-based power of the arm x time test in a cluster-randomised peer-support trial.

Run: ``python examples/power_analysis.py`` (writes nothing). Use nsim >= 500 for a real
plan; this example keeps nsim small so that it runs in seconds.
"""

from __future__ import annotations

import helpstats as hs

table = hs.power(
    [0.02, 0.06],              # extra improvement per month in the intervention arm (latent SD)
    n_participants=80, n_groups=8, waves=(0, 1, 3, 8), attrition=0.15,
    nsim=3, seed=1, progress=False,
)
print(table[["effect", "n_participants", "nsim", "power", "mcse"]].to_string(index=False))
