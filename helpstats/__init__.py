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

import importlib
from typing import TYPE_CHECKING, Any

from . import errors
from .instruments import Instrument, list_instruments, load_instrument

# Imported eagerly (they are light): the submodules `reliability` and `validate` have the
# names of their functions, and once imported a submodule would shadow a lazy attribute.
from .reliability import item_analysis, omega_hierarchical, reliability
from .scoring import score
from .validate import validate

if TYPE_CHECKING:
    from . import datasets
    from .agreement import role_agreement
    from .dose import dose_table
    from .effects import clinical_change, clinical_change_table, reliable_change
    from .flow import flow_counts, plot_flow
    from .io import Export, read_export, read_exports
    from .mediation import MediationResult, mediate
    from .missing import (
        Imputation,
        PooledFit,
        dropout_model,
        dropout_table,
        impute,
        missing_pattern,
        plot_dropout,
        pool,
        tipping_point,
    )
    from .models import GlmmFit, MixedFit, compare, families, fit_glmm, fit_mixed
    from .models.mmrm import MmrmFit, fit_mmrm
    from .plots import plot_attrition, plot_items, plot_trajectories
    from .report import analyze
    from .reshape import stack_waves, to_long, to_wide
    from .roles import classify_roles, describe_role_rule, role_cutoffs, roles_from_interactions
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
    from .transitions import RoleTransitions, role_transitions
    from .within import change, change_scores, decompose, lag

__version__ = "0.1.0"

# Stages that pull in SciPy, statsmodels or matplotlib are imported on first use, so that
# `import helpstats` and the command line start fast.
_LAZY = {
    "datasets": ".datasets",
    "dose_table": ".dose",
    "reliable_change": ".effects",
    "clinical_change": ".effects",
    "clinical_change_table": ".effects",
    "role_agreement": ".agreement",
    "Export": ".io",
    "read_export": ".io",
    "MediationResult": ".mediation",
    "mediate": ".mediation",
    "Imputation": ".missing",
    "PooledFit": ".missing",
    "dropout_model": ".missing",
    "dropout_table": ".missing",
    "impute": ".missing",
    "missing_pattern": ".missing",
    "plot_dropout": ".missing",
    "pool": ".missing",
    "tipping_point": ".missing",
    "read_exports": ".io",
    "GlmmFit": ".models",
    "MixedFit": ".models",
    "compare": ".models",
    "families": ".models",
    "fit_glmm": ".models",
    "fit_mixed": ".models",
    "MmrmFit": ".models.mmrm",
    "fit_mmrm": ".models.mmrm",
    "flow_counts": ".flow",
    "plot_flow": ".flow",
    "plot_attrition": ".plots",
    "plot_items": ".plots",
    "plot_trajectories": ".plots",
    "analyze": ".report",
    "stack_waves": ".reshape",
    "to_long": ".reshape",
    "to_wide": ".reshape",
    "classify_roles": ".roles",
    "describe_role_rule": ".roles",
    "role_cutoffs": ".roles",
    "roles_from_interactions": ".roles",
    "power": ".simulate",
    "simulate_trial": ".simulate",
    "load_study": ".study",
    "RoleTransitions": ".transitions",
    "role_transitions": ".transitions",
    "change": ".within",
    "change_scores": ".within",
    "decompose": ".within",
    "lag": ".within",
    "attrition_table": ".tables",
    "format_table": ".tables",
    "model_table": ".tables",
    "outcome_table": ".tables",
    "reliability_table": ".tables",
    "table_one": ".tables",
    "write_tables": ".tables",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'helpstats' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name], __name__)
    value = module if name == "datasets" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Export",
    "Imputation",
    "GlmmFit",
    "Instrument",
    "MediationResult",
    "MixedFit",
    "RoleTransitions",
    "PooledFit",
    "MmrmFit",
    "__version__",
    "analyze",
    "change",
    "change_scores",
    "attrition_table",
    "classify_roles",
    "clinical_change",
    "clinical_change_table",
    "compare",
    "datasets",
    "decompose",
    "describe_role_rule",
    "dose_table",
    "dropout_model",
    "dropout_table",
    "errors",
    "families",
    "fit_glmm",
    "fit_mixed",
    "fit_mmrm",
    "flow_counts",
    "format_table",
    "impute",
    "item_analysis",
    "lag",
    "list_instruments",
    "load_instrument",
    "load_study",
    "mediate",
    "missing_pattern",
    "model_table",
    "omega_hierarchical",
    "outcome_table",
    "plot_attrition",
    "plot_dropout",
    "plot_flow",
    "plot_items",
    "plot_trajectories",
    "pool",
    "power",
    "read_export",
    "read_exports",
    "reliability",
    "reliability_table",
    "reliable_change",
    "role_agreement",
    "role_cutoffs",
    "role_transitions",
    "roles_from_interactions",
    "score",
    "simulate_trial",
    "stack_waves",
    "table_one",
    "tipping_point",
    "to_long",
    "to_wide",
    "validate",
    "write_tables",
]
