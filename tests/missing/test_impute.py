"""Multiple imputation: determinism, nothing lost or changed, each method, diagnostics."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ImputationError, ImputationWarning


def _trial(n: int = 120, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    person = rng.normal(size=n)
    arm = rng.choice(["usual", "peer"], n)
    rows = []
    for i in range(n):
        for w in range(4):
            y = 10 + 2 * person[i] - (w * 0.8 if arm[i] == "peer" else w * 0.2) + rng.normal()
            rows.append({"pid": f"P{i:03d}", "wave": w, "arm": arm[i], "y": y,
                         "role": rng.choice(["helper", "helpee", "neither"])})
    d = pd.DataFrame(rows)
    d.loc[d.sample(frac=0.15, random_state=seed).index, "y"] = np.nan
    d.loc[d.sample(frac=0.10, random_state=seed + 1).index, "role"] = None
    # a few participants miss a whole wave (no row)
    return d.drop(index=d[(d["wave"] == 3) & (d.index % 7 == 0)].index)


def test_deterministic_with_seed_and_input_unchanged() -> None:
    d = _trial()
    before = d.copy()
    a = hs.impute(d, m=2, id="pid", wave="wave", columns=["y"], auxiliary=["arm"], seed=5, iterations=4)
    b = hs.impute(d, m=2, id="pid", wave="wave", columns=["y"], auxiliary=["arm"], seed=5, iterations=4)
    c = hs.impute(d, m=2, id="pid", wave="wave", columns=["y"], auxiliary=["arm"], seed=6, iterations=4)
    pd.testing.assert_frame_equal(d, before)
    for x, y in zip(a.completed, b.completed, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert not np.allclose(a.completed[0]["y"], c.completed[0]["y"])


def test_every_input_row_kept_and_missed_waves_added() -> None:
    d = _trial()
    imp = hs.impute(d, m=2, id="pid", wave="wave", columns=["y", "role"], auxiliary=["arm"],
                    seed=1, iterations=3)
    frame = imp.completed[0]
    n_people = d["pid"].nunique()
    assert len(frame) == n_people * 4
    original = frame[~frame["row_added"]]
    assert list(original.index) == list(d.index)
    pd.testing.assert_series_equal(original["pid"], d["pid"])
    observed = d["y"].notna()
    np.testing.assert_array_equal(original.loc[observed, "y"], d.loc[observed, "y"])
    assert frame["y"].notna().all() and frame["role"].notna().all()
    added = frame[frame["row_added"]]
    assert (added["wave"] == 3).all()
    # the added rows carry the participant's constant arm
    arm_of = d.groupby("pid")["arm"].first()
    assert (added["arm"].to_numpy() == arm_of.loc[added["pid"]].to_numpy()).all()
    # pmm imputes only values that were observed; roles only known levels
    assert set(frame["y"]) <= set(d["y"].dropna())
    assert set(frame["role"]) <= {"helper", "helpee", "neither"}


def test_norm_method_and_methods_record() -> None:
    d = _trial()
    imp = hs.impute(d, m=2, id="pid", wave="wave", columns=["y", "role"], auxiliary=["arm"],
                    method="norm", seed=2, iterations=3)
    assert imp.methods["y @ 1"] == "norm"
    assert imp.methods["role @ 0"] == "polyreg"
    assert not set(imp.completed[0]["y"]) <= set(d["y"].dropna())  # draws, not donors
    assert imp.predictors.loc["y @ 1", "y @ 0"] == 1 and imp.predictors.loc["y @ 1", "arm"] == 1
    assert imp.predictors.loc["y @ 1", "y @ 1"] == 0  # a column never predicts itself


def test_pmm_recovers_a_wave_mean_under_mar() -> None:
    rng = np.random.default_rng(11)
    n = 600
    base = rng.normal(size=n)
    follow = 0.8 * base + rng.normal(scale=0.6, size=n)
    d = pd.DataFrame({"id": np.repeat(np.arange(n), 2), "wave": np.tile([0, 1], n),
                      "y": np.column_stack([base, follow]).ravel()})
    # MAR: the chance of a missing follow-up rises with the baseline value
    p_missing = 1 / (1 + np.exp(-2.5 * np.repeat(base, 2)))
    drop = (d["wave"] == 1) & (rng.random(2 * n) < p_missing)
    d.loc[drop, "y"] = np.nan
    imp = hs.impute(d, m=5, id="id", wave="wave", columns=["y"], seed=4, iterations=5)
    means = [f.loc[f["wave"] == 1, "y"].mean() for f in imp.completed]
    complete_case = d.loc[d["wave"] == 1, "y"].mean()
    assert abs(np.mean(means) - follow.mean()) < 0.06
    assert abs(complete_case - follow.mean()) > 0.25


def test_chain_diagnostics_and_rhat_warning() -> None:
    d = _trial()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImputationWarning)
        imp = hs.impute(d, m=3, id="pid", wave="wave", columns=["y"], auxiliary=["arm"], seed=1,
                        iterations=20)
    assert imp.chain_mean.shape == (60, len(imp.n_missing))
    assert imp.rhat.notna().all()
    assert imp.n_missing["y @ 3"] == int(d.loc[d["wave"] == 3, "y"].isna().sum()) + \
        (d["pid"].nunique() - int((d["wave"] == 3).sum()))
    short = hs.impute(d, m=3, id="pid", wave="wave", columns=["y"], seed=1, iterations=4)
    assert short.rhat.isna().all()


def test_item_level_imputation_then_scoring() -> None:
    rng = np.random.default_rng(8)
    n = 80
    rows = []
    for i in range(n):
        level = rng.integers(0, 4)
        for w in (0, 1):
            row = {"id": i, "wave": w}
            row.update({f"phq9_{k}": int(np.clip(level + rng.integers(-1, 2), 0, 3)) for k in range(1, 10)})
            rows.append(row)
    d = pd.DataFrame(rows)
    d = d.astype({f"phq9_{k}": "float" for k in range(1, 10)})
    d.loc[d.sample(frac=0.3, random_state=2).index, "phq9_4"] = np.nan
    imp = hs.impute(d, m=2, id="id", wave="wave", instrument="phq9", seed=3, iterations=3)
    frame = imp.completed[1]
    items = frame[[f"phq9_{k}" for k in range(1, 10)]]
    assert items.notna().all().all()
    np.testing.assert_allclose(frame["phq9_total"], items.sum(axis=1))
    assert set(frame["phq9_4"]) <= {0.0, 1.0, 2.0, 3.0}


def test_fit_and_pool_through_the_imputation() -> None:
    d = _trial()
    d["visit"] = pd.Categorical(d["wave"])
    imp = hs.impute(d, m=3, id="pid", wave="wave", columns=["y"], auxiliary=["arm", "visit"],
                    seed=1, iterations=3)
    pooled = imp.fit(hs.fit_mixed, "y ~ arm * visit + (1 | pid)")
    assert pooled.m == 3
    assert list(pooled.fixed.columns) == ["term", "estimate", "se", "df", "t", "p", "lower", "upper",
                                          "riv", "lambda", "fmi"]
    assert (pooled.fixed["fmi"].between(0, 1)).all()
    emm = pooled.pool_table(lambda f: f.emmeans("arm", by="visit"), estimate="emmean",
                            keys=["arm", "visit"])
    assert len(emm) == 8 and emm["emmean"].notna().all()


@pytest.mark.parametrize("bad, match", [
    ({"columns": ["nope"]}, "not in the data"),
    ({"columns": ["y"], "auxiliary": ["y"]}, "cannot be both"),
    ({"columns": ["y"], "method": "2l.pan"}, "needs cluster="),
    ({"columns": ["y"], "cluster": "arm"}, "used by method=.2l.pan."),
    ({"columns": ["y"], "method": "magic"}, "expected one of"),
])
def test_clear_errors(bad: dict, match: str) -> None:
    with pytest.raises(ImputationError, match=match):
        hs.impute(_trial(), m=2, id="pid", wave="wave", seed=1, iterations=2, **bad)


def test_duplicate_participant_wave_rows_are_refused() -> None:
    d = _trial()
    d = pd.concat([d, d.iloc[[0]]])
    with pytest.raises(ImputationError, match="one row per participant and wave"):
        hs.impute(d, m=2, id="pid", wave="wave", columns=["y"], seed=1, iterations=2)


def test_ids_compared_as_text() -> None:
    d = pd.DataFrame({"id": [1, 1, "2", "2"], "wave": [0, 1, 0, 1], "y": [1.0, None, 2.0, 3.0]})
    imp = hs.impute(d, m=2, id="id", wave="wave", columns=["y"], seed=1, iterations=2)
    assert len(imp.completed[0]) == 4
