"""The result protocol, weights and offsets, the level= rule, the df= dispatch and the
input checks of issue 9 (constant outcome, duplicated column names)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import helpstats as hs
from helpstats.errors import ModelError
from helpstats.models import ModelResult
from helpstats.models._protocol import linear_estimate


def panel(seed: int = 0, n: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pid = np.repeat(np.arange(n), 4)
    wave = np.tile(np.arange(4.0), n)
    arm = np.where(np.arange(n) % 2 == 0, "usual", "peer")[pid]
    y = 10 + rng.normal(0, 2, n)[pid] + 0.5 * wave - 0.7 * wave * (arm == "peer")
    return pd.DataFrame({"y": y + rng.normal(0, 1, 4 * n), "wave": wave, "arm": arm,
                         "pid": [f"p{i}" for i in pid], "w": 0.5 + (pid % 3) / 2,
                         "size": 1.0 + pid % 5})


def close(a: Any, b: Any, tol: float = 1e-7) -> None:
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=tol, atol=tol)


# ------------------------------------------------------------------ protocol
def test_mixed_fit_implements_the_protocol_with_public_fields() -> None:
    fit = hs.fit_mixed(panel(), "y ~ arm * wave + (1 | pid)")
    assert isinstance(fit, ModelResult)
    assert fit.coef_columns == (0, 1, 2, 3)
    assert fit.spec.columns == tuple(fit.coef.index)
    assert fit.spec.column_terms == ("(Intercept)", "arm", "wave", "arm:wave")
    est, se, df = linear_estimate(fit, np.array([0.0, 0, 0, 1]))
    row = fit.fixed.iloc[3]
    close([est, se, df], [row["estimate"], row["se"], row["df"]], 1e-12)


def test_dropped_collinear_column_is_not_estimable() -> None:
    d = panel().assign(wave2=lambda x: 2 * x["wave"])
    with pytest.warns(UserWarning, match="rank deficient"):
        fit = hs.fit_mixed(d, "y ~ wave + wave2 + (1 | pid)")
    assert fit.dropped_columns == ("wave2",) and fit.coef_columns == (0, 1)
    est, se, df = linear_estimate(fit, np.array([0.0, 0, 1]))
    assert np.isnan(est) and np.isnan(se) and np.isnan(df)
    # wave + 2 wave2 is estimable: the reduced model's wave coefficient
    est, se, _ = linear_estimate(fit, np.array([0.0, 1, 2]))
    close([est, se], [fit.coef["wave"], fit.fixed["se"][1]], 1e-12)


# ------------------------------------------------------------------ weights, offsets
def test_constant_weights_reparametrise_the_same_model() -> None:
    d = panel(1)
    plain = hs.fit_mixed(d, "y ~ arm * wave + (1 + wave | pid)")
    for reml in (True, False):
        plain = hs.fit_mixed(d, "y ~ arm * wave + (1 + wave | pid)", reml=reml)
        heavy = hs.fit_mixed(d, "y ~ arm * wave + (1 + wave | pid)", reml=reml,
                             weights=np.full(len(d), 4.0))
        # V = sigma^2 (Z L L'Z' + I/4): the same family, so the same optimum
        close(heavy.loglik, plain.loglik, 1e-6)
        close(heavy.coef, plain.coef, 1e-5)
        close(heavy.fixed["se"], plain.fixed["se"], 1e-4)
        close(heavy.sigma, 2 * plain.sigma, 1e-5)


def test_weights_by_column_or_array_agree_and_are_checked() -> None:
    d = panel(2)
    a = hs.fit_mixed(d, "y ~ wave + (1 | pid)", weights="w")
    b = hs.fit_mixed(d, "y ~ wave + (1 | pid)", weights=d["w"].to_numpy())
    close(a.loglik, b.loglik, 1e-10)
    assert a.spec.weights == "w" and b.spec.weights == "(weights)"
    close(a.weights, d["w"], 1e-12)
    assert "(weights)" in b.data.columns and "w" in a.spec.variables
    with pytest.raises(ModelError, match="positive"):
        hs.fit_mixed(d.assign(w=0.0), "y ~ wave + (1 | pid)", weights="w")
    with pytest.raises(ModelError, match="one weight per row"):
        hs.fit_mixed(d, "y ~ wave + (1 | pid)", weights=[1.0, 2.0])
    with pytest.raises(ModelError, match="not a column"):
        hs.fit_mixed(d, "y ~ wave + (1 | pid)", weights="nope")
    missing = d.assign(w=d["w"].where(d.index != 3))
    fit = hs.fit_mixed(missing, "y ~ wave + (1 | pid)", weights="w")
    assert fit.n_dropped == 1 and fit.nobs == len(d) - 1


def test_offset_equals_subtracting_it_from_the_outcome() -> None:
    d = panel(3).assign(lsize=lambda x: np.log(x["size"]))
    off = hs.fit_mixed(d, "y ~ arm * wave + offset(2 * log(size)) + (1 | pid)")
    sub = hs.fit_mixed(d.assign(y=d["y"] - 2 * d["lsize"]), "y ~ arm * wave + (1 | pid)")
    close(off.coef, sub.coef, 1e-8)
    close(off.loglik, sub.loglik, 1e-8)
    assert off.spec.offset == ("2 * log(size)",) and "size" in off.spec.fixed_variables
    close(off.fitted() - 2 * d["lsize"], sub.fitted(), 1e-8)
    # emmeans adds the mean offset, as R's emmeans; contrasts cancel it
    shift = float(np.mean(2 * d["lsize"]))
    close(off.emmeans("arm")["emmean"], sub.emmeans("arm")["emmean"] + shift, 1e-8)
    close(off.contrasts("arm")["estimate"], sub.contrasts("arm")["estimate"], 1e-8)


# ------------------------------------------------------------------ the level rule
def test_level_sets_every_interval_and_its_label() -> None:
    fit = hs.fit_mixed(panel(4), "y ~ arm * wave + (1 | pid)")
    em80 = fit.emmeans("arm", level=0.8)
    q = stats.t.ppf(0.9, em80["df"])
    close(em80["upper"] - em80["emmean"], q * em80["se"], 1e-10)
    assert em80.attrs["level"] == 0.8
    con = fit.contrasts("arm", level=0.9)
    close(con["upper"] - con["estimate"], stats.t.ppf(0.95, con["df"]) * con["se"], 1e-10)
    ci = fit.confint(level=0.99)
    close(ci["upper"] - ci["estimate"], stats.t.ppf(0.995, ci["df"]) * ci["se"], 1e-10)
    with pytest.raises(ValueError, match="between 0 and 1"):
        fit.emmeans("arm", level=95)


def test_outcome_table_limits_follow_its_level() -> None:
    d = panel(5).assign(wave=lambda x: pd.Categorical(x["wave"].astype(int)))
    fit = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)")
    t80 = hs.outcome_table(fit, by="arm", wave="wave", level=0.8)
    em = fit.emmeans("arm", by="wave", level=0.8)
    merged = t80.merge(em, on=["arm", "wave"], suffixes=("", "_em"))
    close(merged["lower"], merged["lower_em"], 1e-10)
    close(t80["diff_upper"] - t80["diff"], stats.t.ppf(0.9, t80["diff_df"]) * t80["diff_se"],
          1e-10)
    assert "80% CI" in t80.attrs["notes"]
    formatted = hs.format_table(t80)
    assert any("80% CI" in str(c) for c in formatted.columns)


def test_outcome_table_of_a_transformed_response() -> None:
    d = panel(6).assign(wave=lambda x: pd.Categorical(x["wave"].astype(int)))
    fit = hs.fit_mixed(d, "log(y) ~ arm * wave + (1 | pid)")
    t = hs.outcome_table(fit, by="arm", wave="wave")
    assert t.attrs["outcome"] == "log(y)"
    first = t.iloc[0]
    obs = np.log(d.loc[(d["arm"] == first["arm"]) & (d["wave"] == first["wave"]), "y"])
    close(first["mean"], obs.mean(), 1e-12)


# ------------------------------------------------------------------ df dispatch
class _FakeKR:
    """Stands in for the engine's Kenward-Roger methods, to check the dispatch by name."""

    def __init__(self, base: Any) -> None:
        self.base = base
        self.vcov_beta = base.vcov_beta
        self.vcov_kr = 2.0 * base.vcov_beta

    def df(self, c: np.ndarray) -> float:
        return float(self.base.df(c))

    def df_kr(self, c: np.ndarray) -> float:
        return 7.0

    def contest(self, L: np.ndarray, beta: np.ndarray) -> tuple[int, float, float]:
        return self.base.contest(L, beta)  # type: ignore[no-any-return]

    def contest_kr(self, L: np.ndarray, beta: np.ndarray) -> tuple[int, float, float]:
        return L.shape[0], 7.0, 1.0


