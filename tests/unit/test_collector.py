"""Loading a deck pauses Python's cyclic collector and always puts it back as it was."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import trainer.app.deckfile as deckfile
import trainer.app.deckyaml as deckyaml
from trainer.app.collector import collector_paused
from trainer.app.deckfile import parse_deck_text
from trainer.app.trainer import Trainer
from trainer.core.deck import DeckError

pytestmark = pytest.mark.usefixtures("collector_state")

DECK = "name: Letters\ncards:\n  - term: alpha\n    definition: the first letter\n"


def test_a_pause_ends_with_the_collector_as_it_was() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the inner one leaves it paused
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()

    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_a_pause_ends_with_the_collector_on_after_an_error() -> None:
    gc.enable()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_deck_is_built_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.enable()
    seen: list[bool] = []
    build = deckfile.deck_from_data

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(deckfile, "deck_from_data", watched)  # trainer's own form
    monkeypatch.setattr(deckyaml, "deck_from_data", watched)  # any other YAML
    assert parse_deck_text(DECK, "letters", "letters.yaml").cards[0].term == "alpha"
    assert seen == [False]
    assert gc.isenabled()


def test_a_refused_deck_file_leaves_the_collector_on() -> None:
    gc.enable()
    with pytest.raises(DeckError):
        parse_deck_text("name: [unclosed\n", "broken", "broken.yaml")
    assert gc.isenabled()


def test_syncing_decks_leaves_the_collector_as_it_was(
    trainer: Trainer, deck_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.enable()
    seen: list[bool] = []
    load = trainer.store.sync_deck

    def watched(*args: object, **kwargs: object) -> None:
        seen.append(gc.isenabled())
        load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(trainer.store, "sync_deck", watched)
    (deck_dir / "letters.yaml").write_text(DECK, encoding="utf-8")
    (deck_dir / "broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    report = trainer.sync_decks()
    assert report.parsed == ["letters"]
    assert [error.source for error in report.errors] == [str(deck_dir / "broken.yaml")]
    assert seen == [False]  # the cards' rows too are written with the collector paused
    assert gc.isenabled()

    gc.disable()
    (deck_dir / "letters.yaml").write_text(DECK + "  - term: beta\n    definition: b\n", "utf-8")
    assert trainer.sync_decks().parsed == ["letters"]
    assert not gc.isenabled()
