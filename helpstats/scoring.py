"""Score questionnaires from item responses, exactly as their definitions say.

The scoring engine is generic: every instrument-specific fact (codes, labels,
reversals, per-option scores, scale methods, missing-item rules, bands, flags)
comes from the instrument's definition file. Work is vectorised over whole
columns; no row is ever dropped and the input is never modified.

Examples
--------
>>> import pandas as pd
>>> import helpstats as hs
>>> answers = pd.DataFrame({f"phq9_{n}": [1, 3] for n in range(1, 9)})
>>> answers["phq9_9"] = ["several days", "Not at all"]
>>> hs.score(answers, "phq9")[["phq9_total", "phq9_total_band", "phq9_item9_flag"]]
   phq9_total phq9_total_band  phq9_item9_flag
0         9.0            mild             True
1        24.0          severe            False
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._dask import is_dask
from .errors import AmbiguousCodingWarning, InvalidCellsWarning, ProvisionalKeyWarning, ScoringError
from .instruments import (
    Instrument,
    Item,
    ResponseSet,
    Scale,
    coding_variant,
    family_codings,
    load_instrument,
)
from .io import parse_number

__all__ = ["ScoringPlan", "find_invalid_cells", "item_scores", "resolve_columns", "score",
           "scoring_plan"]

InstrumentLike = str | Path | Instrument
ColumnSpec = Mapping[str, str] | str | None

MISSING = -1  # position code of a missing response
INVALID = -2  # position code of a response that is not one of the item's options

PROBLEM_COLUMNS = ["row", "column", "item", "value", "problem", "allowed"]
MAX_LISTED = 20


# ----------------------------------------------------------------------------- columns


def resolve_columns(instrument: InstrumentLike, columns: ColumnSpec = None,
                    data: pd.DataFrame | None = None) -> dict[str, str]:
    """Map each item id of an instrument to the data column that holds it.

    Parameters
    ----------
    instrument : str or Instrument
    columns : dict, str or None
        ``None``: columns are named by item id (``phq9_1`` ...). A dict
        ``{item_id: column}`` names some or all of them (the rest keep their
        item ids). A pattern such as ``"Q5_{n}"`` is filled with each item
        number.
    data : pandas.DataFrame, optional
        Not used for the mapping; accepted so callers can pass it uniformly.

    Returns
    -------
    dict
        ``{item_id: column name}`` for every item, in form order.

    Examples
    --------
    >>> resolve_columns("gad7", "Q5_{n}")["gad7_7"]
    'Q5_7'
    >>> resolve_columns("gad7", {"gad7_1": "nervous"})["gad7_1"]
    'nervous'
    """
    inst = load_instrument(instrument)
    if columns is None:
        return {item.id: item.id for item in inst.items}
    if isinstance(columns, str):
        if "{n}" not in columns:
            raise ScoringError(
                f"column pattern {columns!r} for {inst.id} has no '{{n}}' placeholder; "
                f"use e.g. 'Q5_{{n}}' (filled with item numbers 1..{len(inst.items)}) "
                "or a dict {item_id: column}"
            )
        return {item.id: columns.replace("{n}", str(item.number)) for item in inst.items}
    if isinstance(columns, Mapping):
        unknown = [key for key in columns if key not in inst.item_ids]
        if unknown:
            raise ScoringError(
                f"columns for {inst.id} name unknown item id(s) {unknown}; "
                f"its item ids are {inst.item_ids[0]} .. {inst.item_ids[-1]}"
            )
        return {item.id: str(columns.get(item.id, item.id)) for item in inst.items}
    raise ScoringError(
        f"columns must be None, a dict {{item_id: column}} or a pattern like 'Q5_{{n}}'; "
        f"found {type(columns).__name__}"
    )


# ----------------------------------------------------------------------------- parsing


def _normalise(text: str) -> str:
    return " ".join(text.split()).lower()


@dataclass(frozen=True)
class _Options:
    """Fast lookup tables for one response set."""

    response_set: ResponseSet
    by_text: dict[str, int]
    numeric_codes: np.ndarray  # sorted numeric codes (float)
    numeric_positions: np.ndarray  # position of each sorted code in the response set

    @classmethod
    def of(cls, response_set: ResponseSet) -> _Options:
        by_text: dict[str, int] = {}
        numeric: list[tuple[float, int]] = []
        for position, (code, label) in enumerate(
                zip(response_set.codes, response_set.labels, strict=True)):
            by_text[_normalise(label)] = position
            by_text[_normalise(str(code))] = position
            if isinstance(code, int):
                numeric.append((float(code), position))
        for alias, code in response_set.aliases.items():
            by_text[_normalise(alias)] = response_set.codes.index(code)
        numeric.sort()
        return cls(
            response_set,
            by_text,
            np.array([c for c, _ in numeric], dtype=float),
            np.array([p for _, p in numeric], dtype=np.int16),
        )

    def allowed(self) -> str:
        pairs = [f"{code} = {label}" for code, label in
                 zip(self.response_set.codes, self.response_set.labels, strict=True)]
        return "; ".join(pairs)

    def numbers(self, values: np.ndarray) -> np.ndarray:
        """Positions of numeric values (MISSING for NaN, INVALID when not a code)."""
        codes = self.numeric_codes
        if codes.size and np.array_equal(codes, np.arange(codes[0], codes[-1] + 1)):
            # consecutive integer codes: the offset from the lowest code indexes the options
            offset = values - codes[0] if codes[0] != 0 else values
            with np.errstate(invalid="ignore"):
                whole = offset.astype(np.int16)  # garbage where not valid; masked below
            # a float equal to its int16 cast is a whole number in int16's range, so the
            # range test can compare the (4x smaller) int16 array
            valid = (whole == offset) & (whole >= 0) & (whole <= codes.size - 1)
            if not np.array_equal(self.numeric_positions, np.arange(codes.size)):
                whole = self.numeric_positions[np.where(valid, whole, 0)]
        elif codes.size:
            index = np.minimum(np.searchsorted(codes, values), codes.size - 1)
            valid = codes[index] == values
            whole = self.numeric_positions[index]
        else:
            valid = np.zeros(values.shape, dtype=bool)
            whole = np.zeros(values.shape, dtype=np.int16)
        bad = np.flatnonzero(~valid)  # usually few: only they are told missing or invalid
        if bad.size:  # ``whole`` is a new array in every branch above
            whole[bad] = np.where(np.isnan(values[bad]), np.int16(MISSING), np.int16(INVALID))
        return whole

    def token(self, value: Any) -> int:
        """Position of one cell value of any type."""
        if value is None or value is pd.NA or value is pd.NaT:
            return MISSING
        if isinstance(value, bool | np.bool_):
            return INVALID
        if isinstance(value, int | float | np.integer | np.floating):
            number = float(value)
            if math.isnan(number):
                return MISSING
            return int(self.numbers(np.array([number]))[0])
        text = _normalise(str(value))
        if not text:
            return MISSING
        if text in self.by_text:
            return self.by_text[text]
        parsed = parse_number(text)  # "0_1" is not 1: no digit-group underscores
        if parsed is None or not math.isfinite(parsed):
            return INVALID
        return int(self.numbers(np.array([parsed]))[0])


def _positions(column: pd.Series, options: _Options) -> np.ndarray:
    """Response-option position of every cell of a column (vectorised)."""
    dtype = column.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        return options.numbers(values)
    values = column.to_numpy(dtype=object)
    # True == 1 and False == 0 hash alike, so factorising would score a boolean as the
    # first equal number it met (or the reverse): booleans are set aside, always invalid.
    # Unhashable cells (lists, dicts) cannot be factorised: they are invalid too.
    odd = np.fromiter((isinstance(v, bool | np.bool_) or not _hashable(v) for v in values),
                      dtype=bool, count=len(values))
    if not odd.any():
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        mapped = np.array([options.token(u) for u in uniques] + [MISSING], dtype=np.int16)
        return mapped[codes]
    out = np.full(len(values), INVALID, dtype=np.int16)
    plain = np.flatnonzero(~odd)
    if plain.size:
        out[plain] = _positions(pd.Series(values[plain], dtype=object), options)
    return out


def _describe_problem(value: Any, options: _Options) -> str:
    is_number = parse_number(str(value).strip()) is not None
    if is_number and not options.response_set.numeric:
        return "a number where a response label is expected"
    if is_number:
        return "out of range"
    return "unknown label"


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _cell_problem(value: Any, options: _Options) -> str:
    """What is wrong with an invalid cell (booleans and containers first)."""
    if isinstance(value, bool | np.bool_):
        return "a true/false value where a response is expected"
    if not _hashable(value) or isinstance(value, tuple | frozenset):
        return f"a {type(value).__name__}, not a single response"
    return _describe_problem(value, options)


@dataclass(frozen=True)
class ParsedItems:
    """Positions of every item response of one instrument, plus invalid cells."""

    instrument: Instrument
    column_of: dict[str, str]
    positions: dict[str, np.ndarray]
    problems: list[dict[str, Any]]


def parse_items(data: pd.DataFrame, inst: Instrument, columns: ColumnSpec,
                items: Sequence[Item]) -> ParsedItems:
    """The response positions of ``items`` of ``inst`` in ``data``, and every invalid cell.

    The one parse behind scoring, item scores and reliability (each engine calls it on
    its frame or block). Raises :class:`~helpstats.errors.ScoringError` when an item
    column is absent.

    Examples
    --------
    >>> import pandas as pd
    >>> from helpstats.instruments import load_instrument
    >>> gad7 = load_instrument("gad7")
    >>> data = pd.DataFrame({f"Q_{n}": [0, 3] for n in range(1, 8)}).astype(object)
    >>> data.loc[1, "Q_2"] = 9
    >>> parsed = parse_items(data, gad7, "Q_{n}", gad7.items)
    >>> parsed.positions["gad7_1"].tolist(), [p["value"] for p in parsed.problems]
    ([0, 3], [9])
    """
    if not isinstance(data, pd.DataFrame):
        raise ScoringError(f"data must be a pandas DataFrame, found {type(data).__name__}")
    column_of = resolve_columns(inst, columns)
    absent = [column_of[item.id] for item in items if column_of[item.id] not in data.columns]
    if absent:
        hint = "" if columns is not None else (
            " Map your columns with columns={item_id: column} or a pattern like 'Q_{n}'.")
        raise ScoringError(
            f"{inst.id}: {len(absent)} item column(s) not found in the data: "
            f"{', '.join(map(str, absent))}.{hint}",
            problems=pd.DataFrame(
                [{"row": None, "column": c, "item": i.id, "value": None,
                  "problem": "missing column", "allowed": ""}
                 for i in items for c in [column_of[i.id]] if c in absent],
                columns=PROBLEM_COLUMNS),
        )
    duplicated = [c for c in {column_of[i.id] for i in items}
                  if isinstance(data[c], pd.DataFrame)]
    if duplicated:
        raise ScoringError(f"{inst.id}: column name(s) {duplicated} occur more than once in the data;"
                           " rename them so each item has exactly one column")
    positions: dict[str, np.ndarray] = {}
    problems: list[dict[str, Any]] = []
    option_cache: dict[str, _Options] = {}
    for item in items:
        options = option_cache.setdefault(item.response_set.id, _Options.of(item.response_set))
        column = data[column_of[item.id]]
        pos = _positions(column, options)
        positions[item.id] = pos
        bad = np.flatnonzero(pos == INVALID)
        for index in bad:
            value = column.iloc[index]
            problems.append({
                "row": data.index[index],
                "column": column_of[item.id],
                "item": item.id,
                "value": value,
                "problem": _cell_problem(value, options),
                "allowed": options.allowed(),
            })
    return ParsedItems(inst, column_of, positions, problems)


def find_invalid_cells(data: pd.DataFrame, instrument: InstrumentLike,
                       columns: ColumnSpec = None) -> pd.DataFrame:
    """List every cell that is not one of its item's response options.

    Parameters
    ----------
    data : pandas.DataFrame
    instrument : str or Instrument
    columns : dict, str or None
        As for :func:`score`.

    Returns
    -------
    pandas.DataFrame
        Columns ``row, column, item, value, problem, allowed``; one row per
        invalid cell, or per absent item column (then ``row`` is ``None`` and
        ``problem`` is ``"missing column"``).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({f"gad7_{n}": [0, 1] for n in range(1, 8)})
    >>> data.loc[1, "gad7_3"] = 9
    >>> find_invalid_cells(data, "gad7")[["row", "column", "value", "problem"]]
       row  column  value       problem
    0    1  gad7_3      9  out of range
    """
    if is_dask(data):
        from ._dask.scoring import find_invalid_cells_dask

        return find_invalid_cells_dask(data, instrument, columns)
    inst = load_instrument(instrument)
    try:
        parsed = parse_items(data, inst, columns, inst.items)
    except ScoringError as error:
        if error.problems is not None:
            present = {c: col for c, col in resolve_columns(inst, columns).items()
                       if col in data.columns}
            rest = parse_items(data, inst, present, [i for i in inst.items if i.id in present])
            return pd.concat([error.problems, pd.DataFrame(rest.problems, columns=PROBLEM_COLUMNS)],
                             ignore_index=True)
        raise
    return pd.DataFrame(parsed.problems, columns=PROBLEM_COLUMNS)


# ----------------------------------------------------------------------------- scores


def _score_table(item: Item) -> np.ndarray:
    """Score of each response position of an item (NaN where codes have no score)."""
    mapping = item.score_map()
    return np.array([mapping.get(code, np.nan) for code in item.response_set.codes], dtype=float)


def _item_score_matrix(parsed: ParsedItems, numbers: Sequence[int]) -> np.ndarray:
    """Item scores as an (items x rows) array; NaN where missing or invalid."""
    inst = parsed.instrument
    n_rows = len(next(iter(parsed.positions.values())))
    matrix = np.empty((len(numbers), n_rows), dtype=float)
    for j, number in enumerate(numbers):
        item = inst.item(number)
        table = np.append(_score_table(item), [np.nan, np.nan])  # positions -2, -1 → NaN
        # "wrap" reads -2 and -1 from the end like Python; positions are never beyond the
        # table, and wrap skips the bounds check (about twice as fast as "raise")
        np.take(table, parsed.positions[item.id], out=matrix[j], mode="wrap")
    return matrix


def _scale_tables(inst: Instrument, scale: Scale) -> list[np.ndarray]:
    """Per item of ``scale``: its score by response position, NaN at positions -2 and -1
    (invalid, missing), reversed (``lowest + highest - s``) for the scale's reverse items,
    as :func:`_reverse_within_scale` reverses the item scores."""
    tables = []
    for number in scale.items:
        item = inst.item(number)
        table = np.append(_score_table(item), [np.nan, np.nan])
        if number in scale.reverse_items:
            possible = item.score_map().values()
            table = min(possible) + max(possible) - table
        tables.append(table)
    return tables


def _reverse_within_scale(matrix: np.ndarray, inst: Instrument, scale: Scale) -> np.ndarray:
    """Reverse the rows of a scale's ``reverse_items``: score ``s`` -> lowest + highest - ``s``."""
    out = matrix.copy()
    for row, number in enumerate(scale.items):
        if number in scale.reverse_items:
            possible = inst.item(number).score_map().values()
            out[row] = min(possible) + max(possible) - out[row]
    return out


