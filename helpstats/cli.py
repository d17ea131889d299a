"""The ``helpstats`` command line.

Subcommands: ``instruments list|show``, ``score``, ``reliability``, ``validate``,
``analyze``, ``init`` (a study file guessed from exports), ``example`` (copy the example
study), ``docs study-file`` (the study-file reference page), ``demo``. Commands that
write a table write CSV to standard output with ``-o -``. Every error a user can cause
(a bad file, an unknown instrument, invalid responses) ends with a message naming the
file, rows, columns and values, in the words of the command line (options, not Python
keywords), and exit status 2; never a traceback. ``validate`` exits 1
when it finds problems (and lists them), 0 when there are none.

Examples
--------
>>> from helpstats.cli import main
>>> main(["instruments", "show", "gad7"])  # doctest: +ELLIPSIS
GAD-7: Generalized Anxiety Disorder 7-item scale (gad7, version 1.0.0)
...
0
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from ._output import check_output as check_output_path
from ._output import neutralise_frame, write_csv, write_xlsx
from .errors import HelpstatsError
from .instruments import DOMAINS, list_instruments, load_instrument
from .scoring import score, show_value
from .validate import validate

__all__ = ["main"]

EXIT_USAGE = 2
MAX_PRINTED = 20  # problems printed by `helpstats validate` (all go to -o)

Handler = Callable[[argparse.Namespace], int]


class CommandError(HelpstatsError):
    """A problem with the command's arguments or files (reported, exit status 2)."""


# ----------------------------------------------------------------------------- files


OUTPUT_TYPES = (".csv", ".xlsx")


def check_output(path: Path, args: argparse.Namespace | None = None) -> None:
    """Refuse an output that cannot or must not be written, before any work is done.

    The type must be .csv or .xlsx; the path must not be an input of the
    command, a folder, under a file, or (without ``--overwrite``) an existing file.
    ``-`` is standard output (CSV).
    """
    if to_stdout(path):
        return
    if path.suffix.lower() not in OUTPUT_TYPES:
        raise CommandError(f"{path}: unsupported output type {path.suffix!r}; use .csv or .xlsx")
    if args is not None:
        inputs = [getattr(args, name) for name in ("input", "dictionary", "instrument")]
        flat = [p for item in inputs for p in (item if isinstance(item, list) else [item]) if p]
        check_output_path(path, inputs=flat, overwrite=args.overwrite)


STDOUT = "-"


def to_stdout(path: Path | str | None) -> bool:
    """True when an output is ``-``: CSV written to standard output."""
    return path is not None and str(path) == STDOUT


def _messages(args: argparse.Namespace) -> Any:
    """Where progress messages go: standard error when a table goes to standard output."""
    outputs = [getattr(args, name, None) for name in ("output", "items")]
    return sys.stderr if any(map(to_stdout, outputs)) else sys.stdout


def _whole_numbers_as_integers(data: pd.DataFrame) -> pd.DataFrame:
    """Float columns holding only whole numbers (codes with blanks, sums) as nullable integers.

    A code exported as ``2`` in a column with skipped items is read as the float 2.0;
    writing it back as ``2`` keeps the file as the user knows it.
    """
    converted = {}
    for name in data.columns:
        column = data[name]
        if column.dtype == "float64":
            values = column.to_numpy()
            finite = values[np.isfinite(values)]
            if np.array_equal(finite, np.round(finite)) and (np.abs(finite) < 2**53).all():
                converted[name] = column.astype("Int64")
    return data.assign(**converted) if converted else data


def write_table(data: pd.DataFrame, path: Path, *, sheet: str = "data",
                neutralise: bool = True) -> None:
    """Write a table as CSV or XLSX, chosen by the file's extension.

    Both go through :mod:`helpstats._output`: CSV text that a spreadsheet would
    run as a formula is prefixed with ``'`` (unless ``neutralise=False``,
    ``--raw-csv``); XLSX text is never a formula. The file is written atomically.
    """
    check_output(path)
    data = _whole_numbers_as_integers(data)
    if to_stdout(path):
        shown = neutralise_frame(data) if neutralise else data
        sys.stdout.write(shown.to_csv(index=False, lineterminator="\n"))
        sys.stdout.flush()
    elif path.suffix.lower() == ".csv":
        write_csv(data, path, neutralise=neutralise)
    else:
        write_xlsx(path, {sheet: data})


