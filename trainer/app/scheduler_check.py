"""FSRS against SM-2 on the learner's own log: fitting, the check and the forecast.

``optimize`` fits FSRS's parameters to the whole log and keeps them (then the
states are replayed with them when FSRS schedules). ``check`` judges three
predictions of recall on the answers of the last third of the log: FSRS with
parameters fitted only to the answers before that (the defaults when those are
too few), a constant (the recall rate before that), and SM-2's implied
prediction (``trainer.core.memory.sm2_implied_recall``). ``load_forecast``
runs both schedulers ahead from today's states with the same simulated learner.

Both read the whole log, which costs seconds on a million answers, so
``scheduler_report`` keeps the last result in the database with what it was
computed from (the log's last row and undos, the fit, the settings, the day)
and computes again only when one of those changed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from trainer.app.fsrs_scheduler import (
    MIN_REVIEWS_TO_FIT,
    Fit,
    FSRSScheduler,
    fit_parameters,
    memory_states,
    recall_before,
)
from trainer.app.progress_view import NO_DATA, Section
from trainer.core.calibration import (
    CalibrationBin,
    Histories,
    JudgedAnswer,
    Score,
    judged_answers,
    score,
    split_day,
)
from trainer.core.load_forecast import simulate_load
from trainer.core.memory import FSRSState, sm2_implied_recall
from trainer.core.model import Direction
from trainer.core.sm2 import SM2, SM2State
from trainer.core.sm2 import intervals as sm2_intervals
from trainer.core.text import count_text

if TYPE_CHECKING:
    from trainer.app.trainer import Trainer

__all__ = [
    "FORECAST_DAYS",
    "LoadForecast",
    "SchedulerCheck",
    "SchedulerReport",
    "check",
    "check_note",
    "check_section",
    "compute_scheduler_report",
    "load_forecast",
    "load_section",
    "optimize",
    "optimize_in_thread",
    "scheduler_report",
    "seeded_order",
]

#: The forecast looks this many days ahead.
FORECAST_DAYS = 30
#: The generator behind the forecast's simulated answers: the same figures every time.
FORECAST_SEED = 20
#: The forecast simulates at most this many studied card directions, scaled up to all.
FORECAST_SAMPLE = 2000
PREDICTORS = ("fsrs", "sm2", "constant")
#: The check reads at most this many card directions' histories (a seeded sample of
#: whole histories above it): enough for tight figures, and a large collection's first
#: ``trainer stats`` after studying stays quick.
CHECK_SAMPLE = 5000
#: ... and at most about this many answers: a log of long histories (a hard deck,
#: years of study) is sampled by answers, which the check's cost follows.
CHECK_ANSWERS = 20_000
#: Both samples (the check's and the forecast's) draw with this seed.
CHECK_SEED = 21
#: The forecast's sample stops at about this many answers too.
FORECAST_ANSWERS = 20_000
Key = tuple[str, Direction]
T = TypeVar("T")


# --------------------------------------------------------------------------- optimize


def optimize(trainer: Trainer) -> Fit:
    """Fit FSRS to the whole log and keep the fit; below the minimum, keep the defaults
    (nothing is stored) and say why. FSRS's states are replayed if it schedules."""
    histories = trainer.store.scheduling_answers()
    fit = fit_parameters(histories)
    if fit.fitted:
        last = max((day for history in histories.values() for day, _ in history), default=None)
        trainer.store.record_fit("fsrs", fit.parameters, fit.reviews, last, trainer.now())
        trainer.use_scheduler(trainer.settings)
    return fit


