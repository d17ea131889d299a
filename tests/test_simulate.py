"""Simulated trials: reproducible, shaped like a study, and recovering the effects put in."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ModelError, ProvisionalKeyWarning


def test_reproducible_with_seed() -> None:
    a = hs.simulate_trial(n_participants=50, n_groups=5, seed=11)
    b = hs.simulate_trial(n_participants=50, n_groups=5, seed=11)
    c = hs.simulate_trial(n_participants=50, n_groups=5, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not a["latent"].equals(c["latent"])


def test_structure_and_attrition() -> None:
    data = hs.simulate_trial(n_participants=400, n_groups=8, waves=(0, 1, 3, 8),
                             attrition=0.2, instruments=["phq9", "gad7"], seed=3)
    per_wave = data.groupby("wave")["participant"].nunique()
    assert per_wave.index.tolist() == [0, 1, 3, 8]
    assert per_wave[0] == 400
    # monotone: lost by the last wave about 20% (binomial sd ~2%)
    assert per_wave.is_monotonic_decreasing
    assert 0.14 < 1 - per_wave[8] / 400 < 0.26
    waves_seen = data.groupby("participant")["wave"].apply(tuple)
    allowed = {(0,), (0, 1), (0, 1, 3), (0, 1, 3, 8)}
    assert set(waves_seen) <= allowed
    # each group is in one arm, half the groups per arm
    arms = data.groupby("group")["arm"].nunique()
    assert (arms == 1).all()
    assert data.groupby("arm")["group"].nunique().to_dict() == {"control": 4, "intervention": 4}
    # items are valid codes of their instrument
    for item in [f"phq9_{i}" for i in range(1, 10)] + [f"gad7_{i}" for i in range(1, 8)]:
        assert set(data[item].unique()) <= {0, 1, 2, 3}
    assert data["role"].cat.ordered
    # the role is the median split of baseline helping, the same at every wave
    base = data[data["wave"] == 0].set_index("participant")
    expected = hs.classify_roles(base, giving="helping_given", receiving="helping_received")
    assert (data.groupby("participant")["role"].nunique() == 1).all()
    assert (base["role"] == expected).all()


def test_items_measure_the_latent_outcome() -> None:
    data = hs.simulate_trial(n_participants=300, n_groups=6, instruments=["phq9"], seed=5)
    total = data[[f"phq9_{i}" for i in range(1, 10)]].sum(axis=1)
    assert np.corrcoef(total, data["latent"])[0, 1] > 0.85


def test_item_missing() -> None:
    data = hs.simulate_trial(n_participants=200, n_groups=4, instruments=["gad7"],
                             item_missing=0.1, seed=2)
    share = data[[f"gad7_{i}" for i in range(1, 8)]].isna().to_numpy().mean()
    assert 0.08 < share < 0.12


def test_fixed_effects_recovered_by_least_squares() -> None:
    # Slopes are within-person contrasts: ordinary least squares estimates them without bias.
    truth = {"time": -0.05, "role_time": {"helper": -0.03, "dual": -0.06, "helpee": 0.01},
             "arm_time": -0.04}
    data = hs.simulate_trial(n_participants=4000, n_groups=40, effects=truth, instruments=[],
                             seed=21)
    wave = data["wave"].astype(float)
    design = pd.DataFrame({"const": 1.0, "wave": wave}, index=data.index)
    for level in ("helpee", "helper", "dual"):
        design[level] = (data["role"] == level).astype(float)
        design[f"{level}:wave"] = design[level] * wave
    design["arm"] = (data["arm"] == "intervention").astype(float)
    design["arm:wave"] = design["arm"] * wave
    beta = dict(zip(design.columns, np.linalg.lstsq(design.to_numpy(), data["latent"].to_numpy(),
                                                     rcond=None)[0], strict=True))
    assert beta["wave"] == pytest.approx(-0.05, abs=0.01)
    assert beta["helper:wave"] == pytest.approx(-0.03, abs=0.01)
    assert beta["dual:wave"] == pytest.approx(-0.06, abs=0.01)
    assert beta["helpee:wave"] == pytest.approx(0.01, abs=0.01)
    assert beta["arm:wave"] == pytest.approx(-0.04, abs=0.01)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"effects": {"slope": 1}}, "unknown effect 'slope'"),
        ({"effects": {"role": {"boss": 1}}}, "must map roles"),
        ({"effects": {"sd_group": -1}}, "standard deviation"),
        ({"waves": (3, 1)}, "increasing"),
        ({"attrition": 1.0}, "attrition"),
        ({"n_participants": 5, "n_groups": 4}, "at least 2 participants per group"),
    ],
)
def test_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ModelError, match=message):
        hs.simulate_trial(**kwargs)  # type: ignore[arg-type]


def test_generating_model_recovered_by_fit_mixed() -> None:
    truth = {"time": -0.05, "role_time": {"helper": -0.03, "dual": -0.06, "helpee": 0.01},
             "role": {"helpee": 0.25, "helper": -0.1, "dual": -0.2}, "arm_time": -0.04,
             "sd_participant": 0.7, "sd_group": 0.3, "sd_residual": 0.5}
    data = hs.simulate_trial(n_participants=3000, n_groups=30, effects=truth, instruments=[],
                             seed=21)
    data["role"] = data["role"].cat.as_unordered()
    fit = hs.fit_mixed(data, "latent ~ role * wave + arm * wave + (1 | participant) + (1 | group)")
    fixed = fit.fixed.set_index("term")
    expected = {"wave": -0.05, "rolehelpee:wave": 0.01, "rolehelper:wave": -0.03,
                "roledual:wave": -0.06, "wave:armintervention": -0.04, "rolehelpee": 0.25,
                "rolehelper": -0.1, "roledual": -0.2}
    for term, value in expected.items():
        estimate, se = fixed.loc[term, "estimate"], fixed.loc[term, "se"]
        assert abs(estimate - value) < 3 * se, (term, estimate, se)
    sd = fit.varcorr.set_index("group")["sdcor"]
    assert sd["participant"] == pytest.approx(0.7, rel=0.05)
    assert sd["group"] == pytest.approx(0.3, rel=0.35)  # 30 groups: sd of the sd ~ 13%
    assert sd["Residual"] == pytest.approx(0.5, rel=0.03)


def test_power_reproducible_and_sensible() -> None:
    kwargs = {"n_participants": 40, "n_groups": 4, "waves": (0, 3), "seed": 8,
              "progress": False}
    first = hs.power([0.0, 0.5], nsim=2, **kwargs)  # type: ignore[arg-type]
    assert first.columns.tolist() == ["design", "term", "effect", "n_participants", "n_groups",
                                      "nsim", "n_failed", "n_singular", "power", "mcse",
                                      "alpha"]
    assert first["term"].tolist() == ["armintervention:wave"] * 2
    assert first["power"].iloc[1] == 1.0  # 1.5 SD more improvement by month 3
    assert first["power"].iloc[0] <= 0.5
    p = first["power"].iloc[0]
    assert first["mcse"].iloc[0] == pytest.approx(np.sqrt(p * (1 - p) / 2))
    again = hs.power([0.0, 0.5], nsim=2, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(first, again)
    role = hs.power(0.5, nsim=1, design="role", role="helper", **kwargs)  # type: ignore[arg-type]
    assert role["term"].tolist() == ["rolehelper:wave"]
    assert role["n_failed"].tolist() == [0]


def test_power_rejects_bad_design() -> None:
    with pytest.raises(ModelError, match="design must be"):
        hs.power(0.1, n_participants=40, design="cluster")


BUNDLED = hs.list_instruments()["id"].tolist()


@pytest.mark.parametrize("instrument_id", BUNDLED)
def test_every_bundled_instrument_scores_in_the_right_direction(instrument_id: str) -> None:
    inst = hs.load_instrument(instrument_id)
    data = hs.simulate_trial(n_participants=150, n_groups=3, waves=(0, 1),
                             instruments=[instrument_id], seed=9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        scores = hs.score(data, inst, on_invalid="raise")  # every answer is a valid code
    for scale in inst.scales:
        items = [inst.item(n) for n in scale.items]
        if not all(len(set(item.score_map().values())) > 1 for item in items):
            continue  # items without numeric scores are answered at random
        column = scores[f"{inst.id}_{scale.id}"].astype(float)
        if inst.domain == "helping":
            truth = data["helping_received" if "receiv" in scale.id else "helping_given"]
            assert np.corrcoef(column, truth)[0, 1] > 0.3, scale.id
        else:
            r = np.corrcoef(column, data["latent"])[0, 1]
            # higher latent = more distress
            assert (r if scale.higher_is == "worse" else -r) > 0.5, (scale.id, r)
