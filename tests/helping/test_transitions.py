"""Role transitions on the wave schedule: hand-made panels with missed waves, shuffled rows."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import HelpingError


def _panel() -> pd.DataFrame:
    rows = [
        ("a", 0, "helpee"), ("a", 1, "helper"), ("a", 3, "helper"), ("a", 8, "dual"),
        ("b", 0, "helpee"), ("b", 3, "dual"), ("b", 8, "dual"),        # missed wave 1
        ("c", 0, "neither"), ("c", 1, None), ("c", 3, "neither"),     # missing role at 1
        ("d", 0, "helpee"), ("d", 1, "helpee"),
    ]
    return pd.DataFrame(rows, columns=["pid", "wave", "role"]).sample(frac=1, random_state=3)


def test_counts_by_hand() -> None:
    tr = hs.role_transitions(_panel(), id="pid", wave="wave")
    # linked pairs: a 0->1 helpee->helper, a 1->3 helper->helper, a 3->8 helper->dual,
    # b 3->8 dual->dual, d 0->1 helpee->helpee  (b 0->3, c 0->1, c 1->3 are not linked)
    want = pd.DataFrame(0, index=hs.roles.ROLES, columns=hs.roles.ROLES)
    want.loc["helpee", "helper"] = 1
    want.loc["helper", "helper"] = 1
    want.loc["helper", "dual"] = 1
    want.loc["dual", "dual"] = 1
    want.loc["helpee", "helpee"] = 1
    assert np.array_equal(tr.counts.to_numpy(), want.to_numpy())
    assert list(tr.counts.index) == list(hs.roles.ROLES)
    assert tr.n_transitions == 5
    # unlinked: b at 0 (wave 1 missed), c at 0 (role missing at 1), c at 3 and d at 1
    # (next wave missed); a at 8 has no next scheduled wave
    assert tr.n_unlinked == 4
    assert tr.proportions.loc["helpee"].tolist() == [0.0, 0.5, 0.5, 0.0]
    assert tr.proportions.loc["helper", "dual"] == 0.5
    assert tr.proportions.loc["neither"].isna().all()
    by = tr.by_wave
    assert len(by) == 3 * 16 and by["n"].sum() == 5
    assert int(by.query("wave_from == 3 and wave_to == 8 and from_role == 'dual' "
                        "and to_role == 'dual'")["n"].iloc[0]) == 1


def test_schedule_and_classified_roles() -> None:
    data = _panel()
    # with wave 1 out of the schedule's data but scheduled, b's 0->3 stays unlinked
    tr = hs.role_transitions(data[data["wave"] != 1], id="pid", wave="wave", waves=[0, 1, 3, 8])
    assert tr.n_transitions == 2  # a 3->8, b 3->8
    roles = hs.classify_roles(pd.DataFrame({"g": [0, 5, 1, 6], "r": [3, 0, 4, 0]}),
                              giving="g", receiving="r", method={"giving": 2, "receiving": 2})
    frame = pd.DataFrame({"pid": [1, 1, 2, 2], "wave": [0, 1, 0, 1], "role": roles})
    counts = hs.role_transitions(frame, id="pid", wave="wave").counts
    assert counts.loc["helpee", "helper"] == 2


def test_plot_and_errors() -> None:
    ax = hs.role_transitions(_panel(), id="pid", wave="wave").plot()
    assert ax.get_ylabel() == "role at wave t"
    with pytest.raises(HelpingError, match="not roles"):
        hs.role_transitions(pd.DataFrame({"pid": [1], "wave": [0], "role": ["boss"]}),
                            id="pid", wave="wave")
    with pytest.raises(HelpingError, match="role column"):
        hs.role_transitions(_panel(), id="pid", wave="wave", role="nope")
