"""How well a predicted probability of recall matched what happened.

The scheduler check (``trainer stats --json`` key ``scheduler_check``, the
Progress screen) scores each predictor on the learner's own past answers with
three figures: log loss (lower is better; a constant 0.9 on a learner who
recalls 90 % scores 0.325), AUC (how well the predictions rank recalled above
forgotten answers; 0.5 is chance, None when every answer had the same
outcome) and calibration bins (mean prediction against the actual rate, per
tenth of the probability range). Pure and deterministic.

``judged_answers`` turns a review log into the answers a predictor can be
judged on, and ``split_day`` picks the day that separates the answers a
model may learn from (earlier) from those it is judged on (that day and later).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from trainer.core.model import SCHEDULING_MODES, Direction, ReviewRecord
from trainer.core.sm2 import PASSING_QUALITY

__all__ = [
    "Answer",
    "CalibrationBin",
    "Histories",
    "JudgedAnswer",
    "Score",
    "auc",
    "calibration",
    "card_histories",
    "judged_answers",
    "log_loss",
    "score",
    "split_day",
]

#: Predictions are kept this far off 0 and 1, so one confident miss costs a finite loss.
EPSILON = 1e-6
#: Calibration bins: tenths of the probability range.
BINS = 10


def _clamped(p: float) -> float:
    if math.isnan(p):
        return 0.5
    return min(1 - EPSILON, max(EPSILON, p))


def log_loss(predictions: Sequence[float], outcomes: Sequence[bool]) -> float | None:
    """Mean negative log-likelihood of the outcomes; None for no answers."""
    if not predictions:
        return None
    total = 0.0
    for p, recalled in zip(predictions, outcomes, strict=True):
        q = _clamped(p)
        total -= math.log(q if recalled else 1 - q)
    return total / len(predictions)


def auc(predictions: Sequence[float], outcomes: Sequence[bool]) -> float | None:
    """The area under the ROC curve, by ranks (ties share their mean rank).

    It is the chance that a recalled answer got a higher prediction than a
    forgotten one; None when there are no answers of one kind.
    """
    positives = sum(1 for recalled in outcomes if recalled)
    negatives = len(outcomes) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(predictions)), key=lambda i: predictions[i])
    rank_sum = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and predictions[order[end + 1]] == predictions[order[start]]:
            end += 1
        mean_rank = (start + end) / 2 + 1
        rank_sum += mean_rank * sum(1 for i in order[start : end + 1] if outcomes[i])
        start = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@dataclass(frozen=True)
class CalibrationBin:
    """The answers whose prediction fell in [low, high): what was predicted and what happened."""

    low: float
    high: float
    reviews: int
    predicted: float
    actual: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "low": round(self.low, 2),
            "high": round(self.high, 2),
            "reviews": self.reviews,
            "predicted": round(self.predicted, 4),
            "actual": round(self.actual, 4),
        }


def calibration(
    predictions: Sequence[float], outcomes: Sequence[bool], bins: int = BINS
) -> list[CalibrationBin]:
    """Mean prediction and actual recall rate per bin; empty bins are left out."""
    sums: dict[int, list[float]] = defaultdict(lambda: [0, 0.0, 0])
    for p, recalled in zip(predictions, outcomes, strict=True):
        index = min(bins - 1, max(0, int(p * bins)))
        tally = sums[index]
        tally[0] += 1
        tally[1] += p
        tally[2] += 1 if recalled else 0
    return [
        CalibrationBin(
            low=index / bins,
            high=(index + 1) / bins,
            reviews=int(count),
            predicted=total / count,
            actual=hits / count,
        )
        for index, (count, total, hits) in sorted(sums.items())
    ]


@dataclass(frozen=True)
class Score:
    """One predictor's figures on the answers it was judged on."""

    reviews: int
    log_loss: float | None
    auc: float | None
    calibration: tuple[CalibrationBin, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "reviews": self.reviews,
            "log_loss": round(self.log_loss, 4) if self.log_loss is not None else None,
            "auc": round(self.auc, 4) if self.auc is not None else None,
            "calibration": [b.to_dict() for b in self.calibration],
        }


def score(predictions: Sequence[float], outcomes: Sequence[bool]) -> Score:
    return Score(
        reviews=len(predictions),
        log_loss=log_loss(predictions, outcomes),
        auc=auc(predictions, outcomes),
        calibration=tuple(calibration(predictions, outcomes)),
    )


# --------------------------------------------------------------------------- the log


#: One answer that moved a schedule, as the check needs it: (study day, grade 0-5).
Answer = tuple[dt.date, int]
#: Each card direction's scheduling answers in time order.
Histories = Mapping[tuple[str, Direction], Sequence[Answer]]


def card_histories(reviews: Iterable[ReviewRecord]) -> dict[tuple[str, Direction], list[Answer]]:
    """Each card direction's answers that moved its schedule, in the log's (time) order."""
    histories: dict[tuple[str, Direction], list[Answer]] = defaultdict(list)
    for record in reviews:
        if record.mode in SCHEDULING_MODES:
            histories[(record.card_id, record.direction)].append((record.day, record.grade))
    return dict(histories)


class JudgedAnswer(NamedTuple):
    """An answer some days after the previous one of its card direction: a
    prediction of it can be judged. ``index`` is its place in the card's history.
    (A named tuple: the check makes tens of thousands, five times faster than a
    frozen dataclass.)"""

    key: tuple[str, Direction]
    index: int
    day: dt.date
    elapsed_days: int
    recalled: bool


def judged_answers(histories: Histories) -> list[JudgedAnswer]:
    """Every answer on a later day than its card direction's previous one, by day.

    A first answer has nothing to predict it from, and a second answer on the
    same day measures the short term that FSRS and SM-2 do not schedule.
    """
    found = []
    for key, history in histories.items():
        for index in range(1, len(history)):
            day, grade = history[index]
            elapsed = (day - history[index - 1][0]).days
            if elapsed > 0:
                found.append(JudgedAnswer(key, index, day, elapsed, grade >= PASSING_QUALITY))
    found.sort(key=lambda answer: (answer.day, answer.key, answer.index))
    return found


def split_day(answers: Sequence[JudgedAnswer], share_judged: float = 1 / 3) -> dt.date | None:
    """The first day of the judged part: about the last ``share_judged`` of the
    answers, cut at a day boundary so no day is on both sides. None for no answers."""
    if not answers:
        return None
    return answers[min(len(answers) - 1, int(len(answers) * (1 - share_judged)))].day
