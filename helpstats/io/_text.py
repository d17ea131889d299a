"""Reading delimited text exports: bytes, encoding, delimiter, header rows, values.

Every survey export that is a text file (Qualtrics, REDCap, SurveyMonkey CSV,
LimeSurvey, Google Forms, plain CSV/TSV) is read here into a :class:`Grid`: the
header records as text, and the data rows as a DataFrame with positional
columns. Values are read as text and a column becomes numeric only when every
value parses exactly (:mod:`helpstats.io._convert`).

Speed: before parsing, a vectorised scan of the raw bytes (:mod:`helpstats.io._risky`)
finds the fields whose text a number would not keep (``00123``, ``+1``, ``-05``,
``1E5``) and the columns they are in; pandas' C parser then reads those columns as
text and infers the types of the others in one pass. Only columns that need exact
reading (IDs, long integers, infinities, mixed chunks) are read again as text and
converted value by value.

Examples
--------
>>> from helpstats.io._text import sniff_delimiter
>>> sniff_delimiter("a;b;c\\n1;2;3\\n")
';'
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ExportError
from ._convert import MAX_INT_DIGITS, convert_text_column, is_id_name
from ._records import (
    check_quoted_cells,
    csv_field_limit,
    line_breaks,
    line_counts,
    record_width,
    record_widths,
)
from ._risky import has_risky_field, risky_columns, risky_field_starts

__all__ = ["Grid", "decode", "head_records", "load_bytes", "load_head", "read_delimited", "sniff_delimiter"]

_DELIMITERS = (",", "\t", ";", "|")
_QUOTE_CHAR = '"'
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_NA = {"keep_default_na": False, "na_values": [""]}


@dataclass
class Grid:
    """Header records and data rows of one table, before names are assigned.

    ``notes`` say what the reader did; ``warnings`` are notes a user must see (they
    are also warned about as :class:`~helpstats.errors.ExportWarning`).
    """

    header: list[list[str]]
    data: pd.DataFrame
    encoding: str | None
    delimiter: str | None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def n_columns(self) -> int:
        return int(self.data.shape[1])

    def header_row(self, i: int) -> list[str]:
        """Header record ``i`` padded with empty strings to the number of columns."""
        row = list(self.header[i]) if i < len(self.header) else []
        return (row + [""] * self.n_columns)[: self.n_columns]


def _existing_file(path: str | Path) -> Path:
    """``path`` as a Path, or an :class:`ExportError` if it is missing or a folder."""
    p = Path(path)
    if not p.exists():
        raise ExportError(f"{p}: no such file. Check the path.")
    if p.is_dir():
        raise ExportError(f"{p}: is a folder, not an export file. Give the path of the file.")
    return p


def load_bytes(path: str | Path) -> bytes:
    """Read a whole file, raising :class:`ExportError` for missing or empty files."""
    p = _existing_file(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ExportError(f"{p}: cannot be read ({exc}).") from exc
    if not data[:65536].strip() and not data.strip():
        raise ExportError(f"{p}: the file is empty; expected a survey export with a header row.")
    return data


def load_head(path: str | Path, size: int) -> bytes:
    """The first ``size`` bytes of a file (cut after the last line break when the file is
    longer), with the same errors as :func:`load_bytes`."""
    p = _existing_file(path)
    try:
        with open(p, "rb") as handle:
            head = handle.read(size + 1)
    except OSError as exc:
        raise ExportError(f"{p}: cannot be read ({exc}).") from exc
    if len(head) <= size:
        if not head.strip():
            raise ExportError(f"{p}: the file is empty; expected a survey export with a header "
                              "row.")
        return head
    head = head[: size - size % 2]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: keep whole code units
        return head
    cut = head.rfind(b"\n")
    if not head.strip():
        load_bytes(p)  # raises if the whole file is blank
    return head[: cut + 1] if cut > 0 else head


MIXED_ENCODING = "utf-8+cp1252"
"""``Source.encoding`` of a file whose lines are partly UTF-8 and partly Windows-1252."""


def decode(path: str | Path, data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode text bytes; return ``(text, encoding)``.

    Without ``encoding``: UTF-16 when the file starts with its byte-order mark,
    else UTF-8 (with or without BOM), else Windows-1252. A file whose lines mix
    UTF-8 and Windows-1252 (rows pasted from different sources) is decoded line
    by line (:data:`MIXED_ENCODING`), so ``Zoë`` in a UTF-8 line stays ``Zoë``. Text
    that is only whitespace raises the "empty file" error.
    """
    text, used, _ = decode_with_notes(path, data, encoding)
    return text, used


