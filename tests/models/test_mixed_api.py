"""fit_mixed's input handling, errors and result object."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ModelError
from helpstats.models._design import r_sort
from helpstats.models._formula import parse_formula


def panel(n: int = 24, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pid = np.repeat(np.arange(n), 4)
    wave = np.tile(np.arange(4.0), n)
    arm = np.where(np.arange(n) % 2 == 0, "usual", "peer")[pid]
    y = 10 + rng.normal(0, 2, n)[pid] + 0.5 * wave - 0.7 * wave * (arm == "peer")
    y = y + rng.normal(0, 1, 4 * n)
    return pd.DataFrame({"y": y, "wave": wave, "arm": arm, "pid": [f"p{i}" for i in pid],
                         "site": np.where(pid < n // 2, "A", "B")})


def test_formula_expansion_follows_r() -> None:
    f = parse_formula("y ~ a*b + c - a:b + (1 + x | g) + (0 + x | h)")
    assert f.fixed.terms == (("a",), ("b",), ("c",))
    assert [(r.group, r.rhs.intercept) for r in f.random] == [("g", True), ("h", False)]
    assert parse_formula("y ~ 0 + a + (1|g)").fixed.intercept is False
    assert parse_formula("y ~ a - 1 + (1|g)").fixed.intercept is False
    assert parse_formula("y ~ (a + b):c + (1|g)").fixed.terms == (("a", "c"), ("b", "c"))


@pytest.mark.parametrize(
    ("formula", "needle"),
    [
        ("y ~ wave + (1 | nobody)", "nobody"),
        ("y ~ wave", "no random-effect term"),
        ("y ~ wave + (1 | site2)", "site2"),
        ("arm ~ wave + (1 | pid)", "must be numeric"),
        ("y ~ wave + 3 + (1 | pid)", "the number 3"),
        ("y ~ wave + (1 | pid", "Cannot read"),
        ("y ~ wave + (1 | pid/)", "unexpected '\\)'"),
        ("y ~ wave + (1 | factor(pid))", "grouping factor"),
    ],
)
def test_bad_formulas_raise_model_error(formula: str, needle: str) -> None:
    with pytest.raises(ModelError, match=needle):
        hs.fit_mixed(panel(), formula)


def test_single_level_grouping_factor_is_an_error() -> None:
    d = panel().assign(one="x")
    with pytest.raises(ModelError, match="at least 2 groups"):
        hs.fit_mixed(d, "y ~ wave + (1 | one)")


def test_infinite_values_are_an_error() -> None:
    d = panel()
    d.loc[3, "wave"] = np.inf
    with pytest.raises(ModelError, match="infinite"):
        hs.fit_mixed(d, "y ~ wave + (1 | pid)")


def test_rank_deficient_columns_are_dropped_and_reported() -> None:
    d = panel().assign(wave2=lambda x: 2 * x["wave"])
    with pytest.warns(UserWarning, match="rank deficient so dropping 1 column"):
        fit = hs.fit_mixed(d, "y ~ wave + wave2 + (1 | pid)")
    assert fit.dropped_columns == ("wave2",)
    assert list(fit.fixed["term"]) == ["(Intercept)", "wave"]
    ref = hs.fit_mixed(d, "y ~ wave + (1 | pid)")
    assert fit.loglik == pytest.approx(ref.loglik, abs=1e-8)


def test_missing_rows_are_counted_and_data_untouched() -> None:
    d = panel()
    d.loc[[0, 5, 9], "y"] = np.nan
    d.loc[12, "arm"] = None
    d.loc[20, "unused"] = 1.0  # NaN elsewhere in a column the model does not use
    before = d.copy()
    fit = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)")
    assert fit.n_dropped == 4
    assert fit.nobs == len(d) - 4
    pd.testing.assert_frame_equal(d, before)
    assert list(fit.fitted().index) == list(d.dropna(subset=["y", "arm"]).index)


def test_data_is_a_copy_of_the_model_frame() -> None:
    d = panel()
    d["arm"] = pd.Categorical(d["arm"], categories=["usual", "peer"])
    d.loc[[3, 7], "y"] = np.nan
    fit = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)")
    frame = fit.data
    assert len(frame) == fit.nobs == len(d) - 2
    assert list(frame.index) == list(d.index.drop([3, 7]))
    assert sorted(frame.columns) == ["arm", "pid", "wave", "y"]
    for col in frame.columns:  # original names and types, values of the rows used
        assert frame[col].dtype == d[col].dtype
        pd.testing.assert_series_equal(frame[col], d[col].drop([3, 7]))
    assert frame is not d and frame is not fit.data  # a new object on every access
    frame.loc[frame.index[0], "y"] = 1e6
    assert fit.data["y"].max() < 1e6  # changing the copy does not change the fit
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.data = d  # type: ignore[misc]


def test_ordered_factors_use_treatment_contrasts() -> None:
    d = panel()
    d["wave"] = pd.Categorical(d["wave"], categories=[0.0, 1.0, 2.0, 3.0])
    plain = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)")
    d["wave"] = d["wave"].cat.as_ordered()
    ordered = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)")
    # the same columns as the unordered factor (R would use contr.poly: wave.L, wave.Q, ...)
    assert list(ordered.fixed["term"]) == list(plain.fixed["term"])
    assert "wave1" in list(ordered.fixed["term"])
    pd.testing.assert_frame_equal(ordered.fixed, plain.fixed, rtol=1e-10)
    assert ordered.loglik == pytest.approx(plain.loglik, abs=1e-10)
    assert "Ordered factor(s) wave: treatment contrasts" in ordered.summary()
    assert "Ordered factor" not in plain.summary()


def test_categorical_order_sets_reference_level() -> None:
    d = panel()
    default = hs.fit_mixed(d, "y ~ arm + (1 | pid)")
    assert list(default.fixed["term"]) == ["(Intercept)", "armusual"]  # sorted: peer first
    d["arm"] = pd.Categorical(d["arm"], categories=["usual", "peer"])
    releveled = hs.fit_mixed(d, "y ~ arm + (1 | pid)")
    assert list(releveled.fixed["term"]) == ["(Intercept)", "armpeer"]
    assert releveled.coef["armpeer"] == pytest.approx(-default.coef["armusual"], rel=1e-6)
    assert releveled.loglik == pytest.approx(default.loglik, abs=1e-8)


def test_r_sort_orders_like_r() -> None:
    assert r_sort(["b", "A", "a", "B"]) == ["a", "A", "b", "B"]
    assert r_sort([10, 2, 1]) == [1, 2, 10]
    assert r_sort([True, False]) == [False, True]


def test_interaction_columns_are_named_like_r() -> None:
    d = panel().assign(w=lambda x: x["wave"].astype(int).astype(str))
    fit = hs.fit_mixed(d, "y ~ arm * w + (1 | pid)")
    assert list(fit.coef.index) == [
        "(Intercept)", "armusual", "w1", "w2", "w3", "armusual:w1", "armusual:w2", "armusual:w3"
    ]


def test_result_is_frozen_and_consistent() -> None:
    fit = hs.fit_mixed(panel(), "y ~ arm * wave + (wave | pid)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.sigma = 1.0  # type: ignore[misc]
    npar = len(fit.coef) + len(fit.theta) + 1
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * npar)
    assert fit.bic == pytest.approx(-2 * fit.loglik + np.log(fit.nobs) * npar)
    assert fit.ngroups == {"pid": 24}
    assert fit.varcorr["group"].iloc[-1] == "Residual"
    assert fit.varcorr["sdcor"].iloc[-1] == pytest.approx(fit.sigma)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov())), fit.fixed["se"], rtol=1e-12)
    re = fit.ranef()["pid"]
    assert list(re.columns) == ["(Intercept)", "wave"]
    assert re.shape == (24, 2)
    text = fit.summary()
    assert "REML" in text and fit.formula in text and "Number of obs: 96" in text
    corr = fit.varcorr["sdcor"].iloc[2]
    assert text.split("Random effects:")[1].splitlines()[3].endswith(f"{corr:5.2f}")
    assert set(fit.optimizer) >= {"evaluations", "gradient", "scaled_gradient", "message"}


def test_singular_fit_is_reported() -> None:
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"g": np.repeat(np.arange(10), 5), "y": rng.normal(size=50)})
    with pytest.warns(UserWarning, match="singular"):
        fit = hs.fit_mixed(d, "y ~ 1 + (1 | g)")
    # no between-group variance in pure noise -> boundary at theta = 0 for this seed
    assert fit.theta[0] < 1e-4
    assert fit.singular
    assert "singular" in fit.summary()


def test_ml_and_reml_differ_as_expected() -> None:
    d = panel()
    reml = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)")
    ml = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)", reml=False)
    assert ml.sigma < reml.sigma
    np.testing.assert_allclose(ml.coef, reml.coef, rtol=1e-2)


def test_compare_refits_with_ml() -> None:
    d = panel()
    small = hs.fit_mixed(d, "y ~ wave + (1 | pid)")
    big = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)")
    tab = hs.compare(big, small)
    assert list(tab["npar"]) == [4, 6]
    ml_small = hs.fit_mixed(d, "y ~ wave + (1 | pid)", reml=False)
    ml_big = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)", reml=False)
    assert tab["loglik"].tolist() == pytest.approx([ml_small.loglik, ml_big.loglik])
    assert tab["chisq"].iloc[1] == pytest.approx(2 * (ml_big.loglik - ml_small.loglik))
    assert tab["df"].iloc[1] == 2
    with pytest.raises(ModelError):
        hs.compare(big)


def test_emmeans_contrasts_and_errors() -> None:
    fit = hs.fit_mixed(panel(), "y ~ arm * wave + (1 | pid)")
    emm = fit.emmeans("arm", at={"wave": 3})
    assert list(emm.columns) == ["arm", "emmean", "se", "df", "lower", "upper"]
    beta = fit.coef
    assert emm["emmean"].iloc[0] == pytest.approx(beta["(Intercept)"] + 3 * beta["wave"])
    tab = fit.contrasts("arm", by="wave", at={"wave": [0, 3]}, method="revpairwise")
    assert list(tab["contrast"]) == ["usual - peer", "usual - peer"]
    assert tab["estimate"].iloc[1] == pytest.approx(beta["armusual"] + 3 * beta["armusual:wave"])
    with pytest.raises(ModelError, match="not fixed-effect variables"):
        fit.emmeans("site")
    with pytest.raises(ModelError, match="method"):
        fit.contrasts("arm", method="helmert")


def test_tukey_and_holm_adjustments() -> None:
    d = panel(n=30).assign(w=lambda x: x["wave"].astype(int).astype(str))
    fit = hs.fit_mixed(d, "y ~ w + (1 | pid)")
    raw = fit.contrasts("w")
    tukey = fit.contrasts("w", adjust="tukey")
    holm = fit.contrasts("w", adjust="holm")
    bonf = fit.contrasts("w", adjust="bonferroni")
    assert len(raw) == 6
    assert raw["contrast"].iloc[0] == "w0 - w1"  # numeric-looking levels get the name, as emmeans
    assert (tukey["p"] >= raw["p"] - 1e-12).all()
    assert (holm["p"] <= bonf["p"] + 1e-12).all()
    np.testing.assert_allclose(bonf["p"], np.minimum(1, 6 * raw["p"]))


def test_anova_single_df_equals_t_squared() -> None:
    fit = hs.fit_mixed(panel(), "y ~ arm + wave + (1 | pid)")
    tab = fit.anova()
    fixed = fit.fixed.set_index("term")
    assert list(tab["term"]) == ["arm", "wave"]
    assert tab["F"].iloc[1] == pytest.approx(fixed.loc["wave", "t"] ** 2, rel=1e-8)
    assert tab["den_df"].iloc[1] == pytest.approx(fixed.loc["wave", "df"], rel=1e-8)
