"""FSRS (py-fsrs 6) as a ``Scheduler``, and its parameters fitted to the learner's log.

The scheduler protocol is day-based: an answer comes with its study day.
py-fsrs wants UTC instants, so a study day is handed over as that day at a
fixed hour (``ANSWER_HOUR``); the days between two answers, which is all FSRS
uses, then come out exact and a replay never depends on the clock or the
time zone. Learning and relearning steps are left out (same-day re-asks are
this trainer's drills, which never move a state), so every answer schedules
whole days, and interval fuzz is off: a replay of the same log gives the same
schedule every time.

Parameters are fitted with the Rust optimizer (``fsrs-rs-python``) on the
answers that FSRS can learn from: each answer on a later day than its card
direction's previous one, with the history before it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import fsrs

from trainer.core.calibration import Answer, Histories, JudgedAnswer
from trainer.core.fsrs6 import FSRS6
from trainer.core.memory import (
    FSRSState,
    counts_after,
    interval_phase,
    last_review_day,
    rating_of_grade,
)
from trainer.core.model import Direction
from trainer.core.scheduler import Phase
from trainer.core.sm2 import MAX_INTERVAL_DAYS, SM2State

__all__ = [
    "DEFAULT_PARAMETERS",
    "MIN_REVIEWS_TO_FIT",
    "FSRSScheduler",
    "Fit",
    "fit_parameters",
    "fsrs_items",
    "memory_states",
    "recall_before",
]

#: The hour (UTC) a study day's answers are placed at for py-fsrs.
ANSWER_HOUR = 12
#: FSRS-6's default parameters, as py-fsrs ships them.
DEFAULT_PARAMETERS: tuple[float, ...] = tuple(fsrs.scheduler.DEFAULT_PARAMETERS)
#: Fewer answers to learn from than this, and the default parameters are kept:
#: 21 parameters fitted to a few hundred answers describe the noise, not the learner.
MIN_REVIEWS_TO_FIT = 400


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, ANSWER_HOUR, tzinfo=dt.UTC)


class FSRSScheduler:
    """FSRS through py-fsrs, as a ``trainer.core.scheduler.Scheduler``."""

    name = "fsrs"

    def __init__(
        self, parameters: Sequence[float] | None = None, desired_retention: float = 0.9
    ) -> None:
        self.parameters = tuple(parameters) if parameters is not None else DEFAULT_PARAMETERS
        self.desired_retention = desired_retention
        self._fsrs = fsrs.Scheduler(
            parameters=self.parameters,
            desired_retention=desired_retention,
            learning_steps=(),
            relearning_steps=(),
            maximum_interval=MAX_INTERVAL_DAYS,
            enable_fuzzing=False,
        )  # checks the parameters' bounds; ``review`` computes with ``_model``
        self._model = FSRS6(self.parameters, desired_retention, MAX_INTERVAL_DAYS)

    @property
    def signature(self) -> str:
        """Names the schedule this scheduler gives: states cached under another are replayed."""
        digest = hashlib.sha256(json.dumps(list(self.parameters)).encode()).hexdigest()[:16]
        return f"fsrs:{self.desired_retention:.2f}:{digest}"

    def new_state(self) -> FSRSState:
        return FSRSState()

    def _card(self, state: SM2State) -> fsrs.Card | None:
        """py-fsrs's card for a state; None for a new one (what ``review`` and
        ``recall`` compute on, kept to check them against py-fsrs)."""
        if state.due is None:
            return None
        stability, difficulty = self._memory(state)
        last = last_review_day(state)
        assert last is not None
        return fsrs.Card(
            card_id=0,
            state=fsrs.State.Review,
            step=None,
            stability=stability,
            difficulty=difficulty,
            due=_instant(state.due),
            last_review=_instant(last),
        )

    def _from_sm2(self, state: SM2State) -> tuple[float, float]:
        """A memory state for an SM-2 state met without one (a database whose
        states were cached by SM-2 while this setting changed): FSRS's own
        conversion from ease and interval, as Anki does on switching."""
        from fsrs_rs_python import FSRS

        memory = FSRS(list(self.parameters)).memory_state_from_sm2(
            state.easiness, float(max(1, state.interval)), 0.9
        )
        return memory.stability, memory.difficulty

    def _memory(self, state: SM2State) -> tuple[float, float]:
        """The (stability, difficulty) of an answered state, converted from SM-2's
        ease and interval when it has none."""
        stability = getattr(state, "stability", None)
        difficulty = getattr(state, "difficulty", None)
        if stability is None or difficulty is None:
            return self._from_sm2(state)
        return stability, difficulty

    def review(self, state: SM2State, grade: int, today: dt.date) -> FSRSState:
        """py-fsrs's ``review_card`` on the card ``_card`` builds, computed by
        ``trainer.core.fsrs6`` without py-fsrs's objects (the same figures)."""
        rating = rating_of_grade(grade)
        if state.due is None:
            stability, difficulty, interval = self._model.review(None, None, 0, rating)
        else:
            memory = self._memory(state)
            elapsed = (today - (state.due - dt.timedelta(days=state.interval))).days
            stability, difficulty, interval = self._model.review(*memory, elapsed, rating)
        repetitions, easiness, lapses = counts_after(state, grade)
        return FSRSState(
            repetitions=repetitions,
            easiness=easiness,
            interval=interval,
            due=today + dt.timedelta(days=interval),
            lapses=lapses,
            stability=stability,
            difficulty=difficulty,
        )

    def phase(self, state: SM2State) -> Phase:
        return interval_phase(state)

    def interval_for(self, stability: float) -> int:
        """Whole days until recall falls to the desired retention (FSRS-6's interval,
        rounded and bounded as py-fsrs does)."""
        return self._model.interval(stability)

    def recall(self, state: SM2State, today: dt.date) -> float | None:
        """FSRS's predicted probability of recalling the card direction on ``today``;
        None for a new one."""
        if state.due is None:
            return None
        # py-fsrs's get_card_retrievability on the card ``_card`` builds, without
        # building it (the forecast asks this of every simulated answer).
        elapsed = (today - (state.due - dt.timedelta(days=state.interval))).days
        return self._model.retrievability(self._memory(state)[0], elapsed)