# ----------------------------------------------------------------------------- commands


LIST_WIDTH = 100  # characters a line of `instruments list` may take (without --wide)
LIST_COLUMNS = ["id", "domain", "n_items", "license_status", "verification"]


def fit_table(table: pd.DataFrame, width: int | None = None) -> str:
    """``table`` as left-aligned text (numbers right-aligned), two spaces between columns.

    With ``width``, the longest text cells are shortened (ending in "…") until
    every line fits; ``--wide`` shows everything.

    Examples
    --------
    >>> t = pd.DataFrame({"id": ["a", "b"], "name": ["short", "a much longer name"], "n": [1, 10]})
    >>> print(fit_table(t, width=16))
    id  name       n
    a   short      1
    b   a much…   10
    """
    text = {name: [_cell_text(v) for v in table[name]] for name in table.columns}
    numeric = {name: pd.api.types.is_numeric_dtype(table[name]) for name in table.columns}
    sizes = {name: max([len(str(name)), *map(len, cells)]) for name, cells in text.items()}

    def total() -> int:
        return sum(sizes.values()) + 2 * (len(sizes) - 1)

    while width is not None and total() > width:
        shrinkable = [n for n in sizes if not numeric[n] and sizes[n] > max(len(str(n)), 4)]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda n: sizes[n])
        sizes[widest] -= 1
        text[widest] = [c if len(c) <= sizes[widest] else c[:sizes[widest] - 1].rstrip() + "…"
                        for c in text[widest]]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(sizes[n]) if numeric[n] else c.ljust(sizes[n])
                 for n, c in zip(sizes, cells, strict=True)]
        return "  ".join(parts).rstrip()

    rows = [line([str(n) for n in sizes])]
    rows += [line([text[n][i] for n in sizes]) for i in range(len(table))]
    return "\n".join(rows)


def _cell_text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _instruments_list(args: argparse.Namespace) -> int:
    table = list_instruments(domain=args.domain)
    if not args.wide:
        table = table[LIST_COLUMNS]
    print(fit_table(table, width=None if args.wide else LIST_WIDTH))
    return 0


def _verified(flag: bool) -> str:
    return "verified" if flag else "UNVERIFIED"


def _instruments_show(args: argparse.Namespace) -> int:
    inst = load_instrument(args.id)
    print(f"{inst.abbreviation}: {inst.name} ({inst.id}, version {inst.version})")
    print(f"Domain: {inst.domain}" + (f"; recall period: {inst.recall_period}" if inst.recall_period else ""))
    print(f"Citation: {inst.citation}")
    print(f"Licence: {inst.license_status}. {inst.license_note}")
    print(f"Verification: {inst.verification.status}")
    for source in inst.verification.sources:
        print(f"  source: {source}")
    for part in inst.verification.unverified:
        print(f"  UNVERIFIED: {part}")
    if inst.variant_of:
        print(f"Variant of {inst.variant_of}: {inst.variant_note}")
    print("Response options:")
    for response_set in inst.response_sets.values():
        options = "; ".join(f"{c} = {lab}" for c, lab in
                            zip(response_set.codes, response_set.labels, strict=True))
        print(f"  {response_set.id}: {options}")
        if response_set.aliases:
            print("    also accepted: " + "; ".join(f"{a} = {c}" for a, c in
                                                 response_set.aliases.items()))
    if inst.coding:
        print(f"Coding: {inst.coding}" + (f" (declare it: helpstats score ... --coding "
                                          f"{inst.variant_of or inst.id}=CODING)"
                                          if inst.coding_required else ""))
    print("Items:")
    for item in inst.items:
        notes = [n for n, on in (("reversed", item.reverse), ("per-option scores", item.scores),
                                 ("not scored", not item.scored)) if on]
        extra = f" [{', '.join(notes)}]" if notes else ""
        print(f"  {item.id}: {item.label}{extra}")
    print("Scales:")
    for scale in inst.scales:
        low, high = scale.score_range
        rule = f"up to {scale.max_missing} missing" + (", prorated" if scale.prorate else "")
        multiplier = f" x {scale.multiplier:g}" if scale.multiplier != 1 else ""
        reversed_here = (f" (reversed in this scale: {', '.join(map(str, scale.reverse_items))})"
                         if scale.reverse_items else "")
        print(f"  {inst.id}_{scale.id}: {scale.method}{multiplier} of items "
              f"{', '.join(map(str, scale.items))}{reversed_here}; range {low:g}-{high:g}; "
              f"{rule}; higher is {scale.higher_is}")
        if scale.offset:
            sign = "-" if scale.offset < 0 else "+"
            print(f"    score = {scale.method} x {scale.multiplier:g} {sign} {abs(scale.offset):g}")
        rule_check = scale.missing_verification
        if rule_check is not None:
            print(f"    missing-item rule: {rule_check.status} (separately from the key)")
            for source in rule_check.sources:
                print(f"      source: {source}")
            for part in rule_check.unverified:
                print(f"      UNVERIFIED: {part}")
        for band in scale.bands:
            print(f"    {band.min:g}-{band.max:g}: {band.label} ({band.source})")
        for ref in scale.reference_values:
            sample = f"; {ref.sample}" if ref.sample else ""
            n = f"; n = {ref.n}" if ref.n else ""
            print(f"    [{_verified(ref.verified)}] {ref.statistic} = {ref.value:g}{sample}{n} "
                  f"(source: {ref.source})")
        for norm in scale.norms:
            n = f"; n = {norm.n}" if norm.n else ""
            print(f"    [{_verified(norm.verified)}] {norm.population} norm: mean {norm.mean:g}, "
                  f"SD {norm.sd:g}{n} (source: {norm.source})")
    return 0


