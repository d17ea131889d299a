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
                           wave, attrition, per outcome the outcome table and
                           the model table, and the missing-data patterns and
                           dropout models
``participant_flow.*``     Figure 1: CONSORT-style flow, enrolled -> assessed
                           at each wave -> analysed, by group
``retention.*``            Figure 2: % of enrolled assessed at each wave
``trajectory_<outcome>.*`` Figures 3...: marginal means with CIs by group
``report.html``/``.md``    key findings in plain language first, then flow,
                           sample, missing data, reliability, outcomes,
                           models, validation and the methods text
=========================  ====================================================

Every figure is written as ``.png``, ``.svg`` and ``.pdf``, each holding its
number, title and caption (see :mod:`helpstats.figures`). ``report.html`` is
self-contained (figures embedded, no scripts, nothing loaded from the
network) and prints cleanly; ``report.md`` has the same content and links the
PNG files beside it. The key findings are written from the model results by
:mod:`helpstats._report_findings`.

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
)
from ._ids import id_text
from ._output import (
    check_output,
    make_folder,
    markdown_text,
    write_csv,
    write_text,
)
from .errors import HelpstatsError, InvalidCellsWarning, OutputError
from .io import read_export
from .missing._analysis import MissingSpec
from .roles import ROLE_DTYPE, classify_roles, describe_role_rule, role_cutoffs
from .scoring import find_invalid_cells, score, show_value
from .study import RoleSpec, Study, load_study

__all__ = ["Analysis", "analyze", "build_frame", "methods_text", "references", "render_report"]

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
            export = read_export(entry.path, missing_codes=study.missing_codes)
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
    if study.model.by is not None:
        paragraphs.append(
            "Key findings: for each group, the difference in change from the first to the last "
            "wave against the reference group (the first level), i.e. the group x last-wave "
            "coefficient of the model, with its Satterthwaite 95% CI and p; the overall test "
            "is the Type III F test of the group x wave interaction. Direction words follow "
            "each scale's definition (higher is worse or better).")
    paragraphs.append(
        "Figures: the participant flow follows the CONSORT 2010 flow diagram (Schulz et al. "
        "2010), counted from the data; colours are the Okabe-Ito colour-blind-safe palette, "
        "with a distinct marker and line style per group.")
    paragraphs.append("Software: " + ", ".join(f"{k} {v}" for k, v in
                                                 software_versions().items()) + ".")
    return paragraphs


def references(study: Study) -> list[str]:
    """The works the methods text cites (the instruments' own sources are in that text).

    Examples
    --------
    >>> import helpstats as hs
    >>> refs = references(hs.load_study(hs.datasets.example_study_path()))
    >>> refs[0][:22], any(r.startswith("Maton") for r in refs)
    ('Bates D, Mächler M, Bo', True)
    """
    refs = [
        "Bates D, Mächler M, Bolker B, Walker S (2015). Fitting linear mixed-effects models "
        "using lme4. Journal of Statistical Software 67(1), 1-48.",
        "Kuznetsova A, Brockhoff PB, Christensen RHB (2017). lmerTest package: tests in "
        "linear mixed effects models. Journal of Statistical Software 82(13), 1-26.",
        "Satterthwaite FE (1946). An approximate distribution of estimates of variance "
        "components. Biometrics Bulletin 2(6), 110-114.",
        "Lenth RV. emmeans: estimated marginal means, aka least-squares means. R package.",
    ]
    if study.instruments:
        refs.append("Feldt LS (1965). The approximate sampling distribution of Kuder-Richardson "
                    "reliability coefficient twenty. Psychometrika 30, 357-370.")
    if study.roles is not None:
        refs.append("Maton KI (1988). Social support, organizational characteristics, "
                    "psychological well-being, and group appraisal in three self-help group "
                    "populations. American Journal of Community Psychology 16(1), 53-77.")
    if study.missing is not None and study.missing.method == "mi":
        refs += ["Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys. New York: "
                 "Wiley.",
                 "Barnard J, Rubin DB (1999). Small-sample degrees of freedom with multiple "
                 "imputation. Biometrika 86(4), 948-955.",
                 "van Buuren S, Groothuis-Oudshoorn K (2011). mice: multivariate imputation by "
                 "chained equations in R. Journal of Statistical Software 45(3), 1-67."]
    refs += ["Schulz KF, Altman DG, Moher D, for the CONSORT Group (2010). CONSORT 2010 "
             "statement: updated guidelines for reporting parallel group randomised trials. "
             "BMJ 340, c332.",
             "Okabe M, Ito K (2008). Color universal design (CUD): how to make figures and "
             "presentations that are friendly to colorblind people. J*Fly."]
    return refs


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


