"""Progress statistics over daily aggregates, so they stay fast at scale.

A year of heavy study is a million review rows; scanning them on every visit
to the progress screen would be slow. The storage layer therefore aggregates
reviews per study day in SQL and hands this module ``DayActivity`` rows, and
every series here is computed from those few hundred rows plus the per-card
states. ``daily_activity`` builds the same aggregates from ``ReviewRecord``
rows in Python: it is the reference the SQL is tested against, and what unit
tests feed the other functions.

Everything is pure and deterministic: ``today`` is always passed in, series
are zero-filled so a chart never has holes, dictionaries are built in a fixed
order, ties are broken by card id, and no rate ever divides by zero (an empty
window has rate ``None``, which a screen shows as "no data" rather than 0%).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from trainer.core.model import RETENTION_MODES, CardStatus, ReviewRecord
from trainer.core.scheduler import MATURE_INTERVAL_DAYS
from trainer.core.sm2 import PASSING_QUALITY, SM2

__all__ = [
    "MATURE_INTERVAL_DAYS",
    "CardCategory",
    "CardsSummary",
    "DayActivity",
    "ProgressReport",
    "QuizAttemptSummary",
    "Retention",
    "Streaks",
    "categorize",
    "counts_by_category",
    "daily_activity",
    "forecast",
    "hardest",
    "heatmap",
    "progress_report",
    "quiz_history",
    "retention",
    "reviews_per_day",
    "streaks",
    "summarize_cards",
    "time_per_day",
]

#: An interval of this many days or more makes a card mature (Anki's threshold).

_ONE_DAY = dt.timedelta(days=1)


# --------------------------------------------------------------------------- daily aggregates


@dataclass(frozen=True)
class DayActivity:
    """Everything the statistics need to know about one study day's answers.

    ``reviews`` and ``seconds`` count every answer (study, drill and quiz) since
    they measure effort; the new-card and retention counters count only study
    answers: drills repeat a card already failed today and would inflate the
    failure rate, and a quiz logs its wrong answers only (``RETENTION_MODES``).
    """

    day: dt.date
    reviews: int = 0
    seconds: float = 0.0
    new_cards: int = 0
    young_total: int = 0
    young_passed: int = 0
    mature_total: int = 0
    mature_passed: int = 0


@dataclass
class _DayTally:
    """Mutable accumulator for one day, frozen into a ``DayActivity`` at the end."""

    reviews: int = 0
    seconds: float = 0.0
    new_cards: int = 0
    young_total: int = 0
    young_passed: int = 0
    mature_total: int = 0
    mature_passed: int = 0

    def add(self, review: ReviewRecord) -> None:
        self.reviews += 1
        self.seconds += (review.response_ms or 0) / 1000
        if review.mode not in RETENTION_MODES:
            return
        passed = review.grade >= PASSING_QUALITY
        before = review.before
        if before.due is None:
            self.new_cards += 1
        elif before.repetitions > 0 and before.interval < MATURE_INTERVAL_DAYS:
            self.young_total += 1
            self.young_passed += int(passed)
        elif before.repetitions > 0:
            self.mature_total += 1
            self.mature_passed += int(passed)

    def freeze(self, day: dt.date) -> DayActivity:
        return DayActivity(
            day=day,
            reviews=self.reviews,
            seconds=self.seconds,
            new_cards=self.new_cards,
            young_total=self.young_total,
            young_passed=self.young_passed,
            mature_total=self.mature_total,
            mature_passed=self.mature_passed,
        )


def daily_activity(reviews: Iterable[ReviewRecord]) -> list[DayActivity]:
    """Aggregate review rows per study day, sorted by day.

    This is the reference for the storage layer's SQL. It trusts
    ``ReviewRecord.day`` (already the local study day) and expects undone
    answers to have been left out by the caller. A ``response_ms`` of ``None``
    adds no time. Young and mature both require ``before.repetitions > 0``, so an
    answer on a card in (re)learning counts toward neither.
    """
    tallies: defaultdict[dt.date, _DayTally] = defaultdict(_DayTally)
    for review in reviews:
        tallies[review.day].add(review)
    return [tallies[day].freeze(day) for day in sorted(tallies)]


def _window(today: dt.date, days: int) -> list[dt.date]:
    """The ``days`` calendar days ending at ``today``, oldest first."""
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    return [today - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _reviews_by_day(activity: Iterable[DayActivity]) -> Counter[dt.date]:
    """Reviews per day, summing duplicates so partial aggregates still add up."""
    totals: Counter[dt.date] = Counter()
    for entry in activity:
        totals[entry.day] += entry.reviews
    return totals


def reviews_per_day(
    activity: Iterable[DayActivity], today: dt.date, days: int
) -> list[tuple[dt.date, int]]:
    """Exactly ``days`` (day, reviews) pairs ending at ``today``, zero-filled for charts."""
    totals = _reviews_by_day(activity)
    return [(day, totals[day]) for day in _window(today, days)]


def time_per_day(
    activity: Iterable[DayActivity], today: dt.date, days: int
) -> list[tuple[dt.date, float]]:
    """Exactly ``days`` (day, seconds answering) pairs ending at ``today``, zero-filled."""
    totals: defaultdict[dt.date, float] = defaultdict(float)
    for entry in activity:
        totals[entry.day] += entry.seconds
    return [(day, totals[day]) for day in _window(today, days)]


def heatmap(
    activity: Iterable[DayActivity], today: dt.date, weeks: int = 53
) -> list[list[int | None]]:
    """A GitHub-style calendar: 7 rows (Monday..Sunday) by ``weeks`` columns.

    The last column is the week containing ``today``; cells after ``today`` are
    ``None`` so the screen can leave them blank instead of drawing a zero.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    totals = _reviews_by_day(activity)
    first_monday = today - dt.timedelta(days=today.weekday(), weeks=weeks - 1)
    rows: list[list[int | None]] = []
    for weekday in range(7):
        row: list[int | None] = []
        for week in range(weeks):
            day = first_monday + dt.timedelta(days=weekday, weeks=week)
            row.append(None if day > today else totals[day])
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class Retention:
    """Pass counts over a window; the rates are ``None`` when nothing was answered."""

    young_passed: int = 0
    young_total: int = 0
    mature_passed: int = 0
    mature_total: int = 0

    @property
    def young_rate(self) -> float | None:
        return _rate(self.young_passed, self.young_total)

    @property
    def mature_rate(self) -> float | None:
        return _rate(self.mature_passed, self.mature_total)

    @property
    def overall_rate(self) -> float | None:
        return _rate(self.young_passed + self.mature_passed, self.young_total + self.mature_total)

    def to_dict(self) -> dict[str, Any]:
        return {
            "young_passed": self.young_passed,
            "young_total": self.young_total,
            "mature_passed": self.mature_passed,
            "mature_total": self.mature_total,
            "young_rate": self.young_rate,
            "mature_rate": self.mature_rate,
            "overall_rate": self.overall_rate,
        }


