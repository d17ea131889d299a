"""One label lookup for every table, writer (and figure): variables, levels, model terms.

A label comes from, in this order:

1. the study file (``[labels.variables]``, ``[labels.levels.<column>]``, ``wave_label``
   in ``[data]``: :attr:`helpstats.study.Study.variable_labels`, ``level_labels``,
   ``wave_label``), or a mapping the caller passes;
2. the instruments: a score column ``{id}_{scale}`` is labelled with the instrument's
   abbreviation and the scale (``phq9_total`` -> ``"PHQ-9 total"``);
3. the column name itself, with ``_`` as spaces and a capital first letter
   (``role`` -> ``"Role"``).

Model terms are labelled from their parts: ``rolehelpee:wave8`` ->
``"Role: helpee × Wave 8"`` (a level that looks like a number follows its factor's
label after a space, other levels after ``": "``).

Examples
--------
>>> from helpstats.tables import Labels
>>> labels = Labels(variables={"wave": "Month"}, levels={"role": {"dual": "Dual role"}})
>>> labels.variable("phq9_total"), labels.variable("wave"), labels.variable("age_years")
('PHQ-9 total', 'Month', 'Age years')
>>> labels.level("role", "dual"), labels.level("wave", 8.0)
('Dual role', '8')
>>> labels.term("roledual:wave8", factors={"role": ["neither", "dual"], "wave": [0, 8]})
'Role: Dual role × Month 8'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._common import key

__all__ = ["Labels", "as_labels", "instrument_label"]

#: The multiplication sign between the parts of an interaction.
TIMES = " \u00d7 "
_SUFFIXES = (("_n_answered", " items answered"), ("_band", " band"))


@functools.lru_cache(maxsize=1)
def _abbreviations() -> dict[str, str]:
    from ..instruments import list_instruments

    table = list_instruments()
    return {str(i): str(a) for i, a in zip(table["id"], table["abbreviation"], strict=True)}


def instrument_label(name: str) -> str | None:
    """``"PHQ-9 total"`` for a score column ``phq9_total`` (``None`` for other names).

    Examples
    --------
    >>> instrument_label("gad7_total"), instrument_label("phq9_total_band"), instrument_label("x")
    ('GAD-7 total', 'PHQ-9 total band', None)
    """
    suffix_text = ""
    for suffix, text in _SUFFIXES:
        if name.endswith(suffix):
            name, suffix_text = name[: -len(suffix)], text
            break
    best = None
    for inst_id in _abbreviations():
        if name.startswith(inst_id + "_") and (best is None or len(inst_id) > len(best)):
            best = inst_id
    if best is None:
        return None
    scale = name[len(best) + 1:].replace("_", " ")
    return f"{_abbreviations()[best]} {scale}{suffix_text}" if scale else None


def _humanise(name: str) -> str:
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def _numeric_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Labels:
    """Variable, level and wave labels (see the module notes for the order of sources).

    Parameters
    ----------
    variables : mapping of str to str
        Column name to its label.
    levels : mapping of str to mapping of str to str
        Column name to ``{level: label}``; levels are matched as text
        (``2``, ``2.0`` and ``"2"`` are one level).
    wave : str, optional
        The column of the waves; with ``wave_label`` its label.
    wave_label : str, optional
        The wave axis label (the study file's ``wave_label``).
    """

    variables: Mapping[str, str] = field(default_factory=dict)
    levels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    wave: str | None = None
    wave_label: str | None = None

    @classmethod
    def from_study(cls, study: Any) -> Labels:
        """The labels of a :class:`helpstats.study.Study`."""
        return cls(variables=dict(getattr(study, "variable_labels", {}) or {}),
                   levels={c: dict(m) for c, m in
                           (getattr(study, "level_labels", {}) or {}).items()},
                   wave=getattr(study, "wave", None),
                   wave_label=getattr(study, "wave_label", None))

    def merged(self, other: Labels) -> Labels:
        """These labels, overridden by ``other``'s where both have one."""
        levels = {c: dict(m) for c, m in self.levels.items()}
        for column, mapping in other.levels.items():
            levels.setdefault(column, {}).update(mapping)
        return Labels(variables={**self.variables, **other.variables}, levels=levels,
                      wave=other.wave or self.wave,
                      wave_label=other.wave_label or self.wave_label)

    def variable(self, name: Hashable) -> str:
        """The label of a column."""
        text = str(name)
        if text in self.variables:
            return str(self.variables[text])
        if self.wave_label and text == self.wave:
            return self.wave_label
        return instrument_label(text) or _humanise(text)

    def header(self, name: Hashable) -> str:
        """The label of a column of a plain (user's) table: an explicit or instrument
        label, else the name as it is."""
        text = str(name)
        if text in self.variables:
            return str(self.variables[text])
        if self.wave_label and text == self.wave:
            return self.wave_label
        return instrument_label(text) or text

    def level(self, column: Hashable | None, value: Any) -> str:
        """The label of one level of a column (its text when it has none)."""
        text = key(value.item() if hasattr(value, "item") else value)
        mapping = self.levels.get(str(column), {}) if column is not None else {}
        return str(mapping.get(text, text))

    def term(self, term: str, *, factors: Mapping[str, Sequence[Any]] | None = None) -> str:
        """A readable label of a model coefficient or term.

        ``factors`` maps each factor of the model to its levels, so that
        ``rolehelpee`` is read as factor ``role`` at level ``helpee``; other
        parts (covariates, ``(Intercept)``) are labelled as variables.
        """
        if term == "(Intercept)":
            return "Intercept"
        factors = dict(factors or {})
        parts = []
        for part in term.split(":"):
            parts.append(self._part(part, factors))
        return TIMES.join(parts)

    def _part(self, part: str, factors: Mapping[str, Sequence[Any]]) -> str:
        if part in factors:  # the factor itself (a Type III term)
            return self.variable(part)
        for name in sorted(factors, key=len, reverse=True):
            if not part.startswith(name):
                continue
            rest = part[len(name):]
            if rest in {key(v) for v in factors[name]}:
                level = self.level(name, rest)
                joiner = " " if _numeric_text(level) else ": "
                return f"{self.variable(name)}{joiner}{level}"
        return self.variable(part) if re.fullmatch(r"[A-Za-z_.][\w.]*", part) else part


def as_labels(labels: Labels | Mapping[str, Any] | Any | None) -> Labels:
    """Labels from ``None``, a :class:`Labels`, a study (``Study``), or a mapping
    ``{"variables": {...}, "levels": {...}, "wave_label": ...}`` or ``{column: label}``."""
    if labels is None:
        return Labels()
    if isinstance(labels, Labels):
        return labels
    if isinstance(labels, Mapping):
        if {"variables", "levels", "wave", "wave_label"} & set(labels):
            return Labels(variables=dict(labels.get("variables") or {}),
                          levels={c: dict(m) for c, m in (labels.get("levels") or {}).items()},
                          wave=labels.get("wave"), wave_label=labels.get("wave_label"))
        return Labels(variables={str(k): str(v) for k, v in labels.items()})
    if hasattr(labels, "variable_labels"):
        return Labels.from_study(labels)
    from ..errors import TableError

    raise TableError(f"labels= must be a helpstats Labels, a Study or a mapping; got "
                     f"{type(labels).__name__}.")
