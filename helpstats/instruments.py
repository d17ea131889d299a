"""Instrument definitions: TOML files loaded into frozen dataclasses.

An instrument definition is data, not code. Each bundled questionnaire is one
TOML file in the package's ``instruments`` folder (``instruments/`` in a source
checkout); a user may load a file of their own with the same fields. The file
format is documented in ``instruments/README.md``.

Examples
--------
>>> import helpstats as hs
>>> phq9 = hs.load_instrument("phq9")
>>> phq9.abbreviation, phq9.n_items, phq9.verification.status
('PHQ-9', 9, 'verified')
>>> phq9.scale("total").score_range
(0.0, 27.0)
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ._display import result_html, short_repr
from .errors import InstrumentError

__all__ = [
    "Band",
    "Flag",
    "Instrument",
    "Item",
    "Norm",
    "ReferenceValue",
    "ResponseSet",
    "Scale",
    "Verification",
    "bundled_instrument_dir",
    "coding_variant",
    "list_instruments",
    "load_instrument",
]

DOMAINS = (
    "empowerment", "self-stigma", "depression/anxiety", "psychosocial adjustment",
    "recovery/hope", "self-efficacy", "quality of life", "social functioning/support", "helping",
)
LICENSE_STATUSES = ("public_domain", "free_with_attribution", "license_required", "unknown")
VERIFICATION_STATUSES = ("verified", "provisional")
METHODS = ("sum", "mean", "count", "lookup")
DIRECTIONS = ("better", "worse")
STATISTICS = ("alpha", "test_retest", "sd", "mean", "mcid", "reliable_change")
ROUNDING = ("none", "nearest")

Code = int | str


@dataclass(frozen=True)
class ResponseSet:
    """Ordered response options: codes with their labels.

    ``aliases`` maps further accepted labels to codes (a published form and a
    common reproduction word the same option differently, e.g. QPR "Disagree
    strongly" / "Strongly disagree").
    """

    id: str
    codes: tuple[Code, ...]
    labels: tuple[str, ...]
    aliases: Mapping[str, Code] = field(default_factory=dict)

    @property
    def numeric(self) -> bool:
        """True when every code is an integer."""
        return all(isinstance(c, int) for c in self.codes)


@dataclass(frozen=True)
class Item:
    """One questionnaire item.

    ``scores`` (when given) is the score of each response code, in the order of
    the response set's codes; otherwise the score is the code itself, reversed
    as ``min + max - code`` when ``reverse`` is true.
    """

    id: str
    number: int
    label: str
    response_set: ResponseSet
    text: str | None = None
    reverse: bool = False
    scores: tuple[float, ...] | None = None
    scored: bool = True

    def score_map(self) -> dict[Code, float]:
        """Map each response code to the score it contributes."""
        codes = self.response_set.codes
        if self.scores is not None:
            return dict(zip(codes, self.scores, strict=True))
        if not self.response_set.numeric:
            return {}
        numeric = [int(c) for c in codes]
        low, high = min(numeric), max(numeric)
        if self.reverse:
            return {c: float(low + high - int(c)) for c in codes}
        return {c: float(c) for c in codes}


@dataclass(frozen=True)
class Band:
    """A labelled score range ``[min, max]`` (inclusive) of a scale."""

    min: float
    max: float
    label: str
    source: str


@dataclass(frozen=True)
class ReferenceValue:
    """A published psychometric value of a scale (alpha, test-retest r, SD, ...)."""

    statistic: str
    value: float
    source: str
    sample: str = ""
    n: int | None = None
    verified: bool = False


@dataclass(frozen=True)
class Norm:
    """Mean and SD of a reference population (for clinically significant change)."""

    population: str
    mean: float
    sd: float
    source: str
    n: int | None = None
    verified: bool = False


@dataclass(frozen=True)
class Scale:
    """A score computed from a set of items.

    ``method`` is ``sum``, ``mean``, ``count`` (number of keyed choices) or
    ``lookup`` (raw sum converted with a published table). At most
    ``max_missing`` items may be missing; with ``prorate`` the missing items
    are replaced by the mean of the answered ones. Items in
    ``reverse_items`` are reversed within this scale only (their item score
    ``s`` becomes ``lowest + highest - s`` over the item's possible scores),
    for instruments such as the ISMI whose stigma-resistance items are
    reversed in the total but not in their own subscale. A ``sum`` or
    ``mean`` score is ``raw x multiplier + offset`` (the WHOQOL-BREF 0-100
    transform is a mean x 25 - 25). ``missing_verification`` records how
    the missing-item rule (``max_missing``, ``prorate``) was verified,
    separately from the key: a key can be verified while its prorating rule
    rests on one secondary source.
    """

    id: str
    name: str
    items: tuple[int, ...]
    method: str
    multiplier: float = 1.0
    max_missing: int = 0
    prorate: bool = False
    prorate_rounding: str = "none"
    higher_is: str = "worse"
    keyed: Mapping[int, Code] = field(default_factory=dict)
    lookup: Mapping[int, float] = field(default_factory=dict)
    reverse_items: tuple[int, ...] = ()
    bands: tuple[Band, ...] = ()
    reference_values: tuple[ReferenceValue, ...] = ()
    norms: tuple[Norm, ...] = ()
    score_range: tuple[float, float] = (math.nan, math.nan)
    offset: float = 0.0
    missing_verification: Verification | None = None

    def reference(self, statistic: str) -> ReferenceValue | None:
        """Return the first published value of ``statistic`` for this scale, if any."""
        for value in self.reference_values:
            if value.statistic == statistic:
                return value
        return None


@dataclass(frozen=True)
class Flag:
    """A per-item alert, e.g. PHQ-9 item 9 answered above ``Not at all``."""

    id: str
    item: int
    min_code: int
    label: str


@dataclass(frozen=True)
class Verification:
    """Whether the scoring key is confirmed, by which sources, and what is not."""

    status: str
    sources: tuple[str, ...]
    unverified: tuple[str, ...] = ()


@dataclass(frozen=True)
class Instrument:
    """A questionnaire definition (see ``instruments/README.md`` for the fields)."""

    id: str
    name: str
    abbreviation: str
    version: str
    domain: str
    citation: str
    license_status: str
    license_note: str
    verification: Verification
    response_sets: Mapping[str, ResponseSet]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    flags: tuple[Flag, ...] = ()
    item_text: bool = False
    recall_period: str = ""
    variant_of: str | None = None
    variant_note: str = ""
    path: str = ""
    coding: str = ""
    coding_required: bool = False

    def _lines(self) -> list[str]:
        scales = ", ".join(s.id for s in self.scales)
        return [f"{self.n_items} scored items; scales: {scales}",
                f"licence: {self.license_status}; scoring key: {self.verification.status}"]

    def __repr__(self) -> str:
        """What the definition is, in three lines (not every item and response set).

        Examples
        --------
        >>> import helpstats as hs
        >>> hs.load_instrument("gad7")  # doctest: +ELLIPSIS
        Instrument gad7 (GAD-7, version ...): Generalized Anxiety Disorder...
          7 scored items; scales: total
          licence: ...; scoring key: verified
        """
        return short_repr(f"Instrument {self.id} ({self.abbreviation}, version {self.version}): "
                          f"{self.name}", self._lines())

    def _repr_html_(self) -> str:
        return result_html(f"{self.name} ({self.abbreviation}, {self.id} {self.version})",
                           [*self._lines(), self.citation])

    @property
    def n_items(self) -> int:
        """Number of scored items."""
        return sum(item.scored for item in self.items)

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Ids of all items, scored and unscored, in form order."""
        return tuple(item.id for item in self.items)

    @property
    def provisional(self) -> bool:
        """True when the scoring key is not verified."""
        return self.verification.status != "verified"

    def item(self, number: int) -> Item:
        """Return the item with this number."""
        for item in self.items:
            if item.number == number:
                return item
        raise KeyError(f"{self.id} has no item {number}")

    def scale(self, scale_id: str) -> Scale:
        """Return the scale with this id."""
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        known = ", ".join(s.id for s in self.scales)
        raise KeyError(f"{self.id} has no scale {scale_id!r}; its scales are: {known}")


# ----------------------------------------------------------------------------- loading


def bundled_instrument_dir() -> Path:
    """Folder holding the bundled definition files (in the wheel or a checkout)."""
    packaged = resources.files("helpstats").joinpath("_instruments")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "instruments"


def _bundled_paths() -> dict[str, Path]:
    folder = bundled_instrument_dir()
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def list_instruments(domain: str | None = None) -> pd.DataFrame:
    """List the bundled instruments.

    Parameters
    ----------
    domain : str, optional
        Only the instruments of this domain (one of ``DOMAINS``, e.g.
        ``"recovery/hope"``).

    Returns
    -------
    pandas.DataFrame
        One row per instrument: ``id, name, abbreviation, domain, n_items,
        scales, license_status, verification, version, variant_of, coding``
        (``coding`` names the response coding the definition expects, where
        the instrument exists in several codings).

    Raises
    ------
    helpstats.errors.InstrumentError
        ``domain`` is not one of the known domains.

    Examples
    --------
    >>> import helpstats as hs
    >>> table = hs.list_instruments()
    >>> row = table.set_index("id").loc["phq9"]
    >>> row["domain"], int(row["n_items"]), row["verification"]
    ('depression/anxiety', 9, 'verified')
    >>> "qpr15" in set(hs.list_instruments(domain="recovery/hope")["id"])
    True
    """
    if domain is not None and domain not in DOMAINS:
        raise InstrumentError(f"unknown domain {domain!r}; the domains are: {', '.join(DOMAINS)}")
    rows = []
    for instrument_id in _bundled_paths():
        inst = load_instrument(instrument_id)
        if domain is not None and inst.domain != domain:
            continue
        rows.append(
            {
                "id": inst.id,
                "name": inst.name,
                "abbreviation": inst.abbreviation,
                "domain": inst.domain,
                "n_items": inst.n_items,
                "scales": ", ".join(s.id for s in inst.scales),
                "license_status": inst.license_status,
                "verification": inst.verification.status,
                "version": inst.version,
                "variant_of": inst.variant_of or "",
                "coding": inst.coding,
            }
        )
    columns = [
        "id", "name", "abbreviation", "domain", "n_items", "scales",
        "license_status", "verification", "version", "variant_of", "coding",
    ]
    return pd.DataFrame(rows, columns=columns)


def coding_variant(instrument: str | Path | Instrument, coding: str) -> Instrument:
    """The definition of an instrument's family that expects responses coded as ``coding``.

    Some instruments reach users in several codings (HADS as printed option
    positions 1-4, as positions 0-3, or as item scores 0-3). Each coding is
    its own bundled definition, a variant of the base; this picks the one
    declared, so the coding is never guessed from the data.

    Parameters
    ----------
    instrument : str, path or Instrument
        Any member of the family (the base id or a variant).
    coding : str
        A coding id, as listed in the ``coding`` column of
        :func:`list_instruments`.

    Returns
    -------
    Instrument

    Raises
    ------
    helpstats.errors.InstrumentError
        No member of the family has that coding (the message lists those that exist).

    Examples
    --------
    >>> coding_variant("hads", "score_0to3").id
    'hads_scored'
    """
    inst = load_instrument(instrument)
    if inst.coding == coding:
        return inst
    family = _family(inst)
    for member in family:
        if member.coding == coding:
            return member
    known = ", ".join(f"{m.coding!r} ({m.id})" for m in family if m.coding) or "none"
    raise InstrumentError(
        f"{inst.id}: no definition for responses coded {coding!r}; the codings of this "
        f"instrument are: {known}. Recode the data to one of them, or write a definition file "
        "for your coding."
    )


def _family(inst: Instrument) -> list[Instrument]:
    """Bundled definitions sharing ``inst``'s base (itself and its coding variants)."""
    root = inst.variant_of or inst.id
    members = []
    for instrument_id in _bundled_paths():
        member = load_instrument(instrument_id)
        if (member.variant_of or member.id) == root:
            members.append(member)
    return members


def family_codings(inst: Instrument) -> list[Instrument]:
    """Other bundled members of ``inst``'s family that declare a coding (not ``inst`` itself)."""
    return [m for m in _family(inst) if m.coding and m.id != inst.id]


def load_instrument(instrument: str | Path | Instrument) -> Instrument:
    """Load a bundled instrument by id, or a definition file by path.

    Parameters
    ----------
    instrument : str, pathlib.Path or Instrument
        A bundled id such as ``"phq9"``, or the path of a ``.toml`` file.
        An :class:`Instrument` is returned unchanged.

    Returns
    -------
    Instrument

    Raises
    ------
    helpstats.errors.InstrumentError
        The id is unknown, or the file is malformed (the message names the
        file, the field and what was expected).

    Examples
    --------
    >>> import helpstats as hs
    >>> hs.load_instrument("gad7").scale("total").bands[-1].label
    'severe'
    """
    if isinstance(instrument, Instrument):
        return instrument
    text = str(instrument)
    if isinstance(instrument, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        return _load_path(str(Path(text).resolve()))
    paths = _bundled_paths()
    if text not in paths:
        refused = _not_bundled(text)
        if refused is not None:
            raise InstrumentError(refused)
        known = ", ".join(paths)
        raise InstrumentError(
            f"unknown instrument {text!r}. Bundled instruments: {known}. "
            "To use your own definition, pass the path of its .toml file."
        )
    return _load_path(str(paths[text]))


def _not_bundled(text: str) -> str | None:
    """The reason an instrument asked for is deliberately not bundled (licensing/not_bundled.toml)."""
    path = bundled_instrument_dir() / "licensing" / "not_bundled.toml"
    if not path.is_file():
        return None
    entries = tomllib.loads(path.read_text(encoding="utf-8"))
    key = "".join(ch for ch in text.lower() if ch.isalnum())
    for alias in (key, key[:-2] if key.endswith(("v1", "v2")) else key):  # SF-36v2 -> sf36
        entry = entries.get(alias)
        if isinstance(entry, dict):
            return (f"{entry['name']} ({text!r}) is not bundled: {entry['reason']} "
                    f"Instead: {entry['instead']}. A licensed user can load a definition file of "
                    "their own with hs.load_instrument(path).")
    return None


def _load_path(path: str) -> Instrument:
    """Load a definition file; cached by path, modification time and size.

    An edited file (a new modification time or size) is read again, so a
    session never scores with a stale key.
    """
    file = Path(path)
    try:
        stat = file.stat()
    except OSError:
        stat = None
    if stat is None or not file.is_file():
        raise InstrumentError(f"{path}: no such instrument definition file")
    return _load_version(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _load_version(path: str, mtime_ns: int, size: int) -> Instrument:
    file = Path(path)
    if size > MAX_DEFINITION_BYTES:
        raise InstrumentError(f"{path}: {size} bytes is too large for an instrument definition "
                              f"(at most {MAX_DEFINITION_BYTES}).")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InstrumentError(f"{path}: not UTF-8 text: {exc}") from None
    except OSError as exc:
        raise InstrumentError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except RecursionError:
        raise InstrumentError(f"{path}: nested too deeply to be an instrument definition") from None
    try:
        return _Parser(path).instrument(raw)
    except InstrumentError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        # a value of an unexpected type that a check above did not name
        raise InstrumentError(f"{path}: malformed definition ({type(exc).__name__}: {exc}); "
                              "check the types of the values against a bundled definition "
                              "(helpstats instruments show ID).") from None


#: Largest definition file read (bytes); bundled ones are a few kilobytes.
MAX_DEFINITION_BYTES = 2_000_000
#: Largest raw sum a ``lookup`` table may convert.
MAX_LOOKUP_KEY = 100_000


class _Parser:
    """Strict validation of one definition file; every error names file and field."""

    def __init__(self, path: str) -> None:
        self.path = path

    # -- primitive checks
    def fail(self, where: str, message: str) -> InstrumentError:
        return InstrumentError(f"{self.path}: field '{where}': {message}")

    def check_keys(self, table: Mapping[str, Any], where: str, required: set[str],
                   optional: set[str]) -> None:
        missing = sorted(required - set(table))
        if missing:
            raise self.fail(where, f"required key(s) missing: {', '.join(missing)}")
        unknown = sorted(set(table) - required - optional)
        if unknown:
            allowed = ", ".join(sorted(required | optional))
            raise self.fail(where, f"unknown key(s) {', '.join(unknown)}; allowed keys: {allowed}")

    def text(self, table: Mapping[str, Any], key: str, where: str, default: str | None = None,
             choices: Sequence[str] | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(f"{where}{key}", f"expected a non-empty string, found {value!r}")
        if choices is not None and value not in choices:
            raise self.fail(f"{where}{key}", f"expected one of {', '.join(choices)}; found {value!r}")
        return value

    def number(self, table: Mapping[str, Any], key: str, where: str,
               default: float | None = None) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise self.fail(f"{where}{key}", f"expected a finite number, found {value!r}")
        return float(value)

    def integer(self, table: Mapping[str, Any], key: str, where: str,
                default: int | None = None, minimum: int = 0) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(f"{where}{key}", f"expected an integer >= {minimum}, found {value!r}")
        return value

    def flag(self, table: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{where}{key}", f"expected true or false, found {value!r}")
        return value

    def array(self, table: Mapping[str, Any], key: str, where: str) -> list[Any]:
        value = table.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{where}{key}", f"expected an array, found {value!r}")
        return value

    def tables(self, raw: Any, where: str, expected: str, required: set[str],
               optional: set[str], *, nonempty: bool = False
               ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each table of an array of tables, with its field name (``where[i]``).

        Checks lazily, in file order: ``raw`` is an array (non-empty with
        ``nonempty``; otherwise fails with ``expected``), then, as each table is
        reached, that it is a table with the ``required`` keys and no keys
        beyond ``optional``.
        """
        if not isinstance(raw, list) or (nonempty and not raw):
            raise self.fail(where, expected)
        for index, table in enumerate(raw):
            here = f"{where}[{index}]"
            if not isinstance(table, dict):
                raise self.fail(here, "expected a table")
            self.check_keys(table, here, required, optional)
            yield here, table

    # -- the definition
    def instrument(self, raw: dict[str, Any]) -> Instrument:
        self.check_keys(
            raw, "<top level>",
            required={"schema", "id", "name", "version", "domain", "citation", "license_status",
                      "license_note", "verification", "response_sets", "items", "scales"},
            optional={"abbreviation", "recall_period", "item_text", "flags", "variant_of",
                      "variant_note", "coding", "coding_required"},
        )
        if raw["schema"] != 1:
            raise self.fail("schema", f"expected 1 (the only format version), found {raw['schema']!r}")
        inst_id = self.text(raw, "id", "")
        if not inst_id.replace("_", "").isalnum() or not inst_id[0].isalpha() or inst_id != inst_id.lower():
            raise self.fail("id", f"expected lower-case letters, digits and '_', found {inst_id!r}")
        item_text = self.flag(raw, "item_text", "", False)
        response_sets = self.response_sets(raw["response_sets"])
        items = self.items(raw["items"], inst_id, response_sets, item_text)
        scales = self.scales(raw["scales"], items)
        flags = self.flags(raw.get("flags", []), items)
        return Instrument(
            id=inst_id,
            name=self.text(raw, "name", ""),
            abbreviation=self.text(raw, "abbreviation", "", default=inst_id.upper()),
            version=self.text(raw, "version", ""),
            domain=self.text(raw, "domain", "", choices=DOMAINS),
            citation=self.text(raw, "citation", ""),
            license_status=self.text(raw, "license_status", "", choices=LICENSE_STATUSES),
            license_note=self.text(raw, "license_note", ""),
            verification=self.verification(raw["verification"]),
            response_sets=response_sets,
            items=items,
            scales=scales,
            flags=flags,
            item_text=item_text,
            recall_period=self.text(raw, "recall_period", "", default=""),
            variant_of=raw.get("variant_of"),
            variant_note=self.text(raw, "variant_note", "", default=""),
            path=self.path,
            coding=self.coding_id(raw),
            coding_required=self.flag(raw, "coding_required", "", False),
        )

    def coding_id(self, raw: Mapping[str, Any]) -> str:
        coding = self.text(raw, "coding", "", default="")
        if coding and not coding.replace("_", "").isalnum():
            raise self.fail("coding", f"expected letters, digits and '_' (e.g. 'position_1to4'), "
                                      f"found {coding!r}")
        if raw.get("coding_required") and not coding:
            raise self.fail("coding_required", "a definition whose coding must be declared needs "
                                               "coding = '<its coding id>'")
        return coding

    def verification(self, raw: Any, where: str = "verification") -> Verification:
        if not isinstance(raw, dict):
            raise self.fail(where, "expected a table with status and sources")
        self.check_keys(raw, where, {"status", "sources"}, {"unverified"})
        status = self.text(raw, "status", f"{where}.", choices=VERIFICATION_STATUSES)
        sources = self.array(raw, "sources", f"{where}.")
        unverified = self.array(raw, "unverified", f"{where}.")
        if not sources or not all(isinstance(s, str) and s.strip() for s in sources):
            raise self.fail(f"{where}.sources", "expected at least one non-empty string")
        if status == "provisional" and (
            not unverified or not all(isinstance(u, str) and u.strip() for u in unverified)
        ):
            raise self.fail(f"{where}.unverified",
                            "a provisional key must say what is unverified (a list of strings)")
        if status == "verified" and unverified:
            raise self.fail(f"{where}.unverified",
                            "a verified key cannot list unverified parts; use status = 'provisional'")
        return Verification(status, tuple(sources), tuple(str(u) for u in unverified))

    def response_sets(self, raw: Any) -> dict[str, ResponseSet]:
        if not isinstance(raw, dict) or not raw:
            raise self.fail("response_sets", "expected at least one named response set")
        sets = {}
        for set_id, table in raw.items():
            where = f"response_sets.{set_id}"
            if not isinstance(table, dict):
                raise self.fail(where, "expected a table with codes and labels")
            self.check_keys(table, where, {"codes", "labels"}, {"aliases"})
            codes, labels = table["codes"], table["labels"]
            if not isinstance(codes, list) or not codes or not all(
                isinstance(c, int | str) and not isinstance(c, bool) for c in codes
            ):
                raise self.fail(f"{where}.codes", f"expected a list of integers or strings, found {codes!r}")
            if len(set(codes)) != len(codes):
                raise self.fail(f"{where}.codes", f"codes must be distinct, found {codes!r}")
            if not isinstance(labels, list) or len(labels) != len(codes) or not all(
                isinstance(lab, str) and lab.strip() for lab in labels
            ):
                raise self.fail(f"{where}.labels",
                                f"expected {len(codes)} non-empty strings (one per code), found {labels!r}")
            normalised = [" ".join(lab.lower().split()) for lab in labels]
            if len(set(normalised)) != len(normalised):
                raise self.fail(f"{where}.labels", "labels must differ ignoring case and spaces")
            aliases = table.get("aliases", {})
            if not isinstance(aliases, dict):
                raise self.fail(f"{where}.aliases", "expected a table { \"label\" = code, ... }")
            for alias, code in aliases.items():
                if code not in codes or isinstance(code, bool):
                    raise self.fail(f"{where}.aliases.{alias}",
                                    f"{code!r} is not one of the codes {codes!r}")
                key = " ".join(alias.lower().split())
                if not key or key in normalised:
                    raise self.fail(f"{where}.aliases.{alias}",
                                    "an alias must be non-empty and differ from every label")
            sets[set_id] = ResponseSet(set_id, tuple(codes), tuple(labels), dict(aliases))
        return sets

    def items(self, raw: Any, inst_id: str, sets: Mapping[str, ResponseSet],
              item_text: bool) -> tuple[Item, ...]:
        items = []
        seen: set[int] = set()
        for where, table in self.tables(
                raw, "items", "expected an array of [[items]] tables", {"number", "label"},
                {"text", "response_set", "reverse", "scores", "scored"}, nonempty=True):
            number = self.integer(table, "number", f"{where}.", minimum=1)
            if number in seen:
                raise self.fail(f"{where}.number", f"item {number} is defined twice")
            seen.add(number)
            if len(sets) == 1:
                default_set = next(iter(sets))
            else:
                default_set = None
            set_id = table.get("response_set", default_set)
            if not isinstance(set_id, str) or set_id not in sets:
                raise self.fail(f"{where}.response_set",
                                f"expected one of {', '.join(sets)}; found {set_id!r}")
            response_set = sets[set_id]
            if "text" in table and not item_text:
                raise self.fail(f"{where}.text",
                                "item wording is only allowed when item_text = true "
                                "(the licence permits redistributing it)")
            reverse = self.flag(table, "reverse", f"{where}.", False)
            scores = table.get("scores")
            if scores is not None:
                if (not isinstance(scores, list) or len(scores) != len(response_set.codes)
                        or not all(isinstance(s, int | float) and not isinstance(s, bool)
                                   and math.isfinite(s) for s in scores)):
                    raise self.fail(f"{where}.scores",
                                    f"expected {len(response_set.codes)} finite numbers, one per code "
                                    f"of response set {set_id!r}; found {scores!r}")
                if reverse:
                    raise self.fail(f"{where}.reverse",
                                    "give either per-option scores or reverse = true, not both")
                scores = tuple(float(s) for s in scores)
            elif reverse and not response_set.numeric:
                raise self.fail(f"{where}.reverse", "only items with numeric codes can be reversed")
            items.append(Item(
                id=f"{inst_id}_{number}",
                number=number,
                label=self.text(table, "label", f"{where}."),
                response_set=response_set,
                text=table.get("text"),
                reverse=reverse,
                scores=scores,
                scored=self.flag(table, "scored", f"{where}.", True),
            ))
        return tuple(sorted(items, key=lambda i: i.number))

    def scales(self, raw: Any, items: tuple[Item, ...]) -> tuple[Scale, ...]:
        by_number = {item.number: item for item in items}
        scales: list[Scale] = []
        for where, table in self.tables(
                raw, "scales", "expected an array of [[scales]] tables", {"id", "items", "method"},
                {"name", "multiplier", "max_missing", "prorate", "prorate_rounding", "higher_is",
                 "keyed", "lookup", "reverse_items", "bands", "reference_values", "norms",
                 "offset", "missing_verification"}, nonempty=True):
            scale_id = self.text(table, "id", f"{where}.")
            where = f"scales.{scale_id}"
            if any(s.id == scale_id for s in scales):
                raise self.fail(f"{where}.id", f"scale {scale_id!r} is defined twice")
            numbers = self.array(table, "items", f"{where}.")
            if not numbers:
                raise self.fail(f"{where}.items", "expected at least one item number")
            for number in numbers:
                if isinstance(number, bool) or not isinstance(number, int):
                    raise self.fail(f"{where}.items",
                                    f"expected item numbers (integers), found {number!r}")
                if number not in by_number:
                    raise self.fail(f"{where}.items",
                                    f"item {number!r} does not exist; items are "
                                    f"{min(by_number)}..{max(by_number)}")
                if not by_number[number].scored:
                    raise self.fail(f"{where}.items", f"item {number} is unscored (scored = false)")
            if len(set(numbers)) != len(numbers):
                raise self.fail(f"{where}.items", "an item is listed twice")
            method = self.text(table, "method", f"{where}.", choices=METHODS)
            multiplier = self.number(table, "multiplier", f"{where}.", default=1.0)
            max_missing = self.integer(table, "max_missing", f"{where}.", default=0)
            if max_missing >= len(numbers):
                raise self.fail(f"{where}.max_missing",
                                f"expected fewer than the scale's {len(numbers)} items, found {max_missing}")
            prorate = self.flag(table, "prorate", f"{where}.", False)
            offset = self.number(table, "offset", f"{where}.", default=0.0)
            if offset and method not in ("sum", "mean"):
                raise self.fail(f"{where}.offset", "only a 'sum' or 'mean' score takes an offset")
            missing_verification = None
            if "missing_verification" in table:
                if not max_missing:
                    raise self.fail(f"{where}.missing_verification",
                                    "a scale that allows no missing item has no missing-item rule "
                                    "to verify")
                missing_verification = self.verification(table["missing_verification"],
                                                         f"{where}.missing_verification")
            keyed = self.keyed(table.get("keyed"), where, method, numbers, by_number)
            lookup = self.lookup(table.get("lookup"), where, method)
            scale_items = [by_number[n] for n in numbers]
            reverse_items = self.reverse_items(table.get("reverse_items"), where, method, numbers,
                                               by_number)
            if method in ("sum", "mean", "lookup"):
                for item in scale_items:
                    if not item.score_map():
                        raise self.fail(f"{where}.method",
                                        f"item {item.number} has non-numeric codes and no scores; "
                                        f"method {method!r} needs numbers (use method = 'count')")
            if method in ("count", "lookup") and (max_missing or prorate):
                if method == "lookup":
                    raise self.fail(f"{where}.max_missing",
                                    "a lookup table applies to complete responses only")
            score_range = self.score_range(method, scale_items, multiplier, keyed, lookup)
            score_range = (score_range[0] + offset, score_range[1] + offset)
            if method == "lookup":
                low = int(sum(min(i.score_map().values()) for i in scale_items))
                high = int(sum(max(i.score_map().values()) for i in scale_items))
                if high - low > MAX_LOOKUP_KEY:
                    raise self.fail(f"{where}.lookup",
                                    f"the items' raw sum runs {low}..{high}, too wide for a "
                                    f"lookup table (at most {MAX_LOOKUP_KEY} entries)")
                missing_keys = [s for s in range(low, high + 1) if s not in lookup]
                if missing_keys:
                    raise self.fail(f"{where}.lookup",
                                    f"raw sums {missing_keys} have no converted score "
                                    f"(the table must cover {low}..{high})")
                extra_keys = sorted(k for k in lookup if not low <= k <= high)
                if extra_keys:
                    raise self.fail(f"{where}.lookup",
                                    f"raw sums {extra_keys[:10]} cannot occur: the items' raw sum "
                                    f"runs {low}..{high}; remove those keys")
            bands = self.bands(table.get("bands", []), where, score_range)
            scales.append(Scale(
                id=scale_id,
                name=self.text(table, "name", f"{where}.", default=scale_id),
                items=tuple(numbers),
                method=method,
                multiplier=multiplier,
                max_missing=max_missing,
                prorate=prorate,
                prorate_rounding=self.text(table, "prorate_rounding", f"{where}.", default="none",
                                           choices=ROUNDING),
                higher_is=self.text(table, "higher_is", f"{where}.", default="worse",
                                    choices=DIRECTIONS),
                keyed=keyed,
                lookup=lookup,
                reverse_items=reverse_items,
                bands=bands,
                reference_values=self.reference_values(table.get("reference_values", []), where),
                norms=self.norms(table.get("norms", []), where),
                score_range=score_range,
                offset=offset,
                missing_verification=missing_verification,
            ))
        return tuple(scales)

    def keyed(self, raw: Any, where: str, method: str, numbers: list[int],
              by_number: Mapping[int, Item]) -> dict[int, Code]:
        if method != "count":
            if raw is not None:
                raise self.fail(f"{where}.keyed", "only a scale with method = 'count' has keyed choices")
            return {}
        if not isinstance(raw, dict) or not raw:
            raise self.fail(f"{where}.keyed",
                            "method 'count' needs keyed = { item number = keyed code, ... }")
        keyed: dict[int, Code] = {}
        for key, code in raw.items():
            if not isinstance(code, int | str) or isinstance(code, bool):
                raise self.fail(f"{where}.keyed.{key}",
                                f"expected a response code (integer or string), found {code!r}")
            if not key.isdigit() or int(key) not in numbers:
                raise self.fail(f"{where}.keyed", f"{key!r} is not one of the scale's item numbers")
            if code not in by_number[int(key)].response_set.codes:
                raise self.fail(f"{where}.keyed.{key}",
                                f"{code!r} is not a response code of item {key}")
            keyed[int(key)] = code
        if sorted(keyed) != sorted(numbers):
            raise self.fail(f"{where}.keyed", "every item of a 'count' scale needs a keyed choice")
        return keyed

    def reverse_items(self, raw: Any, where: str, method: str, numbers: list[int],
                      by_number: Mapping[int, Item]) -> tuple[int, ...]:
        if raw is None:
            return ()
        if method == "count":
            raise self.fail(f"{where}.reverse_items",
                            "a 'count' scale has keyed choices; reverse_items needs numeric scores")
        if not isinstance(raw, list) or not raw or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in raw
        ):
            raise self.fail(f"{where}.reverse_items",
                            f"expected a non-empty list of item numbers, found {raw!r}")
        for number in raw:
            if number not in numbers:
                raise self.fail(f"{where}.reverse_items",
                                f"item {number} is not one of the scale's items {numbers}")
        if len(set(raw)) != len(raw):
            raise self.fail(f"{where}.reverse_items", "an item is listed twice")
        return tuple(raw)

    def lookup(self, raw: Any, where: str, method: str) -> dict[int, float]:
        if method != "lookup":
            if raw is not None:
                raise self.fail(f"{where}.lookup", "only a scale with method = 'lookup' has a table")
            return {}
        if not isinstance(raw, dict) or not raw:
            raise self.fail(f"{where}.lookup", "method 'lookup' needs lookup = { raw = score, ... }")
        table: dict[int, float] = {}
        for key, value in raw.items():
            if not key.isdigit() or isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(f"{where}.lookup.{key}", "expected integer raw sums mapped to numbers")
            if not math.isfinite(value):
                raise self.fail(f"{where}.lookup.{key}", f"expected a finite number, found {value!r}")
            if len(key) > 6 or int(key) > MAX_LOOKUP_KEY:
                raise self.fail(f"{where}.lookup.{key}",
                                f"raw sum {key} is far beyond any scale's range (at most "
                                f"{MAX_LOOKUP_KEY}); keys are the possible raw sums of the items")
            table[int(key)] = float(value)
        return table

    def score_range(self, method: str, items: list[Item], multiplier: float,
                    keyed: Mapping[int, Code], lookup: Mapping[int, float]) -> tuple[float, float]:
        if method == "count":
            return (0.0, float(len(keyed)) * multiplier)
        if method == "lookup":
            return (min(lookup.values()), max(lookup.values()))
        lows = [min(i.score_map().values()) for i in items]
        highs = [max(i.score_map().values()) for i in items]
        if method == "mean":
            return (sum(lows) / len(lows) * multiplier, sum(highs) / len(highs) * multiplier)
        return (sum(lows) * multiplier, sum(highs) * multiplier)

    def bands(self, raw: Any, where: str, score_range: tuple[float, float]) -> tuple[Band, ...]:
        bands: list[Band] = []
        for here, table in self.tables(raw, f"{where}.bands",
                                       "expected an array of [[scales.bands]] tables",
                                       {"min", "max", "label", "source"}, set()):
            band = Band(self.number(table, "min", f"{here}."), self.number(table, "max", f"{here}."),
                        self.text(table, "label", f"{here}."), self.text(table, "source", f"{here}."))
            if band.min > band.max:
                raise self.fail(here, f"min {band.min} is above max {band.max}")
            if bands and band.min <= bands[-1].max:
                raise self.fail(here, f"bands must be in increasing order without overlap; "
                                      f"{band.min} is not above the previous max {bands[-1].max}")
            bands.append(band)
        if bands and (bands[0].min > score_range[0] or bands[-1].max < score_range[1]):
            raise self.fail(f"{where}.bands",
                            f"bands cover {bands[0].min}..{bands[-1].max} but the scale ranges "
                            f"{score_range[0]}..{score_range[1]}")
        return tuple(bands)

    def reference_values(self, raw: Any, where: str) -> tuple[ReferenceValue, ...]:
        values = []
        for here, table in self.tables(raw, f"{where}.reference_values",
                                       "expected an array of tables",
                                       {"statistic", "value", "source"},
                                       {"sample", "n", "verified"}):
            values.append(ReferenceValue(
                statistic=self.text(table, "statistic", f"{here}.", choices=STATISTICS),
                value=self.number(table, "value", f"{here}."),
                source=self.text(table, "source", f"{here}."),
                sample=self.text(table, "sample", f"{here}.", default=""),
                n=self.integer(table, "n", f"{here}.", minimum=1) if "n" in table else None,
                verified=self.flag(table, "verified", f"{here}.", False),
            ))
        return tuple(values)

    def norms(self, raw: Any, where: str) -> tuple[Norm, ...]:
        norms = []
        for here, table in self.tables(raw, f"{where}.norms", "expected an array of tables",
                                       {"population", "mean", "sd", "source"},
                                       {"n", "verified"}):
            norms.append(Norm(
                population=self.text(table, "population", f"{here}.",
                                     choices=("clinical", "functional")),
                mean=self.number(table, "mean", f"{here}."),
                sd=self.number(table, "sd", f"{here}."),
                source=self.text(table, "source", f"{here}."),
                n=self.integer(table, "n", f"{here}.", minimum=1) if "n" in table else None,
                verified=self.flag(table, "verified", f"{here}.", False),
            ))
        return tuple(norms)

    def flags(self, raw: Any, items: tuple[Item, ...]) -> tuple[Flag, ...]:
        numbers = {item.number for item in items}
        flags = []
        for where, table in self.tables(raw, "flags", "expected an array of [[flags]] tables",
                                        {"id", "item", "min_code", "label"}, set()):
            item = self.integer(table, "item", f"{where}.", minimum=1)
            if item not in numbers:
                raise self.fail(f"{where}.item", f"item {item} does not exist")
            flags.append(Flag(self.text(table, "id", f"{where}."), item,
                              self.integer(table, "min_code", f"{where}."),
                              self.text(table, "label", f"{where}.")))
        return tuple(flags)
