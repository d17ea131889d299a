"""Instrument-aware reliability and item analysis: psych's bfi reference and hand cases."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.multivariate.factor import Factor

import helpstats as hs
from helpstats._psychometrics import cronbach_alpha, feldt_interval, one_factor_ml
from helpstats.errors import (
    MiskeyedItemWarning,
    ProvisionalKeyWarning,
    ReliabilityError,
    ScoringError,
)

DATA = Path(__file__).parent / "data"
BFI_DIR = DATA / "reference" / "bfi"
BFI = hs.load_instrument(DATA / "bfi.toml")
LETTERS = "ACENO"
# bfi.toml numbers the items in the data's column order: A1-A5 = 1-5, ..., O1-O5 = 21-25.
BFI_COLUMNS = {f"bfi_{5 * i + j}": f"{letter}{j}" for i, letter in enumerate(LETTERS)
               for j in range(1, 6)}
COLUMN_ITEM = {column: item for item, column in BFI_COLUMNS.items()}

pytestmark = pytest.mark.filterwarnings("ignore::helpstats.errors.ProvisionalKeyWarning")


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(BFI_DIR / "data.csv")


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads((BFI_DIR / "expected.json").read_text())


def test_bfi_definition_matches_psych_keys(expected: dict) -> None:
    for scale, keys in expected["keys"].items():
        numbers = BFI.scale(scale).items
        assert [BFI_COLUMNS[f"bfi_{n}"] for n in numbers] == [k.lstrip("-") for k in keys]
        reversed_items = {BFI_COLUMNS[f"bfi_{n}"] for n in numbers if BFI.item(n).reverse}
        assert reversed_items == {k[1:] for k in keys if k.startswith("-")}


def test_bfi_alpha_matches_psych(bfi: pd.DataFrame, expected: dict) -> None:
    table = hs.reliability(bfi, BFI, columns=BFI_COLUMNS, use="pairwise").set_index("scale")
    for ref in expected["alpha"]:
        row = table.loc[ref["scale"]]
        assert row["alpha"] == pytest.approx(ref["raw_alpha"], abs=1e-6)
        assert row["n"] == ref["n_complete"]
        assert row["n_items"] == 5


def test_bfi_item_rest_and_alpha_if_dropped_match_psych(bfi: pd.DataFrame,
                                                        expected: dict) -> None:
    table = hs.item_analysis(bfi, BFI, columns=BFI_COLUMNS, use="pairwise")
    table = table.set_index(["scale", "label"])
    checked = 0
    for ref in expected["alpha"]:
        for label, r in ref["item_total_r_drop"].items():
            row = table.loc[(ref["scale"], label)]
            assert row["item_rest_r"] == pytest.approx(r, abs=1e-6)
            assert row["alpha_if_dropped"] == pytest.approx(ref["alpha_if_dropped"][label],
                                                            abs=1e-6)
            assert row["item"] == COLUMN_ITEM[label]
            checked += 1
    assert checked == 25
    assert not table["negative_item_rest"].any()


def test_bfi_complete_cases_differ_from_psych_default(bfi: pd.DataFrame,
                                                      expected: dict) -> None:
    # The default (complete cases per scale) is not psych's pairwise default: alpha of
    # agreeableness moves by about 7e-4, so the two options must not be confused.
    complete = hs.reliability(bfi, BFI, columns=BFI_COLUMNS).set_index("scale")
    agree = next(r for r in expected["alpha"] if r["scale"] == "agree")
    assert abs(complete.loc["agree", "alpha"] - agree["raw_alpha"]) > 1e-4
    # Complete cases by hand: keyed items, rows without missing values.
    items = bfi[["A1", "A2", "A3", "A4", "A5"]].astype(float)
    items["A1"] = 7 - items["A1"]
    items = items.dropna()
    assert complete.loc["agree", "alpha"] == pytest.approx(
        cronbach_alpha(items.cov().to_numpy()), abs=1e-12)
    scale_mean = items.mean(axis=1)
    assert complete.loc["agree", "mean"] == pytest.approx(scale_mean.mean(), abs=1e-12)
    assert complete.loc["agree", "sd"] == pytest.approx(scale_mean.std(), abs=1e-12)
    assert complete.loc["agree", "n"] == len(items) == 2709
    assert complete.loc["agree", "n_incomplete"] == 2800 - 2709


def test_bfi_scores_match_psych_score_items(bfi: pd.DataFrame) -> None:
    # The same definition scores psych::scoreItems' means of available items.
    scores = hs.score(bfi, BFI, columns=BFI_COLUMNS)
    reference = pd.read_csv(BFI_DIR / "expected_scale_means_available_items.csv")
    for scale in ("agree", "conscientious", "extraversion", "neuroticism", "openness"):
        np.testing.assert_allclose(scores[f"bfi_{scale}"].to_numpy(),
                                   reference[scale].to_numpy(), atol=1e-9)


def test_bfi_omega_matches_statsmodels_ml(bfi: pd.DataFrame) -> None:
    """Omega from an independent ML one-factor fit (statsmodels) on the same items."""
    table = hs.reliability(bfi, BFI, columns=BFI_COLUMNS).set_index("scale")
    for scale in ("agree", "neuroticism", "openness"):
        numbers = BFI.scale(scale).items
        items = bfi[[BFI_COLUMNS[f"bfi_{n}"] for n in numbers]].astype(float)
        for n in numbers:
            if BFI.item(n).reverse:
                column = BFI_COLUMNS[f"bfi_{n}"]
                items[column] = 7 - items[column]
        items = items.dropna()
        fit = Factor(corr=items.corr().to_numpy(), n_factor=1, method="ml",
                     nobs=len(items)).fit()
        sd = items.std().to_numpy()
        lam = np.abs(fit.loadings[:, 0]) * sd
        psi = fit.uniqueness * sd**2
        omega = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
        assert table.loc[scale, "omega"] == pytest.approx(omega, abs=1e-5)
    # Close to alpha on these five-item scales (not necessarily above it in a sample).
    assert ((table["omega"] - table["alpha"]).abs() < 0.01).all()


def test_provisional_definition_warns(bfi: pd.DataFrame) -> None:
    with pytest.warns(ProvisionalKeyWarning, match="bfi"):
        hs.reliability(bfi.head(50), BFI, columns=BFI_COLUMNS)


# ----------------------------------------------------------------------------- hand cases

# GAD-7 responses of five people; person 5 skipped item 7.
GAD = pd.DataFrame({"gad7_1": [0, 1, 2, 3, 1], "gad7_2": [0, 1, 3, 3, 2],
                    "gad7_3": [1, 1, 2, 3, 1], "gad7_4": [0, 2, 2, 3, 1],
                    "gad7_5": [0, 0, 1, 2, 1], "gad7_6": [1, 1, 2, 2, 0],
                    "gad7_7": [0, 1, 2, 3, None]})


def test_gad7_complete_cases_hand_computed() -> None:
    # Complete cases: people 1-4. Item sums of squared deviations (divisor 3):
    #   item1 0 1 2 3: 5;  item2 0 1 3 3: 6.75;  item3 1 1 2 3: 2.75;  item4 0 2 2 3: 4.75;
    #   item5 0 0 1 2: 2.75;  item6 1 1 2 2: 1;  item7 0 1 2 3: 5   -> sum of variances 28/3.
    # Totals 2, 7, 14, 19: mean 10.5, SS 8.5^2 + 3.5^2 + 3.5^2 + 8.5^2 = 169, variance 169/3.
    # alpha = 7/6 * (1 - (28/3) / (169/3)) = 7/6 * 141/169 = 987/1014.
    row = hs.reliability(GAD, "gad7").iloc[0]
    alpha = 987 / 1014
    assert row["alpha"] == pytest.approx(alpha, abs=1e-12)
    assert (row["n"], row["n_incomplete"], row["n_items"]) == (4, 1, 7)
    assert row["mean"] == pytest.approx(10.5)
    assert row["sd"] == pytest.approx(math.sqrt(169 / 3))
    low, high = feldt_interval(alpha, 4, 7)
    assert (row["alpha_lower"], row["alpha_upper"]) == pytest.approx((low, high))
    assert low < alpha < high


def test_labels_are_read_before_analysis() -> None:
    labels = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
    as_labels = GAD.iloc[:4].map(lambda code: labels[int(code)])
    pd.testing.assert_frame_equal(hs.reliability(as_labels, "gad7"),
                                  hs.reliability(GAD.iloc[:4], "gad7"))


def test_by_groups() -> None:
    data = pd.concat([GAD.iloc[:4], GAD.iloc[:4]], ignore_index=True)
    data.loc[4:, "gad7_7"] = [3, 2, 1, 0]
    data["wave"] = [1, 1, 1, 1, 2, 2, 2, 2]
    table = hs.reliability(data, "gad7", by="wave")
    assert table["wave"].tolist() == [1, 2]
    assert table.columns.tolist()[:2] == ["wave", "scale"]
    expected_1 = hs.reliability(data[data["wave"] == 1], "gad7")["alpha"].iloc[0]
    expected_2 = hs.reliability(data[data["wave"] == 2], "gad7")["alpha"].iloc[0]
    assert table["alpha"].tolist() == pytest.approx([expected_1, expected_2], abs=1e-12)


def test_too_few_cases_give_nan() -> None:
    table = hs.reliability(GAD.iloc[:1], "gad7")
    assert table["n"].iloc[0] == 1
    assert math.isnan(table["alpha"].iloc[0]) and math.isnan(table["sd"].iloc[0])


def test_item_analysis_hand_computed_and_miskeyed_warning() -> None:
    data = GAD.iloc[:4].copy()
    data["gad7_7"] = [3, 2, 1, 0]  # entered unreversed: runs against the other items
    with pytest.warns(MiskeyedItemWarning, match=r"gad7_7 .* r = -"):
        table = hs.item_analysis(data, "gad7")
    row = table.set_index("item").loc["gad7_7"]
    rest = data.drop(columns="gad7_7").astype(float).sum(axis=1)
    assert row["item_rest_r"] == pytest.approx(np.corrcoef(data["gad7_7"], rest)[0, 1])
    assert row["negative_item_rest"]
    assert row["mean"] == 1.5 and row["sd"] == pytest.approx(math.sqrt(5 / 3))
    others = data.drop(columns="gad7_7").astype(float)
    # alpha of the six other items, from its textbook formula (not helpstats' code):
    # k / (k - 1) * (1 - sum of item variances / variance of the sum)
    k = others.shape[1]
    textbook = k / (k - 1) * (1 - others.var().sum() / others.sum(axis=1).var())
    assert row["alpha_if_dropped"] == pytest.approx(textbook, abs=1e-12)
    assert table["negative_item_rest"].sum() == 1


def test_item_analysis_no_warning_when_all_positive() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", MiskeyedItemWarning)
        table = hs.item_analysis(GAD, "gad7")
    assert table.columns.tolist() == ["item", "label", "scale", "n", "mean", "sd",
                                      "item_rest_r", "alpha_if_dropped", "negative_item_rest"]
    assert (table["n"] == 4).all()


def test_errors() -> None:
    with pytest.raises(ReliabilityError, match="use must be"):
        hs.reliability(GAD, "gad7", use="listwise")
    with pytest.raises(ReliabilityError, match="by names column"):
        hs.reliability(GAD, "gad7", by="arm")
    bad = GAD.copy()
    bad.loc[0, "gad7_1"] = 7
    with pytest.raises(ScoringError, match="invalid"):
        hs.reliability(bad, "gad7")
    with pytest.raises(ScoringError, match="not found"):
        hs.item_analysis(GAD.drop(columns="gad7_3"), "gad7")


def test_data_not_modified() -> None:
    before = GAD.copy()
    hs.reliability(GAD, "gad7", by="gad7_1")
    hs.item_analysis(GAD, "gad7")
    pd.testing.assert_frame_equal(GAD, before)


# ----------------------------------------------------------------------------- properties

@settings(max_examples=12, deadline=None)
@given(st.data())
def test_reversal_via_instrument_equals_reversal_by_hand(data: st.DataObject) -> None:
    """Reversing an item through the definition gives the alpha of reversing it by hand."""
    n = data.draw(st.integers(4, 15))
    values = data.draw(st.lists(st.integers(1, 6), min_size=5 * n, max_size=5 * n))
    frame = pd.DataFrame(np.array(values).reshape(n, 5), columns=["A1", "A2", "A3", "A4", "A5"])
    filler = {f"{c}{j}": 1 for c in "CENO" for j in range(1, 6)}
    ours = hs.reliability(frame.assign(**filler), BFI, columns=BFI_COLUMNS)
    by_hand = frame.astype(float)
    by_hand["A1"] = 7 - by_hand["A1"]  # A1 is reverse-keyed on 1..6
    expected = cronbach_alpha(by_hand.cov().to_numpy())
    got = ours.set_index("scale").loc["agree", "alpha"]
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=1e-12)
        assert got <= 1 + 1e-12


@settings(max_examples=8, deadline=None)
@given(st.data())
def test_alpha_invariant_to_column_order(data: st.DataObject) -> None:
    n = data.draw(st.integers(3, 12))
    values = data.draw(st.lists(st.integers(0, 3), min_size=7 * n, max_size=7 * n))
    frame = pd.DataFrame(np.array(values).reshape(n, 7), columns=[f"gad7_{i}" for i in range(1, 8)])
    order = data.draw(st.permutations(list(frame.columns)))
    first = hs.reliability(frame, "gad7")
    second = hs.reliability(frame[order], "gad7")
    pd.testing.assert_frame_equal(first, second)


# ----------------------------------------------------------------------------- psych extras

@pytest.fixture(scope="module")
def psych_extra() -> dict:
    return json.loads((BFI_DIR / "psych_extra.json").read_text())


def test_bfi_complete_case_alpha_and_feldt_match_psych(bfi: pd.DataFrame,
                                                       psych_extra: dict) -> None:
    table = hs.reliability(bfi, BFI, columns=BFI_COLUMNS).set_index("scale")
    for scale, ref in psych_extra.items():
        row = table.loc[scale]
        assert row["n"] == ref["n_complete"]
        assert row["alpha"] == pytest.approx(ref["raw_alpha_complete"], abs=1e-12)
        assert row["alpha_lower"] == pytest.approx(ref["feldt_lower_complete"], abs=1e-9)
        assert row["alpha_upper"] == pytest.approx(ref["feldt_upper_complete"], abs=1e-9)


def test_bfi_ml_loadings_match_psych_fa(bfi: pd.DataFrame, psych_extra: dict) -> None:
    for scale, ref in psych_extra.items():
        numbers = BFI.scale(scale).items
        items = bfi[[BFI_COLUMNS[f"bfi_{n}"] for n in numbers]].astype(float)
        for n in numbers:
            if BFI.item(n).reverse:
                items[BFI_COLUMNS[f"bfi_{n}"]] = 7 - items[BFI_COLUMNS[f"bfi_{n}"]]
        loadings, psi = one_factor_ml(items.dropna().corr().to_numpy())
        assert loadings == pytest.approx(ref["ml_loadings"], abs=1e-5)
        assert psi == pytest.approx(ref["ml_uniquenesses"], abs=1e-5)


def test_bfi_omega_near_psych_omega(bfi: pd.DataFrame, psych_extra: dict) -> None:
    # psych::omega(nfactors = 1) fits by minres on correlations and divides by the observed
    # variance of the standardised sum; helpstats' omega is the ML model-based reliability of
    # the raw sum. On these scales the two differ by at most 0.012.
    table = hs.reliability(bfi, BFI, columns=BFI_COLUMNS).set_index("scale")
    for scale, ref in psych_extra.items():
        assert table.loc[scale, "omega"] == pytest.approx(ref["omega_tot_psych"], abs=0.015)


# ----------------------------------------------------------------------------- scale methods

METHODS = hs.load_instrument(DATA / "methods_test.toml")
# Forced choice (count scale, keyed a b a a) and three 0-2 items (item 7 reversed: 2 - code).
RESPONSES = pd.DataFrame({
    "methods_1": ["a", "a", "b", "a", "b"],
    "methods_2": ["b", "a", "a", "b", "b"],
    "methods_3": ["a", "a", "b", "b", "a"],
    "methods_4": ["a", "b", "b", "a", "a"],
    "methods_5": [2, 1, 0, 2, None],
    "methods_6": [2, 1, 1, 1, 0],
    "methods_7": [0, 1, 2, 1, 1],
})


def test_count_scale_uses_keyed_indicators() -> None:
    # Keyed indicators:  i1 1 1 0 1 0 | i2 1 0 0 1 1 | i3 1 1 0 0 1 | i4 1 0 0 1 1
    # Each item: 3 of 5 keyed, variance 0.3; totals 4 2 0 3 3: mean 2.4, variance 9.2/4 = 2.3.
    # KR-20 = alpha = 4/3 * (1 - 1.2 / 2.3) = 4.4 / 6.9.
    row = hs.reliability(RESPONSES, METHODS).set_index("scale").loc["external"]
    assert row["alpha"] == pytest.approx(4.4 / 6.9, abs=1e-12)
    assert row["n"] == 5 and row["mean"] == pytest.approx(2.4)
    assert row["sd"] == pytest.approx(math.sqrt(2.3))
    items = hs.item_analysis(RESPONSES, METHODS).set_index(["scale", "item"])
    assert items.loc[("external", "methods_1"), "mean"] == pytest.approx(0.6)


def test_scale_mean_and_sd_are_those_of_the_scores() -> None:
    # Complete cases of items 5-7 are people 1-4; the mean/sd must equal those of hs.score.
    table = hs.reliability(RESPONSES, METHODS).set_index("scale")
    scores = hs.score(RESPONSES.iloc[:4], METHODS)
    for scale in ("converted", "doubled"):
        assert table.loc[scale, "n"] == 4 and table.loc[scale, "n_incomplete"] == 1
        assert table.loc[scale, "mean"] == pytest.approx(scores[f"methods_{scale}"].mean())
        assert table.loc[scale, "sd"] == pytest.approx(scores[f"methods_{scale}"].std())
    # Raw sums (item 7 reversed to 2 1 0 1): 6, 3, 1, 4 -> lookup 20, 12, 9.5, 14.5;
    # doubled 12, 6, 2, 8.
    assert table.loc["converted", "mean"] == pytest.approx((20 + 12 + 9.5 + 14.5) / 4)
    assert table.loc["doubled", "mean"] == pytest.approx(7.0)
    # The alpha of a lookup or multiplied scale is the alpha of its raw items.
    assert table.loc["converted", "alpha"] == pytest.approx(table.loc["doubled", "alpha"])


@pytest.mark.parametrize("instrument_id", sorted(hs.list_instruments()["id"]))
def test_every_bundled_instrument(instrument_id: str) -> None:
    """Reliability and item analysis run on every bundled definition (random valid answers)."""
    inst = hs.load_instrument(instrument_id)
    rng = np.random.default_rng(7)
    trait = rng.normal(size=30)
    data = {}
    for item in inst.items:  # answers driven by one trait, so the one-factor fit is quick
        codes = np.array(item.response_set.codes, dtype=object)
        latent = (trait + rng.normal(size=30) + 2.5) / 5 * len(codes)
        data[item.id] = codes[np.clip(latent.astype(int), 0, len(codes) - 1)]
    data = pd.DataFrame(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = hs.reliability(data, inst)
        items = hs.item_analysis(data, inst)
    assert table["scale"].tolist() == [scale.id for scale in inst.scales]
    assert (table["n"] == 30).all()
    assert (table["alpha"].dropna() <= 1 + 1e-12).all()
    assert len(items) == sum(len(scale.items) for scale in inst.scales)


def test_hs_reliability_is_the_function_after_importing_the_submodule() -> None:
    import helpstats.reliability  # noqa: F401  (the submodule shares the function's name)

    assert callable(hs.reliability) and callable(hs.item_analysis)
    assert hs.reliability.__module__ == "helpstats.reliability"
