"""The confidence-level rule, in one place.

Every ``level=`` in helpstats (marginal means, contrasts, ``confint``, tables,
plots) is checked by :func:`check_level`, turned into limits by
:func:`interval` (two-sided, ``estimate -/+ q * se`` with ``q`` the t quantile
at the given df, the normal quantile when df is infinite) and printed by
:func:`level_text`, so the label always names the level used.

Examples
--------
>>> level_text(0.8), level_text(0.95), level_text(0.999)
('80%', '95%', '99.9%')
>>> [round(v, 4) for v in interval(10.0, 2.0, 30.0, 0.95)]
[5.9155, 14.0845]
>>> [round(v, 4) for v in interval(0.0, 1.0, float("inf"), 0.9)]
[-1.6449, 1.6449]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from .errors import LevelError

__all__ = ["check_level", "interval", "level_text", "quantile"]


def check_level(level: Any) -> float:
    """``level`` as a float strictly between 0 and 1, else :class:`LevelError`.

    Examples
    --------
    >>> check_level(0.9)
    0.9
    """
    ok = isinstance(level, int | float | np.floating) and not isinstance(level, bool)
    if not ok or not math.isfinite(float(level)) or not 0 < float(level) < 1:
        raise LevelError(
            f"level={level!r} is not a confidence level; expected a number between 0 and 1 "
            "such as 0.95 (not 95)."
        )
    return float(level)


def level_text(level: float) -> str:
    """The label of a level: ``"95%"``."""
    return f"{100 * check_level(level):.10g}%"


def quantile(level: float, df: Any) -> np.ndarray:
    """Two-sided critical value: the t quantile at ``df`` (normal for infinite df)."""
    lv = check_level(level)
    return np.asarray(stats.t.ppf(0.5 + lv / 2, np.asarray(df, dtype=float)), dtype=float)


def interval(estimate: Any, se: Any, df: Any, level: float) -> tuple[Any, Any]:
    """Lower and upper limits ``estimate -/+ quantile(level, df) * se`` (NaN stays NaN)."""
    est = np.asarray(estimate, dtype=float)
    half = quantile(level, df) * np.asarray(se, dtype=float)
    lower, upper = est - half, est + half
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper
