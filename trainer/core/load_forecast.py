"""What a scheduler would ask of the learner: the daily review load, simulated ahead.

The forecast on Progress and in ``trainer stats --json`` (``scheduler_forecast``)
runs each scheduler forward from the states it gives today's log, with the same
learner: whether an answer is recalled is drawn from a memory model (FSRS's
predicted recall, fitted to the learner when there are enough reviews) with a
seeded generator, so the figures are reproducible and both schedulers meet
the same luck. New cards come in at the daily allowance while any are left.
Recalled answers are graded 4, forgotten ones 1. Pure: the schedulers and the
memory model are passed in.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from trainer.core.scheduler import Scheduler

__all__ = ["FORGOTTEN_GRADE", "RECALLED_GRADE", "simulate_load"]

RECALLED_GRADE = 4
FORGOTTEN_GRADE = 1


def simulate_load(
    cards: Sequence[tuple[Any, Any]],
    scheduler: Scheduler[Any],
    model: Scheduler[Any],
    recall: Callable[[Any, dt.date], float],
    today: dt.date,
    days: int,
    *,
    new_cards: int = 0,
    new_per_day: int = 0,
    seed: int = 0,
) -> list[int]:
    """Reviews due on each of the ``days`` from today (first answers of new cards
    not counted), for ``cards`` given as (scheduler's state, model's state).

    When ``scheduler is model`` a card has one state, which both roles read.
    Everything overdue today is reviewed today: a switch's backlog shows on day one.
    """
    rng = random.Random(seed)
    same = scheduler is model
    states: list[list[Any]] = [[s, m] for s, m in cards]
    by_day: dict[dt.date, list[int]] = defaultdict(list)
    for index, (state, _) in enumerate(states):
        if state.due is not None:
            by_day[max(state.due, today)].append(index)
    loads: list[int] = []
    left = new_cards
    for offset in range(days):
        day = today + dt.timedelta(days=offset)
        due = by_day.pop(day, [])
        fresh = min(left, new_per_day)
        left -= fresh
        for _ in range(fresh):
            states.append([scheduler.new_state(), None if same else model.new_state()])
            due.append(len(states) - 1)
        loads.append(len(due) - fresh)
        for index in due:
            pair = states[index]
            memory = pair[0] if same else pair[1]
            first = memory.due is None
            recalled = (not first) and rng.random() < recall(memory, day)
            grade = RECALLED_GRADE if recalled or first else FORGOTTEN_GRADE
            pair[0] = scheduler.review(pair[0], grade, day)
            if not same:
                pair[1] = model.review(pair[1], grade, day)
            by_day[max(pair[0].due, day + dt.timedelta(days=1))].append(index)
    return loads
