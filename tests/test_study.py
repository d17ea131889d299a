"""Study files: parsed into a Study; every mistake named by file, line and key."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import StudyError
from helpstats.study import RoleSpec, find_line

GOOD = """\
[study]
title = "Pilot"

[data]
files = ["export.csv"]
id = "pid"
wave = "time"
group = "site"

[instruments.phq9]
columns = "Q5_{n}"

[roles]
giving = "gave"
receiving = "got"

[model]
outcomes = ["phq9_total"]
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "export.csv").write_text("pid,time\n1,0\n", encoding="utf-8")
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_and_defaults(tmp_path: Path) -> None:
    study = hs.load_study(write(tmp_path, GOOD))
    assert study.title == "Pilot"
    assert study.files[0].path == tmp_path / "export.csv"
    assert (study.id, study.wave, study.group, study.baseline) == ("pid", "time", "site", None)
    assert study.instruments[0].instrument.id == "phq9"
    assert study.instruments[0].columns == "Q5_{n}"
    assert study.roles == RoleSpec(giving="gave", receiving="got")
    assert study.model.by == "role"
    assert study.formula_for("phq9_total") == \
        "phq9_total ~ role * time + (1 | pid) + (1 | site)"
    assert study.table_one == ("phq9_total",)


def test_covariates_and_file_waves(tmp_path: Path) -> None:
    text = GOOD.replace('files = ["export.csv"]',
                        'files = [{ path = "export.csv", wave = 0 }]')
    text += 'covariates = ["age", "sex"]\nby = "arm"\n'
    study = hs.load_study(write(tmp_path, text))
    assert study.files[0].wave == 0
    assert study.formula_for("phq9_total") == \
        "phq9_total ~ age + sex + arm * time + (1 | pid) + (1 | site)"


@pytest.mark.parametrize(
    ("old", "new", "line", "key", "message"),
    [
        ('id = "pid"', 'id = 3', 6, "data.id", "expected a non-empty string"),
        ('title = "Pilot"', 'title = "Pilot"\ncolour = "red"', 3, "study.colour", "unknown key"),
        ('files = ["export.csv"]', 'files = ["nothere.csv"]', 5, "data.files", "does not exist"),
        ("[instruments.phq9]", "[instruments.phq99]", 10, "instruments.phq99",
         "unknown instrument 'phq99'"),
        ('columns = "Q5_{n}"', 'columns = "Q5_"', 11, "instruments.phq9.columns",
         "pattern with {n}"),
        ('receiving = "got"', 'receiving = "got"\nmethod = "mean"', 16, "roles.method",
         "expected one of median, thresholds"),
        ('receiving = "got"', 'receiving = "got"\nmethod = "thresholds"', 16, "roles.method",
         "needs thresholds"),
        ('receiving = "got"', 'receiving = "got"\nthresholds = { giving = 1, receiving = "x" }\n'
         'method = "thresholds"', 16, "roles.thresholds", "needs thresholds"),
        ('receiving = "got"\n', "", 13, "roles", "required key 'receiving' is missing"),
        ('outcomes = ["phq9_total"]', 'outcomes = []', 18, "model.outcomes", "list of column"),
        ('outcomes = ["phq9_total"]', 'outcomes = ["phq9_total"]\nformula = "y ~ x"', 19,
         "model.formula", "placeholder {outcome}"),
        ("[model]", "[modle]", 17, "modle", "unknown section"),
    ],
)
def test_semantic_errors_name_line_and_key(tmp_path: Path, old: str, new: str, line: int,
                                           key: str, message: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(StudyError) as info:
        hs.load_study(path)
    text = str(info.value)
    assert text.startswith(f"{path}, line {line}, key '{key}': "), text
    assert message in text


def test_missing_section_has_no_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.split("[model]")[0])
    with pytest.raises(StudyError, match=re.escape("(key not present), key 'model': required")):
        hs.load_study(path)


def test_syntax_error_has_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('id = "pid"', 'id = "pid'))
    with pytest.raises(StudyError, match=r"not valid TOML: .*line 6"):
        hs.load_study(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="cannot read the study file"):
        hs.load_study(tmp_path / "none.toml")


