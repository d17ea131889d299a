"""Result objects in notebooks: short repr, escaped HTML, summary objects, CI columns (issue 15)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import helpstats as hs
from helpstats._display import Summary
from helpstats.errors import ModelError
from helpstats.io import Export, Source
from helpstats.models._summary import summary_text


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    d = pd.DataFrame({"id": np.repeat(np.arange(40), 3), "wave": np.tile([0.0, 1, 2], 40)})
    d["arm <peer>"] = np.where(d["id"] % 2 == 0, "peer", "usual & co")
    u = rng.normal(0, 1.5, 40)[d["id"]]
    d["y"] = u - 0.6 * d["wave"] * (d["arm <peer>"] == "peer") + rng.normal(size=120)
    d["event"] = (rng.uniform(size=120) < 1 / (1 + np.exp(-(u / 2 + 0.3 * d["wave"])))).astype(int)
    d["visit"] = d["wave"].map({0.0: "v0", 1.0: "v1", 2.0: "v2"})
    return d


@pytest.fixture(scope="module")
def fit(trial: pd.DataFrame) -> hs.MixedFit:
    return hs.fit_mixed(trial, "y ~ `arm <peer>` * wave + (1 | id)")


def _short(text: str, fit: object) -> None:
    assert len(text.splitlines()) <= 6
    assert "array(" not in text and "DataFrame" not in text and "problem=" not in text
    assert len(text) < 700


def test_mixed_repr_is_short_and_names_the_model(fit: hs.MixedFit) -> None:
    text = repr(fit)
    _short(text, fit)
    assert text.splitlines()[0] == "MixedFit: linear mixed model (REML, Satterthwaite df)"
    assert fit.formula in text and "120 observations; groups: id 40" in text
    assert f"logLik {fit.loglik:.2f}" in text and "converged" in text


def test_mixed_html_is_escaped_and_holds_the_tables(fit: hs.MixedFit) -> None:
    page = fit._repr_html_()
    assert "<peer>" not in page and "&lt;peer&gt;" in page
    assert "usual &amp; co" in page and "usual & co" not in page
    assert page.count("<table") == 2  # fixed effects and variance components
    assert "Satterthwaite" in page


def test_summary_is_a_str_with_the_same_text_and_its_tables(fit: hs.MixedFit) -> None:
    summary = fit.summary()
    assert isinstance(summary, Summary) and isinstance(summary, str)
    assert str(summary) == summary_text(fit) == str(fit)
    assert repr(summary) == str(summary)  # the REPL shows the text, not a quoted string
    pd.testing.assert_frame_equal(summary.fixed, fit.fixed)
    pd.testing.assert_frame_equal(summary.varcorr, fit.varcorr)
    assert "<pre>" in summary._repr_html_() and "&lt;peer&gt;" in summary._repr_html_()
    with pytest.raises(AttributeError, match="no table 'anova'"):
        summary.anova  # noqa: B018
    again = pickle.loads(pickle.dumps(summary))
    assert str(again) == str(summary) and list(again.tables) == ["fixed", "varcorr"]


def test_fixed_has_satterthwaite_t_limits_equal_to_confint(fit: hs.MixedFit) -> None:
    fx = fit.fixed
    assert list(fx.columns) == ["term", "estimate", "se", "df", "t", "p", "lower", "upper"]
    half = stats.t.ppf(0.975, fx["df"]) * fx["se"]
    np.testing.assert_allclose(fx["lower"], fx["estimate"] - half, rtol=1e-12)
    np.testing.assert_allclose(fx["upper"], fx["estimate"] + half, rtol=1e-12)
    ci = fit.confint()
    np.testing.assert_allclose(ci[["lower", "upper"]], fx[["lower", "upper"]], rtol=1e-12)
    kr = fit.fixed_table(df="kenward-roger", level=0.9)
    half_kr = stats.t.ppf(0.95, kr["df"]) * kr["se"]
    np.testing.assert_allclose(kr["upper"] - kr["estimate"], half_kr, rtol=1e-10)
    # Satterthwaite df are not all infinite here: the t limits are wider than z limits
    assert bool((half > stats.norm.ppf(0.975) * fx["se"]).all())


def test_model_table_still_reads_fixed(fit: hs.MixedFit) -> None:
    table = hs.model_table(fit)
    fixed_rows = table[table["section"] == "fixed"]
    np.testing.assert_allclose(fixed_rows["lower"], fit.fixed["lower"], rtol=1e-10)


def test_glmm_display_and_z_limits(trial: pd.DataFrame) -> None:
    glmm = hs.fit_glmm(trial, "event ~ wave + (1 | id)", family="binomial")
    text = repr(glmm)
    _short(text, glmm)
    assert text.startswith("GlmmFit: generalized linear mixed model (binomial")
    fx = glmm.fixed
    assert list(fx.columns) == ["term", "estimate", "se", "z", "p", "lower", "upper"]
    np.testing.assert_allclose(fx["upper"] - fx["estimate"], 1.959963984540054 * fx["se"],
                               rtol=1e-12)
    np.testing.assert_allclose(glmm.confint()[["lower", "upper"]], fx[["lower", "upper"]])
    summary = glmm.summary()
    assert "Laplace Approximation" in summary and isinstance(summary, str)
    assert str(summary).splitlines()[0].startswith("Generalized linear mixed model")
    pd.testing.assert_frame_equal(summary.fixed, fx)
    assert glmm._repr_html_().count("<table") == 2


def test_mmrm_display_and_t_limits(trial: pd.DataFrame) -> None:
    mmrm = hs.fit_mmrm(trial, "y ~ `arm <peer>` * visit", subject="id", visit="visit")
    text = repr(mmrm)
    _short(text, mmrm)
    assert text.startswith("MmrmFit: mixed model for repeated measures (us covariance")
    fx = mmrm.fixed
    half = stats.t.ppf(0.975, fx["df"]) * fx["se"]
    np.testing.assert_allclose(fx["upper"], fx["estimate"] + half, rtol=1e-12)
    np.testing.assert_allclose(mmrm.confint()[["lower", "upper"]], fx[["lower", "upper"]])
    summary = mmrm.summary()
    assert "Coefficients:" in summary and "lower" not in summary  # the printed table is unchanged
    assert "&lt;peer&gt;" in mmrm._repr_html_()


def test_pooled_fit_display() -> None:
    pairs = [(pd.Series({"a": 1.0 + d, "b <x>": 2.0 - d}), np.diag([0.04, 0.09]))
             for d in (0.0, 0.1, -0.05)]
    pooled = hs.pool(pairs, dfcom=50)
    text = repr(pooled)
    assert text.splitlines()[0] == ("PooledFit: 2 coefficients pooled over m=3 imputations "
                                    "(Rubin's rules, Barnard-Rubin df)")
    assert "complete-data df: given" in text
    summary = pooled.summary()
    pd.testing.assert_frame_equal(summary.fixed, pooled.fixed)
    assert "1.0167" in summary
    assert "&lt;x&gt;" in pooled._repr_html_()


def test_export_repr_does_not_print_the_frame() -> None:
    data = pd.DataFrame({f"Q{i}": np.arange(500) * 1000 + i for i in range(20)})
    src = Source(path="big <survey>.csv", sheet=None, encoding="utf-8", delimiter=",",
                 rows_read=500, header_rows=1)
    export = Export(data=data, format="csv", source=src, questions={"Q1": "How <often>?"})
    text = repr(export)
    assert text.splitlines()[0] == "Export (csv): 500 rows x 20 columns from big <survey>.csv"
    assert "12 more" in text and "499" not in text and len(text.splitlines()) <= 5
    page = export._repr_html_()
    assert "&lt;survey&gt;" in page and "<survey>" not in page
    assert page.count("<tr>") <= 7  # header and the first 5 rows only


@pytest.mark.parametrize("call", ["fit_mixed", "fit_glmm", "fit_mmrm"])
def test_swapped_formula_and_data_say_swap_them(trial: pd.DataFrame, call: str) -> None:
    formula = {"fit_mixed": "y ~ wave + (1 | id)", "fit_glmm": "event ~ wave + (1 | id)",
               "fit_mmrm": "y ~ visit"}[call]
    kwargs = {"fit_glmm": {"family": "binomial"},
              "fit_mmrm": {"subject": "id", "visit": "visit"}}.get(call, {})
    with pytest.raises(ModelError) as caught:
        getattr(hs, call)(formula, trial, **kwargs)
    message = str(caught.value)
    assert message.startswith(f"{call}(data, formula): the first argument is the data frame; "
                              "you passed the formula first -- swap them")
    assert "usual & co" not in message and len(message) < 300  # no DataFrame printed


def test_non_frame_data_and_non_string_formula_are_named(trial: pd.DataFrame) -> None:
    with pytest.raises(ModelError, match="data must be a pandas DataFrame, got dict"):
        hs.fit_mixed({"y": [1.0]}, "y ~ 1 + (1 | g)")
    with pytest.raises(ModelError, match="formula must be a string .* got int"):
        hs.fit_mixed(trial, 3)
    with pytest.raises(ModelError, match="swap them"):
        hs.fit_mixed("y ~ wave + (1 | id)", trial, family="binomial")


def test_role_transitions_and_mediation_reprs_are_short() -> None:
    d = pd.DataFrame({"id": np.repeat([1, 2, 3], 2), "wave": [0, 1] * 3,
                      "role": ["dual", "dual", "helper", "neither", "helpee", "helpee"]})
    transitions = hs.role_transitions(d, id="id", wave="wave")
    text = repr(transitions)
    assert text.splitlines()[0] == ("RoleTransitions: 3 wave-to-wave transitions "
                                    "(0 rows without a next wave)")
    assert "2 stayed in their role (67% of transitions)" in text  # dual->dual, helpee->helpee
    assert "<table" in transitions._repr_html_()
    rng = np.random.default_rng(1)
    m = pd.DataFrame({"x": rng.integers(0, 2, 80).astype(float)})
    m["med"] = 0.5 * m["x"] + rng.normal(size=80)
    m["y"] = 0.5 * m["med"] + rng.normal(size=80)
    result = hs.mediate(m, "x", "med", "y", n_boot=40, seed=2, progress=False)
    text = repr(result)
    assert text.startswith("MediationResult: x -> med -> y (single-level)")
    assert f"indirect effect {result.table.loc['indirect', 'estimate']:.4g}" in text
    assert "boot=" not in text and len(text.splitlines()) <= 5


def test_instrument_repr_is_three_lines() -> None:
    inst = hs.load_instrument("phq9")
    text = repr(inst)
    assert text.splitlines() == [
        "Instrument phq9 (PHQ-9, version 1.0.0): Patient Health Questionnaire-9",
        "  9 scored items; scales: total",
        "  licence: public_domain; scoring key: verified"]
    assert "Kroenke" in inst._repr_html_() and "ResponseSet" not in inst._repr_html_()
