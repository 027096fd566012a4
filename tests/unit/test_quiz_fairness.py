"""Fair questions: nothing gives the answer away, one right option, no surface cue.

The guessers below never read for meaning; each reads one surface cue. Over
thousands of seeded 4-choice questions in each direction, on the bundled decks
and on glossaries the code was never tuned on, none may do much better than
chance (25 %), and the right answer's position must stay uniform.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.unseen_glossaries import GLOSSARIES, quiz_items
from trainer.app.deckfile import read_deck_file
from trainer.core.fairness import BLANK, card_names, mask_names, names_itself
from trainer.core.quiz import Question, QuizDirection, QuizItem, build_quiz

DECKS = Path(__file__).resolve().parents[2] / "decks"
QUESTIONS = 2000
CHOICES = 4

Guesser = Callable[[Question, random.Random], int]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _content_words(text: str) -> set[str]:
    small = {"a", "an", "the", "of", "to", "in", "and", "or", "for", "is", "by", "on", "with"}
    return _words(text) - small


def _best(scores: list[float], rng: random.Random) -> int:
    """The index of the top score; ties broken at random, as a guesser would."""
    top = max(scores)
    return rng.choice([i for i, score in enumerate(scores) if score == top])


def most_shared_words(question: Question, rng: random.Random) -> int:
    prompt = _words(question.prompt)
    return _best([len(_words(option) & prompt) for option in question.options], rng)


def most_shared_content_words(question: Question, rng: random.Random) -> int:
    prompt = _content_words(question.prompt)
    return _best([len(_content_words(o) & prompt) for o in question.options], rng)


def most_shared_words_first(question: Question, rng: random.Random) -> int:
    """Ties go to the first option, as ``max`` breaks them."""
    prompt = _words(question.prompt)
    scores = [len(_words(option) & prompt) for option in question.options]
    return scores.index(max(scores))


def longest(question: Question, rng: random.Random) -> int:
    return _best([len(option) for option in question.options], rng)


def shortest(question: Question, rng: random.Random) -> int:
    return _best([-len(option) for option in question.options], rng)


def middle_length(question: Question, rng: random.Random) -> int:
    """The option whose length is closest to the mean length."""
    lengths = [len(option) for option in question.options]
    mean = sum(lengths) / len(lengths)
    return _best([-abs(length - mean) for length in lengths], rng)


def most_words(question: Question, rng: random.Random) -> int:
    return _best([len(option.split()) for option in question.options], rng)


def fewest_words(question: Question, rng: random.Random) -> int:
    return _best([-len(option.split()) for option in question.options], rng)


LIMITS: dict[str, tuple[Guesser, float]] = {
    "most shared words": (most_shared_words, 0.33),
    "most shared content words": (most_shared_content_words, 0.33),
    "most shared words, first on ties": (most_shared_words_first, 0.33),
    "longest": (longest, 0.30),
    "shortest": (shortest, 0.30),
    "middle length": (middle_length, 0.30),
    "most words": (most_words, 0.30),
    "fewest words": (fewest_words, 0.30),
}


def bundled_items() -> list[QuizItem]:
    items = []
    for path in sorted(DECKS.glob("*.yaml")):
        deck = read_deck_file(path)
        items += [
            QuizItem(
                card_id=card.id_in(deck.slug),
                deck=deck.slug,
                term=card.term,
                definition=card.definition,
                aliases=card.aliases,
                tags=card.tags,
            )
            for card in deck.cards
        ]
    return items


POOLS: dict[str, Callable[[], list[QuizItem]]] = {
    "bundled decks": bundled_items,
    **{name: (lambda name=name: quiz_items(name)) for name in GLOSSARIES},
    "all unseen glossaries together": lambda: [i for name in GLOSSARIES for i in quiz_items(name)],
}


def many_questions(pool: list[QuizItem], direction: QuizDirection) -> list[Question]:
    """Thousands of seeded questions: whole-pool quizzes, one per seed."""
    asked: list[Question] = []
    seed = 0
    while len(asked) < QUESTIONS:
        quiz = build_quiz(
            pool,
            pool,
            questions=len(pool),
            choices=CHOICES,
            direction=direction,
            rng=random.Random(seed),
        )
        asked += [q for q in quiz.questions if len(q.options) == CHOICES]
        seed += 1
    return asked[:QUESTIONS]


_CACHE: dict[tuple[str, QuizDirection], list[Question]] = {}


def questions_for(pool_name: str, direction: QuizDirection) -> list[Question]:
    key = (pool_name, direction)
    if key not in _CACHE:
        _CACHE[key] = many_questions(POOLS[pool_name](), direction)
    return _CACHE[key]


DIRECTIONS = [QuizDirection.TERM, QuizDirection.DEFINITION]


@pytest.mark.parametrize("direction", DIRECTIONS, ids=str)
@pytest.mark.parametrize("pool_name", list(POOLS))
def test_surface_guessers_score_near_chance(pool_name: str, direction: QuizDirection) -> None:
    questions = questions_for(pool_name, direction)
    rng = random.Random(7)
    report = {}
    for name, (guesser, limit) in LIMITS.items():
        hits = sum(guesser(q, rng) == q.answer_index for q in questions)
        report[name] = (hits / len(questions), limit)
    over = {name: f"{rate:.1%}" for name, (rate, limit) in report.items() if rate > limit}
    assert not over, f"{pool_name} {direction}: guessers above their limit: {over}"


@pytest.mark.parametrize("direction", DIRECTIONS, ids=str)
@pytest.mark.parametrize("pool_name", list(POOLS))
def test_answer_position_is_uniform(pool_name: str, direction: QuizDirection) -> None:
    questions = questions_for(pool_name, direction)
    positions = Counter(q.answer_index for q in questions)
    expected = len(questions) / CHOICES
    # chi-square with 3 degrees of freedom; 16.27 is the 0.1 % critical value
    chi2 = sum((positions[i] - expected) ** 2 / expected for i in range(CHOICES))
    assert chi2 < 16.27, positions


def _names_of(item: QuizItem) -> list[str]:
    return [item.term, *item.aliases]


@pytest.mark.parametrize("direction", DIRECTIONS, ids=str)
@pytest.mark.parametrize("pool_name", list(POOLS))
def test_nothing_gives_the_answer_away(pool_name: str, direction: QuizDirection) -> None:
    """No question or option shows the asked card's names; exactly one option is right."""
    pool = POOLS[pool_name]()
    by_id = {item.card_id: item for item in pool}
    for question in questions_for(pool_name, direction)[:600]:
        asked = by_id[question.card_id]
        names = card_names(asked.term, asked.aliases)
        shown = [question.prompt] if direction is QuizDirection.DEFINITION else question.options
        for text in shown:
            assert mask_names(text, names) == text, (asked.term, text)
        for option_id, option in zip(question.option_card_ids, question.options, strict=True):
            if option_id == question.card_id:
                continue
            other = by_id[option_id]
            other_names = card_names(other.term, other.aliases)
            if direction is QuizDirection.DEFINITION:
                # a distractor term never names the answer, nor is named by the question
                assert not names_itself(option, names), (asked.term, option)
                assert not names_itself(question.prompt, other_names), (other.term, question)
            else:
                # a distractor definition never names the asked term in the deck text
                assert not names_itself(other.definition, names), (asked.term, other.term)
        assert question.options.count(question.answer) == 1


def test_blanks_appear_where_the_deck_text_names_the_term() -> None:
    """The bundled decks' self-naming definitions are asked with a blank."""
    pool = bundled_items()
    questions = questions_for("bundled decks", QuizDirection.DEFINITION)
    blanked = {q.card_id for q in questions if BLANK in q.prompt}
    named = {
        i.card_id
        for i in pool
        if mask_names(i.definition, card_names(i.term, i.aliases)) != i.definition
    }
    assert named, "the bundled decks have self-naming definitions"
    assert blanked == named & {q.card_id for q in questions}