def _rate(passed: int, total: int) -> float | None:
    """A fraction in 0..1, or ``None`` rather than a division by zero."""
    return passed / total if total > 0 else None


def retention(activity: Iterable[DayActivity], today: dt.date, window_days: int) -> Retention:
    """Young and mature pass counts over the ``window_days`` days ending at ``today``."""
    if window_days < 0:
        raise ValueError(f"window_days must not be negative, got {window_days}")
    first = today - dt.timedelta(days=window_days - 1)
    inside = [entry for entry in activity if first <= entry.day <= today]
    return Retention(
        young_passed=sum(entry.young_passed for entry in inside),
        young_total=sum(entry.young_total for entry in inside),
        mature_passed=sum(entry.mature_passed for entry in inside),
        mature_total=sum(entry.mature_total for entry in inside),
    )


# --------------------------------------------------------------------------- streaks


@dataclass(frozen=True)
class Streaks:
    """Runs of consecutive study days; ``longest`` always includes ``current``."""

    current: int = 0
    longest: int = 0


def streaks(study_days: Iterable[dt.date], today: dt.date) -> Streaks:
    """The current and longest runs of consecutive study days.

    The current streak counts back from today, or from yesterday when today has
    no study yet: a streak is not broken until the day is over. Days after
    ``today`` (a skewed clock) are ignored.
    """
    days = {day for day in study_days if day <= today}
    start = today if today in days else today - _ONE_DAY
    current = 0
    while start - dt.timedelta(days=current) in days:
        current += 1
    return Streaks(current=current, longest=_longest_run(days))


