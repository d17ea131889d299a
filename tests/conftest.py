"""Shared test helpers: paths of the test data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

DATA = Path(__file__).parent / "data"

# Property tests run the same examples on every machine and run (CI included): a failure is
# then a reproducible finding, not a coin toss. HYPOTHESIS_PROFILE=explore draws fresh ones.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def toy_path() -> Path:
    """A made-up instrument exercising every scoring feature (tests/data/instruments/toy.toml)."""
    return DATA / "instruments" / "toy.toml"