def _round_half_up(values: np.ndarray) -> np.ndarray:
    return np.floor(values + 0.5)


def _scale_scores(parsed: ParsedItems, scale: Scale) -> tuple[np.ndarray, np.ndarray]:
    """Return (score, n_answered) arrays of one scale."""
    inst = parsed.instrument
    k = len(scale.items)
    if scale.method == "count":
        answered = np.zeros(len(next(iter(parsed.positions.values()))), dtype=np.int64)
        hits = np.zeros_like(answered)
        for number in scale.items:
            item = inst.item(number)
            pos = parsed.positions[item.id]
            keyed_position = item.response_set.codes.index(scale.keyed[number])
            answered += pos >= 0
            hits += pos == keyed_position
        raw = hits.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            prorated = raw / answered * k
    else:
        # item by item, as numpy sums the rows of the (items x rows) matrix, without
        # holding that matrix: NaN exactly where some item is missing
        tables = _scale_tables(inst, scale)
        positions = [parsed.positions[inst.item(number).id] for number in scale.items]
        raw = np.take(tables[0], positions[0], mode="wrap")
        cell = np.empty_like(raw)
        for table, position in zip(tables[1:], positions[1:], strict=True):
            raw += np.take(table, position, out=cell, mode="wrap")
        answered = np.full(raw.shape, k, dtype=np.int64)
        incomplete = np.flatnonzero(np.isnan(raw))
        if incomplete.size:
            partial = np.stack([table[position[incomplete]]
                                for table, position in zip(tables, positions, strict=True)])
            present = ~np.isnan(partial)
            answered[incomplete] = present.sum(axis=0)
            raw[incomplete] = np.where(present, partial, 0.0).sum(axis=0)
        if scale.method != "lookup":
            return _summed_scale(scale, raw, answered, incomplete), answered
        with np.errstate(invalid="ignore", divide="ignore"):
            prorated = raw / answered * k
    n_missing = k - answered
    if scale.method == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            score = raw / answered
    elif scale.method == "lookup":
        table = np.full(int(max(scale.lookup)) + 1, np.nan)
        for key, value in scale.lookup.items():
            table[key] = value
        complete = n_missing == 0
        index = np.where(complete, raw, 0).astype(np.int64)
        score = np.where(complete, table[np.clip(index, 0, table.size - 1)], np.nan)
    else:
        if scale.prorate:
            score = np.where(n_missing == 0, raw, prorated)
            if scale.prorate_rounding == "nearest":
                score = np.where(n_missing == 0, score, _round_half_up(score))
        else:
            score = raw
    score = np.where((n_missing <= scale.max_missing) & (answered > 0), score, np.nan)
    if scale.method != "lookup":
        score = score * scale.multiplier + scale.offset
    return score, answered