def _longest_run(days: set[dt.date]) -> int:
    """Longest run of consecutive dates, walking forward only from each run's start."""
    longest = 0
    for day in days:
        if day - _ONE_DAY in days:
            continue
        length = 1
        while day + dt.timedelta(days=length) in days:
            length += 1
        longest = max(longest, length)
    return longest


# --------------------------------------------------------------------------- card states


class CardCategory(StrEnum):
    NEW = "new"
    LEARNING = "learning"
    YOUNG = "young"
    MATURE = "mature"
    RETIRED = "retired"


def categorize(status: CardStatus) -> CardCategory:
    """Which bucket a card belongs to on the progress screen.

    Retired wins over everything because the card is gone from its deck. A
    suspended card is still categorized by its state: suspending hides a card
    from the queue but does not erase what the learner knows.
    """
    if status.retired:
        return CardCategory.RETIRED
    return CardCategory(SM2().phase(status.state).value)


def counts_by_category(statuses: Iterable[CardStatus]) -> dict[CardCategory, int]:
    """Cards per category, every category present (zeros included) in enum order."""
    counts = Counter(categorize(status) for status in statuses)
    return {category: counts[category] for category in CardCategory}


def forecast(
    statuses: Iterable[CardStatus], today: dt.date, days: int = 30
) -> list[tuple[dt.date, int]]:
    """Due counts for ``today`` .. ``today + days - 1``.

    Overdue cards count on today, because that is when they will be asked.
    Retired, suspended and new cards are left out: none of them is scheduled.
    """
    window = [today + dt.timedelta(days=offset) for offset in range(max(days, 0))]
    if not window:
        return []
    due: Counter[dt.date] = Counter()
    for status in statuses:
        if status.retired or status.suspended or status.state.due is None:
            continue
        day = max(status.state.due, today)
        if day <= window[-1]:
            due[day] += 1
    return [(day, due[day]) for day in window]


def hardest(statuses: Iterable[CardStatus], n: int = 10) -> list[CardStatus]:
    """The ``n`` studied, non-retired cards with most lapses, then lowest easiness.

    Ties fall back to card id and direction so the list never reshuffles between
    two renders of the same data. ``heapq`` keeps this O(N log n) for 100k cards.
    """
    studied = (s for s in statuses if not s.retired and s.state.due is not None)
    return heapq.nsmallest(max(n, 0), studied, key=_hardness_key)


def _hardness_key(status: CardStatus) -> tuple[int, float, str, str]:
    state = status.state
    return (-state.lapses, state.easiness, status.card_id, status.direction.value)


@dataclass(frozen=True)
class CardsSummary:
    """What progress needs from the card states, small whatever the collection size.

    Storage computes the same with SQL aggregates (``stats_queries.cards_summary``)
    so a report never loads 100k card states into Python; ``summarize_cards`` is
    the reference it is tested against.
    """

    counts: Mapping[CardCategory, int]
    #: scheduled (studied, active, unsuspended) card directions per due day,
    #: overdue ones counted on today, for today .. today + horizon - 1
    due_by_day: Mapping[dt.date, int]
    hardest: tuple[CardStatus, ...]


FORECAST_DAYS = 30
HARDEST_COUNT = 10


def summarize_cards(
    statuses: Iterable[CardStatus],
    today: dt.date,
    horizon: int = FORECAST_DAYS,
    n: int = HARDEST_COUNT,
) -> CardsSummary:
    cards = list(statuses)
    return CardsSummary(
        counts=counts_by_category(cards),
        due_by_day={day: count for day, count in forecast(cards, today, horizon) if count},
        hardest=tuple(hardest(cards, n)),
    )


# --------------------------------------------------------------------------- quizzes


@dataclass(frozen=True)
class QuizAttemptSummary:
    """The part of a stored quiz attempt that progress needs."""

    deck: str
    day: dt.date
    score: int
    total: int


def quiz_history(
    attempts: Iterable[QuizAttemptSummary],
) -> dict[str, list[tuple[dt.date, float]]]:
    """Per deck (sorted by name), the percent score of each attempt in date order.

    Attempts on the same day keep their input order (the sort is stable); an
    attempt with no questions scores 0 rather than dividing by zero.
    """
    by_deck: defaultdict[str, list[QuizAttemptSummary]] = defaultdict(list)
    for attempt in attempts:
        by_deck[attempt.deck].append(attempt)
    return {
        deck: [(a.day, _percent(a.score, a.total)) for a in sorted(rows, key=lambda a: a.day)]
        for deck, rows in sorted(by_deck.items())
    }


