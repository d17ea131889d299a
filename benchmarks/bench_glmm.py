"""Speed of helpstats' GLMM engine against R's glmer, same data, same run.

Simulates N participants x 4 waves of a peer-support trial (two arms, ~10% of waves
missed, seeded) with a binary remission outcome and a count outcome (e.g. supportive
messages posted), then fits

* ``remission ~ arm * wave + (1 | participant)``     binomial (logit), Laplace
* ``remission ~ arm * wave + (wave | participant)``  binomial, random slope
* ``messages ~ arm * wave + (1 | participant)``      Poisson
* ``messages ~ arm * wave + (wave | participant)``   Poisson, random slope

with helpstats (``hs.fit_glmm``) and lme4's ``glmer`` (through ``Rscript``, its default
control: what a user gets). Only the fit is timed (R: ``system.time(glmer(...))`` after
the data are read). BLAS threads are capped at one in both.

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/bench_glmm.py                 # 1,000 and 10,000
    python benchmarks/bench_glmm.py --sizes 1000 10000 100000 --no-r

Columns: ``participants, n_obs, model, tool, seconds, loglik, loglik_vs_best`` (loglik
minus the better of the two), ``hs_ratio`` (helpstats seconds / this tool's: below 1
means helpstats is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODELS = {
    "binary_intercept": ("remission ~ arm * wave + (1 | participant)", "binomial"),
    "binary_slope": ("remission ~ arm * wave + (wave | participant)", "binomial"),
    "count_intercept": ("messages ~ arm * wave + (1 | participant)", "poisson"),
    "count_slope": ("messages ~ arm * wave + (wave | participant)", "poisson"),
}


def simulate(n: int, *, waves: int = 4, missing: float = 0.1, seed: int = 11) -> pd.DataFrame:
    """Long data ``participant, arm, wave, remission, messages``.

    Random intercept sd 1.2 and slope sd 0.3 (correlation -0.2) on the logit scale for
    remission (baseline 20%, +0.35 per wave in the peer arm, +0.15 otherwise); the count
    has its own random intercept (sd 0.6) and slope (sd 0.15), mean about 3.
    """
    rng = np.random.default_rng(seed + n)
    pid = np.repeat(np.arange(1, n + 1), waves)
    wave = np.tile(np.arange(waves, dtype=float), n)
    arm = np.where(rng.random(n) < 0.5, "peer", "usual")[pid - 1]
    cov = np.array([[1.44, -0.2 * 1.2 * 0.3], [-0.2 * 1.2 * 0.3, 0.09]])
    b = rng.multivariate_normal([0, 0], cov, size=n)[pid - 1]
    peer = arm == "peer"
    eta = -1.4 + b[:, 0] + (np.where(peer, 0.35, 0.15) + b[:, 1]) * wave
    remission = (rng.random(pid.size) < 1 / (1 + np.exp(-eta))).astype(int)
    c = rng.multivariate_normal([0, 0], [[0.36, 0], [0, 0.0225]], size=n)[pid - 1]
    mu = np.exp(1.0 + c[:, 0] + (0.05 * peer + c[:, 1]) * wave)
    messages = rng.poisson(mu)
    keep = rng.random(pid.size) >= missing
    return pd.DataFrame({"participant": pid, "arm": arm, "wave": wave,
                         "remission": remission, "messages": messages})[keep]


def run_helpstats(data: pd.DataFrame, model: str) -> tuple[float, float]:
    from helpstats import fit_glmm  # imported before the clock starts

    formula, family = MODELS[model]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_glmm(data, formula, family=family)
    return time.perf_counter() - t0, fit.loglik


R_SCRIPT = r"""
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(TRUE)
d <- read.csv(args[1]); d$participant <- factor(d$participant)
fam <- get(args[3])
tm <- system.time(m <- glmer(as.formula(args[2]), d, family = fam))[["elapsed"]]
cat(jsonlite::toJSON(list(seconds = tm, loglik = as.numeric(logLik(m))), digits = NA))
"""


def run_r(path: str, model: str) -> tuple[float, float] | None:
    formula, family = MODELS[model]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_SCRIPT)
    try:
        out = subprocess.run(["Rscript", fh.name, path, formula, family], capture_output=True,
                             text=True, env=env, check=True, timeout=3600)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"  R failed: {exc}", file=sys.stderr)
        return None
    finally:
        os.unlink(fh.name)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    return float(np.ravel(res["seconds"])[0]), float(np.ravel(res["loglik"])[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--no-r", action="store_true", help="skip glmer")
    parser.add_argument("--r-max", type=int, default=10_000,
                        help="largest size timed in R (glmer takes minutes beyond)")
    args = parser.parse_args()
    have_r = shutil.which("Rscript") is not None and not args.no_r
    rows = []
    for n in args.sizes:
        data = simulate(n)
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
            data.to_csv(fh.name, index=False)
            path = fh.name
        try:
            for model in args.models:
                got: dict[str, tuple[float, float]] = {"helpstats": run_helpstats(data, model)}
                if have_r and n <= args.r_max:
                    r = run_r(path, model)
                    if r is not None:
                        got["glmer"] = r
                best = max(v[1] for v in got.values())
                for tool, (sec, ll) in got.items():
                    rows.append({"participants": n, "n_obs": len(data), "model": model,
                                 "tool": tool, "seconds": round(sec, 2), "loglik": ll,
                                 "loglik_vs_best": ll - best,
                                 "hs_ratio": got["helpstats"][0] / sec})
                print(pd.DataFrame(rows[-len(got):]).to_string(index=False, header=False),
                      flush=True)
        finally:
            os.unlink(path)
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
