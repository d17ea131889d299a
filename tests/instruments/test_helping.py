"""Hand-computed scores for the project-designed helping instrument (giving / receiving).

Codes are counts over the last 4 weeks: 0 Never, 1 Once, 2 "2-3 times", 3 "4-6 times",
4 "7 or more times". giving = items 1 + 2, receiving = items 3 + 4; no total.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ProvisionalKeyWarning


def score(*responses: list[Any]) -> pd.DataFrame:
    data = pd.DataFrame([{f"helping_{n}": v for n, v in enumerate(values, 1)}
                         for values in responses])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalKeyWarning)
        return hs.score(data, "helping")


def test_giving_and_receiving_sums():
    out = score([4, 3, 0, 1], [0, 0, 4, 4], [2, 2, 2, 2])
    assert out["helping_giving"].tolist() == [7.0, 0.0, 4.0]  # 4 + 3; 0 + 0; 2 + 2
    assert out["helping_receiving"].tolist() == [1.0, 8.0, 4.0]  # 0 + 1; 4 + 4; 2 + 2
    assert "helping_total" not in out.columns


def test_labels_as_input():
    out = score(["7 or more times", "2-3 times", "never", "ONCE"])
    assert out.loc[0, "helping_giving"] == 6  # 4 + 2
    assert out.loc[0, "helping_receiving"] == 1  # 0 + 1


def test_missing_item_leaves_only_its_scale_missing():
    out = score([None, 3, 1, 1])
    assert math.isnan(out.loc[0, "helping_giving"])
    assert out.loc[0, "helping_receiving"] == 2


def test_provenance_is_plain():
    inst = hs.load_instrument("helping")
    assert inst.domain == "helping" and inst.provisional
    assert any("Project-designed" in text for text in inst.verification.unverified)
    assert [s.id for s in inst.scales] == ["giving", "receiving"]
    with pytest.warns(ProvisionalKeyWarning, match="no validation study"):
        hs.score(pd.DataFrame({f"helping_{n}": [1] for n in range(1, 5)}), "helping")


def test_scales_feed_role_classification():
    # giving: 7, 0, 6, 1 ; receiving: 1, 8, 7, 0 (hand sums of the item codes below)
    scores = score([4, 3, 0, 1], [0, 0, 4, 4], [3, 3, 3, 4], [1, 0, 0, 0])
    assert scores["helping_giving"].tolist() == [7.0, 0.0, 6.0, 1.0]
    assert scores["helping_receiving"].tolist() == [1.0, 8.0, 7.0, 0.0]
    # medians: giving (1 + 6) / 2 = 3.5, receiving (1 + 7) / 2 = 4; "high" = strictly above
    roles = hs.classify_roles(scores, giving="helping_giving", receiving="helping_receiving")
    assert roles.astype(str).tolist() == ["helper", "helpee", "dual", "neither"]
