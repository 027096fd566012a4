"""A study session: the screen's model, kept out of the widgets.

The remaining queue always agrees with what is stored: after an answer the
session's plan of today's queue is advanced by the answer alone, which
``Trainer.advance_queue`` does only where that provably equals building it
again; anything else written meanwhile (an undo, an edit, a suspension,
another process answering the same cards) has it built again from the
database. The session only remembers what it needs for undo and for the
summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from trainer.app.trainer import QueuePlan, Trainer
from trainer.core.fairness import card_names, mask_names
from trainer.core.model import Direction, Mode, ReviewRecord
from trainer.core.queue import QueueEntry, QueueKind
from trainer.core.text import count_text
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
    #: the front as shown once the answer is revealed: a reverse card's full definition
    revealed_front: str = ""
    #: said on screen about this card, e.g. that it is the only one left
    note: str | None = None

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
    #: cards still waiting today when the session ended (left early when above 0)
    remaining: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None

    @property
    def title(self) -> str:
        """ "Session complete", or how many cards are left when leaving early."""
        if not self.remaining:
            return "Session complete"
        return f"Session ended early: {count_text(self.remaining, 'card')} left for today"


@dataclass
class StudySession:
    trainer: Trainer
    decks: Sequence[str] | None = None
    started_at: dt.datetime | None = None
    answers: list[ReviewRecord] = field(default_factory=list)
    _queue: list[QueueEntry] = field(default_factory=list)
    _plan: QueuePlan | None = None

    def __post_init__(self) -> None:
        self.started_at = self.trainer.now()
        self.refresh()

    def refresh(self) -> None:
        """Build today's queue again from the database."""
        self._plan = self.trainer.queue_plan(self.decks)
        self._queue = self._plan.spaced()

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
        """The card to show; a reverse card's definition has its own names blanked
        until the answer is revealed, so the question does not answer itself."""
        if not self._queue:
            return None
        entry = self._queue[0]
        card = self.trainer.card(entry.card_id)
        term, definition = card.card.term, card.card.definition
        note = self._only_card_note(entry)
        if card.card.cloze is not None:
            extra = card.card.example or ""
            return Prompt(
                entry, card, term, extra, "Cloze", "Extra" if extra else "", definition, term, note
            )
        if entry.direction is Direction.REVERSE:
            masked = mask_names(definition, card_names(term, tuple(card.card.aliases)))
            return Prompt(
                entry,
                card,
                masked,
                term,
                "Definition",
                "Term",
                revealed_front=definition,
                note=note,
            )
        return Prompt(
            entry, card, term, definition, "Term", "Definition", revealed_front=term, note=note
        )

    def _only_card_note(self, entry: QueueEntry) -> str | None:
        """Said when the card just answered comes straight back: nothing else waits."""
        others = {e.card_id for e in self._queue} - {entry.card_id}
        if others or not self.answers or self.answers[-1].card_id != entry.card_id:
            return None
        return "This is the only card left today: it comes back until you grade it 4 or more."

    def answer(self, grade: int, response_ms: int | None = None) -> ReviewRecord:
        """Record the grade for the card on screen; committed before returning."""
        if not self._queue:
            raise RuntimeError("no card to answer")
        entry = self._queue[0]
        mode = Mode.DRILL if entry.kind is QueueKind.DRILL else Mode.STUDY
        before = self.trainer.change_marker()
        record = self.trainer.record_answer(
            entry.card_id, entry.direction, grade, mode, response_ms
        )
        self.answers.append(record)
        if self._plan is None:
            self.refresh()
        else:
            self._plan = self.trainer.advance_queue(self._plan, entry, record, before)
            self._queue = self._plan.spaced()
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
        self.refresh()
        return Summary(
            answered=answered,
            correct=correct,
            seconds=seconds,
            new_learned=new_learned,
            drills=drills,
            next_due=next_due,
            due_tomorrow=due_tomorrow,
            remaining=len(self._queue),
        )
