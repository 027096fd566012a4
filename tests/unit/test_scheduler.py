"""The scheduler protocol: SM-2 behind it, phases from one threshold, replay from the log."""

from __future__ import annotations

import datetime as dt

import pytest

from trainer.core.model import Direction, Mode, ReviewRecord
from trainer.core.replay import replay
from trainer.core.scheduler import MATURE_INTERVAL_DAYS, Phase, Scheduler
from trainer.core.sm2 import SM2, SM2State, review

DAY = dt.date(2026, 3, 4)


def record(grade: int, day: dt.date, mode: Mode = Mode.STUDY, card: str = "d/a") -> ReviewRecord:
    at = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
    return ReviewRecord(
        id=f"{card}-{day}-{grade}-{mode}",
        card_id=card,
        direction=Direction.FORWARD,
        answered_at=at,
        day=day,
        grade=grade,
        mode=mode,
        response_ms=None,
        before=SM2State(),
        after=SM2State(),
    )


@pytest.mark.parametrize(
    ("state", "phase"),
    [
        (SM2State(), Phase.NEW),
        (SM2State(repetitions=0, interval=1, due=DAY), Phase.LEARNING),
        (SM2State(repetitions=1, interval=1, due=DAY), Phase.LEARNING),
        (SM2State(repetitions=2, interval=6, due=DAY), Phase.YOUNG),
        (SM2State(repetitions=3, interval=MATURE_INTERVAL_DAYS - 1, due=DAY), Phase.YOUNG),
        (SM2State(repetitions=3, interval=MATURE_INTERVAL_DAYS, due=DAY), Phase.MATURE),
    ],
    ids=["new", "failed", "one-success", "two-successes", "just-young", "mature"],
)
def test_sm2_phases(state: SM2State, phase: Phase) -> None:
    assert SM2().phase(state) is phase


def test_sm2_is_a_scheduler_and_reviews_as_the_published_function() -> None:
    scheduler: Scheduler[SM2State] = SM2()
    assert scheduler.name == "sm2"
    assert scheduler.new_state() == SM2State()
    state = SM2State()
    for grade in (4, 5, 3, 1, 4):
        assert scheduler.review(state, grade, DAY) == review(state, grade, DAY)
        state = review(state, grade, DAY)


def test_replay_applies_answers_in_order_and_skips_drills() -> None:
    days = [DAY + dt.timedelta(days=n) for n in (0, 1, 7)]
    log = [
        record(4, days[0]),
        record(1, days[0], Mode.DRILL),
        record(5, days[1]),
        record(2, days[2], Mode.QUIZ),
        record(3, days[0], card="d/b"),
    ]
    states = replay(SM2(), log)
    expected = review(review(review(SM2State(), 4, days[0]), 5, days[1]), 2, days[2])
    assert states[("d/a", Direction.FORWARD)].state == expected
    assert states[("d/a", Direction.FORWARD)].last_answer == log[3].answered_at
    assert states[("d/b", Direction.FORWARD)].state == review(SM2State(), 3, days[0])


def test_a_log_of_drills_only_leaves_no_state() -> None:
    assert replay(SM2(), [record(1, DAY, Mode.DRILL)]) == {}
