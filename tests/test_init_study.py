"""``helpstats init``: a study file guessed from exports, that runs, and that never calls an
unrelated block of numbers an instrument without saying how little it rests on."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.cli import main
from helpstats.study_init import guess_study, study_file_text

EXAMPLE = hs.datasets.example_study_path().with_suffix(".csv")
PHQ9 = hs.load_instrument("phq9")
STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"


def _renamed(folder: Path) -> Path:
    """The example export as another platform might name it."""
    data = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    names = {"participant": "record_id", "wave": "visit", "group": "site",
             "helping_given": "help_given_count", "helping_received": "help_received_count"}
    for instrument, prefix in (("phq9", "Q5_"), ("gad7", "Q6_"), ("who5", "Q7_")):
        names.update({f"{instrument}_{n}": f"{prefix}{n}" for n in range(1, 10)})
    path = folder / "renamed export.csv"
    data.rename(columns=names).to_csv(path, index=False)
    return path


def _init(exports: list[Path], out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["init", *map(str, exports), "-o", str(out)]) == 0
    capsys.readouterr()
    return out.read_text(encoding="utf-8")


def _prose(text: str) -> str:
    """The words of a study file, comment marks and line breaks left out."""
    return " ".join(word for word in text.split() if word != "#")


def _active_instruments(text: str) -> dict[str, str]:
    return {name: table.get("columns") for name, table in
            tomllib.loads(text).get("instruments", {}).items()}


def _analyze(study: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(study), "-o", str(out), "--no-progress"]) == 0, \
        capsys.readouterr().err
    capsys.readouterr()
    assert (out / "report.html").is_file()


def test_example_export_gives_a_study_that_runs(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copyfile(EXAMPLE, tmp_path / "export.csv")
    text = _init([tmp_path / "export.csv"], tmp_path / "study.toml", capsys)
    raw = tomllib.loads(text)
    assert raw["data"] == {"files": ["export.csv"], "id": "participant", "wave": "wave",
                           "group": "group", "waves": [0, 1, 3, 8]}
    assert _active_instruments(text) == {"phq9": "phq9_{n}", "gad7": "gad7_{n}",
                                         "who5": "who5_{n}"}
    assert raw["roles"]["giving"] == "helping_given"
    assert raw["roles"]["receiving"] == "helping_received"
    assert raw["model"] == {"outcomes": ["phq9_total", "gad7_total", "who5_total"], "by": "role"}
    study = hs.load_study(tmp_path / "study.toml")
    assert study.formula_for("phq9_total") == \
        "phq9_total ~ role * wave + (1 | participant) + (1 | group)"
    _analyze(tmp_path / "study.toml", tmp_path / "results", capsys)


@pytest.mark.filterwarnings("ignore::helpstats.errors.ProvisionalKeyWarning")
def test_renamed_columns_are_found_from_the_item_pattern(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = _renamed(tmp_path)
    text = _init([export], tmp_path / "study.toml", capsys)
    raw = tomllib.loads(text)
    assert raw["data"]["files"] == ["renamed export.csv"]
    assert (raw["data"]["id"], raw["data"]["wave"], raw["data"]["group"]) == \
        ("record_id", "visit", "site")
    assert _active_instruments(text) == {"phq9": "Q5_{n}", "gad7": "Q6_{n}", "who5": "Q7_{n}"}
    assert (raw["roles"]["giving"], raw["roles"]["receiving"]) == \
        ("help_given_count", "help_received_count")
    # the guess rests on the shape alone, and the file says so where it is made
    assert "GUESSED FROM THE SHAPE ONLY: 9 items answered within 0-3, like the PHQ-9" in \
        _prose(text)
    assert text.count("CHECK") >= 4
    _analyze(tmp_path / "study.toml", tmp_path / "results", capsys)
    # the scores from the guessed file are the scores of the original columns
    original = hs.score(pd.read_csv(EXAMPLE), "phq9")["phq9_total"]
    renamed = hs.score(pd.read_csv(export), "phq9", columns="Q5_{n}")["phq9_total"]
    pd.testing.assert_series_equal(original, renamed)


def _qualtrics(path: Path, blocks: dict[str, tuple[list[str], np.ndarray]]) -> Path:
    """A Qualtrics CSV: variable names, question texts, import ids, then the answers."""
    names, texts = ["ResponseId", "pid"], ["Response ID", "Participant id"]
    n = next(iter(blocks.values()))[1].shape[0]
    columns = [[f"R_{i}" for i in range(n)], [f"P{i:03d}" for i in range(n)]]
    for prefix, (questions, values) in blocks.items():
        for k, question in enumerate(questions, start=1):
            names.append(f"{prefix}_{k}")
            texts.append(question)
            columns.append([str(v) for v in values[:, k - 1]])
    imports = [f'"{{""ImportId"":""QID{i}""}}"' for i in range(len(names))]
    rows = [names, [f'"{t}"' for t in texts], imports]
    rows += [[col[i] for col in columns] for i in range(n)]
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_question_texts_name_the_instrument_and_reject_an_unrelated_block(
        tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    phq = rng.integers(0, 4, size=(30, 9))
    unrelated = rng.integers(0, 4, size=(30, 9))  # same shape as the PHQ-9: 9 items, 0-3
    housing = [f"How satisfied are you with the {thing} of your housing?" for thing in
               ("size", "cost", "location", "safety", "heating", "noise", "repairs",
                "neighbours", "landlord")]
    path = _qualtrics(tmp_path / "q.csv", {
        "Q5": ([f"{STEM} - {item.text}" for item in PHQ9.items], phq),
        "Q8": (housing, unrelated)})
    export = hs.read_export(path)
    assert export.format == "qualtrics" and export.questions["Q5_1"].endswith("doing things")
    guess = guess_study([path])
    found = {b.columns: b for b in guess.instruments}
    assert found["Q5_{n}"].instrument is PHQ9 or found["Q5_{n}"].instrument.id == "phq9"
    assert found["Q5_{n}"].evidence == "text" and found["Q5_{n}"].active
    assert found["Q8_{n}"].instrument is None and not found["Q8_{n}"].active
    text = study_file_text(guess, tmp_path)
    assert _active_instruments(text) == {"phq9": "Q5_{n}"}
    assert text.count("instruments.phq9") == 1  # not offered for Q8, even as a comment
    assert "Q8_1 .. Q8_9: the question texts match no bundled 9-item instrument" in \
        _prose(text)
    assert guess.id.column == "pid"


def _plain(path: Path, blocks: dict[str, np.ndarray], ids: int = 40) -> Path:
    frame = pd.DataFrame({"participant": range(1, ids + 1)})
    for prefix, values in blocks.items():
        for k in range(values.shape[1]):
            frame[f"{prefix}_{k + 1}"] = values[:, k]
    frame.to_csv(path, index=False)
    return path


def test_an_unrelated_numeric_block_is_not_called_phq9(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    likert = rng.integers(1, 6, size=(40, 9))  # 9 items answered 1-5
    binary = rng.integers(0, 2, size=(40, 9))  # 9 yes/no items: inside 0-3, but not PHQ-9
    guess = guess_study([_plain(tmp_path / "x.csv", {"X": likert, "Y": binary})])
    assert [b.instrument for b in guess.instruments] == [None, None]
    text = study_file_text(guess, tmp_path)
    assert "phq9" not in _active_instruments(text)
    assert "[instruments.phq9]" not in text
    assert "X_1 .. X_9: their answers are not those of the bundled 9-item instrument(s) " \
           "(phq9)" in _prose(text)
    assert "Y_1 .. Y_9: their answers use too little of the response range of phq9" in \
        _prose(text)
    assert "No bundled instrument was recognised" in _prose(text)


def test_a_block_that_fits_several_instruments_is_left_as_a_comment(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    middle = rng.integers(1, 4, size=(40, 7))  # 1-3: inside GAD-7 (0-3), Mastery (1-4), ...
    guess = guess_study([_plain(tmp_path / "m.csv", {"Q": middle})])
    (block,) = guess.instruments
    assert not block.active and block.instrument is None
    assert set(block.candidates) >= {"gad7", "pearlin_mastery"}
    text = study_file_text(guess, tmp_path)
    assert "# [instruments.gad7]" in text and "# [instruments.pearlin_mastery]" in text
    assert not _active_instruments(text).keys() - {"CHANGE_ME"}


def test_response_labels_identify_the_instrument(tmp_path: Path) -> None:
    labels = np.array(PHQ9.items[0].response_set.labels, dtype=object)
    rng = np.random.default_rng(3)
    answers = labels[rng.integers(0, 4, size=(40, 7))]  # GAD-7 shares the PHQ labels
    guess = guess_study([_plain(tmp_path / "l.csv", {"anx": answers})])
    (block,) = guess.instruments
    assert block.instrument is not None and block.instrument.id == "gad7"
    assert block.evidence == "labels" and block.columns == "anx_{n}"


def test_one_export_per_wave(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = pd.read_csv(EXAMPLE)
    for wave, name in ((0, "baseline.csv"), (3, "month3.csv")):
        data[data["wave"] == wave].drop(columns="wave").to_csv(tmp_path / name, index=False)
    text = _init([tmp_path / "baseline.csv", tmp_path / "month3.csv"], tmp_path / "s.toml",
                 capsys)
    raw = tomllib.loads(text)
    assert raw["data"]["files"] == [{"path": "baseline.csv", "wave": 0},
                                    {"path": "month3.csv", "wave": 3}]
    assert raw["data"]["wave"] == "wave" and "one export per wave" in _prose(text)
    study = hs.load_study(tmp_path / "s.toml")
    assert [f.wave for f in study.files] == [0, 3]


def test_init_command_refuses_to_overwrite_and_writes_to_stdout(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copyfile(EXAMPLE, tmp_path / "e.csv")
    out = tmp_path / "study.toml"
    out.write_text("# mine\n", encoding="utf-8")
    assert main(["init", str(tmp_path / "e.csv"), "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", str(tmp_path / "e.csv"), "-o", str(out), "--force"]) == 0
    capsys.readouterr()
    assert main(["init", str(tmp_path / "e.csv"), "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert tomllib.loads(captured.out)["data"]["id"] == "participant"
    assert "wrote standard output" in captured.err
    (tmp_path / "sub").mkdir()
    assert main(["init", str(tmp_path / "e.csv"), "-o", str(tmp_path / "sub" / "s.toml")]) == 0
    capsys.readouterr()
    assert hs.load_study(tmp_path / "sub" / "s.toml").files[0].path.resolve() == \
        (tmp_path / "e.csv").resolve()  # written as ../e.csv, relative to the study file
    assert main(["init", str(tmp_path / "e.csv"), "-o", str(tmp_path / "s.txt")]) == 2
    assert re.search(r"a study file is a \.toml file", capsys.readouterr().err)


def test_surveymonkey_matrix_and_an_id_question(tmp_path: Path) -> None:
    """SurveyMonkey: no variable names (q1, q2_1 ...); the question row and the sub-header
    row carry the item texts, the cells the response labels, and q1 asks for the id."""
    labels = np.array(PHQ9.items[0].response_set.labels, dtype=object)
    rng = np.random.default_rng(4)
    rows = [["Respondent ID", "Collector ID", "What is your participant ID?", STEM] + [""] * 8,
            ["", "", "Open-Ended Response"] + [item.text for item in PHQ9.items]]
    rows += [[str(1000 + i), "77", f"M{i:03d}", *labels[rng.integers(0, 4, 9)]]
             for i in range(30)]
    path = tmp_path / "sm.csv"
    pd.DataFrame(rows).to_csv(path, header=False, index=False)
    assert hs.read_export(path).format == "surveymonkey"
    guess = guess_study([path])
    assert guess.id.column == "q1" and "asks for the member's id" in guess.id.note
    (block,) = [b for b in guess.instruments if b.active]
    assert (block.instrument.id, block.columns, block.evidence) == ("phq9", "q2_{n}", "text")
    text = study_file_text(guess, tmp_path)
    assert tomllib.loads(text)["model"]["outcomes"] == ["phq9_total"]
    assert "A study of change needs at least two waves" in _prose(text)
