"""Output safety: no live formula in any spreadsheet, no live HTML or broken row in Markdown,
no write over an input, no overwrite without asking, no write through a planted link."""

from __future__ import annotations

import csv
import html
import io
import os
import re
import tempfile
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

import helpstats as hs
from helpstats._output import (
    check_output,
    markdown_text,
    neutralise_frame,
    neutralise_text,
    restore_text,
    starts_like_formula,
    write_csv,
    xlsx_unescape,
)
from helpstats.errors import OutputError

HOSTILE = ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", "\n=1", " =cmd|' /C calc'!A0",
           "=HYPERLINK(\"http://evil\",\"x\")", "'=1", "''@x", "\uff1dSUM(1)", "-", "+", "@",
           "<script>alert(1)</script>", "a|b", "line\nbreak", "back\\slash", "[x](javascript:1)",
           "*bold*", "_em_", "`code`", "~~s~~", "&amp;", "Zoë", "'", "", "plain", "-5", "+1.5e3",
           "1E5", "001", "x" * 5000]
SPREADSHEET_START = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")

# text a hostile respondent might type: formula starters, markup, delimiters, unicode
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.builds(lambda a, b: a + b, st.sampled_from(["=", "+", "-", "@", "\t", "\r", " =", "'=",
                                                   "<", "|", "\n"]),
              st.text(max_size=20)),
    st.text(max_size=30),
)


# ----------------------------------------------------------------------------- the cell rule


@pytest.mark.parametrize(("text", "neutral"), [
    ("=1+1", "'=1+1"), ("+1", "+1"), ("-5", "-5"), ("-1.5e-3", "-1.5e-3"), ("-1+2", "'-1+2"),
    ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"), (" =x", "' =x"), ("'=x", "''=x"),
    ("'hello", "'hello"), ("a=b", "a=b"), ("", ""), ("\uff1dx", "'\uff1dx"), ("-", "'-"),
])
def test_neutralise_text(text: str, neutral: str) -> None:
    assert neutralise_text(text) == neutral
    assert restore_text(neutral) == text


@given(st.text(max_size=40))
def test_neutralise_is_safe_and_reversible(text: str) -> None:
    neutral = neutralise_text(text)
    assert restore_text(neutral) == text
    assert not starts_like_formula(neutral)
    # the original text follows the prefix intact
    assert neutral == text or neutral == "'" + text


def test_neutralise_frame_keeps_numbers_and_the_callers_frame() -> None:
    frame = pd.DataFrame({"=name": ["=1", "ok", None], "x": [-1.5, 2.0, float("nan")],
                          "n": [-3, 4, 5], "c": pd.Categorical(["@a", "b", "@a"])})
    before = frame.copy()
    out = neutralise_frame(frame)
    assert list(out.columns) == ["'=name", "x", "n", "c"]
    assert out["'=name"].tolist()[:2] == ["'=1", "ok"] and pd.isna(out["'=name"].iloc[2])
    assert out["x"].dtype == "float64" and out["n"].tolist() == [-3, 4, 5]
    assert out["c"].tolist() == ["'@a", "b", "'@a"]
    pd.testing.assert_frame_equal(frame, before)


# ----------------------------------------------------------------------------- readers


def _csv_cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _xlsx_has_no_formula(path: Path) -> None:
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in book.read(name).decode("utf-8"), name
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("td", "th"):
            self._open, self.cells = True, [*self.cells, ""]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.cells[-1] += data


def _markdown_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.split("\n"):  # CommonMark ends lines at \n, \r\n and \r only
        if line.startswith("| ") and not line.startswith(("| ---", "| :---")):
            inner = line[2:-2]
            rows.append([html.unescape(c) for c in inner.split(" | ")])
    return rows


# ----------------------------------------------------------------------------- every writer


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(hostile_text, min_size=1, max_size=8), name=hostile_text)
def test_hostile_cells_through_every_writer(tmp_path: Path, cells: list[str], name: str) -> None:
    header = f"h{name}" if name.strip() else "h"
    table = pd.DataFrame({header: cells, "value": [-float(i) - 0.5 for i in range(len(cells))]})
    folder = Path(tempfile.mkdtemp(dir=tmp_path))

    # CSV: no cell starts like a formula; restoring gives every cell back, numbers stay numbers
    out = hs.write_tables({"T": table}, folder / "t.csv")
    rows = _csv_cells(out)
    assert len(rows) == len(cells) + 1
    for row in rows:
        assert not any(starts_like_formula(c) for c in row)
    assert [restore_text(c) for c in rows[0]] == [header, "value"]
    assert [restore_text(r[0]) for r in rows[1:]] == cells
    assert [float(r[1]) for r in rows[1:]] == table["value"].tolist()

    # XLSX: text cells are text, never formulas, and unchanged
    out = hs.write_tables({"T": table}, folder / "t.xlsx")
    _xlsx_has_no_formula(out)
    sheet = load_workbook(out)["T"]
    got = [sheet.cell(row=i + 2, column=1).value for i in range(len(cells))]
    assert [xlsx_unescape(g) if g is not None else "" for g in got] == cells
    assert xlsx_unescape(sheet.cell(row=1, column=1).value) == header

    # Markdown: one line per row, no live HTML, text back with html.unescape
    out = hs.write_tables({"T": table}, folder / "t.md")
    with out.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    assert "<" not in text.replace("&lt;", "")
    rows = _markdown_rows(text)
    assert len(rows) == len(cells) + 1
    assert rows[0][0] == header
    assert [r[0] for r in rows[1:]] == cells

    # HTML: parsed cells are the text, no tag from the data
    out = hs.write_tables({"T": table}, folder / "t.html")
    parser = _Cells()
    with out.open(encoding="utf-8", newline="") as handle:
        parser.feed(handle.read())
    assert set(parser.tags) <= {"html", "head", "meta", "title", "style", "body", "section",
                                "h2", "table", "thead", "tr", "th", "tbody", "td", "p", "em"}
    body = parser.cells[2:]  # after the two header cells
    assert body[0::2] == cells


