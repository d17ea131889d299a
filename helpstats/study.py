"""Study files: the TOML description of a trial that ``helpstats analyze`` runs.

A study file names the exports to read, the columns of each questionnaire,
the id/wave/group columns, the helping-role rule, the outcomes and the mixed
model. Paths are relative to the study file. Every key is checked; a mistake
is reported as :class:`helpstats.errors.StudyError` naming the file, the line
and the key. The reference page of the format (every key, its type, default and
an example) is ``STUDY_FILE.md``, installed beside the example study
(``helpstats docs study-file`` prints it).

A complete file (``[roles]``, ``[table_one]`` and most keys are optional)::

    [study]
    title = "Helper-therapy pilot"          # used as the report title

    [data]
    files = ["export.csv"]                  # or [{ path = "month3.csv", wave = 3 }, ...]
    id = "participant"                      # one member
    wave = "wave"                           # time of measurement
    group = "group"                         # support group (cluster); optional
    baseline = 0                            # optional: default the first wave (below)
    waves = [0, 1, 3, 8]                    # optional: order of the waves
    wave_label = "Months since baseline"    # optional: the wave axis in tables and figures
    missing_codes = [-99, 999]              # optional: codes read as missing (every column
                                            # but ids), or { Q5_1 = [7, 9], ... } per column

    [instruments.phq9]                      # a bundled id, or ...
    columns = "Q5_{n}"                      # optional: pattern or { phq9_1 = "Q5_1", ... }
    [instruments.mymeasure]
    definition = "mymeasure.toml"           # ... your own definition file

    [roles]                                 # optional: helping roles (Maton 1988)
    giving = "helping_given"
    receiving = "helping_received"
    method = "median"                       # or "thresholds" with
    # thresholds = { giving = 2, receiving = 2 }   (high = strictly above)
    at = "baseline"                         # one role per member, or "each_wave"

    [model]
    outcomes = ["phq9_total"]               # scale scores ({id}_{scale}) or data columns
    by = "role"                             # the comparison: "role" or a column (arm)
    covariates = ["age"]                    # optional: added to the fixed part
    formula = "{outcome} ~ role * wave + (1 | participant) + (1 | group)"  # optional
    family = "gaussian"                     # optional: or "binomial", "poisson",
    #   "negative_binomial" (a GLMM), for all outcomes or per outcome:
    #   family = { remission = "binomial" }; link = "probit"; nagq = 1
    # kind = "mmrm"                         # instead: a mixed model for repeated measures
    # covariance = "us"                     # (mmrm) or a fallback list ["us", "toeph", "cs"]
    # df = "kenward-roger"                  # (mmrm) or "satterthwaite", "between-within", ...
    # vcov = "model"                        # (mmrm) or "empirical" (sandwich)
    [model.derived]                         # optional: binary outcomes from scores
    remission = "phq9_total < 5"            # comparisons: < <= > >= == != in, not in; and/or
    caseness = "phq9_total >= 10 or gad7_total >= 8"
    severe = "phq9_total_band in ['moderately severe', 'severe']"

    [table_one]                             # optional
    variables = ["age", "gender", "phq9_total"]

    [helping]                               # optional: the helper-therapy analyses
    columns = ["helping_given", "helping_received"]   # time-varying helping measures
    decompose = true                        # within/between model of each outcome
    lag = 1                                 # model on helping at the previous wave (0: none)
    mediation = { treatment = "arm", mediator = "empowerment_total", outcome = "phq9_total" }
    [labels.variables]                      # optional: names shown in tables and figures
    age = "Age (years)"
    [labels.levels.arm]                     # optional: level labels of one column
    0 = "Usual care"
    1 = "Peer support"
    [missing]                               # optional: missing-data report and MI
    method = "mi"                           # or "observed" (patterns and dropout only)
    imputation = "pmm"                      # or "norm" (Bayesian regression; no donor limits)
                                            # or "2l.pan" (random intercept per data.group)
    m = 20                                  # imputations
    seed = 1
    iterations = 20
    auxiliary = ["age"]                     # extra predictors of the imputation model
    deltas = [1, 2, 3]                      # tipping-point shifts (default: 0.25-1 baseline SD)
    shift_level = "peer"                    # whose imputed values are shifted (default: all)

Without ``waves``, numeric waves are in numeric order; text waves are in
the order in which ``files`` lists them (``[{ path = "pre.csv", wave =
"pre" }, { path = "post.csv", wave = "post" }]`` makes "pre" the first
wave) or, when a wave column inside the export(s) holds them, in order of
first appearance. A ``baseline`` moves that wave to the front. The first
wave is the baseline: the wave of Table 1, of baseline roles and the
reference level of the wave in the model; the report's methods text names
it.

The default formula is ``{outcome} ~ <by> * <wave> + (1 | <id>)``, plus
``(1 | <group>)`` when a group column is given; the wave enters the model as
a factor (one mean per wave). With ``kind = "mmrm"`` it has no random part
(``{outcome} ~ <by> * <wave>``): the visits of a member share one residual
covariance matrix (``covariance``), the subject is ``data.id`` and the visit
``data.wave`` (see :func:`helpstats.fit_mmrm`).

A derived outcome (``[model.derived]``) is 1 where its condition holds, 0
where it does not and missing where a column it reads is missing (``or``
and ``and`` follow three-valued logic: ``missing or True`` is 1). The
condition is parsed, never run as code. Derived outcomes are fitted with
``family = "binomial"`` unless ``family`` names another for them.

Examples
--------
>>> import helpstats as hs
>>> study = hs.load_study(hs.datasets.example_study_path())
>>> study.id, study.wave, study.model.outcomes
('participant', 'wave', ('phq9_total', 'gad7_total'))
>>> study.formula_for("phq9_total")
'phq9_total ~ age + role * wave + (1 | participant) + (1 | group)'
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InstrumentError, StudyError
from .instruments import Instrument, load_instrument
from .missing._analysis import MissingSpec

__all__ = [
    "DataFile",
    "HelpingSpec",
    "InstrumentSpec",
    "ModelSpec",
    "RoleSpec",
    "Study",
    "load_study",
]

_KEY = re.compile(r'^\s*((?:[A-Za-z0-9_-]+|"[^"]*")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"))*)\s*=')
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip('"') for part in text.split("."))


def find_line(text: str, key: tuple[str, ...]) -> int | None:
    """Line number (1-based) where ``key`` (a path of names) is set in TOML ``text``.

    Falls back to the line of the longest enclosing table or key found, or
    ``None``.

    Examples
    --------
    >>> find_line("[data]\\nid = 'x'\\n[model]\\nformula = 'y ~ x'\\n", ("model", "formula"))
    4
    >>> find_line("[data]\\nid = 'x'\\n", ("data", "wave"))
    1
    """
    best: tuple[int, int] = (0, 0)  # (length of the matched prefix, line)
    header: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        found = _HEADER.match(line)
        if found:
            header = _split_key(found.group(1))
            full = header
        else:
            assignment = _KEY.match(line)
            if not assignment:
                continue
            full = header + _split_key(assignment.group(1))
        common = 0
        for a, b in zip(full, key, strict=False):
            if a != b:
                break
            common += 1
        if common == len(full) and common > best[0]:
            best = (common, number)
            if common == len(key):
                return number
    return best[1] or None


@dataclass(frozen=True)
class DataFile:
    """One export file; ``wave`` is set when the file holds a single wave."""

    path: Path
    wave: Any = None


@dataclass(frozen=True)
class InstrumentSpec:
    """An instrument and where its items are (``columns`` as for ``hs.score``)."""

    instrument: Instrument
    columns: str | Mapping[str, str] | None = None


@dataclass(frozen=True)
class RoleSpec:
    """How helping roles are classified (see :func:`helpstats.classify_roles`)."""

    giving: str
    receiving: str
    method: str = "median"
    thresholds: Mapping[str, float] | None = None
    at: str = "baseline"


@dataclass(frozen=True)
class HelpingSpec:
    """The ``[helping]`` section: time-varying helping columns and the analyses asked for.

    ``mediation`` is None or a dict with ``treatment``, ``mediator``, ``outcome`` (on long
    data: baseline-adjusted change to the last wave, see ``helpstats.report``).
    """

    columns: tuple[str, ...]
    decompose: bool = True
    lag: int = 1
    mediation: Mapping[str, str] | None = None


@dataclass(frozen=True)
class ModelSpec:
    """Outcomes, comparison, covariates and formula template (``{outcome}``); the model
    kind (``"mixed"`` or ``"mmrm"``), the family of each outcome (``"gaussian"`` or a
    GLMM family), the GLMM's ``link``/``nagq``, the MMRM's ``covariance``, ``df`` and
    ``vcov``, and the derived binary outcomes (name -> condition)."""

    outcomes: tuple[str, ...]
    by: str | None
    covariates: tuple[str, ...] = ()
    formula: str = ""
    kind: str = "mixed"
    families: Mapping[str, str] = field(default_factory=dict)
    link: str | None = None
    nagq: int = 1
    covariance: tuple[str, ...] = ("us",)
    df: str | None = None
    vcov: str = "model"
    derived: Mapping[str, str] = field(default_factory=dict)

    def family_of(self, outcome: str) -> str:
        """The family an outcome is fitted with (``"gaussian"`` for a linear model)."""
        return self.families.get(outcome, "binomial" if outcome in self.derived else "gaussian")


@dataclass(frozen=True)
class Study:
    """A parsed study file. ``source`` keeps its text to locate keys in errors."""

    path: Path
    source: str
    title: str
    files: tuple[DataFile, ...]
    id: str
    wave: str
    group: str | None
    baseline: Any
    waves: tuple[Any, ...] | None
    instruments: tuple[InstrumentSpec, ...]
    roles: RoleSpec | None
    model: ModelSpec
    table_one: tuple[str, ...] = field(default_factory=tuple)
    helping: HelpingSpec | None = None
    missing: MissingSpec | None = None
    wave_label: str | None = None
    variable_labels: Mapping[str, str] = field(default_factory=dict)
    level_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    missing_codes: Any = None

    def error(self, key: str, message: str) -> StudyError:
        """A :class:`StudyError` naming this file, the line of ``key`` and ``key``."""
        return _error(self.path, self.source, key, message)

    def formula_for(self, outcome: str) -> str:
        """The model formula for one outcome, covariates included (names the formula
        language cannot write bare are back-quoted)."""
        from .models import add_terms, quote_name

        formula = self.model.formula.replace("{outcome}", quote_name(outcome))
        return add_terms(formula, list(self.model.covariates))


def _error(path: Path, source: str, key: str, message: str) -> StudyError:
    line = find_line(source, _split_key(key))
    where = f"line {line}" if line else "(key not present)"
    return StudyError(f"{path}, {where}, key '{key}': {message}")


class _Reader:
    """Typed access to the parsed TOML; every failure names file, line and key."""

    def __init__(self, path: Path, source: str) -> None:
        self.path, self.source = path, source

    def fail(self, key: str, message: str) -> StudyError:
        return _error(self.path, self.source, key, message)

    def table(self, raw: Mapping[str, Any], key: str, allowed: set[str],
              required: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
        value = raw.get(key.rsplit(".", 1)[-1], {})
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table [{key}], found {value!r}.")
        for name in value:
            if name not in allowed:
                raise self.fail(f"{key}.{name}", f"unknown key; allowed keys in [{key}]: "
                                f"{', '.join(sorted(allowed))}.")
        for name in sorted(required):
            if name not in value:
                raise self.fail(key, f"required key '{name}' is missing from [{key}].")
        return value

    def text(self, table: Mapping[str, Any], name: str, key: str,
             default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        value = table.get(name, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key}.{name}", f"expected a non-empty string, found {value!r}.")
        if choices and value not in choices:
            raise self.fail(f"{key}.{name}",
                            f"expected one of {', '.join(choices)}; found {value!r}.")
        return value

    def texts(self, table: Mapping[str, Any], name: str, key: str,
              required: bool = False) -> tuple[str, ...]:
        value = table.get(name, None if required else [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value) \
                or (required and not value):
            raise self.fail(f"{key}.{name}", f"expected a list of column names, found {value!r}.")
        return tuple(value)


def load_study(path: str | Path) -> Study:
    """Read and check a study file.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.toml`` study file (format in this module's documentation).

    Returns
    -------
    Study

    Raises
    ------
    helpstats.errors.StudyError
        The file is missing, not valid TOML, or a key is unknown, missing or
        of the wrong type; the message names the file, line and key.

    Examples
    --------
    >>> import helpstats as hs
    >>> study = hs.load_study(hs.datasets.example_study_path())
    >>> [spec.instrument.id for spec in study.instruments]
    ['phq9', 'gad7', 'who5']
    >>> study.roles.method, study.roles.at
    ('median', 'baseline')
    """
    file = Path(path)
    try:
        source = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise StudyError(f"{file}: cannot read the study file ({exc.strerror}).") from None
    except UnicodeDecodeError:
        raise StudyError(f"{file}: the study file is not UTF-8 text.") from None
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(
            f"{file}: not valid TOML: {exc}. Check the quotes, brackets and '=' on that line."
        ) from None
    except RecursionError:
        raise StudyError(f"{file}: arrays or tables are nested too deeply for a study file; "
                         "a study file needs at most a list of tables (data.files).") from None
    read = _Reader(file, source)
    sections = {"study", "data", "instruments", "roles", "model", "table_one", "helping", "missing",
                "labels"}
    for name in raw:
        if name not in sections:
            raise read.fail(name, "unknown section; a study file has: "
                            f"{', '.join(sorted(sections))}.")

    study_table = read.table(raw, "study", {"title", "description"})
    title = read.text(study_table, "title", "study", default=file.stem)

    data = read.table(raw, "data", {"files", "id", "wave", "group", "baseline", "waves",
                                    "wave_label", "missing_codes"},
                      required={"files", "id", "wave"})
    files = _files(read, file.parent, data.get("files"))
    id_col = read.text(data, "id", "data")
    wave_col = read.text(data, "wave", "data")
    group_col = read.text(data, "group", "data") if "group" in data else None
    wave_label = read.text(data, "wave_label", "data") if "wave_label" in data else None
    waves = data.get("waves")
    if waves is not None and (not isinstance(waves, list) or len(waves) < 2
                              or not all(_is_wave(w) for w in waves)
                              or len(set(map(repr, waves))) != len(waves)):
        raise read.fail("data.waves", f"expected a list of at least two distinct waves "
                        f"(numbers or strings), found {waves!r}.")
    if "baseline" in data and not _is_wave(data["baseline"]):
        raise read.fail("data.baseline", f"expected one wave (a number or a string), found "
                        f"{data['baseline']!r}.")
    baseline = data.get("baseline", waves[0] if waves else None)
    if waves is not None and baseline not in waves:
        raise read.fail("data.baseline", f"{baseline!r} is not one of data.waves {waves!r}.")

    for key, column in (("data.wave", wave_col), ("data.group", group_col)):
        if column == id_col:
            raise read.fail(key, f"{column!r} is also data.id; the id, wave and group columns "
                            "must be three different columns.")
    if group_col is not None and group_col == wave_col:
        raise read.fail("data.group", f"{group_col!r} is also data.wave; the group is the "
                        "support group or agency a member belongs to.")
    instruments = _instruments(read, file.parent, raw.get("instruments"))
    roles = _roles(read, raw) if "roles" in raw else None

    model = read.table(raw, "model", {"outcomes", "by", "covariates", "formula", *_MODEL_KEYS},
                       required={"outcomes"})
    outcomes = read.texts(model, "outcomes", "model", required=True)
    by: str | None = None
    if "by" in model:
        by = read.text(model, "by", "model")
    elif roles is not None:
        by = "role"
    if by == "role" and roles is None:
        raise read.fail("model.by", "by = 'role' needs a [roles] section (giving, receiving).")
    if by is not None and by in (id_col, wave_col, *outcomes):
        what = {id_col: "the id column (data.id)", wave_col: "the wave column (data.wave)"}.get(
            by, "an outcome")
        raise read.fail("model.by", f"by = {by!r} is {what}; by names the comparison between "
                        "members, such as 'role' or the trial arm.")
    covariates = read.texts(model, "covariates", "model")
    for covariate in covariates:
        clash = {id_col: "the id column (data.id)", wave_col: "the wave column (already in "
                 "the model)", by: "the comparison (model.by, already in the model)"}
        clash.update(dict.fromkeys(outcomes, "an outcome"))
        if covariate in clash:
            raise read.fail("model.covariates", f"covariate {covariate!r} is {clash[covariate]}; "
                            "a covariate is another measured variable, such as age.")
    if len(set(covariates)) != len(covariates):
        raise read.fail("model.covariates", f"a covariate is listed twice: {list(covariates)}.")
    options = _model_options(read, model, outcomes, multiple_imputation="missing" in raw)
    default = f"{{outcome}} ~ {by} * {wave_col}" if by else f"{{outcome}} ~ {wave_col}"
    if options.get("kind") != "mmrm":
        default += f" + (1 | {id_col})" + (f" + (1 | {group_col})" if group_col else "")
    formula = read.text(model, "formula", "model", default=default)
    if "{outcome}" not in formula or "~" not in formula:
        raise read.fail("model.formula", f"expected a formula such as '{default}' with the "
                        f"placeholder {{outcome}} left of '~'; found {formula!r}.")

    t1 = read.table(raw, "table_one", {"variables"})
    variables = read.texts(t1, "variables", "table_one") or tuple(
        dict.fromkeys([*covariates, *outcomes]))
    return Study(
        path=file, source=source, title=title, files=files, id=id_col, wave=wave_col,
        group=group_col, baseline=baseline, waves=tuple(waves) if waves else None,
        instruments=instruments, roles=roles,
        model=ModelSpec(outcomes=outcomes, by=by, covariates=covariates, formula=formula,
                        **options),
        table_one=variables,
        helping=_helping(read, raw) if "helping" in raw else None,
        missing=_missing(read, raw, group_col) if "missing" in raw else None,
        wave_label=wave_label,
        missing_codes=_missing_codes(read, data.get("missing_codes")),
        **_labels(read, raw),
    )


def _is_code(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _missing_codes(read: _Reader, value: Any) -> Any:
    """``data.missing_codes``: a list of codes for every column, or column -> code(s)."""
    if value is None:
        return None
    if isinstance(value, list) and value and all(_is_code(v) for v in value):
        return list(value)
    if isinstance(value, dict) and value and all(
            _is_code(v) or (isinstance(v, list) and v and all(_is_code(c) for c in v))
            for v in value.values()):
        return dict(value)
    raise read.fail("data.missing_codes", "expected a list of codes such as [-99, 999] or a "
                    f"table {{ Q5_1 = [7, 9] }} of codes per column; found {value!r}.")


def _labels(read: _Reader, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``[labels.variables]`` (column -> label) and ``[labels.levels.<column>]`` (level ->
    label); level keys are text, as TOML keys always are."""
    table = read.table(raw, "labels", {"variables", "levels"})
    variables = table.get("variables", {})
    if not isinstance(variables, dict) or not all(
            isinstance(v, str) and v.strip() for v in variables.values()):
        raise read.fail("labels.variables", "expected a table of column = \"label\" lines, "
                        f"found {variables!r}.")
    levels = table.get("levels", {})
    if not isinstance(levels, dict):
        raise read.fail("labels.levels", "expected [labels.levels.<column>] tables of "
                        f"level = \"label\" lines, found {levels!r}.")
    for column, mapping in levels.items():
        if not isinstance(mapping, dict) or not all(
                isinstance(v, str) and v.strip() for v in mapping.values()):
            raise read.fail(f"labels.levels.{column}", "expected level = \"label\" lines, "
                            f"such as 1 = \"Peer support\"; found {mapping!r}.")
    return {"variable_labels": dict(variables),
            "level_labels": {column: dict(mapping) for column, mapping in levels.items()}}


def _missing(read: _Reader, raw: Mapping[str, Any], group: str | None) -> MissingSpec:
    table = read.table(raw, "missing", {"method", "imputation", "m", "seed", "iterations",
                                        "auxiliary", "deltas", "shift_level"})
    numbers = {}
    for name, default, low in (("m", 20, 2), ("seed", 1, 0), ("iterations", 20, 1)):
        value = table.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise read.fail(f"missing.{name}", f"expected a whole number of at least {low}, "
                            f"found {value!r}.")
        numbers[name] = value
    deltas = table.get("deltas")
    if deltas is not None and not (isinstance(deltas, list) and deltas and all(
            isinstance(d, int | float) and not isinstance(d, bool) for d in deltas)):
        raise read.fail("missing.deltas", f"expected a list of numbers, found {deltas!r}.")
    if table.get("imputation") == "2l.pan" and group is None:
        raise read.fail("missing.imputation", "'2l.pan' imputes members within their support "
                        "group: it needs data.group (the group column).")
    shift = table.get("shift_level")
    if shift is not None and not isinstance(shift, str | int | float):
        raise read.fail("missing.shift_level", f"expected a level of the comparison, found {shift!r}.")
    return MissingSpec(
        method=read.text(table, "method", "missing", default="mi", choices=("mi", "observed")),
        imputation=read.text(table, "imputation", "missing", default="pmm",
                             choices=("pmm", "norm", "2l.pan")),
        m=numbers["m"], seed=numbers["seed"], iterations=numbers["iterations"],
        auxiliary=read.texts(table, "auxiliary", "missing"),
        deltas=tuple(float(d) for d in deltas) if deltas is not None else None,
        shift_level=shift,
    )


def _is_wave(value: Any) -> bool:
    """A wave value: a finite number or a non-empty string (not a list, table or boolean)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and bool(value.strip())


def _files(read: _Reader, folder: Path, value: Any) -> tuple[DataFile, ...]:
    if not isinstance(value, list) or not value:
        raise read.fail("data.files", f"expected a list of export paths, found {value!r}.")
    files = []
    for entry in value:
        if isinstance(entry, str):
            path, wave = entry, None
        elif isinstance(entry, dict) and set(entry) <= {"path", "wave"} and "path" in entry:
            path, wave = entry["path"], entry.get("wave")
        else:
            raise read.fail("data.files", f"each entry is a path or {{ path = ..., wave = ... }}; "
                            f"found {entry!r}.")
        if not isinstance(path, str) or not path.strip():
            raise read.fail("data.files", f"path = ... must be a file name (a string); found "
                            f"{path!r}.")
        if wave is not None and not _is_wave(wave):
            raise read.fail("data.files", f"wave = ... must be one wave (a number or a string); "
                            f"found {wave!r} for {path!r}.")
        full = (folder / path) if not Path(path).is_absolute() else Path(path)
        if not full.is_file():
            raise read.fail("data.files", f"export file {str(full)!r} does not exist (paths are "
                            "relative to the study file).")
        files.append(DataFile(full, wave))
    return tuple(files)


def _instruments(read: _Reader, folder: Path, value: Any) -> tuple[InstrumentSpec, ...]:
    if not isinstance(value, dict) or not value:
        raise read.fail("instruments", "expected at least one [instruments.<id>] table, e.g. "
                        "[instruments.phq9].")
    specs = []
    for name, table in value.items():
        key = f"instruments.{name}"
        table = read.table(value, key, {"columns", "definition"})
        try:
            if "definition" in table:
                definition = read.text(table, "definition", key)
                instrument = load_instrument(folder / definition)
            else:
                instrument = load_instrument(name)
        except InstrumentError as exc:
            raise read.fail(key, str(exc)) from None
        columns = table.get("columns")
        if isinstance(columns, dict):
            unknown = [k for k in columns if k not in instrument.item_ids]
            if unknown:
                raise read.fail(f"{key}.columns", f"unknown item id(s) {unknown} for "
                                f"{instrument.id}; its items are {instrument.item_ids[0]} .. "
                                f"{instrument.item_ids[-1]}.")
        if columns is not None and not (
            (isinstance(columns, str) and "{n}" in columns)
            or (isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values()))
        ):
            raise read.fail(f"{key}.columns", "expected a pattern with {n} such as 'Q5_{n}', or a "
                            f"table {{ {instrument.id}_1 = \"Q5_1\", ... }}; found {columns!r}.")
        specs.append(InstrumentSpec(instrument, columns))
    return tuple(specs)


def _helping(read: _Reader, raw: Mapping[str, Any]) -> HelpingSpec:
    table = read.table(raw, "helping", {"columns", "decompose", "lag", "mediation"},
                       required={"columns"})
    columns = read.texts(table, "columns", "helping", required=True)
    decompose = table.get("decompose", True)
    if not isinstance(decompose, bool):
        raise read.fail("helping.decompose", f"expected true or false; found {decompose!r}.")
    lag = table.get("lag", 1)
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
        raise read.fail("helping.lag", f"expected a whole number of waves >= 0 (0: no lagged "
                        f"model); found {lag!r}.")
    mediation = table.get("mediation")
    keys = {"treatment", "mediator", "outcome"}
    if mediation is not None and not (
            isinstance(mediation, dict) and set(mediation) == keys
            and all(isinstance(v, str) for v in mediation.values())):
        raise read.fail("helping.mediation", "expected mediation = { treatment = \"arm\", "
                        f"mediator = \"...\", outcome = \"...\" }}; found {mediation!r}.")
    return HelpingSpec(columns=columns, decompose=decompose, lag=lag, mediation=mediation)


def _roles(read: _Reader, raw: Mapping[str, Any]) -> RoleSpec:
    table = read.table(raw, "roles", {"giving", "receiving", "method", "thresholds", "at"},
                       required={"giving", "receiving"})
    method = read.text(table, "method", "roles", default="median",
                       choices=("median", "thresholds"))
    thresholds = table.get("thresholds")
    if method == "thresholds":
        numbers = isinstance(thresholds, dict) and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in thresholds.values())
        if not numbers or set(thresholds or {}) != {"giving", "receiving"}:
            raise read.fail("roles.thresholds" if thresholds is not None else "roles.method",
                            "method = 'thresholds' needs thresholds = { giving = <number>, "
                            f"receiving = <number> }}; found {thresholds!r}.")
    elif thresholds is not None:
        raise read.fail("roles.thresholds", "thresholds are used only with method = 'thresholds'.")
    return RoleSpec(
        giving=read.text(table, "giving", "roles"),
        receiving=read.text(table, "receiving", "roles"),
        method=method,
        thresholds=thresholds,
        at=read.text(table, "at", "roles", default="baseline", choices=("baseline", "each_wave")),
    )


_MODEL_KEYS = {"kind", "family", "link", "nagq", "covariance", "df", "vcov", "derived"}


def _model_options(read: _Reader, model: Mapping[str, Any], outcomes: tuple[str, ...],
                   multiple_imputation: bool = False) -> dict[str, Any]:
    """The [model] keys that choose the model family: kind, family (one for all outcomes
    or a table by outcome), link, nagq; covariance, df, vcov (MMRM); derived outcomes."""
    from ._analysis_models import parse_condition
    from .models.families import get_family
    from .models.mmrm import MMRM_DF_METHODS, STRUCTURES, VCOV_TYPES

    out: dict[str, Any] = {}
    kind = read.text(model, "kind", "model", default="mixed", choices=("mixed", "mmrm"))
    out["kind"] = kind
    derived = model.get("derived", {})
    if not isinstance(derived, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in derived.items()):
        raise read.fail("model.derived", "expected [model.derived] lines such as "
                        f"remission = \"phq9_total < 5\"; found {derived!r}.")
    for name, condition in derived.items():
        try:
            parse_condition(condition)
        except StudyError as exc:
            raise read.fail(f"model.derived.{name}", str(exc)) from None
    out["derived"] = dict(derived)
    family = model.get("family", {})  # absent: Gaussian, derived outcomes binomial
    by_outcome = family if isinstance(family, dict) else dict.fromkeys(outcomes, family)
    unknown = [k for k in by_outcome if k not in outcomes]
    if unknown:
        raise read.fail("model.family", f"{unknown} are not outcomes; model.outcomes has "
                        f"{list(outcomes)}.")
    for outcome, name in by_outcome.items():
        if not isinstance(name, str) or not name.strip():
            raise read.fail("model.family", f"expected a family name such as \"binomial\", "
                            f"found {name!r} (for {outcome}).")
        if name.strip().lower() != "gaussian":
            try:
                get_family(name)
            except ValueError as exc:
                raise read.fail("model.family", str(exc)) from None
    out["families"] = {k: v.strip() for k, v in by_outcome.items()}
    if "link" in model:
        out["link"] = read.text(model, "link", "model")
    nagq = model.get("nagq", 1)
    if isinstance(nagq, bool) or not isinstance(nagq, int) or not 1 <= nagq <= 25:
        raise read.fail("model.nagq", f"expected a whole number from 1 (Laplace) to 25, "
                        f"found {nagq!r}.")
    out["nagq"] = nagq
    covariance = model.get("covariance", "us")
    structures = [covariance] if isinstance(covariance, str) else covariance
    if not isinstance(structures, list) or not structures or not all(
            isinstance(c, str) and c in STRUCTURES for c in structures):
        raise read.fail("model.covariance", f"expected one of {', '.join(STRUCTURES)} or a "
                        f"fallback list of them; found {covariance!r}.")
    out["covariance"] = tuple(structures)
    if "df" in model:
        out["df"] = read.text(model, "df", "model", choices=MMRM_DF_METHODS)
    out["vcov"] = read.text(model, "vcov", "model", default="model", choices=tuple(VCOV_TYPES))
    mmrm_keys = [k for k in ("covariance", "df", "vcov") if k in model]
    if kind != "mmrm" and mmrm_keys:
        raise read.fail(f"model.{mmrm_keys[0]}", "covariance, df and vcov choose the "
                        "residual covariance of an MMRM; add kind = \"mmrm\" or leave them out.")
    families = {k for k, v in out["families"].items() if v.lower() != "gaussian"}
    glmm = families | {d for d in derived if d in outcomes and d not in out["families"]}
    if kind == "mmrm" and glmm:
        raise read.fail("model.kind", f"an MMRM models a continuous outcome; {sorted(glmm)} "
                        "would be fitted with a non-Gaussian family. Fit those with "
                        "kind = \"mixed\" (a GLMM) in a second study file.")
    if multiple_imputation and (kind == "mmrm" or glmm):
        raise read.fail("missing", "the [missing] section's imputation models refit linear "
                        "mixed models only; with kind = \"mmrm\" or a GLMM family leave "
                        "[missing] out (an MMRM already uses every observed visit under "
                        "missing at random).")
    return out
