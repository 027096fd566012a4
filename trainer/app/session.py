"""A study session: the screen's model, kept out of the widgets.

The remaining queue is recomputed from the database after every answer, so
what the session shows always agrees with what is stored: an undo, a drill
that is passed, or another process answering the same cards are all reflected
without bookkeeping here. The session only remembers what it needs for undo
and for the summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from trainer.app.trainer import Trainer
from trainer.core.model import Direction, Mode, ReviewRecord
from trainer.core.queue import QueueEntry, QueueKind
from trainer.storage.store import StoredCard


@dataclass(frozen=True)
class Prompt:
    """What the study screen shows for one card."""

    entry: QueueEntry
    card: StoredCard
    front: str
    back: str
    front_label: str
    back_label: str
    #: a cloze card: the answer replaces the question where it stands (the gap
    #: filled in), and ``back`` is the entry's extra text, if any
    in_place: str | None = None

    @property
    def is_drill(self) -> bool:
        return self.entry.kind is QueueKind.DRILL


@dataclass(frozen=True)
class Counts:
    due: int
    new: int
    drill: int

    @property
    def total(self) -> int:
        return self.due + self.new + self.drill


@dataclass(frozen=True)
class Summary:
    answered: int
    correct: int
    seconds: float
    new_learned: int
    drills: int
    next_due: dt.date | None
    due_tomorrow: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


@dataclass
class StudySession:
    trainer: Trainer
    decks: Sequence[str] | None = None
    started_at: dt.datetime | None = None
    answers: list[ReviewRecord] = field(default_factory=list)
    _queue: list[QueueEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.started_at = self.trainer.now()
        self.refresh()

    def refresh(self) -> None:
        self._queue = self.trainer.queue(self.decks)

    @property
    def counts(self) -> Counts:
        kinds = [entry.kind for entry in self._queue]
        return Counts(
            kinds.count(QueueKind.REVIEW), kinds.count(QueueKind.NEW), kinds.count(QueueKind.DRILL)
        )

    @property
    def done(self) -> bool:
        return not self._queue

    def current(self) -> Prompt | None:
        if not self._queue:
            return None
        entry = self._queue[0]
        card = self.trainer.card(entry.card_id)
        term, definition = card.card.term, card.card.definition
        if card.card.cloze is not None:
            extra = card.card.example or ""
            return Prompt(entry, card, term, extra, "Cloze", "Extra" if extra else "", definition)
        if entry.direction is Direction.REVERSE:
            return Prompt(entry, card, definition, term, "Definition", "Term")
        return Prompt(entry, card, term, definition, "Term", "Definition")

    def answer(self, grade: int, response_ms: int | None = None) -> ReviewRecord:
        """Record the grade for the card on screen; committed before returning."""
        if not self._queue:
            raise RuntimeError("no card to answer")
        entry = self._queue[0]
        mode = Mode.DRILL if entry.kind is QueueKind.DRILL else Mode.STUDY
        record = self.trainer.record_answer(
            entry.card_id, entry.direction, grade, mode, response_ms
        )
        self.answers.append(record)
        self.refresh()
        return record

    @property
    def can_undo(self) -> bool:
        return bool(self.answers)

    def undo(self) -> ReviewRecord | None:
        """Take back the last answer of this session: the card comes back on screen."""
        if not self.answers:
            return None
        record = self.answers.pop()
        self.trainer.undo(record.id)
        self.refresh()
        front = [
            e for e in self._queue if (e.card_id, e.direction) == (record.card_id, record.direction)
        ]
        if front:
            self._queue.remove(front[0])
            self._queue.insert(0, front[0])
        return record

    def summary(self) -> Summary:
        answered = len(self.answers)
        correct = sum(1 for r in self.answers if r.grade >= 3)
        seconds = sum((r.response_ms or 0) for r in self.answers) / 1000
        new_learned = sum(1 for r in self.answers if r.mode is Mode.STUDY and r.before.is_new)
        drills = sum(1 for r in self.answers if r.mode is Mode.DRILL)
        next_due, due_tomorrow = self.trainer.upcoming(self.decks)
        return Summary(
            answered=answered,
            correct=correct,
            seconds=seconds,
            new_learned=new_learned,
            drills=drills,
            next_due=next_due,
            due_tomorrow=due_tomorrow,
        )
