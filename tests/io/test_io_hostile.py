"""Hostile, real-world input to read_export (issue 9, "silent row loss on import").

Each test here failed before its fix: a stray quote swallowed respondents, a one-header
file was taken for SurveyMonkey, typed ``NA`` vanished from .xlsx only, and so on.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ExportError, ExportWarning, ScoringError
from helpstats.io.redcap import unchecked_as_missing

ROOT = Path(__file__).parents[2]
NEUROHACK = ROOT / "tests" / "data" / "exports" / "scorify" / "neurohack_April+2,+2019_11.05.csv"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def quiet_read(path: Path, **kw: object) -> hs.Export:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExportWarning)
        return hs.read_export(path, **kw)  # type: ignore[arg-type]


def xlsx(path: Path, rows: list[list[object]], *, text: bool = True) -> Path:
    """Write rows to an .xlsx; ``text`` stores every str as text (never a formula)."""
    book = openpyxl.Workbook()
    sheet = book.active
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(row=r, column=c, value=value)
            if text and isinstance(value, str):
                cell.data_type = "s"
    book.save(path)
    return path


# ----------------------------------------------------------------------------- quotes


@pytest.mark.parametrize("text, line", [
    # a stray quote in the header: every respondent after it was one header cell
    ('id,q1,"Any comments?\n1,2,nice\n3,4,good\n5,6,ok\n7,8,fine\n', 1),
    # an unclosed quote in a free-text cell runs to the end of the file
    ('id,comment,q1\n1,ok,2\n2,"I liked it,3\n3,fine,4\n4,good,1\n', 3),
    # ... or is "closed" by the next quoted cell, followed by more text
    ('id,q1,comment\n1,2,"nice\n3,4,good\n5,6,"fine"\n7,8,x\n', 2),
    # ... or closes cleanly, but the lines it holds are whole records
    ('id,comment,q1\n1,"nice,2\n2,good,3\n3,fine,4\n4,ok",1\n5,yes,2\n', 2),
    # ... or is closed by the opening quote of a later cell, making a row too wide
    # (found by hypothesis: a lost quote of '""""')
    ('c0,c1,c2,c3,c4\n,,,,"""\n,,,,",;"\n', 2),
    # CRLF line ends and a semicolon delimiter: same rule
    ('id;q1;comment\r\n1;2;"nice\r\n3;4;good\r\n5;6;fine\r\n', 2),
])
def test_quote_that_swallows_records_names_its_line(tmp_path: Path, text: str,
                                                    line: int) -> None:
    path = write(tmp_path / "q.csv", text)
    with pytest.raises(ExportError, match=rf"q\.csv: line {line}: a quote opens a cell"):
        hs.read_export(path)


