"""Fuzzing the two parsers of user files: anything in, a result or their one error out.

``parse_deck_text`` returns a Deck or raises DeckError; ``parse_glossary``
returns a GlossaryImport or raises GlossaryError; never anything else, and the
error is one line (the CLI prints it as one). Structured YAML fuzzing builds
random nested documents near the deck format, so the validator, not only the
YAML reader, meets every shape.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.app.deckfile import decode_deck_bytes, dump_deck, parse_deck_text
from trainer.core.deck import KNOWN_CARD_KEYS, KNOWN_DECK_KEYS, DeckError
from trainer.core.glossary import FORMATS, GlossaryError, parse_glossary
from trainer.core.model import Deck

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SOURCE = "fuzz.yaml"

YAML_PIECES = st.sampled_from(
    [
        "name: ", "cards:\n", "  - ", "term: ", "definition: ", "aliases: ", "tags: ",
        "directions: [forward, reverse]\n", "- ", "\n", "    ", ": ", "&a ", "*a", "!!str ",
        "!!python/object:os.system ", "!!binary ", "? ", "[", "]", "{", "}", ",", "'", '"',
        "|\n", ">\n", "---\n", "...\n", "%YAML 1.1\n", "#", "\t", "\ufeff", "\x1b[31m",
        "[bold]", "null", "~", "true", "1e400", ".nan", "2024-01-01", "<<: *a", "\\e",
    ]
)  # fmt: skip
YAML_TEXT = st.one_of(st.text(), st.lists(YAML_PIECES, max_size=40).map("".join))


def check_deck_outcome(text: str) -> Deck | None:
    try:
        deck = parse_deck_text(text, "fuzz", SOURCE)
    except DeckError as error:
        assert str(error).startswith(SOURCE)
        assert "\n" not in str(error), str(error)
        return None
    assert isinstance(deck, Deck)
    for card in deck.cards:
        assert card.term and card.term == card.term.strip()
        assert card.definition and card.definition == card.definition.strip()
    return deck


@FUZZ
@given(YAML_TEXT)
def test_any_text_is_a_deck_or_a_deck_error(text: str) -> None:
    check_deck_outcome(text)


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_are_a_deck_or_a_deck_error(raw: bytes) -> None:
    try:
        text = decode_deck_bytes(raw, SOURCE)
    except DeckError as error:
        assert "\n" not in str(error)
        return
    check_deck_outcome(text)


# ----------------------------------------------------------- structured YAML
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["", "   ", "\u3000", "[bold]x[/]", "\x1b[2J", "forward", "reverse"]),
    st.dates(),
)
KEYS = st.one_of(
    st.sampled_from(sorted(KNOWN_DECK_KEYS | KNOWN_CARD_KEYS)), st.text(max_size=8), st.integers()
)
NESTED = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=30,
)
CARD = st.fixed_dictionaries(
    {},
    optional={
        "term": st.one_of(SCALARS, NESTED),
        "definition": st.one_of(SCALARS, NESTED),
        "aliases": NESTED,
        "tags": NESTED,
        "example": st.one_of(SCALARS, NESTED),
        "missing_term": st.one_of(st.booleans(), SCALARS),
    },
)
DECKISH = st.fixed_dictionaries(
    {"cards": st.one_of(st.lists(st.one_of(CARD, NESTED), max_size=6), NESTED)},
    optional={
        "name": st.one_of(SCALARS, NESTED),
        "description": SCALARS,
        "tags": NESTED,
        "directions": st.one_of(
            st.lists(st.sampled_from(["forward", "reverse", "both", "up"]), max_size=3), NESTED
        ),
        "extra": NESTED,
    },
)


TEXT = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(["[bold red]x[/]", "[/]", "\x1b[31mred", "\u00a0pad\u3000", "null", "- a"]),
)
GOOD_CARD = st.fixed_dictionaries(
    {"term": TEXT, "definition": TEXT},
    optional={
        "aliases": st.lists(TEXT, max_size=3),
        "tags": st.one_of(TEXT, st.lists(TEXT, max_size=3)),
        "example": TEXT,
    },
)
MOSTLY_VALID_DECK = st.fixed_dictionaries(
    {"cards": st.lists(st.one_of(GOOD_CARD, GOOD_CARD, GOOD_CARD, CARD), max_size=8)},
    optional={
        "name": TEXT,
        "description": TEXT,
        "tags": st.lists(TEXT, max_size=3),
        "directions": st.lists(st.sampled_from(["forward", "reverse"]), min_size=1, max_size=2),
    },
)


def dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@FUZZ
@given(st.one_of(NESTED, DECKISH, MOSTLY_VALID_DECK))
def test_random_yaml_structures_are_a_deck_or_a_deck_error(data: Any) -> None:
    check_deck_outcome(dump(data))


@FUZZ
@given(MOSTLY_VALID_DECK)
def test_a_deck_that_loads_survives_writing_and_reading_back(data: Any) -> None:
    deck = check_deck_outcome(dump(data))
    if deck is None:
        return
    again = parse_deck_text(dump_deck(deck), deck.slug, SOURCE)
    assert [(c.term, c.definition, c.aliases, c.tags, c.example) for c in again.cards] == [
        (c.term, c.definition, c.aliases, c.tags, c.example) for c in deck.cards
    ]
    assert (again.name, again.directions) == (deck.name, deck.directions)


# ---------------------------------------------------------------- glossaries
GLOSSARY_PIECES = st.sampled_from(
    [
        "Term\tDefinition\n", "term,definition\n", "Definition\n", "**", ": ", "\t", ",", '"',
        "\n", "\r\n", "\r", "Alpha", "Beta is a thing.", "Gamma Ray, a ray", "- ", "# ", "|",
        "\x1b[31m", "[bold]", "\ufeff", "\u2028", "\x00", "about:blank", "1/2", "   ",
    ]
)  # fmt: skip


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=1000),
        st.lists(GLOSSARY_PIECES, max_size=40).map(lambda parts: "".join(parts).encode()),
    ),
    source=st.sampled_from(["g.txt", "g.tsv", "g.csv", "g.md"]),
    fmt=st.sampled_from([None, *FORMATS]),
)
def test_any_glossary_bytes_import_or_raise_one_error(
    raw: bytes, source: str, fmt: str | None
) -> None:
    try:
        result = parse_glossary(decode_deck_bytes(raw, source), source, fmt)
    except (DeckError, GlossaryError) as error:
        assert str(error).startswith(source)
        assert "\n" not in str(error), str(error)
        return
    assert result.entries
    assert all(entry.definition.strip() for entry in result.entries)
