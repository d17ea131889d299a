"""What the command line prints and writes: closed pipes, table widths, standard output,
per-group item analysis, messages in the words of the command line, one row-number rule."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import helpstats as hs
from helpstats.cli import LIST_WIDTH, main

ROOT = Path(__file__).resolve().parents[1]
NHANES = ROOT / "tests" / "data" / "exports" / "nhanes-phq9" / "DPQ_J.csv"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ENV.pop("HELPSTATS_DEBUG", None)

GAD7 = """id,wave,Q_1,Q_2,Q_3,Q_4,Q_5,Q_6,Q_7
1,1,0,0,1,0,0,1,0
2,1,1,1,1,2,0,1,1
3,1,2,3,2,2,1,2,2
4,1,3,3,3,3,2,2,3
5,2,1,2,1,1,1,0,1
6,2,0,1,0,1,0,0,1
7,2,2,2,3,2,2,1,2
8,2,3,2,3,3,3,3,2
"""


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def gad7_csv(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    path.write_text(GAD7, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- closed pipes


@pytest.mark.parametrize("args", [
    ["instruments", "list"],
    ["instruments", "list", "--wide"],
    ["instruments", "show", "phq9"],
    ["validate", str(NHANES), "-i", "phq9", "--columns", "phq9=DPQ0{n}0"],
    ["score", str(NHANES), "-i", "phq9", "--columns", "phq9=DPQ0{n}0", "--on-invalid",
     "missing", "-o", "-"],
])
def test_head_closing_the_pipe_leaves_no_traceback(args: list[str], tmp_path: Path) -> None:
    """A real shell pipe into ``head -1``: one line out, nothing on stderr, status 0 (1 for a
    validate that found problems)."""
    command = " ".join(f"'{a}'" for a in [sys.executable, "-m", "helpstats", *args])
    done = subprocess.run(f"{command} 2>err.txt | head -1; echo \"status=${{PIPESTATUS[0]}}\"",
                          shell=True, executable="/bin/bash", cwd=tmp_path, env=ENV,
                          capture_output=True, text=True, timeout=300)
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    assert lines[1] in ("status=0", "status=1"), done.stdout
    err = (tmp_path / "err.txt").read_text()
    if "-o" in args:  # score's own warnings (invalid cells scored as missing) go to stderr
        assert "scored as missing" in err
        other = [line for line in err.splitlines() if not line.startswith(
            ("helpstats: warning:", "  scored as missing", "Scored "))]
        assert other == [], err
    else:
        assert err == ""


@pytest.mark.parametrize("args", [
    ["instruments", "show", "phq9"],
    ["validate", str(NHANES), "-i", "phq9", "--columns", "phq9=DPQ0{n}0"],
])
def test_reader_gone_after_the_first_line(args: list[str], tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-m", "helpstats", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=ENV, cwd=tmp_path,
                          bufsize=0) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.read(20)
        process.stdout.close()
        err = process.stderr.read().decode()
        status = process.wait(timeout=300)
    assert first
    assert err == "" and status in (0, 1), err


# ----------------------------------------------------------------------------- instruments list


def test_instruments_list_fits_100_columns_and_wide_shows_all(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(["instruments", "list"], capsys)
    assert status == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= LIST_WIDTH
    assert lines[0].split() == ["id", "domain", "n_items", "license_status", "verification"]
    table = hs.list_instruments()
    assert len(lines) == len(table) + 1
    phq9 = next(line for line in lines if line.startswith("phq9 "))
    assert phq9.split() == ["phq9", "depression/anxiety", "9", "public_domain", "verified"]
    status, wide, _ = _run(["instruments", "list", "--wide"], capsys)
    header = wide.splitlines()[0].split()
    assert header == table.columns.tolist()
    assert max(len(line) for line in wide.splitlines()) > LIST_WIDTH
    assert "Patient Health Questionnaire-9" in wide and "None" not in wide


def test_instruments_show_speaks_cli(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(["instruments", "show", "hads"], capsys)
    assert "--coding hads=CODING" in out and "coding=..." not in out


# ----------------------------------------------------------------------------- standard output


def test_score_to_stdout_is_the_csv_file(gad7_csv: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    base = ["score", str(gad7_csv), "-i", "gad7", "--columns", "gad7=Q_{n}"]
    status, out, err = _run(base + ["-o", "-"], capsys)
    assert status == 0 and "standard output" in err
    assert _run(base + ["-o", str(tmp_path / "s.csv")], capsys)[0] == 0
    piped = pd.read_csv(io.StringIO(out))
    assert piped.equals(pd.read_csv(tmp_path / "s.csv"))
    assert piped["gad7_total"].tolist() == [2, 7, 14, 19, 7, 3, 14, 19]


def test_score_to_stdout_in_a_real_pipe(gad7_csv: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "helpstats", "score", str(gad7_csv), "-i",
                           "gad7", "--columns", "gad7=Q_{n}", "-o", "-"], env=ENV,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].endswith("gad7_total,gad7_total_band,gad7_total_n_answered")
    assert len(done.stdout.splitlines()) == 9 and "\r" not in done.stdout


def test_validate_report_to_stdout_keeps_messages_on_stderr(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(["validate", str(NHANES), "-i", "phq9", "--columns",
                             "phq9=DPQ0{n}0", "-o", "-"], capsys)
    assert status == 1
    report = pd.read_csv(io.StringIO(out))
    assert len(report) == 58 and "csv export, 5533 rows" in err


# ----------------------------------------------------------------------------- reliability --by


def test_reliability_by_gives_item_analysis_per_group(gad7_csv: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(["reliability", str(gad7_csv), "-i", "gad7", "--columns",
                           "gad7=Q_{n}", "--by", "wave", "-o", str(tmp_path / "r.csv"),
                           "--items", "-"], capsys)
    assert status == 0
    items = pd.read_csv(io.StringIO(out))
    assert items.columns[0] == "wave" and items["wave"].tolist() == [1] * 7 + [2] * 7
    data = pd.read_csv(gad7_csv)
    for wave in (1, 2):
        expected = hs.item_analysis(data[data["wave"] == wave], "gad7", columns="Q_{n}")
        got = items[items["wave"] == wave].drop(columns="wave").reset_index(drop=True)
        assert got["item_rest_r"].tolist() == pytest.approx(expected["item_rest_r"].tolist())
        assert got["mean"].tolist() == pytest.approx(expected["mean"].tolist())
    # wave 2, item 6: answers 0, 0, 1, 3 -> mean 1, sd sqrt(2)
    six = items[(items["wave"] == 2) & (items["item"] == "gad7_6")].iloc[0]
    assert six["mean"] == pytest.approx(1.0) and six["sd"] == pytest.approx(2 ** 0.5)


# ----------------------------------------------------------------------------- messages


def test_missing_columns_message_names_the_option(gad7_csv: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(["score", str(gad7_csv), "-i", "gad7", "-o", "x.csv"], capsys)
    assert status == 2
    assert "--columns gad7=PATTERN" in err and "columns={" not in err
    assert "spreadsheet" not in err  # names no row: no row note


def test_invalid_cells_messages_in_cli_words(gad7_csv: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(GAD7.replace("3,1,2,3,2,2,1,2,2", "3,1,2,9,2,2,1,2,2"), encoding="utf-8")
    base = ["score", str(bad), "-i", "gad7", "--columns", "gad7=Q_{n}"]
    status, _, err = _run(base + ["-o", str(tmp_path / "x.csv")], capsys)
    assert status == 2
    assert "row 4, column 'Q_2', value 9" in err
    assert "--on-invalid missing" in err and "on_invalid=" not in err
    assert "header rows included" in err
    status, _, err = _run(base + ["--on-invalid", "missing", "-o", str(tmp_path / "y.csv")],
                          capsys)
    assert status == 0
    assert "attrs" not in err and "scored as missing: row 4, column 'Q_2', value 9" in err


def test_export_option_messages_in_cli_words(gad7_csv: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    dictionary = tmp_path / "dict.csv"
    dictionary.write_text("Variable / Field Name,Form Name,Field Type\nx,f,text\n")
    status, _, err = _run(["score", str(gad7_csv), "--dictionary", str(dictionary), "-i",
                           "gad7", "-o", str(tmp_path / "x.csv")], capsys)
    assert status == 2
    assert "--dictionary is for REDCap exports" in err and "dictionary=" not in err
    assert "--format redcap" in err and "format=" not in err


# ----------------------------------------------------------------------------- row numbers


def test_one_row_number_in_the_cli_and_in_validate_of_an_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Qualtrics: three header rows, so the second data row is row 5 everywhere."""
    path = tmp_path / "q.csv"
    names = ["ResponseId", "pid", *[f"Q2_{n}" for n in range(1, 8)]]
    rows = [names, names, [f'"{{""ImportId"":""QID{i}""}}"' for i in range(len(names))],
            ["R_1", "1", *["1"] * 7], ["R_2", "2", "1", "7", *["2"] * 5]]
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    export = hs.read_export(path)
    assert export.source.header_rows == 3
    report = hs.validate(export, "gad7", columns="Q2_{n}")
    assert report[["row", "column", "value"]].values.tolist() == [[5, "Q2_2", 7]]
    # a DataFrame keeps its own index labels
    assert hs.validate(export.data, "gad7", columns="Q2_{n}")["row"].tolist() == [1]
    status, out, _ = _run(["validate", str(path), "-i", "gad7", "--columns", "gad7=Q2_{n}"],
                          capsys)
    assert status == 1 and "row 5, column 'Q2_2', value 7" in out
    status, _, err = _run(["score", str(path), "-i", "gad7", "--columns", "gad7=Q2_{n}",
                           "-o", str(tmp_path / "s.csv")], capsys)
    assert status == 2 and "row 5, column 'Q2_2', value 7" in err


