"""FSRS-6's update of one memory state by one answer, as plain arithmetic.

The application's FSRS scheduler (``trainer.app.fsrs_scheduler``) follows
py-fsrs 6 with no learning or relearning steps and no fuzz. py-fsrs copies a
card object and builds datetimes and a review log for every answer, which was
most of the cost of the load forecast (tens of thousands of simulated
answers). These are the same formulas, in the same order of floating-point
operations, on plain floats: ``tests/unit/test_fsrs6.py`` checks them against
py-fsrs on random histories, to the last bit.

Ratings are py-fsrs's numbers: 1 Again, 2 Hard, 3 Good, 4 Easy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["FSRS6", "MAX_DIFFICULTY", "MIN_DIFFICULTY", "STABILITY_MIN"]

STABILITY_MIN = 0.001
MIN_DIFFICULTY = 1.0
MAX_DIFFICULTY = 10.0
_E = math.e
_AGAIN, _HARD, _EASY = 1, 2, 4


class FSRS6:
    """FSRS-6 with 21 parameters, scheduling at ``desired_retention``."""

    __slots__ = ("decay", "desired_retention", "factor", "maximum_interval", "parameters")

    def __init__(
        self, parameters: Sequence[float], desired_retention: float, maximum_interval: int
    ) -> None:
        if len(parameters) != 21:
            raise ValueError(f"FSRS-6 takes 21 parameters, got {len(parameters)}")
        self.parameters = tuple(parameters)
        self.desired_retention = desired_retention
        self.maximum_interval = maximum_interval
        self.decay = -self.parameters[20]
        self.factor = 0.9 ** (1 / self.decay) - 1

    def review(
        self, stability: float | None, difficulty: float | None, elapsed: int, rating: int
    ) -> tuple[float, float, int]:
        """(stability, difficulty, interval in days) after an answer ``elapsed`` whole
        days after the previous one; a first answer when ``stability`` or
        ``difficulty`` is None (``elapsed`` is then not read)."""
        w = self.parameters
        if stability is None or difficulty is None:
            stability = max(w[rating - 1], STABILITY_MIN)
            difficulty = _clamp(self._initial_difficulty(rating))
        else:
            if elapsed < 1:
                stability = self._short_term(stability, rating)
            else:
                stability = self._next_stability(difficulty, stability, elapsed, rating)
            difficulty = self._next_difficulty(difficulty, rating)
        return stability, difficulty, self.interval(stability)

    def interval(self, stability: float) -> int:
        """Whole days until recall falls to the desired retention, at least one."""
        days = (stability / self.factor) * ((self.desired_retention ** (1 / self.decay)) - 1)
        return min(max(round(days), 1), self.maximum_interval)

    def retrievability(self, stability: float, elapsed: int) -> float:
        return (1 + self.factor * max(0, elapsed) / stability) ** self.decay

    def _initial_difficulty(self, rating: int) -> float:
        w = self.parameters
        return w[4] - (_E ** (w[5] * (rating - 1))) + 1

    def _short_term(self, stability: float, rating: int) -> float:
        w = self.parameters
        increase = (_E ** (w[17] * (rating - 3 + w[18]))) * (stability ** -w[19])
        if rating != _AGAIN:
            increase = max(increase, 1.0)
        return max(stability * increase, STABILITY_MIN)

    def _next_difficulty(self, difficulty: float, rating: int) -> float:
        w = self.parameters
        easy = self._initial_difficulty(_EASY)
        delta = -(w[6] * (rating - 3))
        damped = difficulty + (10.0 - difficulty) * delta / 9.0
        return _clamp(w[7] * easy + (1 - w[7]) * damped)

    def _next_stability(
        self, difficulty: float, stability: float, elapsed: int, rating: int
    ) -> float:
        w = self.parameters
        recall = self.retrievability(stability, elapsed)
        if rating == _AGAIN:
            long_term = (
                w[11]
                * (difficulty ** -w[12])
                * (((stability + 1) ** (w[13])) - 1)
                * (_E ** ((1 - recall) * w[14]))
            )
            short_term = stability / (_E ** (w[17] * w[18]))
            result = min(long_term, short_term)
        else:
            hard_penalty = w[15] if rating == _HARD else 1
            easy_bonus = w[16] if rating == _EASY else 1
            result = stability * (
                1
                + (_E ** (w[8]))
                * (11 - difficulty)
                * (stability ** -w[9])
                * ((_E ** ((1 - recall) * w[10])) - 1)
                * hard_penalty
                * easy_bonus
            )
        return max(result, STABILITY_MIN)


def _clamp(difficulty: float) -> float:
    return min(max(difficulty, MIN_DIFFICULTY), MAX_DIFFICULTY)
