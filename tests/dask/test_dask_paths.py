"""The Dask paths give the pandas results: scoring, validation, reliability, roles, reading."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ExportError, InvalidCellsWarning, ScoringError

dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
import dask  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "exports"


@pytest.fixture(autouse=True)
def _synchronous() -> object:
    # keep object columns as they are (dask would turn them into pyarrow strings) and run
    # in this process: the tests compare values, not schedulers
    with dask.config.set({"dataframe.convert-string": False, "scheduler": "synchronous"}):
        yield


def _answers(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    d = pd.DataFrame({f"phq9_{k}": np.clip(np.round(1.2 + latent + rng.normal(size=n)), 0, 3)
                      for k in range(1, 10)})
    for k in range(1, 8):
        d[f"gad7_{k}"] = np.clip(np.round(1 + latent + rng.normal(size=n)), 0, 3)
    d["pid"] = [f"P{i:04d}" for i in range(n)]
    d["wave"] = rng.integers(0, 3, n)
    d["given"] = rng.integers(0, 6, n).astype(float)
    d["received"] = rng.integers(0, 5, n).astype(float)
    d.loc[rng.integers(0, n, 40), "phq9_3"] = np.nan
    d.loc[7, "given"] = np.nan
    return d


def test_score_same_columns_dtypes_values() -> None:
    d = _answers()
    lazy = hs.score(dd.from_pandas(d, npartitions=4), ["phq9", "gad7"])
    assert type(lazy).__module__.startswith("dask")
    pd.testing.assert_frame_equal(lazy.compute(), hs.score(d, ["phq9", "gad7"]))


def test_item_scores_and_labels() -> None:
    d = _answers().astype({"phq9_2": object})
    d.loc[[3, 500], "phq9_2"] = "Several days"
    from helpstats.scoring import item_scores

    pd.testing.assert_frame_equal(item_scores(dd.from_pandas(d, npartitions=3), "phq9").compute(),
                                  item_scores(d, "phq9"))


def test_invalid_cells_listed_and_counted_as_pandas() -> None:
    d = _answers().astype({"phq9_1": object})
    bad = list(range(0, 600, 20))  # 30 invalid cells, across every partition
    d.loc[bad, "phq9_1"] = 7
    with pytest.raises(ScoringError) as pandas_error:
        hs.score(d, "phq9")
    with pytest.raises(ScoringError) as dask_error:
        hs.score(dd.from_pandas(d, npartitions=5), "phq9")
    assert str(dask_error.value) == str(pandas_error.value)
    assert "30 invalid cell(s)" in str(dask_error.value) and "and 10 more" in str(dask_error.value)
    with pytest.warns(InvalidCellsWarning, match="30 invalid"):
        lazy = hs.score(dd.from_pandas(d, npartitions=5), "phq9", on_invalid="missing")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = hs.score(d, "phq9", on_invalid="missing")
    expected.attrs.clear()
    pd.testing.assert_frame_equal(lazy.compute(), expected)
    cells = hs.scoring.find_invalid_cells(dd.from_pandas(d, npartitions=5), "phq9").compute()
    assert sorted(cells["row"]) == bad


def test_absent_columns_raise_before_reading() -> None:
    d = _answers().drop(columns="phq9_4")
    with pytest.raises(ScoringError, match="phq9_4"):
        hs.score(dd.from_pandas(d, npartitions=2), "phq9")


def test_validate_summary_and_duplicates_across_partitions() -> None:
    d = _answers().astype({"gad7_2": object})
    d.loc[11, "gad7_2"] = "often"
    d.loc[590, ["pid", "wave"]] = [d.loc[3, "pid"], d.loc[3, "wave"]]  # first and last partition
    a = hs.validate(d, ["phq9", "gad7"], id="pid", wave="wave")
    b = hs.validate(dd.from_pandas(d, npartitions=4), ["phq9", "gad7"], id="pid", wave="wave")
    pd.testing.assert_frame_equal(a.attrs["summary"], b.attrs["summary"])
    assert b.attrs["duplicated_rows"] == a.attrs["duplicated_rows"] == 2
    key = ["problem", "row", "column"]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True)[key],
                                  b.sort_values(key).reset_index(drop=True)[key])


@pytest.mark.parametrize("use", ["complete", "pairwise"])
def test_reliability_and_item_analysis_from_reductions(use: str) -> None:
    d = _answers(1500)
    d.loc[5, "wave"] = np.nan  # its own group, as in pandas
    lazy = dd.from_pandas(d, npartitions=6)
    pd.testing.assert_frame_equal(hs.reliability(lazy, "phq9", by="wave", use=use),
                                  hs.reliability(d, "phq9", by="wave", use=use), rtol=1e-10)
    pd.testing.assert_frame_equal(hs.item_analysis(lazy, "gad7", use=use),
                                  hs.item_analysis(d, "gad7", use=use), rtol=1e-10)


@pytest.mark.parametrize("by", [None, "wave"])
def test_roles_exact_medians(by: str | None) -> None:
    d = _answers()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        roles, rule = hs.classify_roles(d, giving="given", receiving="received", by=by, return_rule=True)
        lazy, lazy_rule = hs.classify_roles(dd.from_pandas(d, npartitions=5), giving="given",
                                            receiving="received", by=by, return_rule=True)
    roles.attrs.clear()
    pd.testing.assert_series_equal(lazy.compute(), roles)
    assert lazy_rule == rule


def test_exact_median_even_and_odd() -> None:
    from helpstats._dask.roles import exact_median

    for values in ([1, 2, 2, 9], [3, 1, 4, 1, 5], [2.5]):
        counts = pd.Series(values).value_counts()
        assert exact_median(counts) == float(np.median(values))


def test_reliable_change_per_partition() -> None:
    rng = np.random.default_rng(4)
    before = pd.Series(rng.integers(0, 28, 300).astype(float))
    after = pd.Series(rng.integers(0, 28, 300).astype(float))
    expected = hs.reliable_change(before, after, sd=5.0, reliability=0.84, higher_is="worse")
    expected.attrs.clear()
    lazy = hs.reliable_change(dd.from_pandas(before, npartitions=3), dd.from_pandas(after, npartitions=3),
                              sd=5.0, reliability=0.84, higher_is="worse")
    pd.testing.assert_frame_equal(lazy.compute(), expected)


def test_reliable_change_pairs_separate_projections_of_a_parquet_frame(tmp_path: Path) -> None:
    # Dask fuses the files of a projection that reads few columns into fewer partitions, so
    # scores computed from all items and one item column read alone reach the graph with
    # different partitions ("missing dependency" / "mismatched divisions" before the fix)
    data = _answers(1200, seed=5)[[f"phq9_{k}" for k in range(1, 10)]]
    folder = tmp_path / "sessions"
    folder.mkdir()
    for k in range(6):
        data.iloc[200 * k: 200 * (k + 1)].to_parquet(folder / f"part-{k}.parquet", index=False)
    frame = dd.read_parquet(str(folder))
    before = hs.score(frame, "phq9")["phq9_total"]
    after = frame["phq9_1"].astype("float64") * 3
    assert before.optimize().npartitions != after.optimize().npartitions  # the case fixed
    lazy = hs.reliable_change(before, after, sd=5.0, reliability=0.84, higher_is="worse")
    expected = hs.reliable_change(hs.score(data, "phq9")["phq9_total"],
                                  data["phq9_1"].astype("float64") * 3,
                                  sd=5.0, reliability=0.84, higher_is="worse")
    expected.attrs.clear()
    got = lazy.compute()
    assert len(got) == 1200
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)


def test_reliable_change_refuses_inputs_of_different_lengths() -> None:
    from helpstats.errors import HelpstatsError

    before = dd.from_pandas(pd.Series(np.arange(10.0)), npartitions=2)
    after = dd.from_pandas(pd.Series(np.arange(12.0)), npartitions=2)
    with pytest.raises(HelpstatsError, match="do not hold the same rows"):
        hs.reliable_change(before, after, sd=5.0, reliability=0.8, higher_is="worse").compute()


def _text_fixtures() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for p in FIXTURES.rglob("*.csv") if "dictionary" not in p.name)


@pytest.mark.skipif(not _text_fixtures(), reason="shared/fixtures/exports is not beside the repo")
@pytest.mark.parametrize("path", _text_fixtures(), ids=lambda p: p.parent.name + "/" + p.name)
def test_reader_in_blocks_equals_pandas_reader_on_fixtures(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = hs.read_export(path)
        lazy = hs.read_export(path, engine="dask", blocksize="1MiB")
    pd.testing.assert_frame_equal(lazy.data.compute(), expected.data)
    assert lazy.format == expected.format and lazy.source.rows_read == len(expected.data)
    assert dict(lazy.questions) == dict(expected.questions)


def test_reader_small_blocks_keep_every_row_and_id_text(tmp_path: Path) -> None:
    lines = ["id,comment,phq9_1"] + [f'{i:05d},"line one\nline two",{i % 4}' if i % 7 == 0 else
                                      f"{i:05d},ok,{i % 4}" for i in range(400)]
    lines[150] = "1E5,late,2"  # an id that looks like a number, in a later block
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = hs.read_export(path)
    lazy = hs.read_export(path, engine="dask", blocksize=256)
    assert lazy.data.npartitions > 10
    pd.testing.assert_frame_equal(lazy.data.compute(), expected.data)
    assert lazy.data.compute()["id"].iloc[149] == "1E5"


def test_reader_refuses_a_quote_that_swallows_lines(tmp_path: Path) -> None:
    # past the first MiB (which the pandas reader previews), so only the block checks see it
    rows = ["id,comment,phq9_1"] + [f"{i},fine comment,1" for i in range(120_000)]
    rows[110_000] = '109999,"never closed,1'  # file line 110001 (the header is line 1)
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ExportError, match=r"quote opened on line 110001 is never closed"):
        hs.read_export(path, engine="dask", blocksize="256KiB").data.compute()


def test_qualtrics_header_rows_in_dask(tmp_path: Path) -> None:
    header = ('ResponseId,Q1_1,Q1_2\nResponse ID,"How often?\nPart 1",Part 2\n'
              '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1_1""}","{""ImportId"":""QID1_2""}"\n')
    body = "".join(f"R_{i},{i % 4},{(i + 1) % 4}\n" for i in range(200))
    path = tmp_path / "q.csv"
    path.write_text(header + body, encoding="utf-8")
    lazy = hs.read_export(path, engine="dask", blocksize=300)
    expected = hs.read_export(path)
    assert lazy.format == "qualtrics" and lazy.source.header_rows == 3
    pd.testing.assert_frame_equal(lazy.data.compute(), expected.data)


def test_read_exports_stacks_files(tmp_path: Path) -> None:
    for k in range(3):
        (tmp_path / f"s{k}.csv").write_text("id,phq9_1\n" + "".join(f"{k}{i},{i % 4}\n" for i in range(5)))
    eager = hs.read_exports(str(tmp_path / "s*.csv"))
    lazy = hs.read_exports(str(tmp_path / "s*.csv"), engine="dask")
    pd.testing.assert_frame_equal(lazy.data.compute(), eager.data)
    assert eager.source.rows_read == 15


def test_import_helpstats_does_not_import_dask() -> None:
    code = ("import sys, pandas as pd, helpstats as hs; "
            "hs.score(pd.DataFrame({f'phq9_{n}': [1] for n in range(1, 10)}), 'phq9'); "
            "print(any(m == 'dask' or m.startswith('dask.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plain_blocks_keep_the_text_rules(tmp_path: Path) -> None:
    # blocks without quotes are typed by pandas' parser; a column is an integer column only when
    # every field is the integer's own text, so one 00123, +1, " 1", -0, 1E5, 1.0, 10-digit code
    # or nan in a late block types its column as the pandas reader types it (text, or float);
    # quoted cells (with a delimiter, a line break, an escaped quote) are read as pandas reads them
    tricky = ["00123", "+1", " 1", "-0", "1E5", "1.0", "1234567890", "nan", "", '"7"']
    quoted = ['"fine, thanks"', '"two\nlines"', '""', '"say ""hi"""', '" "']
    lines = ["a,b," + ",".join(f"t{k}" for k in range(len(tricky))) + ",comment"]
    for i in range(600):
        late = [t if i == 500 else str(i % 4) for t in tricky]
        comment = quoted[i // 7 % len(quoted)] if i % 7 == 0 else "ok"
        lines.append(",".join([str(i % 4), "" if i % 9 == 0 else str(-i), *late, comment]))
    path = tmp_path / "plain.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = hs.read_export(path).data
    assert expected["t0"].iloc[500] == "00123" and expected["t5"].dtype == "float64"
    for blocksize in (200, 2000, "1MiB"):
        pd.testing.assert_frame_equal(hs.read_export(path, engine="dask", blocksize=blocksize)
                                      .data.compute(), expected)


@pytest.mark.parametrize("coding", ["position_1to4", "position_0to3"])
def test_a_declared_coding_checks_and_scores_as_the_pandas_call(coding: str) -> None:
    """The declared coding's valid responses are the ones checked: 4 is valid when HADS is
    coded 1-4 and invalid when it is coded 0-3 (and 0 the other way round)."""
    rng = np.random.default_rng(5)
    low = 1 if coding == "position_1to4" else 0
    d = pd.DataFrame({f"h{n}": rng.integers(low, low + 4, 40) for n in range(1, 15)})
    d.loc[3, "h2"] = 0 if coding == "position_1to4" else 4
    lazy = dd.from_pandas(d, npartitions=3)
    for on_invalid in ("raise", "missing"):
        if on_invalid == "raise":
            with pytest.raises(ScoringError, match="h2") as eager:
                hs.score(d, "hads", columns="h{n}", coding=coding)
            with pytest.raises(ScoringError, match="h2") as in_blocks:
                hs.score(lazy, "hads", columns="h{n}", coding=coding)
            assert str(in_blocks.value) == str(eager.value)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InvalidCellsWarning)
            expected = hs.score(d, "hads", columns="h{n}", coding=coding, on_invalid=on_invalid)
            got = hs.score(lazy, "hads", columns="h{n}", coding=coding,
                           on_invalid=on_invalid).compute()
        pd.testing.assert_frame_equal(got, expected)


def test_validate_checks_the_declared_coding() -> None:
    d = pd.DataFrame({f"h{n}": [0, 1, 2, 3] for n in range(1, 15)})
    assert hs.validate(d, "hads", columns="h{n}")["value"].tolist() == [0] * 14  # 1-4 default
    declared = hs.validate(d, "hads", columns="h{n}", coding="position_0to3")
    assert declared.empty and declared.attrs["summary"]["ok"].tolist() == [True]
    lazy = hs.validate(dd.from_pandas(d, npartitions=2), "hads", columns="h{n}",
                       coding="position_0to3")
    assert lazy.empty and lazy.attrs["summary"]["instrument"].tolist() == \
        declared.attrs["summary"]["instrument"].tolist()
