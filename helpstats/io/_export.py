"""The result of reading a survey export: :class:`Export` and :class:`Source`.

Examples
--------
>>> import pandas as pd
>>> from helpstats.io import Export, Source
>>> src = Source(path="a.csv", sheet=None, encoding="utf-8", delimiter=",",
...              rows_read=1, header_rows=1)
>>> Export(data=pd.DataFrame({"q1": [1]}), format="csv", source=src).format
'csv'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._display import result_html, short_repr

__all__ = ["FORMATS", "Export", "Source"]

FORMATS = (
    "qualtrics",
    "qualtrics-legacy",
    "redcap",
    "surveymonkey",
    "limesurvey",
    "google-forms",
    "spss",
    "stata",
    "excel",
    "csv",
)
"""Every value ``Export.format`` can take (and ``read_export(format=...)`` accepts)."""


@dataclass(frozen=True)
class Source:
    """Where the data came from and how it was read.

    Attributes
    ----------
    path : str
        The file read.
    sheet : str or None
        The Excel sheet read (None for other files).
    encoding : str or None
        Text encoding used (None for binary formats).
    delimiter : str or None
        Field delimiter of a text file.
    rows_read : int
        Data rows read: the number of rows of ``Export.data``.
    header_rows : int
        Rows at the top of the file that are header, not data.
    renamed_columns : Mapping[str, str]
        Columns renamed to make names unique or non-empty: new name -> name in the file.
    missing_cells : Mapping[str, int]
        Per column, how many cells held a missing-value code (``Export.missing_codes``)
        and were read as missing.
    notes : tuple of str
        Anything else the reader did that a user should know.
    """

    path: str
    sheet: str | None
    encoding: str | None
    delimiter: str | None
    rows_read: int
    header_rows: int
    renamed_columns: Mapping[str, str] = field(default_factory=dict)
    missing_cells: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Export:
    """A survey export read by :func:`helpstats.read_export`.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per submission, with the export's own variable names. Header rows
        are not data. Values are as exported; columns whose every value is a plain
        number are numeric, everything else is text; empty cells are missing.
    format : str
        One of :data:`FORMATS`.
    questions : Mapping[str, str]
        Column -> full question text, where the export gives it.
    value_labels : Mapping[str, Mapping[Any, str]]
        Column -> {code: label}, where the export or its data dictionary gives them.
    missing_codes : Mapping[str, tuple]
        Column -> codes read as missing (SPSS user-missing values, REDCap's
        ``[not completed]``, and the codes declared with ``read_export(...,
        missing_codes=...)``). A range of codes is a ``(low, high)`` tuple. Only empty
        cells are missing otherwise.
    source : Source
        Path, sheet, encoding, rows read, header rows and renamed columns.
    fields : pandas.DataFrame or None
        REDCap with a data dictionary: one row per data column with ``column, field,
        form, field_type, choice, validation`` (a checkbox column ``x___1`` has field
        ``x`` and choice ``1``). None for other exports.
    """

    data: pd.DataFrame
    format: str
    source: Source
    questions: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)
    missing_codes: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    fields: pd.DataFrame | None = None

    def _title(self) -> str:
        rows, cols = self.data.shape
        return f"Export ({self.format}): {rows} rows x {cols} columns from {self.source.path}"

    def _lines(self) -> list[str]:
        names = [str(c) for c in self.data.columns]
        shown = ", ".join(names[:8]) + (f", ... ({len(names) - 8} more)" if len(names) > 8
                                        else "")
        lines = [f"columns: {shown}" if names else "columns: none"]
        extras = [f"{len(self.questions)} question texts" if self.questions else "",
                  f"{len(self.value_labels)} columns with value labels"
                  if self.value_labels else "",
                  f"{len(self.missing_codes)} columns with missing-value codes"
                  if self.missing_codes else ""]
        if any(extras):
            lines.append("; ".join(e for e in extras if e))
        lines.append("the data in .data; .questions, .value_labels, .missing_codes, .source")
        return lines

    def __repr__(self) -> str:
        """A few lines: format, shape, file, the first columns -- never the whole frame.

        Examples
        --------
        >>> import pandas as pd
        >>> from helpstats.io import Export, Source
        >>> src = Source(path="q.csv", sheet=None, encoding="utf-8", delimiter=",",
        ...              rows_read=2, header_rows=1)
        >>> Export(data=pd.DataFrame({"q1": [1, 2]}), format="csv", source=src)
        Export (csv): 2 rows x 1 columns from q.csv
          columns: q1
          the data in .data; .questions, .value_labels, .missing_codes, .source
        """
        return short_repr(self._title(), self._lines())

    def _repr_html_(self) -> str:
        return result_html(self._title(), self._lines(),
                           {"First rows of .data": self.data.head(5)})

    def file_rows(self) -> pd.RangeIndex:
        """The row number of each data row as the file shows it (its header rows come first).

        For a spreadsheet or text export this is the row a spreadsheet program shows
        (a Qualtrics export's three header rows make the first data row row 4); for
        SPSS/Stata files, which have no header rows, it is the case number.
        This is the one rule for row numbers in messages and reports: the command
        line, :func:`helpstats.validate` given an Export and ``analyze``'s
        ``source_row`` all use it, so a cell has the same row number everywhere.

        Returns
        -------
        pandas.RangeIndex
            Named ``row``, one number per row of ``data``.

        Examples
        --------
        >>> import pandas as pd
        >>> from helpstats.io import Export, Source
        >>> src = Source(path="q.csv", sheet=None, encoding="utf-8", delimiter=",",
        ...              rows_read=2, header_rows=3)
        >>> Export(data=pd.DataFrame({"q1": [1, 2]}), format="qualtrics",
        ...        source=src).file_rows().tolist()
        [4, 5]
        """
        first = self.source.header_rows + 1
        return pd.RangeIndex(first, first + len(self.data), name="row")
