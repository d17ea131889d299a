"""The helper-therapy question: does helping more than one usually does go with improvement?

Roberts et al. (1999) separated *who* helps (between persons) from *when* a member helps
more than usual (within a person). This example simulates a study where the two differ,
splits helping given into its between and within parts, fits the within/between mixed
model, a lagged model (helping at the previous scheduled wave), and tabulates how members
move between helping roles from wave to wave. Run:
``python examples/helper_therapy_within_between.py`` (writes nothing; a few seconds).
"""

from __future__ import annotations

import warnings

import helpstats as hs

no_role = {r: 0.0 for r in ("neither", "helpee", "helper", "dual")}
data = hs.simulate_trial(
    n_participants=600, n_groups=12, instruments=[], seed=14,
    effects={"helping_within": -0.12, "helping_between": 0.10, "role": no_role,
             "role_time": no_role},
)  # latent = distress: helping more than usual lowers it; frequent helpers start higher

# 1. Between (person mean) and within (deviation from it) parts of helping given/received.
parts = hs.decompose(data, ["helping_given", "helping_received"], id="participant")
model = ("latent ~ helping_given_within + helping_given_between + helping_received_within"
         " + helping_received_between + wave + (1 | participant) + (1 | group)")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # a near-zero group variance is fine here
    fit = hs.fit_mixed(parts, model)
fixed = fit.fixed.set_index("term")
print(fixed[["estimate", "se", "p"]].round(4).to_string())
within, between = fixed.loc["helping_given_within"], fixed.loc["helping_given_between"]
assert abs(within["estimate"] + 0.12) < 3 * within["se"]
assert abs(between["estimate"] - 0.10) < 3 * between["se"]

# 2. Helping at the previous *scheduled* wave (a missed wave gives a missing lag).
lagged = hs.lag(parts, "helping_given_within", id="participant", wave="wave",
                waves=[0, 1, 3, 8])
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    lag_fit = hs.fit_mixed(lagged, "latent ~ helping_given_within_lag1 + helping_given_between"
                                   " + wave + (1 | participant)")
print(f"lagged model: {lag_fit.nobs} observations with a previous wave "
      f"({lag_fit.n_dropped} without one)")

# 3. Roles per wave and how members move between them.
data["wave_role"] = hs.classify_roles(data, giving="helping_given",
                                      receiving="helping_received", by="wave")
transitions = hs.role_transitions(data, id="participant", wave="wave", role="wave_role")
print(transitions.counts.to_string())
print(transitions.proportions.round(2).to_string())
print(hs.role_agreement(data[data["wave"] == 0], giving="helping_given",
                        receiving="helping_received",
                        methods={"median": "median", "above 3": {"giving": 3, "receiving": 3}})
      .round(3).to_string(index=False))
