"""Formatting: a numeric table to its composed display text (APA style by default)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import TableError
from ._layout import compose, format_p

__all__ = ["format_p", "format_table"]


def format_table(table: pd.DataFrame, *, decimals: int = 2, p_style: str = "apa",
                 labels: Any = None) -> pd.DataFrame:
    """Render a numeric helpstats table as display text, one string per cell.

    This is the table every writer shows (:func:`compose` gives it with the
    cells' types and number formats), as one DataFrame of text.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from ``table_one``, ``attrition_table``, ``model_table``,
        ``outcome_table``, ``reliability_table``, or any numeric DataFrame.
    decimals : int, default 2
        Decimals of estimates, means and SDs. Percentages and df show one;
        counts none; p-values three.
    p_style : {"apa", "plain"}, default "apa"
        ``"apa"``: p as ``".031"`` and ``"< .001"``; values that cannot
        exceed 1 (alpha, omega, r) without the leading zero. ``"plain"``
        keeps the zeros for p.
    labels : Labels, Study or mapping, optional
        Variable and level labels (added to those the builder stored).

    Returns
    -------
    pandas.DataFrame
        Strings (missing values as ``""``) with the display labels as column
        names. Table 1: ``Characteristic, Level``, one column per group,
        ``Overall`` (and ``Test``, ``p``); outcome table: ``<by>, <wave>, n, M,
        SD, EMM, 95% CI, Change, ..., d`` (a repeated label is prefixed by the
        column before it: ``EMM 95% CI``); a table with several panels (the
        model table: fixed effects, Type III tests, random effects, fit) has
        each later panel's heading and column labels as rows. ``attrs`` are
        kept, with ``formatted=True``.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> t = pd.DataFrame({"term": ["x"], "estimate": [-1.2345], "n": [40], "p": [0.0004],
    ...                   "alpha": [0.812]})
    >>> hs.format_table(t)
      term estimate   n       p alpha
    0    x    -1.23  40  < .001   .81
    """
    if not isinstance(table, pd.DataFrame):
        raise TableError(f"format_table expects a DataFrame; got {type(table).__name__}.")
    if table.attrs.get("formatted"):
        return table.copy()
    out = compose(table, decimals=decimals, p_style=p_style, labels=labels).to_frame()
    out.attrs = {**table.attrs, "formatted": True}
    return out
