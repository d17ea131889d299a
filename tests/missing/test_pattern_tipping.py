"""Missing-data patterns (as mice::md.pattern), dropout summaries and the tipping point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ImputationError


def _small() -> pd.DataFrame:
    # P1 complete; P2 misses y at wave 1; P3 has no row at wave 1; P4 misses x at 0 and y at 1
    return pd.DataFrame({
        "id": ["P1", "P1", "P2", "P2", "P3", "P4", "P4"],
        "wave": [0, 1, 0, 1, 0, 0, 1],
        "y": [1.0, 2.0, 3.0, None, 5.0, 6.0, None],
        "x": [1.0, 1.0, 2.0, 2.0, 3.0, None, 4.0],
    })


def test_pattern_counts_by_hand() -> None:
    table = hs.missing_pattern(_small(), id="id", wave="wave", columns=["y", "x"])
    assert list(table.columns) == ["y @ 0", "y @ 1", "x @ 0", "x @ 1", "n_missing", "count"]
    rows = {tuple(r[:4]): (r[4], r[5]) for r in table.itertuples(index=False)}
    assert rows == {(1, 1, 1, 1): (0, 1), (1, 0, 1, 1): (1, 1), (1, 0, 1, 0): (2, 1),
                    (1, 0, 0, 1): (2, 1)}
    assert table["count"].sum() == 4


def test_pattern_same_for_shuffled_rows_and_duplicate_labels() -> None:
    d = _small()
    shuffled = d.sample(frac=1, random_state=3)
    shuffled.index = [0] * len(shuffled)
    a = hs.missing_pattern(d, id="id", wave="wave", columns=["y"])
    b = hs.missing_pattern(shuffled, id="id", wave="wave", columns=["y"])
    pd.testing.assert_frame_equal(a.sort_values(list(a.columns)).reset_index(drop=True),
                                  b.sort_values(list(b.columns)).reset_index(drop=True))


def test_dropout_table_by_arm() -> None:
    d = _small().assign(arm=["a", "a", "a", "a", "b", "b", "b"])
    t = hs.dropout_table(d, id="id", wave="wave", outcome="y", by="arm")
    wave1 = t[t["wave"] == 1].set_index("arm")
    assert wave1.loc["a", "observed"] == 1 and wave1.loc["a", "n"] == 2
    assert wave1.loc["b", "observed"] == 0 and wave1.loc["b", "proportion"] == 0


def test_dropout_model_finds_severity_related_dropout() -> None:
    rng = np.random.default_rng(5)
    n = 400
    base = rng.normal(size=n)
    lost = rng.random(n) < 1 / (1 + np.exp(-(1.5 * base)))
    d = pd.DataFrame({"id": np.repeat(np.arange(n), 2), "wave": np.tile([0, 1], n),
                      "y": np.column_stack([base, rng.normal(size=n)]).ravel(),
                      "arm": np.repeat(rng.choice(["c", "t"], n), 2)})
    d.loc[(d["wave"] == 1) & np.repeat(lost, 2), "y"] = np.nan
    table = hs.dropout_model(d, id="id", wave="wave", outcome="y", covariates=["arm"])
    row = table.set_index("term").loc["y"]
    assert row["estimate"] == pytest.approx(1.5, abs=0.35) and row["p"] < 1e-6


def test_plots_render() -> None:
    import matplotlib

    matplotlib.use("Agg")
    d = _small().assign(arm=["a", "a", "a", "a", "b", "b", "b"])
    ax = hs.plot_dropout(d, id="id", wave="wave", outcome="y", by="arm")
    assert len(ax.get_lines()) == 2


def _mar_trial(n: int = 60, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.choice(["usual", "peer"], n)
    person = rng.normal(size=n)
    rows = []
    for i in range(n):
        for w in range(3):
            effect = -1.5 * w if arm[i] == "peer" else 0.0
            rows.append({"pid": i, "wave": w, "arm": arm[i],
                         "y": 10 + person[i] + effect + rng.normal(scale=0.8)})
    d = pd.DataFrame(rows)
    d.loc[(d["wave"] > 0) & (rng.random(len(d)) < 0.3), "y"] = np.nan
    d["visit"] = pd.Categorical(d["wave"])
    return d


def test_tipping_point_shifts_only_imputed_values() -> None:
    d = _mar_trial()
    imp = hs.impute(d, m=3, id="pid", wave="wave", columns=["y"], auxiliary=["arm", "visit"], seed=1,
                    iterations=3)
    seen: list[pd.DataFrame] = []

    def fit(frame: pd.DataFrame) -> hs.MixedFit:
        seen.append(frame)
        return hs.fit_mixed(frame, "y ~ arm * visit + (1 | pid)")

    tp = hs.tipping_point(imp, fit, outcome="y", deltas=[2.0], by="arm", shift_level="peer", wave="visit")
    shifted = seen[-1]  # the last imputation's frame with delta = 2
    original = imp.completed[-1]
    diff = shifted["y"].to_numpy() - original["y"].to_numpy()
    imputed = imp.observed["y"].isna().to_numpy()
    peer = (original["arm"] == "peer").to_numpy()
    np.testing.assert_allclose(diff[imputed & peer], 2.0)
    np.testing.assert_allclose(diff[~(imputed & peer)], 0.0)
    assert list(tp.table["delta"]) == [0.0, 2.0]


def test_tipping_point_finds_where_significance_is_lost() -> None:
    d = _mar_trial(n=80)
    imp = hs.impute(d, m=3, id="pid", wave="wave", columns=["y"], auxiliary=["arm", "visit"], seed=1,
                    iterations=3)
    tp = hs.tipping_point(imp, lambda f: hs.fit_mixed(f, "y ~ arm * visit + (1 | pid)"), outcome="y",
                          deltas=[1, 2, 4, 6, 8, 10], by="arm", shift_level="peer", wave="visit")
    t = tp.table
    assert t.loc[t["delta"] == 0, "p"].iloc[0] < 0.05
    assert np.all(np.diff(t["estimate"]) < 0) or np.all(np.diff(t["estimate"]) > 0)  # monotone in delta
    assert tp.tipping_delta is not None
    lost = t[t["delta"] == tp.tipping_delta]["p"].iloc[0]
    assert lost >= 0.05
    assert (t[t["delta"].abs() < abs(tp.tipping_delta)]["p"] < 0.05).all()


def test_tipping_point_errors() -> None:
    d = _mar_trial()
    imp = hs.impute(d, m=2, id="pid", wave="wave", columns=["y"], auxiliary=["arm"], seed=1, iterations=2)
    with pytest.raises(ImputationError, match="was not imputed"):
        hs.tipping_point(imp, lambda f: f, outcome="arm", deltas=[1])
    with pytest.raises(ImputationError, match="not a level"):
        hs.tipping_point(imp, lambda f: f, outcome="y", deltas=[1], shift_level="nobody")
