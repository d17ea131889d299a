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
from .instruments import Instrument, list_instruments, load_instrument
from .report import analyze
from .roles import classify_roles, describe_role_rule, role_cutoffs, roles_from_interactions
from .scoring import score
from .simulate import power, simulate_trial
from .study import load_study

__version__ = "0.1.0"

__all__ = [
    "Instrument",
    "__version__",
    "analyze",
    "classify_roles",
    "describe_role_rule",
    "datasets",
    "errors",
    "list_instruments",
    "load_instrument",
    "load_study",
    "power",
    "role_cutoffs",
    "roles_from_interactions",
    "score",
    "simulate_trial",
]
