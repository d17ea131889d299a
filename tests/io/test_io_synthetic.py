"""Synthetic exports of each format, written here, round-trip a known table exactly."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

import helpstats as hs
from helpstats.io import detect_format

KNOWN = pd.DataFrame({
    "id": ["00123", "11400000001", "A-7"],
    "phq9_1": [0, 3, 2],
    "phq9_2": [1.0, np.nan, 2.0],
    "mood": ["Not at all", "Several days", "Nearly every day"],
    "weight": [70.5, 81.25, 65.0],
})


def write_rows(path: Path, rows: list[list[str]], **kw: object) -> Path:
    with open(path, "w", newline="", encoding=kw.pop("encoding", "utf-8")) as f:  # type: ignore[arg-type]
        csv.writer(f, **kw).writerows(rows)  # type: ignore[arg-type]
    return path


def body(frame: pd.DataFrame) -> list[list[str]]:
    return [["" if pd.isna(v) else (f"{v:g}" if isinstance(v, float) else str(v)) for v in row]
            for row in frame.itertuples(index=False)]


def test_csv_round_trip_keeps_ids_and_types(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    KNOWN.to_csv(path, index=False)
    exp = hs.read_export(path)
    assert exp.format == "csv"
    pd.testing.assert_frame_equal(exp.data, KNOWN, check_dtype=False)
    assert exp.data["id"].tolist() == ["00123", "11400000001", "A-7"]
    assert exp.data["phq9_1"].dtype == "int64"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters(tmp_path: Path, encoding: str, delimiter: str) -> None:
    table = KNOWN.assign(mood=["Été", "naïve", "Ünïcødé"])
    path = tmp_path / "data.txt"
    table.to_csv(path, index=False, sep=delimiter, encoding=encoding)
    exp = hs.read_export(path)
    assert exp.source.delimiter == delimiter
    assert exp.source.encoding == ("utf-8" if encoding == "utf-8" else encoding)
    pd.testing.assert_frame_equal(exp.data, table, check_dtype=False)


def test_qualtrics_synthetic_choice_text(tmp_path: Path) -> None:
    names = list(KNOWN.columns)
    rows = [names, [f"Question about {n}" for n in names],
            [json.dumps({"ImportId": f"QID{i}"}) for i in range(len(names))], *body(KNOWN)]
    path = write_rows(tmp_path / "q.csv", rows)
    exp = hs.read_export(path)
    assert exp.format == "qualtrics" and exp.source.header_rows == 3
    pd.testing.assert_frame_equal(exp.data, KNOWN, check_dtype=False)
    assert exp.questions["mood"] == "Question about mood"


def test_surveymonkey_csv_and_xlsx(tmp_path: Path) -> None:
    top = ["Respondent ID", "Collector ID", "How often?", "Which drinks?", "", "Other"]
    sub = ["", "", "Response", "Tea", "Coffee", "Open-Ended Response"]
    data = [["114000000001", "4321", "Daily", "Tea", "", "Water, cold"],
            ["114000000002", "4321", "Never", "", "Coffee", ""]]
    path = write_rows(tmp_path / "sm.csv", [top, sub, *data])
    exp = hs.read_export(path)
    assert exp.format == "surveymonkey" and exp.source.header_rows == 2
    assert list(exp.data.columns) == ["Respondent ID", "Collector ID", "q1", "q2_1", "q2_2", "q3"]
    assert exp.questions == {"q1": "How often?", "q2_1": "Which drinks? - Tea",
                             "q2_2": "Which drinks? - Coffee", "q3": "Other"}
    assert exp.data["Respondent ID"].tolist() == ["114000000001", "114000000002"]
    assert exp.data["q3"].tolist()[0] == "Water, cold"
    xlsx = tmp_path / "sm.xlsx"
    pd.DataFrame([top, sub, *data]).replace("", None).to_excel(xlsx, header=False, index=False)
    from_xlsx = hs.read_export(xlsx)
    assert from_xlsx.format == "surveymonkey"
    pd.testing.assert_frame_equal(from_xlsx.data, exp.data, check_dtype=False)
    assert from_xlsx.questions == exp.questions


def test_limesurvey_headings(tmp_path: Path) -> None:
    top = ["id", "submitdate", "lastpage", "startlanguage", "Q1", "Q2[SQ001]", "Q2[SQ002]"]
    rows = [["1", "2024-01-01 10:00:00", "3", "en", "A2", "Y", ""],
            ["2", "", "1", "de", "A1", "", "Y"]]
    path = write_rows(tmp_path / "results-survey123.csv", [top, *rows], delimiter=";")
    exp = hs.read_export(path)
    assert exp.format == "limesurvey" and exp.source.delimiter == ";"
    assert list(exp.data.columns) == top
    assert exp.data["Q2[SQ002]"].isna().tolist() == [True, False]
    text = ["id. Response ID", "Q1. How are you?", "Q2[SQ001]. Which? [Tea]"]
    path2 = write_rows(tmp_path / "full.csv", [text, ["1", "Fine", "Yes"]])
    exp2 = hs.read_export(path2)
    assert exp2.format == "limesurvey"
    assert list(exp2.data.columns) == ["id", "Q1", "Q2[SQ001]"]
    assert exp2.questions["Q2[SQ001]"] == "Which? [Tea]"


def test_google_forms_synthetic(tmp_path: Path) -> None:
    rows = [["Timestamp", "Your ID", "What helps? (tick all)"],
            ["3/1/2024 9:05:01", "007", "Talking, Walking"],
            ["3/2/2024 18:00:00", "008", ""]]
    exp = hs.read_export(write_rows(tmp_path / "Form Responses 1.csv", rows))
    assert exp.format == "google-forms"
    assert exp.data["Your ID"].tolist() == ["007", "008"]
    assert exp.data["What helps? (tick all)"].tolist()[0] == "Talking, Walking"


def test_redcap_labels_and_raw_longitudinal(tmp_path: Path) -> None:
    rows = [["record_id", "redcap_event_name", "phq9_1", "mood___1", "mood___2", "phq_complete"],
            ["1", "baseline_arm_1", "2", "1", "0", "2"],
            ["1", "month_1_arm_1", "", "0", "0", "0"]]
    exp = hs.read_export(write_rows(tmp_path / "export.csv", rows))
    assert exp.format == "redcap"
    assert exp.data["phq9_1"].tolist()[0] == 2.0 and np.isnan(exp.data["phq9_1"].iloc[1])
    assert exp.data["redcap_event_name"].tolist() == ["baseline_arm_1", "month_1_arm_1"]


def test_stata_round_trip_with_labels(tmp_path: Path) -> None:
    frame = pd.DataFrame({"pid": [1, 2, 3], "phq9_1": [0.0, 3.0, np.nan],
                          "group": ["a", "b", "c"]})
    path = tmp_path / "d.dta"
    frame.to_stata(path, write_index=False, variable_labels={"phq9_1": "Little interest"})
    exp = hs.read_export(path)
    assert exp.format == "stata" and detect_format(path) == "stata"
    pd.testing.assert_frame_equal(exp.data, frame, check_dtype=False)
    assert exp.questions["phq9_1"] == "Little interest"


def test_spss_round_trip_with_missing_range(tmp_path: Path) -> None:
    frame = pd.DataFrame({"pid": [1.0, 2.0, 3.0, 4.0], "q": [1.0, 97.0, 2.0, 99.0],
                          "name": ["x", "y", "z", "w"]})
    path = str(tmp_path / "s.zsav")
    pyreadstat.write_sav(frame, path, compress=True, missing_ranges={"q": [{"lo": 97, "hi": 99}]},
                         variable_value_labels={"q": {1: "No", 2: "Yes", 99: "Refused"}},
                         column_labels=["Participant", "Question", "Name"])
    exp = hs.read_export(path)
    assert exp.format == "spss"
    assert exp.data["pid"].tolist() == [1, 2, 3, 4] and exp.data["pid"].dtype == "int64"
    assert exp.data["q"].tolist()[0] == 1.0 and exp.data["q"].isna().tolist() == [
        False, True, False, True]
    assert exp.missing_codes == {"q": ((97, 99),)}
    assert exp.source.missing_cells == {"q": 2}
    assert exp.questions["q"] == "Question" and exp.value_labels["q"][99] == "Refused"


def test_excel_round_trip_sheet_choice(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="notes", index=False)
        KNOWN.to_excel(writer, sheet_name="wave1", index=False)
    exp = hs.read_export(path, sheet="wave1")
    assert exp.format == "excel" and exp.source.sheet == "wave1"
    pd.testing.assert_frame_equal(exp.data, KNOWN, check_dtype=False)
    assert hs.read_export(path, sheet=1).data.shape == (3, 5)
    assert hs.read_export(path).source.sheet == "notes"


def test_duplicate_and_blank_names_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("Q1,Q1,,Q1.1\n1,2,3,4\n")
    with pytest.warns(hs.errors.ExportWarning, match="renamed"):
        exp = hs.read_export(path)
    assert list(exp.data.columns) == ["Q1", "Q1.2", "column_3", "Q1.1"]
    assert exp.source.renamed_columns == {"Q1.2": "Q1", "column_3": ""}
    assert exp.data.iloc[0].tolist() == [1, 2, 3, 4]


def test_exactness_rules(tmp_path: Path) -> None:
    path = tmp_path / "num.csv"
    path.write_text("a,b,c,d,e,f,g\n1,+1,1.50,inf, 2,0.1,True\n2,2,2,1,3,12345678901234567,False\n")
    exp = hs.read_export(path)
    d = exp.data
    assert d["a"].tolist() == [1, 2]
    assert d["b"].tolist() == ["+1", "2"]          # a sign is text
    assert d["c"].tolist() == [1.5, 2.0]
    assert d["d"].tolist() == ["inf", "1"]         # not a plain number
    assert d["e"].tolist() == [2, 3]               # spaces around a number are formatting
    assert d["f"].tolist() == ["0.1", "12345678901234567"]
    assert d["g"].tolist() == ["True", "False"]


def test_blank_lines_inside_are_rows_trailing_are_not(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("a,b\n1,2\n\n3,4\n\n\n")
    exp = hs.read_export(path)
    assert exp.data["a"].tolist()[0] == 1 and np.isnan(exp.data["a"].iloc[1])
    assert len(exp.data) == 3 and exp.source.rows_read == 3
    assert "2 blank line(s)" in exp.source.notes[0]


def test_redcap_labels_export(tmp_path: Path) -> None:
    rows = [["Record ID", "Event Name", "Gender", "Race (choice=White)", "Demographics Complete?"],
            ["1", "Baseline (Arm 1: Drug A)", "Female", "Checked", "Complete"],
            ["2", "Baseline (Arm 1: Drug A)", "", "Unchecked", "Incomplete"]]
    exp = hs.read_export(write_rows(tmp_path / "labels.csv", rows))
    assert exp.format == "redcap"
    assert exp.data["Gender"].tolist()[0] == "Female" and exp.data["Record ID"].tolist() == [1, 2]
    assert exp.questions["Race (choice=White)"] == "Race (choice=White)"
    assert "labels export" in exp.source.notes[0]


def test_qualtrics_xlsx_export(tmp_path: Path) -> None:
    names = ["ResponseId", "Q1_1", "Q1_2"]
    sheet = [names, ["Response ID", "Mood - Calm", "Mood - Tense"],
             ['{"ImportId":"_recordId"}', '{"ImportId":"QID1_1"}', '{"ImportId":"QID1_2"}'],
             ["R_a", 1, 4], ["R_b", 2, None]]
    path = tmp_path / "qualtrics.xlsx"
    pd.DataFrame(sheet).to_excel(path, header=False, index=False, sheet_name="Sheet0")
    exp = hs.read_export(path)
    assert exp.format == "qualtrics" and exp.source.sheet == "Sheet0"
    assert exp.data["ResponseId"].tolist() == ["R_a", "R_b"]
    assert exp.data["Q1_1"].tolist() == [1, 2] and exp.data["Q1_1"].dtype == "int64"
    assert exp.data["Q1_2"].iloc[0] == 4.0 and np.isnan(exp.data["Q1_2"].iloc[1])
    assert exp.questions["Q1_2"] == "Mood - Tense"


def test_stata_value_labels(tmp_path: Path) -> None:
    frame = pd.DataFrame({"pid": [1, 2], "sex": [0, 1]})
    path = tmp_path / "labels.dta"
    frame.to_stata(path, write_index=False, value_labels={"sex": {0: "male", 1: "female"}})
    exp = hs.read_export(path)
    assert exp.value_labels["sex"] == {0: "male", 1: "female"}
    assert exp.data["sex"].tolist() == [0, 1]
