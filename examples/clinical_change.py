"""Service outcomes of a peer-support trial: NHS Talking Therapies recovery by role and arm.

Scores PHQ-9 and GAD-7 at baseline and follow-up from simulated item responses, applies the
NHS Talking Therapies rules (caseness, reliable improvement, recovery; the rules are the data
file ``instruments/rules/nhs_talking_therapies.toml``) and tabulates them by helping role x arm.

Run: ``python examples/clinical_change.py`` (writes nothing).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

import helpstats as hs

rng = np.random.default_rng(2026)
n = 80
people = pd.DataFrame({
    "participant": [f"P{i:03d}" for i in range(n)],
    "arm": rng.choice(["peer support", "usual care"], n),
    "role": rng.choice(["helper", "helpee", "dual", "neither"], n),
})


def answers(prefix: str, k: int, level: np.ndarray) -> pd.DataFrame:
    """Item codes 0-3 around a per-person level (higher = more symptoms)."""
    noise = rng.normal(0, 0.6, (len(level), k))
    codes = np.clip(np.round(level[:, None] + noise), 0, 3).astype(int)
    return pd.DataFrame(codes, columns=[f"{prefix}_{j}" for j in range(1, k + 1)])


severity = rng.uniform(0.4, 2.4, n)
gain = np.where(people["arm"] == "peer support", 0.8, 0.4) * rng.uniform(0, 1.5, n)
waves = {}
for wave, level in (("baseline", severity), ("follow-up", np.clip(severity - gain, 0, 3))):
    items = pd.concat([answers("phq9", 9, level), answers("gad7", 7, level * 0.9)], axis=1)
    waves[wave] = hs.score(items, ["phq9", "gad7"])

before = pd.concat([people, waves["baseline"][["phq9_total", "gad7_total"]]], axis=1)
after = waves["follow-up"][["phq9_total", "gad7_total"]]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", hs.errors.ProvisionalKeyWarning)  # the manual was not read
    change = hs.clinical_change(before, after, rule="nhs-talking-therapies", keep=["role", "arm"])

print(change[["role", "arm", "caseness_before", "recovery", "outcome"]].head(8).to_string())
table = hs.clinical_change_table(change, by=["arm", "role"])
print(table[["arm", "role", "n", "recovery_n", "recovery_of", "recovery_pct",
             "reliable_improvement_n", "reliable_improvement_of"]].to_string(index=False))

# People not at caseness at baseline are outside the recovery denominator, not "not recovered".
not_cases = change["caseness_before"] == False  # noqa: E712 (nullable boolean)
assert change.loc[not_cases, "recovery"].isna().all()
assert table["recovery_of"].sum() == int(change["caseness_before"].sum())
