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
from .plots import plot_items, plot_trajectories
from .scoring import score
from .tables import (
    attrition_table,
    format_table,
    model_table,
    outcome_table,
    reliability_table,
    table_one,
    write_tables,
)

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
    "attrition_table",
    "errors",
    "format_table",
    "list_instruments",
    "load_instrument",
    "model_table",
    "outcome_table",
    "plot_items",
    "plot_trajectories",
    "reliability_table",
    "score",
    "table_one",
    "write_tables",
]