#: Library (Python) wording -> command-line wording, applied to every message the CLI prints.
_CLI_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), replacement) for pattern, replacement in (
        (r"^(\w+): (\d+ item column\(s\) not found.*?)Map your columns with columns="
         r"\{item_id: column\} or a pattern like '([^']*)'",
         r"\1: \2Say where they are with --columns \1=PATTERN, e.g. --columns \1=\3"),
        (r"columns=\{item_id: column\} or a pattern like '([^']*)'",
         r"--columns ID=PATTERN, e.g. --columns phq9=\1"),
        (r"columns=\{item_id: column\}", "--columns ID=PATTERN"),
        (r"on_invalid='missing'", "--on-invalid missing"),
        (r";? ?see result\.attrs\['invalid_cells'\]", " (listed below)"),
        (r"missing_codes=\[7, 9\] or \{'q1': \[7, 9\]\}", "--missing-codes 7,9"),
        (r"format= / encoding=", "--format"),
        (r"(?<![\w.])(format|engine)='([^']*)'", r"--\1 \2"),
        (r"(?<![\w.])(format|sheet|dictionary)=", r"--\1"),
        (r"engine='dask'", "--engine dask"),
        (r"\bid= and wave= are both", "--id and --wave are both"),
        (r"\bwave= needs id=", "--wave needs --id"),
        (r"^by names column", "--by names column"),
        (r"\bforce=True", "--force"),
        (r"^(\w+): (.*?)score\(\.\.\., coding='([^']*)'\)", r"\1: \2--coding \1=\3"),
        (r";? ?see Export\.source\.renamed_columns\.?", "."),
    ))
#: Said once after a message that names a row of an export.
ROW_NOTE = "(row numbers are the lines a spreadsheet shows, header rows included)"
_NAMES_A_ROW = re.compile(r"\brows? \d")


def cli_words(text: str) -> str:
    """A library message in the words of the command line (options, not keywords).

    Examples
    --------
    >>> cli_words("Fix the data, or pass on_invalid='missing' to score these cells as missing.")
    'Fix the data, or pass --on-invalid missing to score these cells as missing.'
    >>> cli_words("x.csv: dictionary= is for REDCap exports. Pass format='redcap' if ...")
    'x.csv: --dictionary is for REDCap exports. Pass --format redcap if ...'
    """
    for pattern, replacement in _CLI_WORDS:
        text = pattern.sub(replacement, text)
    return text


def _data_error(source: Path, error: Exception) -> CommandError:
    """A library error about the data, worded for the command line (the row note only when
    the message names a row)."""
    text = cli_words(str(error))
    note = f"\n{ROW_NOTE}" if _NAMES_A_ROW.search(text) else ""
    return CommandError(f"{source}: {text}{note}")


def _parse_column_specs(specs: Sequence[str], ids: Sequence[str]) -> dict[str, str]:
    patterns = {}
    for spec in specs:
        instrument, sep, pattern = spec.partition("=")
        if not sep or instrument not in ids:
            raise CommandError(f"--columns {spec!r}: expected ID=PATTERN with ID one of "
                               f"{', '.join(ids)}, e.g. --columns {ids[0]}=Q5_{{n}}")
        patterns[instrument] = pattern
    return patterns


