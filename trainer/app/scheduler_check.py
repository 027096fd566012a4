"""FSRS against SM-2 on the learner's own log: fitting, the check and the forecast.

``optimize`` fits FSRS's parameters to the whole log and keeps them (then the
states are replayed with them when FSRS schedules). ``check`` judges three
predictions of recall on the answers of the last third of the log: FSRS with
parameters fitted only to the answers before that (the defaults when those are
too few), a constant (the recall rate before that), and SM-2's implied
prediction (``trainer.core.memory.sm2_implied_recall``). ``load_forecast``
runs both schedulers ahead from today's states with the same simulated learner.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trainer.app.fsrs_scheduler import (
    MIN_REVIEWS_TO_FIT,
    Fit,
    FSRSScheduler,
    fit_parameters,
)
from trainer.app.progress_view import NO_DATA, Section
from trainer.core.calibration import (
    JudgedAnswer,
    Score,
    card_histories,
    judged_answers,
    score,
    split_day,
)
from trainer.core.load_forecast import simulate_load
from trainer.core.memory import sm2_implied_recall
from trainer.core.model import Direction, ReviewRecord
from trainer.core.replay import replay
from trainer.core.sm2 import SM2
from trainer.core.text import count_text

if TYPE_CHECKING:
    from trainer.app.trainer import Trainer

__all__ = [
    "FORECAST_DAYS",
    "LoadForecast",
    "SchedulerCheck",
    "check",
    "load_forecast",
    "optimize",
]

#: The forecast looks this many days ahead.
FORECAST_DAYS = 30
#: The generator behind the forecast's simulated answers: the same figures every time.
FORECAST_SEED = 20
PREDICTORS = ("fsrs", "sm2", "constant")


def _log(trainer: Trainer, decks: Sequence[str] | None = None) -> list[ReviewRecord]:
    """The answers that count, in time order, of the chosen decks (None: all)."""
    records = trainer.store.all_reviews()
    if decks is None:
        return list(records)
    chosen = set(decks)
    return [r for r in records if r.card_id.split("/", 1)[0] in chosen]


# --------------------------------------------------------------------------- optimize


def optimize(trainer: Trainer) -> Fit:
    """Fit FSRS to the whole log and keep the fit; below the minimum, keep the defaults
    (nothing is stored) and say why. FSRS's states are replayed if it schedules."""
    reviews = _log(trainer)
    fit = fit_parameters(reviews)
    if fit.fitted:
        last = max((r.day for r in reviews), default=None)
        trainer.store.record_fit("fsrs", fit.parameters, fit.reviews, last, trainer.now())
        trainer.use_scheduler(trainer.settings)
    return fit


def enough_to_optimize(trainer: Trainer) -> bool:
    """Whether ``optimize`` would fit rather than keep the defaults (Progress offers it then)."""
    answers = judged_answers(card_histories(trainer.store.all_reviews()))
    return len(answers) >= MIN_REVIEWS_TO_FIT


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class SchedulerCheck:
    """Each predictor's score on the judged answers, and how the split was made."""

    scores: dict[str, Score]
    judged_from: dt.date | None
    trained_on: int
    fit_reason: str
    constant: float

    @property
    def reviews(self) -> int:
        return next(iter(self.scores.values())).reviews if self.scores else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "reviews": self.reviews,
            "judged_from": self.judged_from.isoformat() if self.judged_from else None,
            "trained_on": self.trained_on,
            "fsrs_parameters": self.fit_reason,
            "constant_prediction": round(self.constant, 4),
            **{name: self.scores[name].to_dict() for name in PREDICTORS},
        }


def check(
    trainer: Trainer, decks: Sequence[str] | None = None, share_judged: float = 1 / 3
) -> SchedulerCheck:
    """How well each predictor foresaw the answers of the last third of the log."""
    reviews = _log(trainer, decks)
    histories = card_histories(reviews)
    answers = judged_answers(histories)
    cut = split_day(answers, share_judged)
    earlier = [a for a in answers if cut is not None and a.day < cut]
    judged = [a for a in answers if cut is not None and a.day >= cut]
    fit = fit_parameters(reviews, before=cut) if cut is not None else fit_parameters([])
    constant = sum(a.recalled for a in earlier) / len(earlier) if earlier else 0.9
    fsrs = FSRSScheduler(fit.parameters, trainer.settings.desired_retention)
    predictions = {
        "fsrs": _fsrs_predictions(fsrs, histories, judged),
        "sm2": _sm2_predictions(histories, judged),
        "constant": [constant] * len(judged),
    }
    outcomes = [a.recalled for a in judged]
    return SchedulerCheck(
        scores={name: score(predictions[name], outcomes) for name in PREDICTORS},
        judged_from=cut,
        trained_on=fit.reviews,
        fit_reason=fit.reason,
        constant=constant,
    )


def _states_before(
    scheduler: Any, history: Sequence[ReviewRecord], wanted: set[int]
) -> dict[int, Any]:
    """The scheduler's state just before each wanted answer of one history."""
    found = {}
    state = scheduler.new_state()
    for index, record in enumerate(history):
        if index in wanted:
            found[index] = state
        state = scheduler.review(state, record.grade, record.day)
    return found


def _by_card(judged: Sequence[JudgedAnswer]) -> dict[tuple[str, Direction], set[int]]:
    wanted: dict[tuple[str, Direction], set[int]] = {}
    for answer in judged:
        wanted.setdefault(answer.key, set()).add(answer.index)
    return wanted


