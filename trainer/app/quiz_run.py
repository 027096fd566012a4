"""A quiz run: cards chosen by source, built by the core generator, answered and saved.

Design decisions:

- The questions come from ``trainer.core.quiz`` with a ``random.Random(seed)``;
  a run without a seed draws one from ``random.SystemRandom`` and keeps it on the
  run (``QuizRun.seed``), so any quiz can be asked again with ``--seed``.
- The asked cards are the selected decks' active cards (neither retired nor
  suspended); the distractor pool is every active card of every deck, and the
  generator prefers the question's own deck.
- A wrong answer on a card already studied is a real lapse: it is logged at once
  as a review (grade 2, mode ``quiz``) so the scheduler brings the card back
  tomorrow, and today's study session drills it like any grade below 4. Right
  answers and never-studied cards leave the schedule alone; a quiz is not the
  place to start scheduling a card nobody has studied.
- The attempt row is written once, by ``finish()``, with the answered questions
  only: leaving early (or closing the app) keeps what was answered, and leaving
  before the first answer writes nothing. Its ``seconds`` is the sum of the answer times the
  caller measured, not wall time, so reading the feedback is not counted.
- The interface measures time (``response_ms``); this layer reads no clock but
  ``trainer.now()``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from trainer.app.trainer import Trainer, UserError
from trainer.core import cloze
from trainer.core.model import Direction, Mode, ReviewRecord
from trainer.core.quiz import (
    AnswerResult,
    Question,
    Quiz,
    QuizError,
    QuizItem,
    QuizScore,
    answer_question,
    build_quiz,
    retake_items,
    score_quiz,
)
from trainer.core.quiz_options import SOURCES, QuizDirection, QuizOptions
from trainer.core.text import one_line, visible
from trainer.storage.store import StoredCard

__all__ = [
    "DUE_SOON_DAYS",
    "QUIZ_GRADE_WRONG",
    "RETAKE_SOURCE",
    "SOURCES",
    "NothingToQuiz",
    "QuizOptions",
    "QuizRun",
    "quiz_document",
    "quiz_worksheet",
]

#: "Due soon" means due on or before today + this many days (overdue included).
DUE_SOON_DAYS = 7
#: The grade a wrong quiz answer on a studied card is logged with.
QUIZ_GRADE_WRONG = 2
#: A quiz's cards come from one of ``SOURCES``; ``retake`` is set by ``QuizRun.retake`` only.
RETAKE_SOURCE = "retake"

#: Up to this many active cards a quiz loads them all; beyond, it loads samples.
LOAD_ALL_LIMIT = 2000
#: The sampled distractor pool: this many random cards of each asked deck and of the others
#: together; the core weighs all of a group this small for each question.
POOL_SAMPLE = 256
#: Spare cards drawn beyond the questions asked, for questions that get skipped.
SPARE_ITEMS = 10

#: The SM-2 direction whose state a question kind tests.
_DIRECTION_OF_KIND = {
    QuizDirection.TERM: Direction.FORWARD,
    QuizDirection.DEFINITION: Direction.REVERSE,
}


class NothingToQuiz(UserError):
    """No quiz can be built from this selection; the message says why, for the user."""


def _quiz_item(stored: StoredCard) -> QuizItem:
    card = stored.card
    return QuizItem(
        card_id=stored.id,
        deck=stored.deck,
        term=card.term,
        definition=card.definition,
        aliases=card.aliases,
        tags=card.tags,
        gap=(
            " … ".join(cloze.answers(card.cloze, card.cloze_number))
            if card.cloze is not None and card.cloze_number is not None
            else None
        ),
    )


def _iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat(timespec="microseconds")


class QuizRun:
    """One quiz from first question to saved attempt.

    Build it with ``QuizRun.start(trainer, options)``; answer the ``current``
    question until ``done``; call ``finish()`` once to save the attempt.
    """

    def __init__(
        self,
        trainer: Trainer,
        options: QuizOptions,
        items: list[QuizItem],
        pool: list[QuizItem],
        decks: list[str],
        *,
        source: str,
    ) -> None:
        self.trainer = trainer
        self.options = options
        self.items = items
        self.pool = pool
        self.decks = decks
        self.source = source
        self.seed = (
            options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
        )
        if not items:
            raise NothingToQuiz(_empty_message(source, trainer, decks))
        try:
            self.quiz: Quiz = build_quiz(
                items,
                pool,
                questions=options.questions,
                choices=options.choices,
                direction=options.direction,
                rng=random.Random(self.seed),
            )
        except QuizError as error:
            raise UserError(f"cannot build the quiz: {error}") from None
        if not self.quiz.questions:
            raise NothingToQuiz(
                "Not enough different cards for a quiz: every question needs at least one "
                "other card with a different answer to choose from."
            )
        self.results: list[AnswerResult] = []
        self.reviews: list[ReviewRecord] = []
        self.started_at = trainer.now()
        self.finished_at: dt.datetime | None = None
        self.attempt: dict[str, Any] | None = None

    # ------------------------------------------------------------ building
    @classmethod
    def start(cls, trainer: Trainer, options: QuizOptions) -> QuizRun:
        """Select the cards for ``options.source`` and build the quiz.

        Raises ``NothingToQuiz`` when the selection is empty and ``UserError``
        for an unknown deck, source or direction.
        """
        if options.source not in SOURCES:
            known = ", ".join(SOURCES)
            raise UserError(f"unknown quiz source {options.source!r}; expected {known}")
        slugs = trainer.resolve_decks(options.decks)
        if trainer.store.active_cards_exceed(LOAD_ALL_LIMIT):
            run = _sampled(cls, trainer, options, slugs)
            if run is not None:
                return run
        pool = [_quiz_item(c) for c in trainer.store.cards() if not (c.retired or c.suspended)]
        chosen = set(slugs) if slugs is not None else None
        items = [item for item in pool if chosen is None or item.deck in chosen]
        if options.source != "deck":
            items = _by_schedule(trainer, options, items, slugs)
        decks = slugs if slugs is not None else sorted({item.deck for item in items})
        return cls(trainer, options, items, pool, decks, source=options.source)

    def retake(self) -> QuizRun:
        """A new run over the missed cards only, same decks, choices and direction."""
        missed = retake_items(self.score, self.items)
        if not missed:
            raise NothingToQuiz("Nothing to retake: no question was missed.")
        seed = random.Random(f"retake:{self.seed}").randrange(2**32)
        options = replace(self.options, questions=len(missed), seed=seed)
        return QuizRun(self.trainer, options, missed, self.pool, self.decks, source=RETAKE_SOURCE)

    # ------------------------------------------------------------ answering
    @property
    def questions(self) -> tuple[Question, ...]:
        return self.quiz.questions

    @property
    def notes(self) -> tuple[str, ...]:
        """Why some cards were skipped (no distractor for them)."""
        return self.quiz.notes

    @property
    def index(self) -> int:
        """Zero-based position of the current question (= answers so far)."""
        return len(self.results)

    @property
    def current(self) -> Question | None:
        if self.attempt is not None or self.finished_at is not None:
            return None
        if self.index >= len(self.questions):
            return None
        return self.questions[self.index]

    @property
    def done(self) -> bool:
        return self.current is None

    @property
    def score(self) -> QuizScore:
        return score_quiz(self.results)

    @property
    def can_retake(self) -> bool:
        return bool(self.score.missed)

    def answer(self, chosen_index: int | None, response_ms: int | None = None) -> AnswerResult:
        """Grade the current question; a wrong answer on a studied card is logged at once."""
        question = self.current
        if question is None:
            raise QuizError("the quiz is over: no question to answer")
        result = answer_question(question, chosen_index, response_ms)
        self.results.append(result)
        if not result.correct:
            direction = self._studied_direction(question)
            if direction is not None:
                self.reviews.append(
                    self.trainer.record_answer(
                        question.card_id, direction, QUIZ_GRADE_WRONG, Mode.QUIZ, response_ms
                    )
                )
        return result

    def chosen_card(self, result: AnswerResult) -> QuizItem | None:
        """The card a wrong answer came from: what the learner confused the prompt with."""
        if result.correct or result.chosen_index is None:
            return None
        card_id = result.question.option_card_ids[result.chosen_index]
        return next((item for item in self.pool if item.card_id == card_id), None)

    def _studied_direction(self, question: Question) -> Direction | None:
        """The direction whose state the question tests, else the other studied one."""
        wanted = _DIRECTION_OF_KIND[question.kind]
        other = Direction.REVERSE if wanted is Direction.FORWARD else Direction.FORWARD
        for direction in (wanted, other):
            if not self.trainer.store.state_of(question.card_id, direction).is_new:
                return direction
        return None

    @property
    def seconds(self) -> float:
        """Time spent answering: the sum of the measured answer times."""
        return round(sum(r.response_ms or 0 for r in self.results) / 1000, 3)

    # ------------------------------------------------------------ saving
    def finish(self) -> dict[str, Any] | None:
        """Save the attempt (once) and return its row; None when nothing was answered."""
        if self.finished_at is not None:
            return self.attempt
        self.finished_at = self.trainer.now()
        if not self.results:
            return None
        score = self.score
        self.attempt = {
            "id": uuid.uuid4().hex,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "day": self.trainer.today().isoformat(),
            "decks": json.dumps(self.decks, ensure_ascii=False),
            "source": self.source,
            "direction": str(self.options.direction),
            "correct": score.correct,
            "total": score.total,
            "seconds": self.seconds,
            "questions": json.dumps(
                [_question_row(result) for result in self.results], ensure_ascii=False
            ),
            "seed": self.seed,
        }
        self.trainer.store.record_quiz_attempt(self.attempt)
        return self.attempt


def _question_row(result: AnswerResult) -> dict[str, Any]:
    question = result.question
    return {
        "card_id": question.card_id,
        "kind": str(question.kind),
        "prompt": question.prompt,
        "options": list(question.options),
        "answer_index": question.answer_index,
        "chosen_index": result.chosen_index,
        "correct": result.correct,
        "response_ms": result.response_ms,
    }


def _sampled(
    cls: type[QuizRun], trainer: Trainer, options: QuizOptions, slugs: list[str] | None
) -> QuizRun | None:
    """A quiz over a large collection that loads only what it can ask and offer.

    Loading and wrapping all 100k cards took over a second. Here the asked cards
    are a uniform random sample (source deck) or the SQL picks (weakest,
    due-soon), and the distractor pool a uniform random sample of each asked
    deck and of all decks, drawn from the run's seed: the core then weighs a
    sample as it would have drawn one itself. None when the sample could ask
    fewer questions than the whole selection might (the caller loads it all).
    """
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
    options = replace(options, seed=seed)
    rng = random.Random(f"quiz-cards:{seed}")
    store = trainer.store
    if options.source == "deck":
        wanted = max(options.questions, 0) + SPARE_ITEMS
        item_ids = store.sample_active_card_ids(slugs, wanted, rng)
        decks = slugs if slugs is not None else store.decks_with_active_cards()
    else:
        item_ids = _scheduled_ids(trainer, options, slugs)
        wanted = len(item_ids)
    by_id = {c.id: c for c in store.cards(item_ids) if not (c.retired or c.suspended)}
    items = [_quiz_item(by_id[card_id]) for card_id in item_ids if card_id in by_id]
    if options.source != "deck":
        decks = slugs if slugs is not None else sorted({item.deck for item in items})
    pool_ids = dict.fromkeys(item_ids)
    asked = sorted({item.deck for item in items})
    for deck in asked:
        pool_ids.update(dict.fromkeys(store.sample_active_card_ids([deck], POOL_SAMPLE, rng)))
    others = [deck for deck in store.decks_with_active_cards() if deck not in asked]
    pool_ids.update(dict.fromkeys(store.sample_active_card_ids(others, POOL_SAMPLE, rng)))
    pool = [_quiz_item(c) for c in store.cards(pool_ids) if not (c.retired or c.suspended)]
    if not items:
        return None  # nothing to ask: the caller's full path says why
    run = cls(trainer, options, items, pool, decks, source=options.source)
    if len(run.questions) < min(options.questions, wanted) and len(items) >= wanted:
        return None  # skipped questions used up the spares: ask from everything
    return run


def _scheduled_ids(trainer: Trainer, options: QuizOptions, slugs: list[str] | None) -> list[str]:
    """The weakest or due-soon card ids in order, at most ``options.questions``."""
    directions = trainer.deck_directions()
    decks = sorted(directions) if slugs is None else slugs
    count = max(options.questions, 0)
    if options.source == "weakest":
        return trainer.store.weakest_card_ids(directions, decks, count)
    last_day = trainer.today() + dt.timedelta(days=DUE_SOON_DAYS)
    return trainer.store.due_soon_card_ids(directions, decks, last_day, count)


def _by_schedule(
    trainer: Trainer, options: QuizOptions, items: list[QuizItem], slugs: list[str] | None
) -> list[QuizItem]:
    """The weakest or due-soon cards among ``items``, at most ``options.questions``.

    Storage picks them in SQL by the rules of ``core.quiz.weakest_items`` and
    ``due_soon_items`` (the tests hold the two to the same answers).
    """
    directions = trainer.deck_directions()
    decks = sorted(directions) if slugs is None else slugs
    count = max(options.questions, 0)
    if options.source == "weakest" and trainer.settings.scheduler == "fsrs":
        # FSRS predicts recall: the weakest are those it expects least to be recalled
        ids = trainer.store.lowest_recall_card_ids(directions, decks, trainer.today(), count)
    elif options.source == "weakest":
        ids = trainer.store.weakest_card_ids(directions, decks, count)
    else:
        last_day = trainer.today() + dt.timedelta(days=DUE_SOON_DAYS)
        ids = trainer.store.due_soon_card_ids(directions, decks, last_day, count)
    by_id = {item.card_id: item for item in items}
    return [by_id[card_id] for card_id in ids if card_id in by_id]


def _empty_message(source: str, trainer: Trainer, decks: list[str]) -> str:
    names = {row.slug: row.name for row in trainer.decks()}
    where = ", ".join(names.get(slug, slug) for slug in decks) if decks else "any deck"
    if source == "weakest":
        return (
            f"No weakest cards in {where} yet: nothing has been studied. "
            "Study some cards first, then quiz your weakest."
        )
    if source == "due-soon":
        return f"No cards in {where} are due in the next {DUE_SOON_DAYS} days."
    return f"No cards to quiz in {where}."


# --------------------------------------------------------------- the last quiz setup
#: what the TUI's quiz form remembers, beside the database it belongs to
LAST_QUIZ_FILE = "last-quiz.json"
DIRECTIONS = ("term", "definition", "mixed")
MAX_QUESTIONS = 1000


def last_quiz_path(trainer: Trainer) -> Path:
    return trainer.user_decks.parent / LAST_QUIZ_FILE


def check_quiz_setup(options: QuizOptions) -> QuizOptions:
    """The form's choices, checked as ``trainer quiz`` checks its flags."""
    if options.source not in SOURCES:
        raise UserError(f"source must be one of {', '.join(SOURCES)}, got {options.source!r}")
    if options.direction not in DIRECTIONS:
        known = ", ".join(DIRECTIONS)
        raise UserError(f"direction must be one of {known}, got {options.direction!r}")
    if not 1 <= options.questions <= MAX_QUESTIONS:
        raise UserError(f"questions must be 1 to {MAX_QUESTIONS}, got {options.questions}")
    if not 2 <= options.choices <= 9:
        raise UserError(f"choices must be 2 to 9 (answered with keys 1-9), got {options.choices}")
    return options