def test_nhanes_rows_agree_between_cli_and_api(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.csv"
    assert main(["validate", str(NHANES), "-i", "phq9", "--columns", "phq9=DPQ0{n}0",
                 "-o", str(out)]) == 1
    capsys.readouterr()
    cli_rows = pd.read_csv(out)["row"].tolist()
    api_rows = hs.validate(hs.read_export(NHANES), "phq9", columns="DPQ0{n}0")["row"].tolist()
    assert cli_rows == api_rows and len(api_rows) == 58


def test_dask_engine_numbers_rows_as_the_pandas_engine(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    bad = tmp_path / "bad.csv"
    bad.write_text(GAD7.replace("3,1,2,3,2,2,1,2,2", "3,1,2,9,2,2,1,2,2"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "helpstats", "score", str(bad), "-i", "gad7",
                           "--columns", "gad7=Q_{n}", "-o", str(tmp_path / "s.parquet"),
                           "--engine", "dask", "--workers", "1", "--no-progress"], env=ENV,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "row 4, column 'Q_2', value 9" in done.stderr
    assert "--on-invalid missing" in done.stderr and "header rows included" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # no output, no partial one


def test_warnings_in_cli_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hads = tmp_path / "hads.csv"
    hads.write_text("id," + ",".join(f"h{n}" for n in range(1, 15)) + "\n"
                    + "1," + ",".join(["1", "2"] * 7) + "\n", encoding="utf-8")
    status, _, err = _run(["score", str(hads), "-i", "hads", "--columns", "hads=h{n}",
                           "-o", "-"], capsys)
    assert status == 0
    assert "declare it with --coding hads=position_1to4" in err and "score(" not in err
    status, out, err = _run(["score", str(hads), "-i", "hads", "--columns", "hads=h{n}",
                             "--coding", "hads=position_0to3", "-o", "-"], capsys)
    assert status == 0 and "AmbiguousCoding" not in err and "declare it" not in err
    expected = hs.score(pd.read_csv(hads), "hads", columns="h{n}", coding="position_0to3")
    got = pd.read_csv(io.StringIO(out))
    for scale in ("hads_position0_anxiety", "hads_position0_depression"):
        assert got[scale].tolist() == expected[scale].tolist()
    repeated = tmp_path / "dup.csv"
    repeated.write_text("a,a," + ",".join(f"Q_{n}" for n in range(1, 8)) + "\n1,2,"
                        + ",".join("0" * 7) + "\n", encoding="utf-8")
    status, _, err = _run(["score", str(repeated), "-i", "gad7", "--columns", "gad7=Q_{n}",
                           "-o", "-"], capsys)
    assert status == 0 and "renamed ('a' -> 'a.1')." in err and "Export.source" not in err


def test_dask_engine_scores_the_declared_coding_as_the_pandas_engine(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    hads = tmp_path / "hads.csv"
    rows = [",".join(str((r + n) % 4) for n in range(1, 15)) for r in range(6)]
    hads.write_text(",".join(f"h{n}" for n in range(1, 15)) + "\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    args = ["-i", "hads", "--columns", "hads=h{n}", "--coding", "hads=position_0to3"]
    done = subprocess.run([sys.executable, "-m", "helpstats", "score", str(hads), *args,
                           "-o", str(tmp_path / "s.parquet"), "--engine", "dask",
                           "--workers", "1", "--no-progress"], env=ENV, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr  # 0 is valid in the declared 0-3 coding
    pandas_engine = subprocess.run([sys.executable, "-m", "helpstats", "score", str(hads), *args,
                                    "-o", str(tmp_path / "s.csv")], env=ENV, capture_output=True,
                                   text=True, timeout=300)
    assert pandas_engine.returncode == 0, pandas_engine.stderr
    got = pd.read_parquet(tmp_path / "s.parquet")
    expected = pd.read_csv(tmp_path / "s.csv")
    for scale in ("hads_position0_anxiety", "hads_position0_depression"):
        assert got[scale].tolist() == expected[scale].tolist()


def test_validate_checks_the_declared_coding(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    hads = tmp_path / "hads.csv"
    hads.write_text(",".join(f"h{n}" for n in range(1, 15)) + "\n"
                    + ",".join(["0", "3"] * 7) + "\n", encoding="utf-8")
    status, out, _ = _run(["validate", str(hads), "-i", "hads", "--columns", "hads=h{n}"], capsys)
    assert status == 1 and "row 2, column 'h1', value 0" in out  # the default codes 1-4
    status, out, _ = _run(["validate", str(hads), "-i", "hads", "--columns", "hads=h{n}",
                           "--coding", "hads=position_0to3"], capsys)
    assert status == 0 and "0 invalid cell(s)" in out