def _shown_path(path: str) -> str:
    return "standard output" if to_stdout(path) else path


def _parse_codings(specs: Sequence[str], ids: Sequence[str]) -> dict[str, str] | None:
    codings = {}
    for spec in specs:
        instrument, sep, coding = spec.partition("=")
        if not sep or not coding or instrument not in ids:
            raise CommandError(f"--coding {spec!r}: expected ID=CODING with ID one of "
                               f"{', '.join(ids)}, e.g. --coding hads=position_1to4 (the "
                               "codings are in `helpstats instruments list --wide`)")
        codings[instrument] = coding
    return codings or None


def _score(args: argparse.Namespace) -> int:
    instruments = [load_instrument(i) for i in args.instrument]  # a path stays that file
    ids = [i.id for i in instruments]
    columns = _parse_column_specs(args.columns, ids)
    codings = _parse_codings(args.coding, ids)
    if args.engine == "dask":
        if to_stdout(args.output):
            raise CommandError("-o -: --engine dask writes a Parquet dataset, not CSV to "
                               "standard output; name the output *.parquet")
        from ._dask.cli import score_command

        return score_command(args, CommandError, instruments=instruments,
                             columns=columns or None, coding=codings)
    source = Path(args.input)
    check_output(Path(args.output), args)
    data, _ = read_export_table(source, format=args.format, dictionary=args.dictionary,
                                sheet=args.sheet, missing_codes=args.missing_codes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scores = score(data, instruments, columns=columns or None,
                           on_invalid=args.on_invalid, coding=codings)
        except HelpstatsError as error:
            raise _data_error(source, error) from None
    for warning in caught:
        print(f"helpstats: warning: {source}: {cli_words(str(warning.message))}",
              file=sys.stderr)
    for cell in scores.attrs.get("invalid_cells", []):
        print(f"  scored as missing: row {show_value(cell['row'])}, column {cell['column']!r}, "
              f"value {show_value(cell['value'])}: {cell['problem']}", file=sys.stderr)
    clashes = [c for c in scores.columns if c in data.columns]
    if clashes:
        raise CommandError(f"{source}: already has column(s) {clashes}; rename them before scoring")
    write_table(pd.concat([data, scores], axis=1), Path(args.output), sheet="scores",
                neutralise=not args.raw_csv)
    print(f"Scored {len(data)} rows of {source} with {', '.join(ids)}; wrote "
          f"{_shown_path(args.output)}", file=_messages(args))
    return 0


def _reliability(args: argparse.Namespace) -> int:
    from .reliability import reliability

    source = Path(args.input)
    check_output(Path(args.output), args)
    if args.items:
        check_output(Path(args.items), args)
        if Path(args.items).absolute() == Path(args.output).absolute():
            raise CommandError(f"--items {args.items} is also the -o output; give two files.")
    data, _ = read_export_table(source, format=args.format, dictionary=args.dictionary,
                                sheet=args.sheet, missing_codes=args.missing_codes)
    inst = load_instrument(args.instrument)
    columns = _parse_column_specs(args.columns, [inst.id]).get(inst.id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            table = reliability(data, inst, columns=columns, by=args.by or None, use=args.use,
                                on_invalid=args.on_invalid)
            items = _item_analysis_by(data, inst, columns, args) if args.items else None
        except HelpstatsError as error:
            raise _data_error(source, error) from None
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"helpstats: warning: {source}: {cli_words(message)}", file=sys.stderr)
    out = _messages(args)
    write_table(table, Path(args.output), sheet="reliability", neutralise=not args.raw_csv)
    if not to_stdout(args.output):
        print(table.round(3).to_string(index=False), file=out)
    print(f"Reliability of {inst.id} from {len(data)} rows of {source}; wrote "
          f"{_shown_path(args.output)}", file=out)
    if items is not None:
        write_table(items, Path(args.items), sheet="items", neutralise=not args.raw_csv)
        print(f"Item analysis written to {_shown_path(args.items)}", file=out)
    return 0


def _item_analysis_by(data: pd.DataFrame, inst: Any, columns: Any,
                      args: argparse.Namespace) -> pd.DataFrame:
    """Item analysis of the whole data, or (with ``--by``) of each group, the group
    column(s) first as in the reliability table."""
    from .reliability import item_analysis

    if not args.by:
        return item_analysis(data, inst, columns=columns, use=args.use, on_invalid=args.on_invalid)
    parts = []
    for key, part in data.groupby(args.by, dropna=False, sort=True, observed=True):
        table = item_analysis(part, inst, columns=columns, use=args.use,
                              on_invalid=args.on_invalid)
        values = key if isinstance(key, tuple) else (key,)
        for position, (name, value) in enumerate(zip(args.by, values, strict=True)):
            table.insert(position, name, value)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)


