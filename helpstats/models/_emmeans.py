"""Estimated marginal means and their contrasts on emmeans' reference grid.

The grid crosses every factor's levels with each covariate at its mean (or
the values given in ``at``); a marginal mean averages the grid predictions
with equal weights over the factors not named (Lenth's emmeans).
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from .._level import check_level, interval, quantile
from ..errors import ModelError
from ._design import level_label
from ._protocol import linear_estimate

if TYPE_CHECKING:
    from ._protocol import ModelResult
    from .spec import ModelSpec

__all__ = ["Scale", "adjust_p", "adjusted_quantile", "cell_functions", "contrast_label",
           "contrast_pairs", "contrast_table", "contrasts", "emmeans", "emmeans_table",
           "interaction_note", "parse_specs", "reference_grid", "with_interaction_note"]

_METHODS = ("pairwise", "revpairwise", "trt.vs.ctrl")
_ADJUST = ("none", "holm", "bonferroni", "sidak", "tukey")


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    """Names in ``"a + b"``, ``"a * b"`` or a list; back-quoted names may hold + or *."""
    if value is None:
        return []
    if isinstance(value, str):
        names = re.findall(r"`([^`]+)`|([^+*`]+)", value)
        return [(q or p).strip() for q, p in names if (q or p).strip()]
    return list(value)


def parse_specs(
    specs: str | Sequence[str], by: str | Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """Split ``"~ a | b"`` style specs into (spec variables, by variables).

    Examples
    --------
    >>> parse_specs("~ treatment | wave", None)
    (['treatment'], ['wave'])
    >>> parse_specs(["arm", "wave"], None)
    (['arm', 'wave'], [])
    """
    if isinstance(specs, str) and ("~" in specs or "|" in specs):
        text = specs.replace("~", " ", 1) if specs.lstrip().startswith("~") else specs
        left, _, right = re.sub(r"`[^`]*`", lambda m: m.group(0).replace("|", "\0"),
                                text).partition("|")
        left, right = left.replace("\0", "|"), right.replace("\0", "|")
        return _as_list(left), _as_list(right) + _as_list(by)
    return _as_list(specs), _as_list(by)


def reference_grid(spec: ModelSpec, frame: pd.DataFrame, names: Sequence[str],
                   at: Mapping[str, Any] | None, *, cov_keep: int = 2,
                   formula: str | None = None) -> pd.DataFrame:
    """emmeans' reference grid of a model, shared by every family.

    Every factor's levels are crossed (or those ``at`` names); a numeric
    covariate sits at its mean over ``frame`` unless ``at`` fixes it, except
    that one with at most ``cov_keep`` distinct values is kept at each of them
    (emmeans' default ``cov.keep = "2"``: a 0/1 indicator is averaged over like
    a two-level factor). ``cov_keep=0`` always uses the mean (SAS LSMEANS). The
    first variable varies fastest, as emmeans.

    Examples
    --------
    >>> import pandas as pd, helpstats as hs
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "arm": list("aabbab"),
    ...                   "x": [0, 1, 0, 0, 1, 0], "y": [1.0, 2, 3, 2, 5, 4]})
    >>> fit = hs.fit_mixed(d, "y ~ arm + x + (1 | id)")
    >>> reference_grid(fit.spec, d, ["arm"], None).values.tolist()
    [['a', 0.0], ['b', 0.0], ['a', 1.0], ['b', 1.0]]
    >>> reference_grid(fit.spec, d, ["arm"], None, cov_keep=0)["x"].tolist()
    [0.3333333333333333, 0.3333333333333333]
    """
    at = dict(at or {})
    variables = list(spec.fixed_variables)
    unknown = [v for v in [*names, *at] if v not in variables]
    if unknown:
        raise ModelError(
            f"{unknown} are not fixed-effect variables of {formula or spec.formula!r}; "
            f"expected some of {variables}."
        )
    values: dict[str, list[Hashable]] = {}
    for v in variables:
        levels = spec.factor_levels(v)
        if levels is not None:
            if v in at:
                wanted = list(np.atleast_1d(np.asarray(at[v], dtype=object)))
                lookup = {level_label(x): x for x in levels}
                chosen = [lookup.get(level_label(w)) for w in wanted]
                bad = [w for w, c in zip(wanted, chosen, strict=True) if c is None]
                if bad:
                    raise ModelError(
                        f"at[{v!r}] has {bad}, which are not levels of {v!r} "
                        f"({[level_label(x) for x in levels]})."
                    )
                values[v] = [c for c in chosen if c is not None]
            else:
                values[v] = list(levels)
        elif v in at:
            values[v] = [float(x) for x in np.atleast_1d(at[v])]
        else:
            col = frame[v].astype(float)
            distinct = np.unique(col.to_numpy())
            values[v] = ([float(x) for x in distinct] if len(distinct) <= cov_keep
                         else [float(col.mean())])
    combos = itertools.product(*(values[v] for v in reversed(variables)))
    rows = [tuple(reversed(c)) for c in combos]
    return pd.DataFrame(rows, columns=variables)


Cells = tuple[list[tuple[Hashable, ...]], list[tuple[Hashable, ...]],
              dict[tuple[tuple[Hashable, ...], tuple[Hashable, ...]], np.ndarray]]


def cell_functions(spec: ModelSpec, frame: pd.DataFrame, spec_vars: list[str],
                   by_vars: list[str], at: Mapping[str, Any] | None, *,
                   weights: str = "equal", cov_keep: int = 2,
                   formula: str | None = None) -> Cells:
    """The linear function (over all ``spec.columns``) of every (spec levels, by levels)
    cell: the grid rows of the cell averaged with equal weights, or with
    ``weights="proportional"`` in proportion to the observed frequencies of the factors
    not named (emmeans ``weights = "proportional"``, SAS ``LSMEANS / OM``). ``spec_vars
    == ["1"]`` is emmeans' ``~ 1``: one cell, labelled ``"overall"``.

    Returns ``(spec_levels, by_levels, funcs)``.
    """
    if weights not in ("equal", "proportional"):
        raise ModelError(f"weights={weights!r} is not supported; use 'equal' or "
                         "'proportional'.")
    overlap = set(spec_vars) & set(by_vars)
    if not spec_vars or overlap:
        raise ModelError(
            f"specs {spec_vars} and by {by_vars} must name distinct fixed-effect variables."
        )
    overall = spec_vars == ["1"]  # emmeans' "~ 1": one grand mean, labelled "overall"
    real_spec = [] if overall else spec_vars
    named = real_spec + by_vars
    grid = reference_grid(spec, frame, named, at, cov_keep=cov_keep, formula=formula)
    X = spec.fixed_matrix(grid)
    others = [v for v in spec.fixed_variables
              if v not in named and spec.factor_levels(v) is not None]
    w = np.ones(len(grid))
    if weights == "proportional" and others:
        counts = frame.groupby(others, observed=True).size()
        keys = [tuple(r) for r in grid[others].itertuples(index=False)]
        w = np.array([float(counts.get(k if len(k) > 1 else k[0], 0)) for k in keys])

    def crossed(names: list[str]) -> list[tuple[Hashable, ...]]:
        levels = [list(dict.fromkeys(grid[v].tolist())) for v in reversed(names)]
        return [tuple(reversed(c)) for c in itertools.product(*levels)]

    spec_levels: list[tuple[Hashable, ...]] = [("overall",)] if overall else crossed(spec_vars)
    by_levels = crossed(by_vars)
    keys = list(zip(*(grid[v].tolist() for v in named), strict=True))
    if not keys:
        keys = [()] * len(grid)
    index: dict[tuple[Hashable, ...], list[int]] = {}
    for i, key in enumerate(keys):
        index.setdefault(key, []).append(i)
    funcs = {}
    for b in by_levels:
        for s in spec_levels:
            rows = index[(() if overall else s) + b]
            ww = w[rows]
            if ww.sum() <= 0:
                ww = np.ones(len(rows))
            funcs[(s, b)] = (ww[:, None] * X[rows]).sum(axis=0) / ww.sum()
    return spec_levels, by_levels, funcs


Estimator = Callable[[np.ndarray], tuple[float, float, float]]


@dataclass(frozen=True)
class Scale:
    """How a family reports its marginal means and contrasts.

    ``inverse`` and ``mu_eta`` (the inverse link and its derivative) put
    marginal means on the response scale (delta-method SE, limits
    back-transformed); ``ratio`` reports contrasts as ``exp`` of the link-scale
    difference (odds or rate ratios, labelled ``"a / b"``); ``stat`` names the
    test statistic column (``"t"``, or ``"z"`` for asymptotic tests).
    """

    inverse: Callable[[np.ndarray], np.ndarray] | None = None
    mu_eta: Callable[[np.ndarray], np.ndarray] | None = None
    ratio: bool = False
    stat: str = "t"


_LINEAR = Scale()


def emmeans_table(cells: Cells, estimate: Estimator, spec_vars: list[str], by_vars: list[str],
                  *, level: float, offset: float = 0.0, scale: Scale = _LINEAR
                  ) -> pd.DataFrame:
    """The marginal-means table of every family from its cells (:func:`cell_functions`)
    and ``estimate(c) -> (estimate, se, df)`` of ``c'beta`` (NaN when not estimable)."""
    level = check_level(level)
    spec_levels, by_levels, funcs = cells
    rows = []
    for b in by_levels:
        for s in spec_levels:
            est, se, dof = estimate(funcs[(s, b)])
            est += offset
            lower, upper = interval(est, se, dof, level)
            if scale.inverse is not None and scale.mu_eta is not None:
                se = float(scale.mu_eta(np.array([est]))[0]) * se
                lower, upper = (float(v) for v in scale.inverse(np.array([lower, upper])))
                est = float(scale.inverse(np.array([est]))[0])
            row: dict[str, Any] = dict(zip(spec_vars + by_vars, s + b, strict=True))
            row.update(emmean=est, se=se, df=dof, lower=lower, upper=upper)
            rows.append(row)
    out = pd.DataFrame(rows, columns=[*spec_vars, *by_vars, "emmean", "se", "df", "lower",
                                      "upper"])
    out.attrs["level"] = level
    return out


