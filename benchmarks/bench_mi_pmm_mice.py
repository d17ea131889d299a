"""Is PMM's bias under strong MAR dropout helpstats' or PMM's? The same simulated trials
(benchmarks/bench_mi_validity.py's design) imputed by helpstats and by R's mice.

For each replication the arm difference at the last wave is taken from each completed
data set (the difference of the arm means at wave 3, which the mixed model's contrast
equals when every participant has every wave) and averaged over the m imputations.
Prints the bias (residual SD units) and its Monte Carlo SE for helpstats pmm, mice pmm
and mice norm. Needs Rscript with mice; run by hand:

    python benchmarks/bench_mi_pmm_mice.py --replications 30 --n 400
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np
from bench_mi_validity import TRUE_DIFF, simulate

import helpstats as hs

R_SCRIPT = r"""
suppressMessages(library(mice))
args <- commandArgs(TRUE); folder <- args[1]; R <- as.integer(args[2]); m <- as.integer(args[3])
for (meth in c("pmm", "norm")) {
  out <- numeric(R)
  for (r in 0:(R - 1)) {
    d <- read.csv(file.path(folder, sprintf("d%d.csv", r))); d$pid <- NULL; d$arm <- factor(d$arm)
    imp <- mice(d, m = m, maxit = 10, method = meth, printFlag = FALSE, seed = r + 1)
    e <- sapply(1:m, function(i) { x <- complete(imp, i)
      mean(x$y3[x$arm == "peer"]) - mean(x$y3[x$arm == "usual"]) })
    out[r + 1] <- mean(e)
  }
  cat(sprintf("mice %s\t%.4f\t%.4f\n", meth, mean(out) - %TRUE%, sd(out) / sqrt(R)))
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--m", type=int, default=10)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        estimates = []
        for r in range(args.replications):
            _, data = simulate(args.n, rng)
            wide = data.pivot(index="pid", columns="wave", values="y")
            wide.columns = [f"y{c}" for c in wide.columns]
            wide["arm"] = data.groupby("pid", observed=True)["arm"].first().astype(str)
            wide.to_csv(Path(folder) / f"d{r}.csv")
            imp = hs.impute(data, m=args.m, id="pid", wave="wave", columns=["y"],
                            auxiliary=["arm"], seed=r, iterations=10, method="pmm")
            per_set = []
            for frame in imp.completed:
                last = frame[frame["wave"] == 3]
                per_set.append(last.loc[last["arm"] == "peer", "y"].mean()
                               - last.loc[last["arm"] == "usual", "y"].mean())
            estimates.append(np.mean(per_set))
        est = np.array(estimates)
        print("method\tbias\tMC SE")
        print(f"helpstats pmm\t{est.mean() - TRUE_DIFF:.4f}\t{est.std(ddof=1) / np.sqrt(len(est)):.4f}")
        script = Path(folder) / "mice.R"
        script.write_text(R_SCRIPT.replace("%TRUE%", f"({TRUE_DIFF})"))
        print(subprocess.run(["Rscript", str(script), folder, str(args.replications), str(args.m)],
                             check=True, capture_output=True, text=True).stdout, end="")


if __name__ == "__main__":
    main()
