"""Does a self-help agency reduce self-stigma *through* empowerment? (Segal et al. 2013)

1. The baseline-adjusted change-score design: arm -> change in empowerment (baseline to
   the last wave) -> change in self-stigma, both baselines as covariates, with a cluster
   bootstrap over support groups (members of one group are not independent).
2. Repeated measures: the multilevel 1-1-1 model of Bauer, Preacher & Gil (2006), where
   helping given at a wave acts on empowerment at that wave, and empowerment on stigma.
Run: ``python examples/mediation_empowerment_stigma.py`` (writes nothing; ~10 s).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import helpstats as hs

rng = np.random.default_rng(2013)

# 1. A trial: empowerment rises more in the agency arm, and self-stigma falls with it.
long = hs.simulate_trial(n_participants=240, n_groups=12, instruments=[], seed=5)
agency = (long["arm"] == "intervention").to_numpy()
person = pd.factorize(long["participant"])[0]
long["empowerment"] = 3 + 0.04 * long["wave"] * agency + rng.normal(0, 0.3, 240)[person] \
    + rng.normal(0, 0.2, len(long))
long["stigma"] = 2.5 - 0.5 * long["empowerment"] + rng.normal(0, 0.3, 240)[person] \
    + rng.normal(0, 0.2, len(long))
wide = hs.change_scores(long, ["empowerment", "stigma"], id="participant", wave="wave",
                        keep=["arm", "group"])
wide["arm"] = pd.Categorical(wide["arm"], categories=["control", "intervention"])
res = hs.mediate(wide, "arm", "empowerment_change", "stigma_change",
                 ["empowerment_baseline", "stigma_baseline"], cluster="group",
                 n_boot=2000, seed=1, progress=False)
print(res.table.round(3).to_string())
print(f"Sobel z = {res.sobel['z']:.2f}, p = {res.sobel['p']:.3g}")
print(res.methods)
assert res.table.loc["indirect", "perc_upper"] < 0  # stigma falls through empowerment

# 2. Within persons: helping given -> empowerment -> stigma, random a and b slopes.
n, waves = 60, 4
pid = np.repeat(np.arange(n), waves)
a_j = rng.normal(0.4, 0.15, n)
b_j = -0.5 + 0.5 * (a_j - 0.4) + rng.normal(0, 0.1, n)  # cov(a_j, b_j) > 0
helping = rng.normal(0, 1, n * waves)
emp = rng.normal(0, 0.5, n)[pid] + a_j[pid] * helping + rng.normal(0, 0.5, n * waves)
stig = rng.normal(0, 0.5, n)[pid] + b_j[pid] * emp + rng.normal(0, 0.7, n * waves)
repeated = pd.DataFrame({"member": pid, "helping": helping, "empowerment": emp,
                         "stigma": stig})
ml = hs.mediate(repeated, "helping", "empowerment", "stigma", id="member", n_boot=2000,
                seed=2, progress=False)
print(ml.table[["estimate", "se", "perc_lower", "perc_upper"]].round(3).to_string())
print(f"cov(a_j, b_j) = {ml.details['cov_ab']:.3f} (SE {ml.details['cov_ab_se']:.3f}); "
      f"residual variances: mediator {ml.details['sigma2_mediator']:.3f}, "
      f"outcome {ml.details['sigma2_outcome']:.3f}")
print(ml.methods)
