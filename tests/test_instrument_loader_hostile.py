"""A hostile definition file is an InstrumentError naming file and field, never another error;
an edited file is read again; no definition can make scoring allocate without bound."""

from __future__ import annotations

import json
import math
import os
import tomllib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import HelpstatsError, InstrumentError

TOY = Path(__file__).parent / "data" / "instruments" / "toy.toml"
HOSTILE_VALUES: list[Any] = [[[1]], {"a": 1}, [{"a": [1]}], math.nan, math.inf, -math.inf, True,
                             "", 10**12, -1, [], "x" * 300]


def toml_value(value: Any) -> str:
    """A value in TOML inline syntax (enough for definition files)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def to_toml(raw: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in raw.items())


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in a parsed definition (containers and leaves)."""
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from paths(inner, (*prefix, index))


def replaced(raw: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(raw, dict):
        return {k: (replaced(v, rest, new) if k == head else v) for k, v in raw.items()}
    return [replaced(v, rest, new) if i == head else v for i, v in enumerate(raw)]


RAW = tomllib.loads(TOY.read_text(encoding="utf-8"))
CASES = [(p, v) for p in paths(RAW) for v in HOSTILE_VALUES]


def test_the_serialiser_round_trips() -> None:
    assert tomllib.loads(to_toml(RAW)) == RAW


@pytest.mark.parametrize("chunk", range(8))
def test_every_field_replaced_by_a_hostile_value(tmp_path: Path, chunk: int) -> None:
    data = pd.DataFrame({f"toy_{n}": [1, 2, 4, None] for n in range(1, 8)})
    for n in (5, 6, 7):
        data[f"toy_{n}"] = ["a", "b", "a", None]
    for number, (path, value) in enumerate(CASES[chunk::8]):
        file = tmp_path / f"case{number}.toml"
        file.write_text(to_toml(replaced(RAW, path, value)), encoding="utf-8")
        where = f"{path} = {value!r}"
        try:
            inst = hs.load_instrument(file)
        except InstrumentError as error:
            assert str(file) in str(error), where
            assert "field '" in str(error) or "malformed" in str(error), where
            continue
        except Exception as error:  # pragma: no cover - the failure being tested
            pytest.fail(f"{where}: {type(error).__name__}: {error}")
        # a definition that loads scores without a foreign exception or an absurd allocation
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                hs.score(data, inst, on_invalid="missing")
        except HelpstatsError:
            pass
        except Exception as error:  # pragma: no cover - the failure being tested
            pytest.fail(f"{where}: scoring raised {type(error).__name__}: {error}")


@pytest.mark.parametrize(("old", "new", "field", "expected"), [
    ("multiplier = 2", "multiplier = nan", "scales.doubled.multiplier", "finite number"),
    ("multiplier = 2", "multiplier = inf", "scales.doubled.multiplier", "finite number"),
    ("scores = [3, 2, 1, 0]", "scores = [3, 2, nan, 0]", "items[3].scores", "finite numbers"),
    ("scores = [3, 2, 1, 0]", "scores = [3, 2, -inf, 0]", "items[3].scores", "finite numbers"),
    ("min = 7\nmax = 12", "min = 7\nmax = inf", "scales.total.bands[1].max", "finite number"),
    ("min = 3\nmax = 6", "min = nan\nmax = 6", "scales.total.bands[0].min", "finite number"),
    ('"8" = 25.0 }', '"8" = nan }', "scales.converted.lookup.8", "finite number"),
    ('"8" = 25.0 }', '"8" = 25.0, "1000000000000" = 1.0 }', "scales.converted.lookup.1000000000000",
     "far beyond"),
    ('"8" = 25.0 }', '"8" = 25.0, "400000000" = 1.0 }', "scales.converted.lookup.400000000",
     "far beyond"),
    ('"8" = 25.0 }', '"8" = 25.0, "9" = 1.0 }', "scales.converted.lookup", "cannot occur"),
    ("items = [1, 2, 3]\nmethod = \"sum\"", "items = [[1], 2, 3]\nmethod = \"sum\"",
     "scales.total.items", "expected item numbers"),
    ('keyed = { "5" = "a", "6" = "b" }', 'keyed = { "5" = ["a"], "6" = "b" }',
     "scales.choices.keyed.5", "expected a response code"),
])
def test_non_finite_numbers_and_absurd_tables_are_rejected(tmp_path: Path, old: str, new: str,
                                                           field: str, expected: str) -> None:
    text = TOY.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InstrumentError) as caught:
        hs.load_instrument(path)
    assert f"field '{field}'" in str(caught.value) and expected in str(caught.value)


def test_huge_per_option_scores_cannot_make_a_huge_lookup_table(tmp_path: Path) -> None:
    text = TOY.read_text(encoding="utf-8").replace(
        "scores = [3, 2, 1, 0]", "scores = [300000000, 2, 1, 0]", 1).replace(
        "items = [1, 3]\nmethod = \"lookup\"", "items = [4]\nmethod = \"lookup\"", 1)
    path = tmp_path / "huge.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentError, match="too wide for a lookup table"):
        hs.load_instrument(path)


def test_an_edited_definition_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    text = TOY.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = hs.load_instrument(path)
    assert hs.load_instrument(path) is first  # unchanged file: cached
    assert first.scale("doubled").multiplier == 2
    path.write_text(text.replace("multiplier = 2", "multiplier = 30"), encoding="utf-8")
    stat = path.stat()  # same size or same second must not matter: move the clock on
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = hs.load_instrument(path)
    assert second.scale("doubled").multiplier == 30
    data = pd.DataFrame({"toy_1": [1], "toy_2": [1], "toy_3": [2], "toy_4": [1], "toy_5": ["a"],
                         "toy_6": ["b"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = hs.score(data, path)
    assert scores["toy_doubled"].tolist() == [90.0]  # (1 + 2) x 30, the edited key


def test_a_same_size_edit_in_the_same_instant_is_still_seen(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    text = TOY.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    assert hs.load_instrument(path).scale("doubled").multiplier == 2
    path.write_text(text.replace("multiplier = 2", "multiplier = 3"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert hs.load_instrument(path).scale("doubled").multiplier == 3