def decode_with_notes(path: str | Path, data: bytes,
                      encoding: str | None = None) -> tuple[str, str, list[str]]:
    """:func:`decode`, plus notes on what was done (the lines decoded as Windows-1252)."""
    text, used, notes = _decode(path, data, encoding)
    blank = "\ufeff \t\r\n"
    if not text[:65536].strip(blank) and not text.strip(blank):  # no copy of a long text
        raise ExportError(f"{path}: the file is empty; expected a survey export with a header row.")
    return text, used, notes


def _decode_lines(data: bytes) -> tuple[str, list[int], bool]:
    """Decode each line as UTF-8, or as Windows-1252 when it is not UTF-8.

    Returns the text, the 1-based numbers of the lines decoded as Windows-1252,
    and whether some other line holds non-ASCII UTF-8 (so the file is mixed).
    """
    parts: list[str] = []
    fallback: list[int] = []
    utf8_beyond_ascii = False
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            parts.append(line.decode("utf-8"))
            utf8_beyond_ascii = utf8_beyond_ascii or not line.isascii()
        except UnicodeDecodeError:
            parts.append(line.decode("cp1252"))
            fallback.append(number)
    return "\n".join(parts), fallback, utf8_beyond_ascii


def _decode(path: str | Path, data: bytes, encoding: str | None) -> tuple[str, str, list[str]]:
    bom = data[:3] == b"\xef\xbb\xbf"
    if bom and encoding is None:
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError:
            data = data[3:]  # a UTF-8 file with some Windows-1252 lines: decode line by line
    text, used = _decode_whole(path, data, encoding)
    if used != "cp1252" or encoding is not None:
        return text, used, []
    try:
        mixed, fallback, utf8_beyond_ascii = _decode_lines(data)
    except UnicodeDecodeError:
        return text, used, []
    if not utf8_beyond_ascii and not bom:
        return text, used, []
    lines = ", ".join(str(n) for n in fallback[:10]) + (", ..." if len(fallback) > 10 else "")
    return mixed, MIXED_ENCODING, [
        f"the file mixes encodings: {len(fallback)} line(s) are not UTF-8 and were decoded "
        f"as Windows-1252 (line(s) {lines}), the others as UTF-8; check those lines' "
        "accented characters"]


