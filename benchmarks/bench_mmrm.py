"""Benchmark: hs.fit_mmrm (unstructured covariance) against nlme::gls in the same run.

Simulates N subjects x V visits (two arms, an AR-like true covariance with rising
variances, ~20% monotone dropout; seeded, so both tools see the same data) and fits
``y ~ arm * visit`` with an unstructured covariance by REML:

- helpstats: ``hs.fit_mmrm(..., covariance="us")`` with Kenward-Roger df for every
  coefficient (fit + df timed);
- nlme: ``gls(y ~ arm * visit, correlation = corSymm(form = ~ vnum | id),
  weights = varIdent(form = ~ 1 | visit))`` timed inside R with ``system.time``
  (reading the CSV is not timed), when ``Rscript`` with nlme is installed;
- R's mmrm (the harder bar), when it can be loaded (it is not in Debian: build it from
  openpharma/mmrm with ``R CMD INSTALL --library=DIR`` and run with ``R_LIBS=DIR``):
  ``mmrm(y ~ arm * visit + us(visit | id), method = "Kenward-Roger")`` then ``summary()``
  (fit + df timed inside R).

Usage (repository root)::

    OMP_NUM_THREADS=1 python benchmarks/bench_mmrm.py                 # 200 / 2,000 / 20,000; 4 and 8 visits
    python benchmarks/bench_mmrm.py --sizes 200 2000 --visits 4 --timeout 300

Columns: ``visits, subjects, tool, seconds, loglik, ratio`` (helpstats seconds / gls
seconds; below 1 helpstats is faster) and ``ratio_mmrm`` (helpstats seconds / mmrm
seconds). An R fit that runs past ``--timeout`` is stopped and reported as ``>timeout``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

_R = """
suppressMessages(library(nlme))
d <- read.csv("{csv}")
d$arm <- factor(d$arm, levels = c("ctl", "trt"))
d$visit <- factor(d$visit, levels = sprintf("v%d", 1:{visits}))
d$vnum <- as.integer(d$visit)
fit0 <- gls(y ~ arm * visit, data = d[d$id < 30, ],
            correlation = corSymm(form = ~ vnum | id), weights = varIdent(form = ~ 1 | visit))
tm <- system.time(fit <- gls(y ~ arm * visit, data = d,
                             correlation = corSymm(form = ~ vnum | id),
                             weights = varIdent(form = ~ 1 | visit)))[["elapsed"]]
cat(sprintf("%.6f %.8f\\n", tm, as.numeric(logLik(fit))))
"""

_R_MMRM = """
suppressMessages(library(mmrm))
d <- read.csv("{csv}")
d$arm <- factor(d$arm, levels = c("ctl", "trt"))
d$visit <- factor(d$visit, levels = sprintf("v%d", 1:{visits}))
d$id <- factor(d$id)
fit0 <- mmrm(y ~ arm * visit + us(visit | id), data = droplevels(d[as.integer(d$id) < 30, ]),
             method = "Kenward-Roger")
tm <- system.time({{fit <- mmrm(y ~ arm * visit + us(visit | id), data = d,
                                method = "Kenward-Roger"); s <- summary(fit)}})[["elapsed"]]
cat(sprintf("%.6f %.8f\\n", tm, as.numeric(logLik(fit))))
"""


def have_r_mmrm() -> bool:
    """Whether ``Rscript`` can load the mmrm package."""
    try:
        return subprocess.run(["Rscript", "-e", "library(mmrm)"], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def simulate(n: int, visits: int, seed: int = 1) -> pd.DataFrame:
    """Long data: ``id, arm, visit, y`` with monotone dropout (rows of dropped visits removed)."""
    rng = np.random.default_rng(seed)
    lag = np.abs(np.subtract.outer(np.arange(visits), np.arange(visits)))
    sd = np.linspace(1.0, 2.0, visits)
    L = np.linalg.cholesky(np.outer(sd, sd) * 0.6 ** lag)
    e = rng.normal(size=(n, visits)) @ L.T
    arm = np.where(np.arange(n) % 2 == 0, "ctl", "trt")
    effect = np.where(arm == "trt", 0.3, 0.0)[:, None] * np.arange(visits)[None, :]
    y = 10 + 0.5 * np.arange(visits)[None, :] + effect + e
    last = np.where(rng.random(n) < 0.2, rng.integers(1, visits, n), visits)
    keep = np.arange(visits)[None, :] < last[:, None]
    ids, vis = np.nonzero(keep)
    return pd.DataFrame({"id": ids, "arm": arm[ids], "visit": [f"v{v + 1}" for v in vis],
                         "y": y[ids, vis]})


def time_helpstats(d: pd.DataFrame) -> tuple[float, float]:
    import helpstats as hs

    hs.fit_mmrm(d[d["id"] < 30], "y ~ arm * visit", subject="id", visit="visit")  # warm-up
    t = time.perf_counter()
    fit = hs.fit_mmrm(d, "y ~ arm * visit", subject="id", visit="visit", covariance="us",
                      df="kenward-roger")
    _ = fit.fixed
    return time.perf_counter() - t, fit.loglik


def time_r(d: pd.DataFrame, visits: int, timeout: float,
             template: str = _R) -> tuple[float | None, float | None]:
    """Seconds and loglik of the R fit in ``template`` (nlme's gls by default)."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        d.to_csv(csv, index=False)
        script = Path(tmp) / "fit.R"
        script.write_text(template.format(csv=csv.as_posix(), visits=visits))
        try:
            out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True,
                                 timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            return None, None
        except subprocess.CalledProcessError as err:
            print(err.stderr, file=sys.stderr)
            return float("nan"), float("nan")
    secs, ll = out.stdout.split()
    return float(secs), float(ll)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 20000])
    ap.add_argument("--visits", type=int, nargs="+", default=[4, 8])
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    have_r = not args.no_r and shutil.which("Rscript") is not None
    have_mmrm = have_r and have_r_mmrm()
    print(f"# load average at start: {os.getloadavg()}; OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}")
    rows = []
    for v in args.visits:
        for n in args.sizes:
            d = simulate(n, v, args.seed)
            hs_s, hs_ll = time_helpstats(d)
            rows.append({"visits": v, "subjects": n, "rows": len(d), "tool": "helpstats",
                         "seconds": hs_s, "loglik": hs_ll, "ratio": np.nan})
            if have_r:
                g_s, g_ll = time_r(d, v, args.timeout)
                rows.append({"visits": v, "subjects": n, "rows": len(d), "tool": "nlme::gls",
                             "seconds": g_s if g_s is not None else f">{args.timeout:g}",
                             "loglik": g_ll, "ratio": np.nan})
                if g_s is not None and g_s == g_s:
                    rows[-2]["ratio"] = hs_s / g_s
                elif g_s is None:
                    rows[-2]["ratio"] = f"<{hs_s / args.timeout:.3g}"
            if have_mmrm:
                hs_row = rows[-2]
                m_s, m_ll = time_r(d, v, args.timeout, _R_MMRM)
                rows.append({"visits": v, "subjects": n, "rows": len(d), "tool": "R mmrm",
                             "seconds": m_s if m_s is not None else f">{args.timeout:g}",
                             "loglik": m_ll, "ratio": np.nan})
                hs_row["ratio_mmrm"] = (hs_s / m_s if m_s is not None and m_s == m_s
                                        else np.nan)
            shown = 1 + int(have_r) + int(have_mmrm)
            print(pd.DataFrame(rows[-shown:]).to_string(index=False, header=False), flush=True)
    print(f"# load average at end: {os.getloadavg()}")
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
