"""Fixtures of the table tests: the BtheB data and a stand-in fit holding R's numbers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from tables_standin import btheb_fit_from, load_btheb_data, load_btheb_expected


@pytest.fixture(scope="session")
def btheb_expected() -> dict[str, Any]:
    return load_btheb_expected()


@pytest.fixture(scope="session")
def btheb_data() -> pd.DataFrame:
    return load_btheb_data()


@pytest.fixture(scope="session")
def btheb_fit(btheb_expected: dict[str, Any]) -> Any:
    return btheb_fit_from(btheb_expected)
