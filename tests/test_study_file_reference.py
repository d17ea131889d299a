"""STUDY_FILE.md documents every key the study-file parser accepts.

The accepted keys are read from the parser itself, by writing a study file that is valid
except for one unknown key in one section and reading the list of allowed keys from the
error; so a key added to ``helpstats/study.py`` without a line in the reference page fails
here.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

import helpstats as hs
from helpstats.cli import main
from helpstats.errors import StudyError
from helpstats.starter import copy_example, study_file_path, study_file_reference

DATA = Path(hs.__file__).parent / "data"

BASE = """\
[study]
title = "t"

[data]
files = ["example_study.csv"]
id = "participant"
wave = "wave"
group = "group"

[instruments.phq9]

[roles]
giving = "helping_given"
receiving = "helping_received"

[model]
outcomes = ["phq9_total"]

[table_one]
variables = ["age"]

[helping]
columns = ["helping_given"]

[labels]

[labels.variables]
age = "Age"

[missing]
method = "observed"
"""

UNKNOWN = "zzz_not_a_key"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("study")
    shutil.copyfile(DATA / "example_study.csv", path / "example_study.csv")
    return path


def _error(folder: Path, text: str) -> str:
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StudyError) as caught:
        hs.load_study(path)
    return str(caught.value)


def _with_unknown(section: str) -> str:
    header = f"[{section}]\n"
    assert header in BASE
    return BASE.replace(header, f"{header}{UNKNOWN} = 1\n", 1)


def _sections() -> list[str]:
    """Every section heading of the base file (the sections whose keys are checked)."""
    return re.findall(r"^\[([^\]]+)\]$", BASE, flags=re.MULTILINE)


def accepted_keys(folder: Path) -> dict[str, set[str]]:
    """Section -> the keys the parser accepts there, from its own unknown-key errors."""
    keys: dict[str, set[str]] = {}
    top = _error(folder, BASE + f"\n[{UNKNOWN}]\n")
    found = re.search(r"unknown section; a study file has: (.*)\.$", top)
    assert found, top
    keys[""] = set(found.group(1).split(", "))
    for section in _sections():
        if section == "labels.variables":  # column = "label" lines: any key is a column
            continue
        message = _error(folder, _with_unknown(section))
        found = re.search(r"unknown key; allowed keys in \[([^\]]+)\]: (.*)\.$", message)
        assert found and found.group(1) == section, message
        keys[section] = set(found.group(2).split(", "))
    entry = _error(folder, BASE.replace('files = ["example_study.csv"]',
                                        f'files = [{{ path = "example_study.csv", {UNKNOWN} = 1 }}]'))
    keys["data.files"] = set(re.findall(r"(\w+) = \.\.\.", entry))
    return keys


def documented_keys() -> dict[str, set[str]]:
    """Section -> keys in the first column of the tables under its ``## `[section]``` heading
    (the tables of ``files`` entries count as ``data.files``)."""
    keys: dict[str, set[str]] = {"": set()}
    section = None
    table = 0
    for line in study_file_reference().splitlines():
        heading = re.match(r"^## `\[([^\]]+)\]`", line)
        if heading:
            section, table = heading.group(1), 0
            keys[""].add(section.split(".")[0])
            keys.setdefault(section, set())
            continue
        if section and line.startswith("| key |"):
            table += 1
        row = re.match(r"^\| `([A-Za-z_]+)` \|", line)
        if section and row:
            name = "data.files" if section == "data" and table == 2 else section
            keys.setdefault(name, set()).add(row.group(1))
    return keys


def test_every_accepted_key_is_documented(folder: Path) -> None:
    accepted = accepted_keys(folder)
    documented = documented_keys()
    assert accepted[""] >= {"study", "data", "instruments", "roles", "model", "missing", "labels"}
    assert accepted["data"] >= {"files", "id", "wave", "wave_label"}
    assert accepted["data.files"] == {"path", "wave"}
    for section, names in accepted.items():
        where = "instruments.<id>" if section == "instruments.phq9" else section
        missing = names - documented.get(where, set())
        assert not missing, f"[{where}] keys not in STUDY_FILE.md: {sorted(missing)}"


def test_every_row_has_type_default_and_example() -> None:
    rows = [line for line in study_file_reference().splitlines()
            if re.match(r"^\| `[A-Za-z_]+` \|", line)]
    assert len(rows) >= 40
    for row in rows:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        assert len(cells) == 5 and all(cells), row


def test_the_complete_example_on_the_page_is_a_valid_study(tmp_path: Path) -> None:
    text = study_file_reference()
    example = re.search(r"## A complete example\n\n```toml\n(.*?)```", text, re.DOTALL)
    assert example
    raw = tomllib.loads(example.group(1))
    assert raw["data"]["wave_label"] == "Months since baseline"
    shutil.copyfile(Path(__file__).parents[1] / "instruments" / "gad7.toml",
                    tmp_path / "mymeasure.toml")  # a definition of one's own
    (tmp_path / "export.csv").write_text("participant,wave\n1,0\n", encoding="utf-8")
    (tmp_path / "study.toml").write_text(example.group(1), encoding="utf-8")
    study = hs.load_study(tmp_path / "study.toml")
    assert study.wave_label == "Months since baseline"
    assert study.level_labels == {"arm": {"0": "Usual care", "1": "Peer support"}}
    assert [s.instrument.id for s in study.instruments] == ["phq9", "gad7"]


def test_reference_ships_beside_the_example_study() -> None:
    assert study_file_path().parent == hs.datasets.example_study_path().parent
    assert study_file_path().is_file()


def test_analyze_help_names_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    assert "STUDY_FILE.md" in capsys.readouterr().out
    assert main(["docs", "study-file"]) == 0
    assert capsys.readouterr().out == study_file_reference()


def test_example_copies_a_study_that_loads_and_refuses_to_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine"
    assert main(["example", "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["STUDY_FILE.md", "example_study.csv", "example_study.toml"]
    study = hs.load_study(out / "example_study.toml")
    assert study.files[0].path == out / "example_study.csv"
    (out / "example_study.toml").write_text("# mine\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["example", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already exist" in err and "--force" in err and "force=True" not in err
    assert (out / "example_study.toml").read_text(encoding="utf-8") == "# mine\n"
    assert main(["example", "-o", str(out), "--force"]) == 0
    assert (out / "example_study.toml").read_bytes() == (DATA / "example_study.toml").read_bytes()
    with pytest.raises(hs.errors.HelpstatsError, match="force=True"):
        copy_example(out)
