"""Reading delimited text exports: bytes, encoding, delimiter, header rows, values.

Every survey export that is a text file (Qualtrics, REDCap, SurveyMonkey CSV,
LimeSurvey, Google Forms, plain CSV/TSV) is read here into a :class:`Grid`: the
header records as text, and the data rows as a DataFrame with positional
columns. Values are read as text and a column becomes numeric only when every
value parses exactly (:mod:`helpstats.io._convert`).

Speed: pandas' C parser infers the column types in one pass; a vectorised scan
of the raw bytes finds numbers whose text a number would not keep (leading
zeros, a ``+`` sign, spaces), and only then are the numeric columns read again
as text and converted value by value.

Examples
--------
>>> from helpstats.io._text import sniff_delimiter
>>> sniff_delimiter("a;b;c\\n1;2;3\\n")
';'
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ExportError
from ._convert import MAX_INT_DIGITS, convert_text_frame

__all__ = ["Grid", "decode", "head_records", "load_bytes", "read_delimited", "sniff_delimiter"]

_DELIMITERS = (",", "\t", ";", "|")
_NA = {"keep_default_na": False, "na_values": [""]}


@dataclass
class Grid:
    """Header records and data rows of one table, before names are assigned."""

    header: list[list[str]]
    data: pd.DataFrame
    encoding: str | None
    delimiter: str | None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n_columns(self) -> int:
        return int(self.data.shape[1])

    def header_row(self, i: int) -> list[str]:
        """Header record ``i`` padded with empty strings to the number of columns."""
        row = list(self.header[i]) if i < len(self.header) else []
        return (row + [""] * self.n_columns)[: self.n_columns]


def load_bytes(path: str | Path) -> bytes:
    """Read a whole file, raising :class:`ExportError` for missing or empty files."""
    p = Path(path)
    if not p.exists():
        raise ExportError(f"{p}: no such file. Check the path.")
    if p.is_dir():
        raise ExportError(f"{p}: is a folder, not an export file. Give the path of the file.")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ExportError(f"{p}: cannot be read ({exc}).") from exc
    if not data.strip():
        raise ExportError(f"{p}: the file is empty; expected a survey export with a header row.")
    return data


def decode(path: str | Path, data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode text bytes; return ``(text, encoding)``.

    Without ``encoding``: UTF-16 when the file starts with its byte-order mark,
    else UTF-8 (with or without BOM), else Windows-1252.
    """
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


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter among ``, TAB ; |`` that splits the first records consistently."""
    sample = text[:65536]
    best, best_score = ",", (-1, -1)
    for delim in _DELIMITERS:
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
        score = (1 if len(widths) == 1 and width > 1 else 0, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def head_records(text: str, delimiter: str, n: int) -> list[list[str]]:
    """The first ``n`` records of delimited text (quoted line breaks respected)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[list[str]] = []
    for record in reader:
        out.append(record)
        if len(out) == n:
            break
    return out


def _risky_numbers(raw: bytes, delimiter: str) -> bool:
    """True when some field might be a number whose text a number would not keep.

    Finds, after a delimiter, line break or quote: ``0`` followed by a digit,
    ``-0`` followed by a digit, ``+``, or a space/tab before a number; and a digit
    followed by a space/tab at the end of a field.
    """
    a = np.frombuffer(raw, dtype=np.uint8)
    if a.size < 4:
        return True
    sep = (a == ord(delimiter)) | (a == 10) | (a == 13) | (a == 34)
    digit = (a - np.uint8(48)) < 10
    space = (a == 32) | (a == 9)
    numeric_start = digit | (a == 45) | (a == 46) | (a == 43)
    if (sep[:-1] & (a[1:] == 43)).any():
        return True
    if (sep[:-2] & (a[1:-1] == 48) & digit[2:]).any():
        return True
    if (sep[:-3] & (a[1:-2] == 45) & (a[2:-1] == 48) & digit[3:]).any():
        return True
    if (sep[:-2] & space[1:-1] & (numeric_start[2:] | space[2:])).any():
        return True
    return bool((digit[:-2] & space[1:-1] & (sep[2:] | space[2:])).any())


def _needs_exact_reading(column: pd.Series) -> bool:
    kind = column.dtype.kind
    if kind in "bu":
        return True
    if kind == "i":
        return bool(column.abs().max() >= 10**MAX_INT_DIGITS) if len(column) else False
    if kind == "f":
        values = column.to_numpy()
        present = values[~np.isnan(values)]
        return bool((~np.isfinite(present)).any() or (np.abs(present) >= 10**MAX_INT_DIGITS).any())
    if kind == "O":
        return any(isinstance(v, bool | np.bool_) for v in column.dropna().iloc[:1000])
    return False


def _parse(source: str, **kwargs: object) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(source), header=None, skip_blank_lines=False,
                       low_memory=False, **_NA, **kwargs)


def _max_fields(text: str, delimiter: str) -> int:
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
    text, used_encoding = decode(path, raw, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    delim = delimiter or sniff_delimiter(text)
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
    width = max((len(r) for r in header), default=0)
    names_arg: dict[str, object] = {}
    try:
        frame = _parse(text, skiprows=header_rows, sep=delim)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(index=pd.RangeIndex(0), columns=range(width), dtype="str")
    except pd.errors.ParserError:
        width = max(width, _max_fields(text, delim))
        names_arg = {"names": list(range(width))}
        frame = _parse(text, skiprows=header_rows, sep=delim, **names_arg)
    frame.columns = range(frame.shape[1])
    if frame.shape[1] < width:
        for extra in range(frame.shape[1], width):
            frame[extra] = pd.Series(np.nan, index=frame.index, dtype="str")

    notes: list[str] = []
    blank_tail = _trailing_blank_lines(text)
    if blank_tail and frame.shape[1] > 1 and len(frame) >= blank_tail:
        tail = frame.iloc[len(frame) - blank_tail:]
        if bool(tail.isna().all(axis=None)):
            frame = frame.iloc[: len(frame) - blank_tail]
            notes.append(f"{blank_tail} blank line(s) at the end of the file were not read as rows")

    numeric = [c for c in frame.columns if frame[c].dtype.kind in "biuf" or
               _needs_exact_reading(frame[c])]
    fast_ok = used_encoding in ("utf-8", "utf-8-sig", "cp1252") and not _risky_numbers(raw, delim)
    recheck = numeric if not fast_ok else [c for c in numeric if _needs_exact_reading(frame[c])]
    if recheck:
        texts = _parse(text, skiprows=header_rows, sep=delim, dtype=str,
                       usecols=recheck, **names_arg)
        texts.columns = recheck
        texts = texts.iloc[: len(frame)]
        texts.index = frame.index
        converted = convert_text_frame(texts)
        for c in recheck:
            frame[c] = converted[c]
    frame = frame.reset_index(drop=True)
    return Grid(header=header, data=frame, encoding=used_encoding, delimiter=delim, notes=notes)


def _trailing_blank_lines(text: str) -> int:
    stripped = text.rstrip("\r\n")
    tail = text[len(stripped):]
    return max(tail.count("\n") - 1, 0)
