"""Cloze deletions: parsing Anki's syntax, masking one gap, and cloze entries in deck files."""

from __future__ import annotations

import pytest

from trainer.app.deckfile import deck_to_data, dump_deck, dump_deck_fast, parse_deck_text
from trainer.core import cloze
from trainer.core.deck import DeckError

TEXT = "The battle of {{c1::Hastings::place}} was in {{c2::1066}}; {{c1::William}} won."


def test_each_number_hides_its_gaps_and_shows_the_others() -> None:
    assert cloze.numbers(TEXT) == (1, 2)
    assert cloze.question(TEXT, 1) == "The battle of [place] was in 1066; […] won."
    assert cloze.reveal(TEXT, 1) == "The battle of [Hastings] was in 1066; [William] won."
    assert cloze.question(TEXT, 2) == "The battle of Hastings was in […]; William won."
    assert cloze.answers(TEXT, 1) == ("Hastings", "William")
    assert cloze.strip(TEXT) == "The battle of Hastings was in 1066; William won."


def test_nested_gaps_and_text_that_only_looks_like_one() -> None:
    text = "{{c1::a {{c2::b}} c}} {{c0::zero}} {{c3::open"
    assert cloze.numbers(text) == (1, 2)
    assert cloze.question(text, 1) == "[…] {{c0::zero}} {{c3::open"
    assert cloze.question(text, 2) == "a […] c {{c0::zero}} {{c3::open"
    assert cloze.reveal(text, 2) == "a [b] c {{c0::zero}} {{c3::open"
    assert not cloze.has_cloze("no gaps {{here}}")


def test_a_cloze_entry_is_one_card_per_number_and_writes_back_as_one_entry() -> None:
    text = (
        f'name: History\ncards:\n  - cloze: "{TEXT}"\n    extra: "1066"\n'
        "  - term: a\n    definition: b\n"
    )
    deck = parse_deck_text(text, "history", "h.yaml")
    assert [(c.cloze_number, c.term) for c in deck.cards] == [
        (1, cloze.question(TEXT, 1)),
        (2, cloze.question(TEXT, 2)),
        (None, "a"),
    ]
    ids = [c.id_in("history") for c in deck.cards]
    assert len(set(ids)) == 3 and ids[0].endswith("#c1") and ids[1].endswith("#c2")
    assert deck.cards[0].example == "1066"
    data = deck_to_data(deck)
    assert data["cards"][0] == {"cloze": TEXT, "extra": "1066"}
    assert len(data["cards"]) == 2
    for written in (dump_deck_fast(data), dump_deck(deck)):
        assert parse_deck_text(written, "history", "h.yaml").cards == deck.cards


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('cloze: "no gap here"', "has no gap"),
        ('cloze: "{{c1::x}}"\n    term: t', "a cloze card has no 'term'"),
        ('cloze: "{{c1::x}}"\n    colour: red', "unknown key 'colour'"),
    ],
)
def test_bad_cloze_entries_name_the_line(entry: str, message: str) -> None:
    with pytest.raises(DeckError, match=message) as caught:
        parse_deck_text(f"name: D\ncards:\n  - {entry}\n", "d", "d.yaml")
    assert caught.value.line == 3


def test_a_cloze_question_offers_other_gaps_and_never_mixes_with_definitions() -> None:
    import random

    from trainer.core.quiz import QuizDirection, QuizItem, build_quiz

    texts = [
        "{{c1::Paris}} is in France",
        "{{c1::Rome}} is in Italy",
        "{{c1::Madrid}} is in Spain",
        "{{c1::Lisbon}} is in Portugal",
    ]
    clozes = [
        QuizItem(
            card_id=f"geo/{i}",
            deck="geo",
            term=cloze.question(text, 1),
            definition=cloze.reveal(text, 1),
            gap=cloze.answers(text, 1)[0],
        )
        for i, text in enumerate(texts)
    ]
    basics = [
        QuizItem(f"geo/b{i}", "geo", term, definition)
        for i, (term, definition) in enumerate(
            [("France", "a country"), ("Seine", "a river"), ("Alps", "mountains")]
        )
    ]
    pool = clozes + basics
    for direction in QuizDirection:
        quiz = build_quiz(pool, pool, questions=7, direction=direction, rng=random.Random(3))
        for question in quiz.questions:
            if question.card_id in {item.card_id for item in clozes}:
                assert question.kind is QuizDirection.TERM
                assert "[…]" in question.prompt
                assert set(question.options) <= {"Paris", "Rome", "Madrid", "Lisbon"}
                assert len(question.options) == 4
            else:
                assert not any("[" in option for option in question.options)
                assert not any(o in {"Paris", "Rome", "Madrid", "Lisbon"} for o in question.options)


def test_editing_a_cloze_card_through_the_app_is_refused_clearly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from trainer.app.deckedit import CardEdit, DeckEditError, edit_card

    path = tmp_path / "h.yaml"
    path.write_text(f'name: H\ncards:\n  - cloze: "{TEXT}"\n', encoding="utf-8")
    before = path.read_bytes()
    identity = parse_deck_text(before.decode(), "h", str(path)).cards[1].identity
    with pytest.raises(DeckEditError, match="edit its text in the deck file"):
        edit_card(path, identity, CardEdit("x", "y"))
    assert path.read_bytes() == before