def test_df_method_dispatches_to_kenward_roger_by_name() -> None:
    d = panel(7)
    fit = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)", df="kenward-roger")
    fake = _FakeKR(fit._inference)
    object.__setattr__(fit, "__dict__", {**fit.__dict__, "_inference": fake})
    assert fit.df_method == "kenward-roger"
    tab = fit.fixed
    close(tab["df"], 7.0, 0)
    close(tab["se"], np.sqrt(2 * np.diag(fake.base.vcov_beta)), 1e-12)
    assert set(fit.anova()["den_df"]) == {7.0}
    close(fit.emmeans("arm")["df"], 7.0, 0)
    close(fit.contrasts("arm")["df"], 7.0, 0)
    close(fit.confint()["df"], 7.0, 0)
    # each method's df= overrides the fit's default
    sat = fit.fixed_table(df="satterthwaite")
    assert not np.allclose(sat["df"], 7.0)
    assert not np.allclose(fit.emmeans("arm", df="satterthwaite")["df"], 7.0)
    assert not np.allclose(fit.anova(df="satterthwaite")["den_df"], 7.0)


def test_df_method_names_are_checked() -> None:
    with pytest.raises(ModelError, match="not a df method"):
        hs.fit_mixed(panel(), "y ~ wave + (1 | pid)", df="containment")
    fit = hs.fit_mixed(panel(), "y ~ wave + (1 | pid)")
    bare = type("Bare", (), {"vcov_beta": fit._inference.vcov_beta})()
    object.__setattr__(fit, "__dict__", {**fit.__dict__, "_inference": bare})
    with pytest.raises(ModelError, match="Kenward-Roger df need"):
        fit.fixed_table(df="KR")


