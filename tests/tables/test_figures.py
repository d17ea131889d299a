"""Figure files (captions inside PNG/SVG/PDF), palette, labels and legends outside the axes."""

from __future__ import annotations

import struct
import warnings
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import helpstats as hs
from helpstats._keywords import KeywordError
from helpstats.figures import OKABE_ITO, save_figure, style
from helpstats.plots import plot_attrition
from helpstats.tables import Labels

SVG = "{http://www.w3.org/2000/svg}"


def png_text(path: Path) -> dict[str, str]:
    """The tEXt/zTXt/iTXt chunks of a PNG, read by hand (no imaging library)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = {}, 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"tEXt":
            k, v = body.split(b"\0", 1)
            out[k.decode("latin-1")] = v.decode("latin-1")
        elif kind == b"zTXt":
            k, v = body.split(b"\0", 1)
            out[k.decode("latin-1")] = zlib.decompress(v[1:]).decode("latin-1")
        elif kind == b"iTXt":
            k, rest = body.split(b"\0", 1)
            flag, _method, rest = rest[0], rest[1], rest[2:]
            _lang, _translated, text = rest.split(b"\0", 2)
            out[k.decode("latin-1")] = (zlib.decompress(text) if flag else text).decode("utf-8")
        pos += 12 + length
    return out


def test_save_figure_stores_number_title_and_caption_in_every_file(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 2])
    caption = "Means & 95% CIs; <open> markers: observed."
    saved = save_figure(fig, tmp_path, "my figure", number=3, title="PHQ-9 by role",
                        caption=caption)
    plt.close(fig)
    assert saved.heading == "Figure 3. PHQ-9 by role"
    assert {k: p.name for k, p in saved.paths.items()} == {
        "png": "my_figure.png", "svg": "my_figure.svg", "pdf": "my_figure.pdf"}
    chunks = png_text(saved.paths["png"])
    assert chunks["Title"] == "Figure 3. PHQ-9 by role" and chunks["Description"] == caption
    root = ET.parse(saved.paths["svg"]).getroot()  # well-formed although the caption has <&>
    assert root.find(f"{SVG}title").text == "Figure 3. PHQ-9 by role"
    assert root.find(f"{SVG}desc").text == caption
    # text stays text in the SVG (searchable, selectable): the drawn numbered title is there
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Figure 3. PHQ-9 by role" in texts
    pdf = saved.paths["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF") and b"(Figure 3. PHQ-9 by role)" in pdf
    assert b"/Subject" in pdf


def test_save_figure_rejects_unknown_format(tmp_path: Path) -> None:
    fig, _ = plt.subplots()
    with pytest.raises(hs.errors.OutputError, match="jpg"):
        save_figure(fig, tmp_path, "x", number=1, title="t", caption="c", formats=["jpg"])
    plt.close(fig)


def test_palette_is_okabe_ito_with_distinct_markers_and_lines() -> None:
    assert OKABE_ITO[:3] == ("#E69F00", "#56B4E9", "#009E73")
    styles = [style(i) for i in range(6)]
    assert len({s[0] for s in styles}) == 6 and len({s[1] for s in styles}) == 6
    assert style(8) == style(0)


def long_frame() -> pd.DataFrame:
    # arm a: pid 1 (waves 0, 1), 2 (wave 0 only); arm b: pid 3 (0, 1); y by hand below
    return pd.DataFrame({"pid": [1, 1, 2, 3, 3], "wave": [0, 1, 0, 0, 1],
                         "arm": ["a", "a", "a", "b", "b"], "y": [10.0, 8.0, 12.0, 9.0, 7.0]})


def legend_outside(ax: plt.Axes) -> bool:
    fig = ax.get_figure(root=True)
    fig.canvas.draw()
    box, legend = ax.get_window_extent(), ax.get_legend().get_window_extent()
    return legend.x0 >= box.x1  # entirely to the right of the axes: it covers no data


def test_trajectories_legend_explains_every_mark_outside_the_axes(btheb_fit: object,
                                                                 btheb_data: pd.DataFrame) -> None:
    labels = Labels(variables={"bdi": "BDI-II"}, levels={"treatment": {"TAU": "Usual care"}},
                    wave="wave", wave_label="Months since baseline")
    ax = hs.plot_trajectories(btheb_fit, by="treatment", wave="wave", data=btheb_data,
                              labels=labels, level=0.9)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Usual care", "BtheB", "Model-based mean with 90% CI", "Observed mean"]
    assert ax.get_legend().get_title().get_text() == "Treatment"
    assert ax.get_xlabel() == "Months since baseline"
    assert ax.get_ylabel() == "BDI-II (marginal mean, 90% CI)"
    assert ax.get_title() == "BDI-II by Treatment"
    handles = ax.get_legend_handles_labels()[0]
    lines = [h.lines[0] for h in handles]
    assert [ln.get_color() for ln in lines] == list(OKABE_ITO[:2])
    assert [ln.get_marker() for ln in lines] == ["o", "s"]
    assert [ln.get_linestyle() for ln in lines] == ["-", "--"]
    assert legend_outside(ax)
    plt.close(ax.get_figure(root=True))


def test_trajectories_old_keywords_warn_and_give_the_same_plot() -> None:
    new = hs.plot_trajectories(long_frame(), by="arm", wave="wave", outcome="y")
    with pytest.warns(FutureWarning, match=r"plot_trajectories\(group=...\) is now "
                                           r"plot_trajectories\(by=...\)"):
        old = hs.plot_trajectories(long_frame(), group="arm", time="wave", outcome="y")
    assert len(old.get_lines()) == len(new.get_lines()) == 6
    for a, b in zip(old.get_lines(), new.get_lines(), strict=True):
        assert np.array_equal(np.asarray(a.get_ydata(), dtype=float),
                              np.asarray(b.get_ydata(), dtype=float), equal_nan=True)
    with pytest.raises(KeywordError, match="both group= and by="):
        hs.plot_trajectories(long_frame(), group="arm", by="arm", wave="wave", outcome="y")
    plt.close("all")


def test_attrition_plot_counts_by_hand() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no FutureWarning from the table it reuses
        ax = plot_attrition(long_frame(), id="pid", wave="wave", by="arm",
                            labels={"wave": "Month"})
    # a: 2 enrolled, both at 0, one at 1 -> 100, 50; b: 100, 100; overall 3: 100, 66.7
    assert [ln.get_ydata().tolist() for ln in ax.get_lines()] == [
        [100.0, 50.0], [100.0, 100.0], [100.0, pytest.approx(200 / 3)]]
    assert ax.get_legend_handles_labels()[1] == ["a (n = 2)", "b (n = 1)", "Overall (n = 3)"]
    assert ax.get_xlabel() == "Month" and ax.get_ylim() == (0.0, 105.0)
    assert ax.get_lines()[2].get_color() == "#000000"
    assert legend_outside(ax)
    plt.close(ax.get_figure(root=True))


def test_study_labels_from_the_example_study() -> None:
    labels = Labels.from_study(hs.load_study(hs.datasets.example_study_path()))
    assert labels.variable("wave") == "Months since baseline"
    assert labels.variable("phq9_total") == "PHQ-9 total"
    assert labels.variable("who5_total") == "WHO-5 total"
    assert labels.variable("age") == "Age" and labels.level("role", "dual") == "dual"
