"""The catalogue of issue 16: new definitions (hand-computed cases), domains, codings, provenance.

Every expected number below was worked out by hand from the definition's published key (see the
comment beside each case); none is copied from helpstats' own output.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import (
    AmbiguousCodingWarning,
    InstrumentError,
    ProvisionalKeyWarning,
    ScoringError,
)
from helpstats.instruments import DOMAINS

HERE = Path(__file__).parent
NEW_DOMAINS = ("recovery/hope", "self-efficacy", "quality of life", "social functioning/support")
MISSION_DOMAINS = ("empowerment", "self-stigma", "depression/anxiety", "psychosocial adjustment")


def frame(instrument_id: str, rows: list[list[object]]) -> pd.DataFrame:
    inst = hs.load_instrument(instrument_id)
    ids = [item.id for item in inst.items]
    return pd.DataFrame([dict(zip(ids, row, strict=True)) for row in rows])


def score(instrument_id: str, *rows: list[object], **options: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        return hs.score(frame(instrument_id, list(rows)), instrument_id, **options)


def values(table: pd.DataFrame, column: str) -> list[float]:
    return [None if pd.isna(v) else round(float(v), 6) for v in table[column]]


# ----------------------------------------------------------------------------- catalogue


def test_at_least_45_definitions_all_loading() -> None:
    table = hs.list_instruments()
    assert len(table) >= 45
    for instrument_id in table["id"]:
        inst = hs.load_instrument(instrument_id)
        assert inst.domain in DOMAINS and inst.citation and inst.license_note


def _coverage() -> pd.DataFrame:
    base = hs.list_instruments()
    base = base[base["variant_of"] == ""]
    return base.groupby("domain")["verification"].agg(
        total="count", verified=lambda s: int((s == "verified").sum()))


@pytest.mark.parametrize("domain", MISSION_DOMAINS + NEW_DOMAINS)
def test_every_domain_has_three_instruments(domain: str) -> None:
    assert _coverage().loc[domain, "total"] >= 3


@pytest.mark.parametrize("domain", MISSION_DOMAINS + NEW_DOMAINS)
def test_every_domain_has_two_verified(domain: str) -> None:
    assert _coverage().loc[domain, "verified"] >= 2


def test_self_stigma_verified_keys() -> None:
    """SSOSH and ISMI-10 rest on two independent sources each; the ISMI-29 and SSMIS-SF do not."""
    table = hs.list_instruments(domain="self-stigma").set_index("id")["verification"]
    assert table["ssosh"] == table["ismi10"] == "verified"
    assert table["ismi29"] == table["ssmis_sf"] == "provisional"


def test_list_filters_by_domain() -> None:
    hope = hs.list_instruments(domain="recovery/hope")
    assert {"qpr15", "adult_hope", "herth_hope", "ras24"} <= set(hope["id"])
    assert set(hope["domain"]) == {"recovery/hope"}
    with pytest.raises(InstrumentError, match="unknown domain"):
        hs.list_instruments(domain="hope")


def test_existing_scores_unchanged() -> None:
    """Scores of the 30 pre-issue definitions on fixed responses equal those of the main branch."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fingerprints",
                                                  HERE / "data" / "make_fingerprints.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fingerprint = module.fingerprint
    expected = json.loads((HERE / "data" / "score_fingerprints.json").read_text())
    for instrument_id, columns in expected.items():
        got = fingerprint(instrument_id)
        for column, (total, n_missing) in columns.items():
            assert got[column][1] == n_missing, (instrument_id, column)
            assert math.isclose(got[column][0], total, rel_tol=1e-12), (instrument_id, column)


# ----------------------------------------------------------------------------- self-efficacy


def test_gse_sum_and_missing_rule() -> None:
    out = score("gse", [1] * 10, [4] * 10, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2],
                [1, 2, 3, 4, 1, 2, 3, None, None, None], [4] * 6 + [None] * 4)
    # 10, 40, 23; 3 missing: 16 / 7 x 10 = 22.857143 (prorated); 4 missing: past the limit
    assert values(out, "gse_total") == [10.0, 40.0, 23.0, 22.857143, None]
    with pytest.warns(ProvisionalKeyWarning, match="gse_total: 1 score"):
        hs.score(frame("gse", [[1, 2, 3, 4, 1, 2, 3, None, None, None]]), "gse")


