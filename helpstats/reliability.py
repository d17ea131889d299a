"""Reliability and item analysis of an instrument's scales, from item responses.

Both functions are instrument-aware: responses are converted to item scores
exactly as for scoring (labels read, reverse-keyed items reversed, per-option
scores applied; for ``count`` scales an item scores 1 when its keyed choice was
given and 0 otherwise), so a reverse-keyed item never lowers alpha because it
was left unreversed.

Statistics (see :mod:`helpstats._psychometrics` for the formulas):

* ``alpha``: Cronbach's alpha of the raw item scores (psych's ``raw_alpha``);
* ``alpha_lower``, ``alpha_upper``: Feldt's (1965) F-based interval;
* ``omega``: omega total of the raw sum from a one-factor model fitted by
  maximum likelihood, with the model-implied variance of the sum as denominator
  (lavaan/semTools ``compRelSEM`` for a one-factor CFA). It is not psych's
  ``omega.tot`` (a Schmid-Leiman bifactor solution); that one, with omega
  hierarchical, comes from :func:`omega_hierarchical`, for a number of group
  factors the analyst chooses (see :mod:`helpstats._psychometrics`). A Heywood case
  (a residual variance held at its bound) warns with
  :class:`~helpstats.errors.HeywoodCaseWarning`. psych::omega differs in three ways: it fits by minres,
  works on correlations (standardised items) and divides by the observed total
  variance instead of the model's; on psych's ``bfi`` scales the two agree
  within 0.012;
* ``item_rest_r``: correlation of an item with the sum of the scale's other items
  (psych's ``r.drop``); ``alpha_if_dropped``: alpha of the other items.

Missing responses: by default (``use="complete"``) every statistic of a scale is
computed from the people who answered all its items (complete cases per scale);
``use="pairwise"`` computes the covariance matrix from all pairs of answered
items, which is psych::alpha's default and reproduces its numbers.

Examples
--------
>>> import pandas as pd
>>> import helpstats as hs
>>> data = pd.DataFrame({"gad7_1": [0, 1, 2, 3, 1], "gad7_2": [0, 1, 3, 3, 2],
...                      "gad7_3": [1, 1, 2, 3, 1], "gad7_4": [0, 2, 2, 3, 1],
...                      "gad7_5": [0, 0, 1, 2, 1], "gad7_6": [1, 1, 2, 2, 0],
...                      "gad7_7": [0, 1, 2, 3, None]})
>>> table = hs.reliability(data, "gad7")
>>> table[["scale", "n", "n_incomplete", "alpha"]].round(4)
   scale  n  n_incomplete   alpha
0  total  4             1  0.9734
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._dask import is_dask
from ._keywords import keyword_only
from ._psychometrics import (
    cronbach_alpha,
    feldt_interval,
    item_rest,
    min_items,
    omega_fit,
    schmid_leiman,
)
from .errors import HeywoodCaseWarning, MiskeyedItemWarning, ReliabilityError
from .instruments import Instrument, Scale, load_instrument
from .scoring import ColumnSpec, InstrumentLike, parse_items, report_problems, warn_provisional
from .scoring import item_scores as _item_scores

__all__ = ["item_analysis", "omega_hierarchical", "reliability"]

USES = ("complete", "pairwise")
RELIABILITY_COLUMNS = [
    "scale", "n_items", "n", "n_incomplete", "alpha", "alpha_lower", "alpha_upper", "omega",
    "mean", "sd",
]
OMEGA_H_COLUMNS = [
    "scale", "n_items", "n", "nfactors", "omega_h", "omega_total_sl", "omega_limit", "ecv",
    "note",
]
ITEM_COLUMNS = [
    "item", "label", "scale", "n", "mean", "sd", "item_rest_r", "alpha_if_dropped",
    "negative_item_rest",
]


@keyword_only("columns")
def reliability(data: pd.DataFrame, instrument: InstrumentLike, *, columns: ColumnSpec = None,
                by: str | Sequence[str] | None = None, use: str = "complete",
                level: float = 0.95, on_invalid: str = "raise") -> pd.DataFrame:
    """Internal consistency of every scale of an instrument.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses, one row per administration (codes or labels).
    instrument : str or Instrument
        Bundled id or a loaded definition (``hs.load_instrument(path)`` for a
        file of your own).
    columns : dict, str or None
        Where the items are, as for :func:`helpstats.score`.
    by : str or list of str, optional
        Column(s) of ``data`` to group by (e.g. wave or arm); one row per scale
        and group. Rows with a missing group value form their own group.
    use : {"complete", "pairwise"}
        ``"complete"`` (default): complete cases per scale. ``"pairwise"``:
        the covariance matrix from all answered pairs (psych::alpha's default);
        ``n``, the interval, ``mean`` and ``sd`` still use complete cases.
    level : float
        Confidence level of the Feldt interval (default 0.95).
    on_invalid : {"raise", "missing"}
        Cells that are not a response option, as for :func:`helpstats.score`.

    Returns
    -------
    pandas.DataFrame
        One row per scale (per group): the ``by`` columns, then ``scale`` (the
        scale id), ``n_items``, ``n`` (complete cases), ``n_incomplete``
        (rows with at least one of the scale's items missing, excluded from
        complete-case statistics), ``alpha``, ``alpha_lower``, ``alpha_upper``,
        ``omega`` (NaN for scales of fewer than three items and for a
        singular covariance matrix, e.g. fewer people than items), ``mean`` and
        ``sd`` (of the scale score, as scored, on complete cases). Statistics
        that cannot be computed (fewer than two complete cases, no variance)
        are NaN.

    Raises
    ------
    helpstats.errors.ReliabilityError
        Unknown ``use``, ``level`` outside (0, 1), or a ``by`` column absent.
    helpstats.errors.ScoringError
        Item columns absent or invalid cells (with ``on_invalid="raise"``).

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> data = pd.DataFrame({f"phq9_{n}": [0, 1, 2, 3, 1, 2] for n in range(1, 10)})
    >>> data["phq9_9"] = [0, 0, 1, 1, 0, 2]
    >>> data["arm"] = ["a", "a", "a", "b", "b", "b"]
    >>> hs.reliability(data, "phq9", by="arm")[["arm", "scale", "n", "alpha"]].round(3)
      arm  scale  n  alpha
    0   a  total  3  0.995
    1   b  total  3  0.986
    """
    if is_dask(data):
        from ._dask.reliability import reliability_dask

        return reliability_dask(data, instrument, columns, by=by, use=use, level=level,
                                on_invalid=on_invalid)
    _check_options(use, level)
    inst = load_instrument(instrument)
    by_columns = _by_columns(data, by)
    matrices = _scale_item_scores(data, inst, columns, on_invalid)
    rows = []
    for key, positions in _groups(data, by_columns):
        for scale in inst.scales:
            items = matrices[scale.id].iloc[positions]
            rows.append({**dict(zip(by_columns, key, strict=True)),
                         **_scale_statistics(items, scale, use, level)})
    table = pd.DataFrame(rows, columns=by_columns + RELIABILITY_COLUMNS)
    table.attrs["use"] = use
    return table


@keyword_only("columns")
def item_analysis(data: pd.DataFrame, instrument: InstrumentLike, *, columns: ColumnSpec = None,
                  use: str = "complete", on_invalid: str = "raise") -> pd.DataFrame:
    """Item statistics within every scale of an instrument.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses, one row per administration (codes or labels).
    instrument : str or Instrument
    columns : dict, str or None
        Where the items are, as for :func:`helpstats.score`.
    use : {"complete", "pairwise"}
        ``"complete"`` (default): complete cases per scale for every
        statistic. ``"pairwise"``: covariances from all answered pairs
        (psych::alpha's ``r.drop`` and ``alpha.drop``); ``n``, ``mean`` and
        ``sd`` then use every answer to the item.
    on_invalid : {"raise", "missing"}
        As for :func:`helpstats.score`.

    Returns
    -------
    pandas.DataFrame
        One row per item per scale (an item in a subscale and the total
        appears twice): ``item`` (item id), ``label``, ``scale``, ``n``,
        ``mean``, ``sd`` (of the item score, after reversal), ``item_rest_r``
        (correlation with the sum of the scale's other items),
        ``alpha_if_dropped`` and ``negative_item_rest`` (true when
        ``item_rest_r < 0``, the usual sign of a mis-keyed item).

    Warns
    -----
    helpstats.errors.MiskeyedItemWarning
        Once, naming every item with a negative item-rest correlation.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> data = pd.DataFrame({f"gad7_{n}": [0, 1, 2, 3, 1] for n in range(1, 8)})
    >>> data["gad7_7"] = [3, 2, 2, 0, 2]
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     table = hs.item_analysis(data, "gad7")
    >>> row = table.loc[6]
    >>> row["item"], round(float(row["item_rest_r"]), 4), bool(row["negative_item_rest"])
    ('gad7_7', -0.9207, True)
    >>> type(caught[0].message).__name__
    'MiskeyedItemWarning'
    """
    if is_dask(data):
        from ._dask.reliability import item_analysis_dask

        return item_analysis_dask(data, instrument, columns, use=use, on_invalid=on_invalid)
    _check_options(use, 0.95)
    inst = load_instrument(instrument)
    matrices = _scale_item_scores(data, inst, columns, on_invalid)
    frames = []
    for scale in inst.scales:
        frames.append(_item_statistics(matrices[scale.id], scale, inst, use))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ITEM_COLUMNS)
    negative = table[table["negative_item_rest"]]
    if len(negative):
        listed = "; ".join(
            f"{row.item} ({row.label}) in scale {row.scale!r}: r = {row.item_rest_r:.3f}"
            for row in negative.itertuples()
        )
        warnings.warn(
            f"{len(negative)} item(s) correlate negatively with the rest of their scale: "
            f"{listed}. A negative item-rest correlation usually means a mis-keyed item: check "
            "whether it should be reverse-scored (reverse = true in the definition) and whether "
            "the data were recoded before import.",
            MiskeyedItemWarning, stacklevel=3,
        )
    return table


def omega_hierarchical(data: pd.DataFrame, instrument: InstrumentLike, *,
                       columns: ColumnSpec = None, scale: str | None = None,
                       nfactors: int = 3, by: str | Sequence[str] | None = None,
                       use: str = "complete", on_invalid: str = "raise") -> pd.DataFrame:
    """Omega hierarchical of each scale from a Schmid-Leiman bifactor solution (psych::omega).

    The item scores (reversed as for scoring) are correlated (complete cases,
    or pairwise as psych does with raw data); ``nfactors`` group factors are extracted
    by minres, rotated by oblimin, and a general factor is extracted from their
    correlations (see :func:`helpstats._psychometrics.schmid_leiman`). This is
    ``psych::omega(items, nfactors)`` with its defaults (``fm = "minres"``,
    ``rotate = "oblimin"``, ``flip = TRUE``); the tests match psych 2.2.9 to
    1e-5 on psych's ``bfi`` (complete cases and pairwise) and ``Thurstone`` data.

    Omega hierarchical is the share of the variance of the (unit-weighted,
    standardised) sum due to the general factor. It depends on ``nfactors``,
    which the analyst must choose and report; it is not the one-factor
    ``omega`` of :func:`reliability`.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses, one row per administration (codes or labels).
    instrument : str or Instrument
    columns : dict, str or None
        Where the items are, as for :func:`helpstats.score`.
    scale : str, optional
        One scale id; default every scale of the instrument.
    nfactors : int
        Number of group factors (default 3, as psych; at least 3).
    by : str or list of str, optional
        Column(s) to group by; one row per scale and group.
    use : {"complete", "pairwise"}
        ``"complete"`` (default): the people who answered every item of the
        scale. ``"pairwise"``: each correlation from the people who answered
        both items (what ``psych::omega`` does with raw data); ``n`` still
        counts complete cases.
    on_invalid : {"raise", "missing"}
        As for :func:`helpstats.score`.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, then ``scale``, ``n_items``, ``n`` (complete cases),
        ``nfactors``, ``omega_h``, ``omega_total_sl`` (psych's ``omega.tot``:
        one minus the unique variance over the variance of the standardised
        sum), ``omega_limit`` (psych's ``omega.lim``), ``ecv`` (explained
        common variance of the general factor) and ``note`` (why a value is
        missing: too few items to identify ``nfactors`` factors, fewer complete
        cases than items, a singular correlation matrix; empty otherwise).

    Raises
    ------
    helpstats.errors.ReliabilityError
        ``nfactors`` below 3, an unknown ``scale`` or ``use``, a named
        ``scale`` with too few items for ``nfactors`` factors, or a Dask
        DataFrame (compute it first: the factor model needs the whole matrix
        in memory anyway).

    Warns
    -----
    helpstats.errors.HeywoodCaseWarning
        When an item's uniqueness sits at its 0.005 bound.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import helpstats as hs
    >>> rng = np.random.default_rng(1)
    >>> g, s = rng.normal(size=(400, 1)), rng.normal(size=(400, 3))
    >>> latent = 0.7 * g + 0.5 * np.repeat(s, 3, axis=1) + 0.6 * rng.normal(size=(400, 9))
    >>> codes = np.clip(np.round(latent * 1.2 + 1.5), 0, 3).astype(int)
    >>> data = pd.DataFrame(codes, columns=[f"phq9_{n}" for n in range(1, 10)])
    >>> table = hs.omega_hierarchical(data, "phq9")
    >>> table[["scale", "n", "nfactors"]].to_dict("records")
    [{'scale': 'total', 'n': 400, 'nfactors': 3}]
    >>> bool(0 < table.loc[0, "omega_h"] < table.loc[0, "omega_total_sl"] < 1)
    True
    """
    if not isinstance(nfactors, int) or isinstance(nfactors, bool) or nfactors < 3:
        raise ReliabilityError(
            f"nfactors must be an integer of at least 3 (the general factor is identified from "
            f"the correlations of three or more group factors); found {nfactors!r}"
        )
    _check_options(use, 0.95)
    if is_dask(data):
        raise ReliabilityError(
            "omega_hierarchical takes a pandas DataFrame; found a Dask DataFrame. Compute the "
            "item columns first (data[columns].compute()): the factor analysis needs them in memory."
        )
    inst = load_instrument(instrument)
    scales = list(inst.scales)
    if scale is not None:
        ids = [s.id for s in inst.scales]
        if scale not in ids:
            raise ReliabilityError(f"{inst.id} has no scale {scale!r}; its scales are {ids}")
        scales = [inst.scale(scale)]
        if len(scales[0].items) < min_items(nfactors):
            raise ReliabilityError(
                f"scale {scale!r} of {inst.id} has {len(scales[0].items)} items; {nfactors} "
                f"group factors need at least {min_items(nfactors)} items to be identified. "
                "Use fewer group factors or a longer scale."
            )
    by_columns = _by_columns(data, by)
    matrices = _scale_item_scores(data, inst, columns, on_invalid)
    rows = []
    for key, positions in _groups(data, by_columns):
        for each in scales:
            items = matrices[each.id].iloc[positions]
            rows.append({**dict(zip(by_columns, key, strict=True)),
                         **_omega_h_row(items, each.id, nfactors, use)})
    return pd.DataFrame(rows, columns=by_columns + OMEGA_H_COLUMNS)


def _omega_h_row(items: pd.DataFrame, scale_id: str, nfactors: int,
                 use: str) -> dict[str, Any]:
    complete = items[items.notna().all(axis=1)]
    k, n = items.shape[1], len(complete)
    row: dict[str, Any] = {"scale": scale_id, "n_items": k, "n": n, "nfactors": nfactors,
                           "omega_h": math.nan, "omega_total_sl": math.nan,
                           "omega_limit": math.nan, "ecv": math.nan, "note": ""}
    if k < min_items(nfactors):
        row["note"] = (f"{k} items cannot identify {nfactors} group factors "
                       f"(at least {min_items(nfactors)} needed)")
        return row
    used = complete if use == "complete" else items
    present = used.notna().astype(float).to_numpy()
    if (present.T @ present).min() <= k:
        row["note"] = (f"at most {int((present.T @ present).min())} people answered an item pair "
                       f"of {k} items: the correlation matrix is not estimable")
        return row
    if not np.all(used.std(ddof=1).to_numpy() > 0):
        row["note"] = "an item has no variance"
        return row
    corr = used.astype(float).corr().to_numpy()  # pandas: pairwise-complete correlations
    if not np.all(np.isfinite(corr)) or not np.all(np.linalg.eigvalsh(corr) > 1e-10):
        row["note"] = "the item correlation matrix is singular"
        return row
    fit = schmid_leiman(corr, nfactors)
    if fit.heywood:
        at_bound = ", ".join(str(items.columns[i]) for i in fit.heywood)
        warnings.warn(
            f"scale {scale_id!r}: the {nfactors}-factor minres solution behind omega_h is a "
            f"Heywood case - the uniqueness of {at_bound} is held at its bound, so omega_h is "
            "at best approximate. Try another number of group factors.",
            HeywoodCaseWarning, stacklevel=4,
        )
    row.update(omega_h=fit.omega_h, omega_total_sl=fit.omega_total,
               omega_limit=fit.omega_limit, ecv=fit.ecv)
    return row


# ----------------------------------------------------------------------------- helpers


def _check_options(use: str, level: float) -> None:
    if use not in USES:
        raise ReliabilityError(
            f"use must be 'complete' (complete cases per scale) or 'pairwise' (psych's default); "
            f"found {use!r}"
        )
    if not 0 < level < 1:
        raise ReliabilityError(f"level must be between 0 and 1 (e.g. 0.95); found {level!r}")


def _by_columns(data: pd.DataFrame, by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    names = [by] if isinstance(by, str) else list(by)
    absent = [name for name in names if name not in data.columns]
    if absent:
        raise ReliabilityError(
            f"by names column(s) {absent} that are not in the data; "
            f"the data's columns include {list(data.columns)[:10]}"
        )
    return names


def _groups(data: pd.DataFrame,
            by_columns: list[str]) -> list[tuple[tuple[Hashable, ...], np.ndarray]]:
    """Row positions (never index labels, which may repeat) of each ``by`` group, in order."""
    if not by_columns:
        return [((), np.arange(len(data)))]
    keys = data[by_columns].reset_index(drop=True)
    grouped = keys.groupby(by_columns, dropna=False, sort=True, observed=True)
    return [(key if isinstance(key, tuple) else (key,), part.index.to_numpy())
            for key, part in grouped]


def _scale_item_scores(data: pd.DataFrame, inst: Instrument, columns: ColumnSpec,
                       on_invalid: str) -> dict[str, pd.DataFrame]:
    """Item scores of each scale, one column per item (keyed indicators for count scales)."""
    numeric_needed = any(scale.method != "count" for scale in inst.scales)
    if numeric_needed:
        numeric = _item_scores(data, inst, columns=columns, on_invalid=on_invalid)
    else:
        warn_provisional(inst, stacklevel=5)
    counted = [inst.item(n) for n in sorted({n for s in inst.scales if s.method == "count"
                                             for n in s.items})]
    positions: dict[str, np.ndarray] = {}
    if counted:
        parsed = parse_items(data, inst, columns, counted)
        report_problems(parsed.problems, inst.id, on_invalid, stacklevel=5)
        positions = parsed.positions
    matrices = {}
    for scale in inst.scales:
        ids = [inst.item(n).id for n in scale.items]
        if scale.method == "count":
            scores = {}
            for number, item_id in zip(scale.items, ids, strict=True):
                item = inst.item(number)
                pos = positions[item_id]
                keyed = item.response_set.codes.index(scale.keyed[number])
                scores[item_id] = np.where(pos >= 0, (pos == keyed).astype(float), np.nan)
            matrices[scale.id] = pd.DataFrame(scores, index=data.index)
        else:
            matrix = numeric[ids].copy()
            for number in scale.reverse_items:  # reversed in this scale only (ISMI total)
                possible = inst.item(number).score_map().values()
                column = inst.item(number).id
                matrix[column] = min(possible) + max(possible) - matrix[column]
            matrices[scale.id] = matrix
    return matrices


def _scale_score(items: pd.DataFrame, scale: Scale) -> pd.Series:
    """Scale score of complete rows of item scores, as :func:`helpstats.score` computes it."""
    raw = items.sum(axis=1)
    if scale.method == "mean":
        return raw / items.shape[1] * scale.multiplier + scale.offset
    if scale.method == "lookup":
        return raw.map(lambda value: scale.lookup.get(int(round(value)), math.nan))
    return raw * scale.multiplier + scale.offset


def _covariance(items: pd.DataFrame, complete: pd.Series, use: str) -> np.ndarray | None:
    """Covariance matrix of the item scores, or None when it is not estimable."""
    if use == "complete":
        if complete.sum() < 2:
            return None
        return items[complete].cov().to_numpy()
    present = items.notna().astype(float).to_numpy()
    if (present.T @ present).min() < 2:
        return None
    return items.cov().to_numpy()


def _scale_statistics(items: pd.DataFrame, scale: Scale, use: str,
                      level: float) -> dict[str, Any]:
    complete = items.notna().all(axis=1)
    n = int(complete.sum())
    mean = sd = math.nan
    if n >= 1:
        score = _scale_score(items[complete], scale)
        mean = float(score.mean())
        sd = float(score.std()) if n >= 2 else math.nan
    return scale_statistics_from(_covariance(items, complete, use), scale=scale, n=n,
                                 n_incomplete=int((~complete).sum()), mean=mean, sd=sd,
                                 items=list(items.columns), level=level)


def scale_statistics_from(cov: np.ndarray | None, *, scale: Scale, n: int, n_incomplete: int,
                          mean: float, sd: float, items: list[str], level: float) -> dict[str, Any]:
    """One row of :func:`reliability` from a scale's item covariance and score moments.

    Shared by the pandas path and the Dask path (which sums the moments over
    partitions), so both apply the same formulas and warnings.
    """
    k = len(items)
    out: dict[str, Any] = {
        "scale": scale.id, "n_items": k, "n": n, "n_incomplete": n_incomplete,
        "alpha": math.nan, "alpha_lower": math.nan, "alpha_upper": math.nan,
        "omega": math.nan, "mean": mean, "sd": sd,
    }
    if cov is None or k < 2:
        return out
    alpha = cronbach_alpha(cov)
    out["alpha"] = alpha
    out["alpha_lower"], out["alpha_upper"] = feldt_interval(alpha, n, k, level)
    out["omega"], heywood = omega_fit(cov)
    if heywood:
        items_at_bound = ", ".join(str(items[i]) for i in heywood)
        warnings.warn(
            f"scale {scale.id!r}: the one-factor model behind omega is a Heywood case - the "
            f"residual variance of {items_at_bound} would be negative and is held at its bound, "
            "so omega is at best approximate. Check those items (near-duplicates, or an item "
            "that defines the factor on its own) and report alpha alongside.",
            HeywoodCaseWarning, stacklevel=5,
        )
    return out


def _item_statistics(items: pd.DataFrame, scale: Scale, inst: Instrument,
                     use: str) -> pd.DataFrame:
    complete = items.notna().all(axis=1)
    used = items[complete] if use == "complete" else items
    k = items.shape[1]
    cov = _covariance(items, complete, use)
    if cov is None or k < 2:
        r = dropped = np.full(k, math.nan)
    else:
        r, dropped = item_rest(cov)
    labels = {item.id: item.label for item in inst.items}
    return pd.DataFrame({
        "item": list(items.columns),
        "label": [labels[c] for c in items.columns],
        "scale": scale.id,
        "n": used.notna().sum().to_numpy().astype(np.int64),
        "mean": used.mean().to_numpy(),
        "sd": used.std().to_numpy(),
        "item_rest_r": r,
        "alpha_if_dropped": dropped,
        "negative_item_rest": r < 0,
    }, columns=ITEM_COLUMNS)