def load_last_quiz(trainer: Trainer) -> QuizOptions:
    """The setup of the last quiz started from the form; defaults when there is none
    or the file is unreadable (it is a convenience, never worth an error)."""
    try:
        data = json.loads(last_quiz_path(trainer).read_text(encoding="utf-8"))
        decks = data.get("decks")
        options = QuizOptions(
            decks=[str(d) for d in decks] if isinstance(decks, list) and decks else None,
            questions=int(data["questions"]),
            choices=int(data["choices"]),
            direction=str(data["direction"]),
            source=str(data["source"]),
        )
        return check_quiz_setup(options)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, UserError):
        return QuizOptions()


def save_last_quiz(trainer: Trainer, options: QuizOptions) -> None:
    """Remember a setup for next time; a failed write only loses the convenience."""
    from trainer.app.files import write_atomically

    data = {
        "decks": options.decks,
        "questions": options.questions,
        "choices": options.choices,
        "direction": options.direction,
        "source": options.source,
    }
    with contextlib.suppress(OSError):
        write_atomically(last_quiz_path(trainer), json.dumps(data, indent=2) + "\n")


# ------------------------------------------------------------ printing


def quiz_document(run: QuizRun) -> dict[str, Any]:
    """The generated quiz as data, exactly as the quiz screen asks it: ``trainer quiz --json``.

    ``kind`` says what the prompt shows (a term or a definition); the options
    are the other side, ``answer_index`` the right one.
    """
    return {
        "seed": run.seed,
        "questions": [
            {
                "kind": str(question.kind),
                "prompt": question.prompt,
                "options": list(question.options),
                "answer_index": question.answer_index,
            }
            for question in run.questions
        ],
    }


_MARKDOWN_SPECIALS = str.maketrans({ch: f"\\{ch}" for ch in "\\`*_[]<>#|"})
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _md(text: str) -> str:
    """One line of card text that Markdown shows literally, controls made visible."""
    return visible(one_line(text)).translate(_MARKDOWN_SPECIALS)


def quiz_worksheet(run: QuizRun) -> str:
    """The generated quiz as a Markdown worksheet with an answer key at the end."""
    asks = {"term": "Which definition fits this term?", "definition": "Which term fits?"}
    lines = [f"# Quiz: {_md(', '.join(run.decks) or 'all decks')}", "", f"Seed: {run.seed}", ""]
    for number, question in enumerate(run.questions, 1):
        lines += [f"## {number}. {asks[str(question.kind)]}", "", _md(question.prompt), ""]
        lines += [
            f"- {_LETTERS[index]}) {_md(option)}" for index, option in enumerate(question.options)
        ]
        lines.append("")
    lines += ["## Answer key", ""]
    lines += [
        f"{number}. {_LETTERS[question.answer_index]}"
        for number, question in enumerate(run.questions, 1)
    ]
    return "\n".join(lines) + "\n"