def read_export_table(path: Path, *, format: str = "auto", dictionary: str | None = None,
                      sheet: str | None = None,
                      missing_codes: list[int | float | str] | None = None
                      ) -> tuple[pd.DataFrame, str]:
    """Read any survey export with :func:`helpstats.read_export`, indexed by row number.

    The index is the row number a spreadsheet shows (the first data row comes
    after the export's header rows); for SPSS/Stata files it is the case number.
    Returns the data and the detected format.
    """
    from .io import read_export

    chosen_sheet: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export = read_export(path, format=format, dictionary=dictionary, sheet=chosen_sheet,
                             missing_codes=missing_codes)
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"helpstats: warning: {cli_words(message)}", file=sys.stderr)
    data = export.data.set_axis(export.file_rows())
    return data, export.format


def _validate(args: argparse.Namespace) -> int:
    source = Path(args.input)
    if args.output:
        check_output(Path(args.output), args)
    data, fmt = read_export_table(source, format=args.format, dictionary=args.dictionary,
                                  sheet=args.sheet, missing_codes=args.missing_codes)
    instruments = [load_instrument(i) for i in args.instrument]  # a path stays that file
    ids = [i.id for i in instruments]
    columns = _parse_column_specs(args.columns, ids)
    try:
        report = validate(data, instruments, columns=columns or None, id=args.id,
                          wave=args.wave, coding=_parse_codings(args.coding, ids))
    except HelpstatsError as error:
        raise _data_error(source, error) from None
    summary = report.attrs["summary"]
    out = _messages(args)
    print(f"{source}: {fmt} export, {len(data)} rows", file=out)
    for line in summary.itertuples(index=False):
        verdict = "ok" if line.ok else "PROBLEMS"
        print(f"  {line.instrument}: {verdict}: {line.missing_columns} missing column(s), "
              f"{line.invalid_cells} invalid cell(s) in {line.rows_with_invalid} row(s), "
              f"{line.blank_cells} blank cell(s), {line.complete_rows} complete row(s)",
              file=out)
    if args.id:
        print(f"  duplicated participant{' x wave' if args.wave else ''} rows: "
              f"{report.attrs['duplicated_rows']}", file=out)
    for problem in report.head(MAX_PRINTED).itertuples(index=False):
        where = "" if pd.isna(problem.row) else f"row {problem.row}, "
        value = "" if problem.value is None else f", value {show_value(problem.value)}"
        print(f"  {where}column {problem.column!r}{value}: {problem.problem}", file=out)
    if len(report) > MAX_PRINTED:
        print(f"  ... and {len(report) - MAX_PRINTED} more", file=out)
    if args.output:
        write_table(report, Path(args.output), sheet="validation",
                    neutralise=not args.raw_csv)
        print(f"Report of {len(report)} problem(s) written to {_shown_path(args.output)}",
              file=out)
    return 1 if len(report) else 0


