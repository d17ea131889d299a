"""One vocabulary of keywords: each renamed keyword still works for one release (issue 15).

For every rename listed in CHANGELOG.md, the old spelling gives the same result
as the new one and a FutureWarning naming the new keyword; passing both is an error.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats._keywords import KeywordError
from helpstats.dose import add_exposure_rates


def _same(new: Callable[[], Any], old: Callable[[], Any], message: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        expected = new()  # the new spelling is silent
    with pytest.warns(FutureWarning, match=message):
        got = old()
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected)
    return expected


@pytest.fixture(scope="module")
def gad() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    latent = rng.normal(size=60)
    items = {f"Q{n}": np.clip(np.round(1.5 + latent + rng.normal(0, 0.8, 60)), 0, 3).astype(int)
             for n in range(1, 8)}
    return pd.DataFrame(items)


def test_reliability_and_item_analysis_take_columns_by_keyword(gad: pd.DataFrame) -> None:
    table = _same(lambda: hs.reliability(gad, "gad7", columns="Q{n}"),
                  lambda: hs.reliability(gad, "gad7", "Q{n}"),
                  r"reliability\(\.\.\., columns\) by position is now reliability\(\.\.\., columns=")
    # the value itself: alpha from the item covariance (k/(k-1)) (1 - sum var / var total)
    cov = gad.cov().to_numpy()
    alpha = 7 / 6 * (1 - np.trace(cov) / cov.sum())
    assert table["alpha"].iloc[0] == pytest.approx(alpha, rel=1e-12)
    _same(lambda: hs.item_analysis(gad, "gad7", columns="Q{n}"),
          lambda: hs.item_analysis(gad, "gad7", "Q{n}"), r"item_analysis\(\.\.\., columns\)")
    with pytest.raises(KeywordError, match="both by position and as columns="):
        hs.reliability(gad, "gad7", "Q{n}", columns="Q{n}")
    with pytest.raises(TypeError, match="takes 2 positional arguments"):
        hs.reliability(gad, "gad7", "Q{n}", "wave")


def test_validate_instrument(gad: pd.DataFrame) -> None:
    report = _same(lambda: hs.validate(gad, instrument="gad7", columns="Q{n}"),
                   lambda: hs.validate(gad, instruments="gad7", columns="Q{n}"),
                   r"validate\(instruments=\.\.\.\) is now validate\(instrument=\.\.\.\)")
    assert report.empty
    with pytest.raises(KeywordError, match="both instruments= and instrument="):
        hs.validate(gad, instrument="gad7", instruments="gad7")


def _log() -> pd.DataFrame:
    return pd.DataFrame({"giver": ["a", "a", "b"], "receiver": ["b", "c", "a"],
                         "wave": [1, 2, 2]})


def test_roles_from_interactions_members_and_wave() -> None:
    counts = _same(
        lambda: hs.roles_from_interactions(_log(), giver="giver", receiver="receiver",
                                           members=["a", "b", "c", "d"], wave="wave"),
        lambda: hs.roles_from_interactions(_log(), giver="giver", receiver="receiver",
                                           participant_ids=["a", "b", "c", "d"], per="wave"),
        r"roles_from_interactions\((participant_ids|per)=")
    # 4 members x 2 waves; a gave once in each wave, d never appears
    assert counts.shape[0] == 8
    by_key = counts.set_index(["participant", "wave"])
    assert by_key.loc[("a", 1), "n_given"] == 1 and by_key.loc[("a", 2), "n_given"] == 1
    assert by_key.loc[("d", 2), ["n_given", "n_received"]].tolist() == [0, 0]


def test_add_exposure_rates_wave() -> None:
    counts = hs.roles_from_interactions(_log(), giver="giver", receiver="receiver", wave="wave")
    weeks = pd.DataFrame({"participant": ["a", "a", "b", "b", "c", "c"], "wave": [1, 2] * 3,
                          "weeks": [2.0, 4.0, 1.0, 1.0, 2.0, 2.0]})
    out = _same(lambda: add_exposure_rates(counts, wave="wave", weeks=weeks),
                lambda: add_exposure_rates(counts, per="wave", weeks=weeks),
                r"add_exposure_rates\(per=\.\.\.\) is now add_exposure_rates\(wave=\.\.\.\)")
    assert out.set_index(["participant", "wave"]).loc[("a", 2), "given_per_week"] == 0.25


def _trial() -> pd.DataFrame:
    return pd.DataFrame({"id": ["P1", "P1", "P2", "P2", "P3"], "wave": [0, 1, 0, 1, 0],
                         "y": [1.0, 2.0, 3.0, None, 5.0], "arm": ["a", "a", "b", "b", "b"]})


def test_dropout_table_and_plot_take_outcome() -> None:
    table = _same(lambda: hs.dropout_table(_trial(), id="id", wave="wave", outcome="y", by="arm"),
                  lambda: hs.dropout_table(_trial(), id="id", wave="wave", column="y", by="arm"),
                  r"dropout_table\(column=\.\.\.\) is now dropout_table\(outcome=\.\.\.\)")
    # arm b: P2 and P3; at wave 1 neither has y
    assert table[table["arm"] == "b"]["observed"].tolist() == [2, 0]
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    with pytest.warns(FutureWarning, match=r"plot_dropout\(column="):
        ax = hs.plot_dropout(_trial(), id="id", wave="wave", column="y")
    assert ax.get_ylabel() == "proportion with y observed"
    plt.close("all")


def test_tipping_point_outcome_and_by() -> None:
    rng = np.random.default_rng(3)
    n = 30
    d = pd.DataFrame({"pid": np.repeat(np.arange(n), 2), "wave": np.tile([0, 1], n)})
    d["arm"] = np.where(d["pid"] % 2 == 0, "peer", "usual")
    d["visit"] = d["wave"].astype(str)
    d["y"] = rng.normal(size=n)[d["pid"]] + d["wave"] * (d["arm"] == "peer") + rng.normal(size=2 * n)
    d.loc[d.sample(8, random_state=1).index[d.sample(8, random_state=1)["wave"] == 1], "y"] = np.nan
    imp = hs.impute(d, m=2, id="pid", wave="wave", columns=["y"], auxiliary=["arm"], seed=1,
                    iterations=2)

    def fit(frame: pd.DataFrame) -> hs.MixedFit:
        return hs.fit_mixed(frame, "y ~ arm * visit + (1 | pid)")

    new = hs.tipping_point(imp, fit, outcome="y", deltas=[1.0], by="arm", wave="visit")
    with pytest.warns(FutureWarning, match=r"tipping_point\((column|arm)="):
        old = hs.tipping_point(imp, fit, column="y", deltas=[1.0], arm="arm", wave="visit")
    pd.testing.assert_frame_equal(old.table, new.table)
    assert new.table["delta"].tolist() == [0.0, 1.0]


def test_confint_level_is_keyword_only_for_every_fit() -> None:
    rng = np.random.default_rng(4)
    d = pd.DataFrame({"id": np.repeat(np.arange(30), 3), "wave": np.tile([0.0, 1, 2], 30)})
    eta = rng.normal(size=30)[d["id"]] + 0.3 * d["wave"]
    d["y"] = eta + rng.normal(size=90)
    d["event"] = (rng.uniform(size=90) < 1 / (1 + np.exp(-eta))).astype(int)
    d["visit"] = d["wave"].astype(str)
    glmm = hs.fit_glmm(d, "event ~ wave + (1 | id)", family="binomial")
    ci = _same(lambda: glmm.confint(level=0.9), lambda: glmm.confint(0.9),
               r"confint\(\.\.\., level\) by position")
    np.testing.assert_allclose(ci["upper"] - ci["estimate"], 1.6448536269514722 * glmm.fixed["se"])
    mmrm = hs.fit_mmrm(d, "y ~ visit", subject="id", visit="visit")
    _same(lambda: mmrm.confint(level=0.9), lambda: mmrm.confint(0.9), r"confint\(\.\.\., level\)")
    pairs = [(pd.Series({"a": 1.0 + s}), np.diag([0.04])) for s in (0.0, 0.1, -0.05)]
    pooled = hs.pool(pairs, dfcom=50)
    _same(lambda: pooled.confint(level=0.9), lambda: pooled.confint(0.9), r"confint\(\.\.\., level\)")
    with pytest.raises(hs.errors.LevelError):
        glmm.confint(level=95)


def test_clinical_change_table_by_is_keyword_only() -> None:
    before = pd.DataFrame({"phq9_total": [15, 8, 12, 14], "gad7_total": [12, 5, 9, 3],
                           "arm": ["a", "a", "b", "b"]})
    after = pd.DataFrame({"phq9_total": [6, 7, 20, 7], "gad7_total": [5, 4, 6, 3]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        change = hs.clinical_change(before, after, rule="nhs-talking-therapies", keep=["arm"])
    table = _same(lambda: hs.clinical_change_table(change, by="arm"),
                  lambda: hs.clinical_change_table(change, "arm"),
                  r"clinical_change_table\(\.\.\., by\)")
    assert table["recovery_pct"].tolist() == [100.0, 50.0]
