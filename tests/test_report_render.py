"""report.html / report.md: order of sections, same content, escaping, self-contained, print CSS."""

from __future__ import annotations

import html
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import helpstats as hs
from helpstats.figures import save_figure
from helpstats.flow import flow_counts
from helpstats.report import render_report


def png_text(path: Path) -> dict[str, str]:
    """A PNG's text chunks, read with Pillow (matplotlib's own dependency)."""
    from PIL import Image

    with Image.open(path) as image:
        return dict(image.text)  # type: ignore[attr-defined]


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.li: list[str] = []
        self.captions: list[str] = []
        self.srcs: list[str] = []
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h2", "li", "figcaption"):
            self._in, self._text = tag, []
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.srcs.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            text = "".join(self._text).strip()
            {"h2": self.h2, "li": self.li, "figcaption": self.captions}[tag].append(text)
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text.append(data)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("example")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = hs.analyze(hs.datasets.example_study_path(), out, progress=False)
    text = (out / "report.html").read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    return result, out, text, page


def test_sections_in_order_key_findings_first(example: Any) -> None:
    _, out, _, page = example
    assert page.h2 == ["Key findings", "Participant flow", "Sample", "Missing data",
                       "Reliability", "Outcomes", "Models", "Data and validation", "Methods"]
    md = (out / "report.md").read_text(encoding="utf-8")
    assert [line[3:] for line in md.splitlines() if line.startswith("## ")] == page.h2


def test_markdown_has_the_same_findings_and_captions(example: Any) -> None:
    _, out, _, page = example
    md = html.unescape((out / "report.md").read_text(encoding="utf-8"))
    assert len(page.li) >= 4
    for item in page.li:
        if item in ("Key findings", "Participant flow") or len(item) < 40:
            continue  # the contents list
        assert item in md
    assert len(page.captions) == 4
    for caption in page.captions:
        heading, _, rest = caption.split(" Files:")[0].partition(". ")
        title, _, text = rest.partition(". ")
        assert f"*{heading}. {title}.* {text}" in md  # "*Figure 1. Title.* caption"


def test_findings_come_from_the_fits(example: Any) -> None:
    result, _, text, page = example
    fit = result.fits["phq9_total"]
    coef = fit.fixed.set_index("term").loc["roledual:wave8", "estimate"]
    sentence = (f"Members who both gave and received help improved by {-coef:.1f} PHQ-9 "
                "points more than members who did neither")
    assert any(sentence in item for item in page.li)
    assert any("not randomised" in item for item in page.li)
    assert any(item.startswith("Maton KI (1988)") for item in page.li)
    assert page.li[-1].startswith("Okabe M, Ito K (2008)")
    flow = flow_counts(result.data, id="participant", wave="wave", by="role",
                       outcomes=["phq9_total", "gad7_total"], require=["age", "role", "wave",
                                                                       "participant", "group"])
    last = flow[(flow["group"] == "Overall") & (flow["step"] == "assessed")].iloc[-1]
    assert any(item.startswith(f"120 members took part; {int(last['n'])} (") for item in page.li)
    # analysed in the flow = members in each outcome's model
    analysed = flow[(flow["group"] == "Overall") & (flow["step"] == "analysed")]
    assert analysed["n"].tolist() == [int(f.ngroups["participant"])
                                      for f in result.fits.values()]
    assert analysed["observations"].tolist() == [float(f.nobs) for f in result.fits.values()]


def test_report_is_self_contained_and_prints(example: Any) -> None:
    _, out, text, page = example
    assert "<script" not in text and "<link" not in text
    assert all(s.startswith(("data:image/svg+xml;base64,", "#")) for s in page.srcs)
    assert "@media print" in text and "break-inside:avoid" in text
    assert "Months since baseline" in text  # the study file's wave_label