# --------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class Fit:
    """Parameters for the learner, and why: fitted, or the defaults and the reason."""

    parameters: tuple[float, ...]
    reviews: int
    fitted: bool
    reason: str


def _item(
    history: Sequence[Answer], before: dt.date | None = None
) -> tuple[list[object], list[int]]:
    """The Rust optimizer's reviews of one history (rating, days since the previous
    answer) and those day counts, which its review objects do not expose."""
    from fsrs_rs_python import FSRSReview

    reviews: list[object] = []
    deltas: list[int] = []
    previous: dt.date | None = None
    for day, grade in history:
        if before is not None and day >= before:
            break
        delta = (day - previous).days if previous is not None else 0
        reviews.append(FSRSReview(rating_of_grade(grade), delta))
        deltas.append(delta)
        previous = day
    return reviews, deltas


def fsrs_items(
    histories: Iterable[Sequence[Answer]], before: dt.date | None = None
) -> list[object]:
    """The Rust optimizer's training items: for every answer on a later day than
    its card direction's previous one (and before ``before``, if given), that
    answer with the history leading to it."""
    from fsrs_rs_python import FSRSItem

    items: list[object] = []
    for history in histories:
        reviews, deltas = _item(history, before)
        items += [FSRSItem(reviews[: i + 1]) for i in range(1, len(reviews)) if deltas[i] > 0]
    return items