_CSS = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:62em;"
    "margin:2em auto;padding:0 1em;line-height:1.45;color:#111;background:#fff}"
    "h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}"
    "h3{margin-top:1.4em}"
    "table{border-collapse:collapse;margin:1em 0;font-size:90%}"
    "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;vertical-align:top}"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
    "figure{margin:1.5em 0}figure img{max-width:100%;height:auto}"
    "figcaption{font-size:90%;color:#333;margin-top:.4em}"
    ".note{color:#555;font-size:90%}.findings li{margin:.5em 0}"
    "nav ol{columns:2;font-size:95%}"
    "@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}nav{display:none}"
    "a{color:inherit;text-decoration:none}h2,h3{break-after:avoid}"
    "table,figure{break-inside:avoid}figure img{max-height:22cm}}"
    "@page{margin:1.8cm}"
)

#: A block of a report section: ``(kind, content)`` with kind ``"text"`` (a paragraph),
#: ``"list"`` (bullet points), ``"heading"`` (a sub-heading), ``"table"`` (a DataFrame),
#: ``"figure"`` (a :class:`helpstats.figures.FigureFile`) or ``"image"`` (a PNG path).
Block = tuple[str, Any]


def _anchor(number: int) -> str:
    return f"s{number}"


def render_report(
    *,
    title: str,
    methods: list[str],
    sections: list[tuple[str, list[Block]]],
    path: Path,
    findings: list[str] | None = None,
    markdown: Path | None = None,
    references: list[str] | None = None,
) -> Path:
    """Write a self-contained HTML report (and the same content as Markdown).

    The page has no scripts and loads nothing: figures are embedded as
    ``data:`` URIs (SVG, so they print sharply) and the style sheet is inline,
    with print rules (``@media print``). All text is HTML-escaped.

    Parameters
    ----------
    title : str
    methods : list of str
        Paragraphs of the methods section (it comes last, before the footer).
    sections : list of (heading, blocks)
        Each block is ``("text", str)``, ``("list", [str, ...])``,
        ``("heading", str)``, ``("table", DataFrame)`` (formatted with
        ``hs.format_table`` when it came from a helpstats table function,
        otherwise shown as is), ``("figure", FigureFile)`` (embedded with its
        numbered caption) or ``("image", png_path)``.
    path : pathlib.Path
        The ``.html`` file to write.
    findings : list of str, optional
        The key findings, shown first as bullet points.
    markdown : pathlib.Path, optional
        Also write the same content as Markdown there (figures linked by
        file name, so keep the report beside them).
    references : list of str, optional
        Works cited, listed at the end of the methods.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> _ = render_report(title="T & F", methods=["Scored."], findings=["A < B."],
    ...     sections=[("Data", [("table", pd.DataFrame({"n": [3]}))])], path=out,
    ...     markdown=out.with_suffix(".md"))
    >>> text = out.read_text()
    >>> "<h1>T &amp; F</h1>" in text, "<li>A &lt; B.</li>" in text, "<script" in text
    (True, True, False)
    >>> print(out.with_suffix(".md").read_text().splitlines()[0])
    # T &amp; F
    """
    from . import __version__

    all_sections: list[tuple[str, list[Block]]] = []
    if findings:
        all_sections.append(("Key findings", [("list", list(findings))]))
    all_sections += list(sections)
    all_sections.append(("Methods", [("text", p) for p in methods]
                         + ([("heading", "References"), ("list", list(references))]
                            if references else [])))
    written = f"Written by helpstats {__version__}."

    esc = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="helpstats {esc(__version__)}">',
        f"<title>{esc(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        f"<h1>{esc(title)}</h1>", f'<p class="note">{esc(written)}</p>',
        '<nav aria-label="Contents"><ol>',
        *(f'<li><a href="#{_anchor(i)}">{esc(h)}</a></li>'
          for i, (h, _) in enumerate(all_sections, start=1)),
        "</ol></nav>",
    ]
    md = [f"# {markdown_text(title)}", "", written, ""]
    for number, (heading, blocks) in enumerate(all_sections, start=1):
        parts.append(f'<h2 id="{_anchor(number)}">{esc(heading)}</h2>')
        md += [f"## {markdown_text(heading)}", ""]
        for kind, content in blocks:
            if kind == "table":
                parts.append(_table_html(content))
                md += [_table_markdown(content), ""]
            elif kind == "figure":
                parts.append(_figure_html(content))
                md += _figure_markdown(content)
            elif kind == "image":
                name = Path(content).stem
                parts.append(f'<figure><img alt="{esc(name)}" '
                             f'src="data:image/png;base64,{_image(Path(content))}"></figure>')
                md += [f"![{markdown_text(name)}]({Path(content).name})", ""]
            elif kind == "list":
                css = ' class="findings"' if heading == "Key findings" else ""
                parts.append(f"<ul{css}>" + "".join(f"<li>{esc(str(item))}</li>"
                                                     for item in content) + "</ul>")
                md += [*(f"- {markdown_text(str(item))}" for item in content), ""]
            elif kind == "heading":
                parts.append(f"<h3>{esc(str(content))}</h3>")
                md += [f"### {markdown_text(str(content))}", ""]
            else:
                parts.append(f"<p>{esc(str(content))}</p>")
                md += [markdown_text(str(content)), ""]
    parts += ["</body>", "</html>", ""]
    write_text(path, "\n".join(parts))
    if markdown is not None:
        write_text(markdown, "\n".join(md).rstrip("\n") + "\n")
    return path


