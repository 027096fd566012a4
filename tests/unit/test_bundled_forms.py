"""The bundled decks' ready-parsed forms (``trainer.app.bundled_forms``) must be what
PyYAML reads from the files, so that a new home loads the very same decks without it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from trainer.app import bundled_forms
from trainer.app.deckfile import decode_deck_bytes
from trainer.app.deckyaml import parse_yaml, read_yaml
from trainer.app.locations import bundled_decks_dir
from trainer.core.deck import deck_from_data

BUNDLED = sorted(bundled_decks_dir().glob("*.yaml"))


def test_every_bundled_deck_has_its_form() -> None:
    regenerated = bundled_forms.source_of(BUNDLED)
    shas = {hashlib.sha256(path.read_bytes()).hexdigest() for path in BUNDLED}
    assert BUNDLED and set(bundled_forms.FORMS) == shas, (
        "a bundled deck changed: replace the block between '# fmt: off' and '# fmt: on' "
        f"in trainer/app/bundled_forms.py with\n{regenerated}"
    )


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.name)
def test_a_form_is_the_document_yaml_reads(path: Path) -> None:
    raw = path.read_bytes()
    text = decode_deck_bytes(raw, path.name)
    parsed = read_yaml(text, path.name)
    form = bundled_forms.document(hashlib.sha256(raw).hexdigest())
    assert form == parsed
    assert form.line == parsed.line
    assert [card.line for card in form["cards"]] == [card.line for card in parsed["cards"]]
    assert deck_from_data(form, path.stem, path.name) == parse_yaml(text, path.stem, path.name)


def test_each_call_gives_its_own_objects() -> None:
    sha = next(iter(bundled_forms.FORMS))
    first = bundled_forms.document(sha)
    first["cards"][0].setdefault("aliases", []).append("changed")
    first["name"] = "changed"
    assert bundled_forms.document(sha) != first


def test_other_bytes_have_no_form() -> None:
    assert bundled_forms.document(hashlib.sha256(b"name: x\ncards: []\n").hexdigest()) is None
