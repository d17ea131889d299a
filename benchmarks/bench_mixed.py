"""Speed of helpstats' mixed-model engine against statsmodels MixedLM and R's lme4.

Simulates N participants x 4 waves (about 15% of waves missed, seeded), then fits

* ``intercept``: ``y ~ wave + (1 | participant)``
* ``slope``:     ``y ~ wave + (wave | participant)``

with helpstats (``hs.fit_mixed``), statsmodels ``MixedLM`` and lme4 (through ``Rscript``),
all on the same data in the same run, REML. Each Python fit runs in a fresh subprocess so
that its peak memory (``ru_maxrss``) belongs to that fit alone; only the fit call is timed
(lme4: ``system.time(lmer(...))`` inside R, after the data are read).

Run from the repository root::

    python benchmarks/bench_mixed.py                      # 1,000 / 5,000 / 20,000 / 100,000
    python benchmarks/bench_mixed.py --sizes 1000 5000 --models slope --no-r

Columns: ``participants``, ``n_obs``, ``model``, ``tool``, ``seconds`` (fit only),
``loglik`` (REML), ``loglik_vs_best`` (loglik minus the best loglik of that row group),
``hs_ratio`` (helpstats seconds / this tool's seconds: below 1 means helpstats is faster),
``peak_rss_mb`` (peak resident memory of the fitting process; Python tools only).
``--repeat N`` fits helpstats and lme4 N times and reports the fastest.
A statsmodels fit projected (linearly from the previous size) to take longer than
``--timeout`` seconds is not run and shows ``skipped (>120 s)``; one that runs past the
timeout is stopped and shown the same way.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

MODELS = {
    "intercept": {
        "lme4": "y ~ wave + (1 | participant)",
        "statsmodels_re": "1",
    },
    "slope": {
        "lme4": "y ~ wave + (wave | participant)",
        "statsmodels_re": "~wave",
    },
}
TOOLS = ("helpstats", "statsmodels", "lme4")


def simulate(n_participants: int, *, waves: int = 4, missing: float = 0.15,
             seed: int = 2024) -> pd.DataFrame:
    """Long data: ``participant, wave, y``; each wave is missed with probability ``missing``.

    Random intercept sd 2, random slope sd 0.5, their correlation 0.3, residual sd 1,
    fixed intercept 10 and slope -0.6 per wave.
    """
    rng = np.random.default_rng(seed + n_participants)
    cov = np.array([[4.0, 0.3 * 2.0 * 0.5], [0.3 * 2.0 * 0.5, 0.25]])
    b = rng.multivariate_normal([0.0, 0.0], cov, size=n_participants)
    pid = np.repeat(np.arange(1, n_participants + 1), waves)
    wave = np.tile(np.arange(waves, dtype=float), n_participants)
    idx = pid - 1
    y = 10.0 + b[idx, 0] + (-0.6 + b[idx, 1]) * wave + rng.normal(0.0, 1.0, size=pid.size)
    keep = rng.random(pid.size) >= missing
    return pd.DataFrame({"participant": pid[keep], "wave": wave[keep], "y": y[keep]})


# --------------------------------------------------------------------------- workers
def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _worker(tool: str, model: str, csv: str, repeat: int = 1) -> dict[str, object]:
    """Fit one model in this (fresh) process; return seconds, loglik and peak memory.

    helpstats fits ``repeat`` times and reports the fastest (statsmodels always once).
    """
    data = pd.read_csv(csv)
    data["participant"] = data["participant"].astype(str)
    if tool == "helpstats":
        sys.path.insert(0, str(ROOT))
        try:
            import helpstats as hs
            fit_mixed = hs.fit_mixed  # type: ignore[attr-defined,unused-ignore]
        except (ImportError, AttributeError) as exc:
            return {"status": "n/a", "note": f"helpstats.fit_mixed not importable: {exc}"}
        warm = simulate(30, seed=1)
        warm["participant"] = warm["participant"].astype(str)
        fit_mixed(warm, MODELS[model]["lme4"])  # imports and first-call costs, not timed
        before = _rss_mb()
        seconds = math.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            fit = fit_mixed(data, MODELS[model]["lme4"], reml=True)
            seconds = min(seconds, time.perf_counter() - t0)
        return {"status": "ok", "seconds": seconds, "loglik": float(fit.loglik),
                "converged": bool(fit.converged), "peak_rss_mb": _rss_mb(),
                "rss_before_mb": before}
    if tool == "statsmodels":
        import statsmodels.formula.api as smf
        before = _rss_mb()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            md = smf.mixedlm("y ~ wave", data, groups=data["participant"],
                             re_formula=MODELS[model]["statsmodels_re"])
            res = md.fit(reml=True)
            seconds = time.perf_counter() - t0
        return {"status": "ok", "seconds": seconds, "loglik": float(res.llf),
                "converged": bool(res.converged), "peak_rss_mb": _rss_mb(),
                "rss_before_mb": before, "n_warnings": len(caught)}
    raise SystemExit(f"unknown tool {tool!r}")


def run_python(tool: str, model: str, csv: Path, timeout: float,
               repeat: int = 1) -> dict[str, object]:
    """Run :func:`_worker` in a fresh interpreter with a hard time limit."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", tool, model, str(csv),
           str(repeat)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 60,
                             cwd=ROOT, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "skipped", "note": f"stopped after {timeout + 60:.0f} s"}
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "error", "note": last}
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


