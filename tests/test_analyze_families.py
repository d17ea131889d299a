"""``helpstats analyze`` with GLMM outcomes (``family``, ``[model.derived]``) and MMRMs
(``kind = "mmrm"``): the written tables hold the numbers of a direct fit."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats._analysis_models import parse_condition
from helpstats.errors import StudyError

_FORMULA = 'formula = "{outcome} ~ role * wave + (1 | participant) + (1 | group)"'


def _study(tmp_path: Path, outcomes: str, model: str) -> Path:
    source = Path(hs.datasets.example_study_path())
    shutil.copy(source.parent / "example_study.csv", tmp_path / "example_study.csv")
    text = source.read_text(encoding="utf-8").replace(
        'outcomes = ["phq9_total", "gad7_total"]', f"outcomes = {outcomes}")
    text = text.replace(_FORMULA, model)
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _frame(result: hs.Analysis, outcome: str, columns: list[str]) -> pd.DataFrame:
    data = result.data[columns].copy()
    data["role"] = data["role"].cat.remove_unused_categories().cat.as_unordered()
    data["wave"] = data["wave"].cat.as_unordered()
    return data.dropna().reset_index(drop=True)


@pytest.fixture(scope="module")
def binomial_run(tmp_path_factory: pytest.TempPathFactory) -> hs.Analysis:
    tmp = tmp_path_factory.mktemp("binomial")
    path = _study(tmp, '["remission"]',
                  'formula = "{outcome} ~ role * wave + (1 | participant)"\n'
                  '[model.derived]\nremission = "phq9_total < 5"')
    return hs.analyze(path, tmp / "out", progress=False)


def test_derived_outcome_is_missing_where_the_score_is(binomial_run: hs.Analysis) -> None:
    data = binomial_run.data
    score = data["phq9_total"]
    expected = np.where(score.isna(), np.nan, (score < 5).astype(float))
    np.testing.assert_array_equal(data["remission"].to_numpy(), expected)
    notes = " ".join(binomial_run.validation["problem"].astype(str))
    n_yes = int((score < 5).sum())
    assert f"remission = phq9_total < 5: {n_yes} of {len(data)} observation(s)" in notes
    if score.isna().any():
        assert f"{int(score.isna().sum())} missing" in notes


def test_binomial_outcome_tables_equal_a_direct_glmm(binomial_run: hs.Analysis) -> None:
    result = binomial_run
    data = _frame(result, "remission", ["remission", "age", "role", "wave", "participant"])
    fit = hs.fit_mixed(data, "remission ~ age + role * wave + (1 | participant)",
                       family="binomial")
    stored = result.fits["remission"]
    assert isinstance(stored, hs.GlmmFit)
    assert stored.loglik == pytest.approx(fit.loglik, abs=1e-8)
    model = result.tables["Model remission"]
    fixed = model[model["section"] == "fixed"]
    np.testing.assert_allclose(fixed["estimate"], fit.fixed["estimate"], rtol=1e-8)
    np.testing.assert_allclose(fixed["odds_ratio"], np.exp(fit.fixed["estimate"]), rtol=1e-8)
    np.testing.assert_allclose(fixed["t"], fit.fixed["z"], rtol=1e-8)
    outcome = result.tables["Outcome remission"]
    em = fit.emmeans("role", by="wave", type="response")
    merged = outcome.merge(em, on=["role", "wave"], suffixes=("", "_direct"))
    assert len(merged) == 16
    np.testing.assert_allclose(merged["emmean"], merged["emmean_direct"], rtol=1e-8)
    np.testing.assert_allclose(merged["lower"], merged["lower_direct"], rtol=1e-8)
    # odds ratio helper vs neither at wave 8, from the link-scale contrast
    con = fit.contrasts("role", by="wave", method="trt.vs.ctrl")
    link = con[(con["wave"] == 8) & (con["contrast"] == "helper - neither")].iloc[0]
    row = outcome[(outcome["role"] == "helper") & (outcome["wave"] == 8)].iloc[0]
    assert row["odds_ratio"] == pytest.approx(np.exp(link["estimate"]), rel=1e-8)
    # p and limits adjusted by Holm within each wave over the comparisons with "neither"
    # (the tables' stated default; the limits as emmeans adjusts them, Bonferroni's)
    holm = fit.contrasts("role", by="wave", method="trt.vs.ctrl", adjust="holm")
    held = holm[(holm["wave"] == 8) & (holm["contrast"] == "helper - neither")].iloc[0]
    assert row["odds_ratio_p"] == pytest.approx(held["p"], rel=1e-8)
    assert row["odds_ratio_lower"] == pytest.approx(np.exp(held["lower"]), rel=1e-8)
    assert held["p"] > link["p"] and held["lower"] < link["estimate"] - 1.96 * link["se"]
    assert row["comparison"] == "helper / neither"
    # the observed proportion is the mean of the 0/1 outcome in that cell
    cell = data[(data["role"] == "helper") & (data["wave"] == 8)]["remission"]
    assert row["proportion"] == pytest.approx(cell.mean()) and row["n"] == len(cell)


def test_binomial_methods_name_the_approximation(binomial_run: hs.Analysis) -> None:
    report = (binomial_run.output_dir / "report.html").read_text(encoding="utf-8")
    assert "Laplace approximation" in report and "odds ratios" in report
    assert "remission (phq9_total &lt; 5" in report
    written = (binomial_run.output_dir / "tables.md").read_text(encoding="utf-8")
    assert "odds_ratio" in written


def test_mmrm_tables_equal_a_direct_fit(tmp_path: Path) -> None:
    path = _study(tmp_path, '["phq9_total"]', 'kind = "mmrm"\ncovariance = "us"')
    result = hs.analyze(path, tmp_path / "out", progress=False)
    assert result.study.formula_for("phq9_total") == "phq9_total ~ age + role * wave"
    data = _frame(result, "phq9_total", ["phq9_total", "age", "role", "wave", "participant"])
    fit = hs.fit_mmrm(data, "phq9_total ~ age + role * wave", subject="participant",
                      visit="wave", covariance="us")
    assert result.fits["phq9_total"].loglik == pytest.approx(fit.loglik, abs=1e-6)
    model = result.tables["Model phq9_total"]
    fixed = model[model["section"] == "fixed"]
    np.testing.assert_allclose(fixed["estimate"], fit.fixed["estimate"], rtol=1e-6)
    np.testing.assert_allclose(fixed["df"], fit.fixed["df"], rtol=1e-5)
    random = model[model["section"] == "random"]
    assert len(random) == 10  # 4 variances and 6 covariances of the unstructured matrix
    cov = fit.covariance
    assert random.iloc[0]["estimate"] == pytest.approx(cov.iloc[0, 0], rel=1e-6)
    outcome = result.tables["Outcome phq9_total"]
    con = fit.contrasts("role", by="wave")
    hit = con[(con["wave"] == 8) & (con["contrast"] == "neither - helper")].iloc[0]
    row = outcome[(outcome["role"] == "helper") & (outcome["wave"] == 8)].iloc[0]
    assert row["diff"] == pytest.approx(-hit["estimate"], rel=1e-6)
    assert row["diff_df"] == pytest.approx(hit["df"], rel=1e-5)  # Kenward-Roger
    assert "Kenward-Roger" in outcome.attrs["notes"]
    report = (result.output_dir / "report.html").read_text(encoding="utf-8")
    assert "repeated measures" in report and "unstructured" in report
    assert "missing at random" in report


@pytest.mark.parametrize("model, key", [
    ('kind = "mmrm"\ncovariance = "banana"', "model.covariance"),
    ('covariance = "us"', "model.covariance"),
    ('family = "gamma"', "model.family"),
    ('family = { gad7 = "poisson" }', "model.family"),
    ('nagq = 40', "model.nagq"),
    ('[model.derived]\nremission = "open(phq9_total)"', "model.derived.remission"),
    ('[model.derived]\nremission = "phq9_total + 1"', "model.derived.remission"),
    ('kind = "mmrm"\n[model.derived]\nremission = "phq9_total < 5"', "model.kind"),
])
def test_model_key_mistakes_name_the_key(tmp_path: Path, model: str, key: str) -> None:
    outcomes = '["remission"]' if "remission" in model and "mmrm" in model else '["phq9_total"]'
    with pytest.raises(StudyError, match=f"key '{key}'"):
        hs.load_study(_study(tmp_path, outcomes, model))


def test_conditions_use_three_valued_logic() -> None:
    frame = pd.DataFrame({"a": [1.0, 6.0, np.nan, np.nan], "b": [9.0, 2.0, 9.0, 2.0],
                          "band": pd.Categorical(["mild", "severe", None, "none"],
                                                 categories=["none", "mild", "severe"],
                                                 ordered=True)})
    got = parse_condition("a < 5 or b >= 8").evaluate(frame).tolist()
    assert got[:3] == [1.0, 0.0, 1.0] and np.isnan(got[3])  # NA or True = True
    got = parse_condition("a < 5 and b >= 8").evaluate(frame).tolist()
    assert got[:2] == [1.0, 0.0] and np.isnan(got[2]) and got[3] == 0.0  # NA and False
    got = parse_condition("band >= 'mild'").evaluate(frame).tolist()
    assert got[:2] == [1.0, 1.0] and np.isnan(got[2]) and got[3] == 0.0
    got = parse_condition("band in ['none', 'severe']").evaluate(frame).tolist()
    assert got[:2] == [0.0, 1.0] and np.isnan(got[2]) and got[3] == 1.0
    assert parse_condition("not a > -1").evaluate(frame).tolist()[:2] == [0.0, 0.0]


def test_a_derived_outcome_reading_an_unknown_column_names_the_key(tmp_path: Path) -> None:
    path = _study(tmp_path, '["remission"]',
                  'formula = "{outcome} ~ role * wave + (1 | participant)"\n'
                  '[model.derived]\nremission = "phq8_total < 5"')
    with pytest.raises(StudyError, match="model.derived.remission.*phq8_total"):
        hs.analyze(path, tmp_path / "out", progress=False)


def test_outcome_table_of_a_glmm_fit_is_on_the_response_scale(binomial_run) -> None:
    fit = binomial_run.fits["remission"]
    table = hs.outcome_table(fit, by="role", wave="wave", adjust="holm")
    assert table.attrs["kind"] == "glmm_outcome" and table.attrs["effect"] == "odds_ratio"
    em = fit.emmeans("role", by="wave", type="response")
    np.testing.assert_allclose(np.sort(table["emmean"]), np.sort(em["emmean"]), rtol=1e-12)
    con = fit.contrasts("role", by="wave", method="trt.vs.ctrl", type="response",
                        adjust="holm")
    got = table.dropna(subset=["odds_ratio"]).sort_values(["wave", "role"])
    want = con.assign(role=con["contrast"].str.split(" / ").str[0]).sort_values(
        ["wave", "role"])
    np.testing.assert_allclose(got["odds_ratio_p"], want["p"], rtol=1e-12)
    np.testing.assert_allclose(got["odds_ratio_upper"], want["upper"], rtol=1e-12)
    with pytest.raises(hs.errors.TableError, match="standardised"):
        hs.outcome_table(fit, by="role", wave="wave", standardiser="sigma")


def test_plot_trajectories_draws_a_glmm_on_the_response_scale() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(3)
    n = 150
    d = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "wave": np.tile([0, 1, 2], n),
                      "arm": np.repeat(rng.choice(["usual", "peer"], n), 3)})
    eta = -0.5 + 0.6 * d["wave"] * (d["arm"] == "peer") + rng.normal(size=n)[d["id"]]
    d["case"] = (rng.random(len(d)) < 1 / (1 + np.exp(-eta))).astype(int)
    d["wave"] = pd.Categorical(d["wave"])
    fit = hs.fit_mixed(d, "case ~ arm * wave + (1 | id)", family="binomial")
    ax = hs.plot_trajectories(fit, by="arm", wave="wave", data=d, level=0.9)
    em = fit.emmeans("arm", by="wave", type="response", level=0.9)
    drawn = np.concatenate([np.asarray(line.get_ydata(), dtype=float)
                            for line in ax.get_lines()])
    for p in em["emmean"]:  # every model mean is drawn, as a probability (not log odds)
        assert np.min(np.abs(drawn - p)) < 1e-12
    assert 0 < em["emmean"].min() and em["emmean"].max() < 1
    plt.close(ax.get_figure(root=True))


def test_every_family_notes_averaging_over_an_interacting_factor() -> None:
    rng = np.random.default_rng(8)
    n = 120
    d = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "wave": np.tile(["0", "1", "2"], n),
                      "arm": np.repeat(rng.choice(["usual", "peer"], n), 3)})
    d["y"] = rng.normal(size=len(d)) + (d["arm"] == "peer") * (d["wave"] == "2")
    d["case"] = (d["y"] > 0.3).astype(int)
    fits = [hs.fit_mixed(d, "y ~ arm * wave + (1 | id)"),
            hs.fit_mixed(d, "case ~ arm * wave + (1 | id)", family="binomial"),
            hs.fit_mmrm(d, "y ~ arm * wave", subject="id", visit="wave")]
    for fit in fits:
        for table in (fit.emmeans("arm"), fit.contrasts("arm")):
            assert table.attrs["note"] == ("Results may be misleading due to involvement in "
                                           "interactions (averaged over wave).")
        assert "note" not in fit.emmeans("arm", by="wave").attrs