def test_gse_labels() -> None:
    out = score("gse", ["exactly true"] * 5 + ["Not at all true"] * 5)
    assert values(out, "gse_total") == [25.0]


def test_ngse_mean_and_missing() -> None:
    out = score("ngse", [1, 2, 3, 4, 5, 5, 4, 3], [5] * 8, [1, 2, 3, 4, 5, 5, 4, None])
    assert values(out, "ngse_total") == [3.375, 5.0, None]  # 27 / 8
    assert hs.load_instrument("ngse").provisional


def test_semcd6_mean_of_answered_at_and_past_the_limit() -> None:
    out = score("semcd6", [1, 10, 5, 5, 5, 4], [10, 10, 1, 1, None, None],
                [10, 10, 1, None, None, None], ["Totally confident"] * 6)
    # 30 / 6 = 5; two missing: 22 / 4 = 5.5; three missing: not scored; label -> 10
    assert values(out, "semcd6_total") == [5.0, 5.5, None, 10.0]
    alpha = hs.load_instrument("semcd6").scale("total").reference("alpha")
    assert alpha is not None and alpha.value == 0.91 and alpha.verified


# ----------------------------------------------------------------------------- recovery/hope


def test_adult_hope_key_fillers_ignored() -> None:
    row = [8, 7, 1, 6, 1, 5, 1, 4, 3, 2, 1, 8]
    no_fillers = [8, 7, None, 6, None, 5, None, 4, 3, 2, None, 8]
    missing_agency = [8, None, 1, 6, 1, 5, 1, 4, 3, 2, 1, 8]
    out = score("adult_hope", row, no_fillers, missing_agency, [1] * 12, [8] * 12)
    # pathways 1, 4, 6, 8 = 8 + 6 + 5 + 4 = 23; agency 2, 9, 10, 12 = 7 + 3 + 2 + 8 = 20
    assert values(out, "adult_hope_pathways") == [23.0, 23.0, 23.0, 4.0, 32.0]
    assert values(out, "adult_hope_agency") == [20.0, 20.0, None, 4.0, 32.0]
    assert values(out, "adult_hope_total") == [43.0, 43.0, None, 8.0, 64.0]


def test_adult_hope_4pt_variant() -> None:
    out = score("adult_hope_4pt", [4] * 12, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4])
    # second row: pathways 1 + 4 + 2 + 4 = 11, agency 2 + 1 + 2 + 4 = 9
    assert values(out, "adult_hope_4pt_total") == [32.0, 20.0]
    with pytest.raises(ScoringError, match="out of range"):
        hs.score(frame("adult_hope_4pt", [[5] * 12]), "adult_hope_4pt")
    assert hs.instruments.coding_variant("adult_hope", "4point").id == "adult_hope_4pt"


def test_herth_reverses_items_3_and_6() -> None:
    out = score("herth_hope", [4] * 12, [1] * 12, [4, 4, 1, 4, 4, 1, 4, 4, 4, 4, 4, 4], [4] * 11 + [None])
    # all 4: 10 x 4 + 2 x 1 = 42; all 1: 10 + 2 x 4 = 18; maximum 48; a missing item: missing
    assert values(out, "herth_hope_total") == [42.0, 18.0, 48.0, None]


def test_ras24_provisional_sums() -> None:
    with pytest.warns(ProvisionalKeyWarning, match="RAS-24"):
        out = hs.score(frame("ras24", [[5] * 24, list(range(1, 6)) * 4 + [1, 1, 1, 1]]), "ras24")
    assert values(out, "ras24_total") == [120.0, 64.0]  # 4 x 15 + 4
    assert values(out, "ras24_reliance_on_others") == [20.0, 4.0]  # items 6, 22, 23, 24: 1 + 1 + 1 + 1


# ----------------------------------------------------------------------------- quality of life


def test_whoqol_domains_and_transform() -> None:
    out = score("whoqol_bref", [5] * 26, [3] * 26)
    # all 5: items 3, 4, 26 reversed to 1. Physical (3,4,10,15,16,17,18) mean 27/7 -> x4 = 15.428571,
    # 0-100: 27/7 x 25 - 25 = 71.428571; psychological (.., 26) 26/6 x 4 = 17.333333; social 20
    assert values(out, "whoqol_bref_physical") == [15.428571, 12.0]
    assert values(out, "whoqol_bref_physical_100") == [71.428571, 50.0]
    assert values(out, "whoqol_bref_psychological") == [17.333333, 12.0]
    assert values(out, "whoqol_bref_social_100") == [100.0, 50.0]
    assert values(out, "whoqol_bref_overall_qol") == [5.0, 3.0]
    assert hs.load_instrument("whoqol_bref").scale("physical_100").score_range == (0.0, 100.0)


