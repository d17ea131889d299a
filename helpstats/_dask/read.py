"""``read_export(..., engine="dask")``: delimited exports read in blocks, never whole.

The first part of the file is read by the pandas reader, which recognises the
format and its header rows (Qualtrics' three, REDCap's one, ...) and gives the
column names, question texts and value labels. The data lines are then split
into blocks at line breaks and each block is parsed as text. Two rules keep
the promises of the pandas reader:

- **No row lost.** In every block, the physical lines must equal the records
  parsed plus the line breaks inside quoted cells; a stray quote that swallows
  lines, or a block that starts inside a quoted cell, is an ``ExportError``
  naming the file and the line where the block starts. Blank lines are not
  records and are counted in the notes. The total is checked too.
- **Numbers only where the text is a number.** A column becomes numeric only
  when every non-empty value in the whole file is a plain number
  (:func:`helpstats.io._convert.convert_text_column`'s rule, decided over all
  blocks in a first pass), so ``00123`` and ``1.10`` stay text everywhere.

Speed: a block whose quotes only open and close whole cells, with no carriage
return and no blank line, is parsed once by pandas' C parser with its own types;
its integer columns are proven exact from the fields' byte lengths
(:mod:`helpstats._dask.plain`) and only the other columns go through the text
rules. The first pass records which columns were proven, so the second pass
parses those with pandas' types again and reads only the rest as text.

The index is the 0-based data row, as in the pandas reader's ``Export.data``.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ExportError
from ..io import Export, Source
from ..io._convert import convert_text_column
from . import require_dask
from .plain import integer_kinds, plain_lengths, read_inferred

__all__ = ["read_export_dask", "read_exports_dask"]

_TEXT_FORMATS = ("csv", "qualtrics", "qualtrics-legacy", "redcap", "google-forms", "limesurvey")
_HEAD_BYTES = 1 << 20
_ASCII_COMPATIBLE = ("utf-8", "utf-8-sig", "cp1252", "ascii")
_QUOTE = ord('"')
_NEWLINE = ord("\n")


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read(_HEAD_BYTES)
        rest = handle.read(1)
    if not rest:
        return data
    cut = data.rfind(b"\n")
    return data[: cut + 1] if cut > 0 else data


def _header_bytes(head: bytes, encoding: str, delimiter: str, header_rows: int) -> int:
    """Byte length of the first ``header_rows`` records (quoted line breaks included)."""
    text = head.decode(encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for _ in range(header_rows):
        next(reader, None)
    lines = reader.line_num
    offset = 0
    for _ in range(lines):
        nxt = head.find(b"\n", offset)
        offset = len(head) if nxt < 0 else nxt + 1
    return offset


def _parse_block(block: bytes, *, width: int, delimiter: str, encoding: str, path: str,
                 first_line: int) -> tuple[pd.DataFrame, int]:
    """Text frame of one block and its blank lines; checks that no line was swallowed."""
    if not block.strip():
        return pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)}), block.count(b"\n")
    lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
    try:
        frame = pd.read_csv(io.BytesIO(block), header=None, names=list(range(width)), dtype=str,
                            keep_default_na=False, na_values=[], sep=delimiter, encoding=encoding,
                            skip_blank_lines=False, engine="c", index_col=False)
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        opened = re.search(r"EOF inside string starting at row (\d+)", str(exc))
        if opened:
            before = block.split(b"\n")[: int(opened.group(1))]
            raise ExportError(
                f"{path}: the quote opened on line {first_line + len(before)} is never closed, so "
                "every line after it would be swallowed into one cell. Fix the quote (or, if one "
                "quoted cell really is longer than a block, pass a larger blocksize=).") from None
        raise ExportError(f"{path}: the lines from line {first_line} cannot be parsed as delimited "
                          f"text ({exc}). Check for an unclosed quote or a row with extra fields; a "
                          "quoted cell with line breaks may also straddle two blocks (pass a larger "
                          "blocksize=), or read the file with engine='pandas'.") from None
    embedded = sum(int(frame[c].str.count("\n").sum()) for c in frame.columns)
    if lines != len(frame) + embedded:
        raise ExportError(
            f"{path}: from line {first_line}, {lines} line(s) gave {len(frame)} record(s) and "
            f"{embedded} line break(s) inside quoted cells: a quote opened near line {first_line} "
            "is not closed, so following lines would be swallowed into one cell. Fix the quote, or "
            "read the file with engine='pandas' for the exact line.")
    blank = frame.apply(lambda col: col.str.strip().eq("")).all(axis=1).to_numpy() if width else \
        np.zeros(len(frame), dtype=bool)
    return frame[~blank].replace("", None), int(blank.sum())


def _column_kinds(frame: pd.DataFrame) -> dict[int, str]:
    """Per column: 'empty', 'int' (int64 with no missing), 'intna', 'float' or 'text'."""
    kinds = {}
    for c in frame.columns:
        values = frame[c]
        if values.notna().sum() == 0:
            kinds[c] = "empty"
            continue
        converted = convert_text_column(values.astype(object))
        if converted.dtype.kind == "i":
            kinds[c] = "int"
        elif converted.dtype.kind == "f":
            present = values.dropna().astype(str).str.strip()
            kinds[c] = "intna" if present.str.fullmatch(r"-?(?:0|[1-9][0-9]{0,8})").all() else "float"
        else:
            kinds[c] = "text"
    return kinds


def _combine(kinds: list[dict[int, str]], rows: list[int], width: int) -> dict[int, str]:
    """One kind per column over all blocks (blocks without records say nothing)."""
    used = [k for k, n in zip(kinds, rows, strict=True) if n]
    final = {}
    for c in range(width):
        seen = {k[c] for k in used} - {"empty"}
        if not seen:
            final[c] = "float" if used else "text"
        elif "text" in seen:
            final[c] = "text"
        elif seen == {"int"} and all(k[c] != "empty" for k in used):
            final[c] = "int"
        else:
            final[c] = "float"
    return final


def _typed(values: pd.Series, kind: str) -> pd.Series:
    """One column of text (None where empty) as the file-wide kind says."""
    if kind == "text":
        return values.astype("str")  # pandas' text dtype, as the pandas reader gives
    return pd.to_numeric(values.str.strip()).astype("int64" if kind == "int" else "float64")


def _apply(frame: pd.DataFrame, final: dict[int, str], names: list[str], start: int) -> pd.DataFrame:
    out = {name: _typed(frame[c], final[c]) for c, name in enumerate(names)}
    result = pd.DataFrame(out, columns=names)
    result.index = pd.RangeIndex(start, start + len(result))
    return result


def _text_columns(raw: bytes, columns: list[int], *, width: int, delimiter: str,
                  encoding: str) -> pd.DataFrame:
    """Some columns of a plain block as text, None where empty (as :func:`_parse_block` gives)."""
    frame = pd.read_csv(io.BytesIO(raw), header=None, names=list(range(width)), usecols=columns,
                        dtype=str, keep_default_na=False, na_values=[], sep=delimiter,
                        encoding=encoding, skip_blank_lines=False, engine="c", index_col=False)
    return frame[columns].replace("", None)


def _plain_block(raw: bytes, *, width: int, delimiter: str, encoding: str
                 ) -> tuple[pd.DataFrame, dict[int, str]] | None:
    """A plain block (:mod:`helpstats._dask.plain`) parsed once with inferred types and the
    columns proven to be integer codes; None when the block needs the text path."""
    if not width:
        return None
    lengths = plain_lengths(raw, width=width, delimiter=delimiter)
    if lengths is None:
        return None
    try:
        frame = read_inferred(raw, width=width, delimiter=delimiter, encoding=encoding)
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError):
        return None  # the text path gives the error that names the line
    if len(frame) != len(lengths):
        return None
    return frame, integer_kinds(frame, lengths)


def _block_kinds(raw: bytes, *, width: int, delimiter: str, encoding: str, path: str,
                 first_line: int) -> tuple[int, int, dict[int, str], frozenset[int] | None]:
    """Records, blank lines and the kind of every column of one block, and the columns that
    pandas' own types give exactly (None when the block needs the text path)."""
    plain = _plain_block(raw, width=width, delimiter=delimiter, encoding=encoding)
    if plain is None:
        frame, blank = _parse_block(raw, width=width, delimiter=delimiter, encoding=encoding,
                                    path=path, first_line=first_line)
        return len(frame), blank, _column_kinds(frame), None
    inferred, kinds = plain
    proven = frozenset(kinds)
    rest = [c for c in range(width) if c not in proven]
    if rest:
        text = _text_columns(raw, rest, width=width, delimiter=delimiter, encoding=encoding)
        kinds = {**kinds, **_column_kinds(text)}
    return len(inferred), 0, {c: kinds[c] for c in range(width)}, proven


