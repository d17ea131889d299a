"""Key findings: generated from the model results, with direction words that follow the scale."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats._level import interval
from helpstats._report_findings import ROLE_CAVEAT, direction, findings, findings_text
from helpstats.report import _model_frame, build_frame


@pytest.fixture(scope="module")
def example() -> tuple[Any, pd.DataFrame, Any]:
    study = hs.load_study(hs.datasets.example_study_path())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data, _ = build_frame(study)
    frame, _ = _model_frame(study, data, "phq9_total")
    return study, frame, hs.fit_mixed(frame, study.formula_for("phq9_total"))


def test_direction_words() -> None:
    # higher is worse (PHQ-9): a fall is an improvement; higher is better (WHO-5): a rise is
    assert direction(-2.14, "worse", "PHQ-9 points") == "improved by 2.1 PHQ-9 points more than"
    assert direction(0.5, "worse") == "improved by 0.5 points less than"
    assert direction(2.0, "better") == "improved by 2.0 points more than"
    assert direction(-2.0, "better") == "improved by 2.0 points less than"
    assert direction(-1.0, None) == "fell by 1.0 points more than"


def test_difference_in_change_is_checked_against_emmeans_contrasts(example: Any) -> None:
    _, _, fit = example
    found, reason = findings(fit, outcome="phq9_total", by="role", wave="wave",
                             higher_is="worse")
    assert reason is None
    assert [f.group for f in found] == ["helpee", "helper", "dual"]
    # an independent route: (g - neither) at month 8 minus (g - neither) at baseline, from the
    # emmeans-style contrasts of the fit
    diff = fit.contrasts("role", by="wave", method="trt.vs.ctrl")
    for f in found:
        label = diff["contrast"].str.startswith(f"{f.group} - neither")
        at = diff[label].set_index("wave")["estimate"]
        assert f.estimate == pytest.approx(at[8] - at[0], abs=1e-8)
        lower, upper = interval(f.estimate, f.se, f.df, 0.95)
        assert (f.lower, f.upper) == pytest.approx((lower, upper))
        assert (f.baseline, f.last, f.reference) == (0, 8, "neither")


def test_findings_text_is_written_from_the_numbers(example: Any) -> None:
    study, frame, fit = example
    paragraphs = findings_text({"phq9_total": fit}, by="role", wave="wave",
                               higher_is={"phq9_total": "worse"}, roles=True,
                               units={"phq9_total": "PHQ-9 points"})
    dual = fit.fixed.set_index("term").loc["roledual:wave8"]
    lower, upper = interval(dual["estimate"], dual["se"], dual["df"], 0.95)
    assert dual["estimate"] < 0  # PHQ-9 fell more: an improvement
    expected = (f"Members who both gave and received help improved by {-dual['estimate']:.1f} "
                f"PHQ-9 points more than members who did neither (95% CI {-upper:.1f} to "
                f"{-lower:.1f}; p < .001).")
    assert expected in paragraphs[0]
    anova = fit.anova().set_index("term").loc["role:wave"]
    assert f"F(9, {anova['den_df']:.1f}) = {anova['F']:.2f}" in paragraphs[0]
    assert paragraphs[-1] == ROLE_CAVEAT and "not randomised" in ROLE_CAVEAT


def test_a_scale_where_higher_is_better_gets_the_same_words_when_flipped(example: Any) -> None:
    study, frame, fit = example
    flipped = frame.assign(phq9_total=30 - frame["phq9_total"])
    fit_flipped = hs.fit_mixed(flipped, study.formula_for("phq9_total"))
    worse = findings_text({"phq9_total": fit}, by="role", wave="wave",
                          higher_is={"phq9_total": "worse"}, roles=True)
    better = findings_text({"phq9_total": fit_flipped}, by="role", wave="wave",
                           higher_is={"phq9_total": "better"}, roles=True)
    strip = [s.split("; higher scores")[-1].split("; lower scores")[-1] for s in worse[:1]]
    flipped_strip = [s.split("; higher scores")[-1].split("; lower scores")[-1]
                     for s in better[:1]]
    assert strip == flipped_strip
    assert "lower scores mean more symptoms" in better[0]


def test_no_finding_for_a_model_of_another_form(example: Any) -> None:
    study, frame, _ = example
    numeric = frame.assign(months=frame["wave"].astype(float))
    fit = hs.fit_mixed(numeric, "phq9_total ~ role * months + (1 | participant)")
    found, reason = findings(fit, outcome="phq9_total", by="role", wave="months")
    assert found == [] and "not both factors" in reason
    text = findings_text({"phq9_total": fit}, by="role", wave="months",
                         higher_is={}, roles=False)
    assert "no plain-language comparison" in text[0]
    assert "not assigned at random" in text[-1]


def test_an_interval_through_zero_says_so() -> None:
    from helpstats._report_findings import Finding, _sentence

    f = Finding(outcome="y", group="t", reference="c", baseline=0, last=1, estimate=-1.0,
                se=1.0, df=50.0, lower=-3.0, upper=1.0, p=0.3, level=0.95, higher_is="worse")
    text = _sentence(f, None, "arm", False, "points", "95%")
    assert text == ("Members in the arm group t improved by 1.0 points more than members in the "
                    "arm group c (95% CI -1.0 to 3.0; p = .300; the interval includes no "
                    "difference, so the data are also consistent with none).")
    assert np.isfinite(f.se)


def test_no_points_for_a_glmm() -> None:
    from types import SimpleNamespace

    fit = SimpleNamespace(family=SimpleNamespace(name="binomial"))
    found, reason = findings(fit, outcome="relapse", by="arm", wave="wave")
    assert found == [] and "binomial GLMM" in reason
