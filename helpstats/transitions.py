"""Role transitions: how members move between helping roles from one wave to the next.

Roles classified per wave (``classify_roles(..., by="wave")``) change: a helpee
may become a helper (the "wounded healer" path of the helper-therapy
principle). :func:`role_transitions` cross-tabulates each member's role at a
scheduled wave against their role at the *next scheduled* wave; a missed wave
or a missing role contributes no transition (it never links to an older wave).

Examples
--------
>>> import pandas as pd
>>> import helpstats as hs
>>> d = pd.DataFrame({"id": [1, 1, 2, 2], "wave": [0, 1, 0, 1],
...                   "role": ["helpee", "helper", "helpee", "helpee"]})
>>> hs.role_transitions(d, id="id", wave="wave").counts.loc["helpee"].tolist()
[0, 1, 1, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._display import result_html, short_repr
from .errors import HelpingError
from .roles import ROLE_DTYPE, ROLES
from .within import schedule_positions, value_at_position

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["RoleTransitions", "role_transitions"]


@dataclass(frozen=True, eq=False)
class RoleTransitions:
    """Result of :func:`role_transitions` (immutable).

    Attributes
    ----------
    counts : pandas.DataFrame
        Rows: role at wave t (index ``from_role``); columns: role at the next
        scheduled wave (``to_role``); all four roles in their order, pooled
        over consecutive wave pairs.
    proportions : pandas.DataFrame
        ``counts`` divided by its row totals (the share of members in a role
        who are in each role at the next wave); a role nobody held gives a
        missing row.
    by_wave : pandas.DataFrame
        Long table ``wave_from, wave_to, from_role, to_role, n`` (every
        combination, zeros included).
    n_transitions : int
        Pairs of consecutive scheduled waves with both roles known.
    n_unlinked : int
        Rows with a known role whose next scheduled wave is in the schedule
        but absent for the member or has a missing role.
    """

    counts: pd.DataFrame
    proportions: pd.DataFrame
    by_wave: pd.DataFrame
    n_transitions: int
    n_unlinked: int

    def _title(self) -> str:
        return (f"RoleTransitions: {self.n_transitions} wave-to-wave transitions "
                f"({self.n_unlinked} rows without a next wave)")

    def _lines(self) -> list[str]:
        counts = self.counts.to_numpy()
        stayed = int(np.trace(counts))
        share = f"{stayed / counts.sum():.0%}" if counts.sum() else "no"
        return [f"{stayed} stayed in their role ({share} of transitions)",
                "counts in .counts, row proportions in .proportions, per wave pair in .by_wave"]

    def __repr__(self) -> str:
        return short_repr(self._title(), self._lines())

    def _repr_html_(self) -> str:
        return result_html(self._title(), self._lines(),
                           {"Counts (rows: role at a wave; columns: at the next)":
                            self.counts.reset_index()})

    def plot(self, *, ax: Axes | None = None, cmap: str = "Blues") -> Axes:
        """Heat map of the row proportions, each cell labelled with its count.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw here; by default on a new figure.
        cmap : str
            A matplotlib colour map.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> import helpstats as hs
        >>> d = pd.DataFrame({"id": [1, 1], "wave": [0, 1], "role": ["helpee", "dual"]})
        >>> ax = hs.role_transitions(d, id="id", wave="wave").plot()
        >>> ax.get_xlabel()
        'role at the next wave'
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4))
        shares = self.proportions.to_numpy(dtype=float)
        image = ax.imshow(np.nan_to_num(shares), cmap=cmap, vmin=0, vmax=1)
        labels = list(self.counts.columns)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_yticks(range(len(labels)), list(self.counts.index))
        for i in range(len(labels)):
            for j in range(len(labels)):
                share = shares[i, j]
                text = f"{self.counts.iat[i, j]}" + ("" if np.isnan(share) else f"\n{share:.0%}")
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if not np.isnan(share) and share > 0.6 else "black")
        ax.set_xlabel("role at the next wave")
        ax.set_ylabel("role at wave t")
        ax.set_title(f"Role transitions (n = {self.n_transitions})")
        ax.figure.colorbar(image, ax=ax, label="share of row")
        return ax