def test_whoqol_missing_items_per_domain() -> None:
    base = [4] * 26
    one_physical = list(base)
    one_physical[9] = None  # item 10
    two_physical = list(one_physical)
    two_physical[14] = None  # item 15
    env_two = list(base)
    env_two[7] = env_two[8] = None  # items 8, 9
    env_three = list(env_two)
    env_three[11] = None  # item 12
    social_two = list(base)
    social_two[19] = social_two[20] = None
    out = score("whoqol_bref", one_physical, two_physical, env_two, env_three, social_two)
    # all 4 with items 3, 4 reversed to 2: physical (2 + 2 + 4 x 4) / 6 x 4 = 13.333333 with item 10
    # missing; a second missing item is past the syntax's MEAN.6; environment allows 2 missing (16)
    assert values(out, "whoqol_bref_physical") == [13.333333, None, 13.714286, 13.714286, 13.714286]
    assert values(out, "whoqol_bref_environment") == [16.0, 16.0, 16.0, None, 16.0]
    assert values(out, "whoqol_bref_social") == [16.0, 16.0, 16.0, 16.0, None]


def _rand_row(**answers: int | None) -> list[object]:
    row: list[object] = [1] * 36
    for key, value in answers.items():
        row[int(key[1:]) - 1] = value
    return row


def test_rand36_recoding_and_scales() -> None:
    pf = {f"q{n}": v for n, v in zip(range(3, 13), [1, 2, 3, 1, 2, 3, 1, 2, 3, 1], strict=True)}
    out = score("rand36",
                _rand_row(q23=4, q27=3, q29=3, q31=None, q21=1, q22=5, **pf),
                _rand_row(q20=1, q32=5, q1=1, q33=5, q34=1, q35=5, q36=1),
                _rand_row(q23=None, q27=None, q29=None, q31=None))
    # RAND worked example: energy 23 = 4 -> 40, 27 = 3 -> 60, 29 = 3 -> 40, 31 blank: 140 / 3
    # row 2 (all 1): 23 -> 100, 27 -> 100, 29 -> 0, 31 -> 0 = 50
    assert values(out, "rand36_energy") == [46.666667, 50.0, None]
    # pain 21 = 1 -> 100, 22 = 5 -> 0; second row 21 = 1 -> 100, 22 = 1 -> 100
    assert values(out, "rand36_pain") == [50.0, 100.0, 100.0]
    # physical functioning 3 x (0 + 50 + 100) + 0 = 450 / 10
    assert values(out, "rand36_physical_functioning")[0] == 45.0
    assert values(out, "rand36_social_functioning")[1] == 100.0  # 20 = 1 -> 100, 32 = 5 -> 100
    assert values(out, "rand36_general_health")[1] == 100.0


def test_swls_band_edges() -> None:
    rows = [[2, 2, 2, 2, 1], [2, 2, 2, 2, 2], [4, 4, 4, 4, 3], [4] * 5, [5, 4, 4, 4, 4],
            [6] * 5, [7, 6, 6, 6, 6], [7, 7, 7, 7, None]]
    out = score("swls", *rows)
    assert values(out, "swls_total") == [9.0, 10.0, 19.0, 20.0, 21.0, 30.0, 31.0, None]
    assert list(out["swls_total_band"].astype(object))[:7] == [
        "extremely dissatisfied", "dissatisfied", "slightly dissatisfied", "neutral",
        "slightly satisfied", "satisfied", "extremely satisfied"]


# ----------------------------------------------------------------------------- social functioning


def test_wsas_bands_and_labels() -> None:
    out = score("wsas", [2, 2, 2, 2, 1], [2, 2, 2, 2, 2], [4] * 5, [5, 4, 4, 4, 4],
                ["very severely"] * 5, [0, 0, 0, 0, None])
    assert values(out, "wsas_total") == [9.0, 10.0, 20.0, 21.0, 40.0, None]
    assert list(out["wsas_total_band"].astype(object))[:5] == [
        "subclinical", "significant functional impairment", "significant functional impairment",
        "moderately severe or worse", "moderately severe or worse"]


