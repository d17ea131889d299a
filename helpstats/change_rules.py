"""Service-outcome rules (caseness, recovery, reliable improvement) loaded from data files.

The rules of a service-outcome framework are data, not code: a TOML file in the
``instruments/rules`` folder names each measure's caseness threshold and
reliable-change criterion, and picks how the measures combine from a small fixed
vocabulary (below). :func:`helpstats.clinical_change` applies them. A user can
copy the bundled file, add measures, and pass its path.

Combination vocabulary (``[rules]``):

* ``caseness = "either"``: a case when at caseness on at least one measure;
* ``recovery = "case_before_neither_after"``: at caseness before and below
  caseness on every measure after; missing (not false) when not at caseness before;
* ``reliable_improvement = "one_improved_none_deteriorated"``: a reliable
  improvement on at least one measure and no reliable deterioration on any;
* ``reliable_deterioration = "one_deteriorated_none_improved"``: the mirror image;
* ``reliable_recovery = "recovery_and_reliable_improvement"``.

Examples
--------
>>> rules = load_change_rules("nhs-talking-therapies")
>>> rules.depression.measure, rules.depression.caseness, rules.depression.reliable_change
('phq9', 10.0, 6.0)
>>> rules.anxiety["gad7"].caseness
8.0
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InstrumentError
from .instruments import Verification, bundled_instrument_dir

__all__ = ["ChangeRules", "MeasureRule", "bundled_rules", "load_change_rules"]

VOCABULARY = {
    "caseness": ("either",),
    "recovery": ("case_before_neither_after",),
    "reliable_improvement": ("one_improved_none_deteriorated",),
    "reliable_deterioration": ("one_deteriorated_none_improved",),
    "reliable_recovery": ("recovery_and_reliable_improvement",),
}


@dataclass(frozen=True)
class MeasureRule:
    """Thresholds of one measure: a case at ``score >= caseness``; a change of at least
    ``reliable_change`` points is reliable (scores where higher is worse)."""

    measure: str
    caseness: float
    reliable_change: float


@dataclass(frozen=True)
class ChangeRules:
    """A service-outcome rule set (see the module docstring for ``combine``)."""

    id: str
    name: str
    version: str
    citation: str
    verification: Verification
    depression: MeasureRule
    anxiety: Mapping[str, MeasureRule]
    combine: Mapping[str, str]
    path: str


def bundled_rules() -> dict[str, Path]:
    """Bundled rule files by id (``nhs-talking-therapies``)."""
    folder = bundled_instrument_dir() / "rules"
    return {p.stem.replace("_", "-"): p for p in sorted(folder.glob("*.toml"))}


def load_change_rules(rule: str | Path) -> ChangeRules:
    """Load a bundled rule set by id, or a rule file by path.

    Raises
    ------
    helpstats.errors.InstrumentError
        Unknown id, or a malformed file (the message names the file and field).
    """
    bundled = bundled_rules()
    text = str(rule)
    if text in bundled:
        path = bundled[text]
    elif isinstance(rule, Path) or text.endswith(".toml"):
        path = Path(text)
    else:
        raise InstrumentError(f"unknown service-outcome rules {text!r}; bundled: "
                              f"{', '.join(bundled)}, or pass the path of a rules .toml file")
    if not path.is_file():
        raise InstrumentError(f"{path}: no such rules file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentError(f"{path}: not valid TOML: {exc}") from None
    return _parse(raw, str(path))


def _fail(path: str, field: str, message: str) -> InstrumentError:
    return InstrumentError(f"{path}: field '{field}': {message}")


def _measure(raw: Any, path: str, where: str, measure: str) -> MeasureRule:
    if not isinstance(raw, dict) or set(raw) - {"measure", "caseness", "reliable_change"}:
        raise _fail(path, where, "expected a table with caseness and reliable_change")
    values = {}
    for key in ("caseness", "reliable_change"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise _fail(path, f"{where}.{key}", f"expected a positive number, found {value!r}")
        values[key] = float(value)
    return MeasureRule(measure, values["caseness"], values["reliable_change"])


def _parse(raw: dict[str, Any], path: str) -> ChangeRules:
    required = {"schema", "id", "name", "version", "citation", "verification", "depression",
                "anxiety", "rules"}
    missing = sorted(required - set(raw))
    unknown = sorted(set(raw) - required)
    if missing or unknown:
        raise _fail(path, "<top level>", f"missing {missing}, unknown {unknown}")
    if raw["schema"] != 1:
        raise _fail(path, "schema", f"expected 1, found {raw['schema']!r}")
    for key in ("id", "name", "version", "citation"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise _fail(path, key, "expected a non-empty string")
    ver = raw["verification"]
    if not isinstance(ver, dict) or ver.get("status") not in ("verified", "provisional") \
            or not ver.get("sources"):
        raise _fail(path, "verification", "expected status (verified/provisional) and sources")
    if ver["status"] == "provisional" and not ver.get("unverified"):
        raise _fail(path, "verification.unverified", "provisional rules must say what is unverified")
    verification = Verification(ver["status"], tuple(ver["sources"]), tuple(ver.get("unverified", ())))
    dep = raw["depression"]
    if not isinstance(dep, dict) or not isinstance(dep.get("measure"), str):
        raise _fail(path, "depression.measure", "expected the id of the depression measure")
    depression = _measure(dep, path, "depression", dep["measure"])
    if not isinstance(raw["anxiety"], dict) or not raw["anxiety"]:
        raise _fail(path, "anxiety", "expected at least one [anxiety.<measure id>] table")
    anxiety = {name: _measure(table, path, f"anxiety.{name}", name)
               for name, table in raw["anxiety"].items()}
    combine = raw["rules"]
    if not isinstance(combine, dict) or set(combine) != set(VOCABULARY):
        raise _fail(path, "rules", f"expected exactly the keys {', '.join(VOCABULARY)}")
    for key, value in combine.items():
        if value not in VOCABULARY[key]:
            raise _fail(path, f"rules.{key}",
                        f"expected one of {', '.join(VOCABULARY[key])}; found {value!r}")
    return ChangeRules(raw["id"], raw["name"], raw["version"], raw["citation"], verification,
                       depression, anxiety, dict(combine), path)
