"""``card_digest`` writes a plain card's content directly: the same fingerprint as the
general join, which records already stored were made with."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.model import Card
from trainer.interop.anki_notes import card_digest

text = st.text(max_size=12)


def _general(card: Card) -> str:
    parts = (card.term, card.definition, "\x1f".join(card.aliases), "\x1f".join(card.tags))
    content = "\x1e".join((*parts, card.example or ""))
    return hashlib.blake2b(content.encode("utf-8"), digest_size=16).hexdigest()


@settings(max_examples=200, deadline=None)
@given(
    st.builds(
        Card,
        term=text,
        definition=text,
        aliases=st.lists(text, max_size=2).map(tuple),
        tags=st.lists(text, max_size=2).map(tuple),
        example=st.one_of(st.none(), text),
        guid=st.one_of(st.none(), text),
    )
)
def test_a_cards_digest_is_the_general_join(card: Card) -> None:
    assert card_digest(card) == _general(card)
