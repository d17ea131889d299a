"""Agreement between helping-role classification rules (Cohen's kappa).

Whether a member counts as a *helper* depends on the rule: the median split of
Maton (1988), fixed cut-offs, per-wave medians. :func:`role_agreement`
classifies the same members with each rule and reports, for every pair of
rules, the share classified alike and Cohen's kappa with its large-sample
variance (Fleiss, Cohen & Everitt 1969), as ``psych::cohen.kappa``.
:func:`cohen_kappa` does the same for any two columns of ratings.

Examples
--------
>>> import pandas as pd
>>> import helpstats as hs
>>> d = pd.DataFrame({"g": [0, 1, 2, 3, 4, 5, 6, 7], "r": [3, 0, 2, 5, 1, 4, 0, 6]})
>>> table = hs.role_agreement(d, giving="g", receiving="r",
...                           methods=("median", {"giving": 1, "receiving": 1}))
>>> table[["rule_1", "rule_2", "n", "agreement"]]
   rule_1                             rule_2  n  agreement
0  median  thresholds(giving=1, receiving=1)  8       0.75
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .errors import HelpingError, RoleMissingWarning
from .roles import classify_roles

__all__ = ["cohen_kappa", "role_agreement"]


def _kappa_from_table(counts: np.ndarray) -> tuple[float, float]:
    """Unweighted kappa and its variance from a square table of counts (psych's formulas)."""
    total = counts.sum()
    x = counts / total
    rs, cs = x.sum(axis=1), x.sum(axis=0)
    po = float(np.trace(x))
    pc = float(rs @ cs)
    if counts.shape[0] < 2 or pc == 1:
        return float("nan"), float("nan")
    kappa = (po - pc) / (1 - pc)
    diag = np.diag(x)
    first = np.sum(diag * ((1 - pc) - (rs + cs) * (1 - po)) ** 2)
    outer = cs[:, None] + rs[None, :]
    second = (1 - po) ** 2 * (np.sum(x * outer**2) - np.sum(diag * np.diag(outer) ** 2))
    third = (po * pc - 2 * pc + po) ** 2
    var = (first + second - third) / (total * (1 - pc) ** 4)
    return float(kappa), float(max(var, 0.0))


def cohen_kappa(first: Sequence[Any] | pd.Series, second: Sequence[Any] | pd.Series, *,
                level: float = 0.95) -> pd.Series:
    """Cohen's (unweighted) kappa between two sets of ratings of the same units.

    Pairs with a missing rating are left out (counted in ``n_missing``). The
    categories are those seen in either set; the variance is the large-sample
    one of Fleiss, Cohen & Everitt (1969) and the interval
    ``kappa ± z * sqrt(var)`` clipped to ``[-1, 1]``, as ``psych::cohen.kappa``.

    Parameters
    ----------
    first, second : sequence or pandas.Series
        Ratings (any hashable categories), aligned by position.
    level : float, default 0.95

    Returns
    -------
    pandas.Series
        ``n, n_missing, agreement, kappa, se, lower, upper``.

    Examples
    --------
    >>> from helpstats.agreement import cohen_kappa
    >>> k = cohen_kappa(["a", "a", "b", "b", "b"], ["a", "b", "b", "b", "b"])
    >>> round(k["kappa"], 4), k["n"]
    (0.5455, 5)
    """
    a = pd.Series(list(first), dtype=object)
    b = pd.Series(list(second), dtype=object)
    if len(a) != len(b):
        raise HelpingError(f"the two sets of ratings have {len(a)} and {len(b)} values; "
                           "they must rate the same units.")
    if not 0 < level < 1:
        raise HelpingError(f"level must be between 0 and 1; found {level!r}.")
    keep = a.notna() & b.notna()
    a, b = a[keep].astype(str), b[keep].astype(str)
    labels = sorted(set(a) | set(b))
    codes_a = pd.Categorical(a, categories=labels).codes
    codes_b = pd.Categorical(b, categories=labels).codes
    counts = np.zeros((len(labels), len(labels)))
    np.add.at(counts, (codes_a, codes_b), 1)
    n = int(keep.sum())
    if n == 0:
        kappa = var = agreement = float("nan")
    else:
        kappa, var = _kappa_from_table(counts)
        agreement = float(np.trace(counts) / n)
    se = float(np.sqrt(var))
    z = float(stats.norm.ppf((1 + level) / 2))
    # the interval is clipped to [-1, 1], as psych does
    return pd.Series({"n": n, "n_missing": int((~keep).sum()), "agreement": agreement,
                      "kappa": kappa, "se": se, "lower": max(kappa - z * se, -1.0),
                      "upper": min(kappa + z * se, 1.0)}, dtype=object)


def _rule_name(rule: Any, thresholds: Mapping[str, float] | None) -> str:
    if isinstance(rule, Mapping):
        return "thresholds(" + ", ".join(f"{k}={v:g}" for k, v in rule.items()) + ")"
    if rule == "thresholds" and thresholds is not None:
        return _rule_name(dict(thresholds), None)
    return str(rule)


def role_agreement(
    data: pd.DataFrame,
    *,
    giving: str,
    receiving: str,
    methods: Sequence[str | Mapping[str, float]] | Mapping[str, str | Mapping[str, float]] = (
        "median", "thresholds"),
    thresholds: Mapping[str, float] | None = None,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Agreement of each pair of role-classification rules (Cohen's kappa).

    Every rule classifies the same rows with
    :func:`helpstats.classify_roles` (``neither, helpee, helper, dual``);
    each pair of rules is compared on the rows both could classify.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    giving, receiving : str
        Columns of help given and received.
    methods : sequence or dict
        The rules: ``"median"``, ``"thresholds"`` (uses ``thresholds``), or a
        dict of fixed cut-offs ``{"giving": x, "receiving": y}``. A dict
        ``{name: rule}`` names them; otherwise they are named by their rule.
    thresholds : dict, optional
        The cut-offs of the ``"thresholds"`` rule.
    by : str or list of str, optional
        Passed to :func:`classify_roles` (e.g. medians within each wave).
    level : float, default 0.95
        Confidence level of the kappa interval.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``rule_1, rule_2, n, agreement`` (share of rows
        classified alike), ``kappa, se, lower, upper``.

    Raises
    ------
    helpstats.errors.HelpingError
        Fewer than two rules, or repeated rule names.
    helpstats.errors.RoleError
        A rule is invalid (as :func:`classify_roles`).

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> d = pd.DataFrame({"g": [0, 2, 4, 6, 1, 5], "r": [1, 5, 0, 4, 2, 3]})
    >>> out = hs.role_agreement(d, giving="g", receiving="r", methods={
    ...     "median": "median", "low": {"giving": 0, "receiving": 0}})
    >>> out.loc[0, ["rule_1", "rule_2"]].tolist(), int(out.loc[0, "n"])
    (['median', 'low'], 6)
    """
    if isinstance(methods, Mapping):
        named = [(str(k), v) for k, v in methods.items()]
    else:
        named = [(_rule_name(rule, thresholds), rule) for rule in methods]
    if len(named) < 2:
        raise HelpingError(f"role_agreement needs at least two rules; found {len(named)}.")
    names = [name for name, _ in named]
    if len(set(names)) != len(names):
        raise HelpingError(f"the rules have repeated names {names}; name them with a dict "
                           "methods={'name': rule, ...}.")
    roles: dict[str, pd.Series] = {}
    with warnings.catch_warnings():  # missing helping values: counted in n below, not warned
        warnings.simplefilter("ignore", RoleMissingWarning)
        for name, rule in named:
            if isinstance(rule, Mapping):
                roles[name] = classify_roles(data, giving=giving, receiving=receiving,
                                             method=rule, by=by)
            else:
                roles[name] = classify_roles(
                    data, giving=giving, receiving=receiving, method=rule,
                    thresholds=thresholds if rule == "thresholds" else None, by=by)
    rows = []
    for first, second in itertools.combinations(names, 2):
        k = cohen_kappa(roles[first], roles[second], level=level)
        rows.append({"rule_1": first, "rule_2": second, "n": int(k["n"]),
                     "agreement": float(k["agreement"]), "kappa": float(k["kappa"]),
                     "se": float(k["se"]), "lower": float(k["lower"]),
                     "upper": float(k["upper"])})
    return pd.DataFrame(rows, columns=["rule_1", "rule_2", "n", "agreement", "kappa", "se",
                                       "lower", "upper"])
