"""Invariants of the depression/anxiety definitions added with issue 3.

Hypothesis draws random valid answers (with random missing cells) and checks that
every score stays inside its scale's published range, that a score has a band
whenever the scale has bands, and that licence and provenance fields are coherent.
"""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.errors import ProvisionalKeyWarning

IDS = ["phq8", "phq2", "gad2", "phq4", "cesd", "dass21", "k10", "k10_us", "k6", "hads", "hads_scored"]


@pytest.mark.parametrize("instrument_id", IDS)
def test_definition_fields(instrument_id: str) -> None:
    inst = hs.load_instrument(instrument_id)
    assert inst.domain == "depression/anxiety"
    assert inst.citation and inst.license_note and inst.verification.sources
    assert inst.provisional == bool(inst.verification.unverified)
    if inst.license_status == "license_required":
        assert not inst.item_text
        assert all(item.text is None for item in inst.items)
    if inst.variant_of is not None:
        assert inst.variant_note
        assert hs.load_instrument(inst.variant_of).n_items == inst.n_items
    assert any(scale.id == "total" for scale in inst.scales) or instrument_id.startswith("hads")


ROWS = 20


@pytest.mark.parametrize("instrument_id", IDS)
@settings(max_examples=5, deadline=None)
@given(choices=st.lists(st.integers(min_value=-1, max_value=4), min_size=ROWS * 21,
                        max_size=ROWS * 21))
def test_scores_stay_in_range(instrument_id: str, choices: list[int]) -> None:
    # Each draw picks a response position per cell (-1 = missing; positions past the
    # last option wrap round), so every cell is a valid code or missing.
    inst = hs.load_instrument(instrument_id)
    cells = iter(choices)
    rows = []
    for _ in range(ROWS):
        row = {}
        for item in inst.items:
            pick = next(cells)
            codes = item.response_set.codes
            row[item.id] = None if pick < 0 else codes[pick % len(codes)]
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(inst.item_ids))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        result = hs.score(frame, inst)
    for scale in inst.scales:
        low, high = scale.score_range
        name = f"{inst.id}_{scale.id}"
        for value, answered, band in zip(
                result[name], result[f"{name}_n_answered"],
                result[f"{name}_band"] if scale.bands else [None] * ROWS, strict=True):
            missing = len(scale.items) - answered
            if math.isnan(value):
                assert missing > scale.max_missing
                continue
            assert missing <= scale.max_missing
            assert low <= value <= high
            if scale.bands:
                assert not pd.isna(band)