def _analyze(args: argparse.Namespace) -> int:
    from .report import analyze

    result = analyze(Path(args.study), Path(args.output), progress=not args.no_progress,
                     overwrite=args.overwrite, neutralise=not args.raw_csv)
    print(f"helpstats analyze: {result.study.path} -> {result.output_dir}/")
    for path in result.files:
        print(f"  {path.name}")
    problems = len(result.validation)
    if problems:
        print(f"{problems} validation note(s): see {result.output_dir / 'validation.md'}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    out = Path(args.output)
    for name in ("scored.csv", "scored.xlsx"):
        check_output_path(out / name, overwrite=args.overwrite)
    check_output_path(out, folder=True)
    bundled = resources.files("helpstats").joinpath("data/demo_responses.csv")
    with resources.as_file(bundled) as path:
        data, _ = read_export_table(Path(path))
    scores = score(data, ["phq9", "gad7"], columns={"phq9": "Q1_{n}", "gad7": "Q2_{n}"})
    scored = pd.concat([data, scores], axis=1)
    write_table(scored, out / "scored.csv", neutralise=not args.raw_csv)
    write_table(scored, out / "scored.xlsx", sheet="scores")
    summary = scored.groupby("wave")[["phq9_total", "gad7_total"]].agg(["count", "mean", "std"])
    print(f"helpstats demo: scored {len(scored)} administrations (PHQ-9 and GAD-7) into {out}/")
    print(summary.round(2).to_string())

    from .datasets import example_study_path
    from .report import analyze

    study = out / "study"
    print(f"\nhelpstats demo: analysing the bundled simulated study ({example_study_path().name})")
    result = analyze(example_study_path(), study, progress=not args.no_progress,
                     overwrite=args.overwrite, neutralise=not args.raw_csv)
    print(f"wrote {len(result.files)} files into {study}/; open {study / 'report.html'}")
    return 0


def _example(args: argparse.Namespace) -> int:
    from .starter import copy_example

    written = copy_example(Path(args.output), force=args.force)
    print(f"helpstats example: copied the example study into {args.output}/")
    for path in written:
        print(f"  {path.name}")
    study = next(p for p in written if p.suffix == ".toml")
    print(f"Run it with:  helpstats analyze {study} -o {Path(args.output) / 'results'}")
    print(f"The study-file format: {Path(args.output) / 'STUDY_FILE.md'}")
    return 0


def _init(args: argparse.Namespace) -> int:
    from .study_init import guess_study, study_file_text

    out = Path(args.output)
    if not to_stdout(out):
        if out.suffix.lower() != ".toml":
            raise CommandError(f"{out}: a study file is a .toml file; name it e.g. study.toml")
        check_output_path(out, inputs=args.exports, overwrite=args.force)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        guess = guess_study(args.exports)
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"helpstats: warning: {cli_words(message)}", file=sys.stderr)
    text = study_file_text(guess, folder=Path.cwd() if to_stdout(out) else out.parent)
    if to_stdout(out):
        sys.stdout.write(text)
        messages = sys.stderr
    else:
        from ._output import write_text

        write_text(out, text)
        messages = sys.stdout
    found = [f"{b.instrument.id} ({b.columns}, from the {b.evidence})" for b in guess.instruments
             if b.active and b.instrument is not None]
    print(f"helpstats init: wrote {_shown_path(str(out))}", file=messages)
    print(f"  id {guess.id.column!r}, wave {guess.wave.column!r}"
          + (f", group {guess.group.column!r}" if guess.group.column else ""), file=messages)
    print(f"  instruments: {', '.join(found) or 'none recognised'}", file=messages)
    checks = text.count("CHECK")
    if checks:
        print(f"  {checks} guess(es) marked CHECK in the file: read them, then run "
              f"helpstats analyze {out if not to_stdout(out) else 'study.toml'} -o results",
              file=messages)
    return 0


DOCS = {"study-file": "the study-file format: every section and key, type, default, example"}


def _docs(args: argparse.Namespace) -> int:
    from .starter import study_file_path, study_file_reference

    if args.path:
        print(study_file_path())
    else:
        print(study_file_reference(), end="")
    return 0


# ----------------------------------------------------------------------------- parser


EXPORT_HELP = ("a survey export: Qualtrics, REDCap, SurveyMonkey, LimeSurvey, "
               "Google Forms, SPSS, Stata, Excel, CSV/TSV; one row per administration")


def _missing_codes(text: str) -> list[int | float | str]:
    from .io._missing import parse_missing_codes

    return parse_missing_codes(text)


