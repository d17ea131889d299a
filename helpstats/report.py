"""``helpstats analyze``: from a study file to the tables, plots and report of a trial.

:func:`analyze` reads the exports named in a study file (see
:mod:`helpstats.study`), checks and scores every questionnaire, classifies
helping roles, fits one mixed model per outcome and writes to the output
folder:

=========================  ====================================================
``scored_data.csv``        the analysis frame: the exports' columns, the
                           scale scores and the role
``validation.csv``/``.md`` every invalid or missing cell, rows left out and
                           warnings, with the reason
``tables.xlsx``/``.md``    Table 1 (baseline), role cut-offs, reliability per
                           wave, attrition, and per outcome the outcome table
                           and the model table
``trajectory_<outcome>``   ``.png``: marginal means with 95% CIs by group
``report.html``            all of the above with the methods text
=========================  ====================================================

Examples
--------
The first step, without the models (``hs.analyze(path, folder)`` runs all):

>>> import helpstats as hs
>>> from helpstats.report import build_frame
>>> frame, validation = build_frame(hs.load_study(hs.datasets.example_study_path()))
>>> frame[["phq9_total", "gad7_total", "role"]].notna().sum().tolist()
[451, 420, 451]
>>> len(validation)
0
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import numbers
import os
import platform
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from ._analysis_models import (
    derive_outcomes,
    fit_outcome,
    model_columns,
    model_paragraph,
    outcome_tables,
    plot_source,
)
from ._ids import id_text
from ._output import (
    atomic_write,
    check_output,
    make_folder,
    markdown_text,
    safe_stem,
    write_csv,
    write_text,
)
from .errors import HelpstatsError, InvalidCellsWarning, OutputError
from .io import read_export
from .roles import ROLE_DTYPE, classify_roles, describe_role_rule, role_cutoffs
from .scoring import find_invalid_cells, score, show_value
from .study import RoleSpec, Study, load_study

__all__ = ["Analysis", "analyze", "build_frame", "methods_text", "render_report"]

_SOFTWARE = ("numpy", "pandas", "scipy", "statsmodels", "nlopt", "matplotlib", "openpyxl")


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyze` produced.

    Attributes
    ----------
    study : Study
    output_dir : pathlib.Path
    files : tuple of pathlib.Path
        Every file written.
    data : pandas.DataFrame
        The analysis frame (as in ``scored_data.csv``).
    validation : pandas.DataFrame
        Columns ``source, row, column, item, value, problem``.
    tables : dict of str to pandas.DataFrame
        The numeric tables, by sheet name.
    fits : dict
        The mixed-model fit of each outcome.
    """

    study: Study
    output_dir: Path
    files: tuple[Path, ...]
    data: pd.DataFrame
    validation: pd.DataFrame
    tables: Mapping[str, pd.DataFrame]
    fits: Mapping[str, Any]


_VALIDATION_COLUMNS = ["source", "row", "column", "item", "value", "problem"]


