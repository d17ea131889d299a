"""Helping dose: acts per meeting attended and per week of membership, and the dose table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import RoleError


def _log() -> pd.DataFrame:
    return pd.DataFrame({
        "giver": ["a", "a", "a", "b", "c", "a"],
        "receiver": ["b", "c", "b", "a", "a", "b"],
        "wave": [1, 1, 1, 1, 1, 2],
        "meeting": ["m1", "m1", "m2", "m2", "m3", "m4"],
    })


def test_rates_per_meeting_attended_by_hand() -> None:
    attendance = pd.DataFrame({
        "participant": ["a", "a", "a", "b", "b", "c", "a", "a", "c"],
        "meeting": ["m1", "m2", "m2", "m1", "m2", "m3", "m4", "m5", "m3"],  # repeats counted once
        "wave": [1, 1, 1, 1, 1, 1, 2, 2, 1],
    })
    out = hs.roles_from_interactions(_log(), giver="giver", receiver="receiver", wave="wave",
                                     meeting="meeting", attendance=attendance,
                                     members=["a", "b", "c", "d"])
    out = out.set_index(["participant", "wave"])
    # wave 1: a gave 3 at 2 meetings, b gave 1 at 2, c gave 1 at 1, d attended nothing
    assert out.loc[("a", 1), "n_attended"] == 2
    assert out.loc[("a", 1), "given_per_attended"] == 1.5
    assert out.loc[("b", 1), "received_per_attended"] == 1.0   # received 2 at 2 meetings
    assert out.loc[("c", 1), "given_per_attended"] == 1.0
    assert np.isnan(out.loc[("d", 1), "given_per_attended"])   # zero attendance: missing
    assert out.loc[("d", 1), "n_attended"] == 0
    assert out.loc[("a", 2), "given_per_attended"] == 0.5      # 1 act, 2 meetings
    assert np.isnan(out.loc[("b", 2), "given_per_attended"])


def test_rates_per_week_and_ids_as_text() -> None:
    log = pd.DataFrame({"giver": [1, 1, 2], "receiver": [2, 3, 1]})
    weeks = pd.DataFrame({"participant": ["1", "2", "3"], "weeks": [4.0, 0.0, 2.0]})
    out = hs.roles_from_interactions(log, giver="giver", receiver="receiver", weeks=weeks)
    assert out["given_per_week"].tolist()[0] == 0.5
    assert np.isnan(out["given_per_week"].tolist()[1])       # 0 weeks: missing
    assert out["received_per_week"].tolist()[2] == 0.5
    with pytest.raises(RoleError, match="not among the counted"):
        hs.roles_from_interactions(log, giver="giver", receiver="receiver",
                                   weeks=pd.DataFrame({"participant": [9], "weeks": [1]}))
    with pytest.raises(RoleError, match="non-negative"):
        hs.roles_from_interactions(log, giver="giver", receiver="receiver",
                                   weeks=weeks.assign(weeks=[-1, 1, 1]))
    with pytest.raises(RoleError, match="missing"):
        hs.roles_from_interactions(log, giver="giver", receiver="receiver",
                                   attendance=pd.DataFrame({"participant": [1]}))


def test_dose_table_by_arm() -> None:
    d = pd.DataFrame({"arm": ["x", "x", "x", "y", "y"], "rate": [1.0, 2.0, 6.0, np.nan, 4.0]})
    out = hs.dose_table(d, "rate", by="arm").set_index("arm")
    assert out.loc["x", "mean"] == 3.0 and out.loc["x", "median"] == 2.0
    assert out.loc["x", "sd"] == pytest.approx(np.std([1, 2, 6], ddof=1))
    assert out.loc["x", "q25"] == 1.5 and out.loc["x", "q75"] == 4.0
    assert out.loc["y", "n"] == 1 and out.loc["y", "n_missing"] == 1
    overall = hs.dose_table(d, ["rate"])
    assert overall["n"].tolist() == [4]
