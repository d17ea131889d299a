"""Tables and plots from a real hs.fit_mixed fit of BtheB, checked against R."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import pytest

import helpstats as hs

matplotlib.use("Agg")

# the engine matches lme4 to about 1e-6 relative on this model; tables add no error
TOL = 1e-5


@pytest.fixture(scope="module")
def fitted(btheb_data: pd.DataFrame) -> tuple[Any, pd.DataFrame]:
    data = btheb_data.assign(
        treatment=pd.Categorical(btheb_data["treatment"], ["TAU", "BtheB"]),
        wave=pd.Categorical(btheb_data["wave"].astype(str), ["2", "3", "5", "8"]),
    )
    return hs.fit_mixed(data, "bdi ~ bdi_pre + treatment * wave + (1 | subject)"), data


def test_model_table_from_fit(fitted: tuple[Any, pd.DataFrame],
                              btheb_expected: dict[str, Any]) -> None:
    fit, _ = fitted
    t = hs.model_table(fit)
    fixed = t[t["section"] == "fixed"].set_index("term")
    for r in btheb_expected["fixed"]:
        for col in ["estimate", "se", "df", "p"]:
            assert fixed.loc[r["term"], col] == pytest.approx(r[col], rel=TOL)
    random = t[t["section"] == "random"]
    assert random["estimate"].tolist() == pytest.approx([53.1115143907946, 25.2896529239207],
                                                        rel=TOL)
    assert t.attrs["nobs"] == 280 and t.attrs["ngroups"] == {"subject": 97}


def test_outcome_table_from_fit(fitted: tuple[Any, pd.DataFrame],
                                btheb_expected: dict[str, Any]) -> None:
    fit, data = fitted
    t = hs.outcome_table(fit, by="treatment", wave="wave", data=data, adjust="holm")
    rows = {(str(r["treatment"]), str(r["wave"])): r for _, r in t.iterrows()}
    spec = btheb_expected["emmeans"][0]
    for r in spec["table"]:
        got = rows[(r["treatment"], r["wave"])]
        for mine, theirs in [("emmean", "emmean"), ("se", "SE"), ("lower", "lower.CL"),
                             ("upper", "upper.CL")]:
            assert got[mine] == pytest.approx(r[theirs], rel=TOL)
    for r in spec["pairs"]:  # two arms: holm leaves p unchanged
        got = rows[("BtheB", r["wave"])]
        assert got["diff"] == pytest.approx(-r["estimate"], rel=TOL)
        assert got["diff_df"] == pytest.approx(r["df"], rel=TOL)
        assert got["diff_p"] == pytest.approx(r["p.value"], rel=TOL)
    fixed = {r["term"]: r["estimate"] for r in btheb_expected["fixed"]}
    for w in ["3", "5", "8"]:
        assert rows[("TAU", w)]["change"] == pytest.approx(fixed[f"wave{w}"], rel=TOL)
        both = fixed[f"wave{w}"] + fixed[f"treatmentBtheB:wave{w}"]
        assert rows[("BtheB", w)]["change"] == pytest.approx(both, rel=TOL)
        assert rows[("BtheB", w)]["change_lower"] < both < rows[("BtheB", w)]["change_upper"]
    assert set(t["adjust"]) == {"holm"}


def test_plot_and_write_from_fit(tmp_path: Path, fitted: tuple[Any, pd.DataFrame]) -> None:
    fit, data = fitted
    ax = hs.plot_trajectories(fit, by="treatment", wave="wave", data=data)
    assert ax.get_legend_handles_labels()[1] == ["TAU", "BtheB"]
    ax.figure.savefig(tmp_path / "fit.png", dpi=50)
    assert (tmp_path / "fit.png").read_bytes()[:4] == b"\x89PNG"
    out = hs.write_tables({"Model": hs.model_table(fit),
                           "Outcomes": hs.outcome_table(fit, by="treatment", wave="wave",
                                                        data=data)}, tmp_path / "t.md")
    text = out.read_text()
    assert "| Treatment: BtheB |" in text and "### Type III tests" in text
    assert "| Treatment × Wave | 3 |" in text


def test_single_line_from_fit(fitted: tuple[Any, pd.DataFrame]) -> None:
    fit, data = fitted
    ax = hs.plot_trajectories(fit, by="wave", wave="wave", data=data)
    model_line = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"][0]
    expected = fit.emmeans("wave")["emmean"].tolist()
    assert model_line.get_ydata().tolist() == pytest.approx(expected)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Model-based mean with 95% CI", "Observed mean"]


def test_contrast_label_names_the_fits_contrasts(fitted: tuple[Any, pd.DataFrame]) -> None:
    # the tables find comparisons by contrast_label; it must spell the engine's labels
    from helpstats.models import contrast_label

    fit, _ = fitted
    waves = fit.contrasts("wave", by="treatment")["contrast"].unique().tolist()
    assert waves[:3] == [contrast_label("wave", ["2", "3", "5", "8"], "2", w)
                         for w in ["3", "5", "8"]] == ["wave2 - wave3", "wave2 - wave5",
                                                       "wave2 - wave8"]
    arms = fit.contrasts("treatment", by="wave")["contrast"].unique().tolist()
    assert arms == [contrast_label("treatment", ["TAU", "BtheB"], "TAU", "BtheB")]
    assert arms == ["TAU - BtheB"]
    with pytest.raises(hs.errors.ModelError, match="not among the levels"):
        contrast_label("wave", ["2", "3"], "2", "9")


def test_outcome_table_refuses_a_numeric_time(btheb_data: pd.DataFrame) -> None:
    data = btheb_data.assign(wave=btheb_data["wave"].astype(float))
    fit = hs.fit_mixed(data, "bdi ~ bdi_pre + treatment * wave + (1 | subject)")
    with pytest.raises(hs.errors.TableError, match="numeric covariate.*categorical"):
        hs.outcome_table(fit, by="treatment", wave="wave", data=data)


def test_outcome_table_takes_observed_columns_from_the_fit(fitted: tuple[Any, pd.DataFrame]) -> None:
    """DESIGN.md's call ``hs.outcome_table(fit, group=..., time=...)`` (no data=) works:
    the observed n, mean and SD come from ``fit.data``, the rows the model used."""
    _, data = fitted
    # five extra rows with a missing outcome: the fit drops them, so must the observed columns
    extra = data.iloc[:5].assign(bdi=float("nan"))
    with_missing = pd.concat([data, extra], ignore_index=True)
    fit = hs.fit_mixed(with_missing, "bdi ~ bdi_pre + treatment * wave + (1 | subject)")
    assert fit.n_dropped == 5 and len(fit.data) == fit.nobs == 280
    t = hs.outcome_table(fit, by="treatment", wave="wave")
    hand = fit.data.groupby(["treatment", "wave"], observed=True)["bdi"].agg(["count", "mean", "std"])
    assert len(t) == len(hand) == 8
    for _, row in t.iterrows():
        n, mean, sd = hand.loc[(row["treatment"], row["wave"])]
        assert (row["n"], row["mean"], row["sd"]) == pytest.approx((n, mean, sd), rel=1e-12)
    assert t["n"].sum() == 280
    # a hand-picked cell: TAU at wave 2
    tau2 = data[(data["treatment"] == "TAU") & (data["wave"] == "2")]["bdi"]
    row = t[(t["treatment"] == "TAU") & (t["wave"] == "2")].iloc[0]
    assert (row["n"], row["mean"]) == (len(tau2), pytest.approx(tau2.mean(), rel=1e-12))