def test_markdown_cell_rule() -> None:
    assert markdown_text("a|b") == "a&#124;b"
    assert markdown_text("x\r\ny") == "x&#13;&#10;y"
    assert markdown_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert markdown_text("phq9_total") == "phq9_total"
    for text in HOSTILE:
        assert html.unescape(markdown_text(text)) == text
        assert "\n" not in markdown_text(text) and "|" not in markdown_text(text)


def test_validation_markdown_of_analyze_escapes_cells() -> None:
    from helpstats.report import _markdown

    table = pd.DataFrame({"value": ["<b>x</b>", "a|b\nc"], "problem": ["p", None]})
    text = _markdown(table, empty="none")
    assert len(text.strip().splitlines()) == 4
    assert "<b>" not in text and "&lt;b&gt;" in text


def test_raw_csv_opt_out(tmp_path: Path) -> None:
    table = pd.DataFrame({"a": ["=1+1"]})
    write_csv(table, tmp_path / "n.csv")
    write_csv(table, tmp_path / "r.csv", neutralise=False)
    assert _csv_cells(tmp_path / "n.csv")[1] == ["'=1+1"]
    assert _csv_cells(tmp_path / "r.csv")[1] == ["=1+1"]
    hs.write_tables({"T": table}, tmp_path / "folder", neutralise=False)
    assert _csv_cells(tmp_path / "folder" / "T.csv")[1] == ["=1+1"]


# ----------------------------------------------------------------------------- paths


def test_write_tables_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    table = pd.DataFrame({"a": [1]})
    for name in ("t.xlsx", "t.md", "t.html", "t.csv", "folder"):
        hs.write_tables({"T": table}, tmp_path / name)
        with pytest.raises(OutputError, match="already exists"):
            hs.write_tables({"T": table}, tmp_path / name)
        hs.write_tables({"T": pd.DataFrame({"a": [2]})}, tmp_path / name, overwrite=True)
    assert _csv_cells(tmp_path / "t.csv")[1] == ["2"]


def test_write_tables_never_writes_over_an_input(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(OutputError, match="input"):
        hs.write_tables({"T": pd.DataFrame({"a": [1]})}, source, overwrite=True, inputs=[source])
    assert source.read_text(encoding="utf-8") == "a\n1\n"


def test_output_path_problems_are_errors(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    (tmp_path / "dir.xlsx").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        check_output(tmp_path / "dir.xlsx")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output(tmp_path / "file.txt" / "out.csv")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output(tmp_path / "file.txt", folder=True)
    with pytest.raises(OutputError, match="is a folder"):
        hs.write_tables({"T": pd.DataFrame({"a": [1]})}, tmp_path / "dir.xlsx")


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_a_planted_link_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "t.md").symlink_to(victim)
    hs.write_tables({"T": pd.DataFrame({"a": [1]})}, out / "t.md", overwrite=True)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not (out / "t.md").is_symlink() and "| a |" in (out / "t.md").read_text()


def test_no_temporary_file_left_after_a_failed_write(tmp_path: Path) -> None:
    from helpstats._output import atomic_write

    def boom(stream: io.BufferedWriter) -> None:
        stream.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="No space left"):
        atomic_write(tmp_path / "x.csv", boom)
    assert list(tmp_path.iterdir()) == []


def test_xlsx_cells_with_formula_text_are_strings(tmp_path: Path) -> None:
    out = hs.write_tables({"T": pd.DataFrame({"=a": ["=1+1", "@x", "-2", 3]})}, tmp_path / "x.xlsx")
    _xlsx_has_no_formula(out)
    sheet = load_workbook(out)["T"]
    assert [c.value for c in sheet["A"]] == ["=a", "=1+1", "@x", "-2", 3]
    assert re.search(r'quotePrefix="1"', zipfile.ZipFile(out).read("xl/styles.xml").decode())


@pytest.mark.parametrize("name", ["x\ny", "a\x01b", "tab\there"])
def test_control_characters_cannot_name_a_sheet(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match="cannot be Excel sheet names"):
        hs.write_tables({name: pd.DataFrame({"a": [1]})}, tmp_path / "t.xlsx")
    assert not (tmp_path / "t.xlsx").exists()