def test_find_line_handles_dotted_and_quoted_keys() -> None:
    text = '[a]\nx = 1\n[b."c d"]\ny.z = 2\n'
    assert find_line(text, ("b", "c d", "y", "z")) == 4
    assert find_line(text, ("b", "c d")) == 3
    assert find_line(text, ("q",)) is None


def test_bundled_example_study_loads() -> None:
    study = hs.load_study(hs.datasets.example_study_path())
    assert study.model.outcomes == ("phq9_total", "gad7_total")
    assert study.waves == (0, 1, 3, 8)
    assert study.files[0].path.is_file()


def test_labels_and_wave_label(tmp_path: Path) -> None:
    text = GOOD.replace('group = "site"', 'group = "site"\nwave_label = "Months since baseline"')
    text += ('\n[labels.variables]\nage = "Age (years)"\n'
             '[labels.levels.arm]\n0 = "Usual care"\n1 = "Peer support"\n')
    study = hs.load_study(write(tmp_path, text))
    assert study.wave_label == "Months since baseline"
    assert study.variable_labels == {"age": "Age (years)"}
    assert study.level_labels == {"arm": {"0": "Usual care", "1": "Peer support"}}
    plain = hs.load_study(write(tmp_path, GOOD))
    assert (plain.wave_label, plain.variable_labels, plain.level_labels) == (None, {}, {})


@pytest.mark.parametrize("extra, key", [
    ('[labels.variables]\nage = 3\n', "labels.variables"),
    ('[labels.levels]\narm = "x"\n', "labels.levels.arm"),
    ('[labels]\ncolours = "red"\n', "labels.colours"),
])
def test_bad_labels_name_the_key(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(StudyError, match=re.escape(f"key '{key}'")):
        hs.load_study(write(tmp_path, GOOD + "\n" + extra))


def test_missing_codes(tmp_path: Path) -> None:
    text = GOOD.replace('group = "site"', 'group = "site"\nmissing_codes = [-99, "refused"]')
    assert hs.load_study(write(tmp_path, text)).missing_codes == [-99, "refused"]
    text = GOOD.replace('group = "site"', 'group = "site"\nmissing_codes = { Q5_1 = [7, 9] }')
    assert hs.load_study(write(tmp_path, text)).missing_codes == {"Q5_1": [7, 9]}
    assert hs.load_study(write(tmp_path, GOOD)).missing_codes is None
    bad = GOOD.replace('group = "site"', 'group = "site"\nmissing_codes = [true]')
    with pytest.raises(StudyError, match="key 'data.missing_codes'"):
        hs.load_study(write(tmp_path, bad))


@pytest.mark.filterwarnings("ignore")
def test_analyze_reads_missing_codes(tmp_path: Path) -> None:
    from helpstats.report import build_frame

    source = Path(hs.datasets.example_study_path())
    data = pd.read_csv(source.parent / "example_study.csv")
    data.loc[data.index[:5], "phq9_1"] = -99
    data.to_csv(tmp_path / "example_study.csv", index=False)
    text = source.read_text(encoding="utf-8").replace(
        'outcomes = ["phq9_total", "gad7_total"]', 'outcomes = ["phq9_total"]')
    plain = tmp_path / "plain.toml"
    plain.write_text(text, encoding="utf-8")
    coded = tmp_path / "coded.toml"
    coded.write_text(text.replace('wave = "wave"', 'wave = "wave"\nmissing_codes = [-99]', 1),
                     encoding="utf-8")
    coded_frame, coded_problems = build_frame(hs.load_study(coded))
    plain_frame, plain_problems = build_frame(hs.load_study(plain))
    # declared codes are missing values, not answers: no validation problem
    assert coded_frame["phq9_1"].iloc[:5].isna().all() and coded_problems.empty
    # undeclared, -99 is an out-of-range answer, reported cell by cell
    assert (plain_frame["phq9_1"].iloc[:5] == -99).all()
    assert plain_problems["row"].tolist() == [2, 3, 4, 5, 6]
    assert plain_problems["problem"].str.startswith("out of range").all()
