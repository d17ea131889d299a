"""Bad files give ExportError naming the file and the problem, never a pandas traceback."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.errors import ExportError


def expect(path: Path, match: str, **kw: object) -> None:
    with pytest.raises(ExportError, match=match) as info:
        hs.read_export(path, **kw)  # type: ignore[arg-type]
    assert str(path) in str(info.value) or "format=" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    expect(tmp_path / "nope.csv", "no such file")
    (tmp_path / "empty.csv").write_bytes(b"")
    expect(tmp_path / "empty.csv", "empty")
    (tmp_path / "blank.csv").write_text("\n\n  \n")
    expect(tmp_path / "blank.csv", "empty")
    expect(tmp_path, "folder")


def test_binary_and_non_export_files(tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(b"\x00\x01\x02garbage\x00" * 50)
    expect(tmp_path / "x.bin", "binary")
    (tmp_path / "x.json").write_text('{"a": 1}')
    expect(tmp_path / "x.json", "not a survey export")
    (tmp_path / "p.xml").write_text("<?xml version='1.0'?><ODM/>")
    expect(tmp_path / "p.xml", "XML")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    expect(tmp_path / "old.xls", "xls")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.writestr("readme.txt", "hi")
    expect(tmp_path / "a.zip", "not an .xlsx")


@pytest.mark.parametrize("suffix", [".xlsx", ".sav", ".zsav", ".dta"])
def test_text_named_as_a_binary_format_is_not_an_export(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"notes{suffix}"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(ExportError, match=rf"named \{suffix} but is not"):
        hs.read_export(path)


def test_unreadable_bytes_and_wrong_encoding(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n1,\x81\x8d\x8f\x90\x9d\n")  # undefined in cp1252, invalid UTF-8
    expect(path, "unreadable bytes")
    path2 = tmp_path / "latin.csv"
    path2.write_bytes("a\né\n".encode("cp1252"))
    expect(path2, "cannot be decoded as 'utf-8'", encoding="utf-8")
    assert hs.read_export(path2).data["a"].tolist() == ["é"]


def test_wrong_format_argument(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    expect(path, "not known", format="sas")
    expect(path, "not a SPSS file", format="spss")
    expect(path, "not an .xlsx", format="excel")
    expect(path, "ImportId", format="qualtrics")
    expect(path, "REDCap", dictionary=path)
    expect(path, "not an .xlsx workbook", sheet="x")
    sav = tmp_path / "s.csv"
    pd.DataFrame({"a": [1.0]}).pipe(lambda d: __import__("pyreadstat").write_sav(d, str(sav)))
    expect(sav, "is a SPSS file", format="csv")


def test_redcap_dictionary_passed_as_data(tmp_path: Path) -> None:
    path = tmp_path / "dd.csv"
    path.write_text('"Variable / Field Name","Form Name","Field Type","Field Label"\n'
                    "record_id,f,text,ID\n")
    expect(path, "data dictionary")
    data = tmp_path / "d.csv"
    data.write_text("record_id,f_complete\n1,2\n")
    expect(data, "not a REDCap data dictionary", dictionary=data)


def test_excel_problems(tmp_path: Path) -> None:
    path = tmp_path / "b.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "only"
    book.save(path)
    expect(path, "is empty")
    expect(path, "no sheet 'other'", sheet="other")
    expect(path, "no sheet number 3", sheet=3)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ExportError, match="broken.xlsx"):
        hs.read_export(broken)


def test_ragged_rows_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n6\n")
    with pytest.warns(hs.errors.ExportWarning):
        exp = hs.read_export(path)
    assert exp.data.shape == (3, 3)
    assert exp.data["column_3"].tolist()[1] == 5


cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) |
                st.sampled_from(["\n", ",", ";", '"', "0", "-", ".", " ", "1"]),
                max_size=8) | st.sampled_from(["00123", "-1", " 3", "1.5", "", "11400000001"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cells, min_size=2, max_size=2), min_size=1, max_size=12),
       sep=st.sampled_from([",", ";", "\t"]))
def test_no_row_is_ever_lost_in_csv_round_trips(tmp_path_factory: pytest.TempPathFactory,
                                                 rows: list[list[str]], sep: str) -> None:
    table = pd.DataFrame(rows, columns=["first", "second"])
    path = tmp_path_factory.mktemp("rt") / "t.csv"
    table.to_csv(path, index=False, sep=sep)
    exp = hs.read_export(path, format="csv")
    assert exp.source.rows_read == len(exp.data) == len(table)
    for column in table:
        original = table[column].replace("", None)
        got = exp.data[column]
        if got.dtype.kind in "if":
            expected = pd.to_numeric(original).astype(float)
            pd.testing.assert_series_equal(got.astype(float), expected, check_names=False)
        else:
            assert [None if pd.isna(v) else v for v in got] == \
                [None if pd.isna(v) else v for v in original]


@pytest.mark.filterwarnings("ignore::helpstats.errors.ExportWarning")
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.binary(max_size=300) | st.text(
    alphabet=st.sampled_from(list(',;\t|"\n\r x0123456789-+.{}[]<>é\x00')), max_size=300
).map(lambda t: t.encode("utf-8")) | st.sampled_from(
    [b"$FL2garbage", b"PK\x03\x04junk", b"<stata_dta>xx", b"\x72\x02\x01\x00abc", b"\xfe\xff",
     b'a,b\n"1,2\n']))
def test_any_bytes_give_an_export_or_an_export_error(tmp_path_factory: pytest.TempPathFactory,
                                                     content: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "input.csv"
    path.write_bytes(content)
    try:
        exp = hs.read_export(path)
    except ExportError as error:
        assert str(path) in str(error)
    else:
        assert exp.source.rows_read == len(exp.data)


@pytest.mark.filterwarnings("ignore::helpstats.errors.ExportWarning")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=st.lists(st.sampled_from(["00123", "7", "A-1", "11400000001", ""]), min_size=1,
                    max_size=10),
       data=st.data())
def test_no_row_is_lost_in_xlsx_and_sav_round_trips(tmp_path_factory: pytest.TempPathFactory,
                                                    ids: list[str], data: st.DataObject) -> None:
    import pyreadstat

    n = len(ids)
    scores = data.draw(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=n, max_size=n))
    if not ids[-1] and scores[-1] is None:
        scores[-1] = 0  # a blank last row has no cells in an .xlsx file: nothing to read
    table = pd.DataFrame({"id": [i or None for i in ids],
                          "q": [float("nan") if s is None else float(s) for s in scores]})
    folder = tmp_path_factory.mktemp("rt2")
    table.to_excel(folder / "t.xlsx", index=False)
    xlsx = hs.read_export(folder / "t.xlsx")
    assert len(xlsx.data) == n and xlsx.source.rows_read == n
    got_ids = [None if pd.isna(v) else str(v) for v in xlsx.data["id"]]
    if xlsx.data["id"].dtype.kind == "O":  # text column: every ID exactly as written
        assert got_ids == [i or None for i in ids]
    else:  # only plain small integers were written
        assert all(i in ("7", "") for i in ids)
    assert xlsx.data["q"].astype(float).tolist() == pytest.approx(table["q"].tolist(),
                                                                   nan_ok=True)
    pyreadstat.write_sav(table.fillna({"id": ""}), str(folder / "t.sav"))
    sav = hs.read_export(folder / "t.sav")
    assert len(sav.data) == n
    assert sav.data["q"].astype(float).tolist() == pytest.approx(table["q"].tolist(), nan_ok=True)
