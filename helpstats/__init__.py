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

from . import datasets, errors
from .effects import reliable_change
from .instruments import Instrument, list_instruments, load_instrument
from .io import Export, read_export
from .models import MixedFit, compare, fit_mixed
from .plots import plot_items, plot_trajectories
from .reliability import item_analysis, reliability
from .report import analyze
from .reshape import stack_waves, to_long, to_wide
from .roles import classify_roles, describe_role_rule, role_cutoffs, roles_from_interactions
from .scoring import score
from .simulate import power, simulate_trial
from .study import load_study
from .tables import (
    attrition_table,
    format_table,
    model_table,
    outcome_table,
    reliability_table,
    table_one,
    write_tables,
)
from .validate import validate

__version__ = "0.1.0"

__all__ = [
    "Export",
    "Instrument",
    "MixedFit",
    "__version__",
    "analyze",
    "attrition_table",
    "classify_roles",
    "compare",
    "datasets",
    "describe_role_rule",
    "errors",
    "fit_mixed",
    "format_table",
    "item_analysis",
    "list_instruments",
    "load_instrument",
    "load_study",
    "model_table",
    "outcome_table",
    "plot_items",
    "plot_trajectories",
    "power",
    "read_export",
    "reliability",
    "reliability_table",
    "reliable_change",
    "role_cutoffs",
    "roles_from_interactions",
    "score",
    "simulate_trial",
    "stack_waves",
    "table_one",
    "to_long",
    "to_wide",
    "validate",
    "write_tables",
]
