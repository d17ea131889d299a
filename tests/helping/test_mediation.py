"""Single-level mediation: lavaan estimates and SEs, bootstrap CIs within Monte Carlo error."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import HelpingError

REF = Path(__file__).parents[1] / "data" / "helping" / "mediation"
EXPECTED = json.loads((REF / "expected.json").read_text())
DATA = pd.read_csv(REF / "data.csv")
MODELS = {"simple": [], "adjusted": ["emp_base", "stig_base"]}


@pytest.mark.parametrize("name", list(MODELS))
def test_estimates_and_ml_ses_equal_lavaan(name: str) -> None:
    want = EXPECTED[name]
    res = hs.mediate(DATA, "arm", "emp_change", "stig_change", MODELS[name], n_boot=0)
    table = res.table.loc[want["terms"]]
    np.testing.assert_allclose(table["estimate"], want["estimate"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(table["se"], want["se"], rtol=0, atol=1e-10)
    # Sobel z is lavaan's z of the := indirect effect (delta-method SE)
    assert res.sobel["z"] == pytest.approx(want["z"][3], abs=1e-5)
    assert res.n == want["n"] == 240 and res.n_dropped == 0
    assert table[["perc_lower", "bca_lower"]].isna().all().all()  # n_boot=0: no intervals


@pytest.mark.parametrize("name", list(MODELS))
def test_bootstrap_intervals_within_monte_carlo_error(name: str) -> None:
    want = EXPECTED[name]
    res = hs.mediate(DATA, "arm", "emp_change", "stig_change", MODELS[name], n_boot=5000,
                     seed=3, progress=False)
    # An endpoint of a 95% interval from B = 5000 resamples has a Monte Carlo SD of about
    # 0.038 bootstrap SDs; two independent runs differ by about 0.053 SD: allow 0.25 SD.
    # The proportion mediated is left out: its replicates are heavy-tailed (the total
    # effect's interval nearly reaches 0), so its endpoints are not stable at B = 5000.
    for j, path in enumerate(want["terms"][:5]):
        row, tol = res.table.loc[path], 0.25 * want["boot_sd"][j]
        assert row["perc_lower"] == pytest.approx(want["perc_lower"][j], abs=tol), path
        assert row["perc_upper"] == pytest.approx(want["perc_upper"][j], abs=tol), path
        assert row["bca_lower"] == pytest.approx(want["boot_bca_lower"][j], abs=tol), path
        assert row["bca_upper"] == pytest.approx(want["boot_bca_upper"][j], abs=tol), path
        assert res.boot[path].std() == pytest.approx(want["boot_sd"][j], rel=0.05)


def test_cluster_bootstrap() -> None:
    # one member per cluster: the cluster bootstrap is the row bootstrap, draw for draw
    rows = hs.mediate(DATA, "arm", "emp_change", "stig_change", n_boot=300, seed=9,
                      progress=False)
    single = hs.mediate(DATA.assign(unit=range(len(DATA))), "arm", "emp_change",
                        "stig_change", cluster="unit", n_boot=300, seed=9, progress=False)
    pd.testing.assert_frame_equal(rows.table, single.table)
    assert single.design == "cluster bootstrap" and single.n_clusters == 240
    # a shared group effect on the mediator: resampling groups widens the interval of a
    rng = np.random.default_rng(4)
    group = np.repeat(np.arange(20), 12)
    d = pd.DataFrame({"g": group, "x": rng.normal(size=240)})
    d["x"] += rng.normal(0, 1.5, 20)[group]
    d["m"] = 0.3 * d["x"] + rng.normal(0, 1, 20)[group] * d["x"] + rng.normal(size=240)
    d["y"] = 0.3 * d["m"] + rng.normal(size=240)
    plain = hs.mediate(d, "x", "m", "y", n_boot=1000, seed=1, progress=False)
    clustered = hs.mediate(d, "x", "m", "y", cluster="g", n_boot=1000, seed=1, progress=False)
    assert clustered.boot["a"].std() > 1.5 * plain.boot["a"].std()
    assert "20 clusters resampled" in clustered.methods


def test_change_score_design_from_long_data() -> None:
    data = hs.simulate_trial(n_participants=120, n_groups=6, instruments=[], seed=8)
    data["empowerment"] = -data["latent"] + np.random.default_rng(1).normal(size=len(data))
    wide = hs.change_scores(data, ["empowerment", "latent"], id="participant", wave="wave",
                            keep=["arm", "group"])
    with pytest.warns(UserWarning, match="left out of the mediation model"):
        res = hs.mediate(wide, "arm", "empowerment_change", "latent_change",
                         ["empowerment_baseline", "latent_baseline"], cluster="group",
                         n_boot=200, seed=2, progress=False)
    lost = int(wide["latent_change"].isna().sum())
    assert lost > 0 and res.n_dropped == lost and res.n == 120 - lost
    assert res.treatment_levels == ("intervention", "control")
    assert f"{lost} row(s) with missing values were excluded" in res.methods


def test_errors_and_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(HelpingError, match="exactly two levels"):
        hs.mediate(DATA.assign(arm=np.array(list("abc"))[np.arange(240) % 3]), "arm",
                   "emp_change", "stig_change",
                   n_boot=0)
    with pytest.raises(HelpingError, match="not found"):
        hs.mediate(DATA, "arm", "nope", "stig_change", n_boot=0)
    with pytest.raises(HelpingError, match="level"):
        hs.mediate(DATA, "arm", "emp_change", "stig_change", level=95)
    with pytest.raises(HelpingError, match="not both"):
        hs.mediate(DATA, "arm", "emp_change", "stig_change", id="group", cluster="group")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hs.mediate(DATA, "arm", "emp_change", "stig_change", n_boot=20, seed=1, progress=True)
    assert "bootstrap" in capsys.readouterr().err
