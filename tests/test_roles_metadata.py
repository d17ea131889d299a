"""The role rule travels with the role column through ordinary pandas use (issue 15)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import RoleError
from helpstats.roles import ROLE_DTYPE


@pytest.fixture()
def members() -> pd.DataFrame:
    return pd.DataFrame({"participant": [1, 2, 3, 4, 5],
                         "given": [1, 2, 2, 3, 4], "received": [3, 0, 1, 1, 2]})


def _cutoffs(roles: object) -> list[list[float]]:
    table = hs.role_cutoffs(roles)
    return table[["giving_cutoff", "receiving_cutoff"]].values.tolist()


def test_rule_survives_assignment_as_in_the_readme(members: pd.DataFrame) -> None:
    study = members.copy()
    study["role"] = hs.classify_roles(study, giving="given", receiving="received")
    # medians of given (1, 2, 2, 3, 4) and received (3, 0, 1, 1, 2): 2 and 1
    assert _cutoffs(study["role"]) == [[2.0, 1.0]]
    text = hs.describe_role_rule(study["role"])
    assert "medians of given and received over the 5 members classified: given 2, received 1" in text
    assert hs.describe_role_rule(study) == text  # a frame with one role column


def test_rule_survives_concat_merge_join_and_pickle(members: pd.DataFrame) -> None:
    roles = hs.classify_roles(members, giving="given", receiving="received")
    frame = members.assign(role=roles)
    stacked = pd.concat([frame, frame], ignore_index=True)
    assert _cutoffs(stacked["role"]) == [[2.0, 1.0]]
    assert stacked["role"].tolist() == roles.tolist() * 2
    merged = members[["participant"]].merge(frame[["participant", "role"]], on="participant",
                                            how="left")
    assert _cutoffs(merged["role"]) == [[2.0, 1.0]]
    joined = members.join(roles)
    assert _cutoffs(joined["role"]) == [[2.0, 1.0]]
    subset = frame[frame["given"] > 1].sort_values("role")
    assert _cutoffs(subset["role"]) == [[2.0, 1.0]]
    assert _cutoffs(pickle.loads(pickle.dumps(frame))["role"]) == [[2.0, 1.0]]


def test_roles_stay_an_ordinary_ordered_categorical(members: pd.DataFrame) -> None:
    roles = hs.classify_roles(members, giving="given", receiving="received")
    assert roles.dtype == ROLE_DTYPE
    assert (roles > "helpee").tolist() == [False, False, False, True, True]
    counts = members.assign(role=roles).groupby("role", observed=False).size()
    assert counts.to_dict() == {"neither": 2, "helpee": 1, "helper": 1, "dual": 1}


def test_concat_of_different_rules_keeps_roles_but_not_a_rule(members: pd.DataFrame) -> None:
    by_median = hs.classify_roles(members, giving="given", receiving="received")
    fixed = hs.classify_roles(members, giving="given", receiving="received",
                              method={"giving": 0, "receiving": 0})
    both = pd.concat([by_median, fixed], ignore_index=True)
    assert both.dtype == ROLE_DTYPE  # still the ordered roles
    assert both.tolist() == by_median.tolist() + fixed.tolist()
    with pytest.raises(RoleError, match="different rules"):
        hs.describe_role_rule(both)
    plain = pd.Series(pd.Categorical(["dual"], dtype=ROLE_DTYPE))
    with pytest.raises(RoleError, match="no role rule"):
        hs.role_cutoffs(pd.concat([by_median, plain]))


def test_return_rule_and_the_dtype_rule_agree(members: pd.DataFrame) -> None:
    roles, rule = hs.classify_roles(members, giving="given", receiving="received",
                                    return_rule=True)
    assert hs.describe_role_rule(rule) == hs.describe_role_rule(roles)
    rule["cutoffs"][0]["giving"] = 99.0  # the caller's copy; the column's rule is untouched
    assert _cutoffs(roles) == [[2.0, 1.0]]


def test_per_wave_rule_survives_concat_of_waves() -> None:
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"wave": np.repeat([0, 1], 6), "g": rng.integers(0, 5, 12),
                      "r": rng.integers(0, 5, 12)})
    d["role"] = hs.classify_roles(d, giving="g", receiving="r", by="wave")
    halves = pd.concat([d[d["wave"] == 1], d[d["wave"] == 0]])
    table = hs.role_cutoffs(halves["role"])
    expected = d.groupby("wave")[["g", "r"]].median().to_numpy().tolist()
    assert table[["giving_cutoff", "receiving_cutoff"]].values.tolist() == expected
