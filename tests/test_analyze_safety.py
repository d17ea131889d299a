"""analyze on hostile input: ids typed differently across files, one-level factors, study-file
values of the wrong type, and an output folder with planted links and stale files."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pandas as pd
import pytest
from test_report import COLUMNS, ROWS, STUDY, write_study

import helpstats as hs
from helpstats.errors import InvalidCellsWarning, OutputError, StudyError
from helpstats.report import build_frame

TWO_FILES = """\
[data]
files = [{ path = "base.csv", wave = 0 }, { path = "month3.csv", wave = 3 }]
id = "pid"
wave = "time"

[instruments.gad7]
columns = "Q{n}"

[roles]
giving = "gave"
receiving = "got"

[model]
outcomes = ["gad7_total"]
"""


def _two_files(folder: Path, base_ids: list[str], month3_ids: list[int]) -> Path:
    table = pd.DataFrame(ROWS, columns=COLUMNS).drop(columns="time")
    table.loc[8, "Q2"] = 2
    base = table.iloc[:6].assign(pid=base_ids)
    month3 = table.iloc[6:].assign(pid=month3_ids)
    base.to_csv(folder / "base.csv", index=False)
    month3.to_csv(folder / "month3.csv", index=False)
    path = folder / "study.toml"
    path.write_text(TWO_FILES, encoding="utf-8")
    return path


def test_ids_text_in_one_file_numbers_in_another_are_one_member(tmp_path: Path) -> None:
    # "007" makes the baseline id column text; the month-3 file holds plain numbers
    path = _two_files(tmp_path, ["100", "101", "102", "103", "104", "007"],
                      [100, 101, 102, 103, 104])
    assert hs.read_export(tmp_path / "month3.csv").data["pid"].tolist()[0] in (100, "100")
    frame, _ = build_frame(hs.load_study(path))
    assert frame["pid"].nunique() == 6
    assert frame["pid"].tolist()[-5:] == ["100", "101", "102", "103", "104"]
    # every follow-up row has its member's baseline role
    roles = frame["role"].astype(str).tolist()
    assert roles[6:] == roles[:5]
    attrition = hs.attrition_table(frame, id="pid", wave="time")
    assert attrition[["enrolled", "observed", "lost", "returned"]].values.tolist() == [
        [6, 6, 0, 0], [6, 5, 1, 0]]


def test_leading_zeros_are_part_of_an_id(tmp_path: Path) -> None:
    # the rule compares ids as exported text: "001" is not the member 1
    path = _two_files(tmp_path, ["001", "002", "003", "004", "005", "006"], [1, 2, 3, 4, 5])
    frame, _ = build_frame(hs.load_study(path))
    assert frame["pid"].nunique() == 11
    assert frame["role"].iloc[6:].isna().all()


def test_one_level_role_stops_with_the_study_key(tmp_path: Path) -> None:
    text = STUDY.replace('receiving = "got"', 'receiving = "got"\nmethod = "thresholds"\n'
                         'thresholds = { giving = 100, receiving = 100 }')
    path = write_study(tmp_path, text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidCellsWarning)
        with pytest.raises(StudyError, match=r"key 'model.by': 'role' has only the value "
                                             r"'neither' in the 10 observation"):
            hs.analyze(path, tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_constant_covariate_stops_with_the_study_key(tmp_path: Path) -> None:
    path = write_study(tmp_path)
    data = pd.read_csv(tmp_path / "export.csv").assign(age=40)
    data.to_csv(tmp_path / "export.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidCellsWarning)
        with pytest.raises(StudyError, match="key 'model.covariates': 'age' has only the value 40"):
            hs.analyze(path, tmp_path / "out", progress=False)


@pytest.mark.parametrize(("old", "new", "key", "expected"), [
    ('files = ["export.csv"]', 'files = [{ path = ["export.csv"] }]', "data.files", "a string"),
    ('files = ["export.csv"]', 'files = [{ path = { a = 1 } }]', "data.files", "a string"),
    ('files = ["export.csv"]', 'files = [{ path = "export.csv", wave = [1] }]', "data.files",
     "one wave"),
    ('files = ["export.csv"]', 'files = [{ path = "export.csv", wave = { a = 1 } }]',
     "data.files", "one wave"),
    ("waves = [0, 3]", "waves = [[0], [3]]", "data.waves", "numbers or strings"),
    ("waves = [0, 3]", "waves = [true, false]", "data.waves", "numbers or strings"),
    ("waves = [0, 3]", "baseline = { a = 1 }", "data.baseline", "one wave"),
    ("waves = [0, 3]", "baseline = [0]", "data.baseline", "one wave"),
    ('covariates = ["age"]', 'covariates = ["age"]\nby = "pid"', "model.by", "the id column"),
    ('covariates = ["age"]', 'covariates = ["age"]\nby = "time"', "model.by", "the wave column"),
    ('covariates = ["age"]', 'covariates = ["age"]\nby = "gad7_total"', "model.by",
     "an outcome"),
    ('covariates = ["age"]', 'covariates = ["gad7_total"]', "model.covariates", "an outcome"),
    ('covariates = ["age"]', 'covariates = ["pid"]', "model.covariates", "the id column"),
    ('covariates = ["age"]', 'covariates = ["age", "age"]', "model.covariates", "twice"),
    ('group = "site"', 'group = "pid"', "data.group", "also data.id"),
    ('columns = "Q{n}"', 'columns = { nope = "Q1" }', "instruments.gad7.columns",
     "unknown item id"),
    ('receiving = "got"', 'receiving = "got"\nmethod = "thresholds"\n'
     'thresholds = { giving = nan, receiving = 2 }', "roles.thresholds", "giving = <number>"),
])
def test_wrong_types_in_the_study_file_name_line_and_key(tmp_path: Path, old: str, new: str,
                                                         key: str, expected: str) -> None:
    assert old in STUDY
    path = write_study(tmp_path, STUDY.replace(old, new))
    with pytest.raises(StudyError, match=r"line \d+, key '" + key.replace(".", r"\.") + "'") \
            as caught:
        hs.load_study(path)
    assert expected in str(caught.value)


def test_deeply_nested_study_file_is_a_study_error(tmp_path: Path) -> None:
    path = write_study(tmp_path, STUDY + "x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(StudyError, match="nested too deeply"):
        hs.load_study(path)


def test_a_bad_formula_names_the_study_key(tmp_path: Path) -> None:
    path = write_study(tmp_path, STUDY.replace('covariates = ["age"]',
                                               'formula = "{outcome} ~ zzz + (1 | pid)"'))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidCellsWarning)
        with pytest.raises(StudyError, match=r"key 'model.formula': the model of gad7_total"):
            hs.analyze(path, tmp_path / "out", progress=False)


# ----------------------------------------------------------------------------- the output folder


def _analyze(path: Path, out: Path, **options: bool) -> hs.report.Analysis:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hs.analyze(path, out, progress=False, **options)


def test_output_folder_manifest_overwrite_stale_and_links(tmp_path: Path) -> None:
    path = write_study(tmp_path)
    out = tmp_path / "out"
    first = _analyze(path, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    listed = [entry["name"] for entry in manifest["files"]]
    assert listed == [p.name for p in first.files]
    assert sorted(listed + ["manifest.json"]) == sorted(p.name for p in out.iterdir())
    for entry in manifest["files"]:
        assert (out / entry["name"]).stat().st_size == entry["bytes"]

    # a second run without overwrite stops before any work, naming the file
    with pytest.raises(OutputError, match="already exists; pass --overwrite"):
        _analyze(path, out)

    # plant a link to a file outside, a stale file of "an earlier run" and a user's file
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (out / "report.html").unlink()
    (out / "report.html").symlink_to(victim)
    (out / "trajectory_old_outcome.png").write_bytes(b"old")
    (out / "notes_of_mine.txt").write_text("mine", encoding="utf-8")
    manifest["files"].append({"name": "trajectory_old_outcome.png", "bytes": 3, "sha256": ""})
    manifest["files"].append({"name": "../victim.txt", "bytes": 8, "sha256": ""})
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    second = _analyze(path, out, overwrite=True)
    assert victim.read_text(encoding="utf-8") == "precious"  # the link was not followed
    assert not (out / "report.html").is_symlink()
    assert "<html" in (out / "report.html").read_text(encoding="utf-8")
    assert not (out / "trajectory_old_outcome.png").exists()  # stale: removed
    assert (out / "notes_of_mine.txt").read_text(encoding="utf-8") == "mine"  # not ours: kept
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [e["name"] for e in manifest["files"]] == [p.name for p in second.files]
    assert manifest["removed_from_earlier_run"] == ["trajectory_old_outcome.png"]
    assert "notes_of_mine.txt" not in [e["name"] for e in manifest["files"]]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_analyze_never_writes_over_an_input(tmp_path: Path) -> None:
    path = write_study(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "scored_data.csv").symlink_to(tmp_path / "export.csv")
    before = (tmp_path / "export.csv").read_bytes()
    with pytest.raises(OutputError, match="input file"):
        _analyze(path, out, overwrite=True)
    assert (tmp_path / "export.csv").read_bytes() == before


def test_analyze_output_is_a_file(tmp_path: Path) -> None:
    path = write_study(tmp_path)
    with pytest.raises(OutputError, match="is a file, not a folder"):
        _analyze(path, path)
    with pytest.raises(OutputError, match="is a file, not a folder"):
        _analyze(path, path / "sub")


def test_scored_data_csv_is_neutralised_unless_opted_out(tmp_path: Path) -> None:
    path = write_study(tmp_path)
    data = pd.read_csv(tmp_path / "export.csv")
    data["note"] = ["=HYPERLINK(\"http://x\")"] + ["-3"] * 10
    data.to_csv(tmp_path / "export.csv", index=False)
    _analyze(path, tmp_path / "a")
    _analyze(path, tmp_path / "b", neutralise=False)
    safe = pd.read_csv(tmp_path / "a" / "scored_data.csv")
    raw = pd.read_csv(tmp_path / "b" / "scored_data.csv")
    assert safe["note"].iloc[0] == "'=HYPERLINK(\"http://x\")"
    assert raw["note"].iloc[0] == "=HYPERLINK(\"http://x\")"
    assert safe["note"].iloc[1] == raw["note"].iloc[1]  # a number stays a number