def _block_frame(raw: bytes, final: dict[int, str], names: list[str], start: int,
                 proven: frozenset[int] | None, *, delimiter: str, encoding: str, path: str,
                 first_line: int) -> pd.DataFrame:
    """One block typed by the file-wide kinds, its index the data rows from ``start``.

    ``proven`` are the columns :func:`_block_kinds` proved to be integer codes in this
    block (checked once, in the first pass): their values are pandas' numbers (int64, or
    float64 where the file-wide kind is float); the other columns are read as text.
    """
    width = len(names)
    if proven is None:
        frame, _ = _parse_block(raw, width=width, delimiter=delimiter, encoding=encoding,
                                path=path, first_line=first_line)
        return _apply(frame, final, names, start)
    numeric = {c for c in proven if final[c] != "text"}
    inferred = read_inferred(raw, width=width, delimiter=delimiter, encoding=encoding,
                             columns=sorted(numeric)) if numeric else pd.DataFrame()
    rest = [c for c in range(width) if c not in numeric]
    text = _text_columns(raw, rest, width=width, delimiter=delimiter, encoding=encoding) \
        if rest else pd.DataFrame()
    out = {name: inferred[c].astype("int64" if final[c] == "int" else "float64") if c in numeric
           else _typed(text[c], final[c]) for c, name in enumerate(names)}
    result = pd.DataFrame(out, columns=names)
    result.index = pd.RangeIndex(start, start + len(result))
    return result


