"""Omega hierarchical (Schmid-Leiman, as psych::omega) against psych 2.2.9 and exact structures.

References: tests/data/reference/bfi/omega_h.R (psych::omega with its defaults: minres,
oblimin, flip) on psych's bfi items (complete cases, keyed as bfi.keys) and on psych's Thurstone
correlation matrix; the R script writes omega_h.json beside the data.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats._psychometrics import min_items, minres, oblimin, schmid_leiman
from helpstats.errors import ReliabilityError

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "reference" / "bfi" / "omega_h.json").read_text())
BFI_TOML = (DATA / "bfi.toml").read_text()
BFI_NAMES = [f"{t}{n}" for t in "ACENO" for n in range(1, 6)]
pytestmark = pytest.mark.filterwarnings("ignore::helpstats.errors.ProvisionalKeyWarning")
TOL = 2e-5  # psych stops its optimisers at about 1e-5 (optim's factr, GPArotation eps = 1e-5)


def _bfi_with_total(tmp_path: Path) -> hs.Instrument:
    """The test definition of bfi with one more scale of all 25 keyed items."""
    path = tmp_path / "bfi25.toml"
    path.write_text(BFI_TOML + '\n[[scales]]\nid = "all25"\nname = "All 25 items"\n'
                    'items = [' + ", ".join(str(n) for n in range(1, 26)) + ']\n'
                    'method = "mean"\nmax_missing = 0\nhigher_is = "better"\n')
    return hs.load_instrument(path)


@pytest.mark.parametrize("fit_index", [0, 1])
def test_thurstone_matches_psych(fit_index: int) -> None:
    expected = REF["thurstone"]["fits"][fit_index]
    fit = schmid_leiman(np.array(REF["thurstone"]["r"]), expected["nfactors"])
    for ours, theirs in [(fit.omega_h, "omega_h"), (fit.omega_total, "omega_total"),
                         (fit.omega_limit, "omega_limit"), (fit.ecv, "ecv")]:
        assert math.isclose(ours, expected[theirs], abs_tol=TOL), theirs
    # psych's general factor may come out with the opposite overall sign
    sign = np.sign(np.sum(expected["g_loadings"]))
    np.testing.assert_allclose(fit.g_loadings, sign * np.array(expected["g_loadings"]), atol=5e-5)
    np.testing.assert_allclose(fit.h2, expected["h2"], atol=5e-5)
    # four factors: item 8 reaches the 0.005 uniqueness bound in psych too (h2 = 0.9951)
    assert fit.heywood == ((7,) if expected["nfactors"] == 4 else ())
    if fit.heywood:
        assert expected["h2"][7] > 0.99


@pytest.mark.parametrize("fit_index", [0, 1])
def test_bfi_25_items_through_the_instrument_match_psych(tmp_path: Path, fit_index: int) -> None:
    expected = REF["bfi"]["fits"][fit_index]
    inst = _bfi_with_total(tmp_path)
    data = pd.read_csv(DATA / "reference" / "bfi" / "data.csv")
    columns = {f"bfi_{n}": name for n, name in enumerate(BFI_NAMES, start=1)}
    table = hs.omega_hierarchical(data, inst, columns=columns, scale="all25",
                                  nfactors=expected["nfactors"])
    row = table.iloc[0]
    assert row["n"] == REF["bfi"]["n_complete"] == 2436 and row["note"] == ""
    assert math.isclose(row["omega_h"], expected["omega_h"], abs_tol=TOL)
    assert math.isclose(row["omega_total_sl"], expected["omega_total"], abs_tol=TOL)
    assert math.isclose(row["ecv"], expected["ecv"], abs_tol=TOL)


def test_bfi_pairwise_matches_psych_on_raw_data_with_missing_values(tmp_path: Path) -> None:
    expected = REF["bfi_pairwise"]["fits"][0]
    data = pd.read_csv(DATA / "reference" / "bfi" / "data.csv")
    columns = {f"bfi_{n}": name for n, name in enumerate(BFI_NAMES, start=1)}
    row = hs.omega_hierarchical(data, _bfi_with_total(tmp_path), columns=columns, scale="all25",
                                nfactors=5, use="pairwise").iloc[0]
    assert math.isclose(row["omega_h"], expected["omega_h"], abs_tol=TOL)
    assert math.isclose(row["omega_total_sl"], expected["omega_total"], abs_tol=TOL)
    assert row["n"] == 2436  # still the complete cases


def test_flip_follows_the_general_loadings() -> None:
    # C1-C5 as exported (C4, C5 unreversed): psych flips the two whose general loading is
    # negative; helpstats' key agrees up to psych's overall sign. (Three factors are not
    # identified by five items, so only the key is compared, not omega_h.)
    data = pd.read_csv(DATA / "reference" / "bfi" / "data.csv")[["C1", "C2", "C3", "C4", "C5"]]
    corr = data.dropna().corr().to_numpy()
    g = minres(corr, 1)[:, 0]
    key = np.where(g * np.sign(g.sum()) < 0, -1, 1)
    psych_key = np.array(REF["bfi_conscientious_raw"]["fits"][0]["key"])
    assert (key == psych_key).all() or (key == -psych_key).all()
    assert key.tolist() == [1, 1, 1, -1, -1]


@pytest.mark.parametrize("g, s", [(0.6, 0.5), (0.7, 0.3), (0.4, 0.6)])
def test_exact_bifactor_structure_is_recovered(g: float, s: float) -> None:
    # 9 items, each loading g on the general factor and s on one of three group factors.
    # By hand: sum of the correlation matrix V = 9 + 72 g^2 + 18 s^2; omega_h = (9 g)^2 / V;
    # omega_total = (V - 9 (1 - g^2 - s^2)) / V.
    loadings = np.kron(np.eye(3), np.ones((3, 1))) * s
    corr = np.full((9, 9), g * g) + loadings @ loadings.T
    np.fill_diagonal(corr, 1.0)
    fit = schmid_leiman(corr, 3)
    total = 9 + 72 * g * g + 18 * s * s
    assert math.isclose(fit.omega_h, (9 * g) ** 2 / total, abs_tol=1e-6)
    assert math.isclose(fit.omega_total, (total - 9 * (1 - g * g - s * s)) / total, abs_tol=1e-6)
    np.testing.assert_allclose(fit.g_loadings, g, atol=1e-6)
    np.testing.assert_allclose(np.abs(fit.group_loadings).max(axis=1), s, atol=1e-6)


def test_oblimin_recovers_a_simple_structure() -> None:
    pattern = np.array([[0.8, 0.0, 0.0], [0.7, 0.0, 0.0], [0.0, 0.6, 0.0], [0.0, 0.7, 0.0],
                        [0.0, 0.0, 0.8], [0.0, 0.0, 0.5]])
    phi = np.array([[1.0, 0.3, 0.5], [0.3, 1.0, 0.4], [0.5, 0.4, 1.0]])
    rotated, corr = oblimin(pattern @ np.linalg.cholesky(phi))
    order = np.argmax(np.abs(rotated), axis=0)          # columns in the pattern's order
    signs = np.sign(rotated[order, range(3)])
    rotated, corr = rotated * signs, corr * np.outer(signs, signs)
    perm = np.argsort(order)
    np.testing.assert_allclose(rotated[:, perm], pattern, atol=1e-6)
    np.testing.assert_allclose(corr[np.ix_(perm, perm)], phi, atol=1e-6)


def test_too_few_items_are_reported_not_dropped(tmp_path: Path) -> None:
    assert (min_items(3), min_items(4)) == (6, 8)
    data = pd.read_csv(DATA / "reference" / "bfi" / "data.csv")
    columns = {f"bfi_{n}": name for n, name in enumerate(BFI_NAMES, start=1)}
    table = hs.omega_hierarchical(data, _bfi_with_total(tmp_path), columns=columns)
    assert list(table["scale"]) == ["agree", "conscientious", "extraversion", "neuroticism",
                                    "openness", "all25"]
    five = table[table["scale"] != "all25"]
    assert five["omega_h"].isna().all()
    assert five["note"].str.contains("5 items cannot identify 3 group factors").all()
    with pytest.raises(ReliabilityError, match="at least 6 items"):
        hs.omega_hierarchical(data, _bfi_with_total(tmp_path), columns=columns,
                              scale="conscientious")


def test_options_are_checked_and_by_groups() -> None:
    rng = np.random.default_rng(7)
    g, s = rng.normal(size=(600, 1)), rng.normal(size=(600, 3))
    latent = 0.7 * g + 0.5 * np.repeat(s, 3, axis=1) + 0.6 * rng.normal(size=(600, 9))
    data = pd.DataFrame(np.clip(np.round(latent * 1.2 + 1.5), 0, 3).astype(int),
                        columns=[f"phq9_{n}" for n in range(1, 10)])
    data["arm"] = np.repeat(["a", "b"], 300)
    with pytest.raises(ReliabilityError, match="at least 3"):
        hs.omega_hierarchical(data, "phq9", nfactors=2)
    with pytest.raises(ReliabilityError, match="use must be"):
        hs.omega_hierarchical(data, "phq9", use="listwise")
    with pytest.raises(ReliabilityError, match="no scale"):
        hs.omega_hierarchical(data, "phq9", scale="anxiety")
    table = hs.omega_hierarchical(data, "phq9", by="arm")
    assert list(table["arm"]) == ["a", "b"] and list(table["n"]) == [300, 300]
    whole = hs.omega_hierarchical(data, "phq9").iloc[0]
    corr = data.drop(columns="arm").corr().to_numpy()
    assert math.isclose(whole["omega_h"], schmid_leiman(corr, 3).omega_h, rel_tol=1e-12)
    assert 0 < whole["omega_h"] < whole["omega_total_sl"] < 1


def test_invariant_to_item_order_and_to_reversing_an_item() -> None:
    corr = np.array(REF["thurstone"]["r"])
    base = schmid_leiman(corr, 3)
    order = np.array([4, 0, 8, 2, 6, 1, 7, 3, 5])
    permuted = schmid_leiman(corr[np.ix_(order, order)], 3)
    assert math.isclose(permuted.omega_h, base.omega_h, abs_tol=1e-6)
    np.testing.assert_allclose(permuted.g_loadings, base.g_loadings[order], atol=1e-5)
    # a reverse-keyed copy of item 3 (its correlations negated): flipped back, nothing changes
    sign = np.ones(9)
    sign[2] = -1
    flipped = schmid_leiman(corr * np.outer(sign, sign), 3)
    assert flipped.key.tolist() == sign.tolist()
    assert math.isclose(flipped.omega_h, base.omega_h, abs_tol=1e-6)
    assert math.isclose(flipped.omega_total, base.omega_total, abs_tol=1e-9)


def test_dask_input_is_refused_with_how_to_fix() -> None:
    dd = pytest.importorskip("dask.dataframe")
    data = pd.DataFrame({f"phq9_{n}": [0, 1, 2, 3] * 3 for n in range(1, 10)})
    with pytest.raises(ReliabilityError, match=r"compute\(\)"):
        hs.omega_hierarchical(dd.from_pandas(data, npartitions=2), "phq9")
