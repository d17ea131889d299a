"""A frozen stand-in for a fitted mixed model, holding R's numbers for BtheB.

``tests/data/tables_btheb_wave`` (see its SOURCE.md) has lme4/lmerTest/emmeans
results for ``bdi ~ bdi_pre + treatment * wave + (1 | subject)``. The stand-in
exposes them through the interface of ``hs.fit_mixed``'s result, so the table
functions are checked against R without fitting a model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from helpstats.models._formula import parse_formula

BTHEB = Path(__file__).parent.parent / "data" / "tables_btheb_wave"
EMMEANS_NAMES = {"SE": "se", "lower.CL": "lower", "upper.CL": "upper"}
CONTRAST_NAMES = {"SE": "se", "t.ratio": "t", "p.value": "p"}


@dataclass(frozen=True)
class StandInFit:
    """What ``hs.fit_mixed`` returns, reduced to stored numbers."""

    fixed: pd.DataFrame
    varcorr: pd.DataFrame
    nobs: int
    ngroups: dict[str, int]
    formula: str
    reml: bool
    loglik: float
    sigma: float
    emmeans_table: pd.DataFrame
    group_pairs: pd.DataFrame
    time_pairs: pd.DataFrame

    @property
    def spec(self) -> SimpleNamespace:
        """The model spec's response and factors, as ``fit.spec.response`` and
        ``fit.spec.factors`` (the levels R's model used)."""
        factors = (SimpleNamespace(name="treatment", levels=("TAU", "BtheB")),
                   SimpleNamespace(name="wave", levels=("2", "3", "5", "8")))
        return SimpleNamespace(response=parse_formula(self.formula).response,
                               factors=factors if "treatment" in self.formula else ())

    def emmeans(self, specs: Any, by: Any = None, at: Any = None) -> pd.DataFrame:
        if (specs, by, at) != ("treatment", "wave", None):
            raise LookupError(f"stand-in has emmeans(~ treatment | wave) only: {specs}")
        return self.emmeans_table.copy()

    def contrasts(self, specs: Any, by: Any = None, at: Any = None, method: str = "pairwise",
                  adjust: str = "none") -> pd.DataFrame:
        if method != "pairwise" or at is not None:
            raise LookupError("stand-in has pairwise contrasts only")
        if (specs, by) == ("treatment", "wave"):
            # two groups: one comparison per wave, so every adjustment leaves p unchanged
            return self.group_pairs.copy()
        if (specs, by) == ("wave", "treatment"):
            return self.time_pairs.copy()
        raise LookupError(f"stand-in has no contrasts({specs!r}, by={by!r})")


def _time_pairs(fixed: pd.DataFrame, em: pd.DataFrame) -> pd.DataFrame:
    """Pairwise wave contrasts against wave 2, as emmeans labels them: the levels look
    numeric, so they carry the factor's name ("wave2 - wave3").

    For TAU (the reference arm) "wave2 - wave<t>" is minus the ``wave<t>`` coefficient,
    so R's estimate, SE, df and p of that coefficient apply. For BtheB the estimate is the
    difference of R's marginal means; its SE and df are not in the R output (NaN).
    """
    coef = fixed.set_index("term")
    rows = []
    for w in ["3", "5", "8"]:
        c = coef.loc[f"wave{w}"]
        rows.append({"contrast": f"wave2 - wave{w}", "treatment": "TAU",
                     "estimate": -c["estimate"], "se": c["se"], "df": c["df"], "t": -c["t"],
                     "p": c["p"]})
        mean = em.set_index(["treatment", "wave"])["emmean"]
        rows.append({"contrast": f"wave2 - wave{w}", "treatment": "BtheB",
                     "estimate": mean[("BtheB", "2")] - mean[("BtheB", w)],
                     "se": np.nan, "df": np.nan, "t": np.nan, "p": np.nan})
    return pd.DataFrame(rows)


def load_btheb_expected() -> dict[str, Any]:
    return dict(json.loads((BTHEB / "expected.json").read_text()))


def load_btheb_data() -> pd.DataFrame:
    return pd.read_csv(BTHEB / "data.csv")


def btheb_fit_from(ref: dict[str, Any]) -> StandInFit:
    """The stand-in fit holding R's numbers from ``expected.json``."""
    fixed = pd.DataFrame(ref["fixed"])
    varcorr = pd.DataFrame(ref["varcorr"]).rename(columns={"grp": "group"})
    (spec,) = ref["emmeans"]
    em = pd.DataFrame(spec["table"]).rename(columns=EMMEANS_NAMES)
    pairs = pd.DataFrame(spec["pairs"]).rename(columns=CONTRAST_NAMES)
    return StandInFit(
        fixed=fixed, varcorr=varcorr, nobs=ref["n_obs"], ngroups=ref["n_groups"],
        formula=ref["formula"], reml=ref["reml"], loglik=ref["loglik"], sigma=ref["sigma"],
        emmeans_table=em, group_pairs=pairs, time_pairs=_time_pairs(fixed, em),
    )
