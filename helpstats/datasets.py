"""Bundled example data, loaded offline.

``example_study.csv`` is a small simulated helper-therapy study (120 members
of 8 support groups, waves at baseline, 1, 3 and 8 months, PHQ-9, GAD-7 and
WHO-5 item answers, helping given and received, 15% attrition), drawn by
:func:`simulate_example`; ``example_study.toml`` is the study file that
``helpstats analyze`` (and ``helpstats demo``) runs on it. Regenerate the CSV
with ``python -m helpstats.datasets``.

Examples
--------
>>> import helpstats as hs
>>> data = hs.datasets.load_example()
>>> data.shape
(451, 29)
>>> sorted(data["wave"].unique().tolist())
[0, 1, 3, 8]
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import pandas as pd

from .simulate import simulate_trial

__all__ = ["demo_export_path", "example_study_path", "load_example", "simulate_example"]

_SEED = 20261122
_CSV = "example_study.csv"
_TOML = "example_study.toml"


def _data_dir() -> Path:
    return Path(str(resources.files("helpstats").joinpath("data")))


def example_study_path() -> Path:
    """Path of the bundled example study file (``example_study.toml``).

    Examples
    --------
    >>> import helpstats as hs
    >>> hs.datasets.example_study_path().name
    'example_study.toml'
    """
    return _data_dir() / _TOML


def demo_export_path() -> Path:
    """Path of the bundled demo survey export (``demo_responses.csv``).

    A synthetic CSV export as a survey platform writes one: 40 participants,
    PHQ-9 in ``Q1_1 ... Q1_9`` and GAD-7 in ``Q2_1 ... Q2_7``, a mix of
    response labels and codes, at ``baseline`` and ``month_3`` (see
    ``helpstats/data/README.md``). ``helpstats demo`` and the README tour read it.

    Examples
    --------
    >>> import helpstats as hs
    >>> export = hs.read_export(hs.datasets.demo_export_path())
    >>> export.format, export.data.shape
    ('csv', (74, 18))
    """
    return _data_dir() / "demo_responses.csv"


def load_example() -> pd.DataFrame:
    """Load the bundled simulated study as a long DataFrame.

    Returns
    -------
    pandas.DataFrame
        One row per member and wave attended: ``participant``, ``group``,
        ``arm``, ``wave``, ``age``, ``gender``, ``helping_given``,
        ``helping_received``, ``phq9_1`` ... ``phq9_9``, ``gad7_1`` ...
        ``gad7_7``, ``who5_1`` ... ``who5_5`` (response codes; a few skipped
        items are missing).

    Examples
    --------
    >>> import helpstats as hs
    >>> hs.datasets.load_example().groupby("wave")["participant"].nunique().tolist()
    [120, 117, 110, 104]
    """
    return pd.read_csv(_data_dir() / _CSV)


def simulate_example() -> pd.DataFrame:
    """Draw the example study exactly as bundled (fixed seed).

    The simulated role and latent outcome are left out: ``analyze`` derives
    the roles from the helping counts, as it would for real data.

    Examples
    --------
    >>> import helpstats as hs
    >>> hs.datasets.simulate_example().equals(hs.datasets.load_example())
    True
    """
    data = simulate_trial(
        n_participants=120, n_groups=8, waves=(0, 1, 3, 8), attrition=0.15,
        effects={"arm_time": -0.02}, instruments=["phq9", "gad7", "who5"], item_missing=0.01,
        seed=_SEED,
    )
    items = [c for c in data.columns if c.startswith(("phq9_", "gad7_", "who5_"))]
    # Codes as read back from CSV: whole numbers stored as floats because of the gaps.
    return data.drop(columns=["role", "latent"]).astype({c: "float64" for c in items}) \
        .reset_index(drop=True)


if __name__ == "__main__":  # python -m helpstats.datasets: rewrite the bundled CSV
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else _data_dir() / _CSV
    simulate_example().to_csv(out, index=False, float_format="%g")
    print(f"wrote {out}")