def _percent(score: int, total: int) -> float:
    return 100.0 * score / total if total > 0 else 0.0


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class ProgressReport:
    """Everything the progress screen and ``trainer stats --json`` show, for one window."""

    today: dt.date
    days: int
    counts: Mapping[CardCategory, int]
    reviews_today: int
    total_reviews: int
    reviews_per_day: tuple[tuple[dt.date, int], ...]
    time_per_day: tuple[tuple[dt.date, float], ...]
    forecast: tuple[tuple[dt.date, int], ...]
    retention_7: Retention
    retention_30: Retention
    streak: Streaks
    hardest: tuple[CardStatus, ...]
    quiz_history: Mapping[str, tuple[tuple[dt.date, float], ...]]
    is_empty: bool

    # Derived figures, shared by the progress screen and the ``trainer stats`` report.
    @property
    def days_studied(self) -> int:
        return sum(1 for _, count in self.reviews_per_day if count > 0)

    @property
    def seconds_today(self) -> float:
        return self.time_per_day[-1][1] if self.time_per_day else 0.0

    @property
    def seconds_total(self) -> float:
        return sum(seconds for _, seconds in self.time_per_day)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: dates as ISO strings, enums as their values."""
        return {
            "today": self.today.isoformat(),
            "days": self.days,
            "counts": {category.value: count for category, count in self.counts.items()},
            "reviews_today": self.reviews_today,
            "total_reviews": self.total_reviews,
            "reviews_per_day": _series_dict(self.reviews_per_day, "reviews"),
            "time_per_day": _series_dict(self.time_per_day, "seconds"),
            "forecast": _series_dict(self.forecast, "due"),
            "retention_7": self.retention_7.to_dict(),
            "retention_30": self.retention_30.to_dict(),
            "streak": {"current": self.streak.current, "longest": self.streak.longest},
            "hardest": [_hard_card_dict(status) for status in self.hardest],
            "quiz_history": {
                deck: _series_dict(series, "percent") for deck, series in self.quiz_history.items()
            },
            "is_empty": self.is_empty,
        }


def _series_dict(series: Iterable[tuple[dt.date, float]], name: str) -> list[dict[str, Any]]:
    return [{"day": day.isoformat(), name: value} for day, value in series]


def _hard_card_dict(status: CardStatus) -> dict[str, Any]:
    return {
        "card_id": status.card_id,
        "deck": status.deck,
        "direction": status.direction.value,
        "lapses": status.state.lapses,
        "easiness": status.state.easiness,
    }


def progress_report(
    statuses: Iterable[CardStatus] | CardsSummary,
    activity: Iterable[DayActivity],
    quiz_attempts: Iterable[QuizAttemptSummary],
    today: dt.date,
    days: int = 30,
) -> ProgressReport:
    """Assemble every statistic for the ``days`` days ending at ``today``.

    Inputs are materialized once because each is read by several statistics.
    """
    cards = statuses if isinstance(statuses, CardsSummary) else summarize_cards(statuses, today)
    daily = list(activity)
    history = quiz_history(quiz_attempts)
    per_day = reviews_per_day(daily, today, days)
    return ProgressReport(
        today=today,
        days=days,
        counts=dict(cards.counts),
        reviews_today=_reviews_by_day(daily)[today],
        total_reviews=sum(count for _, count in per_day),
        reviews_per_day=tuple(per_day),
        time_per_day=tuple(time_per_day(daily, today, days)),
        forecast=tuple(
            (day, cards.due_by_day.get(day, 0))
            for day in (today + dt.timedelta(days=offset) for offset in range(FORECAST_DAYS))
        ),
        retention_7=retention(daily, today, 7),
        retention_30=retention(daily, today, 30),
        streak=streaks((entry.day for entry in daily if entry.reviews > 0), today),
        hardest=cards.hardest,
        quiz_history={deck: tuple(series) for deck, series in history.items()},
        is_empty=not any(entry.reviews > 0 for entry in daily) and not history,
    )