R_SCRIPT = r"""
args <- commandArgs(TRUE)
suppressPackageStartupMessages(library(lme4))
d <- read.csv(args[1])
d$participant <- factor(d$participant)
f <- as.formula(args[2])
# warm-up on a small subset (lazy loading, first-call costs), not timed -- as for helpstats
small <- droplevels(d[seq_len(min(nrow(d), 200)), ])
invisible(suppressWarnings(suppressMessages(lmer(f, data = small))))
elapsed <- Inf
for (i in seq_len(as.integer(args[3]))) {
  msgs <- character()
  note <- function(c) msgs <<- c(msgs, conditionMessage(c))
  tm <- system.time(fit <- withCallingHandlers(lmer(f, data = d, REML = TRUE),
    warning = function(w) { note(w); invokeRestart("muffleWarning") },
    message = function(m) { note(m); invokeRestart("muffleMessage") }))
  elapsed <- min(elapsed, tm[["elapsed"]])
}
cat(sprintf("RESULT %.6f %.10f %s %d\n", elapsed, as.numeric(logLik(fit)),
            as.character(packageVersion("lme4")), length(msgs)))
for (m in msgs) cat("MSG", gsub("[[:space:]]+", " ", m), "\n")
"""


def run_r(model: str, csv: Path, script: Path, timeout: float,
          repeat: int = 1) -> dict[str, object]:
    cmd = ["Rscript", "--vanilla", str(script), str(csv), MODELS[model]["lme4"], str(repeat)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "skipped", "note": f"stopped after {timeout:.0f} s"}
    lines = out.stdout.splitlines()
    said = "; ".join(line[4:].strip() for line in lines if line.startswith("MSG "))
    for line in lines:
        if line.startswith("RESULT "):
            _, sec, ll, version, _n_msgs = line.split()
            return {"status": "ok", "seconds": float(sec), "loglik": float(ll),
                    "note": f"lme4 {version}" + (f"; lme4 said: {said}" if said else "")}
    last = (out.stderr.strip().splitlines() or ["no output"])[-1]
    return {"status": "error", "note": last}


def r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "--vanilla", "-e", "library(lme4)"], capture_output=True,
                           check=False)
    return probe.returncode == 0


# --------------------------------------------------------------------------- table
@dataclass
class Row:
    participants: int
    n_obs: int
    model: str
    tool: str
    result: dict[str, object]