def emmeans(fit: ModelResult, specs: str | Sequence[str], *,
            by: str | Sequence[str] | None = None, at: Mapping[str, Any] | None = None,
            level: float = 0.95, df: str | None = None) -> pd.DataFrame:
    """Marginal means table; see :meth:`MixedFit.emmeans`."""
    level = check_level(level)
    spec_vars, by_vars = parse_specs(specs, by)
    cells = cell_functions(fit.spec, fit.data, spec_vars, by_vars, at, formula=fit.formula)
    # emmeans puts an offset at its mean over the model frame, whatever the grid
    offset = float(np.mean(fit.spec.offset_values(fit.data))) if fit.spec.offset else 0.0
    out = emmeans_table(cells, lambda c: linear_estimate(fit, c, df=df), spec_vars, by_vars,
                        level=level, offset=offset)
    return with_interaction_note(out, fit, specs, by, at)


def interaction_note(terms: Sequence[Sequence[str]], named: Sequence[str],
                     factors: Sequence[str]) -> str | None:
    """emmeans' note when a marginal mean averages over a factor that interacts with a
    variable it names (``terms``: the variables of each model term; ``factors``: the
    factors averaged over). ``None`` when no such factor exists.

    Examples
    --------
    >>> interaction_note([("arm",), ("sex",), ("arm", "sex")], ["arm"], ["sex"])
    'Results may be misleading due to involvement in interactions (averaged over sex).'
    >>> interaction_note([("arm",), ("sex",)], ["arm"], ["sex"]) is None
    True
    """
    involved = [f for f in factors if f not in named and any(
        f in t and any(n in t for n in named) for t in terms)]
    if not involved:
        return None
    return ("Results may be misleading due to involvement in interactions (averaged over "
            f"{', '.join(involved)}).")