def _summed_scale(scale: Scale, raw: np.ndarray, answered: np.ndarray,
                  incomplete: np.ndarray) -> np.ndarray:
    """The score of a sum or mean scale from its raw sums (modified in place).

    The same arithmetic as the general rule in :func:`_scale_scores`, with the
    missing-item rules (prorating, rounding, the most items missing) applied only to
    the ``incomplete`` rows: a complete row's score is its sum (its mean for
    ``mean``), since it has no item missing and ``k > 0`` items answered.
    """
    k = len(scale.items)
    score = raw
    if incomplete.size:
        part, got = raw[incomplete], answered[incomplete]
        n_missing = k - got
        with np.errstate(invalid="ignore", divide="ignore"):
            if scale.method == "mean":
                value = part / got
            elif scale.prorate:
                value = part / got * k  # every incomplete row misses an item
                if scale.prorate_rounding == "nearest":
                    value = _round_half_up(value)
            else:
                value = part
        value = np.where((n_missing <= scale.max_missing) & (got > 0), value, np.nan)
    if scale.method == "mean":
        score = np.divide(raw, k, out=raw)  # raw / answered, answered being k
    if incomplete.size:
        score[incomplete] = value
    # x * 1 + 0 is x for every sum of item scores (an exact -0.0 cannot arise from them)
    if scale.multiplier != 1:
        score = score * scale.multiplier
    if scale.offset != 0:
        score = score + scale.offset
    return score


