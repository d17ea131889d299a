"""The composed layout across writers (.docx, .tex), labels, Type III rows and the Holm
family against R, and emmeans' interaction note."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.tables import Labels, compose
from helpstats.tables._latex import latex_text

HOLM = Path(__file__).parent / "data" / "holm_roles"
PANEL = Path(__file__).parents[1] / "data" / "reference" / "panel_factor_wave"


@pytest.fixture(scope="module")
def roles_fit() -> tuple[Any, pd.DataFrame, dict[str, Any]]:
    data = pd.read_csv(HOLM / "data.csv")
    data["role"] = pd.Categorical(data["role"], ["neither", "helpee", "helper", "dual"])
    data["visit"] = pd.Categorical(data["wave"], [0, 1, 3, 8])
    expected = json.loads((HOLM / "expected.json").read_text())
    return hs.fit_mixed(data, expected["formula"][0]), data, expected


def test_holm_within_each_wave_matches_emmeans(roles_fit: tuple[Any, pd.DataFrame, Any]) -> None:
    fit, data, expected = roles_fit
    holm = hs.outcome_table(fit, by="role", wave="visit", data=data)  # Holm is the default
    none = hs.outcome_table(fit, by="role", wave="visit", data=data, adjust="none")
    rows = holm.set_index([holm["role"].astype(str), holm["visit"].astype(str)])
    plain = none.set_index([none["role"].astype(str), none["visit"].astype(str)])
    assert len(expected["holm"]) == 12
    for r in expected["holm"]:  # emmeans: contrast(emm, "trt.vs.ctrl", adjust = "holm")
        role = r["contrast"].split(" - ")[0]
        got = rows.loc[(role, r["visit"])]
        assert got["diff"] == pytest.approx(r["estimate"], rel=1e-6)
        assert got["diff_p"] == pytest.approx(r["p_holm"], rel=1e-5)
        assert plain.loc[(role, r["visit"]), "diff_p"] == pytest.approx(r["p_none"], rel=1e-5)
    assert "p Holm-adjusted within each visit (family: the 3 comparison(s) with role neither)" \
        in holm.attrs["notes"]
    assert "p (Holm)" in hs.format_table(holm).columns


def test_type3_rows_match_lmertest(roles_fit: tuple[Any, pd.DataFrame, Any]) -> None:
    fit, data, expected = roles_fit
    want = pd.DataFrame(expected["anova"])
    model = hs.model_table(fit)
    omnibus = model[model["section"] == "omnibus"]
    assert omnibus["term"].tolist() == want["term"].tolist() == ["role", "visit", "role:visit"]
    assert omnibus["num_df"].tolist() == want["num_df"].tolist()
    assert omnibus["statistic"].to_numpy() == pytest.approx(want["F"].to_numpy(), rel=1e-4)
    assert omnibus["den_df"].to_numpy() == pytest.approx(want["den_df"].to_numpy(), rel=1e-3)
    assert omnibus["p"].to_numpy() == pytest.approx(want["p"].to_numpy(), rel=1e-3)
    assert model.attrs["omnibus_test"] == "F"
    outcome = hs.outcome_table(fit, by="role", wave="visit", data=data)
    pd.testing.assert_frame_equal(outcome.attrs["omnibus"].reset_index(drop=True),
                                  omnibus[["term", "num_df", "den_df", "statistic", "p"]]
                                  .reset_index(drop=True))
    panels = compose(outcome).panels
    assert panels[1].title == "Type III tests"
    assert [c.value for c in panels[1].rows[2]][0] == "Role \u00d7 Visit"
    assert "Type III F tests with Satterthwaite denominator df." in outcome.attrs["notes"]


def test_type3_rows_of_the_shared_reference() -> None:
    exp = json.loads((PANEL / "expected.json").read_text())
    data = pd.read_csv(PANEL / "data.csv", dtype={"arm": str, "w": str, "pid": str})
    for v, lv in exp["factor_levels"].items():
        data[v] = pd.Categorical(data[v], lv)
    model = hs.model_table(hs.fit_mixed(data, exp["formula"]))
    got = model[model["section"] == "omnibus"]
    want = pd.DataFrame(exp["anova"])
    assert got["statistic"].to_numpy() == pytest.approx(want["F"].to_numpy(), rel=1e-4)
    assert got["p"].to_numpy() == pytest.approx(want["p"].to_numpy(), rel=1e-3)
    shown = hs.format_table(model)
    assert "Arm: usual \u00d7 W 1" in shown["Term"].tolist()
    assert "Type III tests" in shown["Term"].tolist()


def test_model_table_without_anova_has_no_omnibus_rows(btheb_fit: Any) -> None:
    t = hs.model_table(btheb_fit)
    assert "omnibus" not in set(t["section"])
    assert [p.title for p in compose(t).panels] == ["Fixed effects", "Random effects",
                                                    "Model fit"]


def test_term_labels() -> None:
    labels = Labels(levels={"role": {"helpee": "Helpee"}}, wave="wave", wave_label="Month")
    factors = {"role": ["neither", "helpee"], "wave": [0, 8], "sex": ["f", "m"]}
    assert labels.term("rolehelpee:wave8", factors=factors) == "Role: Helpee \u00d7 Month 8"
    assert labels.term("sexm", factors=factors) == "Sex: m"
    assert labels.term("(Intercept)") == "Intercept"
    assert labels.term("age", factors=factors) == "Age"
    assert labels.term("role:wave", factors=factors) == "Role \u00d7 Month"
    assert labels.term("poly(t, 2)1") == "poly(t, 2)1"  # not a plain name: kept as it is
    assert labels.variable("phq9_total") == "PHQ-9 total"
    assert labels.variable("dass21_stress") == "DASS-21 stress"
    assert labels.variable("gad7_total_n_answered") == "GAD-7 total items answered"


def test_interaction_note_travels_to_the_table(roles_fit: tuple[Any, pd.DataFrame, Any]) -> None:
    fit, data, _ = roles_fit
    note = "Results may be misleading due to involvement in interactions (averaged over visit)."
    assert fit.emmeans("role").attrs["note"] == note
    assert fit.contrasts("role").attrs["note"] == note
    assert "note" not in fit.emmeans("role", by="visit").attrs
    assert "note" not in fit.emmeans("role", at={"visit": 8}).attrs
    additive = hs.fit_mixed(data, "phq9_total ~ role + visit + (1 | participant)")
    assert "note" not in additive.emmeans("role").attrs
    # a table whose means average over an interacting factor says so
    from types import SimpleNamespace

    em = fit.emmeans("role", by="visit")
    em.attrs["note"] = note
    stand_in = SimpleNamespace(formula=fit.formula, nobs=fit.nobs, reml=True, spec=fit.spec,
                               sigma=fit.sigma, emmeans=lambda *a, **k: em,
                               contrasts=fit.contrasts, data=data)
    t = hs.outcome_table(stand_in, by="role", wave="visit", data=data)
    assert t.attrs["notes"].endswith(note)


@pytest.fixture()
def small_tables() -> dict[str, pd.DataFrame]:
    t1 = hs.table_one(pd.DataFrame({"arm": ["a", "a", "b"], "age": [20.0, 30.0, 41.0],
                                    "sex": ["f", "m", "f"]}), by="arm")
    hostile = pd.DataFrame({"name": ["50% & $x_1$ #{y} ~^\\input{z}", "<b>"],
                            "p": [0.0004, 0.5]})
    return {"Table 1": t1, "Hostile_&%": hostile}


def test_docx_renders_the_composed_table(tmp_path: Path,
                                         small_tables: dict[str, pd.DataFrame]) -> None:
    docx = pytest.importorskip("docx")
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    out = hs.write_tables(small_tables, tmp_path / "tables.docx")
    document = docx.Document(str(out))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Table 1", "Hostile_&%"]
    table = document.tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells == [r for r in [list(hs.format_table(small_tables["Table 1"]).columns),
                                 *hs.format_table(small_tables["Table 1"]).values.tolist()]]
    assert cells[0] == ["Characteristic", "Level", "a", "b", "Overall"]
    assert cells[2] == ["Age, mean (SD)", "", "25.00 (7.07)", "41.00 (NA)", "30.33 (10.50)"]
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert table.rows[2].cells[2].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert table.rows[2].cells[0].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    hostile = [[c.text for c in row.cells] for row in document.tables[1].rows]
    assert hostile[1] == ["50% & $x_1$ #{y} ~^\\input{z}", "< .001"]
    notes = [p.text for p in document.paragraphs if p.text.startswith("Note.")]
    assert notes == ["Note. " + small_tables["Table 1"].attrs["notes"]]


def test_latex_escaped_booktabs(tmp_path: Path, small_tables: dict[str, pd.DataFrame]) -> None:
    text = hs.write_tables(small_tables, tmp_path / "tables.tex").read_text()
    assert text.count("\\begin{table}") == 2 and text.count("\\toprule") == 2
    assert "\\caption{Hostile\\_\\&\\%}" in text
    assert ("50\\% \\& \\$x\\_1\\$ \\#\\{y\\} \\textasciitilde{}\\textasciicircum{}"
            "\\textbackslash{}input\\{z\\} & \\textless{} .001 \\\\") in text
    assert "\\textless{}b\\textgreater{}" in text
    assert "\\begin{tabular}{llrrr}" in text  # text left, numbers right
    assert "Age, mean (SD) &  & 25.00 (7.07) & 41.00 (NA) & 30.33 (10.50) \\\\" in text
    # nothing but the document's own commands: every backslash in the cells is escaped
    body = text.split("\\begin{document}")[1]
    assert "\\input{" not in body
    assert latex_text("a\nb\x01") == "a b"


def test_html_and_markdown_renderers_for_the_report() -> None:
    from helpstats.tables import html_table, markdown_table

    t1 = hs.table_one(pd.DataFrame({"arm": ["a", "b"], "age": [20.0, 30.0]}), by="arm")
    fragment = html_table(t1)
    assert fragment.startswith('<section class="helpstats-table">\n<h3>Baseline '
                              'characteristics by Arm</h3>')
    assert '<td style="text-align:left">Age, mean (SD)</td>' in fragment
    assert markdown_table(pd.DataFrame({"x": []}), empty="No problems found.") == \
        "No problems found.\n"


def test_import_does_not_load_docx() -> None:
    code = "import sys, helpstats, helpstats.tables; print('docx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "False"


def test_scored_xlsx_stores_answers_as_numbers(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from helpstats._output import write_xlsx

    data = pd.DataFrame({"id": ["007", "100"], "phq9_1": ["2", "Several days"],
                         "phq9_2": ["0", "-1.5"], "total": [3, 4]})
    out = write_xlsx(tmp_path / "scored.xlsx", {"scored": data})
    sheet = load_workbook(out)["scored"]
    assert [c.value for c in sheet[2]] == ["007", 2, 0, 3]
    assert [c.value for c in sheet[3]] == ["100", "Several days", -1.5, 4]
    assert sheet["A3"].data_type == "s"  # an id column with "007" stays text
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert sheet.column_dimensions["B"].width == len("Several days") + 2
    assert data["phq9_1"].tolist() == ["2", "Several days"]  # the caller's data untouched


def test_glmm_model_table_has_z_tests_and_chisq_omnibus(
        roles_fit: tuple[Any, pd.DataFrame, Any]) -> None:
    _, data, _ = roles_fit
    frame = data.assign(high=(data["phq9_total"] >= 10).astype(float))
    fit = hs.fit_glmm(frame, "high ~ role + visit + (1 | participant)", family="binomial")
    t = hs.model_table(fit)
    fixed = t[t["section"] == "fixed"]
    assert fixed["t"].to_numpy() == pytest.approx(fit.fixed["z"].to_numpy())
    half = 1.959963984540054 * fixed["se"]
    assert fixed["lower"].to_numpy() == pytest.approx((fixed["estimate"] - half).to_numpy())
    omnibus = t[t["section"] == "omnibus"]
    assert omnibus["statistic"].to_numpy() == pytest.approx(fit.anova()["chisq"].to_numpy())
    assert omnibus["den_df"].isna().all() and t.attrs["omnibus_test"] == "chisq"
    panels = compose(t).panels
    assert panels[0].header == ("Term", "Estimate", "SE", "z", "p", "95% CI")
    assert panels[1].header == ("Term", "df", "\u03c7\u00b2", "p")
    assert panels[0].rows[1][0].value == "Role: helpee"
    assert t.attrs["notes"].startswith("Generalised linear mixed model")


def test_study_file_labels_reach_every_table(tmp_path: Path) -> None:
    from helpstats.datasets import example_study_path

    source = example_study_path()
    text = source.read_text().replace(
        'files = ["example_study.csv"]', f'files = ["{(source.parent / "example_study.csv").as_posix()}"]'
    )
    text = re.sub(r'(?m)^wave_label = .*$', '', text).replace(
        'baseline = 0', 'baseline = 0\nwave_label = "Months since baseline"')
    text += ('\n[labels.variables]\nage = "Age (years)"\nphq9_total = "Depression (PHQ-9)"\n'
             '[labels.levels.role]\ndual = "Dual role"\nneither = "Neither role"\n')
    study_path = tmp_path / "study.toml"
    study_path.write_text(text)
    study = hs.load_study(study_path)
    result = hs.analyze(study, tmp_path / "out")
    tables = result.tables
    t1 = compose(tables["Table 1"]).panels[0]
    assert t1.header[2:] == ("Neither role", "helpee", "helper", "Dual role", "Overall")
    assert [r[0].value for r in t1.rows][1] == "Age (years), mean (SD)"
    outcome = compose(tables["Outcome phq9_total"]).panels[0]
    assert outcome.header[:2] == ("Role", "Months since baseline")
    assert outcome.header[9] == "Difference vs Neither role"
    assert outcome.rows[-1][0].value == "Dual role"
    model = compose(tables["Model phq9_total"])
    terms = [r[0].value for r in model.panels[0].rows]
    assert "Role: Dual role \u00d7 Months since baseline 8" in terms
    md = (tmp_path / "out" / "tables.md").read_text()
    assert "| Role | Months since baseline | n |" in md
    assert "Observed n, mean, SD of Depression (PHQ-9)" in md
    page = (tmp_path / "out" / "report.html").read_text()
    assert "<h3>Mixed model of Depression (PHQ-9)</h3>" in page


_ESCAPES = re.compile(r"\\(?:textbackslash|textasciitilde|textasciicircum|textless|textgreater"
                      r"|textbar)\{\}|\\[&%$#_{}]|\$\\(?:times|alpha|omega|chi)\$"
                      r"|\\textsuperscript\{2\}")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_latex_text_leaves_no_live_character(text: str) -> None:
    out = latex_text(text)
    assert not set(_ESCAPES.sub("", out)) & set("\\{}$&%#_~^")
    assert "\n" not in out and "\r" not in out


def test_docx_takes_characters_xml_cannot_hold(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    out = hs.write_tables({"T": pd.DataFrame({"x": ["a\x01b", "=1+1"]})}, tmp_path / "t.docx")
    cells = [c.text for row in docx.Document(str(out)).tables[0].rows for c in row.cells]
    assert cells == ["x", "a\ufffdb", "=1+1"]


def test_docx_without_python_docx_says_how_to_install(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docx", None)  # import docx now raises ImportError
    with pytest.raises(hs.errors.TableError, match=r"pip install helpstats\[docx\]"):
        hs.write_tables({"T": pd.DataFrame({"x": [1]})}, tmp_path / "t.docx")
    assert not (tmp_path / "t.docx").exists()