def _add_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", default="auto", help="export format (default: detect)")
    parser.add_argument("--dictionary", help="REDCap data dictionary .csv")
    parser.add_argument("--sheet", help="Excel sheet name or 0-based number")
    parser.add_argument("--missing-codes", type=_missing_codes, default=None, metavar="CODES",
                        help="comma-separated codes read as missing in every column, e.g. 7,9 "
                             "(only empty cells are missing otherwise)")


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing output files (an input is never overwritten)")
    parser.add_argument("--raw-csv", action="store_true",
                        help="write CSV text exactly as it is: no ' before text that a "
                             "spreadsheet would run as a formula (for analysis pipelines)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``helpstats`` command."""
    parser = argparse.ArgumentParser(
        prog="helpstats",
        description="Outcome measurement for peer-support and mutual-help research.",
    )
    parser.add_argument("--version", action="version", version=f"helpstats {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    instruments = commands.add_parser("instruments", help="list or describe bundled instruments")
    which = instruments.add_subparsers(dest="action", required=True)
    listing = which.add_parser("list", help="table of bundled instruments")
    listing.add_argument("--domain", choices=DOMAINS, default=None,
                         help="only the instruments of this domain, e.g. recovery/hope")
    listing.add_argument("--wide", action="store_true",
                         help="every column (name, scales, version, coding, ...), however wide")
    listing.set_defaults(handler=_instruments_list)
    show = which.add_parser("show", help="items, scales, bands, citation, licence of one instrument")
    show.add_argument("id")
    show.set_defaults(handler=_instruments_show)

    scorer = commands.add_parser("score", help="score instruments in a survey export")
    scorer.add_argument("input", help=EXPORT_HELP)
    _add_export_options(scorer)
    scorer.add_argument("-i", "--instrument", action="append", required=True,
                        help="instrument id (repeat for several)")
    scorer.add_argument("--columns", action="append", default=[], metavar="ID=PATTERN",
                        help="where an instrument's items are, e.g. phq9=Q5_{n}")
    scorer.add_argument("--on-invalid", choices=("raise", "missing"), default="raise",
                        help="invalid responses: stop with a report (default) or score as missing")
    scorer.add_argument("--coding", action="append", default=[], metavar="ID=CODING",
                        help="the response coding of an instrument that has several, e.g. "
                             "hads=position_1to4")
    scorer.add_argument("-o", "--output", required=True,
                        help="output .csv or .xlsx, or - for CSV on standard output (with "
                             "--engine dask: a .parquet dataset)")
    _add_output_options(scorer)
    scorer.add_argument("--engine", choices=("pandas", "dask"), default="pandas",
                        help="dask: read and score in blocks on a Dask cluster (pip install "
                             "'helpstats[dask]'), for files larger than memory")
    scorer.add_argument("--scheduler", metavar="ADDRESS",
                        help="with --engine dask: an existing Dask scheduler (default: a local cluster)")
    scorer.add_argument("--workers", type=int, help="with --engine dask: local cluster workers")
    scorer.add_argument("--memory-limit", help="with --engine dask: memory per local worker, e.g. 2GB")
    scorer.add_argument("--blocksize", help="with --engine dask: block size (default: the file in "
                        "two blocks per worker thread, 1MiB to 64MiB each)")
    scorer.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    scorer.set_defaults(handler=_score)

    rel = commands.add_parser("reliability",
                              help="alpha (Feldt CI), omega and item analysis of an instrument")
    rel.add_argument("input", help=EXPORT_HELP)
    _add_export_options(rel)
    rel.add_argument("-i", "--instrument", required=True,
                     help="instrument id, or the path of your own .toml definition")
    rel.add_argument("--columns", action="append", default=[], metavar="ID=PATTERN",
                     help="where the items are, e.g. phq9=Q5_{n}")
    rel.add_argument("--by", action="append", default=[], metavar="COLUMN",
                     help="one row per scale and value of COLUMN (repeat for several)")
    rel.add_argument("--use", choices=("complete", "pairwise"), default="complete",
                     help="complete cases per scale (default) or pairwise covariances (psych)")
    rel.add_argument("--on-invalid", choices=("raise", "missing"), default="raise",
                     help="invalid responses: stop with a report (default) or treat as missing")
    rel.add_argument("--items", metavar="ITEMS_OUT",
                     help="also write the item analysis to this .csv or .xlsx (- for standard "
                          "output); with --by, one item analysis per group")
    rel.add_argument("-o", "--output", required=True,
                     help="output .csv or .xlsx, or - for CSV on standard output")
    _add_output_options(rel)
    rel.set_defaults(handler=_reliability)

    checker = commands.add_parser(
        "validate", help="check a survey export against instruments before scoring")
    checker.add_argument("input", help=EXPORT_HELP)
    checker.add_argument("-i", "--instrument", action="append", required=True,
                         help="instrument id (repeat for several)")
    checker.add_argument("--columns", action="append", default=[], metavar="ID=PATTERN",
                         help="where an instrument's items are, e.g. phq9=Q5_{n}")
    checker.add_argument("--coding", action="append", default=[], metavar="ID=CODING",
                         help="the response coding of an instrument that has several, e.g. "
                              "hads=position_0to3 (its valid responses are the ones checked)")
    checker.add_argument("--id", help="participant column (report duplicated participants)")
    checker.add_argument("--wave", help="wave column (report duplicated participant x wave)")
    _add_export_options(checker)
    checker.add_argument("-o", "--output", help="write every problem to this .csv or .xlsx "
                                                 "(- for CSV on standard output)")
    _add_output_options(checker)
    checker.set_defaults(handler=_validate)

    analyzer = commands.add_parser(
        "analyze", help="run a study file: scores, roles, models, tables, plots, report.html",
        description="Run a study file: read the exports, score, classify roles, fit the "
                    "models, write tables, figures and report.html. The study-file format "
                    "(every key, type, default and an example) is STUDY_FILE.md, installed "
                    "with helpstats: print it with `helpstats docs study-file` (its path: "
                    "`helpstats docs study-file --path`); `helpstats example -o DIR` copies a "
                    "study file that runs, and `helpstats init EXPORT -o study.toml` writes "
                    "one for your export(s).")
    analyzer.add_argument("study", help="study file (.toml); format: STUDY_FILE.md "
                                        "(helpstats docs study-file)")
    analyzer.add_argument("-o", "--output", required=True, help="output folder")
    analyzer.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _add_output_options(analyzer)
    analyzer.set_defaults(handler=_analyze)

    init = commands.add_parser(
        "init", help="write a commented study file guessed from your export(s)",
        description="Inspect the export(s) and write a study file for `helpstats analyze`: "
                    "the id, wave and group columns, the instruments (from numbered item "
                    "columns, their answers and question texts) and the helping columns. "
                    "Guesses that need a look are marked CHECK. The format: "
                    "`helpstats docs study-file`.")
    init.add_argument("exports", nargs="+", metavar="EXPORT",
                      help="one long export, or one export per wave (" + EXPORT_HELP + ")")
    init.add_argument("-o", "--output", required=True,
                      help="the study file to write (.toml), or - for standard output")
    init.add_argument("--force", "--overwrite", dest="force", action="store_true",
                      help="replace an existing study file")
    init.set_defaults(handler=_init)

    example = commands.add_parser(
        "example", help="copy the bundled example study (study file, data, STUDY_FILE.md)")
    example.add_argument("-o", "--output", required=True, metavar="DIR", help="folder to copy into")
    example.add_argument("--force", "--overwrite", dest="force", action="store_true",
                         help="replace files of the same name")
    example.set_defaults(handler=_example)

    docs = commands.add_parser("docs", help="print a reference page: study-file")
    docs.add_argument("page", choices=sorted(DOCS), help="; ".join(f"{k}: {v}"
                                                              for k, v in DOCS.items()))
    docs.add_argument("--path", action="store_true", help="print where the page is installed")
    docs.set_defaults(handler=_docs)

    demo = commands.add_parser("demo", help="run the main job on bundled example data")
    demo.add_argument("-o", "--output", default="helpstats-demo", help="output folder")
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _add_output_options(demo)
    demo.set_defaults(handler=_demo)
    return parser


EXIT_INTERNAL = 3


def _one_line(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if type(error).__module__.startswith("helpstats") else \
        f"{type(error).__name__}: {text}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Exit status 0: done; 1: ``validate`` found problems; 2: bad input or
    arguments (a message names the file, key, row, column or value); 3: an
    unexpected failure inside helpstats (a one-line message, no traceback; set
    the environment variable ``HELPSTATS_DEBUG=1`` to see the traceback, and
    please report it). A closed output pipe (``helpstats ... | head``) ends quietly.
    """
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except HelpstatsError as error:
        print(f"helpstats: error: {cli_words(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # a file the OS would not let us read or write
        where = f"{error.filename}: " if error.filename else ""
        print(f"helpstats: error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    except (RecursionError, MemoryError) as error:
        print(f"helpstats: error: the input is too deeply nested or too large "
              f"({type(error).__name__}).", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:
        if os.environ.get("HELPSTATS_DEBUG"):
            raise
        print(f"helpstats: internal error: {_one_line(error)}. This is a bug in helpstats; "
              "please report it (HELPSTATS_DEBUG=1 shows the details).", file=sys.stderr)
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    """After a closed pipe: send the rest of stdout nowhere, so exit flushes quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def run() -> None:
    """Console-script entry point."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        status = 0
    sys.exit(status)
