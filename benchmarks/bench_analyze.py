"""Speed of ``hs.analyze`` on the bundled example study, with the share of the figures.

Runs the whole pipeline (read, score, roles, two mixed models, tables, missing-data
patterns and dropout models, four figures in three formats, report.html + report.md) in a
fresh interpreter per repeat and prints the wall time of the ``analyze`` call, then the time
spent in ``save_figure`` (drawing and writing PNG + SVG + PDF) and in the dropout models.
The header gives the load average: on a shared machine compare times within one run only.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_analyze.py [repeats]``
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import tempfile, time, warnings
import helpstats as hs
from helpstats import figures
from helpstats.missing import pattern

spent = {"save_figure": 0.0, "dropout_model": 0.0}

def timed(name, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start
    return wrapper

figures.save_figure = timed("save_figure", figures.save_figure)
pattern.dropout_model = timed("dropout_model", pattern.dropout_model)
import helpstats._report_figures as rf
rf.save_figure = figures.save_figure
import helpstats.missing._analysis as ma
ma.dropout_model = pattern.dropout_model
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    hs.analyze(hs.datasets.example_study_path(), tempfile.mkdtemp(), progress=False)
    total = time.perf_counter() - start
print(f"{total:.2f} {spent['save_figure']:.2f} {spent['dropout_model']:.2f}")
"""


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"{'run':>4} {'analyze_s':>10} {'figures_s':>10} {'dropout_s':>10}")
    for run in range(1, repeats + 1):
        out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        print(f"{run:>4} {out[0]:>10} {out[1]:>10} {out[2]:>10}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
