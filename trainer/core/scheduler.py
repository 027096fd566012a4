"""The one place a scheduler plugs in.

A scheduler is pure: it turns a card direction's state and one graded answer
into the next state, and says how a state reads to a learner (new, learning,
young, mature). SM-2 (``trainer.core.sm2``) is the one the product promises;
another (FSRS) implements the same protocol. Everything else works through
this protocol: the application layer records answers with ``review``,
``trainer rebuild``, merges and the Anki history import replay the log with
``trainer.core.replay``, and statistics and Browse read states through ``phase``. Storage
keeps the states it is handed and never schedules.

Drills (same-day re-asks of a failed card) never move a state; only answers
in ``SCHEDULING_MODES`` do, so a replay skips the rest.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Protocol, TypeVar

__all__ = [
    "MATURE_INTERVAL_DAYS",
    "Phase",
    "Scheduler",
]

#: A card direction whose interval reaches this many days is mature (Anki's rule too).
MATURE_INTERVAL_DAYS = 21

StateT = TypeVar("StateT")


class Phase(StrEnum):
    """How far along a card direction is, as the learner reads it."""

    NEW = "new"
    LEARNING = "learning"
    YOUNG = "young"
    MATURE = "mature"


class Scheduler(Protocol[StateT]):
    """What the rest of the program needs of a scheduler.

    ``review`` never mutates its input; ``today`` is the study day of the
    answer (local time with the rollover hour), which is all a day-based
    scheduler needs and keeps replays independent of the wall clock.
    """

    #: the setting's value that chooses this scheduler
    name: str

    def new_state(self) -> StateT:
        """The state of a card direction never answered."""
        ...

    def review(self, state: StateT, grade: int, today: dt.date) -> StateT:
        """The state after one answer graded 0-5 on study day ``today``."""
        ...

    def phase(self, state: StateT) -> Phase:
        """New, learning, young or mature."""
        ...
