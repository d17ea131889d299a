"""Speed of helpstats' mixed-model engine with several random-effects terms, against lme4.

Shapes (public data, written by ``bench_mixed_terms_data.R`` at their real size and at 10x,
the grouping factors replicated with new levels and the response simulated from the lme4 fit):

* ``nested_slopes``: nlme's Wafer, ``current ~ voltage + voltage2 + (voltage | Wafer/Site)``
* ``three_colon``:   nlme's Assay, ``logDens ~ sample * dilut + (1|Block) + (1|sample:Block)
  + (1|dilut:Block)``
* ``two_colon``:     lme4's cake, ``angle ~ recipe * temp + (1|replicate) + (1|recipe:replicate)``
* ``uncorrelated``:  nlme's BodyWeight, ``weight ~ Time * Diet + (Time || Rat)``
* ``insteval``:      lme4's InstEval (73,421 rows; s 2,972, d 1,128 levels; 10x: 734,210 rows,
  s 29,720, d 11,280 levels, still crossed), ``y ~ service + (1|s) + (1|d) + (1|dept:service)``

Both sides fit by REML and compute the Satterthwaite df of every coefficient, same data, same
run: helpstats ``fit_mixed(...)`` then ``fit.fixed``; R ``lmerTest::lmer(...)`` then
``summary()`` (lmerTest computes its Hessian and Jacobian inside ``lmer``). The plain
``lme4::lmer`` fit is timed too. Each helpstats fit runs in a fresh interpreter after an
untimed warm-up fit; R is timed with ``system.time`` after a warm-up (reading data untimed).

Run from the repository root (BLAS threads are capped at one on both sides)::

    OMP_NUM_THREADS=1 python benchmarks/bench_mixed_terms.py
    python benchmarks/bench_mixed_terms.py --shapes insteval --sizes 1x --repeat 1

Columns: ``hs_s`` (fit + df), ``hs_fit_s`` (fit only), ``lmerTest_s`` (fit + df), ``lme4_s``
(fit only), ``ratio`` = hs_s / lmerTest_s and ``fit_ratio`` = hs_fit_s / lme4_s (below 1:
helpstats faster), ``loglik_diff`` = helpstats' REML loglik minus lme4's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent

SHAPES = {
    "nested_slopes": "current ~ voltage + voltage2 + (voltage | Wafer/Site)",
    "three_colon": "logDens ~ sample * dilut + (1 | Block) + (1 | sample:Block) + "
                   "(1 | dilut:Block)",
    "two_colon": "angle ~ recipe * temp + (1 | replicate) + (1 | recipe:replicate)",
    "uncorrelated": "weight ~ Time * Diet + (Time || Rat)",
    "insteval": "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)",
}
# columns read as text (factors) on both sides
FACTORS = {"nested_slopes": ["Wafer", "Site"], "three_colon": ["Block", "sample", "dilut"],
           "two_colon": ["replicate", "recipe"], "uncorrelated": ["Rat", "Diet"],
           "insteval": ["s", "d", "dept", "service"]}

R_SCRIPT = r"""
args <- commandArgs(TRUE)
suppressPackageStartupMessages({library(lme4); library(lmerTest)})
d <- read.csv(args[1], colClasses = "character")
fac <- strsplit(args[3], ",")[[1]]
for (v in names(d)) d[[v]] <- if (v %in% fac) factor(d[[v]]) else as.numeric(d[[v]])
f <- as.formula(args[2])
small <- d[seq_len(min(nrow(d), 400)), ]
invisible(suppressWarnings(suppressMessages(try(summary(lmerTest::lmer(f, data = droplevels(small)))))))
best_t <- Inf; best_l <- Inf
for (i in seq_len(as.integer(args[4]))) {
  tl <- system.time(fl <- suppressWarnings(suppressMessages(lme4::lmer(f, data = d, REML = TRUE))))
  best_l <- min(best_l, tl[["elapsed"]])
  tt <- system.time({ft <- suppressWarnings(suppressMessages(lmerTest::lmer(f, data = d, REML = TRUE)))
                     cf <- summary(ft)$coefficients})
  best_t <- min(best_t, tt[["elapsed"]])
}
cat(sprintf("RESULT %.6f %.6f %.10f %d\n", best_l, best_t, as.numeric(logLik(fl)), nrow(d)))
"""


def _worker(shape: str, csv: str, repeat: int) -> dict[str, object]:
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(ROOT))
    import helpstats as hs

    data = pd.read_csv(csv, dtype={c: str for c in FACTORS[shape]})
    rng = np.random.default_rng(1)
    warm = pd.DataFrame({"g": np.repeat(np.arange(30), 4).astype(str),
                         "h": np.tile(np.arange(4), 30).astype(str), "x": rng.normal(size=120)})
    warm["y"] = rng.normal(size=120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _ = hs.fit_mixed(warm, "y ~ x + (x | g) + (1 | h)").fixed
    best, best_fit = math.inf, math.inf
    for _ in range(repeat):
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            fit = hs.fit_mixed(data, SHAPES[shape], reml=True)
            t1 = time.perf_counter()
            _ = fit.fixed
            t2 = time.perf_counter()
        best, best_fit = min(best, t2 - t0), min(best_fit, t1 - t0)
    import resource
    return {"status": "ok", "seconds": best, "fit_seconds": best_fit,
            "loglik": float(fit.loglik), "converged": bool(fit.converged),
            "nobs": int(fit.nobs), "warnings": sorted({str(w.message)[:60] for w in said}),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}


def run_hs(shape: str, csv: Path, repeat: int, timeout: float) -> dict[str, object]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", shape, str(csv),
           str(repeat)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                             check=False)
    except subprocess.TimeoutExpired:
        return {"status": f"stopped after {timeout:.0f} s"}
    if out.returncode != 0:
        return {"status": "error: " + (out.stderr.strip().splitlines() or ["?"])[-1]}
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run_r(shape: str, csv: Path, script: Path, repeat: int, timeout: float) -> dict[str, object]:
    cmd = ["Rscript", "--vanilla", str(script), str(csv), SHAPES[shape],
           ",".join(FACTORS[shape]), str(repeat)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": f"stopped after {timeout:.0f} s"}
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            _, fit_s, both_s, ll, _n = line.split()
            return {"status": "ok", "fit_seconds": float(fit_s), "seconds": float(both_s),
                    "loglik": float(ll)}
    return {"status": "error: " + (out.stderr.strip().splitlines() or ["?"])[-1]}


def make_data(outdir: Path) -> None:
    subprocess.run(["Rscript", "--vanilla", str(HERE / "bench_mixed_terms_data.R"), str(outdir)],
                   check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=list(SHAPES))
    parser.add_argument("--sizes", nargs="+", choices=["1x", "10x"], default=["1x", "10x"])
    parser.add_argument("--repeat", type=int, default=3,
                        help="fit each side this many times and report the fastest")
    parser.add_argument("--data", type=Path, default=None,
                        help="folder with the CSVs (made with Rscript when absent)")
    parser.add_argument("--no-r", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        shape, csv, repeat = args.worker
        print(json.dumps(_worker(shape, csv, int(repeat))))
        return 0
    if shutil.which("Rscript") is None:
        print("Rscript (with lme4, lmerTest, nlme) is needed for the data and the lme4 side",
              file=sys.stderr)
        return 1
    tmp = tempfile.TemporaryDirectory(prefix="bench_terms_")
    data_dir = args.data or Path(tmp.name)
    if not (data_dir / "insteval_1x.csv").exists():
        make_data(data_dir)
    script = Path(tmp.name) / "fit.R"
    script.write_text(R_SCRIPT)
    load = os.getloadavg()[0]
    lines = ["| shape | size | n_obs | hs_s | hs_fit_s | lmerTest_s | lme4_s | ratio | fit_ratio "
             "| loglik_diff | hs_peak_mb |", "|" + "---|" * 11]
    for shape in args.shapes:
        for size in args.sizes:
            csv = data_dir / f"{shape}_{size}.csv"
            h = run_hs(shape, csv, args.repeat, args.timeout)
            r = ({"status": "not run"} if args.no_r
                 else run_r(shape, csv, script, args.repeat, args.timeout))
            ok_h, ok_r = h.get("status") == "ok", r.get("status") == "ok"

            def num(res: dict[str, object], key: str, ok: bool) -> str:
                return f"{float(res[key]):.3f}" if ok else str(res.get("status"))  # type: ignore[arg-type]

            ratio = fit_ratio = diff = ""
            if ok_h and ok_r:
                ratio = f"{float(h['seconds']) / float(r['seconds']):.2f}"  # type: ignore[arg-type]
                fit_ratio = f"{float(h['fit_seconds']) / float(r['fit_seconds']):.2f}"  # type: ignore[arg-type]
                diff = f"{float(h['loglik']) - float(r['loglik']):+.2e}"  # type: ignore[arg-type]
            row = [shape, size, f"{int(h['nobs']):,}" if ok_h else "",  # type: ignore[call-overload]
                   num(h, "seconds", ok_h), num(h, "fit_seconds", ok_h),
                   num(r, "seconds", ok_r), num(r, "fit_seconds", ok_r), ratio, fit_ratio, diff,
                   f"{float(h['peak_rss_mb']):.0f}" if ok_h else ""]  # type: ignore[arg-type]
            lines.append("| " + " | ".join(row) + " |")
            print(lines[-1], file=sys.stderr, flush=True)
    print(f"Several random-effects terms, REML, fit + Satterthwaite df; {os.cpu_count()} CPUs, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, 1-min load "
          f"{load:.1f} at start, {os.getloadavg()[0]:.1f} at end; fastest of {args.repeat}")
    print("\n".join(lines))
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