def _fsrs_predictions(
    fsrs: FSRSScheduler,
    histories: dict[tuple[str, Direction], list[ReviewRecord]],
    judged: Sequence[JudgedAnswer],
) -> list[float]:
    predicted: dict[tuple[tuple[str, Direction], int], float] = {}
    for key, indexes in _by_card(judged).items():
        history = histories[key]
        for index, state in _states_before(fsrs, history, indexes).items():
            predicted[(key, index)] = fsrs.recall(state, history[index].day) or 0.0
    return [predicted[(a.key, a.index)] for a in judged]


def _sm2_predictions(
    histories: dict[tuple[str, Direction], list[ReviewRecord]],
    judged: Sequence[JudgedAnswer],
) -> list[float]:
    sm2 = SM2()
    predicted: dict[tuple[tuple[str, Direction], int], float] = {}
    for key, indexes in _by_card(judged).items():
        for index, state in _states_before(sm2, histories[key], indexes).items():
            predicted[(key, index)] = state.interval
    return [sm2_implied_recall(a.elapsed_days, int(predicted[(a.key, a.index)])) for a in judged]


# --------------------------------------------------------------------------- the forecast


@dataclass(frozen=True)
class LoadForecast:
    """Reviews a day under each scheduler, from today, at the chosen retention."""

    start: dt.date
    loads: dict[str, list[int]]
    desired_retention: float
    new_per_day: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "days": len(next(iter(self.loads.values()), [])),
            "desired_retention": self.desired_retention,
            "new_per_day": self.new_per_day,
            **{name: {"per_day": load, "total": sum(load)} for name, load in self.loads.items()},
        }


def load_forecast(
    trainer: Trainer, decks: Sequence[str] | None = None, days: int = FORECAST_DAYS
) -> LoadForecast:
    """Both schedulers run ahead from the states each gives the log; whether an answer
    is recalled comes from FSRS's memory model (with the latest fit, if any)."""
    reviews = _log(trainer, decks)
    latest = trainer.store.latest_fit("fsrs")
    fsrs = FSRSScheduler(latest[0] if latest else None, trainer.settings.desired_retention)
    sm2 = SM2()
    memory = {key: r.state for key, r in replay(fsrs, reviews).items()}
    schedule = {key: r.state for key, r in replay(sm2, reviews).items()}
    studied = trainer.store.studied_keys(trainer.deck_directions(), decks)
    keys = sorted(key for key in memory if key in studied)
    new = _new_count(trainer, decks)
    common = {
        "today": trainer.today(),
        "days": days,
        "new_cards": new,
        "new_per_day": trainer.settings.new_per_day,
        "seed": FORECAST_SEED,
    }
    loads = {
        "sm2": simulate_load(
            [(schedule[k], memory[k]) for k in keys], sm2, fsrs, _recall(fsrs), **common
        ),
        "fsrs": simulate_load(
            [(memory[k], memory[k]) for k in keys], fsrs, fsrs, _recall(fsrs), **common
        ),
    }
    return LoadForecast(
        trainer.today(), loads, trainer.settings.desired_retention, trainer.settings.new_per_day
    )


def _recall(fsrs: FSRSScheduler) -> Any:
    def recall(state: Any, day: dt.date) -> float:
        return fsrs.recall(state, day) or 0.0

    return recall


def _new_count(trainer: Trainer, decks: Sequence[str] | None) -> int:
    counts = trainer.store.deck_counts(trainer.deck_directions(), trainer.today())
    chosen = counts if decks is None else {d: counts[d] for d in decks if d in counts}
    return sum(new for new, _, _ in chosen.values())


# --------------------------------------------------------------------------- sections

#: How each predictor of recall is named on screen.
PREDICTOR_NAMES = {"fsrs": "FSRS", "sm2": "SM-2 (implied)", "constant": "Constant"}
#: The note under the check wraps here, so a chart fits beside it.
NOTE_WIDTH = 64


def _figure(value: float | None) -> str:
    return NO_DATA if value is None else f"{value:.3f}"


def check_section(check: SchedulerCheck) -> Section:
    """Log loss and AUC of each predictor on the judged answers."""
    rows = tuple(
        (label, _figure(check.scores[name].log_loss), _figure(check.scores[name].auc))
        for name, label in PREDICTOR_NAMES.items()
    )
    return Section(
        "Predicted recall against your answers",
        ("Predictor", "Log loss", "AUC"),
        rows if check.reviews else (),
        frozenset({"Log loss", "AUC"}),
        empty="Not enough history yet: answers on two days or more per card are needed.",
    )


def check_note(check: SchedulerCheck) -> str:
    """What was judged and how, in lines of ``NOTE_WIDTH``; empty when nothing was."""
    if not check.reviews:
        return ""
    since = f" from {check.judged_from:%d %b %Y}" if check.judged_from else ""
    note = (
        f"{count_text(check.reviews, 'answer')} judged{since}. FSRS: {check.fit_reason}, "
        f"earlier answers only. Constant: the earlier recall rate, {check.constant:.0%}. "
        "Lower log loss and higher AUC are better."
    )
    return "\n".join(textwrap.wrap(note, NOTE_WIDTH))


def load_section(forecast: LoadForecast, scheduler: str) -> Section:
    """Reviews under each scheduler, week by week, at the chosen retention."""
    weeks = ("Week 1", "Week 2", "Week 3", "Week 4")
    rows = []
    for name, load in forecast.loads.items():
        label = "SM-2" if name == "sm2" else "FSRS"
        if name == scheduler:
            label += " (in use)"
        per_week = [sum(load[start : start + 7]) for start in range(0, 28, 7)]
        per_day = sum(load) / len(load) if load else 0.0
        rows.append((label, *(str(n) for n in per_week), f"{per_day:.1f}"))
    return Section(
        f"Review load ahead (FSRS at {forecast.desired_retention:.0%} retention)",
        ("Scheduler", *weeks, "Per day"),
        tuple(rows),
        frozenset({*weeks, "Per day"}),
    )