def role_transitions(
    roles: pd.DataFrame,
    *,
    id: str,
    wave: str,
    role: str = "role",
    waves: Sequence[Any] | None = None,
) -> RoleTransitions:
    """Cross-tabulate each member's role at a wave against their role at the next one.

    Parameters
    ----------
    roles : pandas.DataFrame
        Long data, at most one row per member × wave, with a role column
        (values among ``neither, helpee, helper, dual``, e.g. from
        ``classify_roles(..., by=wave)``). Not modified.
    id, wave : str
        Member (ids compared as text) and wave columns.
    role : str, default "role"
        The role column.
    waves : sequence, optional
        The schedule (default: the sorted waves in the data). The "next" wave
        is the next one in the schedule: a member who missed it contributes
        no transition from that wave.

    Returns
    -------
    RoleTransitions
        ``.counts``, ``.proportions``, ``.by_wave``, ``.plot()``.

    Raises
    ------
    helpstats.errors.HelpingError
        Absent columns, an unknown role, repeated member × wave rows, or a
        wave not in the schedule.

    Examples
    --------
    Member 2 missed wave 1, so their wave-0 and wave-3 roles are not linked:

    >>> import pandas as pd
    >>> import helpstats as hs
    >>> d = pd.DataFrame({"id": [1, 1, 1, 2, 2], "wave": [0, 1, 3, 0, 3],
    ...                   "role": ["helpee", "dual", "dual", "neither", "helper"]})
    >>> tr = hs.role_transitions(d, id="id", wave="wave")
    >>> tr.n_transitions, tr.n_unlinked
    (2, 1)
    >>> float(tr.proportions.loc["dual", "dual"])
    1.0
    """
    if not isinstance(roles, pd.DataFrame):
        raise HelpingError(f"roles must be a DataFrame with {id!r}, {wave!r} and a role "
                           f"column; found {type(roles).__name__}.")
    if role not in roles.columns:
        raise HelpingError(f"role column {role!r} not found; the data has columns: "
                           f"{', '.join(map(str, roles.columns[:20]))}. Pass role=...")
    values = roles[role]
    known = values.isna() | values.isin(ROLES)
    if not known.all():
        bad = sorted(set(values[~known].astype(str)))[:10]
        raise HelpingError(f"role column {role!r} has values {bad} that are not roles; "
                           f"expected {', '.join(ROLES)} (or missing).")
    codes = pd.Series(pd.Categorical(values, dtype=ROLE_DTYPE).codes.astype(float),
                      index=roles.index)
    codes[codes < 0] = np.nan
    frame = pd.DataFrame({"code": codes, id: roles[id], wave: roles[wave]}, index=roles.index)
    ids, position, schedule = schedule_positions(frame, id, wave, waves)
    following = value_at_position(frame, "code", ids, position, position + 1)
    has_next = position + 1 < len(schedule)
    now = codes.to_numpy()
    linked = ~np.isnan(now) & ~np.isnan(following)
    unlinked = int((~np.isnan(now) & has_next & np.isnan(following)).sum())

    grid = pd.MultiIndex.from_product([range(len(schedule) - 1), range(4), range(4)])
    tally = pd.Series(1, index=pd.MultiIndex.from_arrays(
        [position[linked], now[linked].astype(int), following[linked].astype(int)]))
    per_wave = tally.groupby(level=[0, 1, 2]).sum().reindex(grid, fill_value=0)
    by_wave = pd.DataFrame({
        "wave_from": [schedule[p] for p in grid.get_level_values(0)],
        "wave_to": [schedule[p + 1] for p in grid.get_level_values(0)],
        "from_role": pd.Categorical([ROLES[c] for c in grid.get_level_values(1)],
                                    dtype=ROLE_DTYPE),
        "to_role": pd.Categorical([ROLES[c] for c in grid.get_level_values(2)],
                                  dtype=ROLE_DTYPE),
        "n": per_wave.to_numpy(dtype="int64"),
    })
    matrix = per_wave.groupby(level=[1, 2]).sum().to_numpy(dtype="int64").reshape(4, 4) \
        if len(grid) else np.zeros((4, 4), dtype="int64")
    counts = pd.DataFrame(matrix, index=pd.CategoricalIndex(ROLES, dtype=ROLE_DTYPE,
                                                           name="from_role"),
                          columns=pd.CategoricalIndex(ROLES, dtype=ROLE_DTYPE, name="to_role"))
    totals = counts.sum(axis=1).replace(0, np.nan)
    proportions = counts.div(totals, axis=0)
    return RoleTransitions(counts=counts, proportions=proportions, by_wave=by_wave,
                           n_transitions=int(linked.sum()), n_unlinked=unlinked)
