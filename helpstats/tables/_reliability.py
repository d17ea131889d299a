"""Reliability by wave: shape ``hs.reliability`` results into one table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .._level import check_level, level_text
from ..errors import TableError
from ._common import finish, levels, order_rows, require_columns
from ._labels import as_labels
from ._layout import Cell, Options, Panel, column_role, py, register_layout

__all__ = ["reliability_table"]

_COLUMNS = ["scale", "n", "alpha", "alpha_lower", "alpha_upper", "omega", "mean", "sd"]


def reliability_table(
    results: pd.DataFrame | Mapping[Any, pd.DataFrame],
    *,
    by: str | None = None,
    use: str | None = None,
    level: float | None = None,
    labels: Any = None,
) -> pd.DataFrame:
    """Reliability of each scale (by wave), from ``hs.reliability`` results.

    Parameters
    ----------
    results : pandas.DataFrame or mapping
        ``hs.reliability(...)`` output with columns ``scale, n, alpha,
        alpha_lower, alpha_upper, omega, mean, sd`` (extra columns are kept
        after these), optionally with a ``by`` column (e.g. from
        ``hs.reliability(data, instrument, by="wave")``); or a mapping
        ``{wave: result}`` of such frames, one per wave.
    by : str, optional
        Name of the wave column in ``results``; for a mapping, the name given
        to its keys (default ``"wave"``).
    use : {"complete", "pairwise"}, optional
        How the results were computed (``hs.reliability(..., use=)``); read
        from the results' ``attrs["use"]`` when not given. The table's note
        says which responses each statistic used.
    level : float, optional
        The confidence level of ``alpha_lower, alpha_upper`` (``hs.reliability(...,
        level=)``), for the column label; default the results' ``attrs["level"]``, else 0.95.
    labels : Labels, Study or mapping, optional
        Scale and wave labels shown by the writers (default: ``PHQ-9 total``
        for ``phq9_total``).

    Returns
    -------
    pandas.DataFrame
        Columns ``<by>`` (when given or for a mapping), then ``scale, n, alpha,
        alpha_lower, alpha_upper, omega, mean, sd`` and any extra columns;
        rows ordered by scale (first appearance), then wave.
        ``attrs``: ``kind="reliability"``, ``by``, ``notes``.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> one = pd.DataFrame({"scale": ["phq9_total"], "n": [120], "alpha": [0.86],
    ...     "alpha_lower": [0.82], "alpha_upper": [0.89], "omega": [0.87], "mean": [9.1],
    ...     "sd": [5.2]})
    >>> hs.reliability_table({"baseline": one, "8 months": one.assign(n=95, alpha=0.9)})
           wave       scale    n  alpha  alpha_lower  alpha_upper  omega  mean   sd
    0  baseline  phq9_total  120   0.86         0.82         0.89   0.87   9.1  5.2
    1  8 months  phq9_total   95   0.90         0.82         0.89   0.87   9.1  5.2
    """
    if isinstance(results, Mapping):
        by = by or "wave"
        if not results:
            raise TableError("reliability_table: the mapping of results is empty.")
        parts = []
        for wave, frame in results.items():
            _check(frame, f"reliability_table results[{wave!r}]")
            parts.append(frame.assign(**{by: wave}))
        wave_order: list[Any] = list(results)
        table = pd.concat(parts, ignore_index=True)
    else:
        _check(results, "reliability_table results")
        table = results.copy()
        if by is not None:
            require_columns(table, [by], "reliability_table")
            wave_order = levels(table[by])
    first = [by] if by is not None else []
    extra = [c for c in table.columns if c not in [*first, *_COLUMNS]]
    table = table[[*first, *_COLUMNS, *extra]]
    scales = list(pd.unique(table["scale"]))
    if by is not None:
        table = order_rows(table, ["scale", by], [scales, wave_order])
        table = table[[*first, *_COLUMNS, *extra]]
    use = use or _use_of(results)
    if use == "pairwise":
        used = ("alpha and omega from pairwise covariances (every answered pair of items); "
                "n, the interval, mean and SD from complete responses.")
    else:
        used = "n: complete responses used for every statistic."
    notes = ("Cronbach's alpha with its Feldt confidence interval (alpha_lower, alpha_upper), "
             "omega total from a one-factor maximum-likelihood model (model-implied variance of "
             "the sum as denominator), scale mean and SD; " + used)
    return finish(table, "reliability", by=by, label_columns=first, notes=notes,
                  layout="reliability", labels=as_labels(labels), title="Reliability",
                  level=check_level(level if level is not None else _level_of(results)))


def _level_of(results: pd.DataFrame | Mapping[Any, pd.DataFrame]) -> float:
    frames = list(results.values()) if isinstance(results, Mapping) else [results]
    return float(frames[0].attrs.get("level", 0.95))


def _use_of(results: pd.DataFrame | Mapping[Any, pd.DataFrame]) -> str:
    frames = list(results.values()) if isinstance(results, Mapping) else [results]
    uses = {frame.attrs.get("use", "complete") for frame in frames}
    if len(uses) > 1:
        raise TableError("reliability_table: the results mix use='complete' and use='pairwise'; "
                         "build one table per use.")
    return uses.pop()


def _check(frame: object, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TableError(f"{what} should be a DataFrame from hs.reliability; got "
                         f"{type(frame).__name__}.")
    require_columns(frame, _COLUMNS, what)


@register_layout("reliability")
def _layout(table: pd.DataFrame, options: Options) -> tuple[list[Panel], list[str]]:
    """Wave, scale (its label), n, alpha with its CI, omega, mean, SD, extra columns."""
    labels = options.labels
    by = table.attrs.get("by")
    extra = [c for c in table.columns if c not in [by, *_COLUMNS]]
    ci = f"{level_text(table.attrs.get('level', 0.95))} CI"
    header = [*([labels.variable(by)] if by else []), "Scale", "n", "\u03b1", ci,
              "\u03c9", "M", "SD", *(labels.variable(c) for c in extra)]
    roles = [*(["text"] if by else []), "text", "integer", "bounded", "ci", "bounded",
             "estimate", "estimate",
             *(column_role(str(c)) if pd.api.types.is_numeric_dtype(table[c]) else "text"
               for c in extra)]
    rows = []
    for _, r in table.iterrows():
        cells = [*([Cell(labels.level(by, r[by]), "text")] if by else []),
                 Cell(labels.variable(r["scale"]), "text"), Cell(py(r["n"]), "integer"),
                 Cell(py(r["alpha"]), "bounded"),
                 Cell((py(r["alpha_lower"]), py(r["alpha_upper"]), "bounded"), "ci"),
                 Cell(py(r["omega"]), "bounded"), Cell(py(r["mean"]), "estimate"),
                 Cell(py(r["sd"]), "estimate")]
        cells += [Cell(py(r[c]), role) for c, role in zip(extra, roles[-len(extra):] if extra
                                                           else [], strict=True)]
        rows.append(tuple(cells))
    return [Panel(header=tuple(header), roles=tuple(roles), rows=tuple(rows))], \
        [str(table.attrs.get("notes") or "")]
