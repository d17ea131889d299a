"""Participant flow counts (hand-checked) and the CONSORT-style diagram."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import helpstats as hs
from helpstats.errors import TableError
from helpstats.flow import flow_counts, plot_flow

# Seven members, waves 0, 1, 2.  By hand:
#   arm c: 1 (0, 1, 2), 2 (0, 2), 3 (0; y missing at 0 -> not assessed with outcomes)
#   arm t: 4 (0, 1), 5 (1, 2; first wave with an arm is 1), "06" (0, 1, 2; age missing at 0)
#   7: no arm at any wave -> "(missing)"
ROWS = [
    # pid, wave, arm, y, age
    (1, 0, "c", 10.0, 30), (1, 1, "c", 9.0, 30), (1, 2, "c", 8.0, 30),
    (2, 0, "c", 12.0, 40), (2, 2, "c", 11.0, 40),
    (3, 0, "c", None, 50),
    (4, 0, "t", 11.0, 35), (4, 1, "t", 7.0, 35),
    (5, 1, "t", 9.0, 45), (5, 2, "t", 6.0, 45),
    ("06", 0, "t", 13.0, None), ("06", 1, "t", 10.0, 55), ("06", 2, "t", 8.0, 55),
    (7, 0, None, 9.0, 60),
]


def frame() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["pid", "wave", "arm", "y", "age"])


def as_dict(counts: pd.DataFrame) -> dict[tuple[str, str, object, object], tuple[int, int]]:
    return {(str(r.group), r.step, r.wave, r.outcome): (int(r.n), int(r.not_counted))
            for r in counts.itertuples()}


def test_flow_counts_by_hand() -> None:
    data = frame()
    before = data.copy()
    counts = flow_counts(data, id="pid", wave="wave", by="arm", outcomes=["y"], require=["age"])
    pd.testing.assert_frame_equal(data, before)  # the caller's data are not modified
    got = as_dict(counts)
    assert list(pd.unique(counts["group"])) == ["c", "t", "(missing)", "Overall"]
    assert got[("c", "allocated", None, None)] == (3, 0)
    assert got[("t", "allocated", None, None)] == (3, 0)
    assert got[("(missing)", "allocated", None, None)] == (1, 0)
    assert got[("Overall", "enrolled", None, None)] == (7, 0)
    # assessed = a row with y: c at 0 -> 1, 2 (3's y missing); t at 0 -> 4, 06
    assert [got[("c", "assessed", w, None)] for w in (0, 1, 2)] == [(2, 1), (1, 2), (2, 1)]
    assert [got[("t", "assessed", w, None)] for w in (0, 1, 2)] == [(2, 1), (3, 0), (2, 1)]
    assert [got[("Overall", "assessed", w, None)] for w in (0, 1, 2)] == [(5, 2), (4, 3), (4, 3)]
    # analysed: a row with y and age; c: 1, 2 (not 3); t: 4, 5, 06 (06 through waves 1, 2)
    assert got[("c", "analysed", None, "y")] == (2, 1)
    assert got[("t", "analysed", None, "y")] == (3, 0)
    assert got[("Overall", "analysed", None, "y")] == (6, 1)
    rows = counts.set_index(["group", "step"]).loc[[("c", "analysed"), ("t", "analysed"),
                                                     ("Overall", "analysed")], "observations"]
    assert rows.tolist() == [5.0, 6.0, 12.0]


def test_flow_without_outcomes_agrees_with_attrition_table() -> None:
    data = frame()
    counts = flow_counts(data, id="pid", wave="wave", by="arm")
    attrition = hs.attrition_table(data, id="pid", wave="wave", by="arm")
    assessed = counts[counts["step"] == "assessed"]
    assert assessed["n"].tolist() == attrition["observed"].tolist()
    assert assessed["not_counted"].tolist() == attrition["missing"].tolist()
    assert [str(g) for g in assessed["group"]] == [str(g) for g in attrition["group"]]


def test_flow_ids_are_compared_as_text() -> None:
    data = pd.DataFrame({"pid": [1, "1", 2], "wave": [0, 1, 0]})
    counts = flow_counts(data, id="pid", wave="wave")
    assert counts["n"].tolist() == [2, 2, 1]


def test_flow_errors() -> None:
    with pytest.raises(TableError, match="'arm'"):
        flow_counts(frame().drop(columns="arm"), id="pid", wave="wave", by="arm")
    bad = frame()
    bad.loc[2, "wave"] = None
    with pytest.raises(TableError, match="1 row"):
        flow_counts(bad, id="pid", wave="wave")


@settings(deadline=None, max_examples=60)  # pandas work per example; slow on a loaded machine
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 2), st.sampled_from(["a", "b", None]),
                          st.one_of(st.none(), st.floats(0, 10))), min_size=1, max_size=40))
def test_flow_invariants(rows: list[tuple[int, int, str | None, float | None]]) -> None:
    data = pd.DataFrame(rows, columns=["pid", "wave", "arm", "y"]).drop_duplicates(["pid", "wave"])
    counts = flow_counts(data, id="pid", wave="wave", by="arm", outcomes=["y"])
    groups = counts[counts["group"] != "Overall"]
    allocated = groups[groups["step"] == "allocated"]["n"].sum()
    overall = counts[counts["group"] == "Overall"]
    assert allocated == overall.loc[overall["step"] == "enrolled", "n"].iloc[0] == data["pid"].nunique()
    for step in ("assessed", "analysed"):
        by_group = groups[groups["step"] == step].groupby(["wave", "outcome"], dropna=False)["n"].sum()
        total = overall[overall["step"] == step].groupby(["wave", "outcome"], dropna=False)["n"].sum()
        assert by_group.tolist() == total.tolist()
    size = groups[groups["step"] == "allocated"].set_index("group")["n"]
    for row in groups[groups["step"] != "allocated"].itertuples():
        assert row.n + row.not_counted == size[row.group]
    analysed = overall[overall["step"] == "analysed"]["n"].iloc[0]
    assert analysed == data.loc[data["y"].notna(), "pid"].nunique()


def test_plot_flow_draws_every_count() -> None:
    counts = flow_counts(frame(), id="pid", wave="wave", by="arm", outcomes=["y"],
                         require=["age"])
    ax = plot_flow(counts, labels={"arm": "Arm", "wave": "Month", "y": "Score"})
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "Enrolled (any assessment)\nn = 7"
    assert "Arm: c\nn = 3" in texts and "Arm missing\nn = 1" in texts
    assert "Month 1\nassessed n = 1\nnot assessed n = 2" in texts  # arm c at month 1
    assert "Analysed\nScore: 3 (6 obs.)" in texts  # arm t
    boxes = [p for p in ax.patches if type(p).__name__ == "FancyBboxPatch"]
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    # 1 enrolled + 3 groups x (1 + 3 waves + 1 analysed); an arrow into every box but the first
    assert len(boxes) == 1 + 3 * 5 and len(arrows) == len(boxes) - 1
    assert not ax.axison
    plt.close(ax.get_figure(root=True))


def test_plot_flow_without_groups_is_one_column() -> None:
    counts = flow_counts(frame(), id="pid", wave="wave")
    ax = plot_flow(counts)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["Enrolled (any assessment)\nn = 7",
                     "wave 0\nassessed n = 6\nnot assessed n = 1",
                     "wave 1\nassessed n = 4\nnot assessed n = 3",
                     "wave 2\nassessed n = 4\nnot assessed n = 3"]
    assert np.isclose(ax.get_xlim()[1], 1.0)
    plt.close(ax.get_figure(root=True))