def with_interaction_note(table: pd.DataFrame, fit: Any, specs: str | Sequence[str],
                          by: str | Sequence[str] | None, at: Mapping[str, Any] | None
                          ) -> pd.DataFrame:
    """``table`` (a fit's marginal means or contrasts) with emmeans' interaction note in
    ``attrs["note"]`` where it averages over an interacting factor; every family's
    ``emmeans`` and ``contrasts`` use it."""
    spec_vars, by_vars = parse_specs(specs, by)
    note = _spec_note(fit, [*spec_vars, *by_vars], at)
    if note:
        table.attrs["note"] = note
    return table


def _spec_note(fit: ModelResult, named: list[str], at: Mapping[str, Any] | None) -> str | None:
    """:func:`interaction_note` for a fit's model spec (factors fixed by ``at`` are not
    averaged over)."""
    spec = fit.spec
    variable_of = {f.name: f.variable or f.name for f in spec.factors}
    terms = [tuple(variable_of.get(a, a) for a in spec.term_variables(t)) for t in spec.terms
             if t not in ("(Intercept)", "1")]
    factors = [v for v in spec.fixed_variables if spec.is_factor(v) and v not in (at or {})]
    return interaction_note(terms, named, factors)


def _numeric_looking(labels: list[str]) -> bool:
    try:
        [float(x) for x in labels]
    except ValueError:
        return False
    return True