def _band(score: np.ndarray, scale: Scale) -> pd.Categorical:
    """Band labels; a band runs from its lower bound up to the next band's lower bound."""
    labels = [band.label for band in scale.bands]
    lower = np.array([band.min for band in scale.bands])
    codes = np.searchsorted(lower, score, side="right") - 1
    outside = np.isnan(score) | (codes < 0) | (score > scale.bands[-1].max)
    codes = np.where(outside, -1, codes)
    return pd.Categorical.from_codes(codes, categories=labels, ordered=True)


def warn_provisional(inst: Instrument, stacklevel: int) -> None:
    """Warn (:class:`~helpstats.errors.ProvisionalKeyWarning`) when ``inst``'s key is
    provisional, naming what is unverified."""
    if inst.provisional:
        warnings.warn(
            f"{inst.abbreviation} ({inst.id}) is scored with a provisional key: "
            + "; ".join(part.rstrip(".") for part in inst.verification.unverified)
            + ". Check the scores against the published scoring instructions before reporting.",
            ProvisionalKeyWarning,
            stacklevel=stacklevel,
        )


def _warn_missing_rule(inst: Instrument, scale: Scale, value: np.ndarray, answered: np.ndarray,
                       stacklevel: int) -> None:
    """Warn when scores used a missing-item rule that is not verified (separately from the key)."""
    rule = scale.missing_verification
    if rule is None or rule.status == "verified":
        return
    used = int(np.sum((answered < len(scale.items)) & ~np.isnan(value)))
    if not used:
        return
    how = "prorated" if scale.prorate else "from the answered items"
    warnings.warn(
        f"{inst.id}_{scale.id}: {used} score(s) have missing items, scored {how} under a "
        f"missing-item rule (up to {scale.max_missing} missing) that is provisional: "
        + "; ".join(part.rstrip(".") for part in rule.unverified)
        + ". The key itself is " + inst.verification.status + "; report the rule, or require "
        "complete responses.",
        ProvisionalKeyWarning,
        stacklevel=stacklevel,
    )


