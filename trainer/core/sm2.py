"""SuperMemo 2, exactly as published (the README states the rules).

One operation: ``review(state, quality, today)`` returns a new state and never
mutates its input; ``SM2`` offers it through the ``Scheduler`` protocol of
``trainer.core.scheduler``. The interval growth uses the E-Factor *before* this answer's
update (the published algorithm computes I(n) from the item's current EF, then
adjusts EF), and a failed recall leaves EF untouched so a single bad day does
not permanently slow an item down.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from enum import IntEnum
from typing import Any

from trainer.core.scheduler import MATURE_INTERVAL_DAYS, Phase

INITIAL_EASINESS = 2.5
MIN_EASINESS = 1.3
MAX_INTERVAL_DAYS = 36_500
PASSING_QUALITY = 3


class Grade(IntEnum):
    """The six SM-2 answer grades; stored as plain integers."""

    BLACKOUT = 0
    WRONG_FAMILIAR = 1
    WRONG_EASY_RECALL = 2
    RIGHT_HARD = 3
    RIGHT_HESITANT = 4
    PERFECT = 5


GRADE_MEANINGS: dict[int, str] = {
    0: "blackout",
    1: "wrong, familiar",
    2: "wrong, easy to recall",
    3: "right, hard",
    4: "right, hesitant",
    5: "perfect",
}


@dataclass(frozen=True)
class SM2State:
    repetitions: int = 0
    easiness: float = INITIAL_EASINESS
    interval: int = 0
    due: dt.date | None = None
    lapses: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SM2State:
        due = data.get("due")
        return cls(
            repetitions=int(data.get("repetitions", 0)),
            easiness=float(data.get("easiness", INITIAL_EASINESS)),
            interval=int(data.get("interval", 0)),
            due=dt.date.fromisoformat(due) if due else None,
            lapses=int(data.get("lapses", 0)),
        )

    @property
    def is_new(self) -> bool:
        return self.due is None


def next_interval(state: SM2State) -> int:
    """Interval after a successful answer, from the state before it."""
    if state.repetitions == 0:
        return 1
    if state.repetitions == 1:
        return 6
    return min(MAX_INTERVAL_DAYS, math.ceil(state.interval * state.easiness))


def updated_easiness(easiness: float, quality: int) -> float:
    miss = 5 - quality
    return max(MIN_EASINESS, easiness + (0.1 - miss * (0.08 + miss * 0.02)))


def review(state: SM2State, quality: int, today: dt.date) -> SM2State:
    """Apply one graded answer given on study day ``today``."""
    if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 5:
        raise ValueError(f"quality must be an integer 0-5, got {quality!r}")
    plain = type(state) is SM2State  # built directly: ``replace`` costs 3x (log replays)
    if quality < PASSING_QUALITY:
        lapses = state.lapses + (1 if state.repetitions >= 1 else 0)
        due = today + dt.timedelta(days=1)
        if plain:
            return SM2State(0, state.easiness, 1, due, lapses)
        return replace(state, repetitions=0, interval=1, due=due, lapses=lapses)
    interval = next_interval(state)
    if plain:
        return SM2State(
            state.repetitions + 1,
            updated_easiness(state.easiness, quality),
            interval,
            today + dt.timedelta(days=interval),
            state.lapses,
        )
    return replace(
        state,
        repetitions=state.repetitions + 1,
        easiness=updated_easiness(state.easiness, quality),
        interval=interval,
        due=today + dt.timedelta(days=interval),
    )


def intervals(grades: Iterable[int]) -> Iterator[int]:
    """The interval after each answer of a history starting from a new state: what
    ``review`` gives, without building a state per answer (the scheduler check
    asks it of thousands of histories). It depends on the grades alone."""
    repetitions, easiness, interval = 0, INITIAL_EASINESS, 0
    for quality in grades:
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 5:
            raise ValueError(f"quality must be an integer 0-5, got {quality!r}")
        if quality < PASSING_QUALITY:
            repetitions, interval = 0, 1
        else:
            if repetitions == 0:
                interval = 1
            elif repetitions == 1:
                interval = 6
            else:
                interval = min(MAX_INTERVAL_DAYS, math.ceil(interval * easiness))
            repetitions += 1
            easiness = updated_easiness(easiness, quality)
        yield interval


def lapses_reach(before: int, after: int, threshold: int) -> bool:
    """True for the one answer whose lapse takes a card's lapse count (over both
    directions) from below the leech threshold to it."""
    return before < threshold <= after


class SM2:
    """SM-2 as a ``Scheduler`` (see ``trainer.core.scheduler``); it holds no settings."""

    name = "sm2"

    def new_state(self) -> SM2State:
        return SM2State()

    def review(self, state: SM2State, grade: int, today: dt.date) -> SM2State:
        if type(state) is not SM2State:  # another scheduler's state (FSRS's): its SM-2 part
            state = SM2State(
                state.repetitions, state.easiness, state.interval, state.due, state.lapses
            )
        return review(state, grade, today)

    def phase(self, state: SM2State) -> Phase:
        """New until first answered; learning for the first two successes (1 and
        6 days); then young until the interval reaches the mature threshold."""
        if state.due is None:
            return Phase.NEW
        if state.repetitions < 2:
            return Phase.LEARNING
        return Phase.YOUNG if state.interval < MATURE_INTERVAL_DAYS else Phase.MATURE
