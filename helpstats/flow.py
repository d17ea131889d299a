"""Participant flow: enrolled -> assessed at each wave -> analysed, by arm or role (CONSORT).

:func:`flow_counts` counts the participants of a long frame at each step and
:func:`plot_flow` draws them as a CONSORT-style diagram (boxes and arrows),
one column per group. Every number comes from the data:

- **enrolled**: participants with a row at any wave (ids compared as text);
- **group**: a participant's group is the value of ``by`` at their first wave
  with one (as :func:`helpstats.attrition_table` counts them); participants
  without one form the group ``"(missing)"``;
- **assessed** at a wave: participants with a row at that wave (with
  ``outcomes``: a row with at least one outcome present); *not assessed* is
  the rest of the group;
- **analysed** for an outcome: participants with at least one row where the
  outcome and every column of ``require`` are present (the rows a mixed model
  of that outcome uses), and the number of those rows.

Examples
--------
>>> import pandas as pd
>>> long = pd.DataFrame({"pid": [1, 1, 2, 2, 3], "wave": [0, 1, 0, 1, 0],
...                      "arm": ["a", "a", "b", "b", "b"], "y": [5, 4, None, 3, 6]})
>>> flow_counts(long, id="pid", wave="wave", by="arm", outcomes=["y"])
      group     step  wave outcome  n  not_counted  observations
0         a  allocated  None    None  1            0           NaN
1         a  assessed     0    None  1            0           NaN
2         a  assessed     1    None  1            0           NaN
3         a  analysed  None       y  1            0           2.0
4         b  allocated  None    None  2            0           NaN
5         b  assessed     0    None  1            1           NaN
6         b  assessed     1    None  1            1           NaN
7         b  analysed  None       y  2            0           2.0
8   Overall  enrolled  None    None  3            0           NaN
9   Overall  assessed     0    None  2            1           NaN
10  Overall  assessed     1    None  2            1           NaN
11  Overall  analysed  None       y  3            0           4.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._ids import id_text
from .errors import TableError
from .figures import label_of, level_of, style
from .tables._common import key, levels, require_columns, require_frame

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["flow_counts", "plot_flow"]

_COLUMNS = ["group", "step", "wave", "outcome", "n", "not_counted", "observations"]


def flow_counts(
    data: pd.DataFrame,
    *,
    id: str,
    wave: str,
    by: str | None = None,
    outcomes: Sequence[str] = (),
    require: Sequence[str] = (),
) -> pd.DataFrame:
    """Participants at each step of the flow: enrolled, assessed at each wave, analysed.

    Parameters
    ----------
    data : pandas.DataFrame
        Long frame, one row per participant and wave. Not modified.
    id, wave : str
        Participant and wave columns. Waves are in the order of their
        categories (categorical column) or sorted.
    by : str, optional
        Arm or role column; without it only the ``"Overall"`` block.
    outcomes : sequence of str
        Outcomes whose analysed participants are counted; with outcomes, a
        participant is *assessed* at a wave when a row there has any of them.
    require : sequence of str
        Further columns a row needs for the models (group, covariates).

    Returns
    -------
    pandas.DataFrame
        Columns ``group, step, wave, outcome, n, not_counted, observations``.
        Per group (in level order, then ``"(missing)"``, then ``"Overall"``):
        one ``allocated`` row (``enrolled`` for Overall), one ``assessed``
        row per wave (``not_counted``: the group's participants not assessed
        at that wave), one ``analysed`` row per outcome (``not_counted``:
        participants of the group not analysed; ``observations``: rows used).

    Raises
    ------
    helpstats.errors.TableError
        A column is missing or a row has no id or wave.
    """
    frame = require_frame(data, "flow_counts data")
    require_columns(frame, [id, wave, *([by] if by else []), *outcomes, *require],
                    "flow_counts")
    ids = id_text(frame[id])
    bad = ids.isna() | frame[wave].isna()
    if bad.any():
        raise TableError(f"flow_counts: {int(bad.sum())} row(s) have no {id!r} or {wave!r} "
                         f"(first at index {frame.index[bad.to_numpy()][0]!r}); every row "
                         "needs both. Fill or drop those rows first.")
    waves = levels(frame[wave])
    wave_keys = frame[wave].map(key)
    present = frame[list(outcomes)].notna().any(axis=1) if outcomes else pd.Series(
        True, index=frame.index)
    assessed = {key(w): set(ids[(wave_keys == key(w)) & present]) for w in waves}

    blocks: list[tuple[Any, set[str]]] = []
    if by is not None:
        order = wave_keys.map({key(w): i for i, w in enumerate(waves)})
        known = frame[by].notna()
        first = (pd.DataFrame({"id": ids[known], "order": order[known], "g": frame.loc[known, by]})
                 .sort_values("order", kind="stable").drop_duplicates("id")
                 .set_index("id")["g"])
        everyone = list(dict.fromkeys(ids))
        group_key = {p: key(first[p]) if p in first.index else None for p in everyone}
        for g in levels(frame.loc[known, by]):
            blocks.append((g, {p for p, k in group_key.items() if k == key(g)}))
        without = {p for p, k in group_key.items() if k is None}
        if without:
            blocks.append(("(missing)", without))
    blocks.append(("Overall", set(ids)))

    rows: list[dict[str, Any]] = []
    for g, members in blocks:
        first_step = "enrolled" if g == "Overall" else "allocated"
        rows.append({"group": g, "step": first_step, "wave": None, "outcome": None,
                     "n": len(members), "not_counted": 0, "observations": np.nan})
        for w in waves:
            n = len(assessed[key(w)] & members)
            rows.append({"group": g, "step": "assessed", "wave": w, "outcome": None, "n": n,
                         "not_counted": len(members) - n, "observations": np.nan})
        for outcome in outcomes:
            usable = frame[[outcome, *require]].notna().all(axis=1) & ids.isin(members)
            n = int(ids[usable].nunique())
            rows.append({"group": g, "step": "analysed", "wave": None, "outcome": outcome,
                         "n": n, "not_counted": len(members) - n,
                         "observations": float(usable.sum())})
    out = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object if c in (
        "group", "wave", "outcome") else None) for c in _COLUMNS})
    out.attrs.update(id=id, wave=wave, by=by, outcomes=list(outcomes), require=list(require))
    return out


def plot_flow(
    counts: pd.DataFrame,
    *,
    labels: Any = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw :func:`flow_counts` as a CONSORT-style diagram: one column of boxes per group.

    From the top: the enrolled participants, then each group (arm or role),
    each wave (assessed and not assessed) and the analysed participants per
    outcome, joined by arrows. Without groups, one column.

    Parameters
    ----------
    counts : pandas.DataFrame
        The result of :func:`flow_counts` (its ``attrs`` name the columns).
    labels : mapping or labels object, optional
        Labels of the group column, its levels, the wave and the outcomes (see
        :mod:`helpstats.figures`).
    ax : matplotlib.axes.Axes, optional
        Default: a new figure sized to the diagram.
    title : str, optional
        Axes title (default none: :func:`helpstats.figures.save_figure` adds
        the numbered title).

    Returns
    -------
    matplotlib.axes.Axes
        Axis off; each box is a patch whose text holds its counts.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> long = pd.DataFrame({"pid": [1, 1, 2, 2, 3], "wave": [0, 1, 0, 1, 0],
    ...                      "arm": ["a", "a", "b", "b", "b"], "y": [5, 4, None, 3, 6]})
    >>> ax = plot_flow(flow_counts(long, id="pid", wave="wave", by="arm", outcomes=["y"]))
    >>> [t.get_text() for t in ax.texts][:2]
    ['Enrolled (any assessment)\\nn = 3', 'arm: a\\nn = 1']
    """
    require_columns(counts, _COLUMNS, "plot_flow counts")
    by = counts.attrs.get("by")
    wave = counts.attrs.get("wave", "wave")
    groups = [g for g in pd.unique(counts["group"]) if g != "Overall"]
    if not groups:
        groups = ["Overall"]
    total = counts[(counts["group"] == "Overall") & (counts["step"] == "enrolled")]
    if total.empty:
        raise TableError("plot_flow: counts has no 'Overall' 'enrolled' row; pass the result "
                         "of hs.flow_counts.")
    waves = list(counts.loc[(counts["group"] == "Overall") & (counts["step"] == "assessed"),
                            "wave"])
    outcomes = list(counts.loc[(counts["group"] == "Overall") & (counts["step"] == "analysed"),
                               "outcome"])

    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    ncol = len(groups)
    nrow = 2 + len(waves) + (1 if outcomes else 0) - (1 if groups == ["Overall"] else 0)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(2.6 * ncol, 4.0), 0.95 * nrow + 0.2))
    width, gap = 1.0, 0.18
    box_w, box_h = width - gap, 0.78
    xs = [i * width + width / 2 for i in range(ncol)]
    span = ncol * width
    line_w = 0.9

    def box(x: float, y: float, text: str, colour: str, w: float = box_w) -> None:
        ax.add_patch(FancyBboxPatch((x - w / 2, y - box_h / 2), w, box_h,
                                    boxstyle="round,pad=0.02,rounding_size=0.06",
                                    facecolor="white", edgecolor=colour, linewidth=1.4))
        ax.text(x, y, text, ha="center", va="center", fontsize=8, wrap=False)

    def arrow(x0: float, y0: float, x1: float, y1: float) -> None:
        ax.add_patch(FancyArrowPatch((x0, y0 - box_h / 2), (x1, y1 + box_h / 2),
                                     arrowstyle="-|>", mutation_scale=10, color="#333333",
                                     linewidth=line_w, shrinkA=0, shrinkB=0))

    def count(group: Any, step: str, *, wave_value: Any = None,
              outcome: Any = None) -> pd.Series:
        rows = counts[(counts["group"].map(key) == key(group)) & (counts["step"] == step)]
        if wave_value is not None:
            rows = rows[rows["wave"].map(key) == key(wave_value)]
        if outcome is not None:
            rows = rows[rows["outcome"] == outcome]
        return rows.iloc[0]

    y = 0.0
    top_x = span / 2
    box(top_x, y, f"Enrolled (any assessment)\nn = {int(total['n'].iloc[0])}", "#000000",
        w=min(span - gap, 2.4))
    previous = [(top_x, y)] * ncol
    if groups != ["Overall"]:
        y -= 1.0
        for i, g in enumerate(groups):
            row = count(g, "allocated")
            name = (f"{label_of(labels, by)}: {level_of(labels, by, g)}"
                    if g != "(missing)" else f"{label_of(labels, by)} missing")
            box(xs[i], y, f"{name}\nn = {int(row['n'])}", style(i)[0])
            arrow(previous[i][0], previous[i][1], xs[i], y)
        previous = [(x, y) for x in xs]
    for w in waves:
        y -= 1.0
        for i, g in enumerate(groups):
            row = count(g, "assessed", wave_value=w)
            text = (f"{label_of(labels, wave)} {level_of(labels, wave, w)}\n"
                    f"assessed n = {int(row['n'])}\nnot assessed n = {int(row['not_counted'])}")
            box(xs[i], y, text, style(i)[0] if groups != ["Overall"] else "#000000")
            arrow(previous[i][0], previous[i][1], xs[i], y)
        previous = [(x, y) for x in xs]
    if outcomes:
        y -= 1.0
        for i, g in enumerate(groups):
            lines = ["Analysed"]
            for outcome in outcomes:
                row = count(g, "analysed", outcome=outcome)
                lines.append(f"{label_of(labels, outcome)}: {int(row['n'])} "
                             f"({int(row['observations'])} obs.)")
            box(xs[i], y, "\n".join(lines), style(i)[0] if groups != ["Overall"] else "#000000")
            arrow(previous[i][0], previous[i][1], xs[i], y)
    ax.set_xlim(0, span)
    ax.set_ylim(y - 0.55, 0.55)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
