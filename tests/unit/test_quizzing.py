"""The quiz application layer against a real temporary database and a fixed clock."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.app.quiz_run import NothingToQuiz, QuizOptions, QuizRun
from trainer.app.trainer import Trainer, UserError
from trainer.core.clock import FixedClock
from trainer.core.model import Direction, Mode
from trainer.core.quiz import QuizDirection

DAY = dt.date(2026, 3, 4)  # conftest's START, a Wednesday at 09:00 UTC

ML_DECK = """\
name: ML terms
cards:
  - term: Gradient descent
    definition: Moving parameters against the gradient of the loss, one step at a time.
  - term: Overfitting
    definition: Learning the noise of the training data so well that new data suffers.
  - term: Regularization
    definition: A penalty that keeps a model simple so it generalizes.
  - term: Learning rate
    definition: The step size used when updating parameters.
  - term: Epoch
    definition: One full pass over the training data set.
  - term: Batch size
    definition: How many examples are processed before one update.
"""

GREEK_DECK = """\
name: Greek letters
cards:
  - term: Alpha
    definition: The first letter of the Greek alphabet.
  - term: Beta
    definition: The second letter of the Greek alphabet.
  - term: Gamma
    definition: The third letter of the Greek alphabet.
  - term: Delta
    definition: The fourth letter of the Greek alphabet.
  - term: Epsilon
    definition: The fifth letter of the Greek alphabet.
