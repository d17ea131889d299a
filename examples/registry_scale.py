"""Registry scale: score, validate and summarise session records with Dask.

The same calls as with pandas, on a Dask DataFrame: here a small generated
session file read in blocks on a local cluster of two workers. On a real
registry, point `read_export(..., engine="dask")` at the export (or
`hs.read_exports("sessions/*.csv", engine="dask")`) and pass a scheduler's
address to `Client` instead of starting a local cluster.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from distributed import Client, LocalCluster

import helpstats as hs


def make_sessions(path: Path, n: int = 20_000, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    severity = rng.normal(size=n)
    frame = pd.DataFrame({"referral": [f"R{i:07d}" for i in range(n)],
                          "service": rng.choice(["north", "south", "east"], n),
                          "session": rng.integers(1, 9, n)})
    for k in range(1, 10):
        frame[f"phq9_{k}"] = np.clip(np.round(1.3 + severity + rng.normal(size=n)), 0, 3).astype(int)
    for k in range(1, 8):
        frame[f"gad7_{k}"] = np.clip(np.round(1.1 + severity + rng.normal(size=n)), 0, 3).astype(int)
    frame.to_csv(path, index=False)


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    path = folder / "sessions.csv"
    make_sessions(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's notes about ports on a shared machine
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    with cluster, Client(cluster):
        export = hs.read_export(path, engine="dask", blocksize="512KiB")
        sessions = export.data
        print(f"{export.source.rows_read} sessions in {sessions.npartitions} blocks ({export.format})")

        report = hs.validate(sessions, ["phq9", "gad7"], id="referral")
        print(report.attrs["summary"][["instrument", "n_rows", "invalid_cells", "complete_rows", "ok"]])

        scores = hs.score(sessions, ["phq9", "gad7"])          # lazy: nothing computed yet
        scored = sessions[["service"]].join(scores)
        by_service = scored.groupby("service")["phq9_total"].agg(["count", "mean"]).compute()
        print(by_service.round(2))

        print(hs.reliability(sessions, "phq9")[["scale", "n", "alpha", "omega"]].round(3))

        first, last = scored["phq9_total"], scored["phq9_total"] - 3  # stand-in follow-up scores
        change = hs.reliable_change(first, last, sd=5.7, reliability=0.84, higher_is="worse")
        print(change["category"].value_counts().compute())


if __name__ == "__main__":
    main()
