"""Editing deck files: trainer's own files are rewritten fast, hand-written ones kept as written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from trainer.app import deckedit
from trainer.app.deckedit import CardEdit, DeckEditError, add_card, card_line, edit_card
from trainer.app.deckfile import dump_deck_fast

DATA = {
    "name": "Imported",
    "source": "Imported by trainer from g.tsv (table layout).",
    "cards": [
        {"term": "Alpha", "definition": "the first letter"},
        {"term": "Beta", "definition": "the second letter", "aliases": ["b"]},
        {"term": "", "missing_term": True, "definition": "a draft without its term"},
        {"term": "Gamma", "definition": 'has "quotes" and a: colon', "tags": ["greek"]},
    ],
}

HAND_WRITTEN = """\
# my deck, kept by hand
name: Mine
cards:
  - term: Alpha   # the first one
    definition: the first letter
  - term: 'Beta'
    definition: >-
      the second
      letter
"""


def canonical_file(folder: Path) -> Path:
    """A deck file exactly as trainer's importer writes one."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "imported.yaml"
    path.write_text(dump_deck_fast(DATA), encoding="utf-8")
    return path


def round_trip_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deckedit, "_load_canonical", lambda text: None)


EDITS = [
    ("alpha", CardEdit("Alpha", "the first letter, edited")),
    ("alpha", CardEdit("Alef", "renamed: keeps its history through id")),
    ("beta", CardEdit("Beta", "no aliases any more")),
    ("gamma", CardEdit("Gamma", "new tags", aliases=(" g ",), tags=("greek", "letter"))),
]


@pytest.mark.parametrize(("identity", "edit"), EDITS)
def test_an_edit_of_a_file_trainer_wrote_equals_the_round_trip_edit(
    identity: str, edit: CardEdit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = canonical_file(tmp_path / "fast"), canonical_file(tmp_path / "slow")
    edit_card(fast, identity, edit)
    round_trip_only(monkeypatch)
    edit_card(slow, identity, edit)
    fast_text = fast.read_text(encoding="utf-8")
    assert yaml.safe_load(fast_text) == yaml.safe_load(slow.read_text(encoding="utf-8"))
    assert fast_text == dump_deck_fast(yaml.safe_load(fast_text))  # still trainer's own form


def test_a_renamed_card_gets_its_old_identity_first(tmp_path: Path) -> None:
    path = canonical_file(tmp_path)
    edit_card(path, "alpha", CardEdit("Alef", "the first letter"))
    card = yaml.safe_load(path.read_text(encoding="utf-8"))["cards"][0]
    assert list(card) == ["id", "term", "definition"]
    assert card["id"] == "alpha"


def test_an_added_card_equals_the_round_trip_addition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = canonical_file(tmp_path / "fast"), canonical_file(tmp_path / "slow")
    edit = CardEdit("Delta", "the fourth letter", tags=("greek",))
    assert add_card(fast, edit).identity == "delta"
    round_trip_only(monkeypatch)
    add_card(slow, edit)
    assert yaml.safe_load(fast.read_text(encoding="utf-8")) == yaml.safe_load(
        slow.read_text(encoding="utf-8")
    )


def test_a_hand_written_file_keeps_its_comments_and_quoting(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    edit_card(path, "alpha", CardEdit("Alpha", "the first letter, edited"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my deck, kept by hand\n")
    assert "# the first one" in text
    assert "term: 'Beta'" in text
    assert yaml.safe_load(text)["cards"][0]["definition"] == "the first letter, edited"


def test_a_duplicate_term_is_refused_on_either_path(tmp_path: Path) -> None:
    path = canonical_file(tmp_path)
    before = path.read_bytes()
    with pytest.raises(DeckEditError, match="already exists"):
        edit_card(path, "alpha", CardEdit("beta", "clash"))
    assert path.read_bytes() == before


def test_card_line_finds_the_card_in_a_good_and_in_a_broken_file(tmp_path: Path) -> None:
    path = canonical_file(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[card_line(path, "gamma") - 1].lstrip().startswith("- term: ")
    assert '"Gamma"' in lines[card_line(path, "gamma") - 1]
    broken = tmp_path / "broken.yaml"  # a card without a definition: the deck reader refuses it
    broken.write_text("name: B\ncards:\n  - term: a\n  - term: b\n    definition: x\n")
    assert card_line(broken, "b") == 4


def test_the_deck_an_edit_returns_is_the_deck_the_file_now_holds(tmp_path: Path) -> None:
    from dataclasses import replace

    from trainer.app.deckfile import read_deck_file

    path = canonical_file(tmp_path)
    edited = edit_card(path, "alpha", CardEdit("Alef", "renamed", tags=("greek",)))
    assert edited.deck is not None
    again = read_deck_file(path)

    def without_lines(deck: object) -> object:
        return replace(deck, cards=tuple(replace(c, line=None) for c in deck.cards), drafts=())

    assert without_lines(edited.deck) == without_lines(again)
    assert len(edited.deck.drafts) == len(again.drafts) == 1
    added = add_card(path, CardEdit("Delta", "fourth")).deck
    assert added is not None
    assert without_lines(added) == without_lines(read_deck_file(path))