def _observed_codes(parsed: ParsedItems) -> set[int | str]:
    """Response codes that occur in the parsed items (what the data's coding must explain)."""
    seen: set[int | str] = set()
    inst = parsed.instrument
    for item_id, pos in parsed.positions.items():
        codes = next(i for i in inst.items if i.id == item_id).response_set.codes
        for position in np.unique(pos[pos >= 0]):
            seen.add(codes[int(position)])
    return seen


def _warn_ambiguous_coding(parsed: ParsedItems, stacklevel: int) -> None:
    """Warn when undeclared responses fit another coding of the instrument too."""
    inst = parsed.instrument
    observed = _observed_codes(parsed)
    if not observed:
        return
    fits = []
    for other in family_codings(inst):
        allowed = {c for rs in other.response_sets.values() for c in rs.codes}
        if observed <= allowed:
            fits.append(f"{other.coding!r} ({other.id})")
    if not fits:
        return
    shown = ", ".join(map(str, sorted(observed, key=str)))
    warnings.warn(
        f"{inst.id}: the responses (codes {shown}) fit this definition's coding "
        f"{inst.coding!r} but also {', '.join(fits)}; they were scored as {inst.coding!r}. "
        "helpstats does not guess the coding from the data: declare it with "
        f"score(..., coding={inst.coding!r}) (or the coding your export uses), or score with "
        "the variant id.",
        AmbiguousCodingWarning,
        stacklevel=stacklevel,
    )


def _with_coding(instruments: list[Instrument], coding: Any) -> tuple[list[Instrument], set[str]]:
    """Replace each instrument by its declared coding variant; return the ids declared."""
    if coding is None:
        return instruments, set()
    if isinstance(coding, str):
        if len(instruments) != 1:
            raise ScoringError("with several instruments, coding must be a dict keyed by "
                               f"instrument id, e.g. {{'hads': 'position_1to4'}}; found {coding!r}")
        chosen = coding_variant(instruments[0], coding)
        return [chosen], {chosen.id}
    if isinstance(coding, Mapping):
        ids = [inst.id for inst in instruments]
        unknown = [key for key in coding if key not in ids]
        if unknown:
            raise ScoringError(f"coding names instrument(s) {unknown} that are not scored here "
                               f"({', '.join(ids)})")
        out = [coding_variant(inst, coding[inst.id]) if inst.id in coding else inst
               for inst in instruments]
        return out, {o.id for o, i in zip(out, instruments, strict=True) if i.id in coding}
    raise ScoringError(f"coding must be a coding id or a dict {{instrument id: coding id}}; "
                       f"found {type(coding).__name__}")


