"""analyze: study file -> scored data, validation, tables, plots and an HTML report."""

from __future__ import annotations

import warnings
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import InvalidCellsWarning, StudyError
from helpstats.report import build_frame

STUDY = """\
[study]
title = "Small study"

[data]
files = ["export.csv"]
id = "pid"
wave = "time"
group = "site"
waves = [0, 3]

[instruments.gad7]
columns = "Q{n}"

[roles]
giving = "gave"
receiving = "got"

[model]
outcomes = ["gad7_total"]
covariates = ["age"]
"""

# Six members at baseline and month 3 (member 6 lost at month 3); one invalid cell (Q2 = 7).
ROWS = [
    # pid, time, site, gave, got, age, Q1..Q7
    (1, 0, "a", 0, 4, 30, 1, 1, 1, 1, 1, 1, 1),
    (2, 0, "a", 3, 0, 40, 2, 2, 2, 2, 2, 2, 2),
    (3, 0, "a", 5, 5, 50, 3, 3, 3, 3, 3, 3, 3),
    (4, 0, "b", 1, 1, 35, 0, 0, 0, 0, 0, 0, 0),
    (5, 0, "b", 2, 3, 45, 1, 2, 1, 2, 1, 2, 1),
    (6, 0, "b", 4, 2, 55, 2, 1, 2, 1, 2, 1, 2),
    (1, 3, "a", 1, 3, 30, 0, 1, 0, 1, 0, 1, 0),
    (2, 3, "a", 2, 1, 40, 1, 1, 1, 1, 1, 1, 1),
    (3, 3, "a", 4, 4, 50, 2, 7, 2, 2, 2, 2, 2),
    (4, 3, "b", 0, 2, 35, 0, 0, 0, 1, 0, 0, 0),
    (5, 3, "b", 3, 3, 45, 1, 1, 1, 1, 1, 1, 1),
]
COLUMNS = ["pid", "time", "site", "gave", "got", "age"] + [f"Q{n}" for n in range(1, 8)]


def write_study(folder: Path, text: str = STUDY) -> Path:
    pd.DataFrame(ROWS, columns=COLUMNS).to_csv(folder / "export.csv", index=False)
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_build_frame_scores_validates_and_classifies(tmp_path: Path) -> None:
    study = hs.load_study(write_study(tmp_path))
    with pytest.warns(InvalidCellsWarning, match="1 invalid cell"):
        frame, validation = build_frame(study)
    assert len(frame) == 11
    # GAD-7 totals by hand; the invalid Q2 = 7 is scored missing (no proration for GAD-7)
    assert frame["gad7_total"].tolist()[:6] == [7.0, 14.0, 21.0, 0.0, 10.0, 11.0]
    assert pd.isna(frame.loc[8, "gad7_total"])
    assert validation[["source", "row", "column", "value"]].to_dict("records") == [
        {"source": "export.csv", "row": 10, "column": "Q2", "value": 7}]
    assert validation["problem"].iloc[0].startswith("out of range: scored as missing")
    # baseline medians: gave (0 3 5 1 2 4) -> 2.5; got (4 0 5 1 3 2) -> 2.5
    base = ["helpee", "helper", "dual", "neither", "helpee", "helper"]
    assert frame["role"].astype(str).tolist() == base + base[:5]
    assert frame.attrs["role_rule"]["cutoffs"][0]["giving"] == 2.5
    assert list(frame["time"].cat.categories) == [0, 3]


