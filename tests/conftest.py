"""Shared test helpers: paths of the test data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def toy_path() -> Path:
    """A made-up instrument exercising every scoring feature (tests/data/instruments/toy.toml)."""
    return DATA / "instruments" / "toy.toml"
