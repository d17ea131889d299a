"""Property tests over the self-stigma, empowerment, psychosocial and helping definitions.

For batches of random complete responses (codes or labels), every scale score lies within the range the
definition declares, and the band (where there are bands) is one of the declared labels.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpstats as hs
from helpstats.errors import ProvisionalKeyWarning

IDS = ("ismi29", "ismi29_sum", "ismi10", "ssmis_sf", "empowerment_scale", "rses", "rses_1to4",
       "pearlin_mastery", "who5", "wemwbs", "swemwbs", "ucla3", "ucla3_4pt", "rotter_ie", "qpr15",
       "mspss", "helping")


@pytest.mark.parametrize("instrument_id", IDS)
def test_definition_has_provenance(instrument_id):
    inst = hs.load_instrument(instrument_id)
    assert inst.citation.strip() and inst.license_note.strip()
    assert inst.verification.sources
    if inst.provisional:
        assert inst.verification.unverified
    if not inst.item_text:
        assert all(item.text is None for item in inst.items)
    if inst.id != "ssmis_sf" and inst.id != "helping":
        assert inst.scales[0].id == "total"


@pytest.mark.parametrize("instrument_id", IDS)
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_scores_within_declared_range(instrument_id, seed):
    # a batch of 40 random complete responses per example, each cell a code or a label
    inst = hs.load_instrument(instrument_id)
    rng = np.random.default_rng(seed)
    data = {}
    for item in inst.items:
        options = list(item.response_set.codes) + list(item.response_set.labels)
        data[item.id] = [options[i] for i in rng.integers(0, len(options), size=40)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        out = hs.score(pd.DataFrame(data), instrument_id)
    for scale in inst.scales:
        values = out[f"{inst.id}_{scale.id}"].to_numpy(dtype=float)
        assert not np.isnan(values).any()  # complete responses always score
        low, high = scale.score_range
        assert (values >= low - 1e-9).all() and (values <= high + 1e-9).all()
        if scale.bands:
            assert set(out[f"{inst.id}_{scale.id}_band"]) <= {b.label for b in scale.bands}
