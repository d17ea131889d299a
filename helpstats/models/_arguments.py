"""The argument check every model-fitting function shares: ``(data, formula)`` in that order.

statsmodels' ``mixedlm(formula, data)`` puts the formula first; helpstats puts
the data first (DESIGN.md: data first, then keyword-only options). A call with
the two swapped gets an error that says so, instead of an error that prints
the whole DataFrame as "the formula".

Examples
--------
>>> import pandas as pd
>>> check_data_formula("fit_mixed", pd.DataFrame({"y": [1.0]}), "y ~ 1 + (1 | g)")
>>> try:
...     check_data_formula("fit_mixed", "y ~ 1 + (1 | g)", pd.DataFrame({"y": [1.0]}))
... except ValueError as error:
...     print(error)  # doctest: +ELLIPSIS
fit_mixed(data, formula): the first argument is the data frame; you passed the formula \
first -- swap them: fit_mixed(data, 'y ~ 1 + (1 | g)', ...).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import ModelError

__all__ = ["check_data_formula"]


def _is_frame(value: Any) -> bool:
    return isinstance(value, pd.DataFrame) or type(value).__name__ == "DataFrame"


def check_data_formula(function: str, data: Any, formula: Any) -> None:
    """Raise :class:`~helpstats.errors.ModelError` unless ``data`` is a frame and
    ``formula`` a string; say "swap them" when they were passed the other way round."""
    if isinstance(data, str) and _is_frame(formula):
        raise ModelError(
            f"{function}(data, formula): the first argument is the data frame; you passed "
            f"the formula first -- swap them: {function}(data, {data!r}, ...)."
        )
    if not _is_frame(data):
        raise ModelError(
            f"{function}(data, formula): data must be a pandas DataFrame, got "
            f"{type(data).__name__}. Pass the long analysis frame first."
        )
    if not isinstance(formula, str):
        raise ModelError(
            f"{function}(data, formula): formula must be a string such as "
            f"'y ~ wave + (1 | id)', got {type(formula).__name__}."
        )
