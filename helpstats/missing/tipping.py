"""Delta-adjustment (tipping-point) sensitivity analysis of multiply imputed data.

Under missing not at random, the values of those who dropped out may be worse
(or better) than MAR imputation predicts. The delta adjustment adds a fixed
shift to the *imputed* values only, refits and pools for each shift, and finds
the shift at which the primary conclusion changes (Ratitch, O'Kelly & Tosiello
2013; van Buuren 2018, section 3.9).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._display import result_html
from .._keywords import renamed_keywords
from ..errors import ImputationError
from .imputation import Imputation
from .pooling import pool

__all__ = ["TippingPoint", "tipping_point"]


@dataclass(frozen=True, repr=False)
class TippingPoint:
    """Pooled primary contrast for each delta.

    Attributes
    ----------
    table : pandas.DataFrame
        ``delta, estimate, se, df, p, lower, upper``, one row per delta.
    tipping_delta : float or None
        The delta nearest to 0 at which ``p >= alpha`` (significance is lost)
        when the unshifted analysis is significant, or at which ``p < alpha``
        when it is not; None when no delta given changes the conclusion.
    alpha : float
        Significance level.
    """

    table: pd.DataFrame
    tipping_delta: float | None
    alpha: float
    column: str
    shift_level: Hashable | None

    def __repr__(self) -> str:
        where = "all arms" if self.shift_level is None else f"arm {self.shift_level!r}"
        return (f"<TippingPoint: {len(self.table)} deltas added to imputed {self.column!r} in {where}; "
                f"tipping delta {self.tipping_delta}>")

    def _repr_html_(self) -> str:
        return result_html(repr(self).strip("<>"), [], {"Pooled contrast by delta": self.table})

    def plot(self, ax: Any = None) -> Any:
        """Estimate and CI of the contrast against delta, with the tipping point marked."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        t = self.table
        ax.fill_between(t["delta"], t["lower"], t["upper"], alpha=0.25, label="confidence interval")
        ax.plot(t["delta"], t["estimate"], marker="o", label="pooled estimate")
        ax.axhline(0, color="black", lw=0.8)
        if self.tipping_delta is not None:
            ax.axvline(self.tipping_delta, color="tab:red", ls="--",
                       label=f"tipping point (delta = {self.tipping_delta:g})")
        ax.set_xlabel(f"delta added to imputed {self.column}")
        ax.set_ylabel("contrast")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
        return ax


def _default_contrast(fit: Any, arm: str, wave: str) -> pd.DataFrame:
    table = fit.contrasts(arm, by=wave)
    last = table[wave].iloc[-1]
    return table[table[wave] == last].reset_index(drop=True)


@renamed_keywords(column="outcome", arm="by")
def tipping_point(imp: Imputation, fit_fn: Callable[[pd.DataFrame], Any], *, outcome: str,
                  deltas: Sequence[float], by: str = "arm", shift_level: Hashable | None = None,
                  contrast: Callable[[Any], pd.DataFrame] | None = None, wave: str | None = None,
                  alpha: float = 0.05, level: float = 0.95) -> TippingPoint:
    """Shift imputed values by each delta, refit, pool, and find where the result tips.

    Parameters
    ----------
    imp : Imputation
        From :func:`helpstats.impute`.
    fit_fn : callable
        ``fit_fn(completed_frame) -> fit``, e.g.
        ``lambda d: hs.fit_mixed(d, "phq9_total ~ arm * visit + (1 | id)")``.
    outcome : str
        An imputed column (formerly ``column=``); delta is added to its imputed
        cells, never to observed ones.
    deltas : list of float
        Shifts to try (0 is added if absent, as the reference).
    by : str, default "arm"
        The arm (or role) column whose levels are compared (formerly ``arm=``).
    shift_level : optional
        Shift only the imputed values of participants in this arm (default: all).
    contrast : callable, optional
        ``contrast(fit) -> DataFrame`` with one row and ``estimate, se, df``;
        default: ``fit.contrasts(by, by=wave)`` at the last wave (the first
        pairwise difference), with ``wave`` the imputation's wave column.
    wave : str, optional
        The model's wave factor for the default contrast (default ``imp.wave``).
    alpha, level : float
        Significance and confidence level.

    Returns
    -------
    TippingPoint
    """
    column, arm = outcome, by
    if column not in imp.columns:
        raise ImputationError(f"column {column!r} was not imputed; imputed columns: {list(imp.columns)}.")
    base_frame = imp.completed[0]
    if arm not in base_frame.columns:
        raise ImputationError(f"by={arm!r} is not a column of the completed data.")
    if shift_level is not None and shift_level not in set(base_frame[arm].dropna().tolist()):
        raise ImputationError(f"shift_level={shift_level!r} is not a level of {arm!r} "
                              f"({sorted(map(str, base_frame[arm].dropna().unique()))}).")
    wave_col = imp.wave if wave is None else wave
    get = contrast or (lambda f: _default_contrast(f, arm, wave_col))
    shifts = sorted(set(float(d) for d in deltas) | {0.0})
    imputed = imp.observed[column].isna().to_numpy()
    rows = []
    for delta in shifts:
        fits = []
        for frame in imp.completed:
            mask = imputed.copy()
            if shift_level is not None:
                mask &= (frame[arm] == shift_level).to_numpy()
            shifted = frame.copy()
            values = shifted[column].to_numpy(dtype=float).copy()
            values[mask] += delta
            shifted[column] = values
            fits.append(fit_fn(shifted))
        pooled = pool(fits, level=level)
        r = pooled.pool_table(get, estimate="estimate", keys=[], level=level).iloc[0]
        rows.append({"delta": delta, "estimate": r["estimate"], "se": r["se"], "df": r["df"],
                     "p": r["p"], "lower": r["lower"], "upper": r["upper"]})
    table = pd.DataFrame(rows)
    significant0 = bool(table.loc[table["delta"] == 0.0, "p"].iloc[0] < alpha)
    changed = table[(table["p"] < alpha) != significant0]
    tip = None
    if len(changed):
        tip = float(changed.iloc[np.argmin(np.abs(changed["delta"].to_numpy()))]["delta"])
    return TippingPoint(table, tip, alpha, column, shift_level)
