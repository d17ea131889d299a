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
from .effects import reliable_change
from .instruments import Instrument, list_instruments, load_instrument
from .io import Export, read_export
from .models import MixedFit, compare, fit_mixed
from .reliability import item_analysis, reliability
from .reshape import stack_waves, to_long, to_wide
from .scoring import score
from .validate import validate

__version__ = "0.1.0"

__all__ = [
    "Export",
    "Instrument",
    "MixedFit",
    "__version__",
    "compare",
    "errors",
    "item_analysis",
    "fit_mixed",
    "list_instruments",
    "load_instrument",
    "reliability",
    "reliable_change",
    "read_export",
    "score",
    "stack_waves",
    "to_long",
    "to_wide",
    "validate",
]
