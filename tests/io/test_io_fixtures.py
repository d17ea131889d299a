"""Real exports written by others (tests/data/exports, see SOURCE.md) read as their
source README describes them."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ExportWarning

D = Path(__file__).parents[1] / "data" / "exports"


def read(rel: str, **kw: object) -> hs.Export:
    return hs.read_export(D / rel, **kw)  # type: ignore[arg-type]


def test_qualtrics_neurohack_three_header_rows() -> None:
    exp = read("scorify/neurohack_April+2,+2019_11.05.csv")
    assert exp.format == "qualtrics"
    assert exp.data.shape == (10, 45)
    assert exp.source.header_rows == 3 and exp.source.rows_read == 10
    assert exp.source.encoding == "utf-8"
    assert list(exp.data.columns[:3]) == ["StartDate", "EndDate", "Status"]
    assert exp.questions["PANAS_01"] == "Interested"
    assert exp.questions["PANAS_02"] == "Distressed"
    assert exp.questions["MCSD_01"] == "I sometimes feel resentful when I don't get my way."
    items = exp.data[[f"PANAS_{i:02d}" for i in range(1, 21)]]
    assert (items.dtypes == "int64").all()
    assert items.min().min() >= 1 and items.max().max() <= 5
    mcsd = exp.data[[f"MCSD_{i:02d}" for i in range(1, 14)]]
    assert set(np.unique(mcsd.to_numpy())) == {1, 2}
    # first respondent: id 7180, PANAS mean 2.7 as in scorify's expected output
    first = exp.data.iloc[0]
    assert first["id"] == 7180 and first["ResponseId"] == "R_3Jr4eeQy43NsXlH"
    assert items.iloc[0].mean() == pytest.approx(2.7)
    assert exp.data["id - Topics"].isna().all()


def test_qualtrics_sample_german_labels() -> None:
    exp = read("qualtrics/sample.csv")
    assert exp.format == "qualtrics" and exp.data.shape == (1, 20)
    row = exp.data.iloc[0]
    assert row["Q1"] == 2 and row["Q2"] == "Hello World!"
    assert row["ResponseId"] == "R_2YPOQ602ER1jkf1"
    assert exp.questions["StartDate"] == "Anfangsdatum"
    assert exp.questions["Q1"] == "This is a multiple choice question."


def test_qualtrics_legacy_two_rows_bom_trailing_comma() -> None:
    with pytest.warns(ExportWarning, match="column_16"):
        exp = read("qualtrics/sample_legacy.csv")
    assert exp.format == "qualtrics-legacy"
    assert exp.source.header_rows == 2 and exp.source.encoding == "utf-8-sig"
    assert exp.data.shape == (1, 16)
    assert exp.data.columns[0] == "V1"  # no BOM in the name
    assert exp.questions["V1"] == "ResponseID"
    assert exp.data.loc[0, "V1"] == "R_2YPOQ602ER1jkf1"
    assert exp.data.loc[0, "Q2"] == "Hello World!"
    assert exp.source.renamed_columns == {"column_16": ""}


def test_redcap_survey_with_dictionary() -> None:
    exp = read("redcap/survey/data.csv", dictionary=D / "redcap/survey/dictionary.csv")
    assert exp.format == "redcap" and exp.data.shape == (2, 33)
    assert exp.data["participant_id"].tolist() == [1, 2]
    # "[not completed]" is read as missing and recorded
    ts = "participant_morale_questionnaire_timestamp"
    assert exp.data[ts].isna().all()
    assert exp.missing_codes[ts] == ("[not completed]",)
    assert exp.source.missing_cells[ts] == 1
    assert exp.value_labels["pmq1"] == {0: "Less than 5", 1: "5-10", 2: "6-15", 3: "Over 15"}
    assert exp.value_labels["consent___1"] == {0: "Unchecked", 1: "Checked"}
    assert exp.value_labels["has_diabetes"] == {0: "False", 1: "True"}
    assert exp.value_labels["pmq3"] == {0: "No", 1: "Yes"}
    assert exp.value_labels["prescreening_survey_complete"][2] == "Complete"
    assert exp.questions["consent___1"].endswith(": I consent")
    assert exp.data[["pmq1", "pmq2", "pmq3", "pmq4"]].isna().all().all()
    fields = exp.fields
    assert fields is not None
    row = fields.set_index("column").loc["consent___1"]
    assert (row["field"], row["field_type"], row["choice"]) == ("consent", "checkbox", "1")
    assert fields.set_index("column").loc["dob", "validation"] == "date_ymd"


def test_redcap_checkboxes_numeric_and_letter_codes() -> None:
    exp = read("redcap/checkboxes-1/data.csv", dictionary=D / "redcap/checkboxes-1/dictionary.csv")
    assert exp.data.shape == (4, 13)
    assert exp.data["check_one___1"].tolist() == [1, 0, 1, 0]
    assert exp.data["check_two___b"].tolist() == [0, 1, 0, 0]
    assert exp.questions["check_two___c"] == "check two: C"
    groups = exp.fields.groupby("field")["choice"].apply(list).to_dict()  # type: ignore[union-attr]
    assert groups["check_one"] == ["1", "2", "3", "4"]
    assert groups["check_two"] == ["a", "b", "c", "d", "e"]
    # unchecked boxes are exported as 0 and kept as 0: nothing is guessed
    assert exp.data.loc[3, [c for c in exp.data if "___" in c]].eq(0).all()


def test_redcap_repeating_instruments() -> None:
    exp = read("redcap/repeating-instruments/data.csv")
    assert exp.format == "redcap" and exp.data.shape == (6, 15)
    assert exp.data["record_id"].tolist() == [1, 1, 1, 1, 2, 2]
    assert exp.data["redcap_repeat_instrument"].tolist()[:2] == [None, "bp"] or \
        exp.data["redcap_repeat_instrument"].isna().tolist() == [True, False, False, False,
                                                                 True, False]
    assert exp.data["bp_systolic"].tolist()[1:4] == [110.0, 111.0, 112.0]


def test_redcap_longitudinal() -> None:
    exp = read("redcap/longitudinal/data.csv", dictionary=D / "redcap/longitudinal/dictionary.csv")
    assert exp.data.shape == (18, 125)
    assert sorted(exp.data["study_id"].unique()) == [100, 220, 304]
    assert exp.data["redcap_event_name"].str.endswith(("_arm_1", "_arm_2")).all()
    assert [f"gym___{k}" for k in range(5)] == [c for c in exp.data if c.startswith("gym___")]
    assert exp.value_labels["gym___0"] == {0: "Unchecked", 1: "Checked"}


def test_spss_sample_sav_and_zsav_agree() -> None:
    sav, zsav = read("pyreadstat/sample.sav"), read("pyreadstat/sample.zsav")
    assert sav.format == zsav.format == "spss"
    pd.testing.assert_frame_equal(sav.data, zsav.data)
    assert sav.data.shape == (5, 7)
    assert sav.data["mychar"].tolist() == ["a", "b", "c", "d", "e"]
    assert sav.data["mynum"].tolist() == [1.1, 1.2, -1000.3, -1.4, 1000.3]
    assert sav.value_labels["mylabl"] == {1: "Male", 2: "Female"}
    assert sav.value_labels["myord"] == {1: "low", 2: "medium", 3: "high"}
    assert sav.questions["mylabl"] == "labeled"
    assert sav.data["mydate"].isna().tolist() == [False] * 4 + [True]


def test_spss_user_missing_values_and_ranges() -> None:
    exp = read("pyreadstat/sample_missing.sav")
    assert exp.data.shape == (7, 7)
    assert exp.missing_codes == {"mynum": ((2000, 3000), -1), "mylabl": (-1,),
                                 "myord": (-1, -2, -3)}
    # pyreadstat's sample_missing.csv: rows 6 and 7 are system-missing once user-missing
    # codes are treated as missing
    assert exp.data["mynum"].tolist()[:5] == [1.1, 1.2, -1000.3, -1.4, 1000.3]
    assert exp.data[["mynum", "mylabl", "myord"]].iloc[5:].isna().all().all()
    assert exp.source.missing_cells == {"mynum": 2, "mylabl": 1, "myord": 2}
    assert exp.value_labels["mylabl"][-1] == "undetermined"


def test_spss_multiple_response_file_missing_codes() -> None:
    exp = read("pyreadstat/simple_alltypes.sav")
    assert exp.data.shape == (6, 12)
    assert exp.missing_codes["x"] == (7, 8, 99)
    assert exp.missing_codes["z"] == ((-999, 0), 999)
    assert exp.value_labels["z"][999] == "skipped"


def test_haven_sav_files() -> None:
    na = read("haven/labelled-num-na.sav")
    assert na.data["VAR00002"].tolist()[0] == 1 and np.isnan(na.data["VAR00002"].iloc[1])
    assert na.missing_codes == {"VAR00002": (9,)}
    assert na.value_labels["VAR00002"] == {1: "This is one"}
    assert read("haven/labelled-str.sav").value_labels["gender"] == {"M": "Male", "F": "Female"}
    um = read("haven/umlauts.sav")
    assert um.questions["var1"] == "This is an ä-umlaut"
    assert um.value_labels["var1"][2] == "the ü umlaut"
    lab = read("haven/variable-label.sav")
    assert lab.questions["sex"] == "Gender" and lab.value_labels["sex"] == {1: "female"}


def test_google_forms_multiline_cells() -> None:
    exp = read("google-forms-jupyter/responses.csv")
    assert exp.format == "google-forms"
    assert exp.data.shape == (125, 25)  # 237 physical lines, 125 records
    assert exp.data.columns[0] == "Timestamp"
    assert exp.data.loc[0, "Timestamp"] == "4/22/2016 19:57:50"
    assert int(exp.data.isna().sum().sum()) == 692
    assert len(exp.questions) == 24 and "Timestamp" not in exp.questions
    assert (exp.data == "N/A").any().any()  # literal N/A text stays text


def test_limesurvey_code_and_text_headings() -> None:
    with pytest.warns(ExportWarning):
        exp = read("limesurvey-rse-survey/public_data.csv")
    assert exp.format == "limesurvey" and exp.data.shape == (22, 277)
    assert exp.data.columns[0] == "column_1"  # the publisher's unnamed pandas index
    assert exp.data["column_1"].tolist()[:3] == [0, 5, 7]
    assert exp.questions["socio1"] == "In which country do you work?"
    assert exp.data["socio1"].eq("South Africa").all()
    brackets = [c for c in exp.data.columns if c.startswith("currentEmp13[")]
    assert brackets and exp.questions[brackets[0]].startswith("In which disciplines")


def test_nhanes_phq9_floats_and_rows() -> None:
    exp = read("nhanes-phq9/DPQ_J.csv")
    assert exp.format == "csv" and exp.data.shape == (5533, 11)
    assert exp.data["SEQN"].iloc[0] == 93705.0
    items = exp.data[[f"DPQ0{k}0" for k in range(1, 10)]]
    assert int(items.isna().all(axis=1).sum()) == 439
    assert int(items.isin([7, 9]).any(axis=1).sum()) == 23


def test_scorify_excel_and_csv_are_the_same_table() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xlsx = read("scorify/003_data.xlsx")
    assert xlsx.format == "excel" and xlsx.source.sheet == "1_data"
    assert "2 sheets" in xlsx.source.notes[0]
    csv = read("scorify/005_data.csv")
    assert csv.data.shape == xlsx.data.shape == (3, 9)
    assert csv.data["foo_d"].tolist()[:2] == ["skipped", "3"]
    assert xlsx.data["foo_d"].tolist()[:2] == ["skipped", "3"]
    assert xlsx.data["bar_c"].tolist() == [3, 6, 4]
    assert read("scorify/003_data.xlsx", sheet="Sheet2").source.sheet == "Sheet2"


def test_redcap_unchecked_groups_as_missing_match_redcapr_desired_result() -> None:
    from helpstats.io.redcap import checkbox_groups, unchecked_as_missing

    exp = read("redcap/checkboxes-1/data.csv", dictionary=D / "redcap/checkboxes-1/dictionary.csv")
    assert checkbox_groups(exp) == {"check_one": [f"check_one___{k}" for k in range(1, 5)],
                                    "check_two": [f"check_two___{k}" for k in "abcde"]}
    data = unchecked_as_missing(exp)
    one = data[[f"check_one___{k}" for k in range(1, 5)]]
    two = data[[f"check_two___{k}" for k in "abcde"]]
    # the fixture's desired_result column: record 1 keeps both groups, record 2 has check_one
    # NA, record 3 has check_two NA (record 4 ticked nothing at all)
    assert one.isna().all(axis=1).tolist() == [False, True, False, True]
    assert two.isna().all(axis=1).tolist() == [False, False, True, True]
    assert one.iloc[0].tolist() == [1, 0, 0, 0] and two.iloc[1].tolist() == [0, 1, 0, 1, 0]
    assert data.attrs["unchecked"] == {"check_one": 8, "check_two": 10}
    assert exp.data["check_one___1"].tolist() == [1, 0, 1, 0]  # the export is not modified
    # without a dictionary the groups come from the x___code names
    assert checkbox_groups(read("redcap/checkboxes-1/data.csv")) == checkbox_groups(exp)
