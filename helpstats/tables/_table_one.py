"""Table 1: baseline characteristics by group, as a tidy numeric DataFrame."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._ids import id_text
from ..errors import TableError
from ._common import finish, key, levels, require_columns, require_frame
from ._labels import as_labels
from ._layout import Cell, Options, Panel, register_layout

__all__ = ["table_one"]

OVERALL = "Overall"
#: Column names taken for a participant id when ``id`` is not given (only to refuse
#: long data, never to pick rows).
_ID_NAMES = ("participant", "participant_id", "id", "pid", "subject", "subject_id",
             "record_id", "respondent", "member", "member_id")


@functools.lru_cache(maxsize=1)
def _item_pattern() -> re.Pattern[str]:
    from ..instruments import list_instruments

    ids = sorted(map(str, list_instruments()["id"]), key=len, reverse=True)
    return re.compile("(?:" + "|".join(map(re.escape, ids)) + r")_\d+[a-z]?")


def _is_item(name: str) -> bool:
    return _item_pattern().fullmatch(name) is not None


def _one_row_each(frame: pd.DataFrame, *, id: str | None, wave: str | None,
                  at: Any) -> tuple[pd.DataFrame, Any]:
    """The rows summarised (one per participant) and the wave they are from."""
    at_level = None
    if wave is not None:
        waves = levels(frame[wave])
        if not waves:
            raise TableError(f"table_one: the wave column {wave!r} has no values.")
        if isinstance(at, str) and at == "baseline":
            at_level = waves[0]
        else:
            hits = [w for w in waves if key(w) == key(at)]
            if not hits:
                raise TableError(f"table_one: at={at!r} is not a wave of {wave!r}; its waves "
                                 f"are {[key(w) for w in waves]}.")
            at_level = hits[0]
        frame = frame[frame[wave].map(key) == key(at_level)]
    if id is not None:
        ids = id_text(frame[id])
        repeated = ids[ids.duplicated(keep=False) & ids.notna()]
        if len(repeated):
            where = f" at {wave} {key(at_level)}" if wave is not None else ""
            how = ("each participant should have one row per wave; drop or merge the "
                   "repeated rows first" if wave is not None else
                   "pass wave= (the wave column) to summarise one row per participant at "
                   "baseline (at='baseline'), or at=<wave>")
            raise TableError(
                f"table_one: {repeated.nunique()} participant(s) have more than one row{where} "
                f"(e.g. {id} {repeated.iloc[0]!r}, {int((ids == repeated.iloc[0]).sum())} rows); "
                f"Table 1 counts each participant once: {how}.")
        return frame, at_level
    for name in _ID_NAMES:
        if name in frame.columns and frame[name].notna().any() and \
                id_text(frame[name]).dropna().duplicated().any():
            waves_hint = next((c for c in ("wave", "visit", "time", "month") if c in
                               frame.columns), None)
            hint = f", wave={waves_hint!r}" if waves_hint and wave is None else ""
            raise TableError(
                f"table_one: the column {name!r} repeats ({frame[name].nunique()} distinct "
                f"values in {len(frame)} rows): this looks like long data (one row per "
                "participant and wave), which would count observations, not participants. "
                f"Pass id={name!r}{hint} to summarise one row per participant at baseline "
                "(or at=<wave>).")
    return frame, at_level


def table_one(
    data: pd.DataFrame,
    *,
    by: str | None = None,
    id: str | None = None,
    wave: str | None = None,
    at: Any = "baseline",
    variables: Sequence[str] | None = None,
    nonnormal: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    pvalues: bool = False,
    labels: Any = None,
) -> pd.DataFrame:
    """Baseline characteristics by group (role or arm), with an overall column.

    One row per participant is summarised: with ``wave``, the rows of the
    baseline wave (or ``at``); with ``id``, repeated ids are refused. Numeric
    variables are summarised by mean and SD, or by median, Q1 and Q3 when
    listed in ``nonnormal``; categorical variables (non-numeric columns,
    booleans and those listed in ``categorical``) by the count and percentage
    of each level. Missing values are counted, never dropped silently.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant, or the long frame (one row per participant
        and wave) with ``id`` and ``wave``. Not modified.
    by : str, optional
        Grouping column (role, arm). ``None`` gives the overall column only.
        Rows whose group is missing are counted in the overall column only; their
        number is in ``attrs["n_group_missing"]``. Each participant is counted
        in one group: their ``by`` value at the wave summarised.
    id : str, optional
        Participant-id column (ids compared as text, see ``helpstats._ids``).
        A participant with more than one row (at the wave summarised) is an
        error that says how to pick one row each. Without ``id``, a column
        that looks like one (``participant``, ``id``, ``subject``, ...) and
        repeats is refused in the same way.
    wave : str, optional
        Wave column of long data: only the rows at ``at`` are summarised.
    at : default "baseline"
        The wave summarised: ``"baseline"`` is the first wave (category order
        or sorted values), or a level of ``wave`` (matched as text).
    variables : sequence of str, optional
        Columns to summarise, in display order. Default: every column but
        ``by``, ``id``, ``wave`` and questionnaire item columns (``phq9_1``,
        ... of the bundled instruments).
    nonnormal : sequence of str, optional
        Numeric variables summarised by median and quartiles (Kruskal-Wallis test).
    categorical : sequence of str, optional
        Numeric-coded variables to treat as categorical.
    pvalues : bool, default False
        Add ``test``, ``statistic`` and ``p`` comparing the groups: one-way ANOVA
        (mean/SD variables), Kruskal-Wallis (``nonnormal``), Pearson chi-square
        without continuity correction (categorical), or Fisher's exact test for a
        2 x 2 table with an expected count below 5.
    labels : Labels, Study or mapping, optional
        Variable and level labels shown by the writers (default: the
        instruments' names, e.g. ``PHQ-9 total``, and the column names).

    Returns
    -------
    pandas.DataFrame
        Tidy layout, one row per variable x level x group (the groups, then
        ``"Overall"``), with columns

        ``variable``
            column name; the first rows (``variable == "n"``) count the participants.
        ``level``
            category of a categorical variable (as text); missing for other rows.
        ``group``
            group label as text, or ``"Overall"``.
        ``summary``
            ``"count"``, ``"mean_sd"``, ``"median_iqr"`` or ``"n_pct"``.
        ``n``
            non-missing values (numeric), participants in the level (categorical).
        ``pct``
            percentage of the group's non-missing values in the level (0-100).
        ``mean``, ``sd``, ``median``, ``q1``, ``q3``
            for numeric variables (SD with n - 1; quartiles by linear
            interpolation, R's type 7).
        ``missing``
            missing values of the variable in the group (repeated on each level row).
        ``test``, ``statistic``, ``p``
            with ``pvalues=True``: the test comparing the groups on this variable,
            its statistic (F, H, chi-square, or the odds ratio for Fisher's exact
            test) and p, repeated on each of its rows; missing when the test
            cannot be computed (fewer than two groups with data, no variation).

        ``attrs`` holds ``kind="table_one"``, ``layout``, ``by``, ``groups``
        (display order), ``n`` (participants), ``n_group_missing``, ``at`` (the
        wave summarised, with ``wave``) and ``labels``. :func:`format_table` renders it as
        "mean (SD)", "median [Q1, Q3]" and "n (%)" with one column per group.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> df = pd.DataFrame({"arm": ["a", "a", "b", "b"], "age": [20, 30, 40, None],
    ...                    "sex": ["f", "m", "f", "f"]})
    >>> t1 = hs.table_one(df, by="arm", variables=["age", "sex"])
    >>> t1[t1.variable == "age"][["group", "n", "mean", "sd", "missing"]]
         group  n  mean        sd  missing
    3        a  2  25.0  7.071068        0
    4        b  1  40.0       NaN        1
    5  Overall  3  30.0 10.000000        1
    >>> hs.format_table(t1)
       Characteristic    Level             a           b        Overall
    0               n                      2           2              4
    1  Age, mean (SD)           25.00 (7.07)  40.00 (NA)  30.00 (10.00)
    2                  missing             0           1              1
    3      Sex, n (%)
    4                        f      1 (50.0)   2 (100.0)       3 (75.0)
    5                        m      1 (50.0)     0 (0.0)       1 (25.0)

    Long data (one row per participant and wave): the baseline rows, one per participant:

    >>> long = pd.DataFrame({"pid": [1, 1, 2, 2], "wave": [0, 1, 0, 1], "arm": ["a", "a", "b", "b"],
    ...                      "age": [20, 20, 40, 40]})
    >>> t = hs.table_one(long, by="arm", id="pid", wave="wave")
    >>> t[t.variable == "n"][["group", "n"]]
         group  n
    0        a  1
    1        b  1
    2  Overall  2
    """
    frame = require_frame(data, "table_one data")
    nonnormal = list(nonnormal or [])
    categorical = list(categorical or [])
    require_columns(frame, [c for c in (id, wave) if c is not None], "table_one")
    frame, at_level = _one_row_each(frame, id=id, wave=wave, at=at)
    if variables is None:
        skip = {by, id, wave}
        variables = [str(c) for c in frame.columns if c not in skip and not _is_item(str(c))]
    variables = list(variables)
    if not variables:
        raise TableError("table_one: no variables to summarise; pass variables=[...].")
    require_columns(frame, [*variables, *([by] if by is not None else [])], "table_one")
    stray = [v for v in [*nonnormal, *categorical] if v not in variables]
    if stray:
        raise TableError(
            f"table_one: {stray} listed in nonnormal/categorical but not in variables "
            f"{variables}; add them to variables or remove them."
        )

    if by is None:
        groups: list[tuple[str, pd.DataFrame]] = []
        n_group_missing = 0
    else:
        group_col = frame[by]
        n_group_missing = int(group_col.isna().sum())
        groups = [(str(g), frame[group_col == g]) for g in levels(group_col)]
    groups.append((OVERALL, frame))

    rows: list[dict[str, Any]] = [
        {"variable": "n", "level": None, "group": g, "summary": "count", "n": len(sub)}
        for g, sub in groups
    ]
    for var in variables:
        column = frame[var]
        is_cat = var in categorical or not _is_numeric(column)
        if is_cat and var in nonnormal:
            raise TableError(
                f"table_one: {var!r} is categorical but listed in nonnormal; "
                "nonnormal is for numeric variables."
            )
        if is_cat:
            var_rows = _categorical_rows(var, column, groups)
        else:
            var_rows = _numeric_rows(var, groups, nonnormal=var in nonnormal)
        if pvalues:
            test, statistic, p = _test(var, frame, by, is_cat, var in nonnormal)
            for r in var_rows:
                r.update(test=test, statistic=statistic, p=p)
        rows.extend(var_rows)

    columns = ["variable", "level", "group", "summary", "n", "pct", "mean", "sd",
               "median", "q1", "q3", "missing"]
    if pvalues:
        columns += ["test", "statistic", "p"]
    table = pd.DataFrame(rows).reindex(columns=columns)
    table["n"] = table["n"].astype("int64")
    table["missing"] = table["missing"].fillna(0).astype("int64")
    return finish(
        table,
        "table_one",
        by=by,
        groups=[g for g, _ in groups],
        n=len(frame),
        n_group_missing=n_group_missing,
        at=at_level,
        wave=wave,
        layout="table_one",
        title="Baseline characteristics" + (f" by {as_labels(labels).variable(by)}" if by
                                            else ""),
        labels=as_labels(labels),
        notes=_notes(by, n_group_missing, pvalues, wave, at_level),
    )


def _is_numeric(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column)) and not pd.api.types.is_bool_dtype(column)


def _numeric_rows(
    var: str, groups: list[tuple[str, pd.DataFrame]], *, nonnormal: bool
) -> list[dict[str, Any]]:
    out = []
    for g, sub in groups:
        x = sub[var].astype(float)
        ok = x.dropna()
        row: dict[str, Any] = {
            "variable": var,
            "level": None,
            "group": g,
            "summary": "median_iqr" if nonnormal else "mean_sd",
            "n": len(ok),
            "missing": int(x.isna().sum()),
        }
        if nonnormal:
            q = np.quantile(ok, [0.25, 0.5, 0.75]) if len(ok) else [np.nan] * 3
            row.update(q1=float(q[0]), median=float(q[1]), q3=float(q[2]))
        else:
            row.update(
                mean=float(ok.mean()) if len(ok) else np.nan,
                sd=float(ok.std(ddof=1)) if len(ok) > 1 else np.nan,
            )
        out.append(row)
    return out


def _categorical_rows(
    var: str, column: pd.Series, groups: list[tuple[str, pd.DataFrame]]
) -> list[dict[str, Any]]:
    out = []
    for level in levels(column):
        for g, sub in groups:
            x = sub[var]
            answered = int(x.notna().sum())
            count = int((x == level).sum())
            out.append(
                {
                    "variable": var,
                    "level": str(level),
                    "group": g,
                    "summary": "n_pct",
                    "n": count,
                    "pct": 100.0 * count / answered if answered else np.nan,
                    "missing": int(x.isna().sum()),
                }
            )
    return out


def _test(
    var: str, frame: pd.DataFrame, by: str | None, is_cat: bool, nonnormal: bool
) -> tuple[str | None, float, float]:
    if by is None:
        return None, np.nan, np.nan
    sub = frame[[by, var]].dropna()
    group_levels = [g for g in levels(sub[by]) if (sub[by] == g).any()]
    if len(group_levels) < 2:
        return None, np.nan, np.nan
    if is_cat:
        counts = pd.crosstab(sub[by], sub[var]).to_numpy()
        counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
        if counts.shape[0] < 2 or counts.shape[1] < 2:
            return None, np.nan, np.nan
        expected = stats.contingency.expected_freq(counts)
        if counts.shape == (2, 2) and expected.min() < 5:
            res = stats.fisher_exact(counts)
            return "Fisher's exact", float(res.statistic), float(res.pvalue)
        chi2 = stats.chi2_contingency(counts, correction=False)
        return "Chi-square", float(chi2.statistic), float(chi2.pvalue)
    samples = [sub.loc[sub[by] == g, var].astype(float).to_numpy() for g in group_levels]
    if nonnormal:
        if len(np.unique(np.concatenate(samples))) < 2:
            return None, np.nan, np.nan
        kw = stats.kruskal(*samples)
        return "Kruskal-Wallis", float(kw.statistic), float(kw.pvalue)
    if sum(len(s) for s in samples) <= len(samples) or all(np.ptp(s) == 0 for s in samples):
        return None, np.nan, np.nan
    f = stats.f_oneway(*samples)
    return "ANOVA", float(f.statistic), float(f.pvalue)


def _notes(by: str | None, n_group_missing: int, pvalues: bool, wave: str | None,
           at: Any) -> str:
    parts = ["Mean (SD), median [Q1, Q3] or n (%); percentages of non-missing values."]
    if wave is not None:
        parts.insert(0, f"One row per participant: {wave} {key(at)}.")
    if n_group_missing:
        parts.append(f"{n_group_missing} participant(s) with missing {by} are in Overall only.")
    if pvalues:
        parts.append(
            "p: one-way ANOVA, Kruskal-Wallis, Pearson chi-square, or Fisher's exact test "
            "for 2 x 2 tables with an expected count below 5."
        )
    return " ".join(parts)


_SUMMARY_TEXT = {"count": "", "mean_sd": ", mean (SD)", "median_iqr": ", median [Q1, Q3]",
                 "n_pct": ", n (%)"}


@register_layout("table_one")
def _layout(table: pd.DataFrame, options: Options) -> tuple[list[Panel], list[str]]:
    """Characteristic, level, one column per group, Overall (and test, p)."""
    labels = options.labels
    by = table.attrs.get("by")
    groups: list[str] = list(table.attrs.get("groups") or pd.unique(table["group"]))
    has_p = "p" in table.columns
    header = ["Characteristic", "Level",
              *(g if g == OVERALL else labels.level(by, g) for g in groups),
              *(["Test", "p"] if has_p else [])]
    roles = ["text", "text", *(["n_pct"] * len(groups)), *(["text", "p"] if has_p else [])]
    rows: list[tuple[Cell, ...]] = []
    emphasis: list[bool] = []

    def cell(r: pd.Series) -> Cell:
        summary = r["summary"]
        if summary == "count":
            return Cell(int(r["n"]), "integer")
        if summary == "n_pct":
            return Cell((int(r["n"]), r["pct"]), "n_pct")
        if r["n"] == 0:
            return Cell("", "text")
        if summary == "median_iqr":
            return Cell((r["median"], r["q1"], r["q3"]), "median_iqr")
        return Cell((r["mean"], r["sd"]), "mean_sd")

    blank = Cell("", "text")
    for var, block in table.groupby("variable", sort=False):
        summary = str(block["summary"].iloc[0])
        test: list[Cell] = []
        if has_p:
            first = block.iloc[0]
            test = [Cell("" if first["test"] is None or pd.isna(first["test"])
                         else str(first["test"]), "text"), Cell(first["p"], "p")]
        name = "n" if var == "n" and summary == "count" else \
            f"{labels.variable(var)}{_SUMMARY_TEXT[summary]}"
        by_group = {str(r["group"]): cell(r) for _, r in block.iterrows()}
        if summary == "n_pct":
            rows.append((Cell(name, "text"), blank, *(blank for _ in groups), *test))
            emphasis.append(True)
            for level, lv_block in block.groupby("level", sort=False):
                by_group = {str(r["group"]): cell(r) for _, r in lv_block.iterrows()}
                rows.append((blank, Cell(labels.level(var, level), "text"),
                             *(by_group.get(g, blank) for g in groups),
                             *((blank, blank) if has_p else ())))
                emphasis.append(False)
        else:
            rows.append((Cell(name, "text"), blank, *(by_group.get(g, blank) for g in groups),
                         *test))
            emphasis.append(summary == "count")
        if summary != "count" and block["missing"].sum() > 0:
            lost = block.drop_duplicates("group").set_index("group")["missing"]
            rows.append((blank, Cell("missing", "text"),
                         *(Cell(int(lost[g]), "integer") for g in groups),
                         *((blank, blank) if has_p else ())))
            emphasis.append(False)
    panel = Panel(header=tuple(header), roles=tuple(roles), rows=tuple(rows),
                  emphasis=tuple(emphasis))
    return [panel], [str(table.attrs.get("notes") or "")]
