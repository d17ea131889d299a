"""Reading survey exports: one reader per format, auto-detection, one result type.

:func:`read_export` recognises the format from the file's content and returns an
:class:`Export` (``.data``, ``.format``, ``.questions``, ``.value_labels``,
``.missing_codes``, ``.source``):

==================  =============================================================
format              what is read
==================  =============================================================
qualtrics           CSV/TSV/XLSX, 3 header rows (names, question text, ImportId)
qualtrics-legacy    CSV, 2 header rows (``V1 ...``, labels)
redcap              raw or labels CSV; with ``dictionary=``: labels, field types
surveymonkey        CSV/XLSX, 2 header rows; columns ``q1``, ``q2_1`` ...
limesurvey          CSV with codes or ``code. text`` headings
google-forms        CSV with a Timestamp column; question texts as names
spss                .sav/.zsav: value labels, user-missing values read as missing
stata               .dta: value and variable labels
excel               any other .xlsx sheet (``sheet=``), first row = names
csv                 any other delimited text (delimiter and encoding sniffed)
==================  =============================================================

Nothing is lost: every data row is a row of ``.data``; a column becomes numeric
only when every value is a plain number that keeps its text (``00123`` and
``11400000001`` stay text); repeated or empty names are made unique, warned
about (:class:`~helpstats.errors.ExportWarning`) and listed in
``.source.renamed_columns``; rows shorter than the header are padded and
reported. Only an empty cell is missing, in every format, unless codes are
declared (``missing_codes=[7, 9]``). Bad files raise
:class:`~helpstats.errors.ExportError` naming the file and the problem, such as
the line where a stray quote opened a cell that swallows the records after it.

Examples
--------
>>> from helpstats.io import FORMATS
>>> "redcap" in FORMATS
True
"""

from __future__ import annotations

from ._convert import parse_number
from ._export import FORMATS, Export, Source
from .detect import detect_format
from .many import read_exports
from .read import read_export

__all__ = ["FORMATS", "Export", "Source", "detect_format", "parse_number", "read_export",
           "read_exports"]