def memory_states(
    scheduler: FSRSScheduler,
    histories: Mapping[tuple[str, Direction], Sequence[Answer]],
    counts: Mapping[tuple[str, Direction], SM2State],
) -> dict[tuple[str, Direction], FSRSState]:
    """FSRS's state of each history without replaying it through py-fsrs: the memory
    state from the Rust batch, the due day from the last answer and ``interval_for``,
    and the repetition, lapse and ease counts from ``counts`` (another scheduler's
    states of the same log: they depend on the grades alone)."""
    from fsrs_rs_python import FSRS, FSRSItem

    keys = [key for key, history in histories.items() if history]
    items = [FSRSItem(_item(histories[key])[0]) for key in keys]
    batch = FSRS(list(scheduler.parameters)).memory_state_batch(items) if items else []
    found = {key: FSRSState() for key in histories}
    for key, memory in zip(keys, batch, strict=True):
        base = counts.get(key, SM2State())
        interval = scheduler.interval_for(memory.stability)
        last = histories[key][-1][0]
        found[key] = FSRSState(
            repetitions=base.repetitions,
            easiness=base.easiness,
            interval=interval,
            due=last + dt.timedelta(days=interval),
            lapses=base.lapses,
            stability=memory.stability,
            difficulty=memory.difficulty,
        )
    return found


def recall_before(
    parameters: Sequence[float], histories: Histories, wanted: Iterable[JudgedAnswer]
) -> dict[tuple[tuple[str, Direction], int], float]:
    """FSRS's predicted recall of each wanted answer from the history before it.

    The memory states come from the Rust implementation in one batch (the same
    FSRS-6 as py-fsrs, to float precision; 40 times faster on a long log), and
    recall from FSRS-6's forgetting curve at the days elapsed since the previous answer.
    """
    from fsrs_rs_python import FSRS, FSRSItem

    by_card: dict[tuple[str, Direction], list[JudgedAnswer]] = {}
    for answer in wanted:
        by_card.setdefault(answer.key, []).append(answer)
    keys = list(by_card)
    items = [FSRSItem(_item(histories[key])[0]) for key in keys]
    states = FSRS(list(parameters)).historical_memory_state_batch(items) if items else []
    decay = parameters[20]
    factor = 0.9 ** (-1 / decay) - 1
    found = {}
    for key, memory in zip(keys, states, strict=True):
        for answer in by_card[key]:
            stability = memory[answer.index - 1].stability
            found[(key, answer.index)] = (1 + factor * answer.elapsed_days / stability) ** -decay
    return found


def _within_bounds(parameters: Sequence[float]) -> tuple[float, ...]:
    """The optimizer works in 32-bit floats; py-fsrs checks its bounds exactly."""
    low = fsrs.scheduler.LOWER_BOUNDS_PARAMETERS
    high = fsrs.scheduler.UPPER_BOUNDS_PARAMETERS
    return tuple(
        round(min(h, max(lo, float(p))), 6) for p, lo, h in zip(parameters, low, high, strict=True)
    )


def fit_parameters(
    histories: Histories,
    before: dt.date | None = None,
    minimum: int = MIN_REVIEWS_TO_FIT,
) -> Fit:
    """FSRS's parameters fitted to the answers before ``before`` (all, if None);
    the defaults, with the reason, when there are fewer than ``minimum`` to learn from."""
    items = fsrs_items(histories.values(), before)
    if len(items) < minimum:
        return Fit(
            DEFAULT_PARAMETERS,
            len(items),
            False,
            f"{len(items)} answers to learn from, fewer than {minimum}: "
            "FSRS's default parameters are used",
        )
    from fsrs_rs_python import FSRS

    try:
        fitted = FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(items)
    except Exception as error:  # the optimizer is a native extension: any failure means "no fit"
        return Fit(
            DEFAULT_PARAMETERS,
            len(items),
            False,
            f"the optimizer could not fit {len(items)} answers ({error}): "
            "FSRS's default parameters are used",
        )
    if len(fitted) != len(DEFAULT_PARAMETERS):
        return Fit(
            DEFAULT_PARAMETERS,
            len(items),
            False,
            f"the optimizer returned {len(fitted)} parameters, not {len(DEFAULT_PARAMETERS)}: "
            "FSRS's default parameters are used",
        )
    return Fit(
        _within_bounds(fitted),
        len(items),
        True,
        f"fitted to {len(items)} answers",
    )
