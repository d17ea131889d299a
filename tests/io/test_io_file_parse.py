"""The CSV reader parses the file itself (pandas reads a large local file on several
threads, in byte ranges) and must give exactly what parsing the same bytes in memory gives:
the same frame, notes and warnings, on files above pandas' parallel-reading threshold
(5 MB) with the cases that cross a range boundary: types that change part way down a
column, blank and short lines, CRLF with a byte-order mark, zero-padded codes and cells
that span lines."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from helpstats.io import _text

ROWS = 200_000  # about 6.4 MB


def _lines(kind: str, rng: np.random.Generator) -> list[str]:
    n = ROWS
    q1 = rng.integers(0, 5, n).astype(str).astype(object)
    q1[rng.random(n) < 0.05] = ""
    q2 = rng.integers(1, 4, n).astype(str).astype(object)
    if kind == "types change":
        q2[n // 2:] = np.where(rng.random(n - n // 2) < 0.5, "x", "2")  # text in the 2nd half
    score = np.char.mod("%.6f", rng.normal(10, 3, n)).astype(object)
    notes = np.array(["", "plain", '"with, comma"', '"a ""quoted"" word"'], dtype=object)
    note = notes[rng.integers(0, notes.size, n)]
    code = np.where(rng.random(n) < 0.5, "007", "12") if kind == "codes" else \
        rng.integers(0, 2, n).astype(str)
    if kind == "codes":
        note[rng.random(n) < 0.002] = '"two\nlines"'
    rows = [",".join(r) for r in zip(np.arange(n).astype(str), q1, q2, score, note, code,
                                     strict=True)]
    if kind == "blank and short":
        for at in sorted(rng.choice(n, 40, replace=False), reverse=True):
            rows.insert(int(at), "" if at % 2 else "5,1")
    return ["id,q1,q2,score,note,code", *rows]


@pytest.mark.parametrize("kind", ["types change", "blank and short", "crlf bom", "codes"])
def test_parsing_the_file_reads_what_parsing_its_bytes_reads(tmp_path: Path, kind: str) -> None:
    lines = _lines(kind, np.random.default_rng(7))
    brk = "\r\n" if kind == "crlf bom" else "\n"
    data = (brk.join(lines) + brk).encode()
    if kind == "crlf bom":
        data = b"\xef\xbb\xbf" + data
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    assert len(data) > 5 * 2**20
    from_file = _text.read_delimited(path, header_rows=1)
    with mock.patch.object(_text, "_byte_source", side_effect=lambda p, raw: raw):
        from_bytes = _text.read_delimited(path, header_rows=1)
    pd.testing.assert_frame_equal(from_file.data, from_bytes.data)
    assert (from_file.notes, from_file.warnings) == (from_bytes.notes, from_bytes.warnings)
    assert len(from_file.data) == len(lines) - 1
    if kind == "codes":
        assert set(from_file.data[5].dropna()) == {"007", "12"}  # kept as written
    if kind == "types change":
        assert from_file.data[2].iloc[-ROWS // 2:].isin(["x", "2"]).all()


def test_a_file_changed_since_it_was_read_is_parsed_from_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"a,b\n1,2\n")
    assert _text._byte_source(path, b"a,b\n1,2\n") == path.resolve()
    assert _text._byte_source(path, b"a,b\n1,2\n3,4\n") == b"a,b\n1,2\n3,4\n"


def test_every_cell_that_spans_lines_is_placed_on_its_lines() -> None:
    """Many multi-line comments (line numbers are counted on from the cell before, not
    from the start of the file for each cell)."""
    from helpstats.io._records import check_quoted_cells

    rng = np.random.default_rng(3)
    rows, spans, line = ["id,note"], [], 1
    for i in range(2_000):
        breaks = int(rng.integers(0, 3))
        rows.append(f'{i},"' + "\n".join(["part"] * (breaks + 1)) + '"' if breaks else f"{i},x")
        line += 1
        if breaks:
            spans.append((line, line + breaks))
            line += breaks
    assert check_quoted_cells("t.csv", "\n".join(rows) + "\n", ",") == spans


def test_records_that_end_in_cr_keep_line_feeds_inside_quoted_cells(tmp_path: Path) -> None:
    """A classic Mac export: records end in CR, a line break typed in a cell is LF. The
    LF is not a record break, and the zero-padded IDs stay as written."""
    import helpstats as hs

    path = tmp_path / "mac.csv"
    path.write_bytes(b'id,q,note\r00123,1,"two\nlines"\r007,2,plain\r')
    data = hs.read_export(path, format="csv").data
    assert data.to_dict("list") == {"id": ["00123", "007"], "q": [1, 2],
                                    "note": ["two\nlines", "plain"]}
