"""Invariants of scoring over every bundled instrument (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.errors import ProvisionalKeyWarning, ScoringError
from helpstats.instruments import bundled_instrument_dir

INSTRUMENT_IDS = sorted(p.stem for p in bundled_instrument_dir().glob("*.toml"))
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def responses(draw: st.DrawFn, instrument_id: str) -> pd.DataFrame:
    """Random valid responses (codes or labels) with some missing cells."""
    inst = hs.load_instrument(instrument_id)
    n_rows = draw(st.integers(1, 6))
    columns = {}
    for item in inst.items:
        options = list(item.response_set.codes) + list(item.response_set.labels) + [None]
        columns[item.id] = draw(st.lists(st.sampled_from(options), min_size=n_rows, max_size=n_rows))
    return pd.DataFrame(columns, dtype=object)


def quiet_score(data: pd.DataFrame, instrument_id: str, **options) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        return hs.score(data, instrument_id, **options)


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
@SETTINGS
@given(data=st.data())
def test_scores_lie_within_the_scale_range(instrument_id: str, data: st.DataObject) -> None:
    frame = data.draw(responses(instrument_id))
    result = quiet_score(frame, instrument_id)
    inst = hs.load_instrument(instrument_id)
    assert len(result) == len(frame)
    for scale in inst.scales:
        values = result[f"{inst.id}_{scale.id}"].dropna()
        low, high = scale.score_range
        assert ((values >= low - 1e-9) & (values <= high + 1e-9)).all()
        answered = result[f"{inst.id}_{scale.id}_n_answered"]
        assert ((answered >= 0) & (answered <= len(scale.items))).all()


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
@SETTINGS
@given(data=st.data())
def test_item_column_order_does_not_matter(instrument_id: str, data: st.DataObject) -> None:
    frame = data.draw(responses(instrument_id))
    shuffled = frame[data.draw(st.permutations(list(frame.columns)))]
    pd.testing.assert_frame_equal(quiet_score(frame, instrument_id), quiet_score(shuffled, instrument_id))


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
@SETTINGS
@given(data=st.data())
def test_input_is_never_modified(instrument_id: str, data: st.DataObject) -> None:
    frame = data.draw(responses(instrument_id))
    before = frame.copy()
    quiet_score(frame, instrument_id)
    pd.testing.assert_frame_equal(frame, before)


@SETTINGS
@given(rows=st.lists(st.lists(st.one_of(st.integers(-5, 10), st.text(max_size=3), st.none()),
                              min_size=9, max_size=9), min_size=1, max_size=8))
def test_invalid_cells_are_always_reported(rows: list[list[object]]) -> None:
    frame = pd.DataFrame(rows, columns=[f"phq9_{n}" for n in range(1, 10)], dtype=object)
    valid_text = {"0", "1", "2", "3", "not at all", "several days", "more than half the days",
                  "nearly every day"}

    def is_invalid(value: object) -> bool:
        if value is None:
            return False
        if isinstance(value, int):
            return value not in (0, 1, 2, 3)
        text = " ".join(str(value).split()).lower()
        if not text:
            return False
        try:
            number = float(text)
        except ValueError:
            return text not in valid_text
        return number not in (0.0, 1.0, 2.0, 3.0)

    expected = sum(is_invalid(v) for row in rows for v in row)
    if expected:
        with pytest.raises(ScoringError) as caught:
            hs.score(frame, "phq9")
        assert len(caught.value.problems) == expected
    else:
        result = hs.score(frame, "phq9")
        assert len(result) == len(frame)


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
def test_reversing_twice_is_identity(instrument_id: str) -> None:
    inst = hs.load_instrument(instrument_id)
    for item in inst.items:
        if item.reverse:
            codes = [int(c) for c in item.response_set.codes]
            low, high = min(codes), max(codes)
            mapping = item.score_map()
            assert [low + high - mapping[c] for c in item.response_set.codes] == [float(c) for c in codes]
    assert np.isfinite([s.score_range for s in inst.scales]).all()
