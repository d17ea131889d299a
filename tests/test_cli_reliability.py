"""``helpstats reliability``, run as a user would: in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import helpstats as hs

REPO = Path(__file__).resolve().parent.parent

CSV = """id,wave,Q_1,Q_2,Q_3,Q_4,Q_5,Q_6,Q_7
1,1,0,0,1,0,0,1,0
2,1,1,1,1,2,0,1,1
3,1,2,3,2,2,1,2,2
4,1,3,3,3,3,2,2,3
5,1,1,2,1,1,1,0,
6,2,0,1,0,1,0,0,1
7,2,2,2,3,2,2,1,2
8,2,3,2,3,3,3,3,2
9,2,1,1,0,1,2,1,1
"""


def helpstats(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "helpstats", *args], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120)


def test_reliability_command_writes_table_and_items(tmp_path: Path) -> None:
    source = tmp_path / "answers.csv"
    source.write_text(CSV)
    out, items_out = tmp_path / "rel.csv", tmp_path / "items.csv"
    done = helpstats("reliability", str(source), "-i", "gad7", "--columns", "gad7=Q_{n}",
                     "--by", "wave", "-o", str(out), "--items", str(items_out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert table.columns.tolist()[:3] == ["wave", "scale", "n_items"]
    assert table["n"].tolist() == [4, 4]
    # Wave 1 complete cases are the hand-computed GAD-7 example: alpha = 987/1014.
    assert table["alpha"].iloc[0] == pytest.approx(987 / 1014, abs=1e-12)
    data = pd.read_csv(source)
    expected = hs.reliability(data, "gad7", "Q_{n}", by="wave")
    assert table["alpha"].tolist() == pytest.approx(expected["alpha"].tolist(), abs=1e-12)
    items = pd.read_csv(items_out)
    # one item analysis per wave (issue 15: --by used to pool the waves)
    assert len(items) == 14 and items["item"].iloc[0] == "gad7_1"
    assert items.columns[0] == "wave" and items["wave"].tolist() == [1] * 7 + [2] * 7


def test_reliability_command_reports_bad_input(tmp_path: Path) -> None:
    source = tmp_path / "answers.csv"
    source.write_text(CSV.replace("3,1,2,3,2,2,1,2,2", "3,1,2,9,2,2,1,2,2"))
    done = helpstats("reliability", str(source), "-i", "gad7", "--columns", "gad7=Q_{n}",
                     "-o", str(tmp_path / "rel.csv"))
    assert done.returncode == 2
    assert "answers.csv" in done.stderr and "row 4" in done.stderr and "'Q_2'" in done.stderr
    assert not (tmp_path / "rel.csv").exists()
