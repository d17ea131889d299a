"""The command line, run as a user would: in a subprocess."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent


def helpstats(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "helpstats", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, env=env, timeout=120)


def test_instruments_list_and_show() -> None:
    listing = helpstats("instruments", "list")
    assert listing.returncode == 0
    assert "phq9" in listing.stdout and "verified" in listing.stdout
    shown = helpstats("instruments", "show", "phq9")
    assert shown.returncode == 0
    assert "Kroenke" in shown.stdout and "20-27: severe" in shown.stdout
    unknown = helpstats("instruments", "show", "nope")
    assert unknown.returncode == 2
    assert "unknown instrument 'nope'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def write_gad7_csv(path: Path, rows: list[list[str]]) -> None:
    header = "id," + ",".join(f"Q_{n}" for n in range(1, 8))
    path.write_text("\n".join([header] + [",".join(r) for r in rows]) + "\n", encoding="utf-8")


def test_score_csv_keeps_input_columns_and_ids(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    write_gad7_csv(source, [["00123", "0", "1", "2", "3", "0", "1", "2"],
                            ["11400000001", "Not at all", "several days", "", "3", "0", "1", "2"]])
    out = tmp_path / "out.csv"
    run = helpstats("score", str(source), "-i", "gad7", "--columns", "gad7=Q_{n}", "-o", str(out))
    assert run.returncode == 0, run.stderr
    result = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert result["id"].tolist() == ["00123", "11400000001"]
    assert result["gad7_total"].tolist() == ["9", ""]  # whole numbers written without ".0"
    assert result["gad7_total_band"].tolist() == ["mild", ""]
    assert result["Q_3"].tolist() == ["2", ""]


def test_score_xlsx_in_and_out(tmp_path: Path) -> None:
    source = tmp_path / "in.xlsx"
    pd.DataFrame({f"gad7_{n}": [3] for n in range(1, 8)}).to_excel(source, index=False)
    out = tmp_path / "out.xlsx"
    run = helpstats("score", str(source), "-i", "gad7", "-o", str(out))
    assert run.returncode == 0, run.stderr
    sheet = openpyxl.load_workbook(out).active
    header = [cell.value for cell in sheet[1]]
    assert header[-3:] == ["gad7_total", "gad7_total_band", "gad7_total_n_answered"]
    assert [cell.value for cell in sheet[2]][-3:] == [21, "severe", 7]


def test_invalid_data_exit_2_naming_file_row_column_value(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    write_gad7_csv(source, [["1", "0", "1", "2", "3", "0", "1", "2"],
                            ["2", "0", "9", "often", "3", "0", "1", "2"]])
    run = helpstats("score", str(source), "-i", "gad7", "--columns", "gad7=Q_{n}", "-o",
                    str(tmp_path / "out.csv"))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert str(source) in run.stderr
    assert "row 3, column 'Q_2', value 9: out of range" in run.stderr
    assert "row 3, column 'Q_3', value 'often': unknown label" in run.stderr
    assert "pass --on-invalid missing" in run.stderr  # the CLI's option, not the Python argument
    assert not (tmp_path / "out.csv").exists()


def test_on_invalid_missing_scores_and_reports(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    write_gad7_csv(source, [["2", "0", "9", "1", "3", "0", "1", "2"]])
    out = tmp_path / "out.csv"
    run = helpstats("score", str(source), "-i", "gad7", "--columns", "gad7=Q_{n}",
                    "--on-invalid", "missing", "-o", str(out))
    assert run.returncode == 0
    assert "row 2, column 'Q_2', value 9: out of range" in run.stderr
    assert pd.read_csv(out)["gad7_total_n_answered"].tolist() == [6]


@pytest.mark.parametrize(("args", "message"), [
    (["score", "missing.csv", "-i", "gad7", "-o", "o.csv"], "missing.csv: no such file"),
    (["score", "in.csv", "-i", "gad7", "--columns", "gad7", "-o", "o.csv"], "expected ID=PATTERN"),
    (["score", "in.csv", "-i", "gad7", "-o", "o.json"], "unsupported output type"),
    (["score", "in.csv", "-i", "gad7", "-o", "o.csv"], "item column(s) not found"),
])
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    write_gad7_csv(tmp_path / "in.csv", [["1", "0", "1", "2", "3", "0", "1", "2"]])
    run = helpstats(*args, cwd=tmp_path)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_demo_writes_scored_data(tmp_path: Path) -> None:
    run = helpstats("demo", "-o", str(tmp_path / "demo"))
    assert run.returncode == 0, run.stderr
    scored = pd.read_csv(tmp_path / "demo" / "scored.csv")
    assert len(scored) == 74  # every bundled row, none dropped
    assert scored["phq9_total"].notna().sum() >= 70
    assert (tmp_path / "demo" / "scored.xlsx").is_file()


def test_score_reads_a_qualtrics_export_and_counts_rows_after_its_headers(tmp_path: Path) -> None:
    names = ["ResponseId"] + [f"Q5_{n}" for n in range(1, 8)]
    texts = ["Response ID"] + [f"Over the last 2 weeks... - item {n}" for n in range(1, 8)]
    import_ids = ['{"ImportId":"_recordId"}'] + [f'{{"ImportId":"QID5_{n}"}}' for n in range(1, 8)]
    rows = [["R_1"] + ["Several days"] * 7, ["R_2"] + ["Not at all"] * 6 + ["Always"]]
    lines = [names, texts, import_ids, *rows]
    source = tmp_path / "qualtrics.csv"
    with source.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(lines)
    out = tmp_path / "scored.csv"
    run = helpstats("score", str(source), "-i", "gad7", "--columns", "gad7=Q5_{n}", "-o", str(out))
    assert run.returncode == 2
    # the bad cell is in the 5th line of the file: 3 header rows, then R_1, then R_2
    assert "row 5, column 'Q5_7', value 'Always': unknown label" in run.stderr
    run = helpstats("score", str(source), "-i", "gad7", "--columns", "gad7=Q5_{n}",
                    "--on-invalid", "missing", "-o", str(out))
    assert run.returncode == 0, run.stderr
    result = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert result["ResponseId"].tolist() == ["R_1", "R_2"]  # header rows are not data
    assert result["gad7_total"].tolist() == ["7", ""]


def test_score_reads_spss_value_labels_and_user_missing_codes(tmp_path: Path) -> None:
    pyreadstat = pytest.importorskip("pyreadstat")
    data = pd.DataFrame({f"gad7_{n}": [1.0, 2.0, 9.0] for n in range(1, 8)})
    source = tmp_path / "survey.sav"
    labels = {0.0: "Not at all", 1.0: "Several days", 2.0: "More than half the days",
              3.0: "Nearly every day", 9.0: "Refused"}
    pyreadstat.write_sav(data, str(source), variable_value_labels={c: labels for c in data.columns},
                         missing_ranges={c: [9.0] for c in data.columns})
    out = tmp_path / "scored.csv"
    run = helpstats("score", str(source), "-i", "gad7", "-o", str(out))
    assert run.returncode == 0, run.stderr
    # code 9 is a declared user-missing value: missing, not invalid
    assert pd.read_csv(out)["gad7_total"].tolist()[:2] == [7, 14]
    assert pd.isna(pd.read_csv(out)["gad7_total"].iloc[2])