"""

ML_IDS = {
    "ml/gradient descent",
    "ml/overfitting",
    "ml/regularization",
    "ml/learning rate",
    "ml/epoch",
    "ml/batch size",
}
GREEK_IDS = {f"greek/{name}" for name in ("alpha", "beta", "gamma", "delta", "epsilon")}


@pytest.fixture
def quiz_decks(tmp_path: Path) -> Path:
    folder = tmp_path / "quiz-decks"
    folder.mkdir()
    (folder / "ml.yaml").write_text(ML_DECK, encoding="utf-8")
    (folder / "greek.yaml").write_text(GREEK_DECK, encoding="utf-8")
    return folder


@pytest.fixture
def qt(make_trainer: Callable[..., Trainer], quiz_decks: Path) -> Trainer:
    """A trainer over the two quiz decks."""
    return make_trainer(deck_dirs=[quiz_decks])


def asked(run: QuizRun) -> list[str]:
    return [question.card_id for question in run.questions]


def answer_all(run: QuizRun, right: Callable[[int], bool], ms: int = 1000) -> None:
    """Answer every question, right when ``right(position)``, else the first wrong option."""
    while (question := run.current) is not None:
        wrong = next(i for i in range(len(question.options)) if i != question.answer_index)
        run.answer(question.answer_index if right(run.index) else wrong, ms)


def quiz_reviews(trainer: Trainer) -> list[dict]:
    rows = trainer.store.db["reviews"].rows_where("mode = 'quiz'", order_by="rowid")
    return list(rows)


def study(trainer: Trainer, clock: FixedClock, card_id: str, grades: list[int]) -> None:
    """Study a card forward with these grades, one day apart, then come back to START."""
    start = clock.instant
    for grade in grades:
        trainer.record_answer(card_id, Direction.FORWARD, grade, Mode.STUDY, 1000)
        clock.advance(days=1)
    clock.instant = start


# ----------------------------------------------------------------- sources


def test_deck_source_asks_the_chosen_deck_with_distractors_from_it(qt: Trainer) -> None:
    run = QuizRun.start(qt, QuizOptions(decks=["ml"], questions=50, seed=1))
    assert set(asked(run)) == ML_IDS  # every card once, nothing from the other deck
    assert run.decks == ["ml"]
    assert run.source == "deck"
    for question in run.questions:
        assert question.kind is QuizDirection.TERM
        assert len(question.options) == 4
        assert set(question.option_card_ids) <= ML_IDS  # same deck first
        assert question.note is None


def test_questions_option_caps_the_number_of_questions(qt: Trainer) -> None:
    run = QuizRun.start(qt, QuizOptions(decks=["ml"], questions=3, choices=3, seed=2))
    assert len(run.questions) == 3
    assert all(len(question.options) == 3 for question in run.questions)


def test_several_decks_and_all_decks(qt: Trainer) -> None:
    both = QuizRun.start(qt, QuizOptions(decks=["ml", "Greek letters"], questions=50, seed=1))
    assert set(asked(both)) == ML_IDS | GREEK_IDS
    assert both.decks == ["ml", "greek"]  # display names resolve to slugs
    everything = QuizRun.start(qt, QuizOptions(questions=50, seed=1))
    assert set(asked(everything)) == ML_IDS | GREEK_IDS
    assert everything.decks == ["greek", "ml"]


def test_retired_and_suspended_cards_are_not_asked(
    qt: Trainer, quiz_decks: Path, make_trainer: Callable[..., Trainer]
) -> None:
    (quiz_decks / "greek.yaml").write_text(
        GREEK_DECK.replace(
            "  - term: Epsilon\n    definition: The fifth letter of the Greek alphabet.\n", ""
        ),
        encoding="utf-8",
    )
    qt.sync_decks()
    qt.store.db.execute("UPDATE cards SET suspended = 1 WHERE id = 'greek/delta'")
    run = QuizRun.start(qt, QuizOptions(decks=["greek"], questions=50, seed=3))
    assert set(asked(run)) == {"greek/alpha", "greek/beta", "greek/gamma"}
    for question in run.questions:
        assert not {"greek/delta", "greek/epsilon"} & set(question.option_card_ids)


def test_distractors_come_from_other_decks_when_the_deck_is_too_small(
    make_trainer: Callable[..., Trainer], quiz_decks: Path, deck_dir: Path
) -> None:
    """The three-card deck alone gives three options; with other decks loaded, four."""
    alone = make_trainer()  # only the conftest's small deck
    run = QuizRun.start(alone, QuizOptions(decks=["small"], seed=1))
    assert all(len(q.options) == 3 for q in run.questions)
    assert run.questions[0].note == "only 3 options: only 3 distinct definitions available"

    with_others = make_trainer(deck_dirs=[deck_dir, quiz_decks])
    run = QuizRun.start(with_others, QuizOptions(decks=["small"], seed=1))
    assert all(len(q.options) == 4 and q.note is None for q in run.questions)


def test_weakest_source_takes_most_lapses_then_lowest_easiness(
    qt: Trainer, clock: FixedClock
) -> None:
    study(qt, clock, "ml/overfitting", [5, 5, 1])  # one lapse
    study(qt, clock, "ml/epoch", [3, 3])  # easiness down to 2.2, no lapse
    study(qt, clock, "ml/learning rate", [5, 5])  # strong
    study(qt, clock, "greek/alpha", [5, 1, 5, 1])  # two lapses, other deck
    run = QuizRun.start(qt, QuizOptions(decks=["ml"], source="weakest", questions=2, seed=1))
    assert set(asked(run)) == {"ml/overfitting", "ml/epoch"}
    assert run.source == "weakest"

    everywhere = QuizRun.start(qt, QuizOptions(source="weakest", questions=2, seed=1))
    assert set(asked(everywhere)) == {"greek/alpha", "ml/overfitting"}

    studied_only = QuizRun.start(qt, QuizOptions(source="weakest", questions=50, seed=1))
    assert len(studied_only.questions) == 4  # never-studied cards are not "weak"


def test_weakest_with_nothing_studied_is_a_clear_error(qt: Trainer) -> None:
    with pytest.raises(NothingToQuiz, match=r"No weakest cards in ML terms yet.*Study some"):
        QuizRun.start(qt, QuizOptions(decks=["ml"], source="weakest"))


def test_due_soon_source_takes_cards_due_within_seven_days(qt: Trainer, clock: FixedClock) -> None:
    study(qt, clock, "ml/epoch", [5])  # due tomorrow
    study(qt, clock, "ml/overfitting", [5, 5])  # 6 days after the second answer: day 7
    study(qt, clock, "ml/regularization", [5, 5, 5])  # interval 16: far away
    assert qt.store.state_of("ml/overfitting", Direction.FORWARD).due == DAY + dt.timedelta(7)
    run = QuizRun.start(qt, QuizOptions(source="due-soon", seed=1))
    assert set(asked(run)) == {"ml/epoch", "ml/overfitting"}
    assert run.decks == ["ml"]


def test_due_soon_with_nothing_scheduled_is_a_clear_error(qt: Trainer) -> None:
    with pytest.raises(NothingToQuiz, match="No cards in any deck are due in the next 7 days"):
        QuizRun.start(qt, QuizOptions(source="due-soon"))


# ----------------------------------------------------------------- empty selections


def test_an_empty_deck_is_a_clear_error(
    make_trainer: Callable[..., Trainer], quiz_decks: Path
) -> None:
    (quiz_decks / "empty.yaml").write_text("name: Empty deck\ncards: []\n", encoding="utf-8")
    trainer = make_trainer(deck_dirs=[quiz_decks])
    with pytest.raises(NothingToQuiz, match="No cards to quiz in Empty deck"):
        QuizRun.start(trainer, QuizOptions(decks=["empty"]))


def test_a_single_card_with_no_other_card_anywhere_is_a_clear_error(
    make_trainer: Callable[..., Trainer], tmp_path: Path
) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "one.yaml").write_text(
        "name: One\ncards:\n  - term: Solo\n    definition: Alone.\n", encoding="utf-8"
    )
    trainer = make_trainer(deck_dirs=[folder])
    with pytest.raises(NothingToQuiz, match="Not enough different cards"):
        QuizRun.start(trainer, QuizOptions())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (QuizOptions(decks=["nope"]), "no deck named 'nope'"),
        (QuizOptions(source="random"), "unknown quiz source 'random'"),
        (QuizOptions(direction="sideways"), "unknown quiz direction 'sideways'"),
        (QuizOptions(choices=1), "choices must be an integer >= 2"),
    ],
    ids=["unknown-deck", "unknown-source", "unknown-direction", "one-choice"],
)
def test_bad_options_are_user_errors(qt: Trainer, options: QuizOptions, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        QuizRun.start(qt, options)


# ----------------------------------------------------------------- seeds


def test_same_seed_same_quiz(qt: Trainer) -> None:
    options = QuizOptions(questions=8, direction="mixed", seed=42)
    first, second = QuizRun.start(qt, options), QuizRun.start(qt, options)
    assert first.questions == second.questions
    assert first.seed == 42
    others = {QuizRun.start(qt, QuizOptions(questions=8, seed=s)).questions for s in range(5)}
    assert len(others) > 1


def test_without_a_seed_one_is_drawn_and_kept(qt: Trainer) -> None:
    run = QuizRun.start(qt, QuizOptions(questions=5))
    assert isinstance(run.seed, int)
    again = QuizRun.start(qt, QuizOptions(questions=5, seed=run.seed))
    assert again.questions == run.questions


def test_definition_direction_shows_definitions_and_offers_terms(qt: Trainer) -> None:
    run = QuizRun.start(qt, QuizOptions(decks=["greek"], direction="definition", seed=1))
    question = run.questions[0]
    assert question.kind is QuizDirection.DEFINITION
    assert question.prompt.startswith("The ")
    assert question.answer in {"Alpha", "Beta", "Gamma", "Delta", "Epsilon"}


# ----------------------------------------------------------------- the attempt row


def test_the_attempt_row_is_written_once_with_every_answer(qt: Trainer, clock: FixedClock) -> None:
    run = QuizRun.start(qt, QuizOptions(decks=["greek"], questions=3, seed=5))
    chosen = []
    for position, ms in enumerate((1200, 800, 2500)):
        question = run.current
        assert question is not None
        index = question.answer_index if position != 1 else (question.answer_index + 1) % 4
        chosen.append(index)
        run.answer(index, ms)
        clock.advance(seconds=3)
    assert run.done and run.current is None
    row = run.finish()
    assert run.finish() is row  # idempotent: one row only
    stored = qt.store.quiz_attempts()
    assert stored == [row]
    assert re.fullmatch(r"[0-9a-f]{32}", row["id"])
    questions = [
        {
            "card_id": q.card_id,
            "kind": "term",
            "prompt": q.prompt,
            "options": list(q.options),
            "answer_index": q.answer_index,
            "chosen_index": chosen[i],
            "correct": i != 1,
            "response_ms": (1200, 800, 2500)[i],
        }
        for i, q in enumerate(run.questions)
    ]
    assert row == {
        "id": row["id"],
        "started_at": "2026-03-04T09:00:00.000000+00:00",
        "finished_at": "2026-03-04T09:00:09.000000+00:00",
        "day": "2026-03-04",
        "decks": '["greek"]',
        "source": "deck",
        "direction": "term",
        "correct": 2,
        "total": 3,
        "seconds": 4.5,
        "questions": json.dumps(questions),
        "seed": 5,
    }
    assert json.loads(row["questions"])[0]["options"][0].startswith("The ")


def test_leaving_early_stores_what_was_answered(qt: Trainer) -> None:
    run = QuizRun.start(qt, QuizOptions(decks=["ml"], questions=5, seed=9))
    answer = run.current.answer_index  # type: ignore[union-attr]
    run.answer(answer, 700)
    row = run.finish()
    assert row is not None
    assert (row["correct"], row["total"], row["seconds"]) == (1, 1, 0.7)
    assert len(json.loads(row["questions"])) == 1
    assert run.current is None  # a finished run takes no more answers
    assert [r["id"] for r in qt.store.quiz_attempts()] == [row["id"]]


def test_leaving_before_the_first_answer_stores_nothing(qt: Trainer) -> None:
    run = QuizRun.start(qt, QuizOptions(decks=["ml"], seed=9))
    assert run.finish() is None
    assert qt.store.quiz_attempts() == []


# ----------------------------------------------------------------- quiz -> review


def test_a_wrong_answer_on_a_studied_card_is_logged_and_due_tomorrow(
    qt: Trainer, clock: FixedClock
) -> None:
    study(qt, clock, "greek/alpha", [5, 5])  # answered days 0 and 1: due on day 7
    before = qt.store.state_of("greek/alpha", Direction.FORWARD)
    assert before.due == DAY + dt.timedelta(7)
    run = QuizRun.start(qt, QuizOptions(decks=["greek"], seed=11))
    answer_all(run, right=lambda _: False, ms=900)

    reviews = quiz_reviews(qt)  # only the studied card, not the four new ones
    assert [(r["card_id"], r["direction"], r["grade"], r["mode"]) for r in reviews] == [
        ("greek/alpha", "forward", 2, "quiz")
    ]
    assert reviews[0]["response_ms"] == 900
    after = qt.store.state_of("greek/alpha", Direction.FORWARD)
    assert (after.repetitions, after.due, after.lapses) == (0, DAY + dt.timedelta(1), 1)
    assert [r.card_id for r in run.reviews] == ["greek/alpha"]
    for card in GREEK_IDS - {"greek/alpha"}:
        assert qt.store.state_of(card, Direction.FORWARD).is_new  # still new


def test_right_answers_leave_the_schedule_alone(qt: Trainer, clock: FixedClock) -> None:
    study(qt, clock, "greek/alpha", [5, 5])
    before = qt.store.state_of("greek/alpha", Direction.FORWARD)
    run = QuizRun.start(qt, QuizOptions(decks=["greek"], seed=11))
    answer_all(run, right=lambda _: True)
    assert quiz_reviews(qt) == []
    assert qt.store.state_of("greek/alpha", Direction.FORWARD) == before


def test_a_definition_question_uses_the_reverse_state_or_falls_back(
    qt: Trainer, clock: FixedClock
) -> None:
    qt.record_answer("greek/beta", Direction.REVERSE, 5, Mode.STUDY)  # reverse state
    qt.record_answer("greek/gamma", Direction.FORWARD, 5, Mode.STUDY)  # forward only
    run = QuizRun.start(qt, QuizOptions(decks=["greek"], direction="definition", seed=4))
    answer_all(run, right=lambda _: False)
    logged = {(r["card_id"], r["direction"]) for r in quiz_reviews(qt)}
    assert logged == {("greek/beta", "reverse"), ("greek/gamma", "forward")}


# ----------------------------------------------------------------- retake


def test_retake_asks_only_the_missed_cards(qt: Trainer) -> None:
    run = QuizRun.start(qt, QuizOptions(decks=["ml"], questions=6, seed=8))
    answer_all(run, right=lambda position: position % 2 == 0)
    run.finish()
    missed = {result.question.card_id for result in run.score.missed}
    assert len(missed) == 3 and run.can_retake

    again = run.retake()
    assert set(asked(again)) == missed
    assert (again.source, again.decks, again.options.choices) == ("retake", ["ml"], 4)
    assert run.retake().questions == again.questions  # the retake is seeded too

    answer_all(again, right=lambda _: True)
    row = again.finish()
    assert row is not None and row["source"] == "retake" and row["total"] == 3
    assert not again.can_retake
    with pytest.raises(NothingToQuiz, match="Nothing to retake"):
        again.retake()
    assert len(qt.store.quiz_attempts()) == 2