def test_quote_error_also_for_explicit_formats(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", 'record_id,comment,form_complete\n1,"oops,2\n2,ok,2\n')
    for fmt in ("redcap", "csv", "limesurvey"):
        with pytest.raises(ExportError, match="line 2"):
            hs.read_export(path, format=fmt)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_genuine_multiline_comments_stay_one_cell(tmp_path: Path, newline: str) -> None:
    rows = [["id", "comment", "q1", "q2"],
            ["1", "Line one,\nline two, with a comma", "2", "3"],
            ["2", 'She said "fine".\n\nThen left, quickly, unhappy', "1", "0"],
            ["3", "one,two,three\nfour", "0", "1"],
            ["4", "", "3", "3"]]
    path = tmp_path / "c.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator=newline).writerows(rows)
    exp = hs.read_export(path)
    assert exp.data.shape == (4, 4)
    assert exp.data["comment"].tolist()[:3] == [r[1] for r in rows[1:4]]
    assert exp.data["q1"].tolist() == [2, 1, 0, 3]


def test_a_free_text_cell_over_128kb_early_in_the_file_reads(tmp_path: Path) -> None:
    long_text = "x, y " * 60_000  # 300 KB, quoted because of the commas
    path = tmp_path / "long.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["id", "comment", "q1"], ["1", long_text, "2"], ["2", "ok", "3"]])
    assert hs.io.detect_format(path) == "csv"
    exp = hs.read_export(path)
    assert exp.data["comment"].tolist() == [long_text, "ok"]
    assert exp.data["q1"].tolist() == [2, 3]
    header = tmp_path / "long_header.csv"
    write(header, f'id,"{long_text}"\n1,2\n')
    assert hs.read_export(header).data.shape == (1, 2)


# ----------------------------------------------------------------------------- SurveyMonkey


def test_one_header_file_with_surveymonkey_columns_keeps_every_respondent(tmp_path: Path) -> None:
    rows = [["Respondent ID", "Collector ID", "phq9_1", "phq9_2"],
            ["101", "5", "1", "2"], ["102", "5", "3", "0"]]
    path = write(tmp_path / "one.csv", "\n".join(",".join(r) for r in rows) + "\n")
    exp = hs.read_export(path)
    assert exp.format == "csv" and exp.source.header_rows == 1
    assert exp.data["Respondent ID"].tolist() == [101, 102]
    assert list(exp.data.columns) == rows[0]
    book = hs.read_export(xlsx(tmp_path / "one.xlsx", rows))
    assert book.format == "excel" and book.data["phq9_2"].tolist() == [2, 0]
    with pytest.raises(ExportError, match="row 2 holds '101' under 'Respondent ID'"):
        hs.read_export(path, format="surveymonkey")


def test_surveymonkey_guessed_from_weak_signals_says_so(tmp_path: Path) -> None:
    rows = [["Respondent ID", "Collector ID", "Which drinks?", ""],
            ["", "", "Tea", "Coffee"], ["101", "5", "Tea", ""], ["102", "5", "", "Coffee"]]
    path = write(tmp_path / "sm.csv", "\n".join(",".join(r) for r in rows) + "\n")
    exp = hs.read_export(path)
    assert exp.format == "surveymonkey" and len(exp.data) == 2
    assert any("guessed as SurveyMonkey from weak signals" in n and "2 data row(s)" in n
               for n in exp.source.notes)
    strong = write(tmp_path / "strong.csv",
                   "Respondent ID,Collector ID,How are you?\n,,Response\n101,5,Fine\n")
    assert not any("guessed" in n for n in hs.read_export(strong).source.notes)


# ----------------------------------------------------------------------------- missing values


TYPED = ["None", "NA", "N/A", "null", "#N/A", "NaN", "nan", "-", "."]


def test_typed_missing_words_are_values_in_every_format(tmp_path: Path) -> None:
    rows = [["id", "answer"]] + [[str(i), t] for i, t in enumerate(TYPED, start=1)]
    rows.append([str(len(TYPED) + 1), None])  # type: ignore[list-item]
    book = hs.read_export(xlsx(tmp_path / "t.xlsx", rows))
    path = tmp_path / "t.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["" if v is None else v for v in r] for r in rows])
    text = hs.read_export(path)
    assert book.data["answer"].tolist()[:-1] == TYPED
    assert text.data["answer"].tolist()[:-1] == TYPED
    assert pd.isna(book.data["answer"].iloc[-1]) and pd.isna(text.data["answer"].iloc[-1])


def test_excel_error_cells_read_as_their_text(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "e.xlsx", [["id", "x"], ["1", "#N/A"], ["2", "#DIV/0!"]], text=False)
    assert hs.read_export(path).data["x"].tolist() == ["#N/A", "#DIV/0!"]


def test_declared_missing_codes_list_and_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / "n.csv", "id,DPQ010,DPQ020,note\n7,0,9,NA\n9,7,1,ok\n2,3,9,\n")
    plain = hs.read_export(path)
    assert plain.data["DPQ020"].tolist() == [9, 1, 9] and plain.missing_codes == {}
    listed = hs.read_export(path, missing_codes=[7, 9, "NA"])
    assert listed.data["id"].tolist() == [7, 9, 2]  # identifiers keep their values
    assert listed.data["DPQ010"].tolist()[1:] == [np.nan, 3.0] or \
        np.isnan(listed.data["DPQ010"].iloc[1])
    assert np.isnan(listed.data["DPQ020"].iloc[0]) and listed.data["DPQ020"].iloc[1] == 1
    assert listed.data["note"].tolist()[1] == "ok" and pd.isna(listed.data["note"].iloc[0])
    assert listed.missing_codes["DPQ020"] == (7, 9, "NA") and "id" not in listed.missing_codes
    assert dict(listed.source.missing_cells) == {"DPQ010": 1, "DPQ020": 2, "note": 1}
    mapped = hs.read_export(path, missing_codes={"DPQ020": 9, "id": [9]})
    assert mapped.data["DPQ010"].tolist() == [0, 7, 3]
    assert mapped.data["id"].tolist()[0] == 7 and np.isnan(mapped.data["id"].iloc[1])
    assert mapped.missing_codes == {"DPQ020": (9,), "id": (9,)}
    with pytest.raises(ExportError, match=r"\['nope'\]"):
        hs.read_export(path, missing_codes={"nope": [9]})
    with pytest.raises(ExportError, match="not a code"):
        hs.read_export(path, missing_codes=[True])


