"""Duplicate terms and identities are found whatever the spelling (the check reuses keys)."""

from __future__ import annotations

import pytest

from trainer.core.deck import DeckError, deck_from_data


def cards(*entries: dict[str, str]) -> dict[str, object]:
    return {"name": "d", "cards": [{"definition": "x", **entry} for entry in entries]}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (({"term": "Alpha  Beta"}, {"term": "alpha beta"}), "duplicate term 'alpha beta'"),
        (({"term": "Straße"}, {"term": "STRASSE"}), "duplicate term 'STRASSE'"),
        (({"term": "\uff21\uff22\uff23"}, {"term": "abc"}), "duplicate term 'abc'"),  # fullwidth
        (({"term": "one"}, {"term": "two", "id": "ONE"}), "duplicate card id 'one'"),
        (({"term": "one", "id": "k"}, {"term": "two", "id": " K "}), "duplicate card id 'k'"),
        (({"term": "één", "id": "x"}, {"term": "X"}), "duplicate card id 'x'"),
    ],
)
def test_duplicates_are_refused(entries: tuple[dict[str, str], ...], message: str) -> None:
    with pytest.raises(DeckError, match=message):
        deck_from_data(cards(*entries), "d", "d.yaml")


def test_a_renamed_card_keeps_its_identity_apart_from_other_terms() -> None:
    deck = deck_from_data(
        cards({"term": "new name", "id": "old name"}, {"term": "old"}), "d", "d.yaml"
    )
    assert [c.identity for c in deck.cards] == ["old name", "old"]
