"""method="2l.pan": members nested in support groups keep their between-group variance.

Checked against mice's 2l.pan (random cluster intercept, every predictor with its cluster
mean: predictorMatrix type 3) on the same data (tests/missing/data/twolevel/make.R,
m = 200) by Monte Carlo summaries: the mean imputed value at each wave and the
between-cluster variance of each completed wave, averaged over imputations.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ImputationError

FOLDER = Path(__file__).parent / "data" / "twolevel"
MICE = json.loads((FOLDER / "mice_2l_pan.json").read_text())
WAVES = ("y0", "y1", "y2")


def _long() -> tuple[pd.DataFrame, pd.DataFrame]:
    wide = pd.read_csv(FOLDER / "twolevel_wide.csv")
    long = wide.melt(id_vars=["pid", "group", "arm"], value_vars=list(WAVES), var_name="wave",
                     value_name="y")
    long["wave"] = long["wave"].str[1].astype(int)
    return wide, long


def _between(values: np.ndarray, groups: np.ndarray) -> float:
    """One-way ANOVA estimate of the between-cluster variance (as make.R's)."""
    frame = pd.DataFrame({"v": values, "g": groups})
    sizes = frame.groupby("g").size()
    n, k = len(frame), len(sizes)
    n0 = (n - (sizes ** 2).sum() / n) / (k - 1)
    means = frame.groupby("g")["v"].transform("mean")
    msb = ((means - frame["v"].mean()) ** 2).sum() / (k - 1)
    msw = ((frame["v"] - means) ** 2).sum() / (n - k)
    return max((msb - msw) / n0, 0.0)


def _summaries(imp: hs.Imputation, wide: pd.DataFrame) -> np.ndarray:
    rows = []
    for frame in imp.completed:
        row = []
        for w, name in enumerate(WAVES):
            values = frame[frame["wave"] == w].set_index("pid").loc[wide["pid"], "y"].to_numpy()
            row += [values[wide[name].isna().to_numpy()].mean(),
                    _between(values, wide["group"].to_numpy())]
        rows.append(row)
    return np.array(rows)


@pytest.fixture(scope="module")
def imputations() -> dict[str, tuple[np.ndarray, pd.DataFrame]]:
    wide, long = _long()
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method, extra in (("2l.pan", {"cluster": "group"}), ("norm", {})):
            imp = hs.impute(long, m=30, id="pid", wave="wave", columns=["y"], auxiliary=["arm"],
                            seed=3, iterations=20, method=method, **extra)
            out[method] = (_summaries(imp, wide), imp.completed[0])
    return out


def test_matches_mice_2l_pan(imputations: dict) -> None:
    ours = imputations["2l.pan"][0]
    mice_mean, mice_sd = np.array(MICE["mean"]), np.array(MICE["sd"])
    # Monte Carlo SE of the difference of the two averages (30 and 200 imputations)
    se = np.sqrt(ours.std(axis=0, ddof=1) ** 2 / len(ours) + mice_sd ** 2 / MICE["m"])
    z = (ours.mean(axis=0) - mice_mean) / se
    assert np.all(np.abs(z) < 4), dict(zip(
        [f"{w} {what}" for w in WAVES for what in ("mean", "between")], np.round(z, 2), strict=True))


def test_single_level_imputation_loses_between_group_variance(imputations: dict) -> None:
    two_level = imputations["2l.pan"][0].mean(axis=0)[1::2]
    single = imputations["norm"][0].mean(axis=0)[1::2]
    assert np.all(single < two_level - 0.2), (single, two_level)


def test_observed_values_kept_and_groups_carried(imputations: dict) -> None:
    _, long = _long()
    completed = imputations["2l.pan"][1]
    assert len(completed) == len(long) and completed["y"].notna().all()
    observed = long["y"].notna()
    pd.testing.assert_series_equal(completed.loc[observed, "y"], long.loc[observed, "y"])
    assert (completed["group"] == long["group"]).all()


@pytest.mark.parametrize("change, match", [
    (lambda d: d.assign(group=d["group"].where(d.index != 3)), "have no 'group'"),
    (lambda d: d.assign(group=np.where(d.index == 200, "G99", d["group"])), "more than one"),
])
def test_cluster_must_be_known_and_constant(change, match) -> None:
    _, long = _long()
    with pytest.raises(ImputationError, match=match):
        hs.impute(change(long), m=2, id="pid", wave="wave", columns=["y"], method="2l.pan",
                  cluster="group", seed=1, iterations=2)
