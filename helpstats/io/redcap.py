"""REDCap record exports (CSV, raw codes or labels) and data dictionaries.

A raw export has one header row of field names (a "labels" export has field
labels instead, ``Complete?`` status columns and choice labels as values; it is
read as exported, with the headings also in ``Export.questions``); checkboxes are expanded into
``field___code`` columns holding 0/1; each instrument adds ``<form>_complete``
(0 Incomplete, 1 Unverified, 2 Complete); longitudinal projects add
``redcap_event_name`` and repeating instruments ``redcap_repeat_instrument`` /
``redcap_repeat_instance`` (rows of a repeated instance are blank elsewhere).
Survey timestamps hold ``[not completed]`` for surveys not finished: it is read
as missing and listed in ``Export.missing_codes``.

With the data dictionary (``dictionary=``, a path or a DataFrame) the reader adds
question texts, value labels (radio, dropdown, yesno, truefalse, checkbox,
``*_complete``) and ``Export.fields`` (one row per column: field, form, type,
checkbox choice, validation).

Unchecked boxes stay 0 as exported; :func:`unchecked_as_missing` is the opt-in
rule that reads a checkbox group with nothing ticked as not answered.

Examples
--------
>>> from helpstats.io.redcap import parse_choices
>>> parse_choices("0, Less than 5 | 1, 5-10|2, More, much more")
{0: 'Less than 5', 1: '5-10', 2: 'More, much more'}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportError
from ._build import build_export
from ._export import Export
from ._text import read_delimited

__all__ = [
    "NOT_COMPLETED",
    "checkbox_groups",
    "checkbox_column",
    "is_labels_export",
    "looks_like_redcap",
    "parse_choices",
    "read_redcap",
    "read_redcap_dictionary",
    "unchecked_as_missing",
]

NOT_COMPLETED = "[not completed]"
_SPECIAL = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
            "redcap_survey_identifier", "redcap_data_access_group")
_LABEL_SPECIAL = ("Event Name", "Repeat Instrument", "Repeat Instance", "Survey Identifier",
                  "Data Access Group")
_CHECKBOX = re.compile(r"[a-z][a-z0-9_]*___[a-z0-9_]+")
_DICT_COLUMNS = {
    # data-dictionary CSV heading -> API metadata name
    "variable / field name": "field_name",
    "form name": "form_name",
    "field type": "field_type",
    "field label": "field_label",
    "choices, calculations, or slider labels": "select_choices_or_calculations",
    "text validation type or show slider number": "text_validation_type_or_show_slider_number",
}
_FIXED_LABELS: dict[str, dict[Any, str]] = {
    "yesno": {0: "No", 1: "Yes"},
    "truefalse": {0: "False", 1: "True"},
}
_COMPLETE_LABELS = {0: "Incomplete", 1: "Unverified", 2: "Complete"}
_TAG = re.compile(r"<[^>]+>")


def is_labels_export(header: list[str]) -> bool:
    """A REDCap "labels" export: field labels as headings, ``... Complete?`` status columns."""
    names = [h.strip() for h in header]
    return any(n.endswith("Complete?") or "(choice=" in n for n in names) or \
        sum(n in _LABEL_SPECIAL for n in names) >= 1 and "Record ID" in names


def looks_like_redcap(header: list[str]) -> bool:
    """REDCap's special columns, or ``*_complete`` status columns with checkbox/timestamps."""
    names = [h.strip() for h in header]
    if any(n in _SPECIAL for n in names) or (
            any(n.endswith("Complete?") for n in names) and
            (any("(choice=" in n for n in names) or any(n in _LABEL_SPECIAL for n in names)
             or "Record ID" in names)):
        return True
    complete = sum(n.endswith("_complete") for n in names)
    if complete == 0:
        return False
    return any(_CHECKBOX.fullmatch(n) or n.endswith("_timestamp") for n in names) or \
        names[-1].endswith("_complete")


def parse_choices(text: str) -> dict[Any, str]:
    """Parse ``"code, label | code, label"``; integer codes become ``int``."""
    out: dict[Any, str] = {}
    for part in str(text).split("|"):
        if not part.strip():
            continue
        code, _, label = part.partition(",")
        key: Any = code.strip()
        if re.fullmatch(r"-?[0-9]+", key):
            key = int(key)
        out[key] = label.strip()
    return out


def checkbox_column(field: str, code: Any) -> str:
    """The export column of checkbox ``field`` option ``code`` (``x___1``, ``x___minus1``)."""
    text = str(code).strip().lower()
    text = re.sub(r"^-", "_", text)
    return f"{field}___{re.sub(r'[^a-z0-9_]', '_', text)}"