def _labels(spec_vars: list[str], levels: list[tuple[Hashable, ...]]) -> list[str]:
    """emmeans' contrast labels: a variable whose levels all look numeric (a covariate,
    or a factor such as wave "0", "1") is prefixed by its name ("wave0"); a label
    containing - + / * is put in parentheses (emmeans' ``parens`` option)."""
    columns = []
    for i, v in enumerate(spec_vars):
        text = [level_label(lv[i]) for lv in levels]
        if v != "1" and _numeric_looking(text):
            text = [f"{v}{t}" for t in text]
        columns.append(text)
    out = []
    for parts in zip(*columns, strict=True):
        label = " ".join(parts)
        out.append(f"({label})" if re.search(r"[-+/*]", label) else label)
    return out


def _pair_label(first: str, second: str) -> str:
    return f"{first} - {second}"


def contrast_label(variable: str, levels: Sequence[Hashable], first: Hashable,
                   second: Hashable) -> str:
    """The label :meth:`MixedFit.contrasts` gives the contrast ``first - second``.

    The labels follow R's emmeans, so a caller can find a comparison by its
    levels without re-deriving that convention. They depend on all the levels
    compared: when every level of ``variable`` looks numeric, each is prefixed
    by the variable's name (``"wave1 - wave0"``).

    Parameters
    ----------
    variable : str
        The variable the contrasts are over (the ``specs`` of ``contrasts``).
    levels : sequence
        All its levels in the contrast table, as in the ``emmeans`` table.
    first, second : level
        The two levels compared (matched to ``levels`` by their text).

    Returns
    -------
    str

    Examples
    --------
    >>> contrast_label("wave", [0, 1, 3], 1, 0)
    'wave1 - wave0'
    >>> contrast_label("arm", ["usual", "peer"], "peer", "usual")
    'peer - usual'
    """
    texts = [level_label(x) for x in levels]
    labels = dict(zip(texts, _labels([variable], [(x,) for x in levels]), strict=True))
    missing = [x for x in (first, second) if level_label(x) not in labels]
    if missing:
        raise ModelError(f"{missing} are not among the levels {texts} of {variable!r}; "
                         "pass levels from the emmeans table.")
    return _pair_label(labels[level_label(first)], labels[level_label(second)])


def contrast_pairs(k: int, method: str) -> list[tuple[int, int]]:
    """Index pairs (i, j) of the contrasts ``level i - level j`` of ``k`` levels, as emmeans'
    ``pairwise``, ``revpairwise`` and ``trt.vs.ctrl`` (every family's contrasts use them)."""
    if method == "pairwise":
        return [(i, j) for i in range(k) for j in range(i + 1, k)]
    if method == "revpairwise":
        return [(i, j) for i in range(1, k) for j in range(i)]
    return [(i, 0) for i in range(1, k)]


def adjust_p(p: np.ndarray, t: np.ndarray, df: np.ndarray, how: str, k: int) -> np.ndarray:
    """p values of one family of ``m`` contrasts adjusted by ``how`` (none, holm, bonferroni,
    sidak, tukey: the studentised range of ``k`` means with ``df``; ``inf`` for z tests)."""
    m = len(p)
    if how == "none" or m <= 1 and how != "tukey":
        return p
    if how == "bonferroni":
        return np.minimum(1.0, p * m)
    if how == "sidak":
        return 1.0 - (1.0 - p) ** m
    if how == "holm":
        order = np.argsort(p)
        adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
        out = np.empty(m)
        out[order] = np.minimum(1.0, adj)
        return out
    return np.array([stats.studentized_range.sf(abs(ti) * np.sqrt(2), k, d)
                     for ti, d in zip(t, df, strict=True)])


