"""The .xlsx reader: python-calamine gives the same Export as openpyxl, and falls back to it."""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import helpstats as hs
from helpstats.io import _sheet

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "exports"


def _book(path: Path, rows: list[list[object]], *, merge: str | None = None,
          start: tuple[int, int] = (1, 1), text: bool = True) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            cell = sheet.cell(row=start[0] + r, column=start[1] + c, value=value)
            if text and isinstance(value, str):
                cell.data_type = "s"  # stored as text, never a formula or an error
    if merge:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def _long_integer(path: Path) -> Path:
    """A workbook whose XML holds the integer 12345678901234567 in full (openpyxl and Excel
    write it as 1.234567890123457e+16; other writers write every digit)."""
    _book(path, [["id", "n"], [12345678901234567, 1], [2, 2]])
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert b"<v>1.234567890123457e+16</v>" in parts[sheet]
    parts[sheet] = parts[sheet].replace(b"<v>1.234567890123457e+16</v>", b"<v>12345678901234567</v>")
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


def _workbooks(folder: Path) -> list[Path]:
    rng = np.random.default_rng(7)
    random_rows: list[list[object]] = [["pid", "q1", "q2", "note", "when"]]
    for i in range(200):
        random_rows.append([
            f"P{i:04d}", int(rng.integers(0, 4)) if rng.random() > 0.1 else None,
            float(np.round(rng.normal(), 3)), str(rng.choice(["", "ok", "NA", "12", "0.1"])),
            dt.datetime(2024, 1, 1) + dt.timedelta(seconds=int(rng.integers(0, 10**7)))])
    return [
        _book(folder / "types.xlsx", [
            ["id", "int", "float", "when", "day", "clock", "flag", "mixed", "text"],
            ["007", 1, 2.5, dt.datetime(2024, 1, 2, 3, 4, 5), dt.date(2024, 1, 2), dt.time(3, 4),
             True, 1, "a"],
            ["8", 2, 1e20, dt.datetime(2024, 1, 2), dt.date(1999, 12, 31), dt.time(0, 0, 1),
             False, "x", " b "],
            [None, 3, None, None, None, None, None, dt.datetime(2020, 5, 6), ""],
            ["10", 4, -0.5, dt.datetime(1900, 3, 1), dt.date(2024, 2, 29), None, True, 2.5, "1\n2"]]),
        _book(folder / "merged.xlsx", [["id", "group", None, "q"], ["1", "A", None, 3],
                                       ["2", None, None, 4]], merge="B1:C1"),
        _book(folder / "offset.xlsx", [["id", "q"], ["1", 3], ["2", None]], start=(3, 2)),
        _book(folder / "text_numbers.xlsx", [["id", "q", "z"], ["00123", "1", "1.50"],
                                             ["00124", "2", "1E5"], ["7", " 3", "-05"]]),
        _book(folder / "trailing.xlsx", [["a", "b", None], [1, 2, None], [None, None, None],
                                         [3, None, ""]]),
        _book(folder / "header_date.xlsx", [[dt.datetime(2024, 1, 1), 5, "q"], [1, 2, 3]],
              text=False),
        _long_integer(folder / "long_integer.xlsx"),
        _book(folder / "random.xlsx", random_rows),
        *sorted(FIXTURES.rglob("*.xlsx")),
    ]


def _read_all(paths: list[Path]) -> list[tuple[object, ...]]:
    out = []
    for path in paths:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exp = hs.read_export(path)
        out.append((exp.format, exp.data, exp.source.notes, exp.source.header_rows,
                    sorted(str(w.message) for w in caught)))
    return out


def test_calamine_reads_what_openpyxl_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _workbooks(tmp_path)
    fast = _read_all(paths)
    monkeypatch.setattr(_sheet, "_calamine", lambda: None)  # openpyxl only, as before
    slow = _read_all(paths)
    for path, a, b in zip(paths, fast, slow, strict=True):
        assert a[0] == b[0], path
        pd.testing.assert_frame_equal(a[1], b[1], obj=str(path))
        assert a[2:] == b[2:], path


def test_values_calamine_does_not_give_as_openpyxl_does(tmp_path: Path) -> None:
    data = hs.read_export(_workbooks(tmp_path)[0]).data
    # a date-time at midnight is a datetime (calamine alone would give a date)
    assert data["when"].dtype.kind == "M" and data["when"].iloc[1] == pd.Timestamp("2024-01-02")
    assert data["day"].tolist()[:2] == [pd.Timestamp("2024-01-02"), pd.Timestamp("1999-12-31")]
    # numbers keep their type: integers int64 when complete, 1e20 a float, text as text
    assert data["int"].dtype == "int64" and data["int"].tolist() == [1, 2, 3, 4]
    assert data["float"].tolist()[:2] == [2.5, 1e20] and np.isnan(data["float"].iloc[2])
    assert data["mixed"].tolist() == ["1", "x", "2020-05-06T00:00:00", "2.5"]
    assert data["id"].tolist()[:2] == ["007", "8"] and pd.isna(data["text"].iloc[2])
    assert data["clock"].tolist()[:2] == ["03:04:00", "00:00:01"]
    assert data["flag"].tolist() == [True, False, None, True]
    # an integer beyond 2**53 is read whole (calamine reads it as a float: openpyxl reads it)
    long = hs.read_export(tmp_path / "long_integer.xlsx").data
    assert long["id"].tolist() == [12345678901234567, 2] and long["id"].dtype == "int64"


def test_error_cells_are_read_by_openpyxl(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["id", "x"])
    book.active.append(["1", "#N/A"])  # openpyxl stores it as an error cell
    book.save(tmp_path / "e.xlsx")
    assert _sheet._workbook_flags(tmp_path / "e.xlsx").errors
    assert hs.read_export(tmp_path / "e.xlsx").data["x"].tolist() == ["#N/A"]
    plain = _book(tmp_path / "p.xlsx", [["id", "x"], ["1", "e"]])
    assert _sheet._workbook_flags(plain) == (False, False)


def test_a_sheet_is_parsed_once_per_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _workbooks(tmp_path)[-3]
    calls: list[str] = []
    original = _sheet._calamine_values

    def counted(p: str | Path, sheet: str) -> np.ndarray:
        calls.append(sheet)
        return original(p, sheet)

    monkeypatch.setattr(_sheet, "_calamine_values", counted)
    hs.read_export(path)  # format detection, header rows and data
    assert calls == ["Sheet"]
    hs.read_export(path)
    assert calls == ["Sheet", "Sheet"]  # nothing is kept between reads


def test_excel_escapes_in_text_are_decoded(tmp_path: Path) -> None:
    # Excel writes a carriage return in a cell as _x000D_ (ECMA-376 escaping); openpyxl left
    # the escape in the text, calamine decodes it as Excel does
    path = _book(tmp_path / "x.xlsx", [["id", "note"], ["1", "a_x000D_b"]])
    assert hs.read_export(path).data["note"].tolist() == ["a\rb"]