def test_osss3_bands_and_item_ranges() -> None:
    out = score("osss3", [2, 3, 3], [2, 3, 4], [3, 4, 4], [4, 4, 4], ["6 or more", "A lot", "very easy"],
                [1, 1, 1])
    assert values(out, "osss3_total") == [8.0, 9.0, 11.0, 12.0, 14.0, 3.0]
    assert list(out["osss3_total_band"].astype(object))[:4] == [
        "poor social support", "moderate social support", "moderate social support",
        "strong social support"]
    with pytest.raises(ScoringError, match="out of range"):
        hs.score(frame("osss3", [[5, 5, 5]]), "osss3")  # item 1 has four options


# ----------------------------------------------------------------------------- depression, stigma


def test_core10_reversal_cutoff_and_risk_flag() -> None:
    out = score("core10", [0] * 10, [4] * 10, [2, 4, 4, 2, 2, 2, 0, 2, 0, 0],
                [2, 4, 4, 2, 2, 2, 1, 2, 0, 0], [0] * 9 + [None])
    # items 2, 3 reversed (4 - code): all 0 -> 8; all 4 -> 32; row 3: 2+2+2+2+0+2+0+0 = 10; row 4: 11
    assert values(out, "core10_total") == [8.0, 32.0, 10.0, 11.0, None]
    assert list(out["core10_total_band"].astype(object))[:4] == [
        "below clinical cut-off", "clinical range", "below clinical cut-off", "clinical range"]
    assert list(out["core10_risk_flag"])[:4] == [False, True, True, True]


def test_ssosh_reversed_items_mean() -> None:
    out = score("ssosh", [1] * 10, [5, 1, 5, 1, 1, 5, 1, 5, 1, 5], [1, 5, 1, 5, 5, 1, 5, 1, 5, 1],
                [1] * 9 + [None])
    # all 1: five items reversed to 5 -> mean 3; row 2 every item scores 5; row 3 every item 1
    assert values(out, "ssosh_total") == [3.0, 5.0, 1.0, None]


def test_ssosh_labels_and_verification() -> None:
    # item 1 "Agree" (alias of 4) -> 4; item 2 "Strongly agree" = 5 reversed -> 1; items 3-10 code 2,
    # of which 4, 5, 7, 9 are reversed to 4: (4 + 1 + 2 + 4 + 4 + 2 + 4 + 2 + 4 + 2) / 10 = 2.9
    out = score("ssosh", ["Agree", "Strongly agree", "2", 2, 2, 2, 2, 2, 2, "2"])
    assert values(out, "ssosh_total") == [2.9]
    inst = hs.load_instrument("ssosh")
    assert not inst.provisional and inst.version == "1.1.0"
    assert any("33710534283" in source for source in inst.verification.sources)


def test_mhrm_sum_of_30_items() -> None:
    # all 0 -> 0; all 4 -> 120; items alternate 0, 1, 2, 3, 4 (six times) -> 6 x 10 = 60;
    # labels: "Agree" = 3 thirty times -> 90; one item missing -> no total (no rule was read)
    out = score("mhrm", [0] * 30, [4] * 30, [0, 1, 2, 3, 4] * 6, ["Agree"] * 30, [4] * 29 + [None])
    assert values(out, "mhrm_total") == [0.0, 120.0, 60.0, 90.0, None]
    inst = hs.load_instrument("mhrm")
    assert inst.provisional and inst.domain == "recovery/hope" and inst.n_items == 30
    with pytest.warns(ProvisionalKeyWarning, match="MHRM"):
        hs.score(frame("mhrm", [[2] * 30]), "mhrm")


@pytest.mark.parametrize("asked, named", [("sf36", "SF-36"), ("SF-36v2", "SF-36"),
                                          ("sf12v2", "SF-12"), ("facit", "FACIT"),
                                          ("pomes", "Organizationally Mediated"),
                                          ("csi", "Colorado"), ("BSI", "Brief Symptom")])
def test_licensed_or_unsourced_instruments_are_refused_with_the_reason(asked: str,
                                                                       named: str) -> None:
    with pytest.raises(InstrumentError, match="is not bundled") as caught:
        hs.load_instrument(asked)
    assert named in str(caught.value) and "Instead:" in str(caught.value)
    assert asked.lower() not in set(hs.list_instruments()["id"])


