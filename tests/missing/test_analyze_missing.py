"""``[missing]`` in a study file: patterns, dropout, MI beside observed rows, tipping point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import StudyError


def _study(tmp_path: Path, missing: str) -> Path:
    source = Path(hs.datasets.example_study_path())
    shutil.copy(source.parent / "example_study.csv", tmp_path / "example_study.csv")
    text = source.read_text(encoding="utf-8").replace(
        'outcomes = ["phq9_total", "gad7_total"]', 'outcomes = ["phq9_total"]')
    path = tmp_path / "study.toml"
    path.write_text(text + "\n" + missing, encoding="utf-8")
    return path


def test_analyze_with_multiple_imputation(tmp_path: Path) -> None:
    path = _study(tmp_path, '[missing]\nmethod = "mi"\nm = 3\niterations = 3\nseed = 4\n'
                            'deltas = [1.0, 3.0]\nshift_level = "dual"\n')
    result = hs.analyze(path, tmp_path / "out", progress=False)
    tables = result.tables
    assert {"Missing patterns", "Dropout phq9_total", "MI phq9_total", "Tipping phq9_total"} <= set(tables)
    pattern = tables["Missing patterns"]
    assert pattern["count"].sum() == 120  # every member in exactly one pattern
    side = tables["MI phq9_total"]
    assert {"observed_estimate", "mi_estimate", "mi_df", "fmi"} <= set(side.columns)
    assert side["mi_estimate"].notna().all()
    # at baseline nobody is missing: MI and observed rows agree closely
    base = side[side["wave"] == "0"]
    assert (base["mi_estimate"] - base["observed_estimate"]).abs().max() < 0.5
    tipping = tables["Tipping phq9_total"]
    assert list(tipping["delta"]) == [0.0, 1.0, 3.0]
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Missing data" in report and "multiply imputed" in report and "m = 3" in report


def test_analyze_observed_only_lists_patterns_without_imputing(tmp_path: Path) -> None:
    path = _study(tmp_path, '[missing]\nmethod = "observed"\n')
    result = hs.analyze(path, tmp_path / "out", progress=False)
    assert "Missing patterns" in result.tables and "MI phq9_total" not in result.tables


@pytest.mark.parametrize("section, key", [
    ('[missing]\nm = 1\n', "missing.m"),
    ('[missing]\nmethod = "magic"\n', "missing.method"),
    ('[missing]\ndeltas = "big"\n', "missing.deltas"),
    ('[missing]\ncolour = 1\n', "missing.colour"),
])
def test_missing_section_mistakes_name_the_key(tmp_path: Path, section: str, key: str) -> None:
    with pytest.raises(StudyError, match=f"key '{key}'"):
        hs.load_study(_study(tmp_path, section))


def test_missing_pattern_of_the_example_counts_members() -> None:
    data = pd.read_csv(Path(hs.datasets.example_study_path()).parent / "example_study.csv")
    pattern = hs.missing_pattern(data, id="participant", wave="wave", columns=["phq9_1"])
    assert pattern["count"].sum() == data["participant"].nunique()


def test_analyze_two_level_imputation_uses_the_group(tmp_path: Path) -> None:
    path = _study(tmp_path, '[missing]\nmethod = "mi"\nimputation = "2l.pan"\nm = 3\n'
                            'iterations = 3\nseed = 4\n')
    result = hs.analyze(path, tmp_path / "out", progress=False)
    assert result.tables["MI phq9_total"]["mi_estimate"].notna().all()
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "random intercept for each group" in report


def test_two_level_imputation_needs_a_group_column(tmp_path: Path) -> None:
    path = _study(tmp_path, '[missing]\nimputation = "2l.pan"\n')
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.strip().startswith("group =")]
    path.write_text("\n".join(lines).replace("+ (1 | group)", ""), encoding="utf-8")
    with pytest.raises(StudyError, match="key 'missing.imputation'.*needs data.group"):
        hs.load_study(path)
