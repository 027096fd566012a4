"""What to study today: a pure function of card states, today's log and limits.

Order: due reviews first (most overdue first, so a backlog is
worked off oldest-first), then new cards up to the daily allowance, then the
same-day drills of items graded below 4 today. Limits count what was already
done today, so closing and reopening the app does not grant a fresh allowance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from trainer.core.model import CardStatus, Direction, Mode, ReviewRecord

DRILL_PASS_GRADE = 4


class QueueKind(StrEnum):
    REVIEW = "review"
    NEW = "new"
    DRILL = "drill"


@dataclass(frozen=True)
class Limits:
    new_per_day: int = 20
    reviews_per_day: int = 200


@dataclass(frozen=True)
class QueueEntry:
    card_id: str
    direction: Direction
    kind: QueueKind


@dataclass(frozen=True)
class TodayLog:
    """What today's review log says, reduced to what the queue needs."""

    new_studied: int = 0
    reviews_studied: int = 0
    drills_pending: tuple[tuple[str, Direction], ...] = ()


def summarize_today(reviews: Iterable[ReviewRecord], today: dt.date) -> TodayLog:
    """Reduce today's non-undone answers (in answer order) to counts and pending drills."""
    new_studied = reviews_studied = 0
    last_grade: dict[tuple[str, Direction], int] = {}
    for record in reviews:
        if record.day != today:
            continue
        key = (record.card_id, record.direction)
        if record.mode is Mode.STUDY:
            if record.before.is_new:
                new_studied += 1
            else:
                reviews_studied += 1
        last_grade[key] = record.grade
    pending = tuple(key for key, grade in last_grade.items() if grade < DRILL_PASS_GRADE)
    return TodayLog(new_studied, reviews_studied, pending)


def build_queue(
    statuses: Sequence[CardStatus], today: dt.date, today_log: TodayLog, limits: Limits
) -> list[QueueEntry]:
    """Today's queue, in the order it should be shown."""
    active = [s for s in statuses if not s.retired and not s.suspended]
    due = sorted(
        (s for s in active if s.state.due is not None and s.state.due <= today),
        key=lambda s: (s.state.due, s.card_id, s.direction),
    )
    review_room = max(0, limits.reviews_per_day - today_log.reviews_studied)
    new_room = max(0, limits.new_per_day - today_log.new_studied)
    new = [s for s in active if s.state.is_new][:new_room]
    queue = [QueueEntry(s.card_id, s.direction, QueueKind.REVIEW) for s in due[:review_room]]
    queue += [QueueEntry(s.card_id, s.direction, QueueKind.NEW) for s in new]
    scheduled = {(entry.card_id, entry.direction) for entry in queue}
    active_keys = {(s.card_id, s.direction) for s in active}
    queue += [
        QueueEntry(card, direction, QueueKind.DRILL)
        for card, direction in today_log.drills_pending
        if (card, direction) not in scheduled and (card, direction) in active_keys
    ]
    return queue
