"""Replaying the review log through a scheduler: the log is the truth, states follow.

``trainer rebuild``, merges, switching schedulers and the Anki history import
all recompute card states this one way. Drills never move a state, so only
answers in ``SCHEDULING_MODES`` are replayed.

An ``Anchor`` is a schedule another program gave a card after one of its
answers (Anki's due day, interval and ease, kept by an Anki history import):
the replay puts it on the state right after that answer, so the answers that
follow grow from it, as they did when they were given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, NamedTuple, TypeVar

from trainer.core.model import SCHEDULING_MODES, Direction, ReviewRecord
from trainer.core.scheduler import Scheduler

StateT = TypeVar("StateT")


@dataclass(frozen=True)
class Replayed(Generic[StateT]):
    """A card direction's state after a replay, and when its last answer came."""

    state: StateT
    last_answer: dt.datetime


class Anchor(NamedTuple):
    """The schedule a card direction was given right after the answer at ``answered_at``."""

    answered_at: dt.datetime
    due: dt.date
    interval: int
    #: None: the scheduler's own
    easiness: float | None = None

    def apply(self, state: Any) -> Any:
        changes: dict[str, Any] = {"due": self.due, "interval": self.interval}
        if self.easiness is not None:
            changes["easiness"] = self.easiness
        return replace(state, **changes)


def replay(
    scheduler: Scheduler[Any],
    reviews: Iterable[ReviewRecord],
    anchors: Mapping[tuple[str, Direction], Anchor] | None = None,
) -> dict[tuple[str, Direction], Replayed[Any]]:
    """Every card direction's state from its answers, given in time order (and the
    ``anchors`` put on the states after their answers)."""
    states: dict[tuple[str, Direction], Replayed[Any]] = {}
    for record in reviews:
        if record.mode not in SCHEDULING_MODES:
            if anchors:  # Anki's later answers of a day are drills here; one may be anchored
                _anchor_drill(states, anchors, record)
            continue
        key = (record.card_id, record.direction)
        known = states.get(key)
        before = known.state if known is not None else scheduler.new_state()
        after = scheduler.review(before, record.grade, record.day)
        if anchors:
            anchor = anchors.get(key)
            if anchor is not None and anchor.answered_at == record.answered_at:
                after = anchor.apply(after)
        states[key] = Replayed(after, record.answered_at)
    return states


def _anchor_drill(
    states: dict[tuple[str, Direction], Replayed[Any]],
    anchors: Mapping[tuple[str, Direction], Anchor],
    record: ReviewRecord,
) -> None:
    """Put an anchor on the state a drill left alone (the drill moved nothing, so
    the state keeps its last answer's time)."""
    key = (record.card_id, record.direction)
    anchor = anchors.get(key)
    known = states.get(key)
    if anchor is not None and known is not None and anchor.answered_at == record.answered_at:
        states[key] = Replayed(anchor.apply(known.state), known.last_answer)
