"""validate(): every instrument's problems and duplicated participant × wave rows at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ExportError

NHANES = Path(__file__).parents[1] / "data" / "exports" / "nhanes-phq9" / "DPQ_J.csv"


def make() -> pd.DataFrame:
    data = pd.DataFrame({"pid": ["p1", "p2", "p2", "p3"], "wave": ["t0", "t0", "t0", "t1"]})
    for n in range(1, 10):
        data[f"Q1_{n}"] = ["0", "1", "2", "3"]
    for n in range(1, 7):  # gad7_7 absent
        data[f"gad7_{n}"] = ["Not at all", "several days", " Nearly every day ", ""]
    data.loc[0, "Q1_4"] = "4"          # out of range
    data.loc[3, "Q1_9"] = "sometimes"  # unknown label
    return data


def test_report_lists_all_problems_of_all_instruments() -> None:
    data = make()
    report = hs.validate(data, ["phq9", "gad7"], columns={"phq9": "Q1_{n}"}, id="pid",
                         wave="wave")
    assert report.columns.tolist() == ["instrument", "row", "column", "item", "value",
                                       "problem", "allowed"]
    phq = report[report.instrument == "phq9"]
    assert phq[["row", "column", "value", "problem"]].values.tolist() == [
        [0, "Q1_4", "4", "out of range"], [3, "Q1_9", "sometimes", "unknown label"]]
    gad = report[report.instrument == "gad7"]
    assert gad[["row", "column", "problem"]].values.tolist() == [[None, "gad7_7",
                                                                  "missing column"]]
    dup = report[report.problem == "duplicated participant × wave"]
    assert dup["row"].tolist() == [1, 2] and dup["value"].iloc[0] == "pid=p2, wave=t0"
    summary = report.attrs["summary"].set_index("instrument")
    assert summary.loc["phq9"].to_dict() == {
        "n_rows": 4, "n_items": 9, "missing_columns": 0, "invalid_cells": 2,
        "rows_with_invalid": 2, "blank_cells": 0, "complete_rows": 2, "ok": False}
    assert summary.loc["gad7", "missing_columns"] == 1
    assert summary.loc["gad7", "blank_cells"] == 6 and summary.loc["gad7", "complete_rows"] == 0
    assert report.attrs["duplicated_rows"] == 2
    # the data are not modified
    pd.testing.assert_frame_equal(data, make())


def test_clean_data_gives_an_empty_report() -> None:
    data = pd.DataFrame({f"gad7_{n}": [0, 3] for n in range(1, 8)})
    report = hs.validate(data, "gad7")
    assert report.empty and report.attrs["summary"]["ok"].tolist() == [True]
    assert report.attrs["summary"]["complete_rows"].tolist() == [2]


def test_nhanes_codes_7_and_9_are_reported() -> None:
    export = hs.read_export(NHANES)
    data = export.data
    columns = {f"phq9_{k}": f"DPQ0{k}0" for k in range(1, 10)}
    report = hs.validate(export, "phq9", columns=columns, id="SEQN")
    items = data[list(columns.values())]
    assert len(report) == int(items.isin([7, 9]).sum().sum())
    assert set(report["problem"]) == {"out of range"}
    summary = report.attrs["summary"].iloc[0]
    assert summary["rows_with_invalid"] == 23
    assert summary["complete_rows"] == int((items.notna() & ~items.isin([7, 9])).all(axis=1).sum())


def test_usage_errors() -> None:
    with pytest.raises(ExportError, match="DataFrame or an Export"):
        hs.validate([[1]], "gad7")  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="needs id"):
        hs.validate(pd.DataFrame({"gad7_1": [1]}), "gad7", wave="w")
    report = hs.validate(pd.DataFrame({f"gad7_{n}": [1] for n in range(1, 8)}), "gad7",
                         id="pid")
    assert report[["column", "problem"]].values.tolist() == [["pid", "missing column"]]
