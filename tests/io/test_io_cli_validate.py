"""`helpstats validate INPUT -i ID ...`: any export format, a summary, every problem."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpstats.cli import main

D = Path(__file__).parents[1] / "data" / "exports"


def test_validate_nhanes_reports_codes_7_and_9(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.csv"
    status = main(["validate", str(D / "nhanes-phq9/DPQ_J.csv"), "-i", "phq9",
                   "--columns", "phq9=DPQ0{n}0", "--id", "SEQN", "-o", str(out)])
    assert status == 1
    text = capsys.readouterr().out
    assert "csv export, 5533 rows" in text
    assert "58 invalid cell(s) in 23 row(s)" in text
    assert "duplicated participant rows: 0" in text
    report = pd.read_csv(out)
    assert len(report) == 58 and set(report["value"]) == {7.0, 9.0}
    # spreadsheet row numbers: header is row 1, so data row k is row k + 2 (0-based k)
    data = pd.read_csv(D / "nhanes-phq9/DPQ_J.csv")
    first = report.iloc[0]
    assert data.loc[first["row"] - 2, first["column"]] == first["value"]


def test_validate_qualtrics_clean_and_duplicates(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.csv"
    names = ["ResponseId", "pid", "wave", *[f"Q2_{n}" for n in range(1, 8)]]
    rows = [names, names, [f'"{{""ImportId"":""QID{i}""}}"' for i in range(len(names))],
            ["R_1", "00123", "t0", *["1"] * 7], ["R_2", "00123", "t0", *["2"] * 7]]
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    status = main(["validate", str(path), "-i", "gad7", "--columns", "gad7=Q2_{n}",
                   "--id", "pid", "--wave", "wave"])
    text = capsys.readouterr().out
    assert status == 1
    assert "qualtrics export, 2 rows" in text and "gad7: ok" in text
    assert "duplicated participant x wave rows: 2" in text
    assert "row 4, column 'pid, wave', value 'pid=00123, wave=t0'" in text


def test_validate_bad_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(D / "missing.csv"), "-i", "phq9"]) == 2
    assert "no such file" in capsys.readouterr().err
