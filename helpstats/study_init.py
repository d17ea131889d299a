"""``helpstats init``: a first study file guessed from a user's own export(s).

:func:`guess_study` reads the exports (:func:`helpstats.read_export`) and guesses

- the id, wave and group columns, from their names (``participant``, ``record_id``,
  ``wave``, ``visit``, ``site`` ...) and, for the id, from the data (one row per member and
  wave); with one export per wave and no wave column, each file becomes one wave;
- the instruments, from numbered blocks of columns (``Q5_1`` … ``Q5_9``) compared with
  every bundled definition: the number of items, the answers (codes in the response range,
  or the response labels) and, where the export carries question texts (a Qualtrics or
  SurveyMonkey header row, an SPSS variable label), the item texts;
- the helping columns of ``[roles]`` and the comparison (``role`` or a trial arm).

:func:`study_file_text` writes the guess as a commented study file (the format:
``STUDY_FILE.md``). A guess that rests on little evidence says so in a comment naming what
to check; a block that fits several instruments, or none, is written as a comment and
never as an instrument. The file runs with ``helpstats analyze`` as written when every
guess is right.

Examples
--------
>>> import helpstats as hs
>>> from helpstats.study_init import guess_study
>>> guess = guess_study([hs.datasets.example_study_path().with_suffix(".csv")])
>>> guess.id.column, guess.wave.column, guess.group.column
('participant', 'wave', 'group')
>>> [(i.instrument.id, i.columns, i.evidence) for i in guess.instruments if i.active]
[('phq9', 'phq9_{n}', 'names'), ('gad7', 'gad7_{n}', 'names'), ('who5', 'who5_{n}', 'names')]
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import HelpstatsError
from .instruments import Instrument, list_instruments, load_instrument
from .io import Export, read_export
from .scoring import find_invalid_cells

__all__ = ["BlockGuess", "ColumnGuess", "StudyGuess", "guess_study", "study_file_text"]

#: Column names (lower case, without spaces, ``_``, ``-`` or ``.``) that name a role, best first.
ID_NAMES = ("participant", "participantid", "pid", "memberid", "subjectid", "subject",
            "recordid", "studyid", "personid", "clientid", "caseid", "userid", "id")
#: Names of a platform's response id: one response, not always one member (after a question
#: that asks for the member's id).
RESPONSE_ID_NAMES = ("externalreference", "externaldatareference", "respondentid",
                     "responseid")
WAVE_NAMES = ("wave", "visit", "timepoint", "time", "session", "occasion", "assessment",
              "redcapeventname", "event", "month", "months", "week", "phase", "round")
GROUP_NAMES = ("group", "supportgroup", "site", "agency", "cluster", "meeting", "chapter",
               "centre", "center", "clinic", "programme", "program", "team")
ARM_NAMES = ("arm", "condition", "treatment", "allocation", "randomisation", "randomization",
             "intervention", "trialarm")
DEMOGRAPHIC_NAMES = ("age", "gender", "sex", "ethnicity", "race", "education", "employment",
                     "maritalstatus")

_STOPWORDS = frozenset("""a about all an and any are as at be been being by can did do does
doing for from had has have having how i in is it its last me my of on or over past so
than that the their them they this to was were what when which who will with would you your
yourself often during following problems bothered""".split())
TEXT_MATCH = 0.5  # mean share of an item's words found in the question text: the same item
TEXT_MISMATCH = 0.2  # below this, the questions are about something else
INVALID_SHARE = 0.05  # answers outside the response options a block may hold (missing codes)
SHAPE_ITEMS = 5  # fewer items than this say too little on their own (without texts or labels)


def _key(name: object) -> str:
    return re.sub(r"[\s_.\-]+", "", str(name)).lower()


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2 and w not in _STOPWORDS}


@dataclass(frozen=True)
class ColumnGuess:
    """A column guessed for ``[data]`` (``column`` None: none found) and what to check."""

    column: str | None
    note: str = ""
    certain: bool = True


@dataclass(frozen=True)
class BlockGuess:
    """A numbered block of columns and the instrument it is (or might be).

    ``evidence`` is ``"names"`` (columns named by the item ids), ``"text"`` (question texts
    match the items), ``"labels"`` (the answers are the instrument's response labels) or
    ``"shape"`` (number of items and response range only). ``active`` blocks are written
    as ``[instruments.<id>]``; the others as comments naming ``candidates``.
    """

    columns: str
    first: str
    last: str
    n_items: int
    instrument: Instrument | None
    evidence: str
    note: str
    candidates: tuple[str, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class StudyGuess:
    """Everything :func:`guess_study` found, ready for :func:`study_file_text`."""

    files: tuple[Path, ...]
    file_waves: tuple[Any, ...] | None
    id: ColumnGuess
    wave: ColumnGuess
    group: ColumnGuess
    waves: tuple[Any, ...] | None
    instruments: tuple[BlockGuess, ...]
    giving: str | None
    receiving: str | None
    arm: str | None
    demographics: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def outcomes(self) -> list[str]:
        """The main scale of every instrument written as a table (``{id}_{scale}``)."""
        out = []
        for block in self.instruments:
            if block.active and block.instrument is not None:
                scales = [s.id for s in block.instrument.scales]
                out.append(f"{block.instrument.id}_{'total' if 'total' in scales else scales[0]}")
        return out


# ----------------------------------------------------------------------------- columns


def _by_name(columns: Sequence[str], names: Sequence[str]) -> list[str]:
    keyed = {_key(c): c for c in reversed(columns)}
    return [keyed[name] for name in names if name in keyed]


_ID_QUESTION = re.compile(r"\b(participant|member|study|client|subject|respondent|personal)\s*"
                          r"(id|identifier|number|code)\b", re.IGNORECASE)
_WAVE_QUESTION = re.compile(r"\b(wave|visit|time ?point|assessment|session)\b", re.IGNORECASE)


def _asked(columns: Sequence[str], questions: dict[str, str], pattern: re.Pattern[str]
           ) -> list[str]:
    """Columns whose question text (a short one) asks for an id or a wave."""
    return [c for c in columns if len(questions.get(c, "")) < 80
            and pattern.search(questions.get(c, ""))]


def _guess_id(data: pd.DataFrame, wave: str | None,
              questions: dict[str, str] | None = None) -> ColumnGuess:
    names = list(map(str, data.columns))
    candidates = _by_name(names, ID_NAMES)
    candidates += [c for c in _asked(names, questions or {}, _ID_QUESTION) if c not in candidates]
    candidates += [c for c in _by_name(names, RESPONSE_ID_NAMES) if c not in candidates]
    named = set(_by_name(names, ID_NAMES + RESPONSE_ID_NAMES))
    for column in candidates:
        keys = [column] + ([wave] if wave else [])
        values = data[keys].astype(str)
        if data[column].isna().any() or values.duplicated().any():
            continue
        note = ""
        if _key(column) in ("responseid", "externalreference", "externaldatareference",
                            "respondentid"):
            note = (f"'{column}' identifies one response, not necessarily one member: if "
                    "members answered more than once, give the column of your own member "
                    "ids")
        others = [c for c in candidates if c != column]
        if column not in named:
            note = (f"'{column}' asks for the member's id (\"{(questions or {})[column]}\"); "
                    "check it")
        elif others and not note:
            note = f"other id-like columns: {', '.join(others)}"
        return ColumnGuess(column, note, certain=not note.startswith("'"))
    tried = f" ({', '.join(candidates)} repeat within a wave or have blanks)" if candidates else ""
    for column in map(str, data.columns[:5]):
        keys = [column] + ([wave] if wave else [])
        if column != wave and not data[column].isna().any() and not (
                data[keys].astype(str).duplicated().any()):
            return ColumnGuess(column, f"no column is named like a participant id{tried}; "
                               f"'{column}' is guessed because each member has one row per wave "
                               "in it. Give the column of your member ids", certain=False)
    return ColumnGuess(None, "no participant-id column found" + tried + "; name the column "
                       "that identifies each member", certain=False)


def _guess_wave(data: pd.DataFrame, questions: dict[str, str] | None = None) -> ColumnGuess:
    names = list(map(str, data.columns))
    candidates = _by_name(names, WAVE_NAMES)
    candidates += [c for c in _asked(names, questions or {}, _WAVE_QUESTION)
                   if c not in candidates]
    if not candidates:
        return ColumnGuess(None)
    others = candidates[1:]
    return ColumnGuess(candidates[0], f"other wave-like columns: {', '.join(others)}"
                       if others else "")


def _guess_group(data: pd.DataFrame, taken: Iterable[str | None]) -> ColumnGuess:
    used = set(taken)
    candidates = [c for c in _by_name(list(map(str, data.columns)), GROUP_NAMES) if c not in used]
    if not candidates:
        return ColumnGuess(None)
    return ColumnGuess(candidates[0], "the support group (or agency) members are nested in; "
                       "leave it out if members are not in groups")


def _helping_columns(columns: Sequence[str]) -> tuple[str | None, str | None]:
    def find(words: tuple[str, ...]) -> str | None:
        for column in columns:
            key = _key(column)
            if "help" in key and any(w in key for w in words):
                return column
        return None

    return find(("give", "given", "giving", "gave", "provid")), find(("receiv", "got", "get"))


def _file_wave(path: Path, position: int) -> Any:
    """A wave value from a file name: the number in it (``month3.csv`` -> 3), else its stem."""
    numbers = re.findall(r"\d+", path.stem)
    if len(numbers) == 1:
        return int(numbers[0])
    if re.search(r"base|pre|intake|t0", path.stem, re.IGNORECASE):
        return 0 if position == 0 else path.stem
    return path.stem


def _wave_values(values: pd.Series) -> tuple[Any, ...] | None:
    unique = values.dropna().unique().tolist()
    if not 2 <= len(unique) <= 20:
        return None
    plain = [v.item() if isinstance(v, np.generic) else v for v in unique]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in plain):
        plain = sorted(plain)
        plain = [int(v) if float(v).is_integer() else v for v in plain]
    elif not all(isinstance(v, str) for v in plain):
        return None
    return tuple(plain)


# ----------------------------------------------------------------------------- instruments


@dataclass(frozen=True)
class _Block:
    prefix: str
    suffix: str
    columns: tuple[str, ...]  # item 1 .. n

    @property
    def pattern(self) -> str:
        return f"{self.prefix}{{n}}{self.suffix}"


def _blocks(columns: Sequence[str]) -> list[_Block]:
    """Runs of columns numbered 1, 2, ... n with the same text around the number."""
    groups: dict[tuple[str, str], dict[int, str]] = {}
    for column in map(str, columns):
        splits = {(m.start(), m.end()) for m in re.finditer(r"[1-9]\d*", column)}
        splits |= {(m.start(), m.start() + 1) for m in re.finditer(r"[1-9]", column)}
        for start, end in splits:
            if column[end:end + 1].isdigit() and end - start > 1:
                continue
            groups.setdefault((column[:start], column[end:]), {})[int(column[start:end])] = column
    blocks = []
    for (prefix, suffix), numbered in groups.items():
        n = 0
        while n + 1 in numbered:
            n += 1
        if n >= 2 and "{" not in prefix + suffix:
            blocks.append(_Block(prefix, suffix, tuple(numbered[i] for i in range(1, n + 1))))
    order = {str(c): i for i, c in enumerate(columns)}
    kept: dict[tuple[str, ...], _Block] = {}
    for block in sorted(blocks, key=lambda b: (order[b.columns[0]], -len(b.columns))):
        if not any(set(block.columns) <= set(other) for other in kept):
            kept[block.columns] = block
    return list(kept.values())


def _instruments() -> list[Instrument]:
    return [load_instrument(i) for i in list_instruments()["id"]]


def _text_score(block: _Block, inst: Instrument, questions: dict[str, str]) -> float | None:
    """Mean share of each item's words found in its column's question text, or None when
    the export has no informative question texts for the block."""
    shares = []
    for column, item in zip(block.columns, inst.items, strict=True):
        question = questions.get(column, "")
        if not question or _key(question) == _key(column):
            continue
        words = _words(item.text or item.label)
        if words:
            shares.append(len(words & _words(question)) / len(words))
    return float(np.mean(shares)) if len(shares) * 2 >= len(block.columns) else None


def _label_score(block: _Block, inst: Instrument,
                 value_labels: dict[str, dict[Any, str]]) -> float | None:
    """Share of the instrument's response labels among the export's value labels of the
    block (SPSS, REDCap with a dictionary), or None when the export has none."""
    labels = {_key(label) for c in block.columns for label in value_labels.get(c, {}).values()}
    if not labels:
        return None
    wanted = {_key(label) for item in inst.items for label in item.response_set.labels}
    return len(wanted & labels) / len(wanted) if wanted else None


@dataclass(frozen=True)
class _Fit:
    instrument: Instrument
    invalid: int
    answers: int
    labels: bool  # some answers are response labels (not codes), or the value labels match
    tight: bool  # the answers use the lowest and the highest code
    spread: bool  # the answers use enough of the range to say anything
    text: float | None
    value_labels: float | None

    @property
    def valid(self) -> bool:
        return self.invalid <= INVALID_SHARE * self.answers and (
            self.value_labels is None or self.value_labels >= TEXT_MISMATCH)


def _fit(block: _Block, inst: Instrument, data: pd.DataFrame, questions: dict[str, str],
         value_labels: dict[str, dict[Any, str]]) -> _Fit:
    cells = find_invalid_cells(data, inst, columns=dict(zip(inst.item_ids, block.columns,
                                                            strict=True)))
    invalid = int(cells["row"].notna().sum())
    values = pd.concat([data[c] for c in block.columns], ignore_index=True).dropna()
    numbers = pd.to_numeric(values, errors="coerce")
    matched = _label_score(block, inst, value_labels)
    labels = (bool(numbers.isna().any()) and invalid < len(values)) or (
        matched is not None and matched >= 0.75)
    codes = [c for item in inst.items for c in item.response_set.codes if isinstance(c, int)]
    tight = spread = labels
    if codes and numbers.notna().any():
        low, high = min(codes), max(codes)
        seen = numbers[numbers.between(low, high)]
        tight = tight or (seen.min() == low and seen.max() == high)
        few = seen.nunique() >= min(3, high - low + 1) and (seen.max() - seen.min()) * 2 >= high - low
        spread = spread or few or len(seen) < 10
    return _Fit(inst, invalid, len(values), labels, tight, spread,
                _text_score(block, inst, questions), matched)


def _span(block: _Block) -> str:
    return f"{block.columns[0]} .. {block.columns[-1]}"


def _invalid_note(fit: _Fit, block: _Block) -> str:
    if not fit.invalid:
        return ""
    inst = fit.instrument
    return (f"; {fit.invalid} answer(s) are not {inst.abbreviation} responses (missing-value "
            "codes?): analyze scores them as missing and lists them in validation.md; "
            f"`helpstats validate EXPORT -i {inst.id} --columns {inst.id}={block.pattern}` "
            "lists them now")


def _guess_block(block: _Block, data: pd.DataFrame, questions: dict[str, str],
                 value_labels: dict[str, dict[Any, str]],
                 instruments: Sequence[Instrument]) -> BlockGuess | None:
    n = len(block.columns)
    same_size = [i for i in instruments if len(i.items) == n]
    named = [i for i in same_size if block.prefix.lower() == f"{i.id}_" and block.suffix == ""]
    base: dict[str, Any] = {"columns": block.pattern, "first": block.columns[0], "last": block.columns[-1],
            "n_items": n}
    if named:
        inst = named[0]
        fit = _fit(block, inst, data, questions, value_labels)
        note = _invalid_note(fit, block).removeprefix("; ")
        return BlockGuess(instrument=inst, evidence="names", note=note, **base)
    if not same_size:
        return None
    fits = [_fit(block, inst, data, questions, value_labels) for inst in same_size]
    valid = [f for f in fits if f.valid]
    texts = [f.text for f in fits if f.text is not None]
    has_text = bool(texts)
    matching = [f for f in valid if f.text is not None and f.text >= TEXT_MATCH]
    if matching:
        best = max(matching, key=lambda f: f.text or 0.0)
        ties = [f for f in matching if f.text == best.text and f is not best]
        if not ties:
            return BlockGuess(
                instrument=best.instrument, evidence="text",
                note=f"the question texts of {_span(block)} match the {best.instrument.abbreviation}"
                     f" items ({best.text:.0%} of their words); check the item order"
                     + _invalid_note(best, block), **base)
    plausible = [f for f in valid if f.spread and not (has_text and (f.text or 0) < TEXT_MISMATCH)]
    described = ", ".join(f.instrument.id for f in plausible)
    if has_text and not plausible:
        return BlockGuess(instrument=None, evidence="none", active=False, note=(
            f"{n} columns {_span(block)}: the question texts match no bundled {n}-item "
            "instrument, so this block is not scored. If it is one, add [instruments.ID] "
            f"with columns = \"{block.pattern}\""), **base)
    labelled = [f for f in plausible if f.labels]
    shaped = plausible if n >= SHAPE_ITEMS else []
    tight = [f for f in shaped if f.tight]
    for chosen, how in ((labelled, "labels"), (tight, "shape"), (shaped, "shape")):
        if len(chosen) == 1:
            best = chosen[0]
            others = [f.instrument.id for f in plausible if f is not best]
            also = f"; {', '.join(others)} would also fit" if others else ""
            what = ("the answers are its response labels" if how == "labels" else
                    "GUESSED FROM THE SHAPE ONLY: " + _shape(best, n))
            return BlockGuess(instrument=best.instrument, evidence=how, note=(
                f"{what}{also}{_invalid_note(best, block)}. Check that {_span(block)} are the "
                f"{best.instrument.abbreviation} items in its order (helpstats instruments "
                f"show {best.instrument.id})"), candidates=tuple(others), **base)
        if len(chosen) > 1:
            break
    if plausible:
        several = (f"fit several instruments ({described})" if len(plausible) > 1 else
                   f"fit {described} by their number and answers only, too few items to tell")
        return BlockGuess(instrument=None, evidence="ambiguous", active=False, note=(
            f"{n} columns {_span(block)} {several}; uncomment the right one, if any"),
            candidates=tuple(f.instrument.id for f in plausible), **base)
    sizes = ", ".join(i.id for i in same_size)
    narrow = [f for f in valid if not f.spread]
    if narrow:
        return BlockGuess(instrument=None, evidence="none", active=False, note=(
            f"{n} columns {_span(block)}: their answers use too little of the response range "
            f"of {', '.join(f.instrument.id for f in narrow)} ({_shape(narrow[0], n)}, but "
            "not their spread), so this block is not scored"), **base)
    return BlockGuess(instrument=None, evidence="none", active=False, note=(
        f"{n} columns {_span(block)}: their answers are not those of the bundled {n}-item "
        f"instrument(s) ({sizes}), so this block is not scored"), **base)


def _shape(fit: _Fit, n: int) -> str:
    codes = [c for item in fit.instrument.items for c in item.response_set.codes]
    numeric = [c for c in codes if isinstance(c, int)]
    scale = f"{min(numeric)}-{max(numeric)}" if numeric else "its response options"
    return f"{n} items answered within {scale}, like the {fit.instrument.abbreviation}"


# ----------------------------------------------------------------------------- the guess


def _read(paths: Sequence[str | Path]) -> list[Export]:
    exports = []
    for path in paths:
        try:
            exports.append(read_export(path))
        except HelpstatsError as exc:
            raise type(exc)(f"{path}: {exc}" if str(path) not in str(exc) else str(exc)) from None
    return exports


def guess_study(paths: Sequence[str | Path]) -> StudyGuess:
    """Guess a study file's contents from one or more exports.

    Parameters
    ----------
    paths : list of str or pathlib.Path
        The exports (any format :func:`helpstats.read_export` reads): one long
        file, or one file per wave.

    Returns
    -------
    StudyGuess
        The guessed columns, waves, instruments (each with its evidence and a
        note of what to check) and helping columns.

    Raises
    ------
    helpstats.errors.HelpstatsError
        An export cannot be read.
    """
    if not paths:
        raise HelpstatsError("init: give at least one export file.")
    files = tuple(Path(p) for p in paths)
    exports = _read(files)
    frames = [e.data for e in exports]
    notes: list[str] = []
    questions: dict[str, str] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    for export in reversed(exports):
        questions.update({str(k): str(v) for k, v in export.questions.items()})
        value_labels.update({str(k): dict(v) for k, v in export.value_labels.items()})
    wave = _guess_wave(frames[0], questions)
    file_waves: tuple[Any, ...] | None = None
    if wave.column is None or any(wave.column not in f.columns for f in frames):
        if len(files) > 1:
            file_waves = tuple(_file_wave(p, i) for i, p in enumerate(files))
            if len(set(map(str, file_waves))) < len(file_waves):
                file_waves = tuple(range(len(files)))
            wave = ColumnGuess("wave", "one export per wave: the wave of each file below is "
                               "guessed from its name and its place in the list; check them",
                               certain=False)
        else:
            file_waves = (0,)
            wave = ColumnGuess("wave", "no wave column found, so the export is one wave (0); "
                               "change over time needs a wave column, or one export per wave",
                               certain=False)
            notes.append("A study of change needs at least two waves.")
    wave_column = str(wave.column)
    data = pd.concat([f.assign(**{wave_column: w}) if file_waves else f
                      for f, w in zip(frames, file_waves or [None] * len(frames), strict=True)],
                     ignore_index=True)
    id_guess = _guess_id(data, wave.column, questions)
    group = _guess_group(data, [id_guess.column, wave.column])
    columns = [str(c) for c in frames[0].columns]
    instruments = _instruments()
    blocks = []
    for block in _blocks(columns):
        if any(c not in f.columns for f in frames for c in block.columns):
            notes.append(f"{_span(block)} are not in every export; only the first was searched "
                         "for instruments.")
            continue
        guess = _guess_block(block, data, questions, value_labels, instruments)
        if guess is not None:
            blocks.append(guess)
    seen: set[str] = set()
    unique = []
    for found in blocks:  # an instrument appears once; a second block is left as a comment
        inst = found.instrument
        if found.active and inst is not None and inst.id in seen:
            found = replace(found, active=False, candidates=(inst.id,), note=(
                f"{found.first} .. {found.last} also look like {inst.abbreviation}, found "
                "already in another block; a study file scores an instrument once"))
        if found.active and inst is not None:
            seen.add(inst.id)
        unique.append(found)
    if not seen:
        notes.append("No bundled instrument was recognised: add an [instruments.ID] table "
                     "(helpstats instruments list) before running the study.")
    giving, receiving = _helping_columns(columns)
    taken = {id_guess.column, wave.column, group.column}
    arm = next((c for c in _by_name(columns, ARM_NAMES) if c not in taken), None)
    demographics = tuple(c for c in _by_name(columns, DEMOGRAPHIC_NAMES) if c not in taken)
    waves = _wave_values(data[wave.column]) if not file_waves else None
    return StudyGuess(files=files, file_waves=file_waves, id=id_guess, wave=wave, group=group,
                      waves=waves, instruments=tuple(unique), giving=giving, receiving=receiving,
                      arm=arm, demographics=demographics, notes=tuple(notes))


# ----------------------------------------------------------------------------- the file


def _toml(value: Any) -> str:
    """A value as TOML: text in double quotes (escaped), numbers plain, lists in brackets."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else '"' + str(value) + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    text = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", text)
    return f'"{text}"'


def _comment(text: str, indent: str = "") -> list[str]:
    """``text`` as ``#`` lines of at most about 92 characters."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) > 88:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return [f"{indent}# {part}" for part in lines]


def _path_text(path: Path, folder: Path) -> str:
    """``path`` relative to the study file's folder (as the study file reads it), with /."""
    try:
        return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_posix()


def study_file_text(guess: StudyGuess, folder: str | Path = ".") -> str:
    """The guess as a commented study file; paths relative to ``folder`` (where it is saved).

    Examples
    --------
    >>> import helpstats as hs
    >>> from helpstats.study_init import guess_study, study_file_text
    >>> csv = hs.datasets.example_study_path().with_suffix(".csv")
    >>> text = study_file_text(guess_study([csv]), folder=csv.parent)
    >>> print("\\n".join(line for line in text.splitlines() if line.startswith("outcomes")))
    outcomes = ["phq9_total", "gad7_total", "who5_total"]
    """
    where = Path(folder)
    out = ["# Study file written by `helpstats init` from "
           f"{', '.join(p.name for p in guess.files)}.",
           "# Every key is explained in STUDY_FILE.md (`helpstats docs study-file`).",
           "# Lines marked CHECK are guesses: read them before you trust the results.",
           "# Run it with:  helpstats analyze THIS_FILE -o results", ""]
    for note in guess.notes:
        out += _comment(f"NOTE: {note}")
    if guess.notes:
        out.append("")
    out += ["[study]", f"title = {_toml(guess.files[0].stem)}", ""]
    out.append("[data]")
    if guess.file_waves is not None:
        entries = [f"{{ path = {_toml(_path_text(p, where))}, wave = {_toml(w)} }}"
                   for p, w in zip(guess.files, guess.file_waves, strict=True)]
        out.append("files = [" + ",\n         ".join(entries) + "]")
    else:
        out.append(f"files = {_toml([_path_text(p, where) for p in guess.files])}")
    for key, column in (("id", guess.id), ("wave", guess.wave)):
        if column.note:
            out += _comment(("CHECK: " if not column.certain else "") + column.note)
        out.append(f"{key} = {_toml(column.column or 'CHANGE_ME')}")
    if guess.group.column:
        out += _comment("CHECK: " + guess.group.note)
        out.append(f"group = {_toml(guess.group.column)}")
    if guess.waves is not None:
        out += _comment("the order of the waves; the first is the baseline (CHECK it)")
        out.append(f"waves = {_toml(list(guess.waves))}")
    out.append("# wave_label = \"Months since baseline\"   # the wave axis in tables and figures")
    out.append("")
    for block in guess.instruments:
        if block.active and block.instrument is not None:
            inst = block.instrument
            out += _comment(f"{inst.abbreviation}: {inst.name}")
            if block.note:
                out += _comment("CHECK: " + block.note)
            out.append(f"[instruments.{inst.id}]")
            out.append(f"columns = {_toml(block.columns)}")
        else:
            out += _comment(("CHECK: " if block.candidates else "") + block.note)
            for candidate in block.candidates:
                out.append(f"# [instruments.{candidate}]")
                out.append(f"# columns = {_toml(block.columns)}")
        out.append("")
    if not guess.outcomes:
        out += ["# CHECK: no instrument recognised. Name one, e.g.:", "[instruments.CHANGE_ME]",
                "columns = \"Q1_{n}\"", ""]
    roles = guess.giving is not None and guess.receiving is not None
    if roles:
        out += _comment("helping roles (Maton 1988): high = above the members' median. CHECK "
                        "the two columns of help given and received")
        out += ["[roles]", f"giving = {_toml(guess.giving)}",
                f"receiving = {_toml(guess.receiving)}", 'method = "median"', 'at = "baseline"',
                ""]
    else:
        out += ["# [roles]                      # no helping columns found; to classify roles:",
                '# giving = "helping_given"', '# receiving = "helping_received"', ""]
    out.append("[model]")
    out.append(f"outcomes = {_toml(guess.outcomes or ['CHANGE_ME_total'])}")
    if roles:
        out.append('by = "role"')
        if guess.arm:
            out.append(f"# by = {_toml(guess.arm)}            # or compare the trial arms")
    elif guess.arm:
        out += _comment(f"CHECK: the comparison, guessed from the column name '{guess.arm}'")
        out.append(f"by = {_toml(guess.arm)}")
    else:
        out.append("# by = \"arm\"                  # the comparison between members, if any")
    age = next((c for c in guess.demographics if _key(c) == "age"), None)
    out.append(f"# covariates = {_toml([age or 'age'])}")
    out.append("")
    variables = [*guess.demographics, *([guess.arm] if guess.arm else []), *guess.outcomes]
    if guess.demographics:
        out += ["[table_one]", f"variables = {_toml(variables)}", ""]
    if roles:
        out += ["# [helping]                    # the helper-therapy analyses of time-varying "
                "helping", f"# columns = {_toml([guess.giving, guess.receiving])}", ""]
    out += ["# [missing]                    # a missing-data report and multiple imputation",
            '# method = "mi"']
    return "\n".join(out).rstrip() + "\n"
