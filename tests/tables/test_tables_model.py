"""model_table and outcome_table against R (lme4/lmerTest/emmeans) through a stand-in fit."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tables_standin import BTHEB, StandInFit

import helpstats as hs
from helpstats.errors import TableError
from helpstats.tables._common import t_interval

TOL = 1e-10


def test_t_interval_reproduces_emmeans_limits(btheb_expected: dict[str, Any]) -> None:
    for r in btheb_expected["emmeans"][0]["table"]:
        lower, upper = t_interval(r["emmean"], r["SE"], r["df"])
        assert float(lower) == pytest.approx(r["lower.CL"], abs=1e-9)
        assert float(upper) == pytest.approx(r["upper.CL"], abs=1e-9)


def test_model_table_matches_r(btheb_fit: StandInFit, btheb_expected: dict[str, Any]) -> None:
    t = hs.model_table(btheb_fit)
    fixed = t[t["section"] == "fixed"].set_index("term")
    for r in btheb_expected["fixed"]:
        got = fixed.loc[r["term"]]
        for col in ["estimate", "se", "df", "t", "p"]:
            assert got[col] == pytest.approx(r[col], rel=TOL)
        half = stats.t.ppf(0.975, r["df"]) * r["se"]
        assert got["lower"] == pytest.approx(r["estimate"] - half, rel=TOL)
        assert got["upper"] == pytest.approx(r["estimate"] + half, rel=TOL)
    random = t[t["section"] == "random"]
    assert random["group"].tolist() == ["subject", "Residual"]
    assert random["term"].tolist() == ["(Intercept)", "Residual"]
    assert random["estimate"].tolist() == pytest.approx([53.1115143907946, 25.2896529239207])
    assert random["sdcor"].tolist() == pytest.approx([7.28776470468103, 5.02888187611527])
    fit_rows = t[t["section"] == "fit"].set_index("term")["estimate"]
    assert fit_rows.to_dict() == {"observations": 280.0, "groups: subject": 97.0,
                                  "log-likelihood": pytest.approx(-928.461554553327)}
    assert t.attrs["method"] == "REML"
    assert t.attrs["formula"] == "bdi ~ bdi_pre + treatment * wave + (1 | subject)"
    assert "n = 280 observations in 97 subject" in t.attrs["notes"]


def test_model_table_covariance_rows() -> None:
    vc = pd.DataFrame({"grp": ["id", "id", "id", "Residual"],
                       "var1": ["(Intercept)", "days", "(Intercept)", None],
                       "var2": [None, None, "days", None],
                       "vcov": [612.1, 35.07, 9.6, 654.9], "sdcor": [24.74, 5.92, 0.066, 25.59]})
    fixed = pd.DataFrame({"term": ["(Intercept)"], "estimate": [251.4], "se": [6.82],
                          "df": [17.0], "t": [36.8], "p": [1e-17]})
    fit = StandInFit(fixed=fixed, varcorr=vc, nobs=180, ngroups={"id": 18}, formula="y ~ 1",
                     reml=False, loglik=-875.97, sigma=25.59, emmeans_table=fixed,
                     group_pairs=fixed, time_pairs=fixed)
    t = hs.model_table(fit)
    assert t.loc[t["section"] == "random", "term"].tolist() == [
        "(Intercept)", "days", "(Intercept), days", "Residual"]
    assert t.attrs["method"] == "ML"


def observed(group: str, wave: str) -> list[float]:
    with open(BTHEB / "data.csv", newline="") as f:
        return [float(r["bdi"]) for r in csv.DictReader(f)
                if r["treatment"] == group and r["wave"] == wave and r["bdi"] not in ("", "NA")]


def test_outcome_table_matches_r(btheb_fit: StandInFit, btheb_data: pd.DataFrame,
                                 btheb_expected: dict[str, Any]) -> None:
    t = hs.outcome_table(btheb_fit, by="treatment", wave="wave", data=btheb_data)
    assert t[["treatment", "wave"]].astype(str).apply(tuple, axis=1).tolist() == [
        (g, w) for g in ["TAU", "BtheB"] for w in ["2", "3", "5", "8"]]
    rows = {(r["treatment"], str(r["wave"])): r for _, r in t.iterrows()}
    spec = btheb_expected["emmeans"][0]
    for r in spec["table"]:
        got = rows[(r["treatment"], r["wave"])]
        assert got["emmean"] == pytest.approx(r["emmean"], rel=TOL)
        assert got["lower"] == pytest.approx(r["lower.CL"], rel=TOL)
        assert got["upper"] == pytest.approx(r["upper.CL"], rel=TOL)
        y = observed(r["treatment"], r["wave"])
        assert got["n"] == len(y)
        assert got["mean"] == pytest.approx(statistics.mean(y), rel=TOL)
        assert got["sd"] == pytest.approx(statistics.stdev(y), rel=TOL)
    # change from wave 2 in TAU (reference arm) is the wave coefficient
    fixed = {r["term"]: r for r in btheb_expected["fixed"]}
    for w in ["3", "5", "8"]:
        got, coef = rows[("TAU", w)], fixed[f"wave{w}"]
        assert got["change"] == pytest.approx(coef["estimate"], rel=TOL)
        assert got["change_se"] == pytest.approx(coef["se"], rel=TOL)
        assert got["change_p"] == pytest.approx(coef["p"], rel=TOL)
        half = stats.t.ppf(0.975, coef["df"]) * coef["se"]
        assert got["change_lower"] == pytest.approx(coef["estimate"] - half, rel=TOL)
        # BtheB: wave + interaction coefficient
        both = coef["estimate"] + fixed[f"treatmentBtheB:wave{w}"]["estimate"]
        assert rows[("BtheB", w)]["change"] == pytest.approx(both, rel=1e-9)
    assert np.isnan(rows[("TAU", "2")]["change"])
    # between-arm differences: R's "TAU - BtheB", reported as BtheB - TAU
    sds = [statistics.stdev(observed(g, "2")) for g in ["TAU", "BtheB"]]
    ns = [len(observed(g, "2")) for g in ["TAU", "BtheB"]]
    pooled = ((sum((n - 1) * s**2 for n, s in zip(ns, sds, strict=True))) / (sum(ns) - 2)) ** 0.5
    assert t.attrs["standardiser_sd"] == pytest.approx(pooled, rel=TOL)
    for r in spec["pairs"]:
        got = rows[("BtheB", r["wave"])]
        assert got["comparison"] == "BtheB - TAU"
        assert got["diff"] == pytest.approx(-r["estimate"], rel=TOL)
        assert got["diff_p"] == pytest.approx(r["p.value"], rel=TOL)
        half = stats.t.ppf(0.975, r["df"]) * r["SE"]
        assert got["diff_lower"] == pytest.approx(-r["estimate"] - half, rel=TOL)
        assert got["d"] == pytest.approx(-r["estimate"] / pooled, rel=TOL)
        assert got["d_upper"] == pytest.approx((-r["estimate"] + half) / pooled, rel=TOL)
        assert np.isnan(rows[("TAU", r["wave"])]["diff"])
    assert set(t["adjust"]) == {"holm"}  # the default; two arms: one test per wave, p as R's
    assert set(t["standardiser"]) == {"pooled baseline SD"}
    # wave 2 is the first wave: the baseline unless told otherwise
    assert t.attrs["baseline"] == "2" and t.attrs["reference"] == "TAU"


def test_outcome_table_other_standardisers(btheb_fit: StandInFit) -> None:
    t = hs.outcome_table(btheb_fit, by="treatment", wave="wave", standardiser="sigma")
    diff = t["diff"].dropna().to_numpy()
    assert t["d"].dropna().to_numpy() == pytest.approx(diff / 5.02888187611527)
    assert t["n"].isna().all()
    t10 = hs.outcome_table(btheb_fit, by="treatment", wave="wave", standardiser=10.0)
    assert t10["d"].dropna().to_numpy() == pytest.approx(diff / 10)
    with pytest.raises(TableError, match="needs the observed outcome"):
        hs.outcome_table(btheb_fit, by="treatment", wave="wave")
    with pytest.raises(TableError, match="not known"):
        hs.outcome_table(btheb_fit, by="treatment", wave="wave", standardiser="glass")
    with pytest.raises(TableError, match="baseline 9"):
        hs.outcome_table(btheb_fit, by="treatment", wave="wave", standardiser=1.0,
                         baseline=9)


@dataclass(frozen=True)
class ThreeArms:
    """Hand-made fit: arms c (reference), t1, t2 at times 0 and 1; contrasts in both orders."""

    formula: str = "y ~ arm * time + (1 | id)"
    nobs: int = 60
    reml: bool = True
    sigma: float = 2.0
    spec: Any = field(default_factory=lambda: SimpleNamespace(response="y"))

    def emmeans(self, specs: Any, by: Any = None, at: Any = None) -> pd.DataFrame:
        means = {("c", 0): 10.0, ("t1", 0): 10.5, ("t2", 0): 9.5,
                 ("c", 1): 9.0, ("t1", 1): 7.0, ("t2", 1): 8.0}
        return pd.DataFrame([{"arm": a, "time": t, "emmean": m, "se": 1.0, "df": 20.0,
                              "lower": m - 2.0859634, "upper": m + 2.0859634}
                             for (a, t), m in means.items()])

    def contrasts(self, specs: Any, by: Any = None, at: Any = None, method: str = "pairwise",
                  adjust: str = "none") -> pd.DataFrame:
        if specs == "time":
            return pd.DataFrame({"contrast": ["time0 - time1", "time1 - time0", "time0 - time1"],
                                 "arm": ["c", "t1", "t2"], "estimate": [1.0, -3.5, 1.5],
                                 "se": 0.5, "df": 40.0, "t": 0.0, "p": [0.1, 0.2, 0.3]})
        p_scale = 3.0 if adjust == "bonferroni" else 1.0
        return pd.DataFrame({"contrast": ["c - t1", "t2 - c", "t1 - t2"] * 2,
                             "time": [0, 0, 0, 1, 1, 1],
                             "estimate": [-0.5, -0.5, 1.0, 2.0, -1.0, -1.0], "se": 1.2,
                             "df": 30.0, "t": 0.0,
                             "p": [min(1.0, p * p_scale) for p in [.1, .2, .3, .01, .02, .03]]})


def test_outcome_table_signs_with_three_arms() -> None:
    data = pd.DataFrame({"arm": ["c", "c", "t1", "t1", "t2", "t2"], "time": [0] * 6,
                         "y": [8.0, 12.0, 9.0, 13.0, 7.0, 9.0]})
    t = hs.outcome_table(ThreeArms(), by="arm", wave="time", data=data,
                         adjust="bonferroni")
    r = t.set_index(["arm", "time"])
    assert r.loc[("t1", 1), "change"] == -3.5
    assert r.loc[("c", 1), "change"] == -1.0
    assert r.loc[("t1", 0), "diff"] == 0.5 and r.loc[("t1", 0), "comparison"] == "t1 - c"
    assert r.loc[("t2", 0), "diff"] == -0.5
    assert r.loc[("t1", 1), "diff"] == -2.0 and r.loc[("t2", 1), "diff"] == -1.0
    # the family is the two comparisons with c shown at a time (unadjusted p .01 and .02;
    # the t1 - t2 pair is not in the table, so not in the family): Bonferroni x 2
    assert r.loc[("t1", 1), "diff_p"] == pytest.approx(0.02)
    assert r.loc[("t2", 1), "diff_p"] == pytest.approx(0.04)
    assert r.loc[("t1", 0), "diff_p"] == pytest.approx(0.2)
    assert set(t["adjust"]) == {"bonferroni"}
    assert "Bonferroni-adjusted within each time (family: the 2 comparison(s) with arm c)" in \
        t.attrs["notes"]
    # Holm by hand: sorted p .01, .02 -> .01 x 2 = .02, then max(.02, .02 x 1) = .02
    holm = hs.outcome_table(ThreeArms(), by="arm", wave="time", data=data).set_index(
        ["arm", "time"])
    assert holm.loc[("t1", 1), "diff_p"] == pytest.approx(0.02)
    assert holm.loc[("t2", 1), "diff_p"] == pytest.approx(0.02)
    # time 0: p .1 (t1) and .2 (t2): .1 x 2 = .2, max(.2, .2) = .2
    assert holm.loc[("t1", 0), "diff_p"] == pytest.approx(0.2)
    assert holm.loc[("t2", 0), "diff_p"] == pytest.approx(0.2)
    assert set(holm["adjust"]) == {"holm"}
    none = hs.outcome_table(ThreeArms(), by="arm", wave="time", data=data, adjust="none")
    assert none.set_index(["arm", "time"]).loc[("t2", 1), "diff_p"] == pytest.approx(0.02)
    assert "p unadjusted" in none.attrs["notes"]
    # baseline SDs: c sqrt(8), t1 sqrt(8), t2 sqrt(2) -> pooled sqrt(18 / 3)
    assert t.attrs["standardiser_sd"] == pytest.approx(6**0.5)
    assert r.loc[("t2", 1), "d"] == pytest.approx(-1.0 / 6**0.5)
    assert r.loc[("c", 1), "n"] == 0 and np.isnan(r.loc[("c", 1), "mean"])


def test_model_table_notes_report_fit_problems(btheb_fit: StandInFit) -> None:
    class Troubled:
        def __getattr__(self, name: str) -> Any:
            extra = {"n_dropped": 3, "converged": False, "singular": True}
            return extra[name] if name in extra else getattr(btheb_fit, name)

    notes = hs.model_table(Troubled()).attrs["notes"]  # type: ignore[arg-type]
    assert "3 row(s) with missing values" in notes
    assert "did not converge" in notes and "Singular fit" in notes
    assert "did not converge" not in hs.model_table(btheb_fit).attrs["notes"]


def test_boolean_group_levels_match_r_labels() -> None:
    from helpstats.tables._common import key

    assert [key(True), key(np.False_), key(3.0), key("TAU")] == ["TRUE", "FALSE", "3", "TAU"]