# ----------------------------------------------------------------------------- codings


def _hads_rows() -> list[list[int]]:
    return [[1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2], [2] * 14, [3, 1] * 7]


def test_hads_undeclared_ambiguous_codes_warn() -> None:
    data = frame("hads", _hads_rows())  # no 4 anywhere: fits positions 0-3 and item scores too
    with pytest.warns(AmbiguousCodingWarning, match="position_0to3"):
        hs.score(data, "hads")
    with warnings.catch_warnings():
        warnings.simplefilter("error", AmbiguousCodingWarning)
        declared = hs.score(data, "hads", coding="position_1to4")
        with_four = data.copy()
        with_four.loc[0, "hads_1"] = 4
        hs.score(with_four, "hads")  # a 4 rules out the 0-3 codings: nothing to warn about
    assert declared.columns[0] == "hads_anxiety"


def test_hads_declared_codings_agree() -> None:
    positions = frame("hads", _hads_rows())
    zero_based = positions - 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", AmbiguousCodingWarning)
        one = hs.score(positions, "hads", coding="position_1to4")
        zero = hs.score(zero_based, "hads", coding="position_0to3")
    # the same ticks, numbered from 0: identical scores, in the variant's columns
    assert zero["hads_position0_anxiety"].tolist() == one["hads_anxiety"].tolist()
    assert zero["hads_position0_depression"].tolist() == one["hads_depression"].tolist()
    # row 1: anxiety items 1, 3, 5, 7, 9, 11, 13 at positions 1, 3, 2, 1, 3, 2, 1 score
    # 3, 1, 2, 0, 2, 2, 3 (items 7 and 9 run 0-1-2-3) = 13
    assert one["hads_anxiety"].iloc[0] == 13
    with pytest.raises(InstrumentError, match="codings of this instrument"):
        hs.score(positions, "hads", coding="1to5")


def test_coding_selects_k10_variant_with_base_columns() -> None:
    data = frame("k10", [[0] * 10, [4] * 10])
    out = hs.score(data, "k10", coding="0to4")
    assert out["k10_us_total"].tolist() == [0.0, 40.0]


# ----------------------------------------------------------------------------- provenance


def test_missing_rule_verified_separately_from_key() -> None:
    phq9 = hs.load_instrument("phq9")
    assert not phq9.provisional
    rule = phq9.scale("total").missing_verification
    assert rule is not None and rule.status == "provisional" and rule.unverified
    complete = frame("phq9", [[1] * 9])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProvisionalKeyWarning)
        hs.score(complete, "phq9")  # no missing item: the rule is not used
    with pytest.warns(ProvisionalKeyWarning, match="missing-item rule"):
        out = hs.score(frame("phq9", [[1] * 8 + [None]]), "phq9")
    assert out["phq9_total"].iloc[0] == 9.0  # 8 / 8 x 9
    assert hs.load_instrument("rses").scale("total").missing_verification.status == "provisional"
    assert hs.load_instrument("k10").scale("total").missing_verification.status == "verified"


def test_reliable_change_warns_on_unverified_defaults() -> None:
    with pytest.warns(ProvisionalKeyWarning, match="test_retest = 0.84"):
        out = hs.reliable_change([15.0], [8.0], sd=5.0, instrument="phq9")
    assert out.attrs["reliability"] == 0.84 and not out.attrs["defaults_verified"]
    assert "UNVERIFIED" in out.attrs["methods"] and "SD 5 (as given)" in out.attrs["methods"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProvisionalKeyWarning)
        given = hs.reliable_change([15.0], [8.0], sd=5.0, reliability=0.8, instrument="phq9")
        verified = hs.reliable_change([5.0], [8.0], instrument="semcd6")  # SD and alpha verified
    assert given.attrs["defaults_verified"] and "as given" in given.attrs["methods"]
    assert verified.attrs["sd"] == 2.22 and verified.attrs["reliability"] == 0.91
    assert "verified" in verified.attrs["methods"]


