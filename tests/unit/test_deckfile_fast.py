"""The direct deck writer produces YAML that loads back to exactly what was written.

Its quoting has a fast path; it must write the very bytes the JSON-based
quoting wrote, so the reference below is that original, kept verbatim.
"""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.app.deckfile import (
    _YAML_UNSAFE,
    _quoted,
    deck_to_data,
    dump_deck_fast,
    dump_imported_deck,
)
from trainer.app.deckyaml import SafeLoader
from trainer.core.model import Card, Deck, plain_cards

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
card = st.fixed_dictionaries(
    {"term": text, "definition": text},
    optional={"aliases": st.lists(text, max_size=3), "missing_term": st.booleans()},
)
deck = st.fixed_dictionaries(
    {"name": text, "cards": st.lists(card, max_size=5)},
    optional={"description": text, "source": text, "tags": st.lists(text, max_size=3)},
)


@settings(max_examples=300, deadline=None)
@given(deck)
def test_fast_dump_round_trips_through_the_safe_loader(data: dict) -> None:
    assert yaml.safe_load(dump_deck_fast(data)) == data


def test_values_yaml_would_reinterpret_stay_strings() -> None:
    data = {"name": "no", "cards": [{"term": "1e3", "definition": "key: value # not a comment"}]}
    assert yaml.safe_load(dump_deck_fast(data)) == data


def reference_quoted(text: str) -> str:
    """The original quoting, kept verbatim: JSON, then YAML's extra escapes."""
    return _YAML_UNSAFE.sub(
        lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False)
    )