def read_export_dask(path: str | Path, format: str = "auto", *, encoding: str | None = None,
                     blocksize: int | str = "64MiB", missing_codes: Any = None) -> Export:
    """Read a delimited export lazily into an :class:`Export` whose ``.data`` is a Dask DataFrame."""
    dd = require_dask()
    import dask
    from dask.bytes import read_bytes
    from dask.utils import parse_bytes

    from ..io import read_export

    file = Path(path)
    if not file.is_file():
        raise ExportError(f"{file}: no such file.")
    head = _head(file)
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / file.name
        sample.write_bytes(head)
        preview = read_export(sample, format=format, encoding=encoding, missing_codes=missing_codes)
    fmt = preview.format
    if fmt not in _TEXT_FORMATS:
        raise ExportError(f"{file}: engine='dask' reads delimited text exports ({', '.join(_TEXT_FORMATS)}); "
                          f"this is {fmt!r}: read it with engine='pandas'.")
    enc = preview.source.encoding or "utf-8"
    if enc.replace("_", "-").lower() not in _ASCII_COMPATIBLE:
        raise ExportError(f"{file}: is {enc} text; engine='dask' splits blocks at byte line breaks and "
                          "reads UTF-8 or Windows-1252 only. Convert it to UTF-8 or use engine='pandas'.")
    delimiter = preview.source.delimiter or ","
    header_rows = preview.source.header_rows
    names = [str(c) for c in preview.data.columns]
    width = len(names)
    missing = {names.index(col): {str(v) for v in codes if not isinstance(v, tuple)}
               for col, codes in preview.missing_codes.items() if col in names}
    offset = _header_bytes(head, enc, delimiter, header_rows)
    header_lines = head[:offset].count(b"\n")
    size = parse_bytes(blocksize) if isinstance(blocksize, str) else int(blocksize)
    size = max(size, offset)  # the first block holds every header row
    _, blocks = read_bytes(str(file), delimiter=b"\n", blocksize=size, sample=False)
    blocks = blocks[0]

    def trimmed(block: bytes, k: int) -> bytes:
        return block[offset:] if k == 0 else block  # the header rows open the first block

    def scan(block: bytes, k: int) -> tuple[int, int, int]:
        """Line breaks, quote characters, and the end of a leading piece that closes a quote."""
        raw = trimmed(block, k)
        array = np.frombuffer(raw, dtype=np.uint8)
        quotes = np.flatnonzero(array == _QUOTE)
        breaks = np.flatnonzero(array == _NEWLINE)
        before = np.searchsorted(quotes, breaks)  # quotes before each line break
        odd = np.flatnonzero(before % 2 == 1)
        carry = int(breaks[odd[0]]) + 1 if len(odd) else -1
        return len(breaks), len(quotes), carry

    scanned = dask.compute(*[dask.delayed(scan)(b, k) for k, b in enumerate(blocks)])
    counts = [n for n, _, _ in scanned]
    parity = np.concatenate([[0], np.cumsum([q for _, q, _ in scanned])[:-1]]) % 2
    inside = [bool(p) for p in parity]  # the block starts inside a quoted cell
    for k, starts_inside in enumerate(inside):
        if starts_inside and scanned[k][2] < 0:
            raise ExportError(
                f"{file}: a quote opened before line {header_lines + 1 + sum(counts[:k])} is not "
                f"closed within the next {size:,} bytes: either a quote is never closed (the lines "
                "after it would be swallowed into one cell) or one cell is larger than the block "
                "size. Fix the quote, pass a larger blocksize=, or use engine='pandas'.")
    first_lines = [header_lines + 1 + sum(counts[:k]) for k in range(len(blocks))]

    def record_block(k: int, block: bytes, following: bytes | None) -> bytes:
        """Block k moved to record boundaries: a quoted cell split by a block break is whole."""
        raw = trimmed(block, k)
        if inside[k]:
            raw = raw[scanned[k][2]:]
        if following is not None and k + 1 < len(blocks) and inside[k + 1]:
            raw = raw + following[: scanned[k + 1][2]]
        return raw

    def survey(block: bytes, following: bytes | None, k: int
               ) -> tuple[int, int, dict[int, str], frozenset[int] | None]:
        return _block_kinds(record_block(k, block, following), width=width, delimiter=delimiter,
                            encoding=enc, path=str(file), first_line=int(first_lines[k]))

    pairs = [(b, blocks[k + 1] if k + 1 < len(blocks) and inside[k + 1] else None)
             for k, b in enumerate(blocks)]
    surveyed = dask.compute(*[dask.delayed(survey)(b, nxt, k) for k, (b, nxt) in enumerate(pairs)])
    rows = [r for r, _, _, _ in surveyed]
    blanks = sum(b for _, b, _, _ in surveyed)
    final = _combine([k for _, _, k, _ in surveyed], rows, width)
    proven = [p for _, _, _, p in surveyed]
    starts = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(int).tolist()
    meta = _apply(pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)}), final, names, 0)

    def load(block: bytes, following: bytes | None, k: int) -> pd.DataFrame:
        out = _block_frame(record_block(k, block, following), final, names, starts[k], proven[k],
                           delimiter=delimiter, encoding=enc, path=str(file),
                           first_line=int(first_lines[k]))
        if len(out) != rows[k]:
            raise ExportError(f"{file}: block {k} changed between passes ({rows[k]} then {len(out)} "
                              "rows); was the file modified while it was read?")
        for c, codes in missing.items():  # the format's missing codes ("[not completed]"), after typing
            name = names[c]
            out[name] = out[name].where(~out[name].astype(str).isin(codes))
        return out

    parts = [dask.delayed(load)(b, nxt, k) for k, (b, nxt) in enumerate(pairs)]
    total = int(sum(rows))
    divisions = [*starts, max(total - 1, 0)] if total else None
    data = dd.from_delayed(parts, meta=meta, divisions=divisions, verify_meta=False)
    notes = list(preview.source.notes)
    notes.append(f"read by engine='dask' in {len(blocks)} block(s) of up to {size:,} bytes; every "
                 "block's lines checked against its records")
    if blanks:
        notes.append(f"{blanks} blank line(s) were not read as rows")
    source = Source(path=str(file), sheet=None, encoding=enc, delimiter=delimiter, rows_read=total,
                    header_rows=header_rows, renamed_columns=dict(preview.source.renamed_columns),
                    notes=tuple(notes))
    return Export(data=data, format=fmt, source=source, questions=dict(preview.questions),
                  value_labels={k: dict(v) for k, v in preview.value_labels.items()},
                  missing_codes={k: tuple(v) for k, v in preview.missing_codes.items()})


