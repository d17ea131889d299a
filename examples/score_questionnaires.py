"""Score PHQ-9 and GAD-7 from a survey-style table, then look at the bands.

Run: ``python examples/score_questionnaires.py`` (writes nothing outside a temporary folder).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

import helpstats as hs

# Items as a survey platform exports them: labels or codes, columns named by question.
responses = pd.DataFrame({
    "participant": ["P01", "P02", "P03"],
    **{f"Q1_{n}": ["Several days", "0", "Nearly every day"] for n in range(1, 10)},
    **{f"Q2_{n}": ["1", "More than half the days", ""] for n in range(1, 8)},
})

print(hs.list_instruments()[["id", "name", "verification"]].to_string(index=False))
scores = hs.score(responses, ["phq9", "gad7"], columns={"phq9": "Q1_{n}", "gad7": "Q2_{n}"},
                  on_invalid="raise")
report = pd.concat([responses[["participant"]], scores], axis=1)
print(report[["participant", "phq9_total", "phq9_total_band", "phq9_item9_flag", "gad7_total"]])

# P03 skipped every GAD-7 item: the total is missing, not zero.
assert pd.isna(report.loc[2, "gad7_total"])
assert report["phq9_total"].tolist() == [9.0, 0.0, 27.0]

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "scored.xlsx"
    report.to_excel(path, index=False)
    print(f"wrote {path.name} ({path.stat().st_size} bytes)")
