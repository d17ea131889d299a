"""Score every definition that existed before issue 16 on fixed random responses; store the sums.

Run with the code of the release being compared against on the path, e.g.
``PYTHONPATH=/work/main python tests/instruments/data/make_fingerprints.py`` (it was run so with
the main branch at the start of issue 16). test_catalogue.py re-scores the same responses with the
current code and compares: a definition's scores may only change with a CHANGELOG
"Results changed" entry.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import helpstats as hs

OUT = Path(__file__).with_name("score_fingerprints.json")


def responses(inst: hs.Instrument, seed: int = 16, n: int = 60) -> pd.DataFrame:
    """Valid codes for every item, about 8% missing, reproducible."""
    rng = np.random.default_rng(seed)
    data = {}
    for item in inst.items:
        codes = list(item.response_set.codes)
        picks = [codes[i] for i in rng.integers(0, len(codes), n)]
        data[item.id] = pd.Series(picks, dtype=object).where(rng.random(n) > 0.08)
    return pd.DataFrame(data)


def fingerprint(inst_id: str) -> dict[str, list[float]]:
    inst = hs.load_instrument(inst_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = hs.score(responses(inst), inst_id)
    out = {}
    for column in scores.columns:
        if column.endswith(("_band",)) or scores[column].dtype == "boolean":
            continue
        values = scores[column].astype(float)
        out[column] = [float(np.nansum(values)), int(values.isna().sum())]
    return out


if __name__ == "__main__":
    ids = sys.argv[1:] or list(hs.list_instruments()["id"])
    OUT.write_text(json.dumps({i: fingerprint(i) for i in ids}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT} ({len(ids)} instruments)")