def optimize_in_thread(trainer: Trainer) -> Fit:
    """``optimize`` for a worker thread, on a connection of its own; the caller's
    trainer then picks the fit up with ``use_scheduler``."""
    reader = trainer.open_reader()
    if reader is None:
        return optimize(trainer)
    try:
        return optimize(reader)
    finally:
        reader.close()


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SchedulerCheck:
        scores = {
            name: Score(
                reviews=data[name]["reviews"],
                log_loss=data[name]["log_loss"],
                auc=data[name]["auc"],
                calibration=tuple(CalibrationBin(**b) for b in data[name]["calibration"]),
            )
            for name in PREDICTORS
        }
        judged_from = data["judged_from"]
        return cls(
            scores=scores,
            judged_from=dt.date.fromisoformat(judged_from) if judged_from else None,
            trained_on=data["trained_on"],
            fit_reason=data["fsrs_parameters"],
            constant=data["constant_prediction"],
        )


def check(
    trainer: Trainer,
    decks: Sequence[str] | None = None,
    share_judged: float = 1 / 3,
    histories: Histories | None = None,
    reader: HistoryReader | None = None,
) -> SchedulerCheck:
    """How well each predictor foresaw the answers of the last third of the log
    (``histories``: what ``_check_histories`` reads, when already read; ``reader``
    reads the sample's, shared with the forecast)."""
    if histories is None:
        histories = _check_histories(trainer, decks, reader)
    answers = judged_answers(histories)
    cut = split_day(answers, share_judged)
    earlier = [a for a in answers if cut is not None and a.day < cut]
    judged = [a for a in answers if cut is not None and a.day >= cut]
    fit = fit_parameters(histories if cut is not None else {}, before=cut)
    constant = sum(a.recalled for a in earlier) / len(earlier) if earlier else 0.9
    fsrs = recall_before(fit.parameters, histories, judged)
    sm2 = _sm2_intervals(histories, judged)
    predictions = {
        "fsrs": [fsrs[(a.key, a.index)] for a in judged],
        "sm2": [sm2_implied_recall(a.elapsed_days, sm2[(a.key, a.index)]) for a in judged],
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


def _sm2_intervals(histories: Histories, judged: Sequence[JudgedAnswer]) -> dict[Any, int]:
    """SM-2's interval just before each judged answer, from a replay of its history."""
    wanted: dict[Key, set[int]] = {}
    for answer in judged:
        wanted.setdefault(answer.key, set()).add(answer.index)
    found: dict[Any, int] = {}
    for key, indexes in wanted.items():
        grades = (grade for _, grade in histories[key][: max(indexes)])
        for index, interval in enumerate(sm2_intervals(grades), start=1):
            if index in indexes:
                found[(key, index)] = interval
    return found


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadForecast:
        return cls(
            start=dt.date.fromisoformat(data["start"]),
            loads={name: list(data[name]["per_day"]) for name in ("sm2", "fsrs")},
            desired_retention=data["desired_retention"],
            new_per_day=data["new_per_day"],
        )


def load_forecast(
    trainer: Trainer,
    decks: Sequence[str] | None = None,
    days: int = FORECAST_DAYS,
    reader: HistoryReader | None = None,
) -> LoadForecast:
    """Both schedulers run ahead from today's states; whether an answer is recalled
    comes from FSRS's memory model (with the latest fit, if any).

    The studied card directions are simulated from a seeded sample of at most
    ``FORECAST_SAMPLE`` (scaled up to all of them), the new cards to come in full.
    """
    today = trainer.today()
    latest = trainer.store.latest_fit("fsrs")
    fsrs = FSRSScheduler(latest[0] if latest else None, trainer.settings.desired_retention)
    sm2 = SM2()
    source = _studied_source(trainer, decks)
    sample, histories = _sampled_histories(
        trainer, source, FORECAST_SAMPLE, FORECAST_ANSWERS, reader
    )
    population = source.population()
    scale = population / len(sample) if sample else 1.0
    schedule, memory = _both_states(trainer, fsrs, sample, histories)
    new = _new_count(trainer, decks, days)
    per_day = trainer.settings.new_per_day

    def run(scheduler: Any, pairs: list[tuple[Any, Any]]) -> list[int]:
        old = simulate_load(pairs, scheduler, fsrs, _recall(fsrs), today, days, seed=FORECAST_SEED)
        fresh = simulate_load(
            [], scheduler, fsrs, _recall(fsrs), today, days, new_cards=new, new_per_day=per_day
        )
        return [round(a * scale) + b for a, b in zip(old, fresh, strict=True)]

    loads = {
        "sm2": run(sm2, [(schedule[k], memory[k]) for k in sample]),
        "fsrs": run(fsrs, [(memory[k], memory[k]) for k in sample]),
    }
    return LoadForecast(today, loads, trainer.settings.desired_retention, per_day)


def _both_states(
    trainer: Trainer, fsrs: FSRSScheduler, keys: Sequence[Key], histories: Histories
) -> tuple[dict[Key, SM2State], dict[Key, FSRSState]]:
    """SM-2's and FSRS's states of ``keys``: the scheduler in use's from the cache,
    the other's from the log (FSRS's memory through the Rust batch)."""
    cached = trainer.store.states_of(keys)
    mine = {key: cached[(key[0], str(key[1]))] for key in keys}
    wanted = {key: histories.get(key, []) for key in keys}
    if trainer.scheduler.name == "fsrs" and fsrs.signature == getattr(
        trainer.scheduler, "signature", None
    ):
        sm2 = SM2()
        schedule = {}
        for key, history in wanted.items():
            state = sm2.new_state()
            for day, grade in history:
                state = sm2.review(state, grade, day)
            schedule[key] = state
        return schedule, mine  # type: ignore[return-value]
    return mine, memory_states(fsrs, wanted, mine)


def _recall(fsrs: FSRSScheduler) -> Any:
    def recall(state: Any, day: dt.date) -> float:
        return fsrs.recall(state, day) or 0.0

    return recall


def _new_count(trainer: Trainer, decks: Sequence[str] | None, days: int) -> int:
    """The new card directions the forecast introduces, at ``new_per_day`` a day:
    counted up to what ``days`` can take, since more never changes the forecast
    (counting all of them joined 100k cards to their states)."""
    at_most = max(0, trainer.settings.new_per_day) * days
    return trainer.store.count_new(trainer.deck_directions(), decks, at_most)


# --------------------------------------------------------------------------- kept results


@dataclass(frozen=True)
class SchedulerReport:
    check: SchedulerCheck
    forecast: LoadForecast
    #: answers in the whole log that FSRS can learn from, counted up to
    #: ``MIN_REVIEWS_TO_FIT`` (``optimize`` fits from there)
    learnable: int


def scheduler_report(trainer: Trainer, decks: Sequence[str] | None = None) -> SchedulerReport:
    """The check and the forecast, computed again only when what they read changed."""
    report, keep = _scheduler_report(trainer, decks)
    if keep is not None:
        trainer.store.try_set_meta(*keep)
    return report


def _scheduler_report(
    trainer: Trainer, decks: Sequence[str] | None
) -> tuple[SchedulerReport, tuple[str, str] | None]:
    """The report, and the meta (key, value) that keeps it when it was computed again."""
    store = trainer.store
    settings = trainer.settings
    basis = json.dumps(
        [
            store.log_fingerprint(),
            trainer.today().isoformat(),
            settings.scheduler,
            settings.desired_retention,
            settings.new_per_day,
            sorted((slug, [str(d) for d in ds]) for slug, ds in trainer.deck_directions().items()),
        ]
    )
    key = "scheduler_report:" + json.dumps(sorted(decks) if decks is not None else None)
    kept = store.meta(key)
    if kept:
        data = json.loads(kept)
        if data.get("basis") == basis:
            return SchedulerReport(
                SchedulerCheck.from_dict(data["check"]),
                LoadForecast.from_dict(data["forecast"]),
                data["learnable"],
            ), None
    reader = HistoryReader(store)  # the check's sample's histories, read once for both
    report = SchedulerReport(
        check(trainer, decks, reader=reader),
        load_forecast(trainer, decks, reader=reader),
        store.learnable_answers(MIN_REVIEWS_TO_FIT),
    )
    value = {
        "basis": basis,
        "check": report.check.to_dict(),
        "forecast": report.forecast.to_dict(),
        "learnable": report.learnable,
    }
    return report, (key, json.dumps(value))


def _check_histories(
    trainer: Trainer, decks: Sequence[str] | None, reader: HistoryReader | None = None
) -> Histories:
    """The histories the check judges: every answered card direction's in a small
    log, else those of a seeded sample of them, whole, up to ``CHECK_SAMPLE`` card
    directions or ``CHECK_ANSWERS`` answers (reading a million answers, or fitting
    FSRS to half a million, took seconds)."""
    store = trainer.store
    answered = store.count_answered(decks)
    if answered <= CHECK_SAMPLE and store.count_reviews(CHECK_ANSWERS + 1) <= CHECK_ANSWERS:
        return store.scheduling_answers(decks)
    span = store.state_rowid_span()
    source: _KeySource
    if _drawable(answered, span):
        source = _DrawnKeys(lambda rowids: store.answered_at(rowids, decks), span, CHECK_SEED)
    else:
        source = _ListedKeys(store.answered_keys(decks), CHECK_SEED)
    return _sampled_histories(trainer, source, CHECK_SAMPLE, CHECK_ANSWERS, reader)[1]


def _studied_source(trainer: Trainer, decks: Sequence[str] | None) -> _KeySource:
    """Where the forecast samples the studied card directions from: random rowids
    when the log is large enough to be sampled and they are mostly answered ones of
    these decks, else the sorted list of them (small logs: all, exactly as listed).

    It draws with the check's seed: the same rowids in the same order, so the
    forecast's sample is mostly the studied part of the check's, whose histories
    are read already."""
    store = trainer.store
    directions = trainer.deck_directions()
    answered = store.count_answered(decks)
    span = store.state_rowid_span()
    sampled = (
        answered > FORECAST_SAMPLE or store.count_reviews(FORECAST_ANSWERS + 1) > FORECAST_ANSWERS
    )
    if sampled and _drawable(answered, span):
        return _DrawnKeys(
            lambda rowids: store.studied_at(rowids, directions, decks), span, CHECK_SEED
        )
    return _ListedKeys(store.studied_keys(directions, decks), CHECK_SEED)


def _drawable(population: int, span: int) -> bool:
    """Whether random rowids up to ``span`` find ``population`` rows often enough
    (at least one draw in two) to sample them that way."""
    return population > 0 and 2 * population >= span


class _KeySource:
    """Card directions in a seeded random order, taken a few at a time."""

    def take(self, count: int) -> list[Key]:
        raise NotImplementedError

    def population(self) -> int:
        """How many there are in all (what a sample of them is scaled up to)."""
        raise NotImplementedError


class _ListedKeys(_KeySource):
    """All of them listed, in ``seeded_order``: exact, for a small log."""

    def __init__(self, keys: Sequence[Key], seed: int) -> None:
        self._keys = keys
        self._order = seeded_order(keys, seed)

    def take(self, count: int) -> list[Key]:
        return list(itertools.islice(self._order, count))

    def population(self) -> int:
        return len(self._keys)


class _DrawnKeys(_KeySource):
    """Those at distinct seeded random rowids of card_state, up to ``span``, in draw
    order (``find`` keeps the rows that belong, by rowid): a uniform sample without
    listing 100k of them (~0.2 s at 100k cards). The population is estimated from
    the share of draws that found one, exact once every rowid is drawn."""

    def __init__(
        self, find: Callable[[Sequence[int]], dict[int, Key]], span: int, seed: int
    ) -> None:
        self._find = find
        self._span = span
        self._rng = random.Random(seed)
        self._drawn: set[int] = set()
        self._found = 0

    def take(self, count: int) -> list[Key]:
        taken: list[Key] = []
        while len(taken) < count and len(self._drawn) < self._span:
            rowids = [self._draw() for _ in range(min(count - len(taken), self._left()))]
            found = self._find(rowids)
            taken += [found[rowid] for rowid in rowids if rowid in found]
        self._found += len(taken)
        return taken

    def _left(self) -> int:
        return self._span - len(self._drawn)

    def _draw(self) -> int:
        rowid = self._rng.randrange(self._span) + 1
        while rowid in self._drawn:
            rowid = self._rng.randrange(self._span) + 1
        self._drawn.add(rowid)
        return rowid

    def population(self) -> int:
        if not self._drawn:
            return 0
        return round(self._found * self._span / len(self._drawn))


class HistoryReader:
    """Card directions' histories from the store, each read once: the check and
    the forecast sample mostly the same ones (reading 20,000 answers is most of
    what either costs)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._read: dict[Key, list[Any]] = {}

    def __call__(self, keys: Sequence[Key]) -> Histories:
        missing = [key for key in keys if key not in self._read]
        if missing:
            found = self._store.scheduling_answers(keys=missing)
            for key in missing:
                self._read[key] = found.get(key, [])
        # in the order the store gives them, which the fit's result depends on
        return {key: self._read[key] for key in _store_order(keys) if self._read[key]}


def _store_order(keys: Sequence[Key]) -> list[Key]:
    """``keys`` in the order ``Store.scheduling_answers(keys=...)`` returns them:
    400 at a time in ``str`` order, each 400 by card and direction (as SQL sorts)."""
    ordered = sorted(keys, key=str)
    return [
        key
        for start in range(0, len(ordered), 400)
        for key in sorted(ordered[start : start + 400], key=lambda k: (k[0], str(k[1])))
    ]


def _sampled_histories(
    trainer: Trainer,
    source: _KeySource,
    most_keys: int,
    most_answers: int,
    reader: HistoryReader | None = None,
) -> tuple[list[Key], Histories]:
    """A seeded sample of ``source``'s keys (sorted) and their whole histories: the
    keys in its seeded order, read a few hundred at a time until ``most_keys`` of
    them or ``most_answers`` answers are in, so a log of long histories is sampled
    as lightly as one of many short ones."""
    chosen: list[Key] = []
    histories: Histories = {}
    answers = 0
    size = 10  # then as many as the answers read so far say the room holds
    while len(chosen) < most_keys and answers < most_answers:
        chunk = source.take(min(size, most_keys - len(chosen)))
        if not chunk:
            break
        found = reader(chunk) if reader else trainer.store.scheduling_answers(keys=chunk)
        chosen += chunk
        histories.update(found)
        answers += sum(len(history) for history in found.values())
        per_key = max(answers / len(chosen), 1.0)
        size = max(1, min(400, round((most_answers - answers) / per_key)))
    return sorted(chosen), histories


def seeded_order(items: Sequence[T], seed: int) -> Iterator[T]:
    """``items`` in the order ``random.Random(seed).sample(items, len(items))``
    gives, drawn lazily: the same sample as shuffling them all, but a sample of a
    few thousand out of 100k no longer pays for shuffling the rest (~40 ms).

    ``sample`` of the whole population always takes its pool path (its set path
    is only for small samples of large populations), and ``randrange(n)`` draws
    what ``sample``'s own ``_randbelow(n)`` does.
    """
    rng = random.Random(seed)
    pool = list(items)
    left = len(pool)
    while left:
        j = rng.randrange(left)
        yield pool[j]
        left -= 1
        pool[j] = pool[left]


def compute_scheduler_report(
    trainer: Trainer, decks: Sequence[str] | None
) -> tuple[SchedulerReport, tuple[str, str] | None]:
    """``scheduler_report`` for a worker thread: on a connection of its own (a
    connection is never shared between threads), closed afterwards. What keeps
    the report (a meta key and value, None when it was kept already) is left to
    the caller's own connection (``Trainer.keep_meta``), so the thread writes
    nothing: a write from another connection would tell the app that anything
    may have changed."""
    reader = trainer.open_reader()
    if reader is None:
        return _scheduler_report(trainer, decks)
    try:
        return _scheduler_report(reader, decks)
    finally:
        reader.close()


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
