"""helpstats: outcome measurement for peer-support and mutual-help research.

Import survey exports, score validated questionnaires exactly as published,
classify helping roles, fit mixed models with lme4 parity and write the
trial's tables.

Examples
--------
>>> import helpstats as hs
>>> "phq9" in set(hs.list_instruments()["id"])
True
"""

from __future__ import annotations

from . import errors
from .instruments import Instrument, list_instruments, load_instrument
from .models import MixedFit, compare, fit_mixed

__version__ = "0.1.0"

__all__ = [
    "Instrument",
    "MixedFit",
    "__version__",
    "compare",
    "errors",
    "fit_mixed",
    "list_instruments",
    "load_instrument",
]
