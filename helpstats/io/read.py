"""``read_export``: read any supported survey export into an :class:`Export`.

Examples
--------
>>> import pathlib, tempfile
>>> import helpstats as hs
>>> p = pathlib.Path(tempfile.mkdtemp()) / "wave1.csv"
>>> _ = p.write_text("id,phq9_1,phq9_2\\n00123,1,2\\n00124,0,\\n")
>>> exp = hs.read_export(p)
>>> exp.format, exp.data["id"].tolist(), exp.data["phq9_2"].tolist()
('csv', ['00123', '00124'], [2.0, nan])
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import ExportError
from ._export import FORMATS, Export
from ._missing import MissingCodes, apply_missing_codes
from ._sheet import is_zip_file, sheet_cache
from ._text import load_bytes
from .delimited import read_csv_export
from .detect import guess_format
from .excel import read_excel_export
from .googleforms import read_google_forms
from .limesurvey import read_limesurvey
from .qualtrics import read_qualtrics
from .redcap import read_redcap
from .spss import read_spss
from .stata import read_stata
from .surveymonkey import read_surveymonkey

__all__ = ["read_export"]

_EXCEL_OK = ("excel", "qualtrics", "surveymonkey")


@sheet_cache()  # an .xlsx sheet is parsed once for detection, header rows and data
def read_export(
    path: str | Path,
    format: str = "auto",
    dictionary: str | Path | pd.DataFrame | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    missing_codes: MissingCodes | None = None,
    engine: str = "pandas",
    blocksize: int | str = "64MiB",
) -> Export:
    """Read a survey export: Qualtrics, REDCap, SurveyMonkey, LimeSurvey, Google Forms,
    SPSS, Stata, Excel or CSV/TSV.

    Parameters
    ----------
    path : str or Path
        The export file.
    format : str, default "auto"
        ``"auto"`` recognises the format from the file's content; or one of
        ``qualtrics, qualtrics-legacy, redcap, surveymonkey, limesurvey,
        google-forms, spss, stata, excel, csv``.
    dictionary : str, Path or DataFrame, optional
        REDCap data dictionary (value labels, checkbox groups, field types).
    sheet : str or int, optional
        Excel sheet (name or 0-based number); default the first.
    encoding : str, optional
        Text encoding; default detected (UTF-8 with or without BOM, UTF-16, Windows-1252).
    missing_codes : list, str or dict, optional
        Codes to read as missing. Only an empty cell is missing otherwise, in every
        format (typed ``NA`` or ``None`` are values). A list (``[7, 9]``, ``["NA"]``)
        applies to every column but identifiers (``id``, ``record_id`` ...), a dict
        (``{"DPQ010": [7, 9]}``) to the columns named; a text ``"7,9"`` is read as
        the command line's ``--missing-codes``.
        Recorded in ``Export.missing_codes``; cells read as missing per column in
        ``Export.source.missing_cells``.
    engine : {"pandas", "dask"}, default "pandas"
        ``"dask"`` (optional extra ``helpstats[dask]``) reads a delimited export
        (CSV/TSV, Qualtrics, REDCap, LimeSurvey, Google Forms) lazily in blocks
        of ``blocksize`` bytes: ``.data`` is a Dask DataFrame with the same
        columns, dtypes and values, and every block's lines are checked against
        its records (no row lost).
    blocksize : int or str, default "64MiB"
        Block size of ``engine="dask"``.

    Returns
    -------
    Export
        ``.data`` (one row per submission, the export's own column names),
        ``.format``, ``.questions``, ``.value_labels``, ``.missing_codes``,
        ``.source`` and, for REDCap with a dictionary, ``.fields``.

    Raises
    ------
    helpstats.errors.ExportError
        The file is missing, empty, unreadable, not a survey export, or not of
        the given ``format``.
    """
    if engine not in ("pandas", "dask"):
        raise ExportError(f"engine={engine!r}; expected 'pandas' or 'dask'.")
    if engine == "dask":
        if dictionary is not None or sheet is not None:
            raise ExportError(f"{path}: engine='dask' reads delimited text without dictionary= or "
                              "sheet=; use engine='pandas' for those.")
        from .._dask.read import read_export_dask

        return read_export_dask(path, format=format, encoding=encoding, blocksize=blocksize,
                                missing_codes=missing_codes)
    fmt = str(format).lower()
    if fmt != "auto" and fmt not in FORMATS:
        raise ExportError(f"format={format!r} is not known; expected 'auto' or one of "
                          f"{', '.join(FORMATS)}.")
    detected, guess_note = guess_format(path, sheet=sheet, encoding=encoding)
    if fmt == "auto":
        fmt = detected
    else:
        guess_note = None
    if dictionary is not None and fmt != "redcap":
        raise ExportError(f"{path}: dictionary= is for REDCap exports, but the format is "
                          f"{fmt!r}. Pass format='redcap' if this is a REDCap export.")
    is_zip = is_zip_file(path)
    if fmt in ("spss", "stata"):
        if detected != fmt:
            raise ExportError(f"{path}: format={fmt!r} was given but the file is not a "
                              f"{fmt.upper()} file (its content looks like {detected!r}).")
    elif detected in ("spss", "stata"):
        raise ExportError(f"{path}: format={fmt!r} was given but the file is a "
                          f"{detected.upper()} file; use format={detected!r} or 'auto'.")
    elif is_zip and fmt not in _EXCEL_OK:
        raise ExportError(f"{path}: is an .xlsx workbook; format={fmt!r} reads text files. "
                          f"Use one of {_EXCEL_OK} or 'auto'.")
    elif not is_zip and fmt == "excel":
        raise ExportError(f"{path}: format='excel' was given but the file is not an .xlsx "
                          f"workbook (its content looks like {detected!r}).")
    if sheet is not None and not is_zip:
        raise ExportError(f"{path}: sheet= was given but the file is not an .xlsx workbook.")
    export = _dispatch(path, fmt, dictionary=dictionary, sheet=sheet, encoding=encoding)
    export = apply_missing_codes(export, missing_codes)
    if guess_note is not None:
        export = _with_note(export, f"{guess_note}; read {export.source.header_rows} header "
                                    f"row(s) and {export.source.rows_read} data row(s)")
    return export


def _with_note(export: Export, note: str) -> Export:
    return replace(export, source=replace(export.source, notes=(*export.source.notes, note)))


def _dispatch(path: str | Path, fmt: str, *, dictionary: str | Path | pd.DataFrame | None,
              sheet: str | int | None, encoding: str | None) -> Export:
    if fmt == "spss":
        return read_spss(path)
    if fmt == "stata":
        return read_stata(path)
    if is_zip_file(path):
        if fmt == "excel":
            return read_excel_export(path, sheet=sheet)
        if fmt == "surveymonkey":
            return read_surveymonkey(path, sheet=sheet)
        return read_qualtrics(path, sheet=sheet)
    data = load_bytes(path)
    if fmt in ("qualtrics", "qualtrics-legacy"):
        return read_qualtrics(path, legacy=fmt == "qualtrics-legacy", encoding=encoding,
                              data=data)
    if fmt == "redcap":
        return read_redcap(path, dictionary=dictionary, encoding=encoding, data=data)
    if fmt == "surveymonkey":
        return read_surveymonkey(path, encoding=encoding, data=data)
    if fmt == "limesurvey":
        return read_limesurvey(path, encoding=encoding, data=data)
    if fmt == "google-forms":
        return read_google_forms(path, encoding=encoding, data=data)
    return read_csv_export(path, encoding=encoding, data=data)