def _figure_html(figure: Any) -> str:
    esc = html.escape
    source = figure.paths.get("svg")
    if source is not None:
        src = "data:image/svg+xml;base64," + _image(Path(source))
    else:
        src = "data:image/png;base64," + _image(Path(figure.paths["png"]))
    files = ", ".join(Path(p).name for p in figure.paths.values())
    return (f'<figure id="figure-{figure.number}"><img alt="{esc(figure.heading)}" src="{src}">'
            f"<figcaption><strong>{esc(figure.heading)}.</strong> {esc(figure.caption)} "
            f'<span class="note">Files: {esc(files)}.</span></figcaption></figure>')


def _figure_markdown(figure: Any) -> list[str]:
    png = Path(figure.paths.get("png") or next(iter(figure.paths.values()))).name
    return [f"![{markdown_text(figure.heading)}]({png})", "",
            f"*{markdown_text(figure.heading)}.* {markdown_text(figure.caption)}", ""]


def _table_markdown(table: pd.DataFrame) -> str:
    """A table as Markdown: formatted like its HTML twin (see :func:`_table_html`)."""
    from . import tables

    composed = getattr(tables, "markdown_table", None)  # the writers' renderer, where present
    if composed is not None:
        return str(composed(table)).rstrip("\n")
    shown = table
    if "kind" in table.attrs:
        from .tables import format_table

        shown = format_table(table)
    text = _markdown(shown, empty="(no rows)").rstrip("\n")
    notes = table.attrs.get("notes")
    if notes:
        note = notes if isinstance(notes, str) else " ".join(map(str, notes))
        text += "\n\n*Note.* " + markdown_text(note)
    return text


