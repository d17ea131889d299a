"""format_table (APA text) and write_tables (.xlsx reopened, .md, .html parsed, .csv)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

import helpstats as hs
from helpstats.errors import TableError
from helpstats.tables import format_p


@pytest.mark.parametrize(
    ("p", "apa", "plain"),
    [(0.0309787785380667, ".031", "0.031"), (1.4e-05, "< .001", "< 0.001"),
     (0.001, ".001", "0.001"), (0.0009999, "< .001", "< 0.001"), (0.5, ".500", "0.500"),
     (0.9999, "> .999", "> 0.999"), (float("nan"), "", "")],
)
def test_format_p(p: float, apa: str, plain: str) -> None:
    assert format_p(p) == apa
    assert format_p(p, "plain") == plain


@given(st.floats(0.0, 1.0))
def test_apa_p_has_no_leading_zero(p: float) -> None:
    text = format_p(p)
    assert not text.startswith("0") and text.lstrip("<> ").startswith(".")


def test_format_table_roles() -> None:
    t = pd.DataFrame({"term": ["a", "b"], "estimate": [1.23456, -0.5], "n": [12, 7],
                      "df": [138.6977, 20.0], "p": [0.0309, 2e-12], "alpha": [0.8123, -0.05],
                      "pct_retained": [66.6667, 100.0]})
    shown = hs.format_table(t, decimals=3)
    assert shown.to_dict("list") == {
        "term": ["a", "b"], "estimate": ["1.235", "-0.500"], "n": ["12", "7"],
        "df": ["138.7", "20.0"], "p": [".031", "< .001"], "alpha": [".812", "-.050"],
        "pct_retained": ["66.7", "100.0"]}
    assert hs.format_table(shown).equals(shown)  # already formatted: unchanged
    with pytest.raises(TableError, match="p_style"):
        hs.format_table(t, p_style="stars")


def test_format_model_table_counts(btheb_fit: Any) -> None:
    shown = hs.format_table(hs.model_table(btheb_fit)).set_index("term")
    assert shown.loc["observations", "estimate"] == "280"
    assert shown.loc["log-likelihood", "estimate"] == "-928.46"
    assert shown.loc["treatmentBtheB", "p"] == ".031"
    assert shown.loc["treatmentBtheB", "lower"] != ""


def tables(btheb_fit: Any, btheb_data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    baseline = btheb_data[btheb_data["wave"] == 2]
    return {
        "Table 1": hs.table_one(baseline, by="treatment", variables=["bdi_pre", "drug"],
                                pvalues=True),
        "Model": hs.model_table(btheb_fit),
        "Outcomes": hs.outcome_table(btheb_fit, group="treatment", time="wave",
                                     data=btheb_data),
        "Tricky": pd.DataFrame({"label": ["=SUM(A1:A2)", "+1", "-2", "@cmd", "plain"],
                                "value": [1.5, 2.0, float("nan"), 4.0, 5.0]}),
    }


def test_xlsx_reopened(tmp_path: Path, btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    written = tables(btheb_fit, btheb_data)
    out = hs.write_tables(written, tmp_path / "tables.xlsx")
    book = load_workbook(out)
    assert book.sheetnames == ["Table 1", "Model", "Outcomes", "Tricky"]
    model = book["Model"]
    header = [c.value for c in model[1]]
    assert header == ["section", "term", "group", "estimate", "se", "df", "t", "p", "lower",
                      "upper", "sdcor"]
    assert model["A1"].font.b and model.freeze_panes == "A2"
    assert model["B2"].value == "(Intercept)"
    assert model["D2"].value == pytest.approx(4.73815272067586)  # a number, not text
    assert model["D2"].number_format == "0.00"
    assert model["H2"].number_format.startswith("[<0.001]")
    note_rows = [r for r in model.iter_rows(values_only=True)
                 if isinstance(r[0], str) and r[0].startswith("Note.")]
    assert len(note_rows) == 1 and "REML" in note_rows[0][0] and "280" in note_rows[0][0]
    assert model.column_dimensions["B"].width > 8
    tricky = book["Tricky"]
    values = [tricky.cell(row=i, column=1) for i in range(2, 7)]
    assert [c.value for c in values] == ["=SUM(A1:A2)", "+1", "-2", "@cmd", "plain"]
    assert all(c.data_type == "s" for c in values)
    assert tricky["B4"].value is None  # NaN is an empty cell
    t1 = book["Table 1"]
    # groups in sorted order (treatment is not categorical)
    assert [c.value for c in t1[1]] == ["variable", "level", "BtheB", "TAU", "Overall", "test",
                                        "p"]
    assert t1["A3"].value == "bdi_pre, mean (SD)"


def test_formula_text_stays_text_in_raw_xml(tmp_path: Path) -> None:
    import zipfile

    out = hs.write_tables({"T": pd.DataFrame({"x": ["=1+1"]})}, tmp_path / "t.xlsx")
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


class TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.cells: list[list[str]] = []
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag = tag
        if tag == "tr":
            self.cells.append([])
        elif tag in ("td", "th"):
            self.cells[-1].append("")

    def handle_data(self, data: str) -> None:
        if self._tag == "h2":
            self.headings.append(data)
        elif self._tag in ("td", "th"):
            self.cells[-1][-1] += data

    def handle_endtag(self, tag: str) -> None:
        self._tag = ""


def test_html_parsed(tmp_path: Path, btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    out = hs.write_tables(tables(btheb_fit, btheb_data), tmp_path / "tables.html")
    parser = TableParser()
    parser.feed(out.read_text())
    assert parser.headings == ["Table 1", "Model", "Outcomes", "Tricky"]
    model_header = ["section", "term", "group", "estimate", "se", "df", "t", "p", "lower",
                    "upper", "sdcor"]
    start = parser.cells.index(model_header)
    assert parser.cells[start + 3][:5] == ["fixed", "treatmentBtheB", "", "-3.94", "1.81"]
    assert parser.cells[start + 3][7] == ".031"
    assert "=SUM(A1:A2)" in [c for row in parser.cells for c in row]


def test_markdown(tmp_path: Path, btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    out = hs.write_tables(tables(btheb_fit, btheb_data), tmp_path / "tables.md")
    text = out.read_text()
    sections = text.split("## ")[1:]
    assert [s.splitlines()[0] for s in sections] == ["Table 1", "Model", "Outcomes", "Tricky"]
    model_lines = sections[1].splitlines()
    assert model_lines[2].startswith("| section | term |")
    row = next(line for line in model_lines if "| treatmentBtheB |" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3:5] == ["-3.94", "1.81"] and cells[7] == ".031"
    assert "*Note.* Linear mixed model" in sections[1]


def test_csv_folder(tmp_path: Path, btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    written = tables(btheb_fit, btheb_data)
    out = hs.write_tables(written, tmp_path / "csv")
    assert sorted(p.name for p in out.iterdir()) == [
        "Model.csv", "Outcomes.csv", "Table_1.csv", "Tricky.csv", "notes.txt"]
    back = pd.read_csv(out / "Model.csv")
    assert back["estimate"].iloc[0] == pytest.approx(4.73815272067586, rel=1e-12)
    assert "Linear mixed model" in (out / "notes.txt").read_text()
    single = hs.write_tables({"Model": written["Model"]}, tmp_path / "model.csv")
    assert pd.read_csv(single).shape == written["Model"].shape
    with pytest.raises(TableError, match="one CSV file"):
        hs.write_tables(written, tmp_path / "all.csv")


@pytest.mark.parametrize(
    ("names", "message"),
    [(["Table: 1"], "sheet names"), (["x" * 32], "sheet names"), (["A", "a"], "case")],
)
def test_bad_sheet_names(tmp_path: Path, names: list[str], message: str) -> None:
    with pytest.raises(TableError, match=message):
        hs.write_tables({n: pd.DataFrame({"x": [1]}) for n in names}, tmp_path / "t.xlsx")


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="format"):
        hs.write_tables({"T": pd.DataFrame({"x": [1]})}, tmp_path / "t.docx")
    with pytest.raises(TableError, match="non-empty mapping"):
        hs.write_tables({}, tmp_path / "t.md")


def test_factor_columns_shown_as_labels(tmp_path: Path) -> None:
    long = pd.DataFrame({"pid": [1, 1, 2], "wave": [0.0, 3.0, 0.0], "arm": ["a", "a", "b"]})
    att = hs.attrition_table(long, id="pid", wave="wave", by="arm")
    shown = hs.format_table(att)
    assert shown["wave"].tolist()[:2] == ["0", "3"]
    assert shown["enrolled"].tolist()[:2] == ["1", "1"]
    cat = pd.DataFrame({"wave": pd.Categorical([1.0, 2.0]), "n_items": [9.0, 9.0]})
    assert hs.format_table(cat).to_dict("list") == {"wave": ["1", "2"], "n_items": ["9", "9"]}
    book = load_workbook(hs.write_tables({"Attrition": att}, tmp_path / "a.xlsx"))
    assert book["Attrition"]["B3"].value == 3 and book["Attrition"]["B3"].number_format == \
        "General"


def test_format_outcome_compact(btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    t = hs.outcome_table(btheb_fit, group="treatment", time="wave", data=btheb_data,
                         adjust="holm")
    shown = hs.format_table(t)
    assert list(shown.columns) == ["treatment", "wave", "n", "mean (SD)", "EMM [95% CI]",
                                   "change [95% CI]", "difference vs TAU [95% CI]",
                                   "p (holm)", "d [95% CI]"]
    tau3 = shown.iloc[1]
    # R: emmean 17.328 [14.549, 20.108]; change = wave3 coefficient -1.595, p .173
    assert tau3["EMM [95% CI]"] == "17.33 [14.55, 20.11]"
    assert tau3["change [95% CI]"].startswith("-1.59 [")
    assert tau3["difference vs TAU [95% CI]"] == "" and tau3["p (holm)"] == ""
    btheb2 = shown.iloc[4]
    assert btheb2["wave"] == "2" and btheb2["n"] == "52"
    assert btheb2["difference vs TAU [95% CI]"].startswith("-3.94 [")
    assert btheb2["p (holm)"] == ".031"
    assert btheb2["change [95% CI]"] == ""  # baseline row
    assert shown.iloc[5]["change [95% CI]"] == "-1.27"  # stand-in has no SE for it: no CI