def show_value(value: Any) -> str:
    """A cell value as a message shows it: text quoted, numbers plain (``'often'``, ``9``)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def raise_problems(problems: list[dict[str, Any]], label: str, total: int | None = None) -> None:
    """Raise a ScoringError listing the first cells; ``total`` counts all when only the first
    ones are in ``problems`` (the Dask path)."""
    table = pd.DataFrame(problems, columns=PROBLEM_COLUMNS)
    count = len(problems) if total is None else total
    lines = [
        f"  row {show_value(p['row'])}, column {p['column']!r}, value {show_value(p['value'])}: "
        f"{p['problem']} "
        f"(allowed: {p['allowed']})"
        for p in problems[:MAX_LISTED]
    ]
    more = f"\n  ... and {count - MAX_LISTED} more" if count > MAX_LISTED else ""
    raise ScoringError(
        f"{count} invalid cell(s) in {label}:\n" + "\n".join(lines) + more
        + "\nFix the data, or pass on_invalid='missing' to score these cells as missing.",
        problems=table,
    )


def report_problems(problems: list[dict[str, Any]], label: str, on_invalid: str,
                     stacklevel: int, where: str = "") -> None:
    """Raise every invalid cell at once (``"raise"``), or warn that they count as missing."""
    if not problems:
        return
    if on_invalid == "raise":
        raise_problems(problems, label)
    warnings.warn(f"{len(problems)} invalid cell(s) scored as missing{where}",
                  InvalidCellsWarning, stacklevel=stacklevel + 1)


def check_on_invalid(on_invalid: str) -> None:
    """Refuse an ``on_invalid`` other than ``"raise"`` or ``"missing"``."""
    if on_invalid not in ("raise", "missing"):
        raise ScoringError(f"on_invalid must be 'raise' or 'missing', found {on_invalid!r}")


def _columns_per_instrument(instruments: Sequence[Instrument],
                            columns: Any) -> dict[str, ColumnSpec]:
    ids = [inst.id for inst in instruments]
    if len(instruments) == 1 and not (isinstance(columns, Mapping) and set(columns) <= {ids[0]}
                                      and columns):
        return {ids[0]: columns}
    if columns is None:
        return dict.fromkeys(ids)
    if isinstance(columns, Mapping) and set(columns) <= set(ids):
        return {i: columns.get(i) for i in ids}
    raise ScoringError(
        "with several instruments, columns must be a dict keyed by instrument id, e.g. "
        "{'phq9': 'Q5_{n}', 'gad7': {'gad7_1': 'nervous'}}; "
        f"found keys {list(columns) if isinstance(columns, Mapping) else columns!r}"
    )


def _columns_for(columns: Any, instruments: Sequence[Instrument], coding: Any) -> Any:
    """Columns keyed by a base id stay valid when ``coding`` swapped in a variant."""
    if not isinstance(columns, Mapping) or coding is None:
        return columns
    out = dict(columns)
    for inst in instruments:
        base = inst.variant_of or inst.id
        if inst.id not in out and base in out:
            out[inst.id] = out.pop(base)
    return out


def as_instruments(instrument: InstrumentLike | Sequence[InstrumentLike]) -> list[Instrument]:
    """One instrument (id, path or definition) or several, loaded; refuses one listed twice."""
    if isinstance(instrument, str | Path | Instrument):
        return [load_instrument(instrument)]
    instruments = [load_instrument(i) for i in instrument]
    ids = [i.id for i in instruments]
    if len(set(ids)) != len(ids):
        raise ScoringError(f"an instrument is listed twice: {ids}")
    return instruments


@dataclass(frozen=True)
class ScoringPlan:
    """What a scoring call scores: the instruments (with any declared coding's variant
    swapped in), the item-column spec of each (by instrument id), and the ids whose
    coding was declared. Made by :func:`scoring_plan`."""

    instruments: list[Instrument]
    columns: dict[str, Any]
    declared: set[str]


def scoring_plan(instrument: InstrumentLike | Sequence[InstrumentLike], *,
                 columns: Any = None, coding: Any = None) -> ScoringPlan:
    """The instruments and item columns that :func:`score` (pandas or Dask) scores.

    One rule for every engine: a declared ``coding`` replaces the instrument by its
    coding variant, whose valid responses and keys are then used both to check the
    cells and to score them; ``columns`` keyed by the base id still apply.

    Examples
    --------
    >>> plan = scoring_plan("gad7", columns="Q_{n}")
    >>> [i.id for i in plan.instruments], plan.columns, plan.declared
    (['gad7'], {'gad7': 'Q_{n}'}, set())
    """
    instruments, declared = _with_coding(as_instruments(instrument), coding)
    specs = _columns_per_instrument(instruments, _columns_for(columns, instruments, coding))
    for inst in instruments:
        if inst.id in declared and inst.variant_of and specs[inst.id] is None:
            # a declared coding changes the definition, not where the items are
            specs[inst.id] = f"{inst.variant_of}_{{n}}"
    return ScoringPlan(instruments, specs, declared)


def score(data: pd.DataFrame, instrument: InstrumentLike | Sequence[InstrumentLike], *,
          columns: Any = None, on_invalid: str = "raise", coding: Any = None) -> pd.DataFrame:
    """Score one or more instruments, one row per administration.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses, one row per administration. Cells may hold codes
        (numbers or numeric text) or the instrument's response labels, matched
        ignoring case and spacing. Empty strings, whitespace and NaN are missing.
    instrument : str, Instrument, or a list of them
        Bundled ids (see :func:`helpstats.list_instruments`) or definitions.
    columns : dict, str or None
        Where the items are: ``None`` (columns named by item id), a dict
        ``{item_id: column}``, or a pattern like ``"Q5_{n}"``. With several
        instruments, a dict keyed by instrument id holding one of those each.
    on_invalid : {"raise", "missing"}
        Cells that are not a response option: ``"raise"`` raises
        :class:`~helpstats.errors.ScoringError` listing every one (also in its
        ``.problems``); ``"missing"`` scores them as missing, warns with
        :class:`~helpstats.errors.InvalidCellsWarning` and lists them in
        ``result.attrs["invalid_cells"]`` (records with ``row, column, item,
        value, problem, allowed``) and, so that the count survives ``join``,
        ``concat`` and assignment (which drop ``attrs``), in a column
        ``{id}_{scale}_n_invalid`` per scale: the items of that scale whose
        answer was invalid and scored as missing (0 when none were). For the
        full table of cells, :func:`helpstats.validate` returns them as a frame.
    coding : str or dict, optional
        The response coding of the data, for instruments that reach users in
        several codings (the ``coding`` column of
        :func:`helpstats.list_instruments`; e.g. HADS ``"position_1to4"``,
        ``"position_0to3"``, ``"score_0to3"``). The definition of that coding
        is used (:func:`helpstats.instruments.coding_variant`). With several
        instruments, a dict keyed by instrument id. Output columns keep the
        id of the definition used.

    Returns
    -------
    pandas.DataFrame
        A new frame on ``data``'s index. Per scale: ``{id}_{scale}`` (float),
        ``{id}_{scale}_band`` (ordered categorical, where the scale has bands:
        a band runs from its published lower bound up to the next band's lower
        bound, so prorated scores between integers fall in the lower band) and
        ``{id}_{scale}_n_answered`` (int; with ``on_invalid="missing"`` also
        ``{id}_{scale}_n_invalid``). Per flag: ``{id}_{flag}`` (nullable
        boolean; PHQ-9 ``phq9_item9_flag`` is true when item 9 is above 0).

    Raises
    ------
    helpstats.errors.ScoringError
        Item columns absent, or invalid cells with ``on_invalid="raise"``.

    Warns
    -----
    helpstats.errors.ProvisionalKeyWarning
        Once per provisional instrument, naming what is unverified; and once
        per scale whose scores used a provisional missing-item rule.
    helpstats.errors.AmbiguousCodingWarning
        The definition requires its coding to be declared (HADS), none was,
        and the responses also fit another coding of the instrument.

    Examples
    --------
    >>> import pandas as pd
    >>> import helpstats as hs
    >>> data = pd.DataFrame({"Q_1": [0, 3], "Q_2": ["several days", None],
    ...                      "Q_3": [1, 1], "Q_4": [0, 2], "Q_5": [2, 2],
    ...                      "Q_6": [1, 0], "Q_7": [0, 3]})
    >>> hs.score(data, "gad7", columns="Q_{n}")
       gad7_total gad7_total_band  gad7_total_n_answered
    0         5.0            mild                      7
    1         NaN             NaN                      6
    """
    if is_dask(data):
        from ._dask.scoring import score_dask

        return score_dask(data, instrument, columns=columns, on_invalid=on_invalid, coding=coding)
    check_on_invalid(on_invalid)
    plan = scoring_plan(instrument, columns=columns, coding=coding)
    instruments, specs, declared = plan.instruments, plan.columns, plan.declared
    parsed_all = []
    problems: list[dict[str, Any]] = []
    for inst in instruments:
        needed = {n for scale in inst.scales for n in scale.items} | {f.item for f in inst.flags}
        items = [item for item in inst.items if item.number in needed]
        parsed = parse_items(data, inst, specs[inst.id], items)
        parsed_all.append(parsed)
        problems.extend(parsed.problems)
    report_problems(problems, ", ".join(i.id for i in instruments), on_invalid, stacklevel=2,
                     where=("; the {id}_{scale}_n_invalid columns count them per row, "
                            "hs.validate(...) lists every cell"))
    output: dict[str, Any] = {}
    for parsed in parsed_all:
        inst = parsed.instrument
        warn_provisional(inst, stacklevel=3)
        if inst.coding_required and inst.id not in declared:
            _warn_ambiguous_coding(parsed, stacklevel=3)
        for scale in inst.scales:
            value, answered = _scale_scores(parsed, scale)
            _warn_missing_rule(inst, scale, value, answered, stacklevel=3)
            name = f"{inst.id}_{scale.id}"
            output[name] = value
            if scale.bands:
                output[f"{name}_band"] = _band(value, scale)
            output[f"{name}_n_answered"] = answered.astype(np.int64, copy=False)
            if on_invalid == "missing":
                output[f"{name}_n_invalid"] = _n_invalid(parsed, scale)
        for flag in inst.flags:
            item = inst.item(flag.item)
            pos = parsed.positions[item.id]
            codes = np.array([c if isinstance(c, int) else -1 for c in item.response_set.codes])
            flagged = pd.array(np.where(pos >= 0, codes[np.maximum(pos, 0)] >= flag.min_code, False),
                               dtype="boolean")
            flagged[pos < 0] = pd.NA
            output[f"{inst.id}_{flag.id}"] = flagged
    result = pd.DataFrame(output, index=data.index)
    if problems:
        result.attrs["invalid_cells"] = [dict(p) for p in problems]
    return result


def _n_invalid(parsed: ParsedItems, scale: Scale) -> np.ndarray:
    """Per row, the scale's items whose response was invalid (scored as missing)."""
    inst = parsed.instrument
    counts = np.zeros(len(next(iter(parsed.positions.values()))), dtype=np.int64)
    for number in scale.items:
        counts += parsed.positions[inst.item(number).id] == INVALID
    return counts