def _decode_whole(path: str | Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise ExportError(
                f"{path}: cannot be decoded as {encoding!r} ({exc}). "
                "Leave encoding=None to detect it, or give the right encoding."
            ) from exc
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise ExportError(
            f"{path}: contains NUL bytes, so it is a binary file and not a text export "
            "(or a format helpstats does not read). Expected CSV/TSV text, .xlsx, .sav, "
            ".zsav or .dta."
        )
    if data[:3] == b"\xef\xbb\xbf":
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ExportError(f"{path}: starts with a UTF-8 mark but has bytes that are not "
                              f"UTF-8 at offset {exc.start + 3}.") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise ExportError(
                f"{path}: unreadable bytes: not UTF-8 (byte {utf8_error.start}) and not "
                f"Windows-1252 (byte {exc.start}). Pass encoding= with the file's encoding."
            ) from exc


_TAB_SUFFIXES = (".tsv", ".tab")


def sniff_delimiter(text: str, path: str | Path | None = None) -> str:
    """Pick the delimiter among ``, TAB ; |`` that splits the first records consistently.

    When two split them equally well (a tab-separated file whose cells hold commas), the
    one the file's name implies wins: TAB for ``.tsv`` and ``.tab``, else the comma.

    >>> sniff_delimiter("a\\tb,\\n\\t,\\n"), sniff_delimiter("a\\tb,\\n\\t,\\n", "x.tsv")
    (',', '\\t')
    """
    sample = text[:65536]
    tab_first = path is not None and Path(path).suffix.lower() in _TAB_SUFFIXES
    order = ("\t", *(d for d in _DELIMITERS if d != "\t")) if tab_first else _DELIMITERS
    best, best_score = order[0], (-1, -1, -1, -1)
    for delim in order:
        try:
            records = [r for r in head_records(sample, delim, 6) if r]
        except csv.Error:
            continue
        if len(records) > 1 and not sample.endswith(("\n", "\r")) and len(sample) == 65536:
            records = records[:-1]
        if not records:
            continue
        widths = {len(r) for r in records}
        width = len(records[0])
        consistent = len(widths) == 1
        # every record alike and split; else a split header; else records alike (one column)
        score = (int(consistent and width > 1), int(width > 1), int(consistent), width)
        if score > best_score:
            best, best_score = delim, score
    return best


def head_records(text: str, delimiter: str, n: int) -> list[list[str]]:
    """The first ``n`` records of delimited text (quoted line breaks respected)."""
    prefix = text[:1_000_000]
    records = _records(prefix, delimiter, n + 1)
    if len(records) <= n and len(prefix) < len(text):
        records = _records(text, delimiter, n)
    return records[:n]


def _records(text: str, delimiter: str, n: int) -> list[list[str]]:
    out: list[list[str]] = []
    with csv_field_limit():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for record in reader:
            out.append(record)
            if len(out) == n:
                break
    return out


def _has_risky_text(texts: pd.Series) -> bool:
    """Some value starts (after spaces) with ``+``, ``0`` and a digit, ``-0`` and a digit,
    or is a bare exponent (``1E5``).

    The column's texts are joined with line breaks and scanned like the raw file
    (:func:`~helpstats.io._risky.has_risky_field`), which is much faster than testing
    value by value.
    """
    values = texts.to_numpy(dtype=object, na_value="")
    joined = ("\n" + "\n".join(values) + "\n").encode("utf-8", "surrogatepass")
    return has_risky_field(joined, "\n")


def _possibly_risky_columns(raw: bytes, delimiter: str, data_start: int,
                            brk: str) -> set[int] | None:
    """The columns where some data field may be a number whose text a number would not
    keep (``00123``, ``+1``, ``-05``, ``1E5``); ``None`` when every column may be.

    False alarms only cost speed: those columns are read again as text and checked
    value by value.
    """
    if len(raw) < 4:
        return None
    return risky_columns(raw, delimiter, risky_field_starts(raw, delimiter), data_start, brk)


def _line_offset(raw: bytes, lines: int, brk: str) -> int:
    """The byte offset where line ``lines + 1`` starts (the end of the file if shorter);
    ``brk`` ends the lines."""
    pos, end = 0, brk.encode()
    for _ in range(lines):
        pos = raw.find(end, pos) + 1
        if pos == 0:
            return len(raw)
    return pos


def _needs_exact_reading(column: pd.Series) -> bool:
    kind = column.dtype.kind
    if kind in "bu":
        return True
    if kind == "i":
        values = column.to_numpy()
        limit = 10**MAX_INT_DIGITS
        return bool(values.max() >= limit or values.min() <= -limit) if len(values) else False
    if kind == "f":  # an infinity, or a number of more digits than an integer keeps
        values = column.to_numpy()
        limit = 10**MAX_INT_DIGITS  # fmax / fmin pass over NaN (all NaN: NaN, not beyond)
        return bool(np.fmax.reduce(values) >= limit or np.fmin.reduce(values) <= -limit) \
            if len(values) else False
    if kind == "O" and not isinstance(column.dtype, pd.StringDtype):
        return pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty")
    return False


def _parse(source: str | bytes | Path, encoding: str, **kwargs: object) -> pd.DataFrame:
    """The C parser over text, bytes or the file itself; chunks of mixed types are re-read
    later."""
    buffer: Path | io.BytesIO | io.StringIO = source if isinstance(source, Path) else \
        io.BytesIO(source) if isinstance(source, bytes) else io.StringIO(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        frame = pd.read_csv(buffer, header=None, skip_blank_lines=False, compression=None,
                            encoding=None if isinstance(source, str) else encoding,
                            **_NA, **kwargs)
    return _empty_is_missing(frame)


def _empty_is_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells as missing in every text column, in place.

    pandas 3.1's C parser leaves an empty cell as ``""`` instead of missing in a column
    whose other values are integers between 2**63 and 2**64 - 1 (its unsigned-integer
    fallback ignores ``na_values``): 20-digit IDs with a blank cell.
    """
    for c in frame.columns:
        column = frame[c]
        if column.dtype.kind == "O" or isinstance(column.dtype, pd.StringDtype):
            empty = (column == "").to_numpy(dtype=bool, na_value=False)
            if empty.any():
                frame[c] = column.mask(empty)
    return frame


def _byte_source(path: str | Path, raw: bytes) -> bytes | Path:
    """What the parser reads for a file in an ASCII-compatible encoding: the file itself
    when it still holds ``raw`` as far as its size tells, else the bytes.

    With a second core free, pandas parses a file path about twice as fast as the same
    bytes in a buffer (1,000,000 rows: 0.42 s against 0.85 s on 2 cores; equal on one).
    """
    file = Path(path).resolve()  # absolute: pandas expands no "~" and reads no URL
    try:
        same = file.is_file() and file.stat().st_size == len(raw)
    except OSError:
        same = False
    return file if same else raw


def _max_fields(text: str, delimiter: str) -> int:
    with csv_field_limit():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return max((len(r) for r in reader), default=0)


def read_delimited(
    path: str | Path,
    *,
    header_rows: int,
    encoding: str | None = None,
    delimiter: str | None = None,
    data: bytes | None = None,
) -> Grid:
    """Read a delimited text export into a :class:`Grid`.

    Parameters
    ----------
    path : str or Path
        The file (named in error messages).
    header_rows : int
        How many records at the top are header, not data.
    encoding, delimiter : str, optional
        Detected when not given.
    data : bytes, optional
        The file's bytes when already read.
    """
    raw = load_bytes(path) if data is None else data
    text, used_encoding, decode_notes = decode_with_notes(path, raw, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    delim = delimiter or sniff_delimiter(text, path)
    ascii_compatible = used_encoding in ("utf-8", "utf-8-sig", "cp1252")  # not mixed
    brk = line_breaks(raw if ascii_compatible else text)  # one rule, read once
    per_line = line_counts(raw if ascii_compatible else text, delim, brk)
    spans = check_quoted_cells(path, text, delim, quotes=per_line[1], brk=brk)
    try:
        header = head_records(text, delim, header_rows)
    except csv.Error as exc:
        raise ExportError(f"{path}: the header rows cannot be parsed as delimited text ({exc}).") \
            from exc
    if len(header) < header_rows:
        raise ExportError(
            f"{path}: has {len(header)} header row(s); expected {header_rows}. "
            "Check format= (or the file is truncated)."
        )
    width = header_width = max((len(r) for r in header), default=0)
    source = _byte_source(path, raw) if ascii_compatible else text
    lines = _Lines.of(text, raw if ascii_compatible else None, used_encoding,
                      n_breaks=per_line[0].size - 1, brk=brk)
    del text  # the parser reads the bytes: the text is not kept beside the frame
    data_start = _line_offset(raw, _header_lines(header_rows, spans), brk)
    risky = _possibly_risky_columns(raw, delim, data_start, brk) if ascii_compatible else None
    as_text = sorted(c for c in risky if c < header_width) if risky else []
    names_arg: dict[str, object] = {}
    try:
        frame = _parse(source, used_encoding, skiprows=header_rows, sep=delim,
                       dtype=dict.fromkeys(as_text, str))
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(index=pd.RangeIndex(0), columns=range(width), dtype="str")
    except pd.errors.ParserError as first_error:
        try:
            width = max(width, _max_fields(lines.text(), delim))
            names_arg = {"names": list(range(width))}
            frame = _parse(source, used_encoding, skiprows=header_rows, sep=delim,
                           dtype=dict.fromkeys(as_text, str), **names_arg)
        except (pd.errors.ParserError, csv.Error, ValueError) as exc:
            raise ExportError(
                f"{path}: cannot be parsed as {_DELIMITER_NAMES.get(delim, repr(delim))}-"
                f"separated text ({first_error}). Check for an unclosed quote, or give "
                "format= / encoding=."
            ) from exc
    frame.columns = range(frame.shape[1])
    if frame.shape[1] < width:
        for extra in range(frame.shape[1], width):
            frame[extra] = pd.Series(np.nan, index=frame.index, dtype="str")

    notes: list[str] = []
    warn, row_notes = _check_rows(path, lines, delim, frame, header_rows, header_width, spans,
                                  per_line)
    warn = decode_notes + warn
    blank_tail = _trailing_blank_lines(raw if ascii_compatible else lines.text().encode("utf-8"))
    if blank_tail and frame.shape[1] > 1 and len(frame) >= blank_tail:
        tail = frame.iloc[len(frame) - blank_tail:]
        if bool(tail.isna().all(axis=None)):
            frame = frame.iloc[: len(frame) - blank_tail]
            notes.append(f"{blank_tail} blank line(s) at the end of the file were not read as rows")
    notes += row_notes

    reader = _ColumnReader(source, used_encoding, header_rows, delim, names_arg, frame.index)
    false_alarms = [c for c in as_text if c in frame.columns and not _has_risky_text(frame[c])]
    for c, column in reader.read(false_alarms).items():  # read as text, but plain numbers
        frame[c] = column
    names = (header[0] + [""] * frame.shape[1])[: frame.shape[1]] if header else []
    ids = {c for c, name in zip(frame.columns, names, strict=False) if is_id_name(name)}
    exact = {c: _needs_exact_reading(frame[c]) or (c in ids and frame[c].dtype.kind == "f"
                                                  and bool(frame[c].notna().any()))
             for c in frame.columns}
    numeric = [c for c in frame.columns if frame[c].dtype.kind in "biuf" or exact[c]]
    recheck = numeric if risky is None else [c for c in numeric if exact[c]]
    for c, texts in reader.read(recheck, dtype=str).items():
        if _has_risky_text(texts):  # 00123, +1, -05: such a column stays text
            frame[c] = texts
        elif exact[c]:
            frame[c] = convert_text_column(texts, exact=c in ids)
    frame = frame.reset_index(drop=True)
    return Grid(header=header, data=frame, encoding=used_encoding, delimiter=delim, notes=notes,
                warnings=warn)


@dataclass(frozen=True)
class _ColumnReader:
    """Reads some columns of the data rows again, aligned with the rows already read."""

    source: str | bytes | Path
    encoding: str
    header_rows: int
    delimiter: str
    names_arg: dict[str, object]
    index: pd.Index

    def read(self, columns: list[int], dtype: type | None = None) -> dict[int, pd.Series]:
        """``columns`` as the parser infers them, or as ``dtype`` (``str``: as text)."""
        if not columns:
            return {}
        frame = _parse(self.source, self.encoding, skiprows=self.header_rows,
                       sep=self.delimiter, dtype=dtype, usecols=columns, **self.names_arg)
        frame.columns = columns
        frame = frame.iloc[: len(self.index)]
        frame.index = self.index
        return {c: frame[c] for c in columns}


@dataclass(frozen=True)
class _Lines:
    """What the row checks need of the decoded text, without keeping the text.

    The text of a file in an ASCII-compatible encoding is dropped before parsing
    (the parser reads the bytes) and decoded again only for the rare checks that
    read lines one by one (:meth:`text`).
    """

    brk: str
    n_lines: int
    last_line_blank: bool
    _raw: bytes  # the file's bytes when the text is dropped
    _encoding: str
    _text: str | None  # the text when it is kept (the parser reads it)

    @classmethod
    def of(cls, text: str, raw: bytes | None, encoding: str, n_breaks: int,
           brk: str) -> _Lines:
        """``n_breaks``: the record breaks ``brk`` in ``text`` (from :func:`line_counts`)."""
        n_lines = n_breaks + (0 if text.endswith((brk, brk + "\r")) else 1)
        last_blank = text[text.rfind(brk) + 1:].strip("\r") == ""
        return cls(brk, n_lines, last_blank, raw or b"", encoding, None if raw is not None else text)

    def text(self) -> str:
        """The decoded text (as :func:`read_delimited` read it, without a byte-order mark)."""
        if self._text is not None:
            return self._text
        text = self._raw.decode(self._encoding)
        return text[1:] if text.startswith("\ufeff") else text


def _rows_listing(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:10])
    return shown + (f", ... ({len(rows) - 10} more)" if len(rows) > 10 else "")


def _line_widths(lines: _Lines, delimiter: str, frame: pd.DataFrame, width: int,
                 header_end: int, last: pd.Series | None,
                 per_line: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Fields of each data line when every record is one line: 0 for a blank line,
    the exact count for a row whose last field is missing, ``width`` otherwise.

    ``per_line``: the delimiters and quotes of each line (:func:`line_counts`).
    """
    delimiters, quotes = per_line
    counts, quoted = delimiters[header_end:] + 1, quotes[header_end:] > 0
    if counts.size and lines.last_line_blank:
        counts, quoted = counts[:-1], quoted[:-1]  # the break that ends the last line
    if counts.size != len(frame):
        return np.full(counts.size, width, dtype=np.int64)  # the caller reports the difference
    fields = np.full(counts.size, width, dtype=np.int64)
    empty = np.flatnonzero((counts == 1) & ~quoted)  # no delimiter or quote: blank, or one field
    if empty.size:
        blank = frame.iloc[empty].isna().all(axis=1).to_numpy()
        fields[empty] = np.where(blank, 0, 1)
    if last is not None:
        candidates = last.isna().to_numpy() & (fields > 1)
        plain = candidates & ~quoted
        fields[plain] = counts[plain]
        exact = np.flatnonzero(candidates & quoted)
        if exact.size:
            texts = lines.text().split(lines.brk)[header_end:]
            for i in exact:
                fields[i] = record_width(texts[i], delimiter)
    return fields


def _header_lines(header_rows: int, spans: list[tuple[int, int]]) -> int:
    """The lines the header records take (their cells may span lines; ``spans`` are the
    (first, last) lines of the quoted cells that do)."""
    header_end = header_rows
    for first_line, last_line in spans:
        if first_line <= header_end:
            header_end += last_line - first_line
    return header_end


def _check_rows(path: str | Path, lines: _Lines, delimiter: str, frame: pd.DataFrame,
                header_rows: int, width: int, spans: list[tuple[int, int]],
                per_line: tuple[np.ndarray, np.ndarray]) -> tuple[list[str], list[str]]:
    """Check the rows read against the file's records; describe short rows (a warning)
    and blank lines within the data (a note).

    ``spans`` are the (first, last) lines of quoted cells that span lines. Rows are
    numbered as the file shows them (the first data row is ``header_rows + 1``).
    """
    header_end = _header_lines(header_rows, spans)
    data_multiline = any(first_line > header_end for first_line, _ in spans)
    last = frame.iloc[:, width - 1] if 0 < width <= frame.shape[1] else None
    maybe_short = last is not None and bool(last.isna().any())
    n_lines = lines.n_lines
    in_cells = sum(last_line - first_line for first_line, last_line in spans)
    if n_lines - in_cells - header_rows == len(frame) and not maybe_short:
        return [], []  # as many rows as records, and every row has its last field
    if not data_multiline:
        fields = _line_widths(lines, delimiter, frame, width, header_end, per_line=per_line,
                              last=last if maybe_short else None)
    else:
        fields = np.asarray(record_widths(lines.text(), delimiter, True)[header_rows:],
                            dtype=np.int64)
    filled = np.flatnonzero(fields)
    end = int(filled[-1]) + 1 if filled.size else 0  # the last record that is not blank
    # blank lines after the last record, as the parser leaves them
    fields = fields[: max(len(frame), end) if len(fields) > len(frame) else len(fields)]
    if len(fields) != len(frame):
        raise ExportError(
            f"{path}: read {len(frame)} data row(s) but the file has {len(fields)} record(s) "
            f"after its {header_rows} header row(s); the file is damaged (a line break inside "
            f"a cell that is not quoted?) or not {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}"
            "-separated text. Check format= and the rows around the difference.")
    first = header_rows + 1
    widths = fields[:end]
    short = (np.flatnonzero((widths > 0) & (widths < width)) + first).tolist()
    blank = (np.flatnonzero(widths == 0) + first).tolist()
    warn, notes = [], []
    if short:
        warn.append(f"{len(short)} row(s) have fewer fields than the header ({width}) and "
                    f"were padded with empty cells: row(s) {_rows_listing(short)}")
    if blank:
        notes.append(f"{len(blank)} blank line(s) within the data were read as empty rows: "
                     f"row(s) {_rows_listing(blank)}")
    return warn, notes


def _trailing_blank_lines(raw: bytes) -> int:
    """Blank lines at the end of the file (after the last record's line break)."""
    end = len(raw)
    while end > 0 and raw[end - 1] in b"\r\n":
        end -= 1
    return max(raw[end:].count(b"\n") - 1, 0)