def adjusted_quantile(how: str, level: float, m: int, k: int, df: float) -> float:
    """Critical value of the intervals of a family of ``m`` contrasts among ``k`` means,
    as emmeans adjusts them (holm's intervals are Bonferroni's; tukey the studentised
    range over ``sqrt(2)``)."""
    if how == "none" or m <= 1 and how != "tukey":
        return float(quantile(level, df))
    alpha = 1 - level
    if how in ("bonferroni", "holm"):
        return float(quantile(1 - alpha / m, df))
    if how == "sidak":
        return float(quantile((1 - alpha) ** (1 / m), df))
    return float(stats.studentized_range.ppf(level, k, df) / np.sqrt(2))


def contrast_table(cells: Cells, estimate: Estimator, spec_vars: list[str],
                   by_vars: list[str], *, method: str, adjust: str, level: float,
                   scale: Scale = _LINEAR) -> pd.DataFrame:
    """The contrasts table of every family: ``contrast`` (+ by), ``estimate, se, df,
    <stat>, p, lower, upper`` with p values and intervals adjusted for each ``by``
    family of contrasts (emmeans' rules; see :func:`adjust_p`, :func:`adjusted_quantile`);
    with ``scale.ratio`` the estimate and limits are exponentiated (``se`` by the delta
    method) and labelled ``"a / b"``."""
    level = check_level(level)
    if method not in _METHODS:
        raise ModelError(f"method={method!r} is not supported; use one of {list(_METHODS)}.")
    if adjust not in _ADJUST:
        raise ModelError(f"adjust={adjust!r} is not supported; use one of {list(_ADJUST)}.")
    if adjust == "tukey" and method == "trt.vs.ctrl":
        warnings.warn("adjust='tukey' applies to pairwise comparisons only; using 'sidak' "
                      "(as emmeans does).", UserWarning, stacklevel=4)
        adjust = "sidak"
    spec_levels, by_levels, funcs = cells
    labels = _labels(spec_vars, spec_levels)
    sep = " / " if scale.ratio else " - "
    stat = scale.stat
    out = []
    for b in by_levels:
        rows = []
        for i, j in contrast_pairs(len(spec_levels), method):
            est, se, dof = estimate(funcs[(spec_levels[i], b)] - funcs[(spec_levels[j], b)])
            t = est / se if se > 0 else np.nan
            row: dict[str, Any] = {"contrast": f"{labels[i]}{sep}{labels[j]}"}
            row.update(dict(zip(by_vars, b, strict=True)))
            row.update({"estimate": est, "se": se, "df": dof, stat: t,
                        "p": float(2 * stats.t.sf(abs(t), dof))})
            rows.append(row)
        if rows:
            p = np.array([r["p"] for r in rows])
            tt = np.array([r[stat] for r in rows])
            dfs = np.array([r["df"] for r in rows])
            ok = ~np.isnan(p)  # non-estimable contrasts are left out of the family
            adjusted = np.full(len(p), np.nan)
            adjusted[ok] = adjust_p(p[ok], tt[ok], dfs[ok], adjust, len(spec_levels))
            for r, pa in zip(rows, adjusted, strict=True):
                r["p"] = float(pa)
                q = adjusted_quantile(adjust, level, int(ok.sum()), len(spec_levels), r["df"])
                lo, hi = r["estimate"] - q * r["se"], r["estimate"] + q * r["se"]
                if scale.ratio:
                    r["estimate"] = float(np.exp(r["estimate"]))
                    r["se"] = r["estimate"] * r["se"]
                    lo, hi = float(np.exp(lo)), float(np.exp(hi))
                r["lower"], r["upper"] = lo, hi
        out.extend(rows)
    table = pd.DataFrame(out, columns=["contrast", *by_vars, "estimate", "se", "df", stat, "p",
                                       "lower", "upper"])
    table.attrs["level"] = level
    return table


def contrasts(fit: ModelResult, specs: str | Sequence[str], *,
              by: str | Sequence[str] | None = None, at: Mapping[str, Any] | None = None,
              method: str = "pairwise", adjust: str = "none", level: float = 0.95,
              df: str | None = None) -> pd.DataFrame:
    """Contrasts of marginal means; see :meth:`MixedFit.contrasts`."""
    spec_vars, by_vars = parse_specs(specs, by)
    cells = cell_functions(fit.spec, fit.data, spec_vars, by_vars, at, formula=fit.formula)
    table = contrast_table(cells, lambda c: linear_estimate(fit, c, df=df), spec_vars, by_vars,
                           method=method, adjust=adjust, level=level)
    return with_interaction_note(table, fit, specs, by, at)