def _numeric_scale(inst: Instrument, scale_id: str) -> Scale:
    known = [s.id for s in inst.scales]
    if scale_id not in known:
        raise ScoringError(f"{inst.id} has no scale {scale_id!r}; its scales are: {', '.join(known)}")
    chosen = inst.scale(scale_id)
    if chosen.method == "count":
        raise ScoringError(f"{inst.id}_{scale_id} counts keyed choices; its items have no numeric "
                           "scores, so item_scores(scale=...) does not apply")
    return chosen


def item_scores(data: pd.DataFrame, instrument: InstrumentLike, *, columns: ColumnSpec = None,
                on_invalid: str = "raise", scale: str | None = None) -> pd.DataFrame:
    """Convert responses to item scores (labels read, reversals and per-option scores applied).

    Parameters
    ----------
    data : pandas.DataFrame
    instrument : str or Instrument
    columns : dict, str or None
        As for :func:`score`.
    on_invalid : {"raise", "missing"}
        As for :func:`score`.
    scale : str, optional
        A scale id: return only that scale's items, as the scale counts them
        (its ``reverse_items`` reversed too). Use this for a scale's
        reliability: the ISMI-29 total reverses the stigma-resistance items,
        their own subscale does not.

    Returns
    -------
    pandas.DataFrame
        Same index as ``data``; one float column per item that has numeric
        scores, named by item id; missing and (with ``"missing"``) invalid
        responses are NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({f"phq9_{n}": ["nearly every day"] for n in range(1, 10)})
    >>> item_scores(data, "phq9").iloc[0].tolist()
    [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    >>> import warnings
    >>> answers = pd.DataFrame({f"ismi29_{n}": [4] for n in range(1, 30)})
    >>> with warnings.catch_warnings():  # the ISMI key is provisional
    ...     warnings.simplefilter("ignore")
    ...     total = item_scores(answers, "ismi29", scale="total")
    >>> total["ismi29_7"].tolist()  # stigma-resistance item, reversed in the total
    [1.0]
    """
    if is_dask(data):
        from ._dask.scoring import item_scores_dask

        return item_scores_dask(data, instrument, columns=columns, on_invalid=on_invalid, scale=scale)
    check_on_invalid(on_invalid)
    inst = load_instrument(instrument)
    chosen = _numeric_scale(inst, scale) if scale is not None else None
    items = [item for item in inst.items if item.scored and item.score_map()
             and (chosen is None or item.number in chosen.items)]
    parsed = parse_items(data, inst, columns, items)
    report_problems(parsed.problems, inst.id, on_invalid, stacklevel=2)
    warn_provisional(inst, stacklevel=3)
    if chosen is not None:
        items = [inst.item(number) for number in chosen.items]
    matrix = _item_score_matrix(parsed, [item.number for item in items])
    if chosen is not None and chosen.reverse_items:
        matrix = _reverse_within_scale(matrix, inst, chosen)
    return pd.DataFrame(matrix.T, index=data.index, columns=[item.id for item in items])
