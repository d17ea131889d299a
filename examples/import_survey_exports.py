"""Read two waves of a Qualtrics export, validate them, stack them and score PHQ-9.

Run: ``python examples/import_survey_exports.py`` (writes only to a temporary folder).
"""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import pandas as pd

import helpstats as hs


def write_qualtrics(path: Path, rows: list[list[str]]) -> None:
    """A Qualtrics CSV: export tags, question text, ImportId JSON, then one row per response."""
    names = ["ResponseId", "pid", *[f"Q5_{n}" for n in range(1, 10)]]
    texts = ["Response ID", "Participant", *[f"PHQ-9 item {n}" for n in range(1, 10)]]
    import_ids = [json.dumps({"ImportId": f"QID{i}"}) for i in range(len(names))]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([names, texts, import_ids, *rows])


folder = Path(tempfile.mkdtemp())
write_qualtrics(folder / "baseline.csv", [
    ["R_1", "00123", *["Several days"] * 9],
    ["R_2", "00124", "0", "1", "2", "3", "0", "1", "2", "3", "0"],
])
write_qualtrics(folder / "month_1.csv", [
    ["R_3", "00123", *["1"] * 9],
    ["R_4", "00124", "0", "0", "0", "0", "0", "0", "0", "0", "7"],  # 7: not an option
])

waves = {name: hs.read_export(folder / f"{name}.csv") for name in ("baseline", "month_1")}
print({name: (exp.format, exp.source.rows_read) for name, exp in waves.items()})
print("question of Q5_9:", waves["baseline"].questions["Q5_9"])

data = hs.stack_waves(waves)
report = hs.validate(data, "phq9", columns="Q5_{n}", id="pid", wave="wave")
print(report[["row", "column", "value", "problem"]].to_string(index=False))
print(report.attrs["summary"].to_string(index=False))

scores = hs.score(data, "phq9", columns="Q5_{n}", on_invalid="missing")
table = pd.concat([data[["pid", "wave"]], scores[["phq9_total", "phq9_total_n_answered"]]],
                  axis=1)
print(table.to_string(index=False))

# IDs keep their leading zeros; the invalid 7 is reported and scored as missing (prorated).
assert data["pid"].tolist() == ["00123", "00124", "00123", "00124"]
assert report["value"].tolist() == [7]
assert table["phq9_total"].tolist()[:3] == [9.0, 12.0, 9.0]
print(hs.to_wide(table, id="pid").to_string(index=False))
