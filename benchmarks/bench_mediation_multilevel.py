"""Multilevel 1-1-1 mediation with a random direct effect against nlme, and its fit time.

The test suite checks the fixed-c' stacked model against nlme; the random-c' model
(5 x 5 random-effect covariance, 16 variance parameters) takes too long there, so it is
checked here::

    python benchmarks/bench_mediation_multilevel.py

Prints helpstats' and nlme's estimates, SEs and log-likelihoods side by side and the
CPU time of the fit (reference: tests/data/helping/ml111/expected.json, from make.R).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

import helpstats as hs

REF = Path(__file__).parents[1] / "tests" / "data" / "helping" / "ml111"


def main() -> None:
    want = json.loads((REF / "expected.json").read_text())["a_random_direct"]
    data = pd.read_csv(REF / "data_a.csv")
    start = time.process_time()
    res = hs.mediate(data, "x", "m", "y", id="id", n_boot=0, random_direct=True)
    seconds = time.process_time() - start
    rows = []
    for term, path in (("dm_x", "a"), ("dy_m", "b"), ("dy_x", "direct")):
        rows.append({"path": path, "estimate": res.table.loc[path, "estimate"],
                     "nlme_estimate": want["fixed"][term], "se": res.table.loc[path, "se"],
                     "nlme_se": want["se"][term]})
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"loglik helpstats {res.details['loglik']:.6f}  nlme {want['loglik']:.6f}")
    print(f"sigma2 mediator {res.details['sigma2_mediator']:.6f} (nlme {want['sigma2_m']:.6f}), "
          f"outcome {res.details['sigma2_outcome']:.6f} (nlme {want['sigma2_y']:.6f})")
    print(f"fit: {seconds:.1f} s CPU")


if __name__ == "__main__":
    main()
