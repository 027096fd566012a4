"""Deck files: every problem is a DeckError naming the file and the line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.app.deckfile import dump_deck, parse_deck_text, read_deck_file
from trainer.core.deck import DeckError
from trainer.core.model import Card, Deck, Direction, normalize_term

SOURCE = "decks/sample.yaml"

GOOD = """\
name: Sample
description: A sample deck.
cards:
  - term: Alpha
    definition: The first letter.
  - term: Beta
    definition: The second letter.
    aliases: [B]
"""


def parse(text: str) -> Deck:
    return parse_deck_text(text, "sample", SOURCE)


def deck_error(text: str) -> DeckError:
    with pytest.raises(DeckError) as caught:
        parse(text)
    error = caught.value
    assert str(error).startswith(SOURCE)
    return error


def test_a_good_deck_parses_with_card_lines() -> None:
    deck = parse(GOOD)
    assert deck.slug == "sample"
    assert deck.name == "Sample"
    assert deck.description == "A sample deck."
    assert [(c.term, c.line) for c in deck.cards] == [("Alpha", 4), ("Beta", 6)]
    assert deck.cards[1].aliases == ("B",)
    assert deck.directions == (Direction.FORWARD,)
    assert deck.drafts == ()


# ----------------------------------------------------------- card-level errors
CARD_ERRORS = [
    pytest.param(
        "name: X\ncards:\n  - term: Alpha\n    definition: a\n  - definition: no term here\n",
        5,
        "no term",
        id="card-without-term",
    ),
    pytest.param(
        "name: X\ncards:\n  - term: Alpha\n    definition: a\n  - term: Beta\n",
        5,
        "no definition",
        id="card-without-definition",
    ),
    pytest.param(
        "name: X\ncards:\n  - term: Alpha\n    definition: a\n  - term: '   '\n    definition: b\n",
        5,
        "empty term",
        id="empty-term",
    ),
    pytest.param(
        "name: X\ncards:\n  - term: Alpha\n    definition: ''\n",
        3,
        "empty definition",
        id="empty-definition",
    ),
    pytest.param(
        "name: X\ncards:\n  - term: [a, b]\n    definition: a\n",
        3,
        "term must be text",
        id="term-is-a-list",
    ),
    pytest.param(
        "name: X\ncards:\n  - term: true\n    definition: a\n",
        3,
        "term must be text",
        id="term-is-a-boolean",
    ),
    pytest.param(
        "name: X\ncards:\n  - term: Alpha\n    definition: {a: 1}\n",
        3,
        "definition must be text",
        id="definition-is-a-mapping",
    ),
    pytest.param(
        "name: X\ncards:\n  - term: Alpha\n    definition: a\n    aliases: {x: y}\n",
        3,
        "'aliases' must be a list of text",
        id="aliases-is-a-mapping",
    ),
    pytest.param(
        "name: X\ncards:\n  - term: Alpha\n    definition: a\n    tags: [ok, [nested]]\n",
        3,
        "'tags' must be a list of text",
        id="tags-nested-list",
    ),
    pytest.param(
        "name: X\ncards:\n  - term: Alpha\n    definition: a\n  - term: Beta\n    defintion: b\n",
        5,
        "unknown key 'defintion'",
        id="unknown-card-key",
    ),
    pytest.param(
        "name: X\ncards:\n  - term: Alpha\n    definition: a\n  - just a string\n",
        None,
        "card 2 must be a mapping",
        id="card-is-a-string",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), CARD_ERRORS)
def test_card_errors_name_the_file_and_the_card_line(
    text: str, line: int | None, message: str
) -> None:
    error = deck_error(text)
    assert error.source == SOURCE
    assert error.line == line
    assert message in error.message
    if line is not None:
        assert str(error).startswith(f"{SOURCE}:{line}: ")


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        pytest.param(
            "name: X\ncards:\n  - term: Alpha\n    definition: a\n"
            "  - term: Beta\n    definition: b\n  - term: alpha\n    definition: c\n",
            3,
            7,
            id="case",
        ),
        pytest.param(
            "name: X\ncards:\n  - term: Machine  Learning\n    definition: a\n"
            "  - term: ' machine learning '\n    definition: c\n",
            3,
            5,
            id="spacing",
        ),
        pytest.param(
            "name: X\ncards:\n  - term: CAFÉ\n    definition: a\n"
            "  - term: café\n    definition: c\n",
            3,
            5,
            id="unicode-case",
        ),
    ],
)
def test_duplicate_terms_name_both_lines(text: str, first: int, second: int) -> None:
    error = deck_error(text)
    assert error.line == second
    assert "duplicate term" in error.message
    assert f"line {first}" in error.message


# ----------------------------------------------------------- deck-level errors
@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("name: X\ndescription: no cards\n", "missing 'cards'", id="missing-cards"),
        pytest.param("name: X\n\ncards: hello\n", "'cards' must be a list", id="cards-a-string"),
        pytest.param("name: X\ncards:\n  a: b\n", "'cards' must be a list", id="cards-a-mapping"),
        pytest.param(
            "name: X\ncolour: red\ncards: []\n", "unknown deck key 'colour'", id="unknown-key"
        ),
        pytest.param(
            "name: X\ndirections: [sideways]\ncards: []\n", "sideways", id="bad-direction"
        ),
        pytest.param(
            "name: X\ndirections: {forward: 1}\ncards: []\n",
            "'directions' must be a list of text",
            id="directions-a-mapping",
        ),
        pytest.param("name: [a, b]\ncards: []\n", "'name' must be text", id="name-a-list"),
    ],
)
def test_deck_level_errors_name_the_file_a_line_and_the_key(text: str, message: str) -> None:
    error = deck_error(text)
    assert message in error.message
    assert error.line is not None
    assert str(error).startswith(f"{SOURCE}:{error.line}: ")


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        pytest.param(
            "name: X\ncards:\n  - term: Alpha\n    definition: ok\n"
            "  - term: Beta\n   definition: bad indent\n",
            6,
            "expected '-'",
            id="bad-indentation",
        ),
        pytest.param(
            "name: X\ncards:\n  - term: Alpha\n    definition: [unclosed\n"
            "  - term: Beta\n    definition: b\n",
            5,
            "expected ',' or ']'",
            id="unclosed-flow-list",
        ),
    ],
)
def test_yaml_syntax_errors_give_the_line(text: str, line: int, problem: str) -> None:
    error = deck_error(text)
    assert error.line == line
    assert "YAML" in error.message
    assert problem in error.message


@pytest.mark.parametrize(
    "template",
    [
        "!!python/object/apply:os.system ['touch {marker}']\n",
        "name: X\ncards:\n  - term: !!python/object/apply:os.system ['touch {marker}']\n"
        "    definition: d\n",
        "name: !!python/object/new:pathlib.Path ['{marker}']\ncards: []\n",
    ],
    ids=["document", "inside-a-card", "object-new"],
)
def test_python_object_tags_are_refused_and_never_run(tmp_path: Path, template: str) -> None:
    marker = tmp_path / "pwned"
    error = deck_error(template.format(marker=marker))
    assert "python/object" in error.message
    assert error.line is not None
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n", "# only a comment\n", "- a\n- b\n", "just text\n"],
    ids=["empty", "blank-lines", "comment-only", "top-level-list", "top-level-string"],
)
def test_a_document_that_is_not_a_mapping_is_refused(text: str) -> None:
    error = deck_error(text)
    assert "mapping" in error.message


@pytest.mark.parametrize(
    ("directions", "expected"),
    [
        ("forward", (Direction.FORWARD,)),
        ("[reverse]", (Direction.REVERSE,)),
        ("[reverse, forward, reverse]", (Direction.REVERSE, Direction.FORWARD)),
    ],
    ids=["single-string", "reverse-only", "deduplicated-in-order"],
)
def test_directions(directions: str, expected: tuple[Direction, ...]) -> None:
    deck = parse(f"name: X\ndirections: {directions}\ncards: []\n")
    assert deck.directions == expected


# ------------------------------------------------------------------ file reading
def write(tmp_path: Path, content: bytes, name: str = "deck.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def file_error(path: Path) -> DeckError:
    with pytest.raises(DeckError) as caught:
        read_deck_file(path)
    assert str(caught.value).startswith(str(path))
    assert caught.value.source == str(path)
    return caught.value


def test_non_utf8_bytes_name_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    path = write(tmp_path, b"name: X\ncards:\n  - term: Caf\xe9\n    definition: coffee\n")
    error = file_error(path)
    assert error.line == 3
    assert "UTF-8" in error.message


@pytest.mark.parametrize(
    "content",
    [b"\x00\x01\x02\x03binary", b"SQLite format 3\x00" + bytes(range(256)) * 4],
    ids=["nul-bytes", "sqlite-file"],
)
def test_binary_file_is_refused(tmp_path: Path, content: bytes) -> None:
    error = file_error(write(tmp_path, content))
    assert "binary" in error.message


def test_empty_file_is_refused_with_its_name(tmp_path: Path) -> None:
    error = file_error(write(tmp_path, b""))
    assert "cards" in error.message


def test_missing_file_is_a_deck_error(tmp_path: Path) -> None:
    error = file_error(tmp_path / "absent.yaml")
    assert "cannot read" in error.message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + GOOD.encode())
    deck = read_deck_file(path)
    assert deck.name == "Sample"
    assert deck.slug == "deck"
    assert [c.line for c in deck.cards] == [4, 6]


def test_crlf_line_endings_are_accepted_and_lines_still_counted(tmp_path: Path) -> None:
    deck = read_deck_file(write(tmp_path, GOOD.replace("\n", "\r\n").encode()))
    assert [(c.term, c.definition, c.line) for c in deck.cards] == [
        ("Alpha", "The first letter.", 4),
        ("Beta", "The second letter.", 6),
    ]
    bad = "name: X\ncards:\n  - term: A\n    definition: a\n  - term: B\n"
    assert file_error(write(tmp_path, bad.replace("\n", "\r\n").encode(), "bad.yaml")).line == 5


def test_slug_comes_from_the_file_name_unless_given(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.encode(), "my-deck.yaml")
    assert read_deck_file(path).slug == "my-deck"
    assert read_deck_file(path, slug="other").slug == "other"


# ------------------------------------------------------------------------ drafts
DRAFTS = """\
name: Imported
cards:
  - term: Alpha
    definition: The first letter.
  - term: ''
    missing_term: true
    definition: A letter whose name was lost.
  - missing_term: true
    definition: Another orphan definition.
  - term: Gamma
    missing_term: true
    definition: Filled in by the user, flag left behind.
