"""The figures of ``helpstats analyze``: participant flow, retention and one trajectory per outcome.

Each function draws one figure, writes it as PNG + SVG + PDF (with its number,
title and caption inside the files, see :func:`helpstats.figures.save_figure`)
and returns the :class:`~helpstats.figures.FigureFile` the report embeds.
Captions are written from the numbers and the model, never by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ._level import level_text
from ._output import safe_stem
from .figures import FigureFile, label_of, save_figure

__all__ = ["attrition_figure", "figure_names", "flow_figure", "trajectory_figure"]

FLOW = "participant_flow"
ATTRITION = "retention"


def trajectory_name(outcome: str) -> str:
    """The file stem of an outcome's trajectory figure."""
    return f"trajectory_{safe_stem(outcome, default='outcome')}"


def figure_names(outcomes: Sequence[str], formats: Sequence[str]) -> list[str]:
    """Every figure file :func:`helpstats.analyze` writes, for its list of planned files."""
    stems = [FLOW, ATTRITION, *(trajectory_name(o) for o in outcomes)]
    return [f"{stem}.{fmt}" for stem in stems for fmt in formats]


def _close(figure: Any) -> None:
    from matplotlib import pyplot as plt

    plt.close(figure)


def flow_figure(data: pd.DataFrame, folder: Path, *, number: int, id: str, wave: str,
                by: str | None, outcomes: Sequence[str], require: Sequence[str],
                labels: Any) -> tuple[FigureFile, pd.DataFrame]:
    """The CONSORT-style flow diagram and the counts drawn in it."""
    from .flow import flow_counts, plot_flow

    counts = flow_counts(data, id=id, wave=wave, by=by, outcomes=outcomes, require=require)
    ax = plot_flow(counts, labels=labels)
    group = f" by {label_of(labels, by).lower()}" if by else ""
    needs = ", ".join(label_of(labels, c).lower() for c in require if c != id)
    caption = ("Members enrolled (with a row at any wave), "
               + (f"their {label_of(labels, by).lower()} (the value at their first wave), "
                  if by else "")
               + "assessed at each wave (a row with at least one outcome) and analysed: "
               "members with at least one observation of the outcome"
               + (f" and of {needs}" if needs else "")
               + " (the rows each outcome's mixed model uses; obs. = those rows). Every count "
               "is computed from the data (helpstats.flow_counts).")
    saved = save_figure(ax.get_figure(root=True), folder, FLOW, number=number,  # type: ignore[arg-type]
                        title=f"Participant flow{group}", caption=caption)
    _close(ax.get_figure(root=True))
    return saved, counts


def attrition_figure(data: pd.DataFrame, folder: Path, *, number: int, id: str, wave: str,
                     by: str | None, labels: Any) -> FigureFile:
    """Retention (% of enrolled with a row) at each wave, by group."""
    from .plots import plot_attrition

    ax = plot_attrition(data, id=id, wave=wave, by=by, labels=labels, title="")
    group = f" by {label_of(labels, by).lower()}" if by else ""
    caption = (f"Percentage of the members enrolled{group} who have a row in the data at each "
               f"wave ({label_of(labels, wave)}); the black line is all members, the legend "
               "gives the number enrolled in each group. Counts as in the Attrition table.")
    saved = save_figure(ax.get_figure(root=True), folder, ATTRITION,  # type: ignore[arg-type]
                        number=number, title=f"Retention at each wave{group}",
                        caption=caption)
    _close(ax.get_figure(root=True))
    return saved


def trajectory_figure(fit: Any, frame: pd.DataFrame, folder: Path, *, number: int,
                      outcome: str, by: str | None, wave: str, id: str, labels: Any,
                      level: float = 0.95) -> FigureFile:
    """Model-based means with CIs and observed means of one outcome, by group and wave."""
    from .plots import plot_trajectories

    ax = plot_trajectories(fit, by=by or wave, wave=wave, data=frame, outcome=outcome,
                           labels=labels, level=level, title="")
    what = label_of(labels, outcome)
    group = f" by {label_of(labels, by).lower()}" if by else ""
    n_people = frame[id].nunique() if id in frame.columns else None
    caption = (f"{what}{group} at each wave ({label_of(labels, wave)}): model-based marginal "
               f"means (filled markers joined by lines) with {level_text(level)} confidence "
               f"intervals (bars) from the model {fit.formula} "
               f"({int(fit.nobs)} observations"
               + (f" of {n_people} members" if n_people is not None else "")
               + "); open markers are the observed means. "
               + ("Groups are shifted slightly left and right so that their intervals do not "
                  "overlap." if by else ""))
    saved = save_figure(ax.get_figure(root=True), folder, trajectory_name(outcome),  # type: ignore[arg-type]
                        number=number, title=f"{what}{group}", caption=caption.strip())
    _close(ax.get_figure(root=True))
    return saved
