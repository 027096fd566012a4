"""Quiz generator: invariants over generated decks, plus table-driven edge cases.

Every statistical test uses fixed seeds, so it is deterministic and cannot flake.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.fairness import card_names, mask_names
from trainer.core.model import CardStatus, Direction, normalize_term
from trainer.core.quiz import (
    AnswerResult,
    Question,
    Quiz,
    QuizDirection,
    QuizError,
    QuizItem,
    answer_question,
    build_quiz,
    due_soon_items,
    retake_items,
    score_quiz,
    weakest_items,
)
from trainer.core.sm2 import SM2State

TERM = QuizDirection.TERM
DEFINITION = QuizDirection.DEFINITION
MIXED = QuizDirection.MIXED


def make(
    card_id: str,
    deck: str = "d",
    term: str | None = None,
    definition: str | None = None,
    aliases: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
) -> QuizItem:
    return QuizItem(
        card_id=card_id,
        deck=deck,
        term=term if term is not None else f"term {card_id}",
        definition=definition if definition is not None else f"definition of {card_id}",
        aliases=aliases,
        tags=tags,
    )


def deck_of(size: int, deck: str = "d") -> list[QuizItem]:
    return [make(f"{deck}/{i}", deck=deck) for i in range(size)]


def quiz(
    items: Sequence[QuizItem],
    pool: Sequence[QuizItem] | None = None,
    seed: int = 0,
    **kwargs: object,
) -> Quiz:
    return build_quiz(items, items if pool is None else pool, rng=random.Random(seed), **kwargs)


# --- invariants over generated decks -----------------------------------------

# A tiny alphabet so that texts collide after case and space folding.
texts = st.text(alphabet="abAB ", min_size=1, max_size=5).filter(lambda s: normalize_term(s) != "")


@st.composite
def decks(draw: st.DrawFn) -> list[QuizItem]:
    size = draw(st.integers(min_value=1, max_value=12))
    return [
        make(
            card_id=f"c{i}",
            deck=draw(st.sampled_from(["x", "y"])),
            term=draw(texts),
            definition=draw(texts),
            aliases=tuple(draw(st.lists(texts, max_size=2))),
            tags=tuple(draw(st.lists(st.sampled_from(["t1", "t2", "t3"]), max_size=2))),
        )
        for i in range(size)
    ]


def side(item: QuizItem, kind: QuizDirection) -> str:
    """The text of ``item`` as an option for a question of ``kind``."""
    return item.definition if kind is TERM else item.term


def assert_well_formed(question: Question, by_id: dict[str, QuizItem], choices: int) -> None:
    asked = by_id[question.card_id]
    kind = question.kind
    assert kind in (TERM, DEFINITION)
    names = card_names(asked.term, asked.aliases)
    if kind is TERM:
        assert question.prompt == asked.term
    else:  # the definition shown with its own term blanked
        assert question.prompt == mask_names(asked.definition, names)
    assert len(question.options) == len(question.option_card_ids)
    assert 2 <= len(question.options) <= choices
    assert (question.note is None) == (len(question.options) == choices)
    keys = [normalize_term(option) for option in question.options]
    assert len(set(keys)) == len(keys), "duplicate options after normalization"
    assert keys.count(normalize_term(question.answer)) == 1
    assert question.option_card_ids[question.answer_index] == question.card_id
    for option, option_id in zip(question.options, question.option_card_ids, strict=True):
        other = by_id[option_id]
        if kind is TERM:  # each definition with its own and the asked term blanked
            own = card_names(other.term, other.aliases)
            assert option == mask_names(other.definition, own, names)
        else:
            assert option == other.term


def assert_no_alias_clash(question: Question, by_id: dict[str, QuizItem]) -> None:
    asked = by_id[question.card_id]
    answer_keys = {normalize_term(text) for text in (asked.term, *asked.aliases)}
    for index, option_id in enumerate(question.option_card_ids):
        if index == question.answer_index:
            continue
        other = by_id[option_id]
        assert normalize_term(other.term) not in answer_keys
        assert normalize_term(asked.term) not in {normalize_term(a) for a in other.aliases}


@settings(max_examples=300, deadline=None)
@given(
    pool=decks(),
    seed=st.integers(min_value=0, max_value=2**32),
    direction=st.sampled_from(list(QuizDirection)),
    choices=st.integers(min_value=2, max_value=6),
    questions=st.integers(min_value=1, max_value=15),
)
def test_generated_quizzes_are_well_formed(
    pool: list[QuizItem], seed: int, direction: QuizDirection, choices: int, questions: int
) -> None:
    by_id = {item.card_id: item for item in pool}
    result = quiz(pool, seed=seed, direction=direction, choices=choices, questions=questions)
    asked = [question.card_id for question in result.questions]
    assert len(asked) == len(set(asked)) <= questions
    if len(asked) < questions:
        assert len(asked) + len(result.notes) == len(pool), "every item asked or noted"
    for question in result.questions:
        assert_well_formed(question, by_id, choices)
        if question.kind is DEFINITION:
            assert_no_alias_clash(question, by_id)


@settings(max_examples=100, deadline=None)
@given(pool=decks(), seed=st.integers(min_value=0, max_value=2**32))
def test_same_seed_same_quiz(pool: list[QuizItem], seed: int) -> None:
    assert quiz(pool, seed=seed, direction=MIXED) == quiz(pool, seed=seed, direction=MIXED)


def test_different_seeds_generally_differ() -> None:
    pool = deck_of(20)
    quizzes = {quiz(pool, seed=seed, direction=MIXED) for seed in range(50)}
    assert len(quizzes) == 50


def test_answer_position_is_uniform() -> None:
    pool = deck_of(12)
    positions = Counter(
        question.answer_index
        for seed in range(400)
        for question in quiz(pool, seed=seed, choices=4, questions=10).questions
    )
    total = sum(positions.values())
    assert total == 4000
    for index in range(4):
        assert abs(positions[index] / total - 0.25) <= 0.04, positions


# --- plausibility -------------------------------------------------------------


def distractor_counts(target: QuizItem, pool: list[QuizItem], runs: int) -> Counter[str]:
    """How often each card is the single distractor of a 2-choice question."""
    counts: Counter[str] = Counter()
    for seed in range(runs):
        (question,) = quiz([target], pool, seed=seed, choices=2).questions
        counts[question.option_card_ids[1 - question.answer_index]] += 1
    return counts


SAME_LENGTH = "x" * 30

PLAUSIBILITY_CASES = [
    pytest.param(
        make("near", definition="n" * 30, tags=("net",)),
        make("far", definition="f" * 30),
        id="shared-tag-only",
    ),
]


@pytest.mark.parametrize(("near", "far"), PLAUSIBILITY_CASES)
def test_plausible_distractors_are_preferred(near: QuizItem, far: QuizItem) -> None:
    target = make("target", definition=SAME_LENGTH, tags=("net", "sec"))
    counts = distractor_counts(target, [target, near, far], runs=3000)
    assert counts["near"] + counts["far"] == 3000
    assert counts["near"] > 2 * counts["far"], counts
    assert counts["far"] > 0, "far-off distractors stay possible"


def test_plausible_beats_each_far_off_in_a_larger_deck() -> None:
    target = make("target", definition=SAME_LENGTH, tags=("net", "sec"))
    near = [make(f"near{i}", definition="n" * 30, tags=("net", "sec")) for i in range(3)]
    far = make("far", definition="f" * 30)
    counts = distractor_counts(target, [target, *near, far], runs=2000)
    assert min(counts[item.card_id] for item in near) > 3 * counts["far"], counts


# --- where distractors come from ------------------------------------------------


def test_distractors_come_from_the_same_deck_first() -> None:
    own, other = deck_of(5, "a"), deck_of(5, "b")
    for seed in range(200):
        for question in quiz(own, own + other, seed=seed, direction=MIXED).questions:
            assert all(card.startswith("a/") for card in question.option_card_ids)
            assert question.note is None


def test_other_decks_fill_in_when_the_deck_is_too_small() -> None:
    own, other = deck_of(2, "a"), deck_of(5, "b")
    for seed in range(200):
        for question in quiz(own, other + own, seed=seed).questions:
            ids = set(question.option_card_ids)
            assert len(ids) == 4
            assert ids >= {"a/0", "a/1"}, "the own deck is used up before others"
            assert question.note is None


@pytest.mark.parametrize(
    ("size", "choices", "expected"),
    [
        pytest.param(2, 4, 2, id="two-cards"),
        pytest.param(3, 4, 3, id="three-cards"),
        pytest.param(3, 6, 3, id="three-cards-six-choices"),
    ],
)
def test_small_deck_gets_fewer_options_with_a_note(size: int, choices: int, expected: int) -> None:
    result = quiz(deck_of(size), choices=choices)
    assert len(result.questions) == size
    for question in result.questions:
        assert len(question.options) == expected
        assert question.note is not None
        assert question.note.startswith(f"only {expected} options")


def test_duplicate_answers_shrink_the_options() -> None:
    pool = [
        make("a", definition="A thing"),
        make("b", definition="a   THING"),
        make("c", definition="other"),
    ]
    for seed in range(50):
        for question in quiz(pool, seed=seed, direction=TERM).questions:
            assert len(question.options) == 2
            assert "2 distinct definitions" in (question.note or "")


def test_a_single_card_cannot_be_asked() -> None:
    only = make("solo")
    result = quiz([only])
    assert result.questions == ()
    assert len(result.notes) == 1
    assert "solo" in result.notes[0]


def test_a_single_item_with_a_pool_is_asked_once() -> None:
    only = make("solo")
    result = quiz([only], [only, *deck_of(5)], questions=10)
    assert [question.card_id for question in result.questions] == ["solo"]


def test_skipped_items_are_replaced_by_askable_ones() -> None:
    twins = [make("a", definition="same"), make("b", definition="SAME ")]
    loner = make("z", deck="other", definition="distinct")
    for seed in range(30):
        result = quiz([*twins, loner], twins, seed=seed, questions=1)
        assert [question.card_id for question in result.questions] == ["z"]
        assert all("skipped" in note for note in result.notes)


# --- aliases ---------------------------------------------------------------------


def test_alias_collisions_are_excluded_from_term_options() -> None:
    answer = make("cpu", term="Central processing unit", aliases=("CPU",))
    pool = [
        answer,
        make("alias-as-term", term="cpu"),
        make("same-term", deck="d", term="  CENTRAL processing   unit"),
        make("alias-matches", term="Processor", aliases=("central processing unit",)),
        make("memory", term="Memory"),
    ]
    for seed in range(100):
        (question,) = quiz([answer], pool, seed=seed, direction=DEFINITION).questions
        assert set(question.option_card_ids) == {"cpu", "memory"}
        assert question.note is not None


def test_a_card_named_like_the_answer_is_no_distractor_either_way() -> None:
    """Its definition may well be right too: "CPU" and "Central processing unit"."""
    answer = make("cpu", term="Central processing unit", aliases=("CPU",))
    pool = [answer, make("alias-as-term", term="cpu")]
    assert quiz([answer], pool, direction=TERM).questions == ()


# --- directions and counts ---------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "kind"),
    [
        pytest.param(TERM, TERM, id="term-enum"),
        pytest.param("definition", DEFINITION, id="definition-string"),
        pytest.param(" Term ", TERM, id="loose-string"),
    ],
)
def test_direction_decides_prompt_and_options(
    direction: QuizDirection | str, kind: QuizDirection
) -> None:
    pool = deck_of(6)
    by_id = {item.card_id: item for item in pool}
    for question in quiz(pool, direction=direction).questions:
        assert question.kind is kind
        assert_well_formed(question, by_id, 4)


def test_mixed_direction_yields_both_kinds() -> None:
    kinds = Counter(
        question.kind
        for seed in range(100)
        for question in quiz(deck_of(10), seed=seed, direction=MIXED).questions
    )
    assert set(kinds) == {TERM, DEFINITION}
    assert 0.4 < kinds[TERM] / kinds.total() < 0.6


def test_fewer_items_than_questions_asks_each_once_in_varied_order() -> None:
    pool = deck_of(5)
    orders = set()
    for seed in range(20):
        asked = tuple(question.card_id for question in quiz(pool, seed=seed).questions)
        assert sorted(asked) == sorted(item.card_id for item in pool)
        orders.add(asked)
    assert len(orders) > 10


def test_more_items_than_questions_picks_n_without_repeats() -> None:
    pool = deck_of(30)
    chosen = set()
    for seed in range(20):
        asked = [question.card_id for question in quiz(pool, seed=seed, questions=7).questions]
        assert len(asked) == len(set(asked)) == 7
        chosen.update(asked)
    assert len(chosen) > 20


def test_repeated_items_are_asked_once() -> None:
    pool = deck_of(4)
    result = quiz(pool * 3, pool, questions=10)
    assert len(result.questions) == 4


# --- argument validation -------------------------------------------------------------


def test_empty_items_raise() -> None:
    with pytest.raises(QuizError, match="empty list of items"):
        quiz([], deck_of(3))


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [
        pytest.param({"questions": 0}, "0", id="zero-questions"),
        pytest.param({"questions": -3}, "-3", id="negative-questions"),
        pytest.param({"questions": True}, "True", id="bool-questions"),
        pytest.param({"questions": "5"}, "'5'", id="string-questions"),
        pytest.param({"choices": 1}, "1", id="one-choice"),
        pytest.param({"choices": 2.5}, "2.5", id="float-choices"),
        pytest.param({"direction": "sideways"}, "'sideways'", id="bad-direction"),
        pytest.param({"direction": 3}, "3", id="non-string-direction"),
    ],
)
def test_invalid_arguments_raise_with_the_value(kwargs: dict[str, object], shown: str) -> None:
    with pytest.raises(QuizError, match=re.escape(shown)):
        quiz(deck_of(3), **kwargs)


def test_the_global_random_module_is_refused() -> None:
    with pytest.raises(QuizError, match=r"random\.Random"):
        build_quiz(deck_of(3), deck_of(3), rng=random)  # type: ignore[arg-type]


def test_quiz_error_is_a_value_error() -> None:
    assert issubclass(QuizError, ValueError)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"kind": MIXED}, id="mixed-kind"),
        pytest.param({"option_card_ids": ("a",)}, id="misaligned-ids"),
        pytest.param({"answer_index": 2}, id="index-out-of-range"),
    ],
)
def test_malformed_questions_are_refused(kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "card_id": "a",
        "kind": TERM,
        "prompt": "p",
        "options": ("x", "y"),
        "option_card_ids": ("a", "b"),
        "answer_index": 0,
    }
    with pytest.raises(QuizError):
        Question(**(fields | kwargs))  # type: ignore[arg-type]


# --- scoring -------------------------------------------------------------------------


def two_option_question(card_id: str, answer_index: int = 0) -> Question:
    ids = (card_id, "other") if answer_index == 0 else ("other", card_id)
    return Question(card_id, TERM, "prompt", ("x", "y"), ids, answer_index)


@pytest.mark.parametrize(
    ("chosen", "correct"),
    [
        pytest.param(1, True, id="right"),
        pytest.param(0, False, id="wrong"),
        pytest.param(None, False, id="skipped"),
    ],
)
def test_answer_question_grades(chosen: int | None, correct: bool) -> None:
    result = answer_question(two_option_question("a", answer_index=1), chosen, 850)
    assert result == AnswerResult(two_option_question("a", 1), chosen, correct, 850)


def test_answer_question_rejects_an_impossible_choice() -> None:
    with pytest.raises(QuizError, match="5"):
        answer_question(two_option_question("a"), 5)


@pytest.mark.parametrize(
    ("picks", "correct", "percent"),
    [
        pytest.param([0, 0, 0, 0], 4, 100.0, id="all-right"),
        pytest.param([1, 1, None, 1], 0, 0.0, id="all-wrong"),
        pytest.param([0, 1, 0, None], 2, 50.0, id="half"),
        pytest.param([], 0, 0.0, id="empty"),
    ],
)
def test_score_quiz(picks: list[int | None], correct: int, percent: float) -> None:
    results = [answer_question(two_option_question(f"c{i}"), pick) for i, pick in enumerate(picks)]
    score = score_quiz(results)
    assert (score.correct, score.total, score.percent) == (correct, len(picks), percent)
    assert score.missed == tuple(result for result in results if not result.correct)


def test_retake_returns_only_the_missed_items_in_item_order() -> None:
    items = deck_of(5)
    picks = {"d/0": 1, "d/1": 0, "d/2": None, "d/3": 0, "d/4": 1}
    results = [answer_question(two_option_question(cid), pick) for cid, pick in picks.items()]
    missed = retake_items(score_quiz(results), list(reversed(items)) + items)
    assert [item.card_id for item in missed] == ["d/4", "d/2", "d/0"]


@settings(max_examples=50, deadline=None)
@given(pool=decks(), seed=st.integers(min_value=0, max_value=2**32))
def test_a_quiz_answered_at_random_scores_consistently(pool: list[QuizItem], seed: int) -> None:
    rng = random.Random(seed)
    built = build_quiz(pool, pool, rng=rng, direction=MIXED)
    results = [
        answer_question(question, rng.randrange(len(question.options)))
        for question in built.questions
    ]
    score = score_quiz(results)
    assert score.correct + len(score.missed) == score.total == len(built.questions)
    retake = retake_items(score, pool)
    assert {item.card_id for item in retake} == {r.question.card_id for r in score.missed}


# --- choosing what to quiz -----------------------------------------------------------


def status(
    card: str,
    direction: Direction = Direction.FORWARD,
    *,
    lapses: int = 0,
    easiness: float = 2.5,
    due: dt.date | None = dt.date(2024, 5, 1),
    suspended: bool = False,
) -> CardStatus:
    state = SM2State(repetitions=1, easiness=easiness, interval=1, due=due, lapses=lapses)
    return CardStatus(card_id=card, deck="d", direction=direction, state=state, suspended=suspended)


WEAKNESS_STATUSES = [
    status("d/0", lapses=1, easiness=2.2),
    status("d/0", Direction.REVERSE, lapses=2, easiness=2.0),
    status("d/1", lapses=3, easiness=1.3),
    status("d/2", lapses=0, easiness=2.0),
    status("d/4", due=None),
    status("d/5", lapses=0, easiness=2.5),
]


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        pytest.param(10, ["d/1", "d/0", "d/2", "d/5", "d/3", "d/4"], id="all"),
        pytest.param(3, ["d/1", "d/0", "d/2"], id="top-three"),
        pytest.param(0, [], id="none"),
    ],
)
def test_weakest_items_order(n: int, expected: list[str]) -> None:
    chosen = weakest_items(deck_of(6), WEAKNESS_STATUSES, n)
    assert [item.card_id for item in chosen] == expected


def test_weakest_items_rejects_a_negative_count() -> None:
    with pytest.raises(QuizError, match="-1"):
        weakest_items(deck_of(2), [], -1)


TODAY = dt.date(2024, 5, 10)

DUE_STATUSES = [
    status("d/0", due=dt.date(2024, 5, 9)),
    status("d/1", due=dt.date(2024, 5, 13)),
    status("d/2", due=dt.date(2024, 5, 14)),
    status("d/3", due=None),
    status("d/4", due=dt.date(2024, 5, 20)),
    status("d/4", Direction.REVERSE, due=dt.date(2024, 5, 11)),
    status("d/5", due=dt.date(2024, 5, 10), suspended=True),
]


@pytest.mark.parametrize(
    ("within", "n", "expected"),
    [
        pytest.param(3, 10, ["d/0", "d/4", "d/1"], id="three-days"),
        pytest.param(0, 10, ["d/0"], id="today-only"),
        pytest.param(3, 2, ["d/0", "d/4"], id="capped"),
        pytest.param(10**9, 10, ["d/0", "d/4", "d/1", "d/2"], id="huge-window"),
    ],
)
def test_due_soon_items_order(within: int, n: int, expected: list[str]) -> None:
    chosen = due_soon_items(deck_of(6), DUE_STATUSES, TODAY, within, n)
    assert [item.card_id for item in chosen] == expected


def test_due_soon_rejects_a_negative_window() -> None:
    with pytest.raises(QuizError, match="within_days"):
        due_soon_items(deck_of(2), [], TODAY, -1, 5)


# ------------------------------------------------------------ large decks


def test_a_deck_larger_than_the_sample_still_gives_distinct_same_deck_distractors() -> None:
    from trainer.core.quiz import DISTRACTOR_SAMPLE

    big = deck_of(DISTRACTOR_SAMPLE * 4, deck="big")
    other = deck_of(10, deck="other")
    items = big[:20]
    quiz = build_quiz(items, [*big, *other], questions=10, choices=4, rng=random.Random(3))
    assert len(quiz.questions) == 10
    for question in quiz.questions:
        assert len(set(question.options)) == 4
        assert all(card.startswith("big/") for card in question.option_card_ids)
        assert question.option_card_ids[question.answer_index] == question.card_id
    again = build_quiz(items, [*big, *other], questions=10, choices=4, rng=random.Random(3))
    assert again == quiz  # the same seed asks the same quiz


def test_a_large_deck_of_near_duplicates_falls_back_to_the_whole_deck() -> None:
    """When the sample holds no usable distractor, the rest of the deck is searched."""
    from trainer.core.quiz import DISTRACTOR_SAMPLE

    same = [make(f"d/{i}", definition="the same words") for i in range(DISTRACTOR_SAMPLE * 20)]
    odd = make("d/odd", definition="something else entirely")
    for seed in range(5):  # the one usable card is rarely in the sample
        quiz = build_quiz([same[0]], [*same, odd], questions=1, choices=2, rng=random.Random(seed))
        assert set(quiz.questions[0].option_card_ids) == {"d/0", "d/odd"}
