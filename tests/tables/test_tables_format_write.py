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
    shown = hs.format_table(hs.model_table(btheb_fit)).set_index("Term")
    assert shown.loc["Observations", "Estimate"] == "280"
    assert shown.loc["Subjects", "Estimate"] == "97"
    assert shown.loc["Log-likelihood (REML)", "Estimate"] == "-928.46"
    assert shown.loc["Treatment: BtheB", "p"] == ".031"
    assert shown.loc["Treatment: BtheB \u00d7 Wave 8", "95% CI"] == "[-0.64, 6.67]"
    # later panels are stacked under the first one's columns: group, term, variance, SD
    assert shown.loc["Residual"].tolist()[:3] == ["", "25.29", "5.03"]  # no "Residual | Residual"


def tables(btheb_fit: Any, btheb_data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    baseline = btheb_data[btheb_data["wave"] == 2]
    return {
        "Table 1": hs.table_one(baseline, by="treatment", variables=["bdi_pre", "drug"],
                                pvalues=True),
        "Model": hs.model_table(btheb_fit),
        "Outcomes": hs.outcome_table(btheb_fit, by="treatment", wave="wave",
                                     data=btheb_data),
        "Tricky": pd.DataFrame({"label": ["=SUM(A1:A2)", "+1", "-2", "@cmd", "plain"],
                                "value": [1.5, 2.0, float("nan"), 4.0, 5.0]}),
    }


def sheet_rows(sheet: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_xlsx_cell_by_cell(tmp_path: Path, btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    written = tables(btheb_fit, btheb_data)
    out = hs.write_tables(written, tmp_path / "tables.xlsx")
    book = load_workbook(out)
    assert book.sheetnames == ["Table 1", "Model", "Outcomes", "Tricky", "Table 1 data",
                               "Model data", "Outcomes data", "Tricky data"]
    # the model sheet: panels under their titles, the first panel's labels frozen
    model = book["Model"]
    assert model["A1"].value == "Fixed effects" and model["A1"].font.b
    assert [c.value for c in model[2]] == ["Term", "Estimate", "SE", "df", "t", "p", "95% CI"]
    assert model["A2"].font.b and model.freeze_panes == "A3"
    r = btheb_fit.fixed.iloc[0]  # R's (Intercept) row, stored as numbers at full precision
    assert [c.value for c in model[3]] == [
        "Intercept", r["estimate"], r["se"], r["df"], r["t"], r["p"], "[0.27, 9.21]"]
    assert r["estimate"] == pytest.approx(4.73815272067586)
    assert [model.cell(3, j).number_format for j in range(2, 7)] == [
        "0.00", "0.00", "0.0", "0.00", '[<0.001]"< .001";[>0.999]"> .999";.000']
    assert model.cell(3, 2).data_type == "n" and model.cell(3, 7).data_type == "s"
    assert model["B3"].alignment.horizontal == "right" and model["A3"].alignment.horizontal \
        == "left"
    rows = sheet_rows(model)
    titles = [r[0] for r in rows]
    random = titles.index("Random effects")
    assert rows[random + 1] == ["Group", "Term", "Variance", "SD / correlation", None, None, None]
    assert rows[random + 2][:4] == ["Subject", "Intercept", pytest.approx(53.1115143907946),
                                    pytest.approx(7.28776470468103)]
    assert rows[random + 3][:3] == ["Residual", None, pytest.approx(25.2896529239207)]
    fit = titles.index("Model fit")
    assert rows[fit + 2][:2] == ["Observations", 280]
    assert model.cell(fit + 3, 2).number_format == "0"  # counts as integers, not 280.00
    note_rows = [r for r in rows if isinstance(r[0], str) and r[0].startswith("Note.")]
    assert len(note_rows) == 1 and "REML" in note_rows[0][0] and "97 subjects" in note_rows[0][0]
    assert model.column_dimensions["A"].width == len("Treatment: BtheB \u00d7 Wave 3") + 2
    assert model.column_dimensions["G"].width == len("[-8.57, -3.31]") + 2
    # the raw numbers, full precision, on their own sheet
    raw = book["Model data"]
    assert [c.value for c in raw[1]][:4] == ["section", "term", "group", "estimate"]
    assert raw["D2"].value == pytest.approx(4.73815272067586, rel=1e-14)
    assert raw.freeze_panes == "A2"
    # Table 1: counts are integers, summaries text, p a number in APA format
    t1 = book["Table 1"]
    assert [c.value for c in t1[1]] == ["Characteristic", "Level", "BtheB", "TAU", "Overall",
                                        "Test", "p"]
    assert [c.value for c in t1[2]][:5] == ["n", None, 52, 45, 97]
    assert t1["C2"].number_format == "0"
    assert [c.value for c in t1[3]][:5] == ["Bdi pre, mean (SD)", None, "22.54 (11.74)",
                                            "23.87 (9.65)", "23.15 (10.79)"]
    assert t1["G3"].value == pytest.approx(0.548, abs=5e-4) and t1["G3"].number_format.startswith(
        '[<0.001]"< .001"')
    assert t1.freeze_panes == "A2"
    # outcomes: estimates numbers, CIs text, p labelled with its adjustment
    outcomes = book["Outcomes"]
    header = [c.value for c in outcomes[1]]
    assert header == ["Treatment", "Wave", "n", "M", "SD", "EMM", "95% CI", "Change", "95% CI",
                      "Difference vs TAU", "95% CI", "p (Holm)", "d", "95% CI"]
    btheb2 = [c.value for c in outcomes[6]]
    assert btheb2[:3] == ["BtheB", "2", 52] and outcomes["C6"].number_format == "0"
    assert btheb2[9] == pytest.approx(-3.94, abs=5e-3) and btheb2[11] == pytest.approx(0.031,
                                                                                       abs=5e-4)
    # text that looks like a formula stays text
    tricky = book["Tricky"]
    values = [tricky.cell(row=i, column=1) for i in range(2, 7)]
    assert [c.value for c in values] == ["=SUM(A1:A2)", "+1", "-2", "@cmd", "plain"]
    assert all(c.data_type == "s" for c in values)
    assert tricky["B4"].value is None  # NaN is an empty cell
    assert tricky["B2"].value == 1.5 and tricky["B2"].number_format == "0.00"


def test_formula_text_stays_text_in_raw_xml(tmp_path: Path) -> None:
    import zipfile

    out = hs.write_tables({"T": pd.DataFrame({"x": ["=1+1"]})}, tmp_path / "t.xlsx")
    with zipfile.ZipFile(out) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 2  # the table and its data
        for name in sheets:
            assert "<f>" not in z.read(name).decode()


class TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.captions: list[str] = []
        self.cells: list[list[str]] = []
        self.aligns: list[list[str]] = []
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag = tag
        if tag == "tr":
            self.cells.append([])
            self.aligns.append([])
        elif tag in ("td", "th"):
            self.cells[-1].append("")
            self.aligns[-1].append(dict(attrs).get("style") or "")

    def handle_data(self, data: str) -> None:
        if self._tag == "h2":
            self.headings.append(data)
        elif self._tag == "caption":
            self.captions.append(data)
        elif self._tag in ("td", "th", "strong") and self.cells:
            self.cells[-1][-1] += data

    def handle_endtag(self, tag: str) -> None:
        self._tag = ""


def test_html_parsed(tmp_path: Path, btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    out = hs.write_tables(tables(btheb_fit, btheb_data), tmp_path / "tables.html")
    parser = TableParser()
    parser.feed(out.read_text())
    assert parser.headings == ["Table 1", "Model", "Outcomes", "Tricky"]
    assert parser.captions == ["Fixed effects", "Random effects", "Model fit"]
    model_header = ["Term", "Estimate", "SE", "df", "t", "p", "95% CI"]
    start = parser.cells.index(model_header)
    assert parser.cells[start + 3][:3] == ["Treatment: BtheB", "-3.94", "1.81"]
    assert parser.cells[start + 3][5] == ".031"
    # text left, numbers (and intervals) right, in the header too
    assert parser.aligns[start + 3][:3] == ["text-align:left", "text-align:right",
                                            "text-align:right"]
    assert parser.aligns[start][0] == "text-align:left"
    outcome = next(i for i, r in enumerate(parser.cells) if r[:2] == ["Treatment", "Wave"])
    assert parser.aligns[outcome + 1][:3] == ["text-align:left", "text-align:left",
                                              "text-align:right"]
    assert "=SUM(A1:A2)" in [c for row in parser.cells for c in row]


def test_markdown(tmp_path: Path, btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    out = hs.write_tables(tables(btheb_fit, btheb_data), tmp_path / "tables.md")
    text = out.read_text()
    sections = text.split("\n## ")
    assert [s.lstrip("# ").splitlines()[0] for s in sections] == ["Table 1", "Model", "Outcomes",
                                                                  "Tricky"]
    model_lines = sections[1].splitlines()
    assert model_lines[2] == "### Fixed effects"
    assert model_lines[4] == "| Term | Estimate | SE | df | t | p | 95% CI |"
    assert model_lines[5] == "| :--- | ---: | ---: | ---: | ---: | ---: | ---: |"
    row = next(line for line in model_lines if "| Treatment: BtheB |" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:3] == ["-3.94", "1.81"] and cells[5] == ".031"
    assert "*Note.* Linear mixed model" in sections[1]
    assert "| **n** |  | 52 | 45 | 97 |  |  |" in sections[0]


def test_csv_folder(tmp_path: Path, btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    written = tables(btheb_fit, btheb_data)
    out = hs.write_tables(written, tmp_path / "csv")
    assert sorted(p.name for p in out.iterdir()) == [
        "Model.csv", "Model_data.csv", "Outcomes.csv", "Outcomes_data.csv", "Table_1.csv",
        "Table_1_data.csv", "Tricky.csv", "Tricky_data.csv", "notes.txt"]
    shown = pd.read_csv(out / "Model.csv", dtype=str, keep_default_na=False)
    assert shown.columns.tolist() == ["Term", "Estimate", "SE", "df", "t", "p", "95% CI"]
    assert shown.iloc[2].tolist() == ["Treatment: BtheB", "-3.94", "1.81", "138.7", "-2.18",
                                      ".031", "[-7.51, -0.37]"]
    assert shown.equals(hs.format_table(written["Model"]))  # the composed table, as elsewhere
    back = pd.read_csv(out / "Model_data.csv")
    assert back["estimate"].iloc[0] == pytest.approx(4.73815272067586, rel=1e-12)
    assert "Linear mixed model" in (out / "notes.txt").read_text()
    single = hs.write_tables({"Model": written["Model"]}, tmp_path / "model.csv")
    assert pd.read_csv(single).shape == hs.format_table(written["Model"]).shape
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
        hs.write_tables({"T": pd.DataFrame({"x": [1]})}, tmp_path / "t.odt")
    with pytest.raises(TableError, match="non-empty mapping"):
        hs.write_tables({}, tmp_path / "t.md")


def test_factor_columns_shown_as_labels(tmp_path: Path) -> None:
    long = pd.DataFrame({"pid": [1, 1, 2], "wave": [0.0, 3.0, 0.0], "arm": ["a", "a", "b"]})
    att = hs.attrition_table(long, id="pid", wave="wave", by="arm")
    shown = hs.format_table(att)
    assert shown["Wave"].tolist()[:2] == ["0", "3"]
    assert shown["Enrolled"].tolist()[:2] == ["1", "1"]
    cat = pd.DataFrame({"wave": pd.Categorical([1.0, 2.0]), "n_items": [9.0, 9.0]})
    assert hs.format_table(cat).to_dict("list") == {"wave": ["1", "2"], "n_items": ["9", "9"]}
    book = load_workbook(hs.write_tables({"Attrition": att}, tmp_path / "a.xlsx"))
    assert book["Attrition"]["B3"].value == "3"  # a wave label, as text
    assert book["Attrition"]["C3"].value == 1 and book["Attrition"]["C3"].number_format == "0"


def test_integral_cutoffs_print_as_integers(tmp_path: Path) -> None:
    cutoffs = pd.DataFrame({"method": ["median"], "giving_cutoff": [2.0],
                            "receiving_cutoff": [2.5], "n_classified": [120]})
    shown = hs.format_table(cutoffs)
    assert shown.iloc[0].tolist() == ["median", "2", "2.50", "120"]
    html_text = hs.write_tables({"Cut-offs": cutoffs}, tmp_path / "c.html").read_text()
    md_text = hs.write_tables({"Cut-offs": cutoffs}, tmp_path / "c.md").read_text()
    assert '<td style="text-align:right">2</td>' in html_text and "2.0<" not in html_text
    assert "| median | 2 | 2.50 | 120 |" in md_text


def test_format_outcome_compact(btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    t = hs.outcome_table(btheb_fit, by="treatment", wave="wave", data=btheb_data)
    shown = hs.format_table(t)
    assert list(shown.columns) == ["Treatment", "Wave", "n", "M", "SD", "EMM", "EMM 95% CI",
                                   "Change", "Change 95% CI", "Difference vs TAU",
                                   "Difference vs TAU 95% CI", "p (Holm)", "d", "d 95% CI"]
    tau3 = shown.iloc[1]
    # R: emmean 17.328 [14.549, 20.108]; change = wave3 coefficient -1.595, p .173
    assert (tau3["EMM"], tau3["EMM 95% CI"]) == ("17.33", "[14.55, 20.11]")
    assert tau3["Change"] == "-1.59" and tau3["Change 95% CI"].startswith("[")
    assert tau3["Difference vs TAU"] == "" and tau3["p (Holm)"] == ""
    btheb2 = shown.iloc[4]
    assert btheb2["Wave"] == "2" and btheb2["n"] == "52"
    assert btheb2["Difference vs TAU"] == "-3.94"
    assert btheb2["p (Holm)"] == ".031"
    assert btheb2["Change"] == ""  # baseline row
    assert shown.iloc[5]["Change"] == "-1.27"
    assert shown.iloc[5]["Change 95% CI"] == ""  # stand-in has no SE for it: no CI
    assert "Holm-adjusted within each wave" in t.attrs["notes"]


def test_old_keywords_warn(btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    with pytest.warns(FutureWarning, match=r"outcome_table\(group=...\) is now outcome_table\(by="):
        old = hs.outcome_table(btheb_fit, group="treatment", wave="wave", data=btheb_data)
    new = hs.outcome_table(btheb_fit, by="treatment", wave="wave", data=btheb_data)
    pd.testing.assert_frame_equal(old, new)
    with pytest.raises(TypeError, match="both time= and wave="):
        hs.outcome_table(btheb_fit, by="treatment", time="wave", wave="wave")
