"""Omega: the one-factor ML omega total, Heywood cases, and the reliability table's note per use=."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats._psychometrics import omega_fit, omega_total
from helpstats.errors import HeywoodCaseWarning


def test_omega_total_is_model_implied() -> None:
    lam, psi = np.array([0.9, 0.7, 0.5, 0.4]), np.array([0.19, 0.51, 0.75, 0.84])
    cov = np.outer(lam, lam) + np.diag(psi)
    omega, heywood = omega_fit(cov)
    # (sum lambda)^2 / ((sum lambda)^2 + sum psi) = 6.25 / (6.25 + 2.29)
    assert math.isclose(omega, 6.25 / 8.54, abs_tol=1e-6) and heywood == ()
    assert omega_total(cov) == omega


def test_heywood_case_is_reported() -> None:
    # r12 = r13 = .8, r23 = .5: a one-factor model needs loading^2 = .8 x .8 / .5 = 1.28 for item 1
    corr = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    omega, heywood = omega_fit(corr)
    assert heywood == (0,) and 0 < omega < 1


def _toy(tmp_path: Path) -> Path:
    path = tmp_path / "tri.toml"
    path.write_text("""schema = 1
id = "tri"
name = "Three items"
version = "1.0.0"
domain = "psychosocial adjustment"
citation = "test fixture"
license_status = "public_domain"
license_note = "test fixture"

[verification]
status = "verified"
sources = ["test fixture"]

[response_sets.n]
codes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
labels = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]

[[items]]
number = 1
label = "one"

[[items]]
number = 2
label = "two"

[[items]]
number = 3
label = "three"

[[scales]]
id = "total"
items = [1, 2, 3]
method = "sum"
""", encoding="utf-8")
    return path


def test_reliability_warns_on_a_heywood_case(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    corr = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    raw = rng.multivariate_normal(np.zeros(3), corr, size=2000)
    codes = np.clip(np.round(raw * 1.8 + 4.5), 0, 9).astype(int)
    data = pd.DataFrame(codes, columns=["tri_1", "tri_2", "tri_3"])
    with pytest.warns(HeywoodCaseWarning, match="tri_1"):
        table = hs.reliability(data, _toy(tmp_path))
    assert 0 < table.loc[0, "omega"] < 1


def test_reliability_table_note_says_what_pairwise_used() -> None:
    data = pd.DataFrame({f"gad7_{n}": [0, 1, 2, 3, 1, 2] for n in range(1, 8)})
    data.loc[0, "gad7_2"] = None
    data.loc[1, "gad7_3"] = 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairwise = hs.reliability(data, "gad7", use="pairwise")
        complete = hs.reliability(data, "gad7")
    assert "pairwise covariances" in hs.reliability_table(pairwise).attrs["notes"]
    assert "complete responses used for every statistic" in hs.reliability_table(complete).attrs["notes"]
    assert "one-factor maximum-likelihood" in hs.reliability_table(complete).attrs["notes"]
    assert "pairwise" in hs.reliability_table({"w1": pairwise}).attrs["notes"]
    assert "pairwise" in hs.reliability_table(complete, use="pairwise").attrs["notes"]