"""


def test_missing_term_drafts_are_skipped_and_counted() -> None:
    deck = parse(DRAFTS)
    assert [c.term for c in deck.cards] == ["Alpha", "Gamma"]
    assert deck.drafts == (5, 8)


def test_missing_term_false_does_not_excuse_an_empty_term() -> None:
    error = deck_error(
        "name: X\ncards:\n  - term: ''\n    missing_term: false\n    definition: d\n"
    )
    assert error.line == 3
    assert "empty term" in error.message


# -------------------------------------------------------------------- round trip
TRICKY = (
    Card(term="yes", definition="null"),
    Card(term="1.0", definition="- looks like a list item"),
    Card(term="key: value", definition="# not a comment", aliases=("k", "v")),
    Card(term="Ünïcödé 東京", definition="Line one.\nLine two.", tags=("i18n",)),
    Card(term="'quoted'", definition='He said "hi" & left', example="e.g. [bold]x[/bold]"),
    Card(term="@at", definition="*star", aliases=("!bang",), tags=("%pct", "&amp")),
)


def strip_lines(cards: tuple[Card, ...]) -> list[Card]:
    return [dataclasses.replace(card, line=None) for card in cards]


@pytest.mark.parametrize(
    "deck",
    [
        Deck(slug="sample", name="Sample", cards=TRICKY),
        Deck(
            slug="sample",
            name="Both ways",
            description="d",
            source="seeds/x.txt",
            tags=("t1", "t2"),
            directions=(Direction.REVERSE, Direction.FORWARD),
            cards=TRICKY[:2],
        ),
        Deck(slug="sample", name="Empty", cards=()),
    ],
    ids=["tricky-text", "all-deck-fields", "no-cards"],
)
def test_dump_then_parse_gives_back_the_same_deck(deck: Deck) -> None:
    parsed = parse(dump_deck(deck))
    assert strip_lines(parsed.cards) == list(deck.cards)
    assert dataclasses.replace(parsed, cards=()) == dataclasses.replace(deck, cards=())


# text that survives the validator's .strip() unchanged
stripped_text = (
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)


@st.composite
def card_lists(draw: st.DrawFn) -> tuple[Card, ...]:
    terms = draw(st.lists(stripped_text, max_size=8, unique_by=normalize_term))
    return tuple(
        Card(
            term=term,
            definition=draw(stripped_text),
            aliases=tuple(draw(st.lists(stripped_text, max_size=2))),
            example=draw(st.none() | stripped_text),
        )
        for term in terms
        if normalize_term(term)
    )


@given(card_lists())
def test_dump_then_parse_round_trips_any_text(cards: tuple[Card, ...]) -> None:
    deck = Deck(slug="sample", name="Generated", cards=cards)
    assert strip_lines(parse(dump_deck(deck)).cards) == list(cards)


@pytest.mark.parametrize("blank", ['""', '"   "', '"\\r"', '"\\t\\n"'])
def test_a_blank_example_is_no_example_and_survives_a_round_trip(blank: str) -> None:
    """Found by the fuzz test: '\\r' stripped to '' and was written back as nothing."""
    deck = parse(f"name: D\ncards:\n  - term: a\n    definition: b\n    example: {blank}\n")
    assert deck.cards[0].example is None
    again = parse_deck_text(dump_deck(deck), deck.slug, "again.yaml")
    assert again.cards[0].example is None