def read_exports_dask(pattern: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                      format: str = "auto", *, encoding: str | None = None,
                      blocksize: int | str = "64MiB") -> Export:
    """Read several exports of one layout (a glob or a list) into one lazy Export.

    Every file must have the same columns in the same order; their rows are
    stacked in file order (sorted glob matches) and numbered 0, 1, ... across files.
    """
    dd = require_dask()
    if isinstance(pattern, str | os.PathLike):
        files = sorted(glob.glob(os.fspath(pattern)))
    else:
        files = [os.fspath(p) for p in pattern]
    if not files:
        raise ExportError(f"no file matches {pattern!r}.")
    exports = [read_export_dask(f, format=format, encoding=encoding, blocksize=blocksize) for f in files]
    first = exports[0]
    for other in exports[1:]:
        if list(other.data.columns) != list(first.data.columns) or other.format != first.format:
            raise ExportError(f"{other.source.path}: its columns or format differ from {first.source.path}; "
                              "read_exports stacks files of one layout only.")
    frames: list[Any] = []
    start = 0
    for exp in exports:
        rows = exp.source.rows_read
        frames.append(exp.data.map_partitions(lambda p, s=start: p.set_axis(p.index + s)))
        start += rows
    data = dd.concat(frames)
    source = Source(path=";".join(files), sheet=None, encoding=first.source.encoding,
                    delimiter=first.source.delimiter, rows_read=start,
                    header_rows=first.source.header_rows,
                    notes=tuple(n for e in exports for n in e.source.notes))
    return Export(data=data, format=first.format, source=source, questions=dict(first.questions),
                  value_labels={k: dict(v) for k, v in first.value_labels.items()},
                  missing_codes={k: tuple(v) for k, v in first.missing_codes.items()})