def _read(study: Study) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Read and stack the exports; a file's ``wave`` fills the wave column."""
    frames = []
    for entry in study.files:
        try:
            export = read_export(entry.path)
        except HelpstatsError as exc:
            raise study.error("data.files", str(exc)) from None
        frame = export.data.copy()
        if entry.wave is not None:
            if study.wave in frame.columns:
                raise study.error("data.files", f"{entry.path.name} has a {study.wave!r} column "
                                  f"and a wave = {entry.wave!r} in the study file; keep one.")
            frame[study.wave] = entry.wave
        frame.insert(0, "source", entry.path.name)
        frame.insert(1, "source_row", export.file_rows())
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    for key, column in (("data.id", study.id), ("data.wave", study.wave),
                        ("data.group", study.group)):
        if column is not None and column not in data.columns:
            raise study.error(key, f"column {column!r} is not in the export(s); their columns "
                              f"are: {', '.join(map(str, data.columns[2:30]))}.")
    # one member, one id: compared as exported text (``001`` from one file, 100 read as a
    # number from another), see helpstats._ids
    data[study.id] = id_text(data[study.id])
    problems: list[dict[str, Any]] = []
    unusable = data[study.id].isna() | data[study.wave].isna()
    for idx in data.index[unusable]:
        problems.append({"source": data.at[idx, "source"], "row": data.at[idx, "source_row"],
                         "column": study.id if pd.isna(data.at[idx, study.id]) else study.wave,
                         "item": "", "value": "", "problem": "row left out: no id or wave"})
    data = data.loc[~unusable].reset_index(drop=True)
    if study.waves is not None:
        wave_text = data[study.wave].map(str)
        known = {str(w): w for w in study.waves}
        unknown = sorted(set(wave_text) - set(known))
        if unknown:
            raise study.error("data.waves", f"the data have wave(s) {', '.join(unknown)} not in "
                              f"data.waves {list(study.waves)!r}; list every wave.")
        data[study.wave] = wave_text.map(known)
    duplicated = data.duplicated([study.id, study.wave], keep=False)
    if duplicated.any():
        pairs = data.loc[duplicated, [study.id, study.wave]].drop_duplicates().head(5)
        shown = "; ".join(f"{r[study.id]} at {r[study.wave]}" for _, r in pairs.iterrows())
        raise study.error("data.id", f"{int(duplicated.sum())} rows share an id and wave "
                          f"({shown}); each member answers once per wave.")
    return data, problems


def _waves(study: Study, data: pd.DataFrame) -> list[Any]:
    """The waves in study order; the first is the baseline (see :func:`_wave_order`)."""
    if study.waves is not None:
        return list(study.waves)
    # _read stacks the files in study-file order, so this is file order, then row order
    values = data[study.wave].dropna().unique().tolist()
    if _numeric(values):
        values = sorted(values)
    if study.baseline is not None and study.baseline in values:
        values.remove(study.baseline)
        values.insert(0, study.baseline)
    return values


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values)


def _wave_order(study: Study, waves: list[Any]) -> str:
    """How the wave order (and so the baseline) was chosen, for the methods text."""
    if study.waves is not None:
        how = "as listed in the study file's data.waves"
    elif study.baseline is not None:
        how = "set by the study file's data.baseline"
    elif _numeric(waves):
        how = "the lowest wave number"
    elif all(entry.wave is not None for entry in study.files):
        how = "the wave of the first file listed in the study file's data.files"
    else:
        how = "the wave that appears first in the data (order of first appearance)"
    return f"The baseline (reference) wave is {waves[0]} ({how})."


