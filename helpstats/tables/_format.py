"""Formatting: numeric tables to display text (APA style by default)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .._level import level_text
from ..errors import TableError
from ._common import key

__all__ = ["format_p", "format_table"]

P_STYLES = ("apa", "plain")
#: Columns counted in whole numbers.
COUNT_COLUMNS = {"n", "nobs", "enrolled", "observed", "lost", "returned", "missing"}


def column_role(name: str) -> str:
    """How a numeric column is displayed: ``"p"``, ``"count"``, ``"pct"``, ``"df"``,
    ``"bounded"`` (cannot exceed 1: no leading zero) or ``"number"``."""
    if name == "p" or name.endswith("_p"):
        return "p"
    if name in COUNT_COLUMNS or name.startswith("n_"):
        return "count"
    if name == "pct" or name.startswith("pct_") or name.endswith("_pct"):
        return "pct"
    if name == "df" or name.endswith("_df") or name in ("num_df", "den_df"):
        return "df"
    if name.startswith(("alpha", "omega")) or name == "r" or name.endswith("_r"):
        return "bounded"
    return "number"


def format_p(p: float, style: str = "apa") -> str:
    """A p-value as text.

    ``"apa"``: three decimals without the leading zero, ``"< .001"`` and
    ``"> .999"`` at the extremes; ``"plain"``: the same with the zero.

    Examples
    --------
    >>> from helpstats.tables import format_p
    >>> format_p(0.0309), format_p(0.00001), format_p(0.5), format_p(0.0309, "plain")
    ('.031', '< .001', '.500', '0.031')
    """
    if style not in P_STYLES:
        raise TableError(f"p_style={style!r} is not known; use one of {P_STYLES}.")
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    zero = "" if style == "apa" else "0"
    if p < 0.001:
        return f"< {zero}.001"
    if p > 0.999:
        return f"> {zero}.999"
    return f"{p:.3f}".replace("0.", zero + ".", 1)


def format_number(x: Any, role: str, decimals: int, p_style: str) -> str:
    """Format one cell by its column role; missing values become ``""``."""
    if _missing(x):
        return ""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if role == "p":
        return format_p(float(x), p_style)
    if role == "count" and float(x).is_integer():
        return str(int(x))
    if role == "pct":
        return f"{x:.1f}"
    if role == "df":
        return f"{x:.1f}"
    text = f"{x:.{decimals}f}"
    if role == "bounded" and abs(x) < 1:
        text = text.replace("0.", ".", 1)
    return text


def format_table(table: pd.DataFrame, *, decimals: int = 2, p_style: str = "apa") -> pd.DataFrame:
    """Render a numeric helpstats table as display text, one string per cell.

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

    Returns
    -------
    pandas.DataFrame
        Strings (missing values as ``""``), same columns as ``table`` except for
        Table 1, which becomes ``variable, level``, one column per group,
        ``Overall`` (and ``test``, ``p``): "mean (SD)", "median [Q1, Q3]",
        "n (%)", and a ``missing`` row under variables with missing values;
        and the outcome table, which becomes ``<group>, <time>, n, mean (SD),
        EMM [95% CI], change [95% CI], difference vs <reference> [95% CI], p,
        d [95% CI]`` (p of the difference, its adjustment named in the header).
        ``attrs`` are kept, with ``formatted=True``.

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
    if not isinstance(decimals, int) or decimals < 0:
        raise TableError(f"decimals={decimals!r}: expected a non-negative integer.")
    if p_style not in P_STYLES:
        raise TableError(f"p_style={p_style!r} is not known; use one of {P_STYLES}.")
    if table.attrs.get("formatted"):
        return table.copy()
    if table.attrs.get("kind") == "table_one":
        out = _format_table_one(table, decimals, p_style)
    elif table.attrs.get("kind") == "outcome":
        out = _format_outcome(table, decimals, p_style)
    else:
        out = pd.DataFrame(index=table.index)
        labels = label_columns(table)
        for col in table.columns:
            if col in labels:
                out[col] = ["" if _missing(v) else key(_py(v)) for v in table[col]]
                continue
            role = column_role(str(col))
            out[col] = [format_number(_py(v), role, decimals, p_style) for v in table[col]]
        if table.attrs.get("kind") == "model":
            fit_rows = (table["section"] == "fit") & (table["term"] != "log-likelihood")
            out.loc[fit_rows, "estimate"] = [
                format_number(_py(v), "count", decimals, p_style)
                for v in table.loc[fit_rows, "estimate"]
            ]
        out = out.reset_index(drop=True)
    out.attrs = {**table.attrs, "formatted": True}
    return out


