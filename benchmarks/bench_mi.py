"""Speed of multiple imputation + pooled fit: helpstats vs mice + lme4 + pooling (R), same data.

A 2,000-participant, 4-wave, 2-arm study with two instrument totals (PHQ-9, GAD-7) and
monotone MAR dropout. Both sides impute in wide form (one row per participant, each wave's
totals predicted from the other waves and arm) with predictive mean matching, m = 20 and
the same number of iterations, then fit `phq9_total ~ arm * visit + (1 | pid)` to each
completed long frame and pool with Rubin's rules. R is timed only when Rscript with mice
and lme4 is on the PATH. Prints one table; the figure to read is the time ratio.

    python benchmarks/bench_mi.py [--n 2000] [--m 20] [--iterations 10]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import helpstats as hs

R_SCRIPT = textwrap.dedent("""
    suppressPackageStartupMessages({library(mice); library(lme4); library(mitml)})
    args <- commandArgs(TRUE); m <- as.integer(args[2]); maxit <- as.integer(args[3])
    long <- read.csv(args[1])
    started <- proc.time()[["elapsed"]]
    wide <- reshape(long[, c("pid", "wave", "arm", "phq9_total", "gad7_total")], idvar = c("pid", "arm"),
                    timevar = "wave", direction = "wide")
    wide$arm <- factor(wide$arm)
    imp <- mice(wide[, -1], m = m, maxit = maxit, method = "pmm", printFlag = FALSE, seed = 1)
    fits <- lapply(seq_len(m), function(i) {
      w <- cbind(pid = wide$pid, complete(imp, i))
      l <- reshape(w, direction = "long", varying = setdiff(names(w), c("pid", "arm")), sep = ".",
                   idvar = "pid", timevar = "wave")
      l$visit <- factor(l$wave)
      lmer(phq9_total ~ arm * visit + (1 | pid), data = l)
    })
    pooled <- testEstimates(qhat = sapply(fits, fixef), uhat = lapply(fits, function(f) as.matrix(vcov(f))))
    cat(sprintf("R_SECONDS %.3f\\n", proc.time()[["elapsed"]] - started))
    cat(sprintf("R_ESTIMATE %.6f\\n", pooled$estimates[nrow(pooled$estimates), 1]))
""")


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    person = rng.normal(scale=3, size=n)
    rows = []
    present = np.ones(n, dtype=bool)
    prev = np.zeros(n)
    for w in range(4):
        phq = np.clip(np.round(12 + person - 1.2 * w * arm + rng.normal(scale=3, size=n)), 0, 27)
        gad = np.clip(np.round(0.6 * phq + rng.normal(scale=2.5, size=n)), 0, 21)
        if w:
            present &= rng.random(n) > 1 / (1 + np.exp(-(-2.2 + 0.15 * (prev - 12))))
        for i in range(n):
            rows.append((f"P{i:05d}", w, "peer" if arm[i] else "usual",
                         phq[i] if present[i] else np.nan, gad[i] if present[i] else np.nan))
        prev = phq
    return pd.DataFrame(rows, columns=["pid", "wave", "arm", "phq9_total", "gad7_total"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--m", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args()
    data = simulate(args.n, 7)
    data["visit"] = pd.Categorical(data["wave"])
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    imp = hs.impute(data, m=args.m, id="pid", wave="wave", columns=["phq9_total", "gad7_total"],
                    auxiliary=["arm", "visit"], seed=1, iterations=args.iterations)
    pooled = imp.fit(hs.fit_mixed, "phq9_total ~ arm * visit + (1 | pid)")
    hs_seconds = time.perf_counter() - started
    rows = [{"tool": "helpstats impute + fit_mixed + pool", "seconds": hs_seconds,
             "last coefficient": float(pooled.fixed["estimate"].iloc[-1])}]
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "long.csv"
            data.drop(columns="visit").to_csv(path, index=False)
            script = Path(tmp) / "bench.R"
            script.write_text(R_SCRIPT)
            out = subprocess.run(["Rscript", str(script), str(path), str(args.m), str(args.iterations)],
                                 capture_output=True, text=True, check=False)
            values = dict(line.split(" ", 1) for line in out.stdout.splitlines() if line.startswith("R_"))
            if "R_SECONDS" in values:
                rows.append({"tool": "R mice + lmer + mitml pool", "seconds": float(values["R_SECONDS"]),
                             "last coefficient": float(values["R_ESTIMATE"])})
            else:
                print("R failed:", out.stderr[-800:])
    table = pd.DataFrame(rows)
    table["ratio to helpstats"] = table["seconds"] / hs_seconds
    print(f"n = {args.n} participants x 4 waves, 2 totals, m = {args.m}, {args.iterations} iterations; "
          f"{int(data['phq9_total'].isna().sum())} missing PHQ-9 totals")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
