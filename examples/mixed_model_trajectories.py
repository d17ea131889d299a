"""Fit PHQ-9 trajectories of the bundled example trial with an lme4-style mixed model.

Participants are nested in peer-support groups and measured at waves 0, 1, 3 and 8 months.
Shows the fixed effects with Satterthwaite df, the variance components, marginal means by
wave, arm contrasts at each wave, Type III tests and a likelihood-ratio test.

Run: ``python examples/mixed_model_trajectories.py``
"""

from __future__ import annotations

import pandas as pd

import helpstats as hs

data = hs.datasets.load_example()
scores = hs.score(data, "phq9", on_invalid="missing")
frame = pd.concat([data[["participant", "group", "arm", "wave"]], scores], axis=1)
frame["month"] = pd.Categorical(frame["wave"].astype(int).astype(str), categories=["0", "1", "3", "8"])

fit = hs.fit_mixed(frame, "phq9_total ~ arm * month + (1 | participant) + (1 | group)")
print(fit.summary())
print(f"\nrows dropped for a missing score: {fit.n_dropped}")

print("\nMarginal means by arm and month:")
print(fit.emmeans("arm", by="month").round(3).to_string(index=False))
print("\nArm difference at each month:")
print(fit.contrasts("arm", by="month").round(4).to_string(index=False))
print("\nType III tests (Satterthwaite):")
print(fit.anova().round(4).to_string(index=False))

# Does the arm change the trajectory? Compare with the model without the interaction
# (both refitted by maximum likelihood, as lme4's anova() does).
reduced = hs.fit_mixed(frame, "phq9_total ~ arm + month + (1 | participant) + (1 | group)")
print("\nLikelihood-ratio test:")
print(hs.compare(reduced, fit).round(4).to_string(index=False))

assert fit.converged and fit.nobs + fit.n_dropped == len(frame)
assert list(fit.varcorr["group"]) == ["participant", "group", "Residual"]