def build_frame(study: Study) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read, validate and score the exports and classify the roles.

    Parameters
    ----------
    study : Study

    Returns
    -------
    data : pandas.DataFrame
        The exports' columns (plus ``source`` and ``source_row``: file and
        row number in that file, after its header rows), the scale scores of
        every instrument and, with a ``[roles]`` section, ``role`` (and the
        rule in ``attrs["role_rule"]``). The wave column is an ordered
        categorical in the study's wave order (see :mod:`helpstats.study`);
        its first category is the baseline.
    validation : pandas.DataFrame
        Columns ``source, row, column, item, value, problem``: invalid cells
        (scored as missing), absent item columns and rows left out.

    Raises
    ------
    helpstats.errors.StudyError
        A column named in the study file is absent, an item column is
        missing, or ids and waves repeat; the message names the study key.
    """
    data, problems = _read(study)
    scores = []
    for spec in study.instruments:
        inst = spec.instrument
        key = f"instruments.{inst.id}"
        invalid = find_invalid_cells(data, inst, spec.columns)
        absent = invalid[invalid["problem"] == "missing column"]
        if len(absent):
            raise study.error(f"{key}.columns" if spec.columns is not None else key,
                              f"item column(s) {', '.join(map(str, absent['column']))} of "
                              f"{inst.abbreviation} are not in the export(s); give their names "
                              "with columns = 'pattern {n}' or a table.")
        for _, cell in invalid.iterrows():
            problems.append({"source": data.at[cell["row"], "source"],
                             "row": data.at[cell["row"], "source_row"],
                             "column": cell["column"], "item": cell["item"],
                             "value": cell["value"], "problem": f"{cell['problem']}: scored as "
                             f"missing (allowed: {cell['allowed']})"})
        scores.append(score(data, inst, columns=spec.columns, on_invalid="missing"))
    frame = pd.concat([data, *scores], axis=1)
    frame[study.wave] = pd.Categorical(frame[study.wave], categories=_waves(study, frame),
                                       ordered=True)
    if study.roles is not None:
        roles = _roles(study, study.roles, frame)
        frame["role"] = roles
        frame.attrs["role_rule"] = roles.attrs["role_rule"]
    validation = pd.DataFrame(problems, columns=_VALIDATION_COLUMNS)
    return frame, validation


def _roles(study: Study, spec: RoleSpec, frame: pd.DataFrame) -> pd.Series:
    for key in ("giving", "receiving"):
        column = getattr(spec, key)
        if column not in frame.columns:
            raise study.error(f"roles.{key}", f"column {column!r} is not in the export(s).")
    thresholds = dict(spec.thresholds) if spec.thresholds is not None else None
    if spec.at == "each_wave":
        return classify_roles(frame, giving=spec.giving, receiving=spec.receiving,
                              method=spec.method, thresholds=thresholds, by=study.wave)
    baseline = study.baseline if study.baseline is not None else frame[study.wave].cat.categories[0]
    first = frame[frame[study.wave] == baseline].set_index(study.id)
    roles = classify_roles(first, giving=spec.giving, receiving=spec.receiving,
                           method=spec.method, thresholds=thresholds)
    spread = pd.Series(pd.Categorical(frame[study.id].map(roles), dtype=ROLE_DTYPE),
                       index=frame.index, name="role")
    spread.attrs["role_rule"] = roles.attrs["role_rule"]
    return spread


def software_versions() -> dict[str, str]:
    """Versions of Python, helpstats and the libraries behind the numbers."""
    from . import __version__

    versions = {"Python": platform.python_version(), "helpstats": __version__}
    for name in _SOFTWARE:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def methods_text(study: Study, data: pd.DataFrame) -> list[str]:
    """Paragraphs of the methods section: instruments, roles, model, software.

    Parameters
    ----------
    study : Study
    data : pandas.DataFrame
        The analysis frame from :func:`build_frame` (for the role rule).

    Returns
    -------
    list of str
        Plain-text paragraphs.
    """
    paragraphs = []
    for spec in study.instruments:
        inst = spec.instrument
        scales = ", ".join(f"{inst.id}_{s.id} ({s.method} of {len(s.items)} items, "
                           f"higher is {s.higher_is})" for s in inst.scales)
        status = ("verified against its published sources" if not inst.provisional
                  else "PROVISIONAL (not verified against a primary source)")
        rules = [f"{inst.id}_{s.id}" for s in inst.scales
                 if s.missing_verification is not None and s.missing_verification.status != "verified"]
        rule_note = (f" The missing-item rule of {', '.join(rules)} is PROVISIONAL (verified "
                     "separately from the key)." if rules else "")
        paragraphs.append(f"{inst.name} ({inst.abbreviation}, helpstats definition "
                          f"{inst.version}; scoring key {status}): {scales}. {inst.citation}"
                          + rule_note)
    if study.instruments:
        paragraphs.append(
            "Internal consistency: Cronbach's alpha with Feldt's (1965) confidence interval, and "
            "omega total from a one-factor model fitted by maximum likelihood with the "
            "model-implied variance of the sum as denominator (as lavaan/semTools compRelSEM; "
            "not psych's Schmid-Leiman omega.tot), on complete responses per wave."
        )
    if "role_rule" in data.attrs:
        paragraphs.append(describe_role_rule(data.attrs["role_rule"]))
    categories = list(data[study.wave].cat.categories)
    waves = ", ".join(map(str, categories))
    paragraphs.append(
        f"Each outcome was analysed with a linear mixed model fitted by restricted maximum "
        f"likelihood (helpstats.fit_mixed, the profiled deviance of Bates et al. 2015): "
        f"{study.model.formula.replace('{outcome}', 'outcome')}"
        + (f" with covariates {', '.join(study.model.covariates)}" if study.model.covariates
           else "")
        + f", the wave ({waves}) entering as a factor. Tests use Satterthwaite degrees of "
          "freedom (Kuznetsova et al. 2017); marginal means and contrasts follow emmeans "
          "(equal weights over factors, covariates at their means). Participants missing "
          "later waves contribute the waves they attended (missing at random). "
        + _wave_order(study, categories)
    )
    paragraphs[-1] = model_paragraph(study, categories, paragraphs[-1], _wave_order(study, categories))
    paragraphs.append("Software: " + ", ".join(f"{k} {v}" for k, v in
                                                 software_versions().items()) + ".")
    return paragraphs


def _model_frame(study: Study, frame: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, int]:
    """Rows with every model variable present; unordered factors (treatment contrasts)."""
    from .models import formula_columns

    names = [n for n in dict.fromkeys([*formula_columns(study.formula_for(outcome)),
                                       *model_columns(study)]) if n in frame.columns]
    used = frame[names].copy()
    for name in names:
        if isinstance(used[name].dtype, pd.CategoricalDtype):
            used[name] = used[name].cat.remove_unused_categories().cat.as_unordered()
    complete = used.notna().all(axis=1)
    return used.loc[complete].reset_index(drop=True), int((~complete).sum())


def _check_levels(study: Study, frame: pd.DataFrame, outcome: str) -> None:
    """Stop when a fixed-effect variable does not vary among the rows of a model.

    A one-level factor (everyone in one role, one wave) or a constant covariate
    cannot be estimated: the model would silently lose that term while the
    methods text still names it.
    """
    formula = study.formula_for(outcome)
    # the model frame holds the formula's variables; the grouping factors are checked by
    # fit_mixed (a random effect needs two groups)
    names = [n for n in frame.columns if n not in (outcome, study.id, study.group)]
    for name in names:
        values = frame[name]
        distinct = values.dropna().unique()
        if len(distinct) >= 2:
            continue
        key = ("model.by" if name == study.model.by else "data.wave" if name == study.wave
               else "model.covariates" if name in study.model.covariates else "model.formula")
        found = (f"only the value {show_value(distinct[0])}" if len(distinct) else "no values")
        raise study.error(key, f"{name!r} has {found} in the {len(frame)} observation(s) of "
                          f"{outcome}, so the model {formula} cannot estimate its effect (it "
                          "would drop out while the report names it). Check the data or the "
                          "rule that makes it (e.g. [roles]), or leave it out of the model.")


def _check_columns(study: Study, frame: pd.DataFrame) -> None:
    for outcome in study.model.outcomes:
        if outcome not in frame.columns:
            scores = [c for c in frame.columns if c.endswith(("_total", "_mean"))]
            raise study.error("model.outcomes", f"outcome {outcome!r} is neither a scale score "
                              f"nor a data column (scores: {', '.join(scores)}).")
    for key, columns in (("model.by", [study.model.by] if study.model.by else []),
                         ("model.covariates", study.model.covariates),
                         ("table_one.variables", study.table_one)):
        for column in columns:
            if column not in frame.columns:
                raise study.error(key, f"column {column!r} is not in the data or the scores.")


def _image(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def render_report(
    *,
    title: str,
    methods: list[str],
    sections: list[tuple[str, list[tuple[str, Any]]]],
    path: Path,
) -> Path:
    """Write a self-contained HTML report.

    Parameters
    ----------
    title : str
    methods : list of str
        Paragraphs of the methods section.
    sections : list of (heading, blocks)
        Each block is ``("table", DataFrame)`` (formatted with
        ``hs.format_table`` when it came from a helpstats table function,
        otherwise shown as is), ``("image", png_path)`` (embedded) or
        ``("text", str)``.
    path : pathlib.Path
        The ``.html`` file to write.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> _ = render_report(title="T & F", methods=["Scored."],
    ...     sections=[("Data", [("table", pd.DataFrame({"n": [3]}))])], path=out)
    >>> "<h1>T &amp; F</h1>" in out.read_text()
    True
    """
    from . import __version__

    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse;margin:1em 0;font-size:90%}"
        "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:right}"
        "th:first-child,td:first-child{text-align:left}img{max-width:100%}"
        ".note{color:#555;font-size:90%}</style>",
        "</head>", "<body>", f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">Written by helpstats {html.escape(__version__)}.</p>',
        "<h2>Methods</h2>",
        *(f"<p>{html.escape(p)}</p>" for p in methods),
    ]
    for heading, blocks in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        for kind, content in blocks:
            if kind == "table":
                parts.append(_table_html(content))
            elif kind == "image":
                parts.append(f'<img alt="{html.escape(Path(content).stem)}" '
                             f'src="data:image/png;base64,{_image(Path(content))}">')
            else:
                parts.append(f"<p>{html.escape(str(content))}</p>")
    parts += ["</body>", "</html>", ""]
    write_text(path, "\n".join(parts))
    return path


def _table_html(table: pd.DataFrame) -> str:
    shown = table
    if "kind" in table.attrs:
        from .tables import format_table

        shown = format_table(table)
    notes = table.attrs.get("notes")
    body = shown.to_html(index=False, escape=True, na_rep="", border=0)
    if notes:
        text = notes if isinstance(notes, str) else " ".join(map(str, notes))
        body += f'<p class="note">Note. {html.escape(text)}</p>'
    return body


def analyze(
    study: str | Path | Study,
    output_dir: str | Path,
    *,
    progress: bool = True,
    overwrite: bool = False,
    neutralise: bool = True,
) -> Analysis:
    """Run a study file: score, classify roles, fit, and write tables, plots and report.

    Parameters
    ----------
    study : str, pathlib.Path or Study
        A study file (see :mod:`helpstats.study`) or a loaded :class:`Study`.
    output_dir : str or pathlib.Path
        Folder for the outputs (created if needed). Every file is written
        atomically into it (a symbolic link planted there is replaced, never
        followed), and ``manifest.json`` lists what this run wrote (name,
        bytes, SHA-256). Files an earlier run listed in its manifest and this
        run did not write are removed; other files in the folder are left
        alone and are not in the manifest.
    progress : bool
        Show a progress bar of the steps (tqdm, on stderr).
    overwrite : bool, default False
        Replace the outputs of an earlier run. Without it, an output file that
        already exists is an :class:`~helpstats.errors.OutputError` (raised
        before any work). The study's input files are never written over.
    neutralise : bool, default True
        Prefix CSV text that a spreadsheet would run as a formula with ``'``
        (see :mod:`helpstats._output`); ``False`` for analysis pipelines.

    Returns
    -------
    Analysis

    Raises
    ------
    helpstats.errors.StudyError
        The study file is malformed, or names columns the exports lack; the
        message names the study file's line and key.
    helpstats.errors.OutputError
        An output exists (without ``overwrite``), is an input, or the folder
        cannot be made.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    out = check_output(Path(output_dir), folder=True)
    planned = _planned_files(study)
    inputs = [study.path, *(entry.path for entry in study.files),
              *(Path(spec.instrument.path) for spec in study.instruments if spec.instrument.path)]
    for name in planned:
        check_output(out / name, inputs=inputs, overwrite=overwrite)
    earlier = _read_manifest(out)
    make_folder(out)

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from tqdm.auto import tqdm

    from .models import fit_mixed
    from .plots import plot_trajectories
    from .reliability import reliability
    from .tables import (
        attrition_table,
        reliability_table,
        table_one,
        write_tables,
    )

    by = study.model.by
    wave = study.wave
    tables: dict[str, pd.DataFrame] = {}
    fits: dict[str, Any] = {}
    images: dict[str, Path] = {}
    dropped: list[str] = []
    state: dict[str, Any] = {}

    def step_frame() -> None:
        state["data"], state["validation"] = build_frame(study)
        state["data"], state["derived"] = derive_outcomes(study, state["data"])
        _check_columns(study, state["data"])

    def step_descriptives() -> None:
        data = state["data"]
        baseline = study.baseline if study.baseline is not None else data[wave].cat.categories[0]
        first = data[data[wave] == baseline]
        tables["Table 1"] = table_one(first, by=by, variables=list(study.table_one))
        if "role_rule" in data.attrs:
            cutoffs = role_cutoffs(data.attrs["role_rule"])
            cutoffs.attrs["notes"] = describe_role_rule(data.attrs["role_rule"])
            tables["Role cut-offs"] = cutoffs
        tables["Attrition"] = attrition_table(data, id=study.id, wave=wave, by=by)
        per_wave = []
        for spec in study.instruments:
            with warnings.catch_warnings():  # invalid cells are already in the validation report
                warnings.simplefilter("ignore", InvalidCellsWarning)
                result = reliability(data, spec.instrument, columns=spec.columns, by=wave,
                                     on_invalid="missing")
            per_wave.append(result.assign(scale=f"{spec.instrument.id}_" + result["scale"]))
        tables["Reliability"] = reliability_table(pd.concat(per_wave, ignore_index=True),
                                                  by=wave)

    def model_step(outcome: str) -> Callable[[], None]:
        def run() -> None:
            frame, n_dropped = _model_frame(study, state["data"], outcome)
            if n_dropped:
                dropped.append(f"{outcome}: {n_dropped} observation(s) with a missing outcome, "
                               "role or covariate left out of the model.")
            _check_levels(study, frame, outcome)
            fits[outcome] = fit = fit_outcome(study, frame, outcome)
            tables.update(outcome_tables(study, fit, frame, outcome))
            ax = plot_trajectories(plot_source(fit), group=by or wave, time=wave, data=frame,
                                   outcome=outcome)
            images[outcome] = out / _image_name(outcome)
            figure = ax.get_figure(root=True)
            if figure is not None:
                atomic_write(images[outcome], lambda stream: figure.savefig(
                    stream, format="png", dpi=120, bbox_inches="tight"))
                plt.close(figure)
        return run

    def step_helping() -> None:
        from ._report_helping import helping_analyses

        helping, state["helping_methods"] = helping_analyses(study, state["data"])
        tables.update(helping)
    missing_spec = study.missing

    def step_missing() -> None:
        from .missing._analysis import missing_analysis

        if missing_spec is None:
            return
        state["missing"] = missing_analysis(
            state["data"], missing_spec, id=study.id, wave=wave, outcomes=study.model.outcomes,
            by=by, covariates=study.model.covariates, group=study.group, formula_for=study.formula_for,
            observed_fits=fits, fit_fn=fit_mixed)
        tables.update(state["missing"].tables)

    steps: list[tuple[str, Callable[[], None]]] = [
        ("read, check and score", step_frame),
        ("Table 1, reliability, attrition", step_descriptives),
        *((f"model {o}", model_step(o)) for o in study.model.outcomes),
        *((("helping", step_helping),) if study.helping is not None else ()),
        *([("missing data", step_missing)] if study.missing is not None else []),
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with tqdm(steps, desc="analyze", disable=not progress, unit="step") as bar:
            for name, run in bar:
                bar.set_postfix_str(name)
                run()
    data: pd.DataFrame = state["data"]
    notes = [f"warning: {w.message}" for w in caught] + state["derived"] + dropped
    validation = pd.concat(
        [state["validation"],
         pd.DataFrame([{"source": "", "row": "", "column": "", "item": "", "value": "",
                        "problem": note} for note in notes], columns=_VALIDATION_COLUMNS)],
        ignore_index=True,
    )

    files = [out / "scored_data.csv", out / "validation.csv", out / "validation.md"]
    write_csv(data, files[0], neutralise=neutralise)
    write_csv(validation, files[1], neutralise=neutralise)
    write_text(files[2], _markdown(validation, empty="No problems found."))
    files.append(write_tables(tables, out / "tables.xlsx", overwrite=True, inputs=inputs))
    files.append(write_tables(tables, out / "tables.md", overwrite=True, inputs=inputs))
    files.extend(images.values())

    sections: list[tuple[str, list[tuple[str, Any]]]] = [
        ("Data and validation", [
            ("text", f"{len(data)} observations of {data[study.id].nunique()} members from "
                     f"{len(study.files)} file(s); {len(state['validation'])} invalid or "
                     f"missing cell(s) or row(s) left out, and {len(notes)} note(s) "
                     "(listed below and in validation.csv)."),
            ("table", validation.head(50)),
        ]),
        *((name, [("table", table)]) for name, table in tables.items()
          if not name.startswith(("Outcome ", "Model ", *_MISSING_TABLES))),
    ]
    for outcome in study.model.outcomes:
        blocks: list[tuple[str, Any]] = [
            (kind, tables[name[:31]]) for kind, name in
            (("table", f"Outcome {outcome}"), ("table", f"Model {outcome}"))
            if name[:31] in tables
        ]
        blocks.append(("image", images[outcome]))
        sections.append((f"Outcome: {outcome}", blocks))
    if "missing" in state:
        sections.append(("Missing data", [("table", table) for name, table in tables.items()
                                          if name.startswith(_MISSING_TABLES)]))
    methods = methods_text(study, data)  # the helping and MI paragraphs go before "Software: ..."
    methods[-1:-1] = [*state.get("helping_methods", []),
                      *(state["missing"].methods if "missing" in state else [])]
    files.append(render_report(title=study.title, methods=methods,
                               sections=sections, path=out / "report.html"))
    _finish_folder(out, files, earlier, study)
    return Analysis(study=study, output_dir=out, files=tuple(files), data=data,
                    validation=validation, tables=tables, fits=fits)


_MISSING_TABLES = ("Missing patterns", "Dropout ", "MI ", "Tipping ")


MANIFEST = "manifest.json"


def _image_name(outcome: str) -> str:
    """The plot file of an outcome: a plain file name whatever the column is called."""
    return f"trajectory_{safe_stem(outcome, default='outcome')}.png"


def _planned_files(study: Study) -> list[str]:
    names = ["scored_data.csv", "validation.csv", "validation.md", "tables.xlsx", "tables.md",
             *(_image_name(o) for o in study.model.outcomes), "report.html", MANIFEST]
    return list(dict.fromkeys(names))


def _read_manifest(out: Path) -> list[str]:
    """File names an earlier run listed in ``manifest.json`` (plain names only)."""
    path = out / MANIFEST
    if not path.is_file() or path.is_symlink():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8")).get("files", [])
        names = [e["name"] for e in entries]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []
    return [n for n in names if isinstance(n, str) and n and n == Path(n).name
            and n not in (".", "..")]


def _finish_folder(out: Path, files: list[Path], earlier: list[str], study: Study) -> None:
    """Remove files of an earlier run that this run did not write; write the manifest."""
    from . import __version__

    written = {p.name for p in files}
    removed = []
    for name in earlier:
        target = out / name
        if name not in written and name != MANIFEST and (target.is_file() or
                                                          target.is_symlink()):
            try:
                os.unlink(target)  # a link is removed itself, its target is untouched
            except OSError as exc:
                raise OutputError(f"{target}: cannot remove this file of an earlier run "
                                  f"({exc.strerror or exc}).") from None
            removed.append(name)
    entries = []
    for path in files:
        content = path.read_bytes()
        entries.append({"name": path.name, "bytes": len(content),
                        "sha256": hashlib.sha256(content).hexdigest()})
    manifest = {"helpstats": __version__, "study": str(study.path), "files": entries,
                "removed_from_earlier_run": removed}
    write_text(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def _markdown(table: pd.DataFrame, *, empty: str) -> str:
    if table.empty:
        return empty + "\n"
    header = "| " + " | ".join(markdown_text(c) for c in table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = ["| " + " | ".join("" if _blank(v) else markdown_text(v) for v in row)
            + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *rows]) + "\n"


def _blank(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
