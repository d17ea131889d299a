"""reliability_table: shaping hs.reliability results by wave."""

from __future__ import annotations

import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import TableError


def result(alpha: float, n: int) -> pd.DataFrame:
    return pd.DataFrame({"scale": ["phq9_total", "gad7_total"], "n": [n, n - 2],
                         "alpha": [alpha, alpha - 0.1], "alpha_lower": [alpha - 0.05] * 2,
                         "alpha_upper": [alpha + 0.03] * 2, "omega": [alpha + 0.01] * 2,
                         "mean": [9.0, 7.0], "sd": [5.0, 4.0], "n_items": [9, 7]})


def test_mapping_by_wave() -> None:
    t = hs.reliability_table({"baseline": result(0.85, 100), "month 8": result(0.9, 80)})
    assert list(t.columns) == ["wave", "scale", "n", "alpha", "alpha_lower", "alpha_upper",
                               "omega", "mean", "sd", "n_items"]
    assert t[["scale", "wave", "n"]].values.tolist() == [
        ["phq9_total", "baseline", 100], ["phq9_total", "month 8", 80],
        ["gad7_total", "baseline", 98], ["gad7_total", "month 8", 78]]
    assert t["alpha"].tolist() == pytest.approx([0.85, 0.9, 0.75, 0.8])
    assert t.attrs["kind"] == "reliability"
    shown = hs.format_table(t)
    assert list(shown.columns) == ["Wave", "Scale", "n", "\u03b1", "95% CI", "\u03c9", "M", "SD",
                                   "N items"]
    assert shown["\u03b1"].tolist() == [".85", ".90", ".75", ".80"]
    assert shown["Scale"].tolist() == ["PHQ-9 total", "PHQ-9 total", "GAD-7 total", "GAD-7 total"]
    assert shown["95% CI"].tolist()[0] == "[.80, .88]"


def test_frame_with_wave_column() -> None:
    stacked = pd.concat([result(0.8, 50).assign(wave=3), result(0.7, 60).assign(wave=0)])
    t = hs.reliability_table(stacked, by="wave")
    assert t[["scale", "wave"]].values.tolist() == [
        ["phq9_total", 0], ["phq9_total", 3], ["gad7_total", 0], ["gad7_total", 3]]
    single = hs.reliability_table(result(0.8, 50))
    assert list(single.columns)[:2] == ["scale", "n"] and len(single) == 2


def test_missing_columns_named() -> None:
    with pytest.raises(TableError, match="omega"):
        hs.reliability_table(result(0.8, 50).drop(columns="omega"))
    with pytest.raises(TableError, match="empty"):
        hs.reliability_table({})


def test_ci_label_follows_the_level() -> None:
    t90 = hs.reliability_table(result(0.85, 100), level=0.9)
    assert hs.format_table(t90).columns.tolist()[3] == "90% CI"
    assert hs.format_table(hs.reliability_table(result(0.85, 100))).columns.tolist()[3] == "95% CI"
