"""Plots of trajectories, retention and item responses (matplotlib, imported only when drawing).

Every function draws on a given Axes or a new figure and returns the Axes; none
calls ``plt.show()``, so they work under the non-interactive ``Agg`` backend
(scripts, CI, ``helpstats analyze``). Groups get the Okabe-Ito colours with a
distinct marker and line style each, legends sit outside the axes, and axis
labels come from ``labels=`` (see :mod:`helpstats.figures`, which also writes a
figure as PNG + SVG + PDF with its numbered caption).

Examples
--------
>>> import helpstats as hs
>>> {"plot_attrition", "plot_items", "plot_trajectories"} <= set(hs.__all__)
True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from ._keywords import renamed_keywords
from ._level import check_level, interval, level_text
from .errors import TableError
from .figures import label_of, level_of, style
from .tables._common import key, levels, require_columns
from .tables._model import model_outcome

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .instruments import Instrument

__all__ = ["plot_attrition", "plot_items", "plot_trajectories"]

_RENAME = {"SE": "se", "lower.CL": "lower", "upper.CL": "upper"}
_ONE = "_helpstats_line"  # group column of a single-line plot


@renamed_keywords(group="by", time="wave")
def plot_trajectories(
    fit_or_data: Any,
    *,
    by: str | None = None,
    wave: str,
    outcome: str | None = None,
    spaghetti: bool = False,
    id: str | None = None,
    ax: Axes | None = None,
    data: pd.DataFrame | None = None,
    level: float = 0.95,
    labels: Any = None,
    title: str | None = None,
) -> Axes:
    """Outcome over waves by group: model-based or observed means with confidence intervals.

    Parameters
    ----------
    fit_or_data : mixed-model result or pandas.DataFrame
        A fit from ``hs.fit_mixed``: its marginal means ``emmeans(by,
        by=wave)`` are drawn as lines with their CIs, and the observed means
        as open markers when data are available. A long DataFrame: observed
        means with t-based CIs are drawn as lines.
    by : str or None
        Group column (arm, role; a factor of the model); ``None`` (or the
        wave column itself) draws one line, from ``emmeans(wave)`` for a fit.
        (Formerly ``group=``, which still works for one release.)
    wave : str
        Wave column (a factor of the model). (Formerly ``time=``.)
    outcome : str, optional
        Outcome column; default: the fit's response (``fit.spec.response``).
        Required when plotting a DataFrame.
    spaghetti : bool, default False
        Also draw each participant's observed trajectory (needs ``id``).
    id : str, optional
        Participant column, for ``spaghetti``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new figure.
    data : pandas.DataFrame, optional
        Long frame for observed means and spaghetti with a fit (default: the
        fit's ``data`` attribute when it has one).
    level : float, default 0.95
        Confidence level of every interval drawn (marginal means and observed
        means); the legend and the axis label name it.
    labels : mapping or labels object, optional
        Axis and level labels (see :mod:`helpstats.figures`), e.g. the study
        file's ``wave_label`` for the x axis.
    title : str, optional
        Axes title; default ``"<outcome> by <by>"``; ``""`` for none.

    Returns
    -------
    matplotlib.axes.Axes
        One labelled line per group, each with its own colour (Okabe-Ito),
        marker and line style; waves that are all numbers are placed at their
        values, others evenly with their labels. The legend, outside the axes
        on the right, explains every mark: the groups, the mean with its CI
        (at ``level``) and, for a fit, the observed means.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> long = pd.DataFrame({"pid": [1, 1, 2, 2, 3, 3, 4, 4], "wave": [0, 1] * 4,
    ...                      "arm": ["a"] * 4 + ["b"] * 4, "y": [10, 8, 12, 9, 11, 11, 13, 12]})
    >>> ax = hs.plot_trajectories(long, by="arm", wave="wave", outcome="y",
    ...                           labels={"wave": "Months since baseline"})
    >>> ax.get_legend_handles_labels()[1], ax.get_xlabel()
    (['a', 'b'], 'Months since baseline')
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['a', 'b', 'Observed mean with 95% CI']
    """
    level = check_level(level)
    time = wave
    group = by
    is_frame = isinstance(fit_or_data, pd.DataFrame)
    if is_frame:
        data = fit_or_data
        if outcome is None:
            raise TableError("plot_trajectories: pass outcome= (the column to plot) when "
                             "plotting a DataFrame.")
    else:
        if data is None:
            data = getattr(fit_or_data, "data", None)
        if outcome is None:
            data, outcome = model_outcome(fit_or_data, data)
    single = group is None or group == time
    gcol = _ONE if single else str(group)
    if data is not None:
        require_columns(data, [time, outcome, *([] if single else [gcol])],
                        "plot_trajectories data")
        if single:
            data = data.assign(**{_ONE: str(outcome)})
    if spaghetti:
        if id is None or data is None:
            raise TableError("plot_trajectories: spaghetti=True needs the long data and id= "
                             "(the participant column).")
        require_columns(data, [id], "plot_trajectories data")

    observed = None if data is None else _observed_means(data, gcol, time, str(outcome), level)
    if is_frame and data is not None and observed is not None:
        means = observed.rename(columns={"mean": "estimate"})
        groups = levels(data[gcol])
        times = levels(data[time])
    else:
        # a GLMM is drawn on the response scale (probabilities, rates) with the limits
        # back-transformed from the link scale, as emmeans' type = "response"
        response = getattr(getattr(fit_or_data, "family", None), "link", None) is not None
        extra: dict[str, Any] = {"type": "response", "level": level} if response else {}
        em = fit_or_data.emmeans(time, **extra) if single else \
            fit_or_data.emmeans(gcol, by=time, **extra)
        if not isinstance(em, pd.DataFrame):
            raise TableError("plot_trajectories: fit.emmeans did not return a DataFrame; "
                             "pass the result of hs.fit_mixed.")
        em = em.rename(columns=_RENAME)
        if single:
            em = em.assign(**{_ONE: str(outcome)})
        require_columns(em, [gcol, time, "emmean", "se", "df"], "fit.emmeans")
        if not response:
            em["lower"], em["upper"] = interval(em["emmean"], em["se"], em["df"], level)
        means = em.rename(columns={"emmean": "estimate"})
        groups = list(pd.unique(em[gcol]))
        times = list(pd.unique(em[time]))

    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 4.4))
    positions, tick_labels = _time_positions(times)
    span = (max(positions.values()) - min(positions.values())) or 1.0
    pct = level_text(level)
    show_observed = not is_frame and observed is not None
    for j, g in enumerate(groups):
        colour, marker, line = style(j)
        shift = 0.015 * span * (j - (len(groups) - 1) / 2)
        if spaghetti and data is not None and id is not None:
            mine = data[data[gcol].map(key) == key(g)]
            for _, person in mine.groupby(id, sort=False):
                px = np.array([positions.get(key(t), np.nan) for t in person[time]])
                order = np.argsort(px)
                ax.plot(px[order], person[outcome].to_numpy(dtype=float)[order],
                        color=colour, alpha=0.2, linewidth=0.6)
        rows = means[means[gcol].map(key) == key(g)]
        x = np.array([positions[key(t)] for t in rows[time]]) + shift
        y = rows["estimate"].to_numpy(dtype=float)
        err = np.vstack([y - rows["lower"].to_numpy(dtype=float),
                         rows["upper"].to_numpy(dtype=float) - y])
        ax.errorbar(x, y, yerr=err, color=colour, marker=marker, linestyle=line, capsize=3,
                    linewidth=1.8, markersize=6,
                    label=str(outcome) if single else level_of(labels, group, g))
        if show_observed and observed is not None:
            obs = observed[observed[gcol].map(key) == key(g)]
            ox = np.array([positions.get(key(t), np.nan) for t in obs[time]]) + shift
            ax.plot(ox, obs["mean"].to_numpy(dtype=float), linestyle="none", marker=marker,
                    markerfacecolor="white", markeredgewidth=1.2, markersize=7, color=colour,
                    label="_observed mean")
    ax.set_xticks(list(positions.values()), tick_labels)
    ax.set_xlabel(label_of(labels, time))
    what = label_of(labels, outcome)
    ax.set_ylabel(f"{what} (mean, {pct} CI)" if is_frame
                  else f"{what} (marginal mean, {pct} CI)")
    if title is None:
        title = what if single else f"{what} by {label_of(labels, group)}"
    if title:
        ax.set_title(title)
    # the legend explains every mark; outside the axes, so that it never covers data
    handles: list[Any] = [] if single else list(ax.get_legend_handles_labels()[0])
    names: list[str] = [] if single else list(ax.get_legend_handles_labels()[1])
    grey = "#555555"
    if is_frame:
        handles.append(Line2D([], [], color=grey, marker="o", linewidth=1.8))
        names.append(f"Observed mean with {pct} CI")
    else:
        handles.append(Line2D([], [], color=grey, marker="o", linewidth=1.8))
        names.append(f"Model-based mean with {pct} CI")
        if show_observed:
            handles.append(Line2D([], [], color=grey, marker="o", linestyle="none",
                                  markerfacecolor="white", markeredgewidth=1.2))
            names.append("Observed mean")
    if spaghetti:
        handles.append(Line2D([], [], color=grey, alpha=0.4, linewidth=0.6))
        names.append("One participant's observed values")
    ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
              frameon=False, title=None if single else label_of(labels, group))
    return ax


def _observed_means(data: pd.DataFrame, group: str, time: str, outcome: str,
                    level: float) -> pd.DataFrame:
    y = pd.to_numeric(data[outcome], errors="coerce")
    frame = pd.DataFrame({group: data[group], time: data[time], "y": y}).dropna()
    out = (frame.groupby([group, time], observed=True, sort=False)["y"]
           .agg(["count", "mean", "std"]).reset_index())
    half = stats.t.ppf(0.5 + level / 2, out["count"] - 1) * out["std"] / np.sqrt(out["count"])
    out["lower"] = out["mean"] - half
    out["upper"] = out["mean"] + half
    return out


def _time_positions(times: list[Any]) -> tuple[dict[str, float], list[str]]:
    """x position of each time level: its value when all are numbers, else 0, 1, ..."""
    labels = [key(t) for t in times]
    try:
        values = [float(t) for t in times]
        numeric = all(math.isfinite(v) for v in values)
    except (TypeError, ValueError):
        numeric = False
    if not numeric:
        values = [float(i) for i in range(len(times))]
    return dict(zip(labels, values, strict=True)), labels


def plot_items(
    data: pd.DataFrame,
    instrument: str | Instrument,
    columns: Any = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Response distribution of each item: one stacked horizontal bar per item.

    Responses (codes or labels, as ``hs.score`` accepts them) are read with
    :func:`helpstats.scoring.item_scores`; invalid cells count as missing (with
    its warning). Each bar shows the percentage of the item's answered
    responses in each option, in the order of the response set; the number
    answered and missing is written beside it.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per administration. Not modified.
    instrument : str or Instrument
        Instrument id or definition.
    columns : dict or str, optional
        Item columns, as for ``hs.score``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Items from top (first) to bottom; legend: response options. Items
        without numeric scores (unscored items) are not shown.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> answers = pd.DataFrame({f"gad7_{n}": ["Not at all", 1, 2, 3] for n in range(1, 8)})
    >>> ax = hs.plot_items(answers, "gad7")
    >>> [t.get_text() for t in ax.get_yticklabels()][:2]
    ['gad7_1', 'gad7_2']
    """
    from .instruments import load_instrument
    from .scoring import item_scores

    inst = load_instrument(instrument)
    scores = item_scores(data, inst, columns=columns, on_invalid="missing")
    items = [it for it in inst.items if it.id in scores.columns]
    if not items:
        raise TableError(f"plot_items: {inst.id} has no items with numeric scores to plot.")
    option_labels: list[str] = []
    shares: list[dict[str, float]] = []
    counts: list[tuple[int, int]] = []
    for item in items:
        to_label: dict[float, str] = {}
        for code, label in zip(item.response_set.codes, item.response_set.labels, strict=True):
            s = item.score_map()[code]
            to_label[s] = f"{to_label[s]} / {label}" if s in to_label else label
        for label in to_label.values():
            if label not in option_labels:
                option_labels.append(label)
        col = scores[item.id]
        answered = col.dropna()
        tally = answered.map(to_label).value_counts()
        total = len(answered)
        shares.append({lab: 100.0 * float(n) / total for lab, n in tally.items()}
                      if total else {})
        counts.append((total, int(col.isna().sum())))

    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.45 * len(items) + 1.6))
    cmap = plt.get_cmap("RdYlBu", max(len(option_labels), 2))
    y = np.arange(len(items))
    left = np.zeros(len(items))
    for k, label in enumerate(option_labels):
        width = np.array([share.get(label, 0.0) for share in shares])
        ax.barh(y, width, left=left, color=cmap(k), edgecolor="white", label=label)
        left += width
    for yi, (n_answered, n_missing) in zip(y, counts, strict=True):
        ax.text(101, float(yi), f"n = {n_answered}" + (f", missing {n_missing}" if n_missing else ""),
                va="center", fontsize=8)
    ax.set_yticks(y, [item.id for item in items])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of answered responses")
    ax.set_title(f"{inst.abbreviation or inst.id}: item responses")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / max(len(items), 1)),
              ncol=min(len(option_labels), 4), fontsize=8, frameon=False)
    return ax


