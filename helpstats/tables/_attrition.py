"""Attrition: CONSORT-style retention counts per wave and group."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._ids import id_text
from ..errors import TableError
from ._common import finish, key, levels, require_columns, require_frame
from ._labels import as_labels
from ._layout import Cell, Options, Panel, py, register_layout

__all__ = ["attrition_table"]


def attrition_table(
    data: pd.DataFrame,
    *,
    id: str,
    wave: str,
    by: str | None = None,
    outcome: str | None = None,
    labels: Any = None,
) -> pd.DataFrame:
    """Retention per wave and group, as counted for a CONSORT flow diagram.

    A participant is *observed* at a wave when the long frame has a row for
    them at that wave (and, with ``outcome``, that row's outcome is not
    missing). Every participant who appears at any wave is *enrolled*.

    Parameters
    ----------
    data : pandas.DataFrame
        Long analysis frame, one row per participant and wave. Not modified.
    id, wave : str
        Participant and wave columns. Waves are ordered by their categories
        (categorical column) or sorted values. Ids are compared as text
        (``100`` and ``"100"`` are one participant; see ``helpstats._ids``).
    by : str, optional
        Group column (arm, role). A participant's group is the value at their
        first wave with a non-missing group; participants without one form the
        group ``"(missing)"``. An ``"Overall"`` block follows the groups.
    outcome : str, optional
        Count a participant as observed only where this column is not missing.
    labels : Labels, Study or mapping, optional
        Variable and level labels shown by the writers.

    Returns
    -------
    pandas.DataFrame
        One row per group x wave with columns ``group`` (only with ``by``),
        ``wave``, ``enrolled`` (participants in the group), ``observed``,
        ``pct_retained`` (100 * observed / enrolled), ``lost`` (observed at
        the previous wave, not at this one), ``returned`` (not observed at the
        previous wave, observed again at this one) and ``missing``
        (enrolled - observed). ``observed = previous observed - lost + returned``.
        ``attrs``: ``kind="attrition"``, ``n`` (enrolled), ``n_duplicates``
        (rows repeating a participant x wave, counted once).

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> long = pd.DataFrame({"pid": [1, 1, 1, 2, 2, 3], "wave": [0, 1, 2, 0, 2, 0]})
    >>> hs.attrition_table(long, id="pid", wave="wave")
       wave  enrolled  observed  pct_retained  lost  returned  missing
    0     0         3         3    100.000000     0         0        0
    1     1         3         1     33.333333     2         0        2
    2     2         3         2     66.666667     0         1        1
    """
    frame = require_frame(data, "attrition_table data")
    needed = [id, wave, *([by] if by else []), *([outcome] if outcome else [])]
    require_columns(frame, needed, "attrition_table")
    # ids compared as exported text (helpstats._ids): 100 and "100" are one participant
    frame = frame.assign(**{id: id_text(frame[id])})
    bad = frame[id].isna() | frame[wave].isna()
    if bad.any():
        raise TableError(
            f"attrition_table: {int(bad.sum())} row(s) have a missing {id!r} or {wave!r} "
            f"(first at index {frame.index[bad.to_numpy()][0]!r}); every row needs both. "
            "Fill or drop those rows first."
        )
    waves = levels(frame[wave])
    seen = frame if outcome is None else frame[frame[outcome].notna()]
    observed = {key(w): set(seen.loc[seen[wave] == w, id]) for w in waves}
    n_duplicates = int(frame.duplicated([id, wave]).sum())

    blocks: list[tuple[Any, set[Any]]] = []
    if by is not None:
        ordered = frame.assign(_w=frame[wave].map({key(w): i for i, w in enumerate(waves)}.get))
        ordered = ordered.sort_values("_w", kind="stable")
        first = ordered.dropna(subset=[by]).drop_duplicates(id).set_index(id)[by]
        ids_all = pd.unique(frame[id])
        group_of = {p: first.get(p, np.nan) for p in ids_all}
        for g in levels(pd.Series(list(group_of.values()), dtype=frame[by].dtype)):
            blocks.append((g, {p for p, v in group_of.items() if key(v) == key(g)}))
        lost_group = {p for p, v in group_of.items() if pd.isna(v)}
        if lost_group:
            blocks.append(("(missing)", lost_group))
    blocks.append(("Overall", set(frame[id])))

    rows = []
    for g, members in blocks:
        previous: set[Any] | None = None
        for w in waves:
            now = observed[key(w)] & members
            row: dict[str, Any] = {} if by is None else {"group": g}
            row.update(
                wave=w,
                enrolled=len(members),
                observed=len(now),
                pct_retained=100.0 * len(now) / len(members) if members else np.nan,
                lost=0 if previous is None else len(previous - now),
                returned=0 if previous is None else len(now - previous),
                missing=len(members) - len(now),
            )
            rows.append(row)
            previous = now
    table = pd.DataFrame(rows)
    notes = (
        f"Enrolled: participants with any row ({len(set(frame[id]))}); observed: "
        + ("a row at the wave" if outcome is None else f"non-missing {outcome} at the wave")
        + "; lost: observed at the previous wave but not this one."
        + (f" {n_duplicates} repeated participant x wave row(s) counted once."
           if n_duplicates else "")
    )
    return finish(
        table,
        "attrition",
        n=len(set(frame[id])),
        n_duplicates=n_duplicates,
        by=by,
        wave=wave,
        label_columns=["group", "wave"] if by is not None else ["wave"],
        layout="attrition",
        title="Participants assessed at each wave",
        labels=as_labels(labels),
        notes=notes,
    )


_COUNTS = {"enrolled": "Enrolled", "observed": "Observed", "pct_retained": "% retained",
           "lost": "Lost", "returned": "Returned", "missing": "Missing"}


@register_layout("attrition")
def _layout(table: pd.DataFrame, options: Options) -> tuple[list[Panel], list[str]]:
    """Group, wave, then the counts (integers) and % retained."""
    labels = options.labels
    by, wave = table.attrs.get("by"), table.attrs.get("wave")
    first = [c for c in ("group", "wave") if c in table.columns]
    names = {"group": by, "wave": wave}
    header = [labels.variable(names[c]) if names[c] else c.capitalize() for c in first]
    header += [_COUNTS[c] for c in _COUNTS if c in table.columns]
    roles = ["text"] * len(first) + ["pct" if c == "pct_retained" else "integer"
                                     for c in _COUNTS if c in table.columns]
    rows = []
    for _, r in table.iterrows():
        cells = [Cell(r[c] if r[c] in ("Overall", "(missing)") else
                      labels.level(names[c], r[c]), "text") for c in first]
        cells += [Cell(py(r[c]), role) for c, role in
                  zip([c for c in _COUNTS if c in table.columns], roles[len(first):],
                      strict=True)]
        rows.append(tuple(cells))
    return [Panel(header=tuple(header), roles=tuple(roles), rows=tuple(rows))], \
        [str(table.attrs.get("notes") or "")]