def _fmt(x: object, spec: str) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def render(rows: list[Row], timeout: float) -> str:
    header = ["participants", "n_obs", "model", "tool", "seconds", "loglik", "loglik_vs_best",
              "hs_ratio", "peak_rss_mb", "note"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    groups: dict[tuple[int, str], list[Row]] = {}
    for r in rows:
        groups.setdefault((r.participants, r.model), []).append(r)
    for group in groups.values():
        ok = [r for r in group if r.result.get("status") == "ok"]
        best = max((float(r.result["loglik"]) for r in ok), default=float("nan"))  # type: ignore[arg-type]
        hs = next((r for r in ok if r.tool == "helpstats"), None)
        for r in group:
            res = r.result
            status = res.get("status")
            note = str(res.get("note", ""))
            if status == "ok":
                sec = float(res["seconds"])  # type: ignore[arg-type]
                ll = float(res["loglik"])  # type: ignore[arg-type]
                ratio = float(hs.result["seconds"]) / sec if hs is not None else None  # type: ignore[arg-type]
                if res.get("converged") is False:
                    note = (note + "; " if note else "") + "not converged"
                cells = [f"{sec:.3f}", f"{ll:.4f}", f"{ll - best:.2e}" if ll != best else "0",
                         _fmt(ratio, ".3f") if r.tool != "helpstats" else "1",
                         _fmt(res.get("peak_rss_mb"), ".0f")]
            elif status == "skipped":
                cells = [f"skipped (>{timeout:.0f} s)", "", "", "", ""]
            else:
                cells = [str(status), "", "", "", ""]
            note = note.replace("|", "\\|")  # lme4 says "max|grad|": keep the table intact
            lines.append("| " + " | ".join([f"{r.participants:,}", f"{r.n_obs:,}", r.model, r.tool,
                                            *cells, note]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 100000],
                        help="numbers of participants (each with 4 planned waves)")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS),
                        default=["intercept", "slope"])
    parser.add_argument("--no-r", action="store_true", help="do not run lme4")
    parser.add_argument("--no-statsmodels", action="store_true", help="do not run statsmodels")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="skip statsmodels fits projected to take longer (seconds)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=1,
                        help="fit helpstats and lme4 this many times, report the fastest")
    parser.add_argument("--worker", nargs=4, metavar=("TOOL", "MODEL", "CSV", "REPEAT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        tool, model, csv, repeat = args.worker
        print(json.dumps(_worker(tool, model, csv, int(repeat))))
        return 0

    use_r = not args.no_r and r_available()
    if not args.no_r and not use_r:
        print("lme4: Rscript with lme4 not found; lme4 rows left out", file=sys.stderr)
    load_start = os.getloadavg()[0]
    rows: list[Row] = []
    # model -> (n_obs, seconds) of the last statsmodels fit, for the projection
    last_sm: dict[str, tuple[int, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_mixed_") as tmp:
        script = Path(tmp) / "fit.R"
        script.write_text(R_SCRIPT)
        for n in sorted(args.sizes):
            data = simulate(n, seed=args.seed)
            csv = Path(tmp) / f"sim_{n}.csv"
            data.to_csv(csv, index=False)
            for model in args.models:
                tools = ["helpstats"]
                if not args.no_statsmodels:
                    tools.append("statsmodels")
                if use_r:
                    tools.append("lme4")
                for tool in tools:
                    if tool == "lme4":
                        res = run_r(model, csv, script, timeout=max(600.0, args.timeout),
                                    repeat=args.repeat)
                    elif tool == "statsmodels" and model in last_sm and (
                            last_sm[model][1] * len(data) / last_sm[model][0] > args.timeout):
                        res = {"status": "skipped", "note": "projected from the previous size"}
                    else:
                        limit = args.timeout if tool == "statsmodels" else 3600.0
                        res = run_python(tool, model, csv, timeout=limit,
                                         repeat=args.repeat if tool == "helpstats" else 1)
                    if tool == "statsmodels":
                        if res.get("status") == "ok":
                            last_sm[model] = (len(data), float(res["seconds"]))  # type: ignore[arg-type]
                        else:
                            last_sm[model] = (1, float("inf"))
                    rows.append(Row(n, len(data), model, tool, res))
                    print(f"  {n:>7,} {model:<9} {tool:<11} {res.get('status')} "
                          f"{_fmt(res.get('seconds'), '.3f')}", file=sys.stderr, flush=True)
    print(f"Mixed-model fits, REML, {os.cpu_count()} CPUs (1-min load average "
          f"{load_start:.1f} at start, {os.getloadavg()[0]:.1f} at end); seed {args.seed}; "
          f"fastest of {args.repeat} for helpstats and lme4; "
          f"hs_ratio = helpstats seconds / tool seconds (< 1: helpstats faster)")
    print(render(rows, args.timeout))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
