"""Scoring, item scores, invalid cells and validation of Dask DataFrames.

Each partition is scored by the pandas code (:func:`helpstats.score`), so the
rules, columns and dtypes are the same by construction. Invalid cells are
found in one eager pass over every partition before the lazy result is
returned: the error (or warning) lists the first 20 in partition order and
counts all, as the pandas path does.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd

from .. import scoring as _scoring
from ..errors import HelpstatsError, InvalidCellsWarning
from ..scoring import MAX_LISTED, PROBLEM_COLUMNS, find_invalid_cells
from . import require_dask

__all__ = ["CheckedScores", "find_invalid_cells_dask", "item_scores_dask", "problem_summary",
           "score_checked", "score_dask", "validate_dask"]


def _partition_problems(part: pd.DataFrame, instruments: Sequence[Any],
                        specs: dict[str, Any]) -> pd.DataFrame:
    frames = []
    for inst in instruments:
        cells = find_invalid_cells(part, inst, columns=specs[inst.id])
        cells = cells[cells["row"].notna()]
        cells.insert(0, "instrument", inst.id)
        frames.append(cells)
    return pd.concat(frames, ignore_index=True) if frames else \
        pd.DataFrame(columns=["instrument", *PROBLEM_COLUMNS])


def _summary(part: pd.DataFrame, instruments: Sequence[Any], specs: dict[str, Any]
             ) -> tuple[int, list[dict[str, Any]]]:
    cells = _partition_problems(part, instruments, specs)
    return len(cells), cells.head(MAX_LISTED).to_dict("records")


def problem_summary(data: Any, instruments: Sequence[Any], specs: dict[str, Any]
                    ) -> tuple[int, list[dict[str, Any]]]:
    """Count every invalid cell and keep the first 20 (partition order), in one pass."""
    import dask

    parts = data.to_delayed()
    return _combined(dask.compute(*[dask.delayed(_summary)(p, instruments, specs) for p in parts]))


def _combined(results: Sequence[tuple[int, list[dict[str, Any]]]]
              ) -> tuple[int, list[dict[str, Any]]]:
    """The total count and the first 20 cells of per-partition summaries."""
    first: list[dict[str, Any]] = []
    for _, records in results:
        first.extend(records[: MAX_LISTED - len(first)])
    return sum(n for n, _ in results), first


def _check_columns(data: Any, instruments: Sequence[Any], specs: dict[str, Any]) -> None:
    """Absent item columns are found on the empty meta frame (no data read)."""
    from dask.dataframe.utils import make_meta

    meta = make_meta(data)
    for inst in instruments:
        needed = {n for scale in inst.scales for n in scale.items}
        items = [item for item in inst.items if item.number in needed]
        _scoring.parse_items(meta, inst, specs[inst.id], items)


def report_invalid(total: int, first: list[dict[str, Any]], label: str, on_invalid: str) -> None:
    """Raise (listing ``first``, counting ``total``) or warn about the invalid cells of a
    Dask computation, as the pandas call does."""
    if not total:
        return
    if on_invalid == "raise":
        _scoring.raise_problems(first, label, total=total)
    warnings.warn(f"{total} invalid cell(s) scored as missing; hs.find_invalid_cells(data, ...) "
                  "lists them", InvalidCellsWarning, stacklevel=4)


def _score_partition(part: pd.DataFrame, instruments: Sequence[Any], columns: Any,
                     coding: Any = None, on_invalid: str = "missing") -> pd.DataFrame:
    with warnings.catch_warnings():  # reported once, for the whole frame, before this runs
        warnings.simplefilter("ignore")
        result = _scoring.score(part, instruments, columns=columns, on_invalid="missing", coding=coding)
    result.attrs.clear()
    if on_invalid != "missing":  # the eager result has no invalid-cell counts then
        result = result.drop(columns=[c for c in result.columns if str(c).endswith("_n_invalid")])
    return result


def score_dask(data: Any, instrument: Any, *, columns: Any = None, on_invalid: str = "raise",
               coding: Any = None) -> Any:
    """Lazy :func:`helpstats.score` of a Dask DataFrame (same columns, dtypes and values)."""
    from dask.dataframe.utils import make_meta

    require_dask()
    _scoring.check_on_invalid(on_invalid)
    plan = _scoring.scoring_plan(instrument, columns=columns, coding=coding)
    instruments, specs = plan.instruments, plan.columns  # the declared coding's variants
    _check_columns(data, instruments, specs)
    total, first = problem_summary(data, instruments, specs)
    report_invalid(total, first, ", ".join(i.id for i in instruments), on_invalid)
    for inst in instruments:
        _scoring.warn_provisional(inst, stacklevel=4)
    meta = _score_partition(make_meta(data), instruments, specs, None, on_invalid)
    return data.map_partitions(_score_partition, instruments, specs, None, on_invalid,
                               meta=meta)


def _with_scores(part: pd.DataFrame, instruments: Sequence[Any], columns: Any,
                 on_invalid: str) -> pd.DataFrame:
    return pd.concat([part, _score_partition(part, instruments, columns, None, on_invalid)], axis=1)


class CheckedScores:
    """The data with their scores, lazily, and the invalid-cell count of the same blocks.

    Made by :func:`score_checked`. ``frame`` (the data's columns, then the
    scores) and ``summaries`` (one per partition) both come from the same
    partition tasks, so computing them together reads every block once.
    Call :meth:`report` with the computed summaries before using the result:
    it raises (``on_invalid="raise"``) or warns as :func:`helpstats.score` does.
    """

    def __init__(self, frame: Any, summaries: list[Any], label: str, on_invalid: str) -> None:
        self.frame = frame
        self.summaries = summaries
        self._label = label
        self._on_invalid = on_invalid

    def report(self, computed: Sequence[tuple[int, list[dict[str, Any]]]]) -> None:
        """Raise or warn about the invalid cells counted in ``computed`` (partition order)."""
        report_invalid(*_combined(computed), self._label, self._on_invalid)


def score_checked(data: Any, instrument: Any, *, columns: Any = None,
                  on_invalid: str = "raise", coding: Any = None) -> CheckedScores:
    """:func:`score_dask` without its eager pass: the check and the scores in one graph.

    The columns are checked on the empty meta frame now (an absent item column,
    or a score column the data already have, raises here); the cells are checked
    when the result is computed.
    """
    import dask
    import dask.dataframe as dd
    from dask.dataframe.utils import make_meta

    _scoring.check_on_invalid(on_invalid)
    plan = _scoring.scoring_plan(instrument, columns=columns, coding=coding)
    instruments, specs = plan.instruments, plan.columns  # the declared coding's variants
    _check_columns(data, instruments, specs)
    for inst in instruments:
        _scoring.warn_provisional(inst, stacklevel=3)
    empty = make_meta(data)
    scored = _score_partition(empty, instruments, specs, None, on_invalid)
    clashes = [c for c in scored.columns if c in empty.columns]
    if clashes:
        raise HelpstatsError(f"already has column(s) {clashes}; rename them before scoring")
    meta = pd.concat([empty, scored], axis=1)
    parts = data.to_delayed()
    frame = dd.from_delayed([dask.delayed(_with_scores)(p, instruments, specs, on_invalid)
                             for p in parts], meta=meta, verify_meta=False)
    summaries = [dask.delayed(_summary)(p, instruments, specs) for p in parts]
    return CheckedScores(frame, summaries, ", ".join(i.id for i in instruments), on_invalid)


def _items_partition(part: pd.DataFrame, instrument: Any, columns: Any, scale: str | None) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _scoring.item_scores(part, instrument, columns=columns, on_invalid="missing", scale=scale)


def item_scores_dask(data: Any, instrument: Any, *, columns: Any = None, on_invalid: str = "raise",
                     scale: str | None = None) -> Any:
    """Lazy :func:`helpstats.scoring.item_scores` of a Dask DataFrame."""
    from dask.dataframe.utils import make_meta

    require_dask()
    _scoring.check_on_invalid(on_invalid)
    inst = _scoring.as_instruments(instrument)[0]
    specs = {inst.id: columns}
    _check_columns(data, [inst], specs)
    total, first = problem_summary(data, [inst], specs)
    report_invalid(total, first, inst.id, on_invalid)
    _scoring.warn_provisional(inst, stacklevel=4)
    meta = _items_partition(make_meta(data), inst, columns, scale)
    return data.map_partitions(_items_partition, inst, columns, scale, meta=meta)


def find_invalid_cells_dask(data: Any, instrument: Any, columns: Any = None) -> Any:
    """Lazy frame of every invalid cell (``row, column, item, value, problem, allowed``)."""
    require_dask()
    inst = _scoring.as_instruments(instrument)[0]
    meta = pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})

    def one(part: pd.DataFrame) -> pd.DataFrame:
        return find_invalid_cells(part, inst, columns=columns).astype(object)

    return data.map_partitions(one, meta=meta)


def validate_dask(data: Any, instruments: Any, *, columns: Any = None, id: str | None = None,
                  wave: str | None = None, coding: Any = None) -> pd.DataFrame:
    """:func:`helpstats.validate` of a Dask DataFrame: the same report, computed in one pass.

    Each partition is validated by the pandas code; the summaries are added
    up. Participant × wave duplicates across partitions are found with a
    Dask group-by on the key columns.
    """
    import dask

    from ..validate import REPORT_COLUMNS, SUMMARY_COLUMNS, _duplicates, validate

    require_dask()
    plan = _scoring.scoring_plan(instruments, columns=columns, coding=coding)
    insts, specs = plan.instruments, plan.columns  # the declared coding's variants

    def one(part: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        report = validate(part, insts, columns=specs)
        summary = report.attrs["summary"]
        report.attrs.clear()
        return report, summary

    results = dask.compute(*[dask.delayed(one)(p) for p in data.to_delayed()])
    reports = [r for r, _ in results if not r.empty]
    summaries = pd.concat([s for _, s in results], ignore_index=True)
    counted = ["n_rows", "missing_columns", "invalid_cells", "rows_with_invalid", "blank_cells",
               "complete_rows"]
    summary = summaries.groupby("instrument", sort=False).agg(
        {**dict.fromkeys(counted, "sum"), "n_items": "first"}).reset_index()
    per_instrument = summaries.groupby("instrument", sort=False)
    summary["missing_columns"] = per_instrument["missing_columns"].max().to_numpy()
    summary["ok"] = (summary["missing_columns"] == 0) & (summary["invalid_cells"] == 0)
    summary = summary[SUMMARY_COLUMNS]
    # an absent column is reported once, not once per partition
    report = pd.concat(reports, ignore_index=True) if reports else pd.DataFrame(columns=REPORT_COLUMNS)
    absent = report["problem"].eq("missing column")
    report = pd.concat([report[absent].drop_duplicates(["instrument", "column"]), report[~absent]],
                       ignore_index=True)
    duplicated = 0
    if id is not None:
        keys = [id] + ([wave] if wave is not None else [])
        counts = data[keys].astype(str).groupby(keys).size().compute()
        repeated = counts[counts > 1]
        if len(repeated):
            wanted = set(repeated.index.tolist())

            def rows_with(part: pd.DataFrame) -> pd.DataFrame:
                text = part[keys].astype(str)
                key = (list(zip(*(text[k] for k in keys), strict=True)) if len(keys) > 1
                       else list(text[keys[0]]))
                return part[[k in wanted for k in key]]

            hits = data[keys].map_partitions(rows_with).compute()
            dup = _duplicates(hits, id, wave)
            duplicated = len(dup)
            report = pd.concat([report, dup], ignore_index=True)
        else:
            _duplicates(data.head(0), id, wave)  # the same errors for a wave without an id
    report = report[REPORT_COLUMNS] if len(report) else pd.DataFrame(columns=REPORT_COLUMNS)
    report.attrs["summary"] = summary
    report.attrs["duplicated_rows"] = duplicated
    return report