def plot_attrition(
    data: pd.DataFrame,
    *,
    id: str,
    wave: str,
    by: str | None = None,
    outcome: str | None = None,
    ax: Axes | None = None,
    labels: Any = None,
    title: str | None = None,
) -> Axes:
    """Percentage of enrolled participants assessed at each wave, one line per group.

    The counts are :func:`helpstats.attrition_table`'s: a participant is
    enrolled when they have a row at any wave, and observed at a wave when they
    have a row there (with ``outcome``: a non-missing outcome).

    Parameters
    ----------
    data : pandas.DataFrame
        Long frame. Not modified.
    id, wave : str
        Participant and wave columns.
    by : str, optional
        Arm or role column; each group gets its own colour, marker and line
        style, and the overall retention is drawn in black.
    outcome : str, optional
        Count only rows with this outcome observed.
    ax : matplotlib.axes.Axes, optional
    labels : mapping or labels object, optional
        Axis and level labels (see :mod:`helpstats.figures`).
    title : str, optional
        Default ``"Retention by <by>"``; ``""`` for none.

    Returns
    -------
    matplotlib.axes.Axes
        y from 0 to 100 (%); the legend (outside the axes) names each group
        with its number enrolled.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> long = pd.DataFrame({"pid": [1, 1, 2, 3, 3], "wave": [0, 1, 0, 0, 1],
    ...                      "arm": ["a", "a", "a", "b", "b"]})
    >>> ax = plot_attrition(long, id="pid", wave="wave", by="arm")
    >>> [line.get_ydata().tolist() for line in ax.get_lines()]
    [[100.0, 50.0], [100.0, 100.0], [100.0, 66.66666666666667]]
    >>> ax.get_legend_handles_labels()[1]
    ['a (n = 2)', 'b (n = 1)', 'Overall (n = 3)']
    """
    from .tables import attrition_table

    table = attrition_table(data, id=id, wave=wave, by=by, outcome=outcome)
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 4.0))
    waves = list(pd.unique(table["wave"]))
    positions, tick_labels = _time_positions(waves)
    blocks = [("Overall", table)] if by is None else [
        (g, table[table["group"].map(key) == key(g)]) for g in pd.unique(table["group"])]
    for j, (g, rows) in enumerate(blocks):
        colour, marker, line = style(j)
        overall = g == "Overall"
        name = "Overall" if overall else level_of(labels, by, g)
        x = [positions[key(w)] for w in rows["wave"]]
        ax.plot(x, rows["pct_retained"].to_numpy(dtype=float),
                color="#000000" if overall else colour, marker="o" if overall else marker,
                linestyle="-" if overall else line, linewidth=2.4 if overall else 1.6,
                label=f"{name} (n = {int(rows['enrolled'].iloc[0])})")
    ax.set_xticks(list(positions.values()), tick_labels)
    ax.set_ylim(0, 105)
    ax.set_xlabel(label_of(labels, wave))
    counted = "a row" if outcome is None else label_of(labels, outcome)
    ax.set_ylabel(f"% of enrolled with {counted}")
    if title is None:
        title = "Retention" if by is None else f"Retention by {label_of(labels, by)}"
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False,
              title=None if by is None else f"{label_of(labels, by)} (enrolled)")
    return ax
