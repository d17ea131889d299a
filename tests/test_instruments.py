"""Loading definitions: bundled files, user files, and strict errors that name file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

import helpstats as hs
from helpstats.errors import InstrumentError
from helpstats.instruments import DOMAINS, LICENSE_STATUSES, bundled_instrument_dir


def test_list_instruments_columns_and_rows() -> None:
    table = hs.list_instruments()
    for column in ["id", "name", "domain", "n_items", "license_status", "verification"]:
        assert column in table.columns
    assert {"phq9", "gad7"} <= set(table["id"])
    assert table.set_index("id").loc["gad7", "n_items"] == 7


@pytest.mark.parametrize("instrument_id", sorted(p.stem for p in bundled_instrument_dir().glob("*.toml")))
def test_every_bundled_instrument_is_complete(instrument_id: str) -> None:
    inst = hs.load_instrument(instrument_id)
    assert inst.id == instrument_id
    assert inst.citation.strip() and inst.license_note.strip()
    assert inst.license_status in LICENSE_STATUSES
    assert inst.domain in DOMAINS
    assert inst.verification.status in ("verified", "provisional")
    assert inst.verification.sources
    if inst.verification.status == "provisional":
        assert inst.verification.unverified
    if not inst.item_text:
        assert all(item.text is None for item in inst.items)
    main_scales = [s.id for s in inst.scales]
    assert "total" in main_scales or len(main_scales) > 1


def test_user_file_loads_by_path(toy_path: Path) -> None:
    inst = hs.load_instrument(toy_path)
    assert inst.id == "toy" and inst.provisional
    assert hs.load_instrument(str(toy_path)) is inst  # cached


def test_unknown_id_lists_the_bundled_ones() -> None:
    with pytest.raises(InstrumentError, match="phq9"):
        hs.load_instrument("phq99")


def write_variant(tmp_path: Path, toy_path: Path, old: str, new: str) -> Path:
    text = toy_path.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "field", "expected"), [
    ("items = [1, 2, 3]\nmethod = \"sum\"", "items = [1, 2, 9]\nmethod = \"sum\"",
     "scales.total.items", "item 9 does not exist"),
    ('domain = "psychosocial adjustment"', 'domain = "mood"', "domain", "expected one of"),
    ('license_status = "public_domain"', 'license_status = "free"', "license_status", "expected one of"),
    ('method = "mean"', 'method = "median"', "scales.mean.method", "expected one of"),
    ("max_missing = 1\nprorate", "max_missing = 3\nprorate", "scales.total.max_missing", "fewer than"),
    ('label = "positive one"', 'label = "positive one"\ncolour = "red"', "items[0]", "unknown key"),
    ('label = "positive one"', 'label = "positive one"\ntext = "I am fine"', "items[0].text",
     "item_text = true"),
    ('"8" = 25.0 }', '"9" = 25.0 }', "scales.converted.lookup", "raw sums [8]"),
    ('min = 7\nmax = 12', 'min = 6\nmax = 12', "scales.total.bands[1]", "without overlap"),
    ('keyed = { "5" = "a", "6" = "b" }', 'keyed = { "5" = "a", "6" = "c" }', "scales.choices.keyed.6",
     "not a response code"),
    ('unverified = ["everything: this is not a real instrument"]', "unverified = []",
     "verification.unverified", "provisional key must say"),
    ("schema = 1", "schema = 2", "schema", "expected 1"),
])
def test_broken_files_name_file_and_field(tmp_path, toy_path, old, new, field, expected) -> None:
    path = write_variant(tmp_path, toy_path, old, new)
    with pytest.raises(InstrumentError) as caught:
        hs.load_instrument(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"field '{field}'" in message
    assert expected in message


def test_invalid_toml_names_the_file(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("id = \n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="not valid TOML"):
        hs.load_instrument(path)


def test_instrument_error_is_a_value_error() -> None:
    assert issubclass(InstrumentError, ValueError)
    assert issubclass(InstrumentError, hs.errors.HelpstatsError)