def label_columns(table: pd.DataFrame) -> list[Any]:
    """Columns shown as factor labels: those named in ``attrs["label_columns"]`` and
    categorical columns."""
    named = [c for c in table.attrs.get("label_columns") or [] if c in table.columns]
    return [c for c in table.columns
            if c in named or isinstance(table[c].dtype, pd.CategoricalDtype)]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _py(value: Any) -> Any:
    """numpy scalars to Python scalars (``int``/``float``), everything else unchanged."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


def _format_table_one(table: pd.DataFrame, decimals: int, p_style: str) -> pd.DataFrame:
    groups: list[str] = list(table.attrs.get("groups") or pd.unique(table["group"]))
    has_p = "p" in table.columns
    rows: list[dict[str, str]] = []

    def cell(r: pd.Series) -> str:
        def f(x: Any) -> str:
            return "NA" if pd.isna(x) else f"{x:.{decimals}f}"

        if r["summary"] == "count":
            return str(int(r["n"]))
        if r["summary"] == "n_pct":
            pct = "NA" if pd.isna(r["pct"]) else f"{r['pct']:.1f}"
            return f"{int(r['n'])} ({pct})"
        if r["n"] == 0:
            return ""
        if r["summary"] == "median_iqr":
            return f"{f(r['median'])} [{f(r['q1'])}, {f(r['q3'])}]"
        return f"{f(r['mean'])} ({f(r['sd'])})"

    labels = {"count": "", "mean_sd": ", mean (SD)", "median_iqr": ", median [Q1, Q3]",
              "n_pct": ", n (%)"}
    for var, block in table.groupby("variable", sort=False):
        summary = str(block["summary"].iloc[0])
        test = {}
        if has_p:
            first = block.iloc[0]
            test = {"test": "" if first["test"] is None or pd.isna(first["test"])
                    else str(first["test"]), "p": format_number(_py(first["p"]), "p", decimals,
                                                                p_style)}
        name = f"{var}{labels[summary]}"
        if summary == "n_pct":
            rows.append({"variable": name, "level": "", **{g: "" for g in groups}, **test})
            for level, lv_block in block.groupby("level", sort=False):
                by_group = {str(r["group"]): cell(r) for _, r in lv_block.iterrows()}
                rows.append({"variable": "", "level": str(level), **by_group})
        else:
            by_group = {str(r["group"]): cell(r) for _, r in block.iterrows()}
            rows.append({"variable": name, "level": "", **by_group, **test})
        if summary != "count" and block["missing"].sum() > 0:
            missing = block.drop_duplicates("group").set_index("group")["missing"]
            rows.append({"variable": "", "level": "missing",
                         **{g: str(int(missing[g])) for g in groups}})
    columns = ["variable", "level", *groups, *(["test", "p"] if has_p else [])]
    return pd.DataFrame(rows).reindex(columns=columns).fillna("")


def _format_outcome(table: pd.DataFrame, decimals: int, p_style: str) -> pd.DataFrame:
    attrs = table.attrs
    group, time = attrs["group"], attrs["time"]
    pct = level_text(attrs.get("level", 0.95))

    def num(x: Any) -> str:
        return format_number(_py(x), "number", decimals, p_style)

    def with_ci(est: Any, lower: Any, upper: Any) -> str:
        if _missing(_py(est)):
            return ""
        if _missing(_py(lower)) or _missing(_py(upper)):
            return num(est)
        return f"{num(est)} [{num(lower)}, {num(upper)}]"

    adjust = attrs.get("adjust", "none")
    p_name = "p" if adjust == "none" else f"p ({adjust})"
    out = pd.DataFrame({
        group: [key(_py(v)) for v in table[group]],
        time: [key(_py(v)) for v in table[time]],
        "n": [format_number(_py(v), "count", decimals, p_style) for v in table["n"]],
        "mean (SD)": ["" if _missing(_py(m)) else f"{num(m)} ({'NA' if _missing(_py(s)) else num(s)})"
                      for m, s in zip(table["mean"], table["sd"], strict=True)],
        f"EMM [{pct} CI]": [with_ci(*r) for r in zip(table["emmean"], table["lower"],
                                                     table["upper"], strict=True)],
        f"change [{pct} CI]": [with_ci(*r) for r in zip(table["change"], table["change_lower"],
                                                        table["change_upper"], strict=True)],
        f"difference vs {key(attrs.get('reference'))} [{pct} CI]": [
            with_ci(*r) for r in zip(table["diff"], table["diff_lower"], table["diff_upper"],
                                     strict=True)],
        p_name: [format_number(_py(v), "p", decimals, p_style) for v in table["diff_p"]],
        f"d [{pct} CI]": [with_ci(*r) for r in zip(table["d"], table["d_lower"], table["d_upper"],
                                                   strict=True)],
    })
    return out