def test_missing_codes_on_text_and_spss(tmp_path: Path) -> None:
    import pyreadstat

    path = write(tmp_path / "t.csv", "pid,q\nA,1\nB,Refused\nC, 7.0\n")
    exp = hs.read_export(path, missing_codes={"q": ["Refused", 7]})
    assert exp.data["q"].tolist()[0] == 1.0 and exp.data["q"].isna().tolist() == [False, True, True]
    sav = str(tmp_path / "s.sav")
    pyreadstat.write_sav(pd.DataFrame({"q": [1.0, 8.0, 9.0]}), sav, missing_ranges={"q": [9]})
    both = hs.read_export(sav, missing_codes={"q": [8]})
    assert both.data["q"].isna().tolist() == [False, True, True]
    assert both.missing_codes["q"] == (9, 8) and both.source.missing_cells["q"] == 2


def test_cli_missing_codes(tmp_path: Path) -> None:
    items = ",".join(f"phq9_{i}" for i in range(1, 10))
    path = write(tmp_path / "n.csv", f"SEQN,{items}\n1,{','.join(['1'] * 9)}\n"
                                     f"2,7,{','.join(['1'] * 7)},9\n")
    out = tmp_path / "o.csv"
    cmd = [sys.executable, "-m", "helpstats", "score", str(path), "-i", "phq9", "-o", str(out)]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    refused = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert refused.returncode != 0 and "value 9" in refused.stderr
    ok = subprocess.run(cmd + ["--missing-codes", "7,9"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    scored = pd.read_csv(out)
    assert scored["phq9_total_n_answered"].tolist() == [9, 7]
    assert np.isnan(scored["phq9_1"].iloc[1])


# ----------------------------------------------------------------------------- xlsx formulas


def test_xlsx_formulas_without_saved_results_are_listed(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "f.xlsx", [["id", "q1", "q2", "total"], ["1", 1, 2, "=B2+C2"],
                                      ["2", 3, 0, "=B3+C3"]], text=False)
    with pytest.warns(ExportWarning, match=r"2 formula cell\(s\) have no saved result.*D2, D3"):
        exp = hs.read_export(path)
    assert exp.data["total"].isna().all() and len(exp.data) == 2
    assert any("D2, D3" in n for n in exp.source.notes)
    plain = xlsx(tmp_path / "p.xlsx", [["id", "note"], ["1", "=not a formula"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExportWarning)
        assert hs.read_export(plain).data["note"].tolist() == ["=not a formula"]


# ----------------------------------------------------------------------------- Qualtrics


def test_qualtrics_without_import_id_row(tmp_path: Path) -> None:
    lines = NEUROHACK.read_bytes().split(b"\r\n")
    path = tmp_path / "no_import_id.csv"
    path.write_bytes(b"\r\n".join(lines[:2] + lines[3:]))
    full = hs.read_export(NEUROHACK)
    exp = hs.read_export(path)
    assert exp.format == "qualtrics" and exp.source.header_rows == 2
    pd.testing.assert_frame_equal(exp.data, full.data)
    assert exp.questions["PANAS_01"] == "Interested"
    assert any("no ImportId row" in n for n in exp.source.notes)
    assert exp.file_rows()[0] == 3
    assert hs.read_export(path, format="qualtrics").data.shape == full.data.shape
    rows = [line.decode().split(",") for line in lines[:2]]
    book = xlsx(tmp_path / "q.xlsx", [rows[0][:8], rows[1][:8],
                                      ["2024-01-01 10:00", "2024-01-01 10:05", "0", "1.2.3.4",
                                       "100", "300", "1", "2024-01-01 10:05"]])
    from_book = hs.read_export(book)
    assert from_book.format == "qualtrics" and len(from_book.data) == 1


def test_a_plain_csv_with_qualtrics_like_names_keeps_its_first_row(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "StartDate,Progress,ResponseId,Q1\n"
                                     "2024-01-01,100,R_1,3\n2024-01-02,50,R_2,4\n")
    exp = hs.read_export(path)
    assert exp.format == "csv" and exp.data["ResponseId"].tolist() == ["R_1", "R_2"]


# ----------------------------------------------------------------------------- REDCap


def test_unchecked_as_missing_reads_checked_unchecked_labels(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "record_id,race___1,race___2,form_complete\n"
                                     "1,Checked,Unchecked,2\n2,Unchecked,Unchecked,2\n"
                                     "3,,,0\n")
    data = unchecked_as_missing(hs.read_export(path))
    assert data["race___1"].tolist()[0] == "Checked"
    assert data["race___2"].tolist()[0] == "Unchecked"
    assert data[["race___1", "race___2"]].iloc[1:].isna().all(axis=None)
    assert data.attrs["unchecked"] == {"race": 2}
    labels = write(tmp_path / "l.csv", "Record ID,Race (choice=White),Race (choice=Black),"
                                       "Complete?\n1,Unchecked,Unchecked,Complete\n"
                                       "2,Checked,Unchecked,Complete\n")
    assert unchecked_as_missing(hs.read_export(labels)).attrs["unchecked"] == {"Race": 2}


def test_unchecked_as_missing_reports_unexpected_codes(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "record_id,c___1,c___2,form_complete\n1,1,0,2\n2,2,0,2\n"
                                     "3,0,-1,2\n")
    with pytest.raises(ExportError, match=r"2 checkbox cell\(s\).*row 3, column 'c___1', "
                                          r"value 2.*row 4, column 'c___2', value -1"):
        unchecked_as_missing(hs.read_export(path))


# ----------------------------------------------------------------------------- rows, text


def test_short_rows_are_padded_and_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "id,a,b,c\n1,2,3,4\n2,5\n3\n4,1,1,1\n5,1,1,\n")
    with pytest.warns(ExportWarning, match=r"2 row\(s\) have fewer fields than the header \(4\)"):
        exp = hs.read_export(path)
    assert len(exp.data) == 5 and exp.data["id"].tolist() == [1, 2, 3, 4, 5]
    assert any("row(s) 3, 4" in n for n in exp.source.notes)
    full = write(tmp_path / "f.csv", "id,a\n1,2\n2,\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExportWarning)
        assert hs.read_export(full).source.notes == ()


def test_mixed_utf8_and_cp1252_is_decoded_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes("id,name\n1,Zoë\n".encode() + "2,Chloé\n".encode("cp1252") +
                     "3,Ünal\n".encode())
    with pytest.warns(ExportWarning, match=r"1 line\(s\) are not UTF-8.*line\(s\) 3"):
        exp = hs.read_export(path)
    assert exp.data["name"].tolist() == ["Zoë", "Chloé", "Ünal"]
    assert exp.source.encoding == "utf-8+cp1252"
    legacy = tmp_path / "w.csv"
    legacy.write_bytes("id,name\n1,Zoë\n2,Chloé\n".encode("cp1252"))
    plain = hs.read_export(legacy)
    assert plain.source.encoding == "cp1252" and plain.data["name"].tolist() == ["Zoë", "Chloé"]


@pytest.mark.parametrize("name", ["id", "participant_id", "ResponseId", "Respondent ID", "PID"])
def test_id_columns_keep_their_exact_text(tmp_path: Path, name: str) -> None:
    ids = ["1E5", "1.10", "00123", "7"]
    path = write(tmp_path / "i.csv", f"{name},q\n" + "".join(f"{v},1\n" for v in ids))
    assert hs.read_export(path).data[name].tolist() == ids
    book = xlsx(tmp_path / "i.xlsx", [[name, "q"]] + [[v, 1] for v in ids])
    assert hs.read_export(book).data[name].tolist() == ids
    decimals = write(tmp_path / "d.csv", f"{name},q\n1.10,1\n2.5,2\n")
    assert hs.read_export(decimals).data[name].tolist() == ["1.10", "2.5"]


def test_numbers_keep_their_meaning_outside_id_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "n.csv", "code,x,y,z\n1E5,1e-05,1.10,93705.0\n2E3,2.5E+3,2.25,1.0\n")
    d = hs.read_export(path).data
    assert d["code"].tolist() == ["1E5", "2E3"]  # a bare exponent is a code, not a number
    assert d["x"].tolist() == [1e-05, 2500.0]
    assert d["y"].tolist() == [1.1, 2.25] and d["z"].tolist() == [93705.0, 1.0]


def test_an_item_cell_0_1_is_not_scored_as_1() -> None:
    data = pd.DataFrame({f"phq9_{i}": ["1"] for i in range(1, 10)})
    data["phq9_1"] = ["0_1"]
    with pytest.raises(ScoringError, match="'0_1'"):
        hs.score(data, "phq9")
    data["phq9_1"] = ["１"]  # a full-width digit is not the code 1 either
    with pytest.raises(ScoringError):
        hs.score(data, "phq9")
    data["phq9_1"] = [" 1 "]
    assert hs.score(data, "phq9")["phq9_total"].tolist() == [9]


def test_utf8_with_bom_and_a_cp1252_line(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "id,name\n1,Zoë\n".encode() + "2,Chloé\n".encode("cp1252"))
    with pytest.warns(ExportWarning, match=r"line\(s\) 3"):
        exp = hs.read_export(path)
    assert list(exp.data.columns) == ["id", "name"]
    assert exp.data["name"].tolist() == ["Zoë", "Chloé"]


def test_an_empty_text_cell_in_xlsx_is_missing_like_an_empty_csv_cell(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "e.xlsx", [["id", "x"], ["1", ""], ["2", "a"]])
    assert hs.read_export(path).data["x"].isna().tolist() == [True, False]


def test_formats_guessed_from_weak_signals_say_so(tmp_path: Path) -> None:
    weak = write(tmp_path / "w.csv", "record_id,c___1,form_complete\n1,1,2\n")
    assert any("guessed as REDCap" in n for n in hs.read_export(weak).source.notes)
    strong = write(tmp_path / "s.csv", "record_id,redcap_event_name,form_complete\n1,e,2\n")
    assert not any("guessed" in n for n in hs.read_export(strong).source.notes)
    heads = write(tmp_path / "l.csv", "q1. How old are you?,q2. Where?\n34,Here\n")
    exp = hs.read_export(heads)
    assert exp.format == "limesurvey" and "1 data row(s)" in exp.source.notes[-1]


def test_missing_codes_as_text_like_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "pid,q\nA,7\nB,9\nC,2\n")
    assert hs.read_export(path, missing_codes="7,9").data["q"].isna().tolist() == [True, True,
                                                                                   False]
    assert hs.read_export(path, missing_codes={"q": "9"}).missing_codes == {"q": (9,)}


def test_an_empty_cell_beside_twenty_digit_ids_is_missing(tmp_path: Path) -> None:
    """pandas' unsigned-integer fallback (values between 2**63 and 2**64 - 1) leaves an
    empty cell as "" instead of missing; the reader makes it missing, as every other
    empty cell, and keeps the IDs as written."""
    path = tmp_path / "ids.csv"
    path.write_text("ref,q\n9223372036854775808,1\n,2\n18446744073709551615,3\n",
                    encoding="utf-8")
    data = hs.read_export(path).data
    assert data["ref"].iloc[0] == "9223372036854775808" and pd.isna(data["ref"].iloc[1])
    assert data["ref"].iloc[2] == "18446744073709551615" and data["q"].tolist() == [1, 2, 3]


def test_a_tsv_whose_cells_hold_commas_is_read_as_tab_separated(tmp_path: Path) -> None:
    """Tabs and commas split every record of this file equally well; its name says TAB
    (found by the round-trip property test)."""
    path = tmp_path / "t.tsv"
    path.write_text('c0\tc1,\n"\n"\t","\n', encoding="utf-8")
    exp = hs.read_export(path, format="csv")
    assert exp.source.delimiter == "\t"
    assert exp.data.columns.tolist() == ["c0", "c1,"]
    assert exp.data.iloc[0].tolist() == ["\n", ","]