def read_redcap_dictionary(dictionary: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read a REDCap data dictionary (CSV download or API metadata) into a DataFrame.

    Columns are renamed to the API names ``field_name, form_name, field_type,
    field_label, select_choices_or_calculations, ...``; every value is text.
    """
    if isinstance(dictionary, pd.DataFrame):
        frame = dictionary.copy()
    else:
        grid = read_delimited(dictionary, header_rows=1)
        frame = grid.data.copy()
        frame.columns = pd.Index([str(h) for h in grid.header_row(0)])
    frame.columns = pd.Index([_DICT_COLUMNS.get(str(c).strip().lower(), str(c).strip())
                              for c in frame.columns])
    required = {"field_name", "form_name", "field_type", "field_label"}
    if not required <= set(frame.columns):
        raise ExportError(
            f"{dictionary if not isinstance(dictionary, pd.DataFrame) else 'dictionary'}: "
            f"not a REDCap data dictionary: expected columns {sorted(required)} (or the CSV "
            f"headings 'Variable / Field Name', ...), found {list(frame.columns)[:6]}."
        )
    for column in frame.columns:
        frame[column] = frame[column].map(lambda v: "" if pd.isna(v) else str(v))
    return frame


def _label_for(code: Any, column: pd.Series) -> Any:
    if column.dtype.kind in "iuf" and isinstance(code, str):
        return code
    if column.dtype.kind not in "iuf" and isinstance(code, int):
        return str(code)
    return code


def _dictionary_metadata(
    meta: pd.DataFrame, data: pd.DataFrame
) -> tuple[dict[str, str], dict[str, dict[Any, str]], pd.DataFrame]:
    questions: dict[str, str] = {}
    labels: dict[str, dict[Any, str]] = {}
    rows: list[dict[str, str]] = []
    validation_col = "text_validation_type_or_show_slider_number"
    for rec in meta.to_dict("records"):
        name, ftype = rec["field_name"].strip(), rec["field_type"].strip()
        text = _TAG.sub("", rec["field_label"]).strip()
        choices = rec.get("select_choices_or_calculations", "")
        validation = rec.get(validation_col, "")
        if ftype == "checkbox":
            for code, label in parse_choices(choices).items():
                col = checkbox_column(name, code)
                questions[col] = f"{text}: {label}"
                labels[col] = {0: "Unchecked", 1: "Checked"}
                rows.append({"column": col, "field": name, "form": rec["form_name"],
                             "field_type": ftype, "choice": str(code), "validation": ""})
            continue
        if name in data.columns:
            questions[name] = text
            if ftype in ("radio", "dropdown"):
                labels[name] = {_label_for(k, data[name]): v
                                for k, v in parse_choices(choices).items()}
            elif ftype in _FIXED_LABELS:
                labels[name] = dict(_FIXED_LABELS[ftype])
        rows.append({"column": name, "field": name, "form": rec["form_name"],
                     "field_type": ftype, "choice": "", "validation": validation})
    for form in dict.fromkeys(meta["form_name"]):
        col = f"{form}_complete"
        labels[col] = dict(_COMPLETE_LABELS)
        rows.append({"column": col, "field": col, "form": form, "field_type": "form_status",
                     "choice": "", "validation": ""})
    fields = pd.DataFrame(rows, columns=["column", "field", "form", "field_type", "choice",
                                         "validation"])
    fields = fields[fields["column"].isin(data.columns)].reset_index(drop=True)
    return questions, labels, fields


def read_redcap(
    path: str | Path,
    *,
    dictionary: str | Path | pd.DataFrame | None = None,
    encoding: str | None = None,
    data: bytes | None = None,
) -> Export:
    """Read a REDCap CSV record export; ``format`` is ``"redcap"``.

    Parameters
    ----------
    path : str or Path
        The records CSV (raw codes or labels).
    dictionary : str, Path or DataFrame, optional
        The project's data dictionary, for question texts, value labels and field types.
    """
    grid = read_delimited(path, header_rows=1, encoding=encoding, data=data)
    names = grid.header_row(0)
    if [n.strip().lower() for n in names[:1]] == ["variable / field name"]:
        raise ExportError(f"{path}: is a REDCap data dictionary, not a record export. "
                          "Pass it as dictionary= together with the records file.")
    frame = grid.data
    missing_codes: dict[str, tuple[Any, ...]] = {}
    missing_cells: dict[str, int] = {}
    for position, name in enumerate(names):
        column = frame[position]
        if column.dtype.kind in "biuf":
            continue
        hits = column == NOT_COMPLETED
        if hits.any():
            frame[position] = column.mask(hits)
            missing_codes[name] = (NOT_COMPLETED,)
            missing_cells[name] = int(hits.sum())
    questions: Mapping[str, str] | list[str] = {}
    labels: Mapping[str, Mapping[Any, str]] = {}
    fields = None
    notes: list[str] = []
    if is_labels_export(names):
        questions = list(names)
        notes.append("REDCap labels export: headings are field labels and values are choice "
                     "labels (export raw data for codes)")
    elif dictionary is not None:
        meta = read_redcap_dictionary(dictionary)
        named = frame.set_axis(names, axis=1)
        questions, labels, fields = _dictionary_metadata(meta, named)
    return build_export(grid, names, "redcap", path=path, questions=questions,
                        value_labels=labels, missing_codes=missing_codes,
                        missing_cells=missing_cells, fields=fields, notes=notes)


def checkbox_groups(export: Export) -> dict[str, list[str]]:
    """Checkbox fields of a REDCap export and their columns: ``{"race": ["race___1", ...]}``.

    From ``Export.fields`` when the data dictionary was given, else from the
    ``field___code`` column names (raw headers) or the ``Label (choice=Option)``
    headings of a labels export (the group is then named by the label).
    """
    if export.fields is not None:
        boxes = export.fields[export.fields["field_type"] == "checkbox"]
        return {f: list(g["column"]) for f, g in boxes.groupby("field", sort=False)}
    groups: dict[str, list[str]] = {}
    for column in export.data.columns:
        name = str(column)
        choice = _CHOICE_HEADING.fullmatch(name.strip())
        if _CHECKBOX.fullmatch(name):
            groups.setdefault(name.split("___")[0], []).append(name)
        elif choice is not None:
            groups.setdefault(choice["field"].strip(), []).append(name)
    return groups


_CHOICE_HEADING = re.compile(r"(?P<field>.+?) \(choice=(?P<choice>.*)\)", re.DOTALL)
_UNCHECKED = ("0", "unchecked")
_CHECKED = ("1", "checked")


def _shown(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _box_states(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(unchecked, unexpected) masks of one checkbox column; blanks are neither."""
    present = column.notna()
    if column.dtype.kind in "biuf":
        numbers = column.astype(float)
        return numbers == 0, present & ~numbers.isin([0.0, 1.0])
    texts = column.map(lambda v: str(v).strip().lower() if isinstance(v, str) else
                       (None if pd.isna(v) else str(v).strip().lower()))
    numbers = texts.map(lambda t: {"0": "0", "0.0": "0", "1": "1", "1.0": "1"}.get(t, t)
                        if isinstance(t, str) else t)
    unchecked = numbers.isin(_UNCHECKED)
    return unchecked.astype(bool), (present & ~unchecked & ~numbers.isin(_CHECKED)).astype(bool)


def unchecked_as_missing(export: Export) -> pd.DataFrame:
    """A copy of ``export.data`` where a checkbox group with no box ticked is missing.

    REDCap exports 0 for every unchecked box, also when the question was never
    shown or answered, so "none ticked" cannot be told from "not answered". This
    opt-in rule (REDCapR's) reads a group whose boxes are all unchecked in a row
    (``0``, or ``Unchecked`` in a labels export) as not answered: those cells become
    missing. ``read_export`` itself never does this; the number of cells changed per
    group is in ``result.attrs["unchecked"]``.

    Raises
    ------
    helpstats.errors.ExportError
        A checkbox cell holds something other than 0/1 or Unchecked/Checked (such as
        2 or -1): every such cell is listed by row (as the file shows it), column and value.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import helpstats as hs
    >>> from helpstats.io.redcap import unchecked_as_missing
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = p.write_text("record_id,c___1,c___2,form_complete\\n1,1,0,2\\n2,0,0,0\\n")
    >>> data = unchecked_as_missing(hs.read_export(p))
    >>> data["c___1"].tolist(), data.attrs["unchecked"]
    ([1.0, nan], {'c': 2})
    """
    data = export.data.copy()
    changed: dict[str, int] = {}
    rows = export.file_rows()
    problems: list[str] = []
    groups = {f: [c for c in cols if c in data.columns]
              for f, cols in checkbox_groups(export).items()}
    for columns in groups.values():
        for column in columns:
            _, unexpected = _box_states(data[column])
            problems += [f"row {rows[i]}, column {column!r}, value {_shown(data[column].iat[i])}"
                         for i in np.flatnonzero(unexpected.to_numpy())]
    if problems:
        shown = "; ".join(problems[:20]) + (f"; ... ({len(problems) - 20} more)"
                                            if len(problems) > 20 else "")
        raise ExportError(
            f"{export.source.path}: {len(problems)} checkbox cell(s) hold a value that is "
            f"neither 0/Unchecked nor 1/Checked: {shown}. REDCap exports only these; fix the "
            "cells (or the column names, if these columns are not checkboxes) and read again.")
    for field, present in groups.items():
        if not present:
            continue
        states = [_box_states(data[c])[0] for c in present]
        none_ticked = pd.concat(states, axis=1).all(axis=1)
        for column in present:
            data[column] = data[column].mask(none_ticked)
        changed[field] = int(none_ticked.sum()) * len(present)
    data.attrs["unchecked"] = changed
    return data
