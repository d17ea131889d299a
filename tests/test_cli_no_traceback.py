"""Every command-line path a user can get wrong ends with an exit status and a message, never
a traceback; outputs are never written over an input or an existing file without --overwrite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from helpstats.cli import main

ROOT = Path(__file__).resolve().parents[1]
GAD7 = (ROOT / "instruments" / "gad7.toml").read_text(encoding="utf-8")


def _export(folder: Path) -> Path:
    rows = [{"pid": f"{i:03d}", "note": note, **{f"Q{n}": (i + n) % 4 for n in range(1, 8)}}
            for i, note in enumerate(["=HYPERLINK(\"http://evil\",\"click\")", "-2+3", "@SUM(1)",
                                      "ok", "-5"])]
    path = folder / "export.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _definition(folder: Path, name: str, old: str, new: str) -> Path:
    assert old in GAD7
    path = folder / name
    path.write_text(GAD7.replace(old, new, 1), encoding="utf-8")
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _assert_clean_error(status: int, err: str, *, expected: str, lines: int = 1) -> None:
    assert status == 2, err
    assert "Traceback" not in err and "internal error" not in err
    assert err.startswith("helpstats: error: ")
    assert len(err.strip().splitlines()) == lines, err
    assert re.search(expected, err), err


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    _export(tmp_path)
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "plain.txt").write_text("x", encoding="utf-8")
    return tmp_path


SCORE = ["score", "export.csv", "-i", "gad7", "--columns", "gad7=Q{n}"]


@pytest.mark.parametrize(("args", "expected"), [
    (SCORE + ["-o", "folder.csv"], r"folder\.csv: is a folder"),
    (SCORE + ["-o", "plain.txt/out.csv"], r"plain\.txt is a file, not a folder"),
    (SCORE + ["-o", "export.csv"], r"export\.csv: this is an input file"),
    (SCORE + ["-o", "export.csv", "--overwrite"], r"export\.csv: this is an input file"),
    (SCORE + ["-o", "out.txt"], r"unsupported output type '\.txt'"),
    (SCORE + ["-o", "a\x00b.csv"], "NUL"),
    (["score", "folder.csv", "-i", "gad7", "-o", "x.csv"], "is a folder"),
    (["score", "nope.csv", "-i", "gad7", "-o", "x.csv"], "no such file"),
    (["reliability", "export.csv", "-i", "gad7", "--columns", "gad7=Q{n}", "-o", "r.csv",
      "--items", "r.csv"], "also the -o output"),
    (["validate", "export.csv", "-i", "gad7", "--columns", "gad7=Q{n}", "--id", "pid",
      "--wave", "pid"], "--id and --wave are both 'pid'"),
    (["validate", "export.csv", "-i", "gad7", "--columns", "gad7=Q{n}", "-o", "export.csv"],
     "this is an input file"),
    (["analyze", "folder.csv", "-o", "out"], "cannot read the study file"),
    (["analyze", "nope.toml", "-o", "out"], "cannot read the study file"),
    (["instruments", "show", "zzz"], "unknown instrument 'zzz'"),
])
def test_bad_paths_exit_2_with_one_line(work: Path, capsys: pytest.CaptureFixture[str],
                                        args: list[str], expected: str) -> None:
    status, _, err = _run(args, capsys)
    _assert_clean_error(status, err, expected=expected)
    assert not (work / "x.csv").exists() and not (work / "out").exists()


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("items = [1, 2, 3, 4, 5, 6, 7]", "items = [[1], 2, 3, 4, 5, 6, 7]",
     r"field 'scales\.total\.items': expected item numbers"),
    ('method = "sum"', 'method = "sum"\nmultiplier = nan', "expected a finite number, found nan"),
    ('method = "sum"', 'method = "sum"\nmultiplier = inf', "expected a finite number, found inf"),
    ("codes = [0, 1, 2, 3]", "codes = [[0], 1, 2, 3]", "expected a list of integers or strings"),
    ('id = "gad7"', 'id = ["gad7"]', "field 'id': expected a non-empty string"),
    ('id = "gad7"', 'id = "gad7"\nvariant_note = [["x"]]', "field 'variant_note'"),
    ("schema = 1", "schema = 1\nx = " + "[" * 3000 + "]" * 3000, "nested too deeply"),
])
def test_malformed_definitions_exit_2(work: Path, capsys: pytest.CaptureFixture[str], old: str,
                                      new: str, expected: str) -> None:
    path = _definition(work, "mine.toml", old, new)
    for args in (["instruments", "show", str(path)], SCORE[:3] + [str(path), "-o", "x.csv"]):
        status, _, err = _run(args, capsys)
        _assert_clean_error(status, err, expected=expected)
        assert "mine.toml" in err


def test_study_file_of_the_wrong_type_exits_2(work: Path, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    (work / "study.toml").write_text(
        '[data]\nfiles = [{ path = ["export.csv"] }]\nid = "pid"\nwave = "w"\n'
        '[instruments.gad7]\n[model]\noutcomes = ["gad7_total"]\n', encoding="utf-8")
    status, _, err = _run(["analyze", "study.toml", "-o", "out"], capsys)
    _assert_clean_error(status, err, expected=r"line 2, key 'data\.files'")


def test_outputs_are_not_overwritten_without_asking(work: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(SCORE + ["-o", "s.csv"], capsys)[0] == 0
    first = (work / "s.csv").read_bytes()
    status, _, err = _run(SCORE + ["-o", "s.csv"], capsys)
    _assert_clean_error(status, err, expected="already exists; pass --overwrite")
    assert (work / "s.csv").read_bytes() == first
    assert _run(SCORE + ["-o", "s.csv", "--overwrite"], capsys)[0] == 0


def test_custom_definition_path_scores_with_that_file(work: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # same id as the bundled GAD-7, but every total multiplied by 10 (and no bands)
    text = re.sub(r"\[\[scales\.bands\]\][^\[]*", "", GAD7)
    path = work / "gad7_x10.toml"
    path.write_text(text.replace('method = "sum"', 'method = "sum"\nmultiplier = 10', 1),
                    encoding="utf-8")
    assert _run(SCORE[:3] + [str(path), "--columns", "gad7=Q{n}", "-o", "s.csv"], capsys)[0] == 0
    scored = pd.read_csv(work / "s.csv")
    items = scored[[f"Q{n}" for n in range(1, 8)]].sum(axis=1)
    assert scored["gad7_total"].tolist() == (items * 10).tolist()
    assert _run(["validate", "export.csv", "-i", str(path), "--columns", "gad7=Q{n}"],
                capsys)[0] == 0


def test_every_output_type_is_safe(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for out in ("s.csv", "s.xlsx"):
        assert _run(SCORE + ["-o", out], capsys)[0] == 0
    assert _run(["reliability", "export.csv", "-i", "gad7", "--columns", "gad7=Q{n}",
                 "-o", "r.xlsx", "--items", "i.csv"], capsys)[0] == 0
    (work / "bad.csv").write_text("pid,Q1,Q2,Q3,Q4,Q5,Q6,Q7\n1,=cmd|' /C calc'!A0,1,1,1,1,1,1\n",
                                  encoding="utf-8")
    check = ["validate", "bad.csv", "-i", "gad7", "--columns", "gad7=Q{n}"]
    assert _run(check + ["-o", "v.xlsx"], capsys)[0] == 1
    assert _run(check + ["-o", "v.csv"], capsys)[0] == 1
    for name in ("s.xlsx", "r.xlsx", "v.xlsx"):
        with zipfile.ZipFile(work / name) as book:
            for part in book.namelist():
                if part.startswith("xl/worksheets/"):
                    assert "<f>" not in book.read(part).decode("utf-8"), (name, part)
    scored = pd.read_csv(work / "s.csv", dtype=str)
    assert scored["note"].tolist() == ["'=HYPERLINK(\"http://evil\",\"click\")", "'-2+3",
                                       "'@SUM(1)", "ok", "-5"]
    assert scored["pid"].tolist()[:2] == ["000", "001"]
    validation = (work / "v.csv").read_text(encoding="utf-8")
    assert "'=cmd" in validation and ",=" not in validation
    assert _run(SCORE + ["-o", "raw.csv", "--raw-csv"], capsys)[0] == 0
    assert pd.read_csv(work / "raw.csv")["note"].iloc[0].startswith("=HYPERLINK")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HELPSTATS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "helpstats", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=300)


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([sys.executable, "-m", "helpstats", "instruments", "list"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          cwd=tmp_path) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # as `| head` does before the table is printed
        err = process.stderr.read().decode()
        process.wait(timeout=300)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_real_process_exits_2_without_traceback(tmp_path: Path) -> None:
    _export(tmp_path)
    result = _cli("score", "export.csv", "-i", "gad7", "--columns", "gad7=Q{n}", "-o",
                  "export.csv", cwd=tmp_path)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "Traceback" not in err and err.count("\n") == 1 and "input file" in err
