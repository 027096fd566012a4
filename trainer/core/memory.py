"""FSRS's memory state and the rules both schedulers share, kept pure.

FSRS itself (the library ``fsrs``, py-fsrs) is plugged in by the application
layer (``trainer.app.fsrs_scheduler``), since the core imports no third-party
package; what storage, queues and statistics need of an FSRS state lives here.

``FSRSState`` extends ``SM2State``, whose five fields are what every
scheduler's state offers to queues, statistics and the ``card_state`` table:
the due day and the interval FSRS chose, and the repetition, lapse and
E-Factor counts the same grades give under SM-2's rules. So the learning
phase, leeches and the lists ordered by lapses and ease read the same under
either scheduler, and only the due days differ. FSRS adds its memory state:
stability (days until recall falls to 90 %) and difficulty (1 to 10).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from trainer.core.scheduler import MATURE_INTERVAL_DAYS, Phase
from trainer.core.sm2 import PASSING_QUALITY, SM2State, updated_easiness

__all__ = [
    "FSRSState",
    "counts_after",
    "interval_phase",
    "last_review_day",
    "rating_of_grade",
    "sm2_implied_recall",
]

#: FSRS's four ratings, as py-fsrs numbers them.
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
#: The recall SM-2 implies on the day it schedules (SuperMemo's forgetting index of 10 %).
SM2_TARGET_RECALL = 0.9


#: The rating of each grade 0-5.
_RATINGS = tuple(AGAIN if grade < PASSING_QUALITY else grade - 1 for grade in range(6))


def rating_of_grade(grade: int) -> int:
    """Grades 0-2 (not recalled) are Again, 3 Hard, 4 Good, 5 Easy."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
        raise ValueError(f"grade must be an integer 0-5, got {grade!r}")
    return _RATINGS[grade]


@dataclass(frozen=True)
class FSRSState(SM2State):
    """A card direction's FSRS state; ``stability`` is None until its first answer."""

    stability: float | None = None
    difficulty: float | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FSRSState:
        base = SM2State.from_dict(data)
        stability, difficulty = data.get("stability"), data.get("difficulty")
        return cls(
            repetitions=base.repetitions,
            easiness=base.easiness,
            interval=base.interval,
            due=base.due,
            lapses=base.lapses,
            stability=float(stability) if stability is not None else None,
            difficulty=float(difficulty) if difficulty is not None else None,
        )


def counts_after(state: SM2State, grade: int) -> tuple[int, float, int]:
    """(repetitions, easiness, lapses) after an answer, by SM-2's rules.

    They depend on the grades alone, so they come out the same whichever
    scheduler chose the days: a switch never changes a leech or a phase count.
    """
    if grade < PASSING_QUALITY:
        lapses = state.lapses + (1 if state.repetitions >= 1 else 0)
        return 0, state.easiness, lapses
    return state.repetitions + 1, updated_easiness(state.easiness, grade), state.lapses


def last_review_day(state: SM2State) -> dt.date | None:
    """The study day of the answer that set the state: its due day less its interval."""
    if state.due is None:
        return None
    return state.due - dt.timedelta(days=state.interval)


def interval_phase(state: SM2State) -> Phase:
    """New until answered, learning for the first two successes, then young or mature
    by the interval: the same reading as SM-2's, so a switch moves no card between
    phases except through its interval."""
    if state.due is None:
        return Phase.NEW
    if state.repetitions < 2:
        return Phase.LEARNING
    return Phase.YOUNG if state.interval < MATURE_INTERVAL_DAYS else Phase.MATURE


def sm2_implied_recall(elapsed_days: int, interval_days: int) -> float:
    """The probability of recall SM-2 implies for an answer ``elapsed_days`` after the
    previous one, when it had scheduled ``interval_days``.

    SM-2 gives no probability. It schedules each review for the day recall is
    expected to have fallen to 90 % (SuperMemo's forgetting index of 10 %); with
    the exponential forgetting SuperMemo assumes, that is ``0.9 ** (t / I)``:
    exactly 0.9 for an answer on time, less for an overdue one, more for an early one.
    """
    interval = max(1, interval_days)
    return SM2_TARGET_RECALL ** (max(0, elapsed_days) / interval)