#: Strings a YAML writer can get wrong: indicators, look-alike scalars, spacing,
#: escapes, and characters YAML forbids raw or reads as line breaks.
HOSTILE = {
    "empty": "",
    "boolean words": "no",
    "null word": "~",
    "number": "1e3",
    "octal": "0o17",
    "date": "2026-03-04",
    "leading space": " lead",
    "trailing space": "trail ",
    "only spaces": "   ",
    "mapping": "key: value",
    "comment": "# not a comment",
    "inline comment": "a #b",
    "sequence": "- item",
    "flow": "{a: [b, c]}",
    "anchor and alias": "&a *a",
    "tag": "!!python/object:os.system",
    "directive": "%YAML 1.2",
    "document markers": "---\n...",
    "block scalars": "| >",
    "single quote": "it's",
    "double quote": 'say "hi"',
    "backslash": "C:\\path\\n",
    "tab": "a\tb",
    "newlines": "a\nb\r\nc\rd",
    "next line": "a\x85b",
    "line separator": "a\u2028b\u2029c",
    "bom": "\ufeffa",
    "noncharacters": "a\ufffe\uffffb",
    "control": "a\x00\x01\x1b\x7fb",
    "c1 control": "a\x9fb",
    "nbsp": "a\u00a0b",
    "ideographic space": "\u3000",
    "emoji": "🦜 pattern",
    "combining": "e\u0301",
    "right to left": "\u05e9\u05dc\u05d5\u05dd",
    "long": "word " * 100,
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_strings_round_trip(value: str) -> None:
    data = {
        "name": value,
        "source": value,
        "tags": [value, value],
        "cards": [{"term": value, "definition": value, "aliases": [value]}],
    }
    text = dump_deck_fast(data)
    assert yaml.safe_load(text) == data
    assert yaml.load(text, Loader=SafeLoader) == data  # libyaml when present


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_quoting_is_unchanged_for_hostile_strings(value: str) -> None:
    assert _quoted(value) == reference_quoted(value)


@settings(max_examples=2000, deadline=None)
@given(st.text(st.characters()))
def test_quoting_is_unchanged_for_any_text(value: str) -> None:
    assert _quoted(value) == reference_quoted(value)


def test_every_character_the_fast_path_leaves_raw_needs_no_escape() -> None:
    """The fast path trusts ``isprintable``: no printable character but the quote
    and the backslash is escaped by JSON or by the YAML pass."""
    escaped = [
        code
        for code in range(sys.maxunicode + 1)
        if chr(code).isprintable() and reference_quoted(chr(code)) != f'"{chr(code)}"'
    ]
    assert escaped == [ord('"'), ord("\\")]


# ------------------------------------------------- reading trainer's own files


def lines_of(document: dict) -> list[int | None]:
    return [getattr(document, "line", None)] + [
        getattr(card, "line", None) for card in document.get("cards", [])
    ]


def read_with_yaml(text: str) -> dict:
    from trainer.app.deckyaml import _LineLoader

    return yaml.load(text, Loader=_LineLoader)


@settings(max_examples=300, deadline=None)
@given(deck)
def test_trainers_own_files_read_without_yaml_as_yaml_reads_them(data: dict) -> None:
    from trainer.app.deckfile import read_canonical

    text = dump_deck_fast(data)
    fast = read_canonical(text)
    assert fast is not None
    slow = read_with_yaml(text)
    assert fast == slow == data
    assert lines_of(fast) == lines_of(slow)


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_strings_read_back_without_yaml(value: str) -> None:
    from trainer.app.deckfile import read_canonical

    data = {"name": value, "tags": [value], "cards": [{"term": value, "definition": value}]}
    text = dump_deck_fast(data)
    assert read_canonical(text) == read_with_yaml(text) == data


OTHER_FILES = {
    "comment": '# mine\nname: "D"\ncards:\n  - term: "a"\n    definition: "b"\n',
    "plain scalars": "name: D\ncards:\n  - term: a\n    definition: b\n",
    "single quotes": "name: 'D'\ncards: []\n",
    "a number": 'name: "D"\ndescription: 5\ncards: []\n',
    "blank line": 'name: "D"\n\ncards: []\n',
    "no final newline": 'name: "D"\ncards: []',
    "key twice": 'name: "D"\nname: "E"\ncards: []\n',
    "cards first": 'cards: []\nname: "D"\n',
    "json-only escape": 'name: "a\\/b"\ncards: []\n',
    "raw line separator": 'name: "a\u2028b"\ncards: []\n',
    "deeper indent": 'name: "D"\ncards:\n  - term: "a"\n      definition: "b"\n',
    "card before cards": '  - term: "a"\nname: "D"\ncards: []\n',
    "a list of numbers": 'name: "D"\ntags: [1, 2]\ncards: []\n',
    "a key yaml reads as null": 'null: "D"\ncards: []\n',
    "an unknown key": 'name: "D"\nnotes: "x"\ncards: []\n',
    "cards that are not a list": 'name: "D"\ncards: true\n',
    "lists nested deep": 'name: "D"\ntags: ' + "[" * 3000 + "]" * 3000 + "\ncards: []\n",
    "a lone surrogate escape": 'name: "D"\ncards:\n  - term: "\\ud800"\n    definition: "x"\n',
}


@pytest.mark.parametrize("text", OTHER_FILES.values(), ids=OTHER_FILES.keys())
def test_anything_else_is_left_to_yaml(text: str) -> None:
    from trainer.app.deckfile import read_canonical

    assert read_canonical(text) is None


@pytest.mark.parametrize(
    "name", ["cards that are not a list", "lists nested deep", "a lone surrogate escape"]
)
def test_a_broken_deck_in_near_canonical_form_is_a_deck_error(name: str) -> None:
    """Found in review: these escaped the fast reader as TypeError, RecursionError and
    UnicodeEncodeError; YAML's path names the file and line instead."""
    from trainer.app.deckfile import parse_deck_text
    from trainer.core.deck import DeckError

    with pytest.raises(DeckError):
        parse_deck_text(OTHER_FILES[name], "d", "d.yaml")


def bare(value: str) -> Card:
    return Card(term=value, definition=value)


plain_card = st.builds(
    Card,
    term=text,
    definition=text,
    aliases=st.lists(text, max_size=2).map(tuple),
    tags=st.lists(text, max_size=2).map(tuple),
)
#: a card as an Anki import makes it: often a term, a definition and its note's GUID
anki_card = st.builds(
    Card, term=text, definition=text, guid=st.one_of(st.none(), st.just(""), text)
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(plain_card, anki_card, st.sampled_from(list(HOSTILE.values())).map(bare)),
        max_size=6,
    ),
    st.lists(text, max_size=3),
    text,
)
def test_an_imported_deck_is_written_as_the_generic_writer_writes_it(
    cards: list[Card], drafts: list[str], name: str
) -> None:
    deck = Deck(slug="g", name=name, cards=tuple(cards), source="note", missing=tuple(drafts))
    data = deck_to_data(deck)
    data["cards"] += [{"term": "", "missing_term": True, "definition": d} for d in drafts]
    assert dump_imported_deck(deck, drafts) == dump_deck_fast(data)


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_an_imported_deck_of_hostile_cards_is_written_as_before(value: str) -> None:
    cards = (bare(value), bare("plain"), bare(""), Card(term="t", definition="d", guid=value))
    deck = Deck(slug="g", name="G", cards=cards, source=value)
    data = deck_to_data(deck)
    data["cards"] += [{"term": "", "missing_term": True, "definition": value}]
    assert dump_imported_deck(deck, [value]) == dump_deck_fast(data)


@settings(max_examples=300, deadline=None)
@given(plain_card)
def test_a_plain_card_is_the_card_its_constructor_builds(card: Card) -> None:
    built = Card.plain(card.term, card.definition, card.aliases, card.tags, card.identity)
    assert built == card
    assert hash(built) == hash(card)
    assert built.__dict__ == card.__dict__


@settings(max_examples=100, deadline=None)
@given(st.lists(plain_card, max_size=5))
def test_plain_cards_are_the_cards_their_constructor_builds(cards: list[Card]) -> None:
    built = plain_cards(
        [card.term for card in cards],
        [card.definition for card in cards],
        [card.aliases for card in cards],
        [card.tags for card in cards],
        [card.identity for card in cards],
    )
    assert built == cards
    assert [card.__dict__ for card in built] == [card.__dict__ for card in cards]


def test_an_identity_is_computed_once_and_kept() -> None:
    card = Card(term="Learning  Rate", definition="d")
    assert "identity" not in card.__dict__
    assert card.identity == "learning rate"
    assert card.__dict__["identity"] == "learning rate"
    assert card == Card(term="Learning  Rate", definition="d")