# ------------------------------------------------------------------ issue 9
def test_constant_outcome_is_a_model_error() -> None:
    d = panel().assign(y=3.0)
    with pytest.raises(ModelError, match="does not vary"):
        hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)")


def test_duplicate_column_names_are_a_model_error() -> None:
    d = panel()
    dup = pd.concat([d, d[["wave"]]], axis=1)
    with pytest.raises(ModelError, match="more than one column named \\['wave'\\]"):
        hs.fit_mixed(dup, "y ~ wave + (1 | pid)")
    unused = pd.concat([d, d[["size"]]], axis=1)  # a duplicate the model does not use
    assert hs.fit_mixed(unused, "y ~ wave + (1 | pid)").nobs == len(d)


# ------------------------------------------------------------------ row order, index labels
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), duplicate=st.booleans())
def test_results_do_not_depend_on_row_order_or_index_labels(seed: int, duplicate: bool) -> None:
    d = panel(11)
    formula = "log(y) ~ relevel(arm, 'usual') * poly(wave, 2) + scale(size) + (1 | pid)"
    base = hs.fit_mixed(d, formula, weights="w")
    rng = np.random.default_rng(seed)
    shuffled = d.iloc[rng.permutation(len(d))]
    shuffled.index = (np.zeros(len(d), dtype=int) if duplicate
                      else rng.permutation(len(d)) * 7 - 3)
    other = hs.fit_mixed(shuffled, formula, weights="w")
    close(other.loglik, base.loglik, 1e-8)
    # theta is found to BOBYQA's tolerance, so estimates agree to about 1e-6
    close(other.fixed[["estimate", "se"]], base.fixed[["estimate", "se"]], 1e-5)
    # df come from finite differences of the deviance, whose rounding depends on the row
    # order at about 1e-4 (the engine's analytic derivatives remove it)
    close(other.fixed["df"], base.fixed["df"], 1e-3)
    close(other.varcorr["vcov"], base.varcorr["vcov"], 1e-5)
    close(other.emmeans("arm")[["emmean", "se"]], base.emmeans("arm")[["emmean", "se"]], 1e-5)
    close(other.anova()["F"], base.anova()["F"], 1e-5)
    assert other.spec.transforms[0].params["alpha"] == pytest.approx(
        base.spec.transforms[0].params["alpha"], rel=1e-12)


def test_plot_and_model_table_name_the_level_used() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = panel(8).assign(wave=lambda x: pd.Categorical(x["wave"].astype(int)))
    fit = hs.fit_mixed(d, "y ~ arm * wave + (1 | pid)")
    ax = hs.plot_trajectories(fit, by="arm", wave="wave", level=0.8)
    assert "80% CI" in ax.get_ylabel()
    em = fit.emmeans("arm", by="wave", level=0.8)
    first = em[em["arm"] == ax.get_legend_handles_labels()[1][0]]
    caps = [line.get_ydata() for line in ax.lines if len(line.get_ydata()) == len(first)]
    assert any(np.allclose(np.sort(c), np.sort(first["upper"])) for c in caps)
    plt.close(ax.get_figure(root=True))
    table = hs.model_table(fit, level=0.8)
    assert "80% CI" in table.attrs["notes"]
    fixed = table[table["section"] == "fixed"]
    close(fixed["upper"] - fixed["estimate"], stats.t.ppf(0.9, fixed["df"]) * fixed["se"], 1e-10)
