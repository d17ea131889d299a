"""The [helping] section of a study file and its tables in helpstats analyze."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import helpstats as hs
from helpstats.errors import StudyError

SECTION = """
[helping]
columns = ["helping_given", "helping_received"]
decompose = true
lag = 1
mediation = { treatment = "arm", mediator = "who5_total", outcome = "phq9_total" }
"""


def _study(tmp_path: Path, section: str) -> Path:
    source = hs.datasets.example_study_path()
    for path in source.parent.glob("example_study.*"):
        shutil.copy(path, tmp_path / path.name)
    study = tmp_path / source.name
    study.write_text(study.read_text(encoding="utf-8") + section, encoding="utf-8")
    return study


def test_helping_section_parsed_and_checked(tmp_path: Path) -> None:
    study = hs.load_study(_study(tmp_path, SECTION))
    assert study.helping is not None
    assert study.helping.columns == ("helping_given", "helping_received")
    assert study.helping.lag == 1 and study.helping.decompose is True
    assert study.helping.mediation == {"treatment": "arm", "mediator": "who5_total",
                                       "outcome": "phq9_total"}
    with pytest.raises(StudyError, match="helping.lag"):
        hs.load_study(_study(tmp_path, SECTION.replace("lag = 1", "lag = -1")))
    with pytest.raises(StudyError, match="helping.mediation"):
        hs.load_study(_study(tmp_path, SECTION.replace(', outcome = "phq9_total"', "")))
    assert hs.load_study(hs.datasets.example_study_path()).helping is None


def test_analyze_reports_helping_tables(tmp_path: Path) -> None:
    result = hs.analyze(_study(tmp_path, SECTION), tmp_path / "out", progress=False)
    for name in ("Helping phq9_total", "Lagged gad7_total", "Role transitions", "Mediation"):
        assert name in result.tables, name
    within = result.tables["Helping phq9_total"].set_index("term")
    assert "helping_given_within" in within.index and "helping_received_between" in within.index
    lagged = result.tables["Lagged phq9_total"].set_index("term")
    assert "helping_given_within_lag1" in lagged.index
    transitions = result.tables["Role transitions"]
    assert transitions.shape == (4, 5)
    assert result.tables["Mediation"]["path"].tolist()[:4] == ["a", "b", "direct", "indirect"]
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Roberts et al., 1999" in report and "cluster bootstrap over group" in report
    assert "mediator–outcome" in report
    assert report.index("Mediation used") < report.index("Software:")
