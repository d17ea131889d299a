"""Display layouts: how a numeric table becomes the composed table every writer renders.

A table builder declares its layout (``attrs["layout"]``, a name in the registry
:data:`LAYOUTS`); :func:`compose` turns the numeric frame into a :class:`Composed`
table: panels of typed cells, each with a *role* that fixes its number format:

================  ===============================  ==================================
role              text (decimals = 2)              Excel number format
================  ===============================  ==================================
``text``          as it is                         text cell
``integer``       ``451``                          ``0``
``estimate``      ``-1.23``                        ``0.00``
``p``             ``.031``, ``< .001`` (APA)       ``[<0.001]"< .001";[>0.999]"> .999";.000``
``ci``            ``[-2.10, -0.36]``               text cell (from the two limits)
``pct``, ``df``   ``12.5``                         ``0.0``
``bounded``       ``.81`` (alpha, r: no 0)         ``.00``
``mean_sd``       ``9.10 (5.20)``                  text cell
``median_iqr``    ``9.00 [6.00, 12.00]``           text cell
``n_pct``         ``12 (40.0)``                    text cell
================  ===============================  ==================================

The writers (``.xlsx``, ``.md``, ``.html``, ``.docx``, ``.tex``, CSV) only render a
:class:`Composed` table: they all show the same columns, labels, cells and notes.

Examples
--------
>>> import pandas as pd
>>> from helpstats.tables import compose
>>> composed = compose(pd.DataFrame({"term": ["x"], "estimate": [-1.2345], "p": [0.0004]}))
>>> composed.panels[0].header
('term', 'estimate', 'p')
>>> [composed.text(c) for c in composed.panels[0].rows[0]]
['x', '-1.23', '< .001']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from ..errors import TableError
from ._labels import Labels, as_labels

__all__ = ["LAYOUTS", "Cell", "Composed", "Panel", "cell_text", "column_role", "compose",
           "format_p", "level_text", "number_format", "register_layout"]

P_STYLES = ("apa", "plain")
#: Roles whose cells are numbers (written as numbers in .xlsx).
NUMERIC_ROLES = frozenset({"integer", "estimate", "p", "pct", "df", "bounded"})
#: Roles shown right-aligned (numbers and text made of numbers).
RIGHT_ROLES = NUMERIC_ROLES | {"ci", "mean_sd", "median_iqr", "n_pct"}
#: Columns counted in whole numbers.
COUNT_COLUMNS = {"n", "nobs", "enrolled", "observed", "lost", "returned", "missing"}


class Cell(NamedTuple):
    """One cell: a value (number, text, or a tuple for a composite role) and its role."""

    value: Any
    role: str = "text"


@dataclass(frozen=True)
class Panel:
    """One block of a composed table: an optional heading, column labels and rows.

    ``roles`` holds one role per column (its alignment and number format);
    ``emphasis`` marks rows shown as sub-headings (Table 1's variable names).
    """

    header: tuple[str, ...]
    roles: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    title: str | None = None
    emphasis: tuple[bool, ...] = ()

    def right_aligned(self, j: int) -> bool:
        """Whether column ``j`` holds numbers (right-aligned)."""
        return self.roles[j] in RIGHT_ROLES


@dataclass(frozen=True)
class Composed:
    """A table as every writer shows it: panels of cells, notes, the format options."""

    panels: tuple[Panel, ...]
    notes: tuple[str, ...] = ()
    decimals: int = 2
    p_style: str = "apa"
    data: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def text(self, cell: Cell) -> str:
        """The displayed text of one cell."""
        return cell_text(cell, self.decimals, self.p_style)

    @property
    def note(self) -> str:
        """The notes as one paragraph."""
        return " ".join(n for n in self.notes if n)

    def to_frame(self) -> pd.DataFrame:
        """The composed table as text, one DataFrame (panels stacked; a later panel's
        heading and column labels become rows)."""
        width = max(len(p.header) for p in self.panels)
        header = list(self.panels[0].header) + [""] * (width - len(self.panels[0].header))
        rows: list[list[str]] = []
        for i, panel in enumerate(self.panels):
            if i:
                if panel.title:
                    rows.append([panel.title] + [""] * (width - 1))
                rows.append(list(panel.header) + [""] * (width - len(panel.header)))
            for row in panel.rows:
                cells = [self.text(c) for c in row]
                rows.append(cells + [""] * (width - len(cells)))
        columns = pd.Index(_unique(header))
        return pd.DataFrame(rows, columns=columns)


def _unique(names: Sequence[str]) -> list[str]:
    """Column labels made distinct: a repeated label is prefixed by the label before it
    (``EMM``, ``95% CI``, ``Change``, ``95% CI`` -> ``..., Change 95% CI``)."""
    counts = {n: list(names).count(n) for n in names}
    out: list[str] = []
    for i, name in enumerate(names):
        label = f"{names[i - 1]} {name}" if counts[name] > 1 and i > 0 and name else name
        while label in out:
            label += "'"
        out.append(label)
    return out


def missing(value: Any) -> bool:
    """None, NA or NaN."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def py(value: Any) -> Any:
    """numpy scalars to Python scalars, everything else unchanged."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


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


def _number(x: Any, role: str, decimals: int, p_style: str) -> str:
    x = py(x)
    if missing(x):
        return ""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if role == "p":
        return format_p(float(x), p_style)
    if role == "integer":
        return str(int(x)) if float(x).is_integer() else f"{x:.{decimals}f}"
    if role in ("pct", "df"):
        return f"{x:.1f}"
    text = f"{x:.{decimals}f}"
    if role == "bounded" and abs(x) < 1:
        text = text.replace("0.", ".", 1)
    return text


def cell_text(cell: Cell, decimals: int = 2, p_style: str = "apa") -> str:
    """The displayed text of a :class:`Cell` (missing values as ``""``, or ``NA``
    inside a composite such as ``9.10 (NA)``)."""
    value, role = cell

    def f(x: Any, sub: str = "estimate") -> str:
        return _number(x, sub, decimals, p_style) or "NA"

    if role == "text":
        return "" if missing(py(value)) else str(value)
    if role in NUMERIC_ROLES:
        return _number(value, role, decimals, p_style)
    if value is None:
        return ""
    if role == "ci":
        lower, upper = value[:2]
        sub = value[2] if len(value) > 2 else "estimate"
        if missing(py(lower)) and missing(py(upper)):
            return ""
        return f"[{f(lower, sub)}, {f(upper, sub)}]"
    if role == "mean_sd":
        return f"{f(value[0])} ({f(value[1])})"
    if role == "median_iqr":
        return f"{f(value[0])} [{f(value[1])}, {f(value[2])}]"
    if role == "n_pct":
        return f"{f(value[0], 'integer')} ({f(value[1], 'pct')})"
    raise TableError(f"cell role {role!r} is not known.")


def number_format(role: str, decimals: int = 2, p_style: str = "apa") -> str:
    """The Excel number format of a numeric role (``"@"``, text, for the others)."""
    fixed = "0." + "0" * decimals if decimals else "0"
    if role == "p":
        zero = "" if p_style == "apa" else "0"
        return f'[<0.001]"< {zero}.001";[>0.999]"> {zero}.999";{zero}.000'
    if role == "integer":
        return "0"
    if role in ("pct", "df"):
        return "0.0"
    if role == "bounded":
        return fixed[1:] if decimals else "0"
    if role == "estimate":
        return fixed
    return "@"


def column_role(name: str) -> str:
    """The role of a numeric column of a plain table, from its name: ``"p"``,
    ``"integer"`` (counts), ``"pct"``, ``"df"``, ``"bounded"`` (alpha, omega, r) or
    ``"estimate"``."""
    if name == "p" or name.endswith("_p"):
        return "p"
    if name in COUNT_COLUMNS or name.startswith("n_"):
        return "integer"
    if name == "pct" or name.startswith("pct_") or name.endswith("_pct"):
        return "pct"
    if name == "df" or name.endswith("_df") or name in ("num_df", "den_df"):
        return "df"
    if name.startswith(("alpha", "omega")) or name == "r" or name.endswith("_r"):
        return "bounded"
    return "estimate"


@dataclass(frozen=True)
class Options:
    """What a layout needs besides the table."""

    decimals: int
    p_style: str
    labels: Labels


#: Layout name -> function ``(table, options) -> (panels, notes)``.
LAYOUTS: dict[str, Callable[[pd.DataFrame, Options], tuple[list[Panel], list[str]]]] = {}


def register_layout(name: str) -> Callable[[Callable[[pd.DataFrame, Options],
                                                     tuple[list[Panel], list[str]]]],
                                           Callable[[pd.DataFrame, Options],
                                                    tuple[list[Panel], list[str]]]]:
    """Register the layout a builder declares (``attrs["layout"] = name``)."""
    def decorate(function: Callable[[pd.DataFrame, Options], tuple[list[Panel], list[str]]]
                 ) -> Callable[[pd.DataFrame, Options], tuple[list[Panel], list[str]]]:
        LAYOUTS[name] = function
        return function
    return decorate


def compose(table: pd.DataFrame, *, decimals: int = 2, p_style: str = "apa",
            labels: Any = None) -> Composed:
    """The composed (display) table of a numeric table, as every writer shows it.

    Parameters
    ----------
    table : pandas.DataFrame
        A helpstats table (its ``attrs["layout"]`` names its layout) or any
        DataFrame (text columns as they are; numeric columns formatted by the
        role their name implies, whole-number columns as integers).
    decimals : int, default 2
        Decimals of estimates, means and SDs (percentages and df: one; p: three).
    p_style : {"apa", "plain"}
    labels : Labels, Study or mapping, optional
        Labels of variables and levels; added to (and overriding) the labels the
        builder stored (``attrs["labels"]``).

    Returns
    -------
    Composed
    """
    if not isinstance(table, pd.DataFrame):
        raise TableError(f"expected a DataFrame; got {type(table).__name__}.")
    if not isinstance(decimals, int) or isinstance(decimals, bool) or decimals < 0:
        raise TableError(f"decimals={decimals!r}: expected a non-negative integer.")
    if p_style not in P_STYLES:
        raise TableError(f"p_style={p_style!r} is not known; use one of {P_STYLES}.")
    stored = table.attrs.get("labels")
    merged = as_labels(stored).merged(as_labels(labels)) if labels is not None else \
        as_labels(stored)
    options = Options(decimals=decimals, p_style=p_style, labels=merged)
    name = table.attrs.get("layout")
    layout = LAYOUTS.get(str(name)) if name is not None else None
    if layout is None:
        panels, notes = generic_layout(table, options)
    else:
        panels, notes = layout(table, options)
    return Composed(panels=tuple(panels), notes=tuple(n for n in notes if n), decimals=decimals,
                    p_style=p_style, data=table)


def generic_layout(table: pd.DataFrame, options: Options) -> tuple[list[Panel], list[str]]:
    """Any DataFrame: text columns as text, numbers by the role of their name (a
    column whose values are all whole numbers shows them as integers, e.g. a
    cut-off ``2``, never ``2.0`` or ``2.00``)."""
    named = set(table.attrs.get("label_columns") or [])
    roles = []
    for col in table.columns:
        column = table[col]
        if col in named or isinstance(column.dtype, pd.CategoricalDtype) or not (
                pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)):
            roles.append("text")
            continue
        role = column_role(str(col))
        values = column.dropna()
        if role in ("estimate", "df") and len(values) and all(
                float(v).is_integer() for v in values):
            role = "integer"
        roles.append(role)
    rows = []
    for values in table.itertuples(index=False):
        row = []
        for col, value, role in zip(table.columns, values, roles, strict=True):
            if role == "text":
                value = py(value)
                if col not in named and isinstance(value, int | float) and not isinstance(
                        value, bool) and not missing(value):  # a number in a mixed column
                    whole = math.isfinite(value) and float(value).is_integer()
                    row.append(Cell(value, "integer" if whole else "estimate"))
                    continue
                shown = "" if missing(value) else (options.labels.level(col, value)
                                                   if col in named else str(value))
                row.append(Cell(shown, "text"))
            else:
                row.append(Cell(py(value), role))
        rows.append(tuple(row))
    header = tuple(options.labels.header(c) for c in table.columns)
    notes = table.attrs.get("notes")
    note_list = [notes] if isinstance(notes, str) else list(notes or [])
    return [Panel(header=header, roles=tuple(roles), rows=tuple(rows))], note_list


def level_text(labels: Labels, column: Any, value: Any) -> str:
    """A level's label (or its text)."""
    return labels.level(column, value) if not missing(py(value)) else ""