def _table_html(table: pd.DataFrame) -> str:
    from .tables import html_table

    return html_table(table)


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
    from tqdm.auto import tqdm

    from . import _report_figures as figs
    from ._report_findings import findings_text, higher_is_of, units_of
    from .models import fit_mixed, formula_columns
    from .reliability import reliability
    from .tables import (
        Labels,
        attrition_table,
        reliability_table,
        table_one,
        write_tables,
    )

    by = study.model.by
    wave = study.wave
    tables: dict[str, pd.DataFrame] = {}
    fits: dict[str, Any] = {}
    figures: dict[str, Any] = {}
    dropped: list[str] = []
    state: dict[str, Any] = {}
    labels = Labels.from_study(study)
    numbers = {name: i for i, name in enumerate(
        ["flow", "retention", *study.model.outcomes], start=1)}

    def step_frame() -> None:
        state["data"], state["validation"] = build_frame(study)
        state["data"], state["derived"] = derive_outcomes(study, state["data"])
        _check_columns(study, state["data"])

    def step_descriptives() -> None:
        data = state["data"]
        baseline = study.baseline if study.baseline is not None else data[wave].cat.categories[0]
        first = data[data[wave] == baseline]
        tables["Table 1"] = table_one(first, by=by, variables=list(study.table_one), labels=study)
        if "role_rule" in data.attrs:
            cutoffs = role_cutoffs(data.attrs["role_rule"])
            cutoffs.attrs["notes"] = describe_role_rule(data.attrs["role_rule"])
            tables["Role cut-offs"] = cutoffs
        tables["Attrition"] = attrition_table(data, id=study.id, wave=wave, by=by, labels=study)
        per_wave = []
        for spec in study.instruments:
            with warnings.catch_warnings():  # invalid cells are already in the validation report
                warnings.simplefilter("ignore", InvalidCellsWarning)
                result = reliability(data, spec.instrument, columns=spec.columns, by=wave,
                                     on_invalid="missing")
            per_wave.append(result.assign(scale=f"{spec.instrument.id}_" + result["scale"]))
        tables["Reliability"] = reliability_table(pd.concat(per_wave, ignore_index=True),
                                                  by=wave, labels=study)

    def model_step(outcome: str) -> Callable[[], None]:
        def run() -> None:
            frame, n_dropped = _model_frame(study, state["data"], outcome)
            if n_dropped:
                dropped.append(f"{outcome}: {n_dropped} observation(s) with a missing outcome, "
                               "role or covariate left out of the model.")
            _check_levels(study, frame, outcome)
            fits[outcome] = fit = fit_outcome(study, frame, outcome)
            tables.update(outcome_tables(study, fit, frame, outcome))
            figures[outcome] = figs.trajectory_figure(
                fit, frame, out, number=numbers[outcome], outcome=outcome, by=by,
                wave=wave, id=study.id, labels=labels)
        return run

    def step_figures() -> None:
        data = state["data"]
        first = study.model.outcomes[0]
        require = [c for c in formula_columns(study.formula_for(first))
                   if c in data.columns and c not in study.model.outcomes]
        figures["flow"], state["flow"] = figs.flow_figure(
            data, out, number=numbers["flow"], id=study.id, wave=wave, by=by,
            outcomes=list(study.model.outcomes), require=require, labels=labels)
        figures["retention"] = figs.attrition_figure(
            data, out, number=numbers["retention"], id=study.id, wave=wave, by=by,
            labels=labels)

    def step_helping() -> None:
        from ._report_helping import helping_analyses

        helping, state["helping_methods"] = helping_analyses(study, state["data"])
        tables.update(helping)
    # without a [missing] section: the missing-data patterns and dropout models (no imputation)
    missing_spec = study.missing if study.missing is not None else MissingSpec(method="observed")

    def step_missing() -> None:
        from .missing._analysis import missing_analysis

        state["missing"] = missing_analysis(
            state["data"], missing_spec, id=study.id, wave=wave, outcomes=study.model.outcomes,
            by=by, covariates=study.model.covariates, group=study.group, formula_for=study.formula_for,
            observed_fits=fits, fit_fn=fit_mixed)
        tables.update(state["missing"].tables)

    steps: list[tuple[str, Callable[[], None]]] = [
        ("read, check and score", step_frame),
        ("Table 1, reliability, attrition", step_descriptives),
        *((f"model {o}", model_step(o)) for o in study.model.outcomes),
        ("figures: flow, retention", step_figures),
        *((("helping", step_helping),) if study.helping is not None else ()),
        ("missing data", step_missing),
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
    for figure in figures.values():
        files.extend(figure.paths.values())

    flow: pd.DataFrame = state["flow"]
    key_findings = findings_text(
        fits, by=by, wave=wave, higher_is=higher_is_of(study), labels=labels,
        roles=by == "role" and study.roles is not None, flow=flow, units=units_of(study))
    sections = _sections(study, data, tables, figures, state["validation"], validation,
                         len(notes), labels)
    methods = methods_text(study, data)  # the helping and MI paragraphs go before "Software: ..."
    methods[-1:-1] = [*state.get("helping_methods", []),
                      *(state["missing"].methods if "missing" in state else [])]
    files.append(render_report(title=study.title, methods=methods, findings=key_findings,
                               references=references(study),
                               sections=sections, path=out / "report.html",
                               markdown=out / "report.md"))
    files.append(out / "report.md")
    _finish_folder(out, files, earlier, study)
    return Analysis(study=study, output_dir=out, files=tuple(files), data=data,
                    validation=validation, tables=tables, fits=fits)



def _sections(study: Study, data: pd.DataFrame, tables: Mapping[str, pd.DataFrame],
              figures: Mapping[str, Any], problems: pd.DataFrame, validation: pd.DataFrame,
              n_notes: int, labels: Any) -> list[tuple[str, list[Block]]]:
    """The report's sections after the key findings, in reading order (see :func:`analyze`)."""
    by = study.model.by
    shown = {"Table 1", "Role cut-offs", "Attrition", "Reliability"}
    sections: list[tuple[str, list[Block]]] = [
        ("Participant flow", [
            ("figure", figures["flow"]),
        ]),
        ("Sample", [
            ("text", f"{data[study.id].nunique()} members, {len(data)} assessments, from "
                     f"{len(study.files)} file(s). Table 1 describes the members at the "
                     "baseline wave" + (f" by {labels.variable(by).lower()}." if by else ".")),
            ("table", tables["Table 1"]),
            *((("heading", "How roles were assigned"), ("table", tables["Role cut-offs"]))
              if "Role cut-offs" in tables else ()),
        ]),
        ("Missing data", [
            ("text", "Who was assessed at each wave, the patterns of missing outcomes, and "
                     "whether dropout by the last wave is related to baseline values."),
            ("figure", figures["retention"]),
            ("table", tables["Attrition"]),
            *(("table", table) for name, table in tables.items()
              if name.startswith(_MISSING_TABLES)),
        ]),
        ("Reliability", [("table", tables["Reliability"])]),
    ]
    outcome_blocks: list[Block] = []
    model_blocks: list[Block] = []
    for outcome in study.model.outcomes:
        outcome_blocks.append(("heading", labels.variable(outcome)))
        if f"Outcome {outcome}"[:31] in tables:
            outcome_blocks.append(("table", tables[f"Outcome {outcome}"[:31]]))
        outcome_blocks.append(("figure", figures[outcome]))
        model_blocks += [("heading", f"Model of {labels.variable(outcome)}"),
                         ("table", tables[f"Model {outcome}"[:31]])]
    sections += [("Outcomes", outcome_blocks), ("Models", model_blocks)]
    shown |= {f"Outcome {o}"[:31] for o in study.model.outcomes}
    shown |= {f"Model {o}"[:31] for o in study.model.outcomes}
    others = [(name, table) for name, table in tables.items()
              if name not in shown and not name.startswith(_MISSING_TABLES)]
    if others:
        blocks: list[Block] = []
        for name, table in others:
            blocks += [("heading", name), ("table", table)]
        sections.append(("Helping analyses" if study.helping is not None else "Other tables",
                         blocks))
    sections.append(("Data and validation", [
        ("text", f"{len(data)} observations of {data[study.id].nunique()} members from "
                 f"{len(study.files)} file(s); {len(problems)} invalid or "
                 f"missing cell(s) or row(s) left out, and {n_notes} note(s) "
                 "(listed below and in validation.csv)."
                 + (f" The first 50 of the {len(validation)} rows are shown."
                    if len(validation) > 50 else "")),
        ("table", validation.head(50)),
    ]))
    return sections

_MISSING_TABLES = ("Missing patterns", "Dropout ", "MI ", "Tipping ")


MANIFEST = "manifest.json"


def _planned_files(study: Study) -> list[str]:
    from ._report_figures import figure_names
    from .figures import FIGURE_FORMATS

    names = ["scored_data.csv", "validation.csv", "validation.md", "tables.xlsx", "tables.md",
             *figure_names(study.model.outcomes, FIGURE_FORMATS), "report.html", "report.md",
             MANIFEST]
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
    from .tables import markdown_table

    return markdown_table(table, empty=empty)
