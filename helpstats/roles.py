"""Helping roles: helpers, helpees, dual-role members and neither.

The helper-therapy principle (Riessman 1965) predicts that giving help benefits
the helper. Maton (1988) compared members of self-help groups who mainly give
support (*helpers*), mainly receive it (*helpees*), do both (*bidirectional* or
*dual-role*) or do neither. :func:`classify_roles` applies that classification
to measures of help given and received; :func:`roles_from_interactions` turns
an observation log of who helped whom into those measures.

Examples
--------
>>> import pandas as pd
>>> import helpstats as hs
>>> data = pd.DataFrame({"given": [0, 1, 5, 6], "received": [4, 0, 5, 1]})
>>> hs.classify_roles(data, giving="given", receiving="received").tolist()
['helpee', 'neither', 'dual', 'helper']
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._dask import is_dask
from ._ids import id_text, one_id
from ._keywords import renamed_keywords
from ._role_dtype import ROLES, RoleCategorical, RoleDtype, role_rule
from .errors import RoleError, RoleMissingWarning

__all__ = ["ROLES", "ROLE_DTYPE", "classify_roles", "describe_role_rule", "role_cutoffs",
           "roles_from_interactions"]


#: The dtype of a role column: ordered categorical ``neither < helpee < helper < dual``.
ROLE_DTYPE = pd.CategoricalDtype(list(ROLES), ordered=True)

_METHODS = ("median", "thresholds")


def _numeric_column(data: pd.DataFrame, column: str, what: str) -> pd.Series:
    if column not in data.columns:
        known = ", ".join(map(str, data.columns[:20]))
        raise RoleError(
            f"{what} column {column!r} not found; the data has columns: {known}. "
            f"Pass the name of the column that measures help {what} ({what}=...)."
        )
    raw = data[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & values.isna()
    if bad.any():
        shown = ", ".join(f"row {raw.index[pos]!r}: {raw.iloc[pos]!r}"
                          for pos in np.flatnonzero(bad.to_numpy())[:10])
        raise RoleError(
            f"{what} column {column!r} has {int(bad.sum())} non-numeric value(s) ({shown}); "
            "expected counts, rates or ratings of helping. Recode them as numbers, or as "
            "missing if unknown."
        )
    numbers = values.astype("float64")
    if np.isinf(numbers).any():
        raise RoleError(f"{what} column {column!r} has infinite values; expected finite numbers.")
    return numbers


def _check_thresholds(thresholds: Mapping[str, Any] | None) -> dict[str, float]:
    if not isinstance(thresholds, Mapping) or set(thresholds) != {"giving", "receiving"}:
        raise RoleError(
            f"method='thresholds' needs thresholds={{'giving': x, 'receiving': y}}; "
            f"found {thresholds!r}. Give both cut-offs (a member is high when the value "
            "is ABOVE the cut-off)."
        )
    cutoffs: dict[str, float] = {}
    for key in ("giving", "receiving"):
        value = thresholds[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            raise RoleError(f"thresholds[{key!r}] must be a finite number; found {value!r}.")
        cutoffs[key] = float(value)
    return cutoffs


def _group_key(key: Any) -> Hashable:
    """Make a groupby key plain Python (numpy scalars do not survive attrs printing well)."""
    if isinstance(key, tuple):
        return tuple(_group_key(k) for k in key)
    return key.item() if isinstance(key, np.generic) else key


def classify_roles(
    data: pd.DataFrame,
    *,
    giving: str,
    receiving: str,
    method: str | Mapping[str, float] = "median",
    thresholds: Mapping[str, float] | None = None,
    by: str | Sequence[str] | None = None,
    return_rule: bool = False,
) -> Any:
    """Classify members as neither, helpee, helper or dual-role.

    A member is *high* on giving when their help given is strictly ABOVE the
    cut-off, and likewise for receiving; a value equal to the cut-off is not
    high. Then ``dual`` = high on both, ``helper`` = high on giving only,
    ``helpee`` = high on receiving only, ``neither`` = high on neither
    (Maton 1988).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per member (or per member and wave). Not modified.
    giving, receiving : str
        Columns measuring help given and help received (counts, rates or
        ratings; higher = more help).
    method : {"median", "thresholds"}
        ``"median"``: the cut-offs are the medians of giving and of receiving
        over the rows classified (rows with both values present, within each
        ``by`` group), as in Maton (1988). ``"thresholds"``: fixed cut-offs
        given in ``thresholds``. A dict of cut-offs may also be passed as
        ``method`` itself (``method={"giving": 2, "receiving": 2}``).
    thresholds : dict, optional
        ``{"giving": x, "receiving": y}`` for ``method="thresholds"``; high
        means ``value > x`` (strictly above, as for the median rule).
    by : str or list of str, optional
        Classify separately within each value of these columns (e.g. the wave,
        for time-varying roles). With ``method="median"`` each group has its
        own medians.
    return_rule : bool, default False
        Return ``(roles, rule)``: the rule dict as well, separately. A Dask
        DataFrame gives lazy roles (exact medians, computed in one pass), and
        its rule is available only this way.

    Returns
    -------
    pandas.Series
        Named ``role``, on ``data``'s index, ordered categorical with
        categories ``neither < helpee < helper < dual``. Rows with a missing
        giving, receiving or ``by`` value are missing (never guessed).
        The dtype (a :class:`~helpstats._role_dtype.RoleDtype`, equal to
        ``ROLE_DTYPE``) carries the rule, so it survives assignment into a
        frame, ``merge``, ``join`` and ``concat`` (of roles made by one rule);
        :func:`describe_role_rule` and :func:`role_cutoffs` read it there.
        ``.attrs["role_rule"]`` holds it too. The rule: ``method``, ``comparison``
        (``">"``), ``giving``, ``receiving``, ``by``, ``cutoffs`` (a list of
        dicts with the ``by`` values, ``giving``, ``receiving`` cut-offs and
        ``n_classified``), ``n_unclassified`` and ``missing`` (counts of rows
        missing ``giving``, ``receiving`` and ``by``).

    Raises
    ------
    helpstats.errors.RoleError
        A column is absent or non-numeric, the method is unknown or the
        thresholds are incomplete.

    Warns
    -----
    helpstats.errors.RoleMissingWarning
        Some rows could not be classified because a value is missing.

    Examples
    --------
    Ties at the median are not high: the medians here are 2 and 1.

    >>> import pandas as pd
    >>> import helpstats as hs
    >>> data = pd.DataFrame({"given": [1, 2, 2, 3, 4], "received": [3, 0, 1, 1, 2]})
    >>> roles = hs.classify_roles(data, giving="given", receiving="received")
    >>> roles.tolist()
    ['helpee', 'neither', 'neither', 'helper', 'dual']
    >>> hs.role_cutoffs(roles)[["giving_cutoff", "receiving_cutoff"]].values.tolist()
    [[2.0, 1.0]]

    The rule travels with the column, through assignment and concatenation:

    >>> data["role"] = roles
    >>> both = pd.concat([data, data])
    >>> hs.describe_role_rule(both["role"]).endswith("given 2, received 1.")
    True
    >>> hs.classify_roles(data, giving="given", receiving="received", method="thresholds",
    ...                   thresholds={"giving": 1, "receiving": 1}).tolist()
    ['helpee', 'helper', 'helper', 'helper', 'dual']
    """
    if is_dask(data):
        from ._dask.roles import classify_roles_dask

        lazy, lazy_rule = classify_roles_dask(data, giving=giving, receiving=receiving, method=method,
                                              thresholds=thresholds, by=by)
        return (lazy, lazy_rule) if return_rule else lazy
    if not isinstance(data, pd.DataFrame):
        raise RoleError(f"data must be a pandas DataFrame; found {type(data).__name__}.")
    if isinstance(method, Mapping):  # method={"giving": x, "receiving": y}: fixed cut-offs
        if thresholds is not None:
            raise RoleError("give the cut-offs once: method={...} or thresholds={...}, not both.")
        thresholds = dict(method)
        method = "thresholds"
    if method not in _METHODS:
        raise RoleError(f"method must be 'median' or 'thresholds'; found {method!r}.")
    if method == "median" and thresholds is not None:
        raise RoleError(
            "thresholds were given with method='median'; pass method='thresholds' to use "
            "fixed cut-offs, or drop thresholds to use the medians."
        )
    fixed = _check_thresholds(thresholds) if method == "thresholds" else None
    give = _numeric_column(data, giving, "giving")
    receive = _numeric_column(data, receiving, "receiving")
    by_columns = [by] if isinstance(by, str) else list(by or [])
    for column in by_columns:
        if column not in data.columns:
            raise RoleError(f"by column {column!r} not found in the data.")

    by_missing = (
        data[by_columns].isna().any(axis=1) if by_columns
        else pd.Series(False, index=data.index)
    )
    usable = give.notna() & receive.notna() & ~by_missing
    codes = np.full(len(data), -1, dtype=np.int8)
    cutoffs: list[dict[str, Any]] = []
    # positions, never index labels: a frame stacked without ignore_index repeats labels
    give_values, receive_values = give.to_numpy(), receive.to_numpy()
    usable_at = np.flatnonzero(usable.to_numpy())

    if by_columns:
        keys = data[by_columns].iloc[usable_at].reset_index(drop=True)
        grouped = keys.groupby(by_columns, sort=True, observed=True)
        parts: list[tuple[Any, np.ndarray]] = [
            (_group_key(key), usable_at[part.index.to_numpy()]) for key, part in grouped]
    else:
        parts = [(None, usable_at)]

    for key, index in parts:
        g, r = give_values[index], receive_values[index]
        if fixed is not None:
            cut_g, cut_r = fixed["giving"], fixed["receiving"]
        elif len(index):
            cut_g, cut_r = float(np.median(g)), float(np.median(r))
        else:
            cut_g = cut_r = float("nan")
        high_g, high_r = g > cut_g, r > cut_r
        # neither = 0, helpee = 1, helper = 2, dual = 3
        codes[index] = 2 * high_g + high_r
        entry: dict[str, Any] = {}
        if by_columns:
            entry.update(zip(by_columns, key, strict=True))
        entry.update(giving=cut_g, receiving=cut_r, n_classified=len(index))
        cutoffs.append(entry)

    missing = {
        "giving": int(give.isna().sum()),
        "receiving": int(receive.isna().sum()),
        "by": int(by_missing.sum()),
    }
    n_unclassified = int((~usable).sum())
    rule = {
        "method": method,
        "comparison": ">",
        "giving": giving,
        "receiving": receiving,
        "by": by_columns,
        "cutoffs": cutoffs,
        "n_unclassified": n_unclassified,
        "missing": missing,
    }
    # the rule travels in the dtype (kept by assignment, merge, join, concat), and in
    # attrs as before
    roles = pd.Series(RoleCategorical.from_codes(codes, dtype=RoleDtype(rule)),
                      index=data.index, name="role")
    roles.attrs["role_rule"] = rule
    if n_unclassified:
        details = ", ".join(f"{v} missing {k!r}" for k, v in missing.items() if v)
        warnings.warn(
            f"{n_unclassified} of {len(data)} row(s) have no role because a helping value is "
            f"missing ({details}); their role is missing, not guessed. "
            "See hs.describe_role_rule(roles).",
            RoleMissingWarning, stacklevel=2,
        )
    return (roles, dict(rule)) if return_rule else roles


def _rule(roles: pd.Series | pd.DataFrame | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(roles, pd.DataFrame):
        carriers = [c for c in roles.columns if isinstance(roles[c].dtype, RoleDtype)]
        if len(carriers) != 1:
            raise RoleError(
                f"the data frame has {len(carriers)} role columns made by classify_roles "
                f"({carriers}); expected exactly one. Pass the role column itself "
                "(e.g. data['role'])."
            )
        roles = roles[carriers[0]]
    rule = role_rule(roles) if isinstance(roles, pd.Series) else roles
    if not isinstance(rule, Mapping) or "cutoffs" not in rule:
        found = (f"a Series of dtype {roles.dtype}" if isinstance(roles, pd.Series)
                 else type(roles).__name__)
        raise RoleError(
            f"no role rule found in {found}: expected the role column returned by "
            "classify_roles (its dtype carries the rule through assignment, merge, join and "
            "concat of roles made by one rule), or the rule itself. Roles recomputed, cast "
            "with astype, or combined from different rules have lost it: keep "
            "classify_roles(..., return_rule=True)'s rule and pass that."
        )
    return rule


def role_cutoffs(roles: pd.Series | pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
    """Tabulate the cut-offs used by :func:`classify_roles`.

    Parameters
    ----------
    roles : pandas.Series, DataFrame or dict
        The result of :func:`classify_roles` -- also once assigned into a frame,
        merged, joined or concatenated (its dtype carries the rule) --, a frame
        with one such column, or the rule itself (``return_rule=True``).

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` group: the ``by`` columns, then ``method``,
        ``giving_cutoff``, ``receiving_cutoff``, ``n_classified``.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> data = pd.DataFrame({"wave": [0, 0, 1, 1], "g": [1, 3, 0, 0], "r": [2, 0, 1, 5]})
    >>> roles = hs.classify_roles(data, giving="g", receiving="r", by="wave")
    >>> hs.role_cutoffs(roles)
       wave  method  giving_cutoff  receiving_cutoff  n_classified
    0     0  median            2.0               1.0             2
    1     1  median            0.0               3.0             2
    """
    rule = _rule(roles)
    rows = []
    for entry in rule["cutoffs"]:
        row = {col: entry[col] for col in rule["by"]}
        row.update(method=rule["method"], giving_cutoff=entry["giving"],
                   receiving_cutoff=entry["receiving"], n_classified=entry["n_classified"])
        rows.append(row)
    columns = [*rule["by"], "method", "giving_cutoff", "receiving_cutoff", "n_classified"]
    return pd.DataFrame(rows, columns=columns)


def _fmt(value: float) -> str:
    return f"{value:g}"


def describe_role_rule(roles: pd.Series | pd.DataFrame | Mapping[str, Any]) -> str:
    """Describe the role rule in a sentence for a methods section.

    Parameters
    ----------
    roles : pandas.Series, DataFrame or dict
        The result of :func:`classify_roles` -- also once assigned into a frame,
        merged, joined or concatenated (its dtype carries the rule) --, a frame
        with one such column, or the rule itself (``return_rule=True``).

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> data = pd.DataFrame({"g": [1, 3, 0], "r": [2, 0, 1]})
    >>> print(hs.describe_role_rule(hs.classify_roles(data, giving="g", receiving="r")))
    Members were classified as helpers (help given above the cut-off, help received not), \
helpees (help received above the cut-off, help given not), dual-role (both above) or \
neither (Maton, 1988); a value equal to the cut-off was not counted as above. Cut-offs \
were the medians of g and r over the 3 members classified: g 1, r 1.
    """
    rule = _rule(roles)
    text = (
        "Members were classified as helpers (help given above the cut-off, help received "
        "not), helpees (help received above the cut-off, help given not), dual-role (both "
        "above) or neither (Maton, 1988); a value equal to the cut-off was not counted as "
        "above."
    )
    g, r = rule["giving"], rule["receiving"]
    entries = rule["cutoffs"]
    n = sum(e["n_classified"] for e in entries)
    if rule["method"] == "thresholds":
        first = entries[0] if entries else {"giving": float("nan"), "receiving": float("nan")}
        text += (f" Fixed cut-offs were used: {g} {_fmt(first['giving'])}, "
                 f"{r} {_fmt(first['receiving'])} ({n} observations classified).")
    elif rule["by"]:
        parts = "; ".join(
            ", ".join(f"{c} {e[c]}" for c in rule["by"])
            + f": {g} {_fmt(e['giving'])}, {r} {_fmt(e['receiving'])} (n = {e['n_classified']})"
            for e in entries
        )
        text += (f" Cut-offs were the medians of {g} and {r} computed separately within each "
                 f"{' × '.join(rule['by'])} group: {parts}.")
    else:
        first = entries[0]
        text += (f" Cut-offs were the medians of {g} and {r} over the {n} members classified: "
                 f"{g} {_fmt(first['giving'])}, {r} {_fmt(first['receiving'])}.")
    if rule["n_unclassified"]:
        text += (f" {rule['n_unclassified']} observation(s) with missing helping data were "
                 "not classified.")
    return text


@renamed_keywords(participant_ids="members", per="wave")
def roles_from_interactions(
    log: pd.DataFrame,
    *,
    giver: str,
    receiver: str,
    members: Sequence[Hashable] | None = None,
    wave: str | None = None,
    meeting: str | None = None,
    attendance: pd.DataFrame | None = None,
    weeks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count help given and received from a log of helping interactions.

    Each row of ``log`` is one helping act: ``giver`` helped ``receiver``
    (as coded in the GROW observation studies). A row with a missing giver
    (e.g. help from a visitor) still counts as help received by the receiver,
    and a row with a missing receiver (help addressed to the whole group) as
    help given by the giver; the numbers of such rows are recorded in
    ``.attrs``.

    Parameters
    ----------
    log : pandas.DataFrame
        One row per helping interaction. Not modified.
    giver, receiver : str
        Columns holding the participant ids of who gave and who received help.
    members : sequence, optional
        The ids of all members (formerly ``participant_ids=``). Members who
        appear in neither column get zero counts. An id in the log that is not
        in this list raises :class:`RoleError`. Without it, the members are the
        ids seen in the log (sorted). Ids are compared as text (``7`` and
        ``"7"`` are one member; see ``helpstats._ids``) and shown as
        ``members`` (or the log) gives them.
    wave : str, optional
        The wave (or other period) column of the log (formerly ``per=``):
        counts are made within each of its values, giving one row per
        participant × value (zero when a member has no interaction in that value).
    meeting : str, optional
        A column identifying the meeting. Adds ``n_meetings``, the number of
        distinct meetings recorded in the log (within the ``wave`` value), and
        the rates ``given_per_meeting = n_given / n_meetings`` and
        ``received_per_meeting = n_received / n_meetings``. The denominator
        is every recorded meeting, i.e. the rates assume each member could
        attend every meeting; for attendance-adjusted rates divide the counts
        by your own attendance counts, or pass ``attendance``.
    attendance : pandas.DataFrame, optional
        Meetings each member attended: one row per ``participant`` × meeting
        (the column named by ``meeting``, default ``"meeting"``) × ``wave``
        value. Adds ``n_attended``, ``given_per_attended`` and
        ``received_per_attended``: helping acts per meeting the member
        attended (missing, not 0, for a member who attended none). See
        :func:`helpstats.dose.add_exposure_rates`.
    weeks : pandas.DataFrame, optional
        ``participant``, ``wave`` and ``weeks`` of membership in that period.
        Adds ``weeks``, ``given_per_week`` and ``received_per_week`` (missing
        when weeks is 0).

    Returns
    -------
    pandas.DataFrame
        Columns ``participant``, the ``wave`` column (if given), ``n_given``,
        ``n_received`` and, with ``meeting``, ``n_meetings``,
        ``given_per_meeting``, ``received_per_meeting``. ``.attrs`` holds
        ``n_interactions``, ``n_missing_giver``, ``n_missing_receiver``.

    Raises
    ------
    helpstats.errors.RoleError
        A column is absent, a row has neither giver nor receiver, a member
        helped themselves, or an id is not in ``members``.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> log = pd.DataFrame({"from": ["a", "a", "b"], "to": ["b", "c", "a"]})
    >>> hs.roles_from_interactions(log, giver="from", receiver="to",
    ...                            members=["a", "b", "c", "d"])
      participant  n_given  n_received
    0           a        2           1
    1           b        1           1
    2           c        0           1
    3           d        0           0
    """
    participant_ids, per = members, wave
    if not isinstance(log, pd.DataFrame):
        raise RoleError(f"log must be a pandas DataFrame; found {type(log).__name__}.")
    for what, column in (("giver", giver), ("receiver", receiver), ("wave", per),
                         ("meeting", meeting)):
        if column is not None and column not in log.columns:
            known = ", ".join(map(str, log.columns[:20]))
            raise RoleError(f"{what} column {column!r} not found; the log has columns: {known}.")
    # ids compared as exported text (helpstats._ids): 7 and "7" are one member
    original = log
    log = log.assign(**{giver: id_text(log[giver]), receiver: id_text(log[receiver])})
    both_missing = (log[giver].isna() & log[receiver].isna()).to_numpy()
    if both_missing.any():
        rows = ", ".join(map(repr, log.index[both_missing][:10]))
        raise RoleError(
            f"{int(both_missing.sum())} interaction(s) have neither a giver nor a receiver "
            f"(rows {rows}); fill in at least one, or remove the rows."
        )
    self_help = (log[giver].notna() & (log[giver] == log[receiver])).fillna(False).to_numpy(
        dtype=bool)
    if self_help.any():
        rows = ", ".join(map(repr, log.index[self_help][:10]))
        raise RoleError(
            f"{int(self_help.sum())} interaction(s) have the same giver and receiver "
            f"(rows {rows}); a member cannot help themselves. Correct the ids."
        )
    for column in (per, meeting):
        if column is not None and log[column].isna().any():
            raise RoleError(f"column {column!r} has missing values; every interaction needs one.")

    shown: dict[str, Any] = {}  # each id as first written in the log
    for column in (giver, receiver):
        for key, value in zip(log[column], original[column], strict=True):
            if not pd.isna(key):
                shown.setdefault(str(key), value)
    if participant_ids is None:
        try:
            display = sorted(shown.values())
        except TypeError:  # ids of mixed types: in the order of their text
            display = sorted(shown.values(), key=str)
        members = [str(one_id(v)) for v in display]
    else:
        display = list(participant_ids)
        member_keys = [one_id(m) for m in display]
        if any(k is None for k in member_keys):
            raise RoleError("members has a missing or blank id; list real ids only.")
        members = [str(k) for k in member_keys]
        if len(set(members)) != len(members):
            raise RoleError("members has duplicated ids (compared as text, so 7 and "
                            "'7' are one id); list each member once.")
        unknown = sorted(set(shown) - set(members))
        if unknown:
            raise RoleError(
                f"{len(unknown)} id(s) in the log are not in members: "
                f"{', '.join(repr(shown[k]) for k in unknown[:10])}. Correct the ids or add "
                "the members."
            )
    as_given = dict(zip(members, display, strict=True))

    keys = [per] if per is not None else []
    levels = sorted(log[per].unique().tolist()) if per is not None else [None]
    if per is not None:
        grid = pd.MultiIndex.from_product([members, levels], names=["participant", per])
    else:
        grid = pd.Index(members, name="participant")

    def count(column: str) -> pd.Series:
        rows = log[log[column].notna()]
        counts = rows.groupby([column, *keys], sort=False).size()
        counts.index = counts.index.set_names(["participant", *keys])
        return counts.reindex(grid, fill_value=0).astype("int64")

    result = pd.DataFrame({"n_given": count(giver), "n_received": count(receiver)})
    if meeting is not None:
        if per is not None:
            n_meetings = log.groupby(per)[meeting].nunique()
            result["n_meetings"] = n_meetings.reindex(
                result.index.get_level_values(per)).to_numpy()
        else:
            result["n_meetings"] = log[meeting].nunique()
        result["n_meetings"] = result["n_meetings"].astype("int64")
        result["given_per_meeting"] = result["n_given"] / result["n_meetings"]
        result["received_per_meeting"] = result["n_received"] / result["n_meetings"]
    result = result.rename(index=as_given, level="participant")  # ids as given
    result = result.reset_index()
    if attendance is not None or weeks is not None:
        from .dose import add_exposure_rates

        result = add_exposure_rates(result, wave=per, attendance=attendance,
                                    meeting=meeting or "meeting", weeks=weeks)
    result.attrs = {
        "n_interactions": len(log),
        "n_missing_giver": int(log[giver].isna().sum()),
        "n_missing_receiver": int(log[receiver].isna().sum()),
    }
    return result
