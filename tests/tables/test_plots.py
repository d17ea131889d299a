"""Plots rendered to PNG under the Agg backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import helpstats as hs
from helpstats.errors import TableError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def save_png(ax: Any, path: Path) -> None:
    ax.figure.savefig(path, dpi=60)
    plt.close(ax.figure)
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 1000


def test_trajectories_from_fit(tmp_path: Path, btheb_fit: Any, btheb_data: pd.DataFrame) -> None:
    ax = hs.plot_trajectories(btheb_fit, by="treatment", wave="wave", data=btheb_data,
                              spaghetti=True, id="subject")
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["TAU", "BtheB"]
    assert [t.get_text() for t in ax.get_legend().get_texts()][2:] == [
        "Model-based mean with 95% CI", "Observed mean", "One participant's observed values"]
    assert ax.get_xlabel() == "wave"
    assert ax.get_ylabel() == "bdi (marginal mean, 95% CI)"
    # the model line of TAU passes through R's marginal means at months 2, 3, 5, 8
    tau = handles[0].lines[0]
    assert tau.get_ydata().tolist() == pytest.approx(
        [18.9230164112781, 17.3284233922083, 15.765478173584, 12.9796638601026])
    assert np.allclose(np.asarray(tau.get_xdata()) - [2, 3, 5, 8], tau.get_xdata()[0] - 2)
    thin = [ln for ln in ax.get_lines() if ln.get_alpha() == 0.2]
    assert len(thin) == btheb_data["subject"].nunique()
    observed_points = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None"
                       and ln.get_markerfacecolor() == "white"]
    tau_means = btheb_data[btheb_data["treatment"] == "TAU"].groupby("wave")["bdi"].mean()
    assert observed_points[0].get_ydata().tolist() == pytest.approx(tau_means.tolist())
    save_png(ax, tmp_path / "fit.png")


def test_trajectories_from_data(tmp_path: Path) -> None:
    long = pd.DataFrame({"pid": [1, 1, 2, 2, 3, 3, 4, 4], "wave": ["pre", "post"] * 4,
                         "arm": ["a"] * 4 + ["b"] * 4, "y": [10, 8, 12, 10, 11, 11, 13, 12]})
    long["wave"] = pd.Categorical(long["wave"], ["pre", "post"], ordered=True)
    fig, ax = plt.subplots()
    out = hs.plot_trajectories(long, by="arm", wave="wave", outcome="y", ax=ax)
    assert out is ax
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["a", "b"]
    assert handles[0].lines[0].get_ydata().tolist() == [11.0, 9.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["pre", "post"]
    # CI of a at "pre": 11 -/+ t(0.975, 1) * sd(10, 12) / sqrt(2)
    segments = handles[0].lines[2][0].get_segments()
    assert segments[0][1][1] - 11.0 == pytest.approx(12.706204736)  # sd = sqrt(2), n = 2
    save_png(ax, tmp_path / "data.png")


def test_trajectories_errors(btheb_fit: Any) -> None:
    with pytest.raises(TableError, match="outcome"):
        hs.plot_trajectories(pd.DataFrame({"g": [1]}), by="g", wave="t")
    with pytest.raises(TableError, match="spaghetti"):
        hs.plot_trajectories(btheb_fit, by="treatment", wave="wave", spaghetti=True)


def test_plot_items(tmp_path: Path) -> None:
    answers = pd.DataFrame({f"phq9_{n}": [0, 1, 1, 3] for n in range(1, 10)})
    answers["phq9_2"] = ["not at all", "Not at all", "nearly every day", None]
    ax = hs.plot_items(answers, "phq9")
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"phq9_{n}" for n in range(1, 10)]
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["Not at all", "Several days", "More than half the days",
                      "Nearly every day"]
    widths = {lab: [p.get_width() for p in c.patches]
              for c, lab in zip(ax.containers, labels, strict=True)}
    assert widths["Not at all"][0] == 25.0 and widths["Several days"][0] == 50.0
    assert widths["Not at all"][1] == pytest.approx(200 / 3)  # 2 of 3 answered
    assert widths["Nearly every day"][1] == pytest.approx(100 / 3)
    assert any(t.get_text() == "n = 3, missing 1" for t in ax.texts)
    save_png(ax, tmp_path / "items.png")


def test_single_line_without_group(tmp_path: Path, btheb_fit: Any) -> None:
    long = pd.DataFrame({"pid": [1, 1, 2, 2], "wave": [0, 1, 0, 1], "y": [10, 8, 12, 9]})
    before = long.copy()
    ax = hs.plot_trajectories(long, by=None, wave="wave", outcome="y")
    pd.testing.assert_frame_equal(long, before)
    # one line: the legend explains the mark only (no group entries)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Observed mean with 95% CI"]
    line = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"][0]
    assert line.get_ydata().tolist() == [11.0, 8.5]
    save_png(ax, tmp_path / "one.png")
    with pytest.raises(LookupError):  # the stand-in fit has emmeans(~ treatment | wave) only
        hs.plot_trajectories(btheb_fit, by="wave", wave="wave")
