"""Replaying the review log through a scheduler: the log is the truth, states follow.

``trainer rebuild``, merges, switching schedulers and the Anki history import
all recompute card states this one way. Drills never move a state, so only
answers in ``SCHEDULING_MODES`` are replayed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from trainer.core.model import SCHEDULING_MODES, Direction, ReviewRecord
from trainer.core.scheduler import Scheduler

StateT = TypeVar("StateT")


@dataclass(frozen=True)
class Replayed(Generic[StateT]):
    """A card direction's state after a replay, and when its last answer came."""

    state: StateT
    last_answer: dt.datetime


def replay(
    scheduler: Scheduler[Any], reviews: Iterable[ReviewRecord]
) -> dict[tuple[str, Direction], Replayed[Any]]:
    """Every card direction's state from its answers, given in time order."""
    states: dict[tuple[str, Direction], Replayed[Any]] = {}
    for record in reviews:
        if record.mode not in SCHEDULING_MODES:
            continue
        key = (record.card_id, record.direction)
        known = states.get(key)
        before = known.state if known is not None else scheduler.new_state()
        after = scheduler.review(before, record.grade, record.day)
        states[key] = Replayed(after, record.answered_at)
    return states