def test_figure_files_hold_numbered_captions(example: Any) -> None:
    result, out, _, page = example
    chunks = png_text(out / "participant_flow.png")
    assert chunks["Title"] == "Figure 1. Participant flow by role"
    assert chunks["Description"] in page.captions[0]
    assert png_text(out / "trajectory_gad7_total.png")["Title"] == "Figure 4. GAD-7 total by role"
    assert all(p in result.files for p in out.glob("*.svg"))


def test_render_report_escapes_every_text(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    figure = save_figure(fig, tmp_path, "f", number=1, title=hostile, caption=hostile)
    plt.close(fig)
    path = render_report(title=hostile, methods=[hostile], findings=[hostile],
                         sections=[(hostile, [("text", hostile), ("heading", hostile),
                                              ("list", [hostile]), ("figure", figure),
                                              ("table", pd.DataFrame({hostile: [hostile]}))])],
                         path=tmp_path / "r.html", markdown=tmp_path / "r.md")
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text and "<img src=x" not in text
    assert text.count("&lt;script&gt;") >= 8
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "<script" not in md and "<img src=x" not in md
    assert re.search(r"!\[Figure 1\. .*\]\(f\.png\)", md)


ARM_STUDY = """\
[study]
title = "Arm study"

[data]
files = ["export.csv"]
id = "pid"
wave = "time"
waves = [0, 3]
wave_label = "Month"

[instruments.gad7]
columns = "Q{n}"

[model]
outcomes = ["gad7_total"]
by = "arm"
formula = "{outcome} ~ arm * time + (1 | pid)"

[labels.variables]
arm = "Trial arm"
[labels.levels.arm]
usual = "Usual care"
peer = "Peer support"
"""


def _arm_export(folder: Path, with_arm: bool = True) -> None:
    rows = []
    for pid in range(1, 9):
        for time in (0, 3):
            if pid == 8 and time == 3:
                continue  # one member lost at month 3
            score = (pid + time) % 4
            row = {"pid": pid, "time": time, **{f"Q{n}": score if n != 2 else (pid % 3)
                                                 for n in range(1, 8)}}
            if with_arm:
                row["arm"] = "peer" if pid % 2 else "usual"
            rows.append(row)
    pd.DataFrame(rows).to_csv(folder / "export.csv", index=False)


def test_analyze_an_arm_study_uses_the_level_labels(tmp_path: Path) -> None:
    _arm_export(tmp_path)
    (tmp_path / "study.toml").write_text(ARM_STUDY, encoding="utf-8")
    result = hs.analyze(tmp_path / "study.toml", tmp_path / "out", progress=False)
    text = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    finding = next(item for item in page.li if item.startswith("GAD-7 total"))
    # the first level ("peer", in sorted order) is the reference
    assert finding.count("than members in the trial arm group Peer support") == 1
    assert "Members in the trial arm group Usual care improved by" in finding
    assert any("not assigned at random" in t for t in page.li) and "not randomised" not in text
    assert not any(t.startswith("Maton KI") for t in page.li)  # no roles: not cited
    assert "8 members took part; 7 (88%) answered at the last assessment (month: 3)." in page.li
    assert png_text(tmp_path / "out" / "participant_flow.png")["Title"] == \
        "Figure 1. Participant flow by trial arm"
    assert result.fits["gad7_total"].nobs == 15


def test_analyze_without_a_comparison(tmp_path: Path) -> None:
    _arm_export(tmp_path, with_arm=False)
    text = ARM_STUDY.replace('by = "arm"\n', "").replace("arm * time", "time")
    (tmp_path / "study.toml").write_text(text, encoding="utf-8")
    hs.analyze(tmp_path / "study.toml", tmp_path / "out", progress=False)
    page = Page()
    page.feed((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    after_contents = page.li[page.li.index("Methods") + 1:]
    findings = after_contents[:next(i for i, t in enumerate(after_contents)
                                    if t.startswith("Bates D"))]
    assert findings == ["8 members took part; 7 (88%) answered at the last assessment "
                        "(month: 3)."]
    assert len(page.captions) == 3  # flow, retention, one trajectory
