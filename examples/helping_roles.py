"""Classify members as helpers, helpees, dual-role or neither (Maton 1988).

Two sources of helping data: self-reported counts per wave, and an observer's log of who
helped whom in each meeting (as in the GROW studies). Run:
``python examples/helping_roles.py`` (writes nothing).
"""

from __future__ import annotations

import pandas as pd

import helpstats as hs

# 1. Counts reported at each wave: roles per wave (time-varying), median split within wave.
counts = pd.DataFrame({
    "participant": ["P1", "P2", "P3", "P4", "P5", "P1", "P2", "P3", "P4", "P5"],
    "wave": [0, 0, 0, 0, 0, 3, 3, 3, 3, 3],
    "helped_others": [0, 4, 2, 6, None, 1, 5, 2, 6, 3],
    "was_helped": [5, 1, 2, 6, 2, 4, 0, 2, 5, 1],
})
roles = hs.classify_roles(counts, giving="helped_others", receiving="was_helped", by="wave")
print(counts.assign(role=roles).to_string(index=False))
print(hs.role_cutoffs(roles).to_string(index=False))
print(hs.describe_role_rule(roles))
# P5's missing baseline count gives a missing role (and a RoleMissingWarning), never a guess.
assert pd.isna(roles.iloc[4])

# 2. An observation log: one row per helping act.
log = pd.DataFrame({
    "meeting": ["m1", "m1", "m1", "m2", "m2", "m3"],
    "giver": ["P1", "P2", "P2", "P3", "P2", "P4"],
    "receiver": ["P2", "P1", "P3", "P1", "P4", "P2"],
})
acts = hs.roles_from_interactions(log, giver="giver", receiver="receiver",
                                  members=["P1", "P2", "P3", "P4", "P5"],
                                  meeting="meeting")
acts["role"] = hs.classify_roles(acts, giving="given_per_meeting",
                                 receiving="received_per_meeting")
print(acts.to_string(index=False))
assert acts.loc[acts["participant"] == "P5", ["n_given", "n_received"]].sum().sum() == 0