@pytest.mark.parametrize(
    ("old", "new", "key", "line"),
    [
        ('id = "pid"', 'id = "member"', "data.id", 6),
        ('columns = "Q{n}"', 'columns = "Item{n}"', "instruments.gad7.columns", 12),
        ('giving = "gave"', 'giving = "given"', "roles.giving", 15),
        ("waves = [0, 3]", "waves = [0, 1]", "data.waves", 9),
    ],
)
def test_data_mismatch_names_study_line(tmp_path: Path, old: str, new: str, key: str,
                                        line: int) -> None:
    study = hs.load_study(write_study(tmp_path, STUDY.replace(old, new)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidCellsWarning)
        with pytest.raises(StudyError, match=f"line {line}, key '{key}'"):
            build_frame(study)


def test_duplicate_id_wave_is_an_error(tmp_path: Path) -> None:
    path = write_study(tmp_path)
    data = pd.read_csv(tmp_path / "export.csv")
    pd.concat([data, data.iloc[[0]]]).to_csv(tmp_path / "export.csv", index=False)
    with pytest.raises(StudyError, match=r"line 6, key 'data.id': 2 rows share an id and wave \(1 at 0\)"):
        build_frame(hs.load_study(path))


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_demo_runs_analyze_end_to_end(tmp_path: Path) -> None:
    import openpyxl

    from helpstats.cli import main

    assert main(["demo", "-o", str(tmp_path), "--no-progress"]) == 0
    out = tmp_path / "study"
    figures = {f"{stem}.{fmt}" for stem in ("participant_flow", "retention",
                                            "trajectory_phq9_total", "trajectory_gad7_total")
               for fmt in ("png", "svg", "pdf")}
    assert {p.name for p in out.iterdir()} == {
        "scored_data.csv", "validation.csv", "validation.md", "tables.xlsx", "tables.md",
        "report.html", "report.md", "manifest.json", *figures}

    scored = pd.read_csv(out / "scored_data.csv")
    assert len(scored) == 451
    assert scored.groupby("wave")["participant"].nunique().tolist() == [120, 117, 110, 104]
    base = scored[scored["wave"] == 0]
    assert (base["helping_given"].median(), base["helping_received"].median()) == (2, 2)
    by_hand = ((base["helping_given"] > 2) * 2 + (base["helping_received"] > 2)).map(
        dict(enumerate(["neither", "helpee", "helper", "dual"])))
    assert base["role"].tolist() == by_hand.tolist()
    assert base["role"].value_counts().to_dict() == {
        "neither": 48, "helper": 28, "helpee": 24, "dual": 20}
    # a member keeps the baseline role at every wave
    assert (scored.groupby("participant")["role"].nunique() == 1).all()

    book = openpyxl.load_workbook(out / "tables.xlsx")
    # without a [missing] section, analyze still reports the missing-data patterns and the
    # dropout models (no imputation); each sheet's numbers follow on a "<name> data" sheet
    shown = ["Table 1", "Role cut-offs", "Attrition", "Reliability", "Outcome phq9_total",
             "Model phq9_total", "Outcome gad7_total", "Model gad7_total",
             "Missing patterns", "Dropout phq9_total", "Dropout gad7_total"]
    assert book.sheetnames == [*shown, *(f"{name} data" for name in shown)]
    cutoffs = [[c.value for c in row] for row in book["Role cut-offs"].iter_rows(max_row=2)]
    assert cutoffs == [["method", "giving_cutoff", "receiving_cutoff", "n_classified"],
                       ["median", 2, 2, 120]]
    reliability = pd.read_excel(out / "tables.xlsx", sheet_name="Reliability data")
    assert set(reliability["scale"].dropna()) >= {"phq9_total", "gad7_total", "who5_total"}
    labelled = pd.read_excel(out / "tables.xlsx", sheet_name="Reliability")
    assert set(labelled["Scale"].dropna()) >= {"PHQ-9 total", "GAD-7 total", "WHO-5 total"}

    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    parser = _Collect()
    parser.feed((out / "report.html").read_text(encoding="utf-8"))
    text = " ".join(parser.text)
    # validation + 4 one-panel tables + per outcome: the outcome table and its Type III
    # tests, and the model's fixed effects, Type III tests, random effects and fit; then the
    # missing-data patterns and the two dropout models
    assert parser.tags.count("table") == 1 + 4 + 2 * (2 + 4) + 3
    # flow, retention and the two trajectories, embedded as SVG (sharp in print)
    assert len(parser.images) == 4 and all(s.startswith("data:image/svg+xml;base64,")
                                           for s in parser.images)
    assert parser.tags.count("figcaption") == 4 and "<script" not in " ".join(parser.tags)
    assert "Kroenke K, Spitzer RL, Williams JBW (2001)" in text
    assert "Maton, 1988" in text and "helping_given 2" in text
    assert "role * wave + (1 | participant) + (1 | group)" in text
    assert "Satterthwaite" in text and f"helpstats {hs.__version__}" in text


def test_cli_analyze_reports_study_mistake(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from helpstats.cli import main

    path = write_study(tmp_path, STUDY.replace(
        'receiving = "got"', 'receiving = "got"\nat = "always"'))
    assert main(["analyze", str(path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{path}, line 17, key 'roles.at': expected one of baseline, each_wave" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_build_frame_roles_each_wave(tmp_path: Path) -> None:
    text = STUDY.replace('receiving = "got"', 'receiving = "got"\nat = "each_wave"')
    study = hs.load_study(write_study(tmp_path, text))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidCellsWarning)
        frame, _ = build_frame(study)
    # month 3 medians: gave (1 2 4 0 3) -> 2; got (3 1 4 2 3) -> 3
    assert frame["role"].astype(str).tolist()[6:] == [
        "neither", "neither", "dual", "neither", "helper"]
    assert [(c["time"], c["giving"], c["receiving"])
            for c in frame.attrs["role_rule"]["cutoffs"]] == [(0, 2.5, 2.5), (3, 2.0, 3.0)]


TWO_FILES = """\
[data]
files = [{{ path = "{first}.csv", wave = {first_wave} }}, {{ path = "{second}.csv", wave = {second_wave} }}]
id = "pid"
wave = "time"
{extra}
[instruments.gad7]
columns = "Q{{n}}"

[roles]
giving = "gave"
receiving = "got"

[model]
outcomes = ["gad7_total"]
"""


def write_two_files(folder: Path, *, first: str, first_wave: str, second: str, second_wave: str,
                    extra: str = "") -> Path:
    """The six baseline rows in ``first``.csv and the five month-3 rows in ``second``.csv."""
    table = pd.DataFrame(ROWS, columns=COLUMNS).drop(columns="time")
    table.loc[8, "Q2"] = 2  # no invalid cell: this is about waves
    table.iloc[:6].to_csv(folder / f"{first}.csv", index=False)
    table.iloc[6:].to_csv(folder / f"{second}.csv", index=False)
    path = folder / "study.toml"
    path.write_text(TWO_FILES.format(first=first, first_wave=first_wave, second=second,
                                     second_wave=second_wave, extra=extra), encoding="utf-8")
    return path


# baseline (first six rows) medians 2.5/2.5; month 3 (last five) medians 2/3
BASELINE_ROLES = ["helpee", "helper", "dual", "neither", "helpee", "helper"]
MONTH3_ROLES = ["neither", "neither", "dual", "neither", "helper"]


def test_text_waves_follow_study_file_order(tmp_path: Path) -> None:
    path = write_two_files(tmp_path, first="pre", first_wave='"pre"', second="post",
                           second_wave='"post"')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidCellsWarning)
        analysis = hs.analyze(path, tmp_path / "out", progress=False)
    frame = analysis.data
    # "pre" is listed first, so it is the baseline, although "post" < "pre" alphabetically
    assert list(frame["time"].cat.categories) == ["pre", "post"]
    assert frame["role"].astype(str).tolist() == BASELINE_ROLES + BASELINE_ROLES[:5]
    terms = analysis.fits["gad7_total"].fixed["term"].tolist()
    assert any("post" in t for t in terms) and not any("pre" in t for t in terms)
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "baseline (reference) wave is pre" in report


def test_text_waves_listed_post_first_make_post_the_baseline(tmp_path: Path) -> None:
    path = write_two_files(tmp_path, first="post", first_wave='"post"', second="pre",
                           second_wave='"pre"')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidCellsWarning)
        frame, _ = build_frame(hs.load_study(path))
    assert list(frame["time"].cat.categories) == ["post", "pre"]


def test_numeric_waves_sort_numerically(tmp_path: Path) -> None:
    # listed month 10 first: numbers still sort as numbers (2 before 10), not as text or file order
    path = write_two_files(tmp_path, first="m10", first_wave="10", second="m2", second_wave="2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidCellsWarning)
        frame, _ = build_frame(hs.load_study(path))
    assert list(frame["time"].cat.categories) == [2, 10]
    # roles come from month 2 (the file listed second); member 6 has no month-2 row
    roles = frame["role"].astype("string").fillna("none").tolist()
    assert roles == MONTH3_ROLES + ["none"] + MONTH3_ROLES


def test_study_baseline_key_wins_over_file_order(tmp_path: Path) -> None:
    path = write_two_files(tmp_path, first="pre", first_wave='"pre"', second="post",
                           second_wave='"post"', extra='baseline = "post"')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidCellsWarning)
        frame, _ = build_frame(hs.load_study(path))
    assert list(frame["time"].cat.categories) == ["post", "pre"]
    assert frame["role"].astype(str).tolist()[6:] == MONTH3_ROLES


def test_text_waves_in_one_column_keep_first_appearance(tmp_path: Path) -> None:
    path = write_study(tmp_path, STUDY.replace("waves = [0, 3]\n", ""))
    data = pd.read_csv(tmp_path / "export.csv")
    data["time"] = data["time"].map({0: "week 6", 3: "intake"})
    data.to_csv(tmp_path / "export.csv", index=False)
    study = hs.load_study(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidCellsWarning)
        frame, _ = build_frame(study)
    assert list(frame["time"].cat.categories) == ["week 6", "intake"]
    methods = " ".join(hs.report.methods_text(study, frame))
    assert "baseline (reference) wave is week 6" in methods
    assert "first appearance" in methods


def _write_qualtrics(path: Path, rows: list[list[str]]) -> None:
    import csv

    names = ["ResponseId", "wave"] + [f"Q5_{n}" for n in range(1, 8)]
    texts = ["Response ID", "Wave"] + [f"Over the last 2 weeks - item {n}" for n in range(1, 8)]
    ids = ['{"ImportId":"_recordId"}', '{"ImportId":"wave"}'] + [
        f'{{"ImportId":"QID5_{n}"}}' for n in range(1, 8)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerows([names, texts, ids, *rows])


def test_validation_rows_count_qualtrics_header_rows(tmp_path: Path) -> None:
    _write_qualtrics(tmp_path / "q.csv", [
        ["R_1", "0", "1", "1", "1", "1", "1", "1", "1"],
        ["R_2", "0", "2", "9", "2", "2", "2", "2", "2"],  # file row 5: Q5_2 = 9 is out of range
    ])
    path = tmp_path / "study.toml"
    path.write_text('[data]\nfiles = ["q.csv"]\nid = "ResponseId"\nwave = "wave"\n'
                    '[instruments.gad7]\ncolumns = "Q5_{n}"\n[model]\noutcomes = ["gad7_total"]\n',
                    encoding="utf-8")
    assert hs.read_export(tmp_path / "q.csv").format == "qualtrics"
    with pytest.warns(InvalidCellsWarning):
        frame, validation = build_frame(hs.load_study(path))
    assert frame["source_row"].tolist() == [4, 5]
    assert validation[["source", "row", "column", "value"]].to_dict("records") == [
        {"source": "q.csv", "row": 5, "column": "Q5_2", "value": 9}]


def test_analyze_with_an_invalid_cell_scores_and_reports_it(tmp_path: Path) -> None:
    # ROWS hold one invalid GAD-7 answer (Q2 = 7 for member 3 at month 3): analyze must not
    # stop at the reliability step; the cell is missing everywhere and listed in validation.
    study = write_study(tmp_path)
    result = hs.analyze(study, tmp_path / "out", progress=False)
    invalid = result.validation[result.validation["problem"].str.startswith("out of range")]
    assert invalid[["source", "row", "column"]].values.tolist() == [["export.csv", 10, "Q2"]]
    reliability = pd.read_excel(tmp_path / "out" / "tables.xlsx", sheet_name="Reliability")
    assert not reliability.empty
