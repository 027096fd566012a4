"""The pure FSRS-6 step gives py-fsrs's figures exactly, on random histories."""

from __future__ import annotations

import datetime as dt
import random

import fsrs
import pytest

from tests.unit.test_fsrs_scheduler import random_scheduled_state
from trainer.app.fsrs_scheduler import DEFAULT_PARAMETERS, FSRSScheduler, _instant
from trainer.core.fsrs6 import FSRS6
from trainer.core.memory import FSRSState
from trainer.core.sm2 import MAX_INTERVAL_DAYS

START = dt.date(2026, 1, 1)


def random_parameters(rng: random.Random) -> tuple[float, ...]:
    low = fsrs.scheduler.LOWER_BOUNDS_PARAMETERS
    high = fsrs.scheduler.UPPER_BOUNDS_PARAMETERS
    return tuple(rng.uniform(lo, min(hi, lo + 50)) for lo, hi in zip(low, high, strict=True))


def py_fsrs(parameters: tuple[float, ...], retention: float) -> fsrs.Scheduler:
    return fsrs.Scheduler(
        parameters=parameters,
        desired_retention=retention,
        learning_steps=(),
        relearning_steps=(),
        maximum_interval=MAX_INTERVAL_DAYS,
        enable_fuzzing=False,
    )


@pytest.mark.parametrize("seed", range(6))
def test_each_step_is_py_fsrs_to_the_last_bit(seed: int) -> None:
    rng = random.Random(seed)
    parameters = DEFAULT_PARAMETERS if seed == 0 else random_parameters(rng)
    retention = rng.uniform(0.7, 0.97)
    mine = FSRS6(parameters, retention, MAX_INTERVAL_DAYS)
    theirs = py_fsrs(parameters, retention)
    for _ in range(40):
        day = START
        card = fsrs.Card(card_id=0, due=_instant(day))
        stability = difficulty = None
        for _ in range(rng.randint(1, 25)):
            rating = rng.choice((1, 2, 3, 3, 3, 4))
            elapsed = (day - card.last_review.date()).days if card.last_review else 0
            card, _ = theirs.review_card(card, fsrs.Rating(rating), _instant(day))
            stability, difficulty, interval = mine.review(stability, difficulty, elapsed, rating)
            assert (stability, difficulty) == (card.stability, card.difficulty)
            assert interval == (card.due - _instant(day)).days
            # the next answer on time, early, the same day or late
            day += dt.timedelta(days=rng.choice((interval, 0, rng.randint(0, 3 * interval))))


def test_the_scheduler_reviews_as_py_fsrs_does_from_fsrs_and_sm2_states() -> None:
    rng = random.Random(3)
    scheduler = FSRSScheduler(random_parameters(rng), desired_retention=0.85)
    for _ in range(300):
        state = random_scheduled_state(rng, START, lapses=1)
        today = state.due + dt.timedelta(days=rng.randint(-state.interval, 300))
        grade = rng.randint(0, 5)
        after = scheduler.review(state, grade, today)
        card = scheduler._card(state)
        assert card is not None
        rating = fsrs.Rating(max(1, grade - 1))
        want, _ = scheduler._fsrs.review_card(card, rating, _instant(today))
        assert (after.stability, after.difficulty) == (want.stability, want.difficulty)
        assert after.due == want.due.date()
    first = scheduler.review(FSRSState(), 4, START)
    want, _ = scheduler._fsrs.review_card(fsrs.Card(card_id=0, due=_instant(START)), 3)
    assert (first.stability, first.difficulty) == (want.stability, want.difficulty)


def test_it_takes_21_parameters() -> None:
    with pytest.raises(ValueError, match="21 parameters"):
        FSRS6(DEFAULT_PARAMETERS[:19], 0.9, 100)