def test_reference_values_shown_with_their_verification(capsys: pytest.CaptureFixture[str]) -> None:
    from helpstats.cli import main

    assert main(["instruments", "show", "phq9"]) == 0
    shown = capsys.readouterr().out
    assert "[UNVERIFIED] test_retest = 0.84" in shown
    assert "missing-item rule: provisional" in shown
    assert main(["instruments", "show", "semcd6"]) == 0
    assert "[verified] alpha = 0.91" in capsys.readouterr().out
    assert main(["instruments", "show", "core10"]) == 0
    assert "[UNVERIFIED] clinical norm: mean 19.7, SD 7.7" in capsys.readouterr().out
    assert main(["instruments", "list", "--domain", "recovery/hope"]) == 0
    listed = capsys.readouterr().out
    assert "adult_hope" in listed and "phq9" not in listed


def test_qpr15_licence_and_verification() -> None:
    qpr = hs.load_instrument("qpr15")
    assert qpr.license_status == "free_with_attribution" and "PhenX" in qpr.license_note
    assert not qpr.provisional
    assert any(s.startswith("PhenX Toolkit protocol 661101") for s in qpr.verification.sources)
    assert any(s.startswith("ggzdataportaal") for s in qpr.verification.sources)  # independent
    assert not hs.load_instrument("mspss").provisional


def test_user_file_alias_must_name_a_code(tmp_path: Path) -> None:
    text = (HERE.parent.parent / "instruments" / "qpr15.toml").read_text(encoding="utf-8")
    bad = tmp_path / "qpr_bad.toml"
    bad.write_text(text.replace('"Strongly agree" = 4', '"Strongly agree" = 9'), encoding="utf-8")
    with pytest.raises(InstrumentError, match="aliases"):
        hs.load_instrument(bad)
    bad.write_text(text.replace('aliases = { "Strongly disagree" = 0, "Strongly agree" = 4 }',
                                'aliases = { "Disagree" = 1 }'), encoding="utf-8")
    with pytest.raises(InstrumentError, match="differ from every label"):
        hs.load_instrument(bad)


def test_missing_rule_needs_a_missing_allowance(tmp_path: Path) -> None:
    text = (HERE.parent.parent / "instruments" / "semcd6.toml").read_text(encoding="utf-8")
    bad = tmp_path / "semcd_bad.toml"
    bad.write_text(text.replace("max_missing = 2", "max_missing = 0"), encoding="utf-8")
    with pytest.raises(InstrumentError, match="missing_verification"):
        hs.load_instrument(bad)


def test_reliability_uses_offset_for_transformed_scores() -> None:
    rng = np.random.default_rng(3)
    data = pd.DataFrame({f"whoqol_bref_{n}": rng.integers(1, 6, 40) for n in range(1, 27)})
    table = hs.reliability(data, "whoqol_bref").set_index("scale")
    scores = hs.score(data, "whoqol_bref")
    assert math.isclose(table.loc["physical_100", "mean"], scores["whoqol_bref_physical_100"].mean())
    assert math.isclose(table.loc["physical_100", "mean"], table.loc["physical", "mean"] * 6.25 - 25)


def test_promis_depression_8a_t_scores() -> None:
    out = score("promis_dep8a", [1] * 8, [5] * 8, [2] * 8, [2] + [1] * 7, [3] * 8, [1] * 7 + [None])
    # published conversion: raw 8 -> 38.2, 40 -> 81.3, 16 -> 55.1, 9 -> 44.7, 24 -> 62.1
    assert values(out, "promis_dep8a_raw") == [8.0, 40.0, 16.0, 9.0, 24.0, None]
    assert values(out, "promis_dep8a_t") == [38.2, 81.3, 55.1, 44.7, 62.1, None]


def test_social_provisions_reversals_and_provisions() -> None:
    reversed_items = {2, 3, 6, 9, 10, 14, 15, 18, 19, 21, 22, 24}
    supportive = [1 if n in reversed_items else 4 for n in range(1, 25)]
    out = score("sps24", [4] * 24, [1] * 24, supportive, [4] * 23 + [None])
    # all 4: 12 items score 4, the 12 reversed score 1 -> 60; all 1 -> 12 + 48 = 60;
    # row 3 answers every item in the supportive direction -> 96; attachment (2R, 11, 17, 21R) 16
    assert values(out, "sps24_total") == [60.0, 60.0, 96.0, None]
    assert values(out, "sps24_attachment") == [10.0, 10.0, 16.0, 10.0]
    assert values(out, "sps24_nurturance")[3] is None  # item 24 missing
