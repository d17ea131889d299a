"""Run the bundled example study file end to end, as ``helpstats analyze`` does.

Run: ``python examples/analyze_study.py`` (writes only to a temporary folder).
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import helpstats as hs

study_file = hs.datasets.example_study_path()
print(study_file.read_text(encoding="utf-8"))
study = hs.load_study(study_file)
# A Study is a frozen dataclass: keep only the PHQ-9 outcome to run quickly.
study = dataclasses.replace(study, model=dataclasses.replace(study.model,
                                                             outcomes=("phq9_total",)))

with tempfile.TemporaryDirectory() as folder:
    result = hs.analyze(study, Path(folder) / "results", progress=False)
    for path in result.files:
        print(f"{path.name:32} {path.stat().st_size:>8} bytes")
    print(result.tables["Role cut-offs"].to_string(index=False))
    outcomes = result.tables["Outcome phq9_total"]
    print(outcomes[["role", "wave", "emmean", "lower", "upper", "diff", "diff_p"]].round(3)
          .to_string(index=False))
    print(hs.format_table(outcomes).to_string(index=False))  # as in tables.md
