"""Progress: the statistics of the chosen decks, fetched once and shaped for each view.

Fetching is bounded by the window, not by the history: the per-day aggregates
are read only as far back as the widest view needs (the chart window, the
30-day retention, and for the screen the year of heatmap), so ten years of
reviews cost what one does. Streaks are the one figure that needs all of
history; they come from the list of study days, which SQLite answers from the
``day`` index without reading the rows, and replace the streak the core
computed from the window, as ``is_empty`` does for the same reason.

Everything after the fetch is ``trainer.core.stats``; this module only adds
what the screen needs beyond the report (the heatmap grid with its month
labels, the terms of the hardest cards) and stays free of Textual, so the CLI
report and the tests use it as is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from trainer.core.model import SCHEDULING_MODES, CardStatus, Direction
from trainer.core.scheduler import MATURE_INTERVAL_DAYS
from trainer.core.sm2 import SM2State
from trainer.core.stats import (
    FORECAST_DAYS,
    CardCategory,
    CardsSummary,
    DayActivity,
    ProgressReport,
    QuizAttemptSummary,
    heatmap,
    progress_report,
    streaks,
)
from trainer.storage import stats_queries

if TYPE_CHECKING:
    from trainer.app.trainer import JournalEntry, Trainer

__all__ = [
    "HEATMAP_LEVELS",
    "HEATMAP_WEEKS",
    "MAX_DAYS",
    "Heatmap",
    "ProgressInputs",
    "build_heatmap",
    "build_progress",
    "card_terms",
    "deck_names",
    "heatmap_level",
    "heatmap_start",
    "load_progress",
    "month_labels",
    "refresh_progress",
]

#: The longest window a report covers: ten years of days is already a long chart.
MAX_DAYS = 3650
#: Columns of the calendar heatmap: a year, plus the week in progress.
HEATMAP_WEEKS = 53
#: Intensity levels of a heatmap cell; 0 is a day without reviews.
HEATMAP_LEVELS = 5
#: The retention figures look back this far, whatever the window.
_RETENTION_DAYS = 30


def _check_days(days: int) -> None:
    from trainer.errors import UserError

    if not 1 <= days <= MAX_DAYS:
        raise UserError(f"days must be between 1 and {MAX_DAYS}, got {days}")


def heatmap_start(today: dt.date, weeks: int = HEATMAP_WEEKS) -> dt.date:
    """The Monday that opens the first column of a ``weeks``-wide heatmap."""
    return today - dt.timedelta(days=today.weekday(), weeks=weeks - 1)


@dataclass(frozen=True)
class ProgressInputs:
    """What the statistics are computed from, for one deck filter on one day.

    ``activity`` starts at ``since``; ``study_days`` covers all of history.
    """

    today: dt.date
    decks: tuple[str, ...] | None
    since: dt.date
    cards: CardsSummary
    activity: tuple[DayActivity, ...]
    study_days: tuple[dt.date, ...]
    quiz_attempts: tuple[QuizAttemptSummary, ...]
    #: the database's change marker these figures hold for (``Store.change_marker``),
    #: None when another connection wrote while they were read
    marker: tuple[int, int] | None = None
    #: the studied directions of each deck they were counted with
    directions: Mapping[str, tuple[Direction, ...]] = field(default_factory=dict)

    def report(self, days: int) -> ProgressReport:
        """The report for the ``days`` ending today; the window must have been fetched."""
        _check_days(days)
        if self.today - dt.timedelta(days=days - 1) < self.since:
            raise ValueError(f"a {days}-day window reaches before the fetched {self.since}")
        report = progress_report(self.cards, self.activity, self.quiz_attempts, self.today, days)
        return replace(
            report,
            streak=streaks(self.study_days, self.today),
            is_empty=not self.study_days and not report.quiz_history,
        )

    def heatmap(self, weeks: int = HEATMAP_WEEKS) -> Heatmap:
        if heatmap_start(self.today, weeks) < self.since:
            raise ValueError(f"a {weeks}-week heatmap reaches before the fetched {self.since}")
        return build_heatmap(self.activity, self.today, weeks)


def load_progress(
    trainer: Trainer,
    decks: Sequence[str] | None,
    days: int = 30,
    *,
    weeks: int = 0,
) -> ProgressInputs:
    """Fetch what a ``days`` window (and a ``weeks`` heatmap, if any) needs.

    ``decks`` None means every deck. The screen asks for the widest window it
    offers up front, so switching windows never queries again.
    """
    _check_days(days)
    today = trainer.today()
    since = today - dt.timedelta(days=max(days, _RETENTION_DAYS) - 1)
    if weeks > 0:
        since = min(since, heatmap_start(today, weeks))
    chosen = list(decks) if decks is not None else None
    db = trainer.store.conn
    before = trainer.store.change_marker()
    directions = trainer.deck_directions()
    inputs = ProgressInputs(
        today=today,
        decks=tuple(chosen) if chosen is not None else None,
        since=since,
        cards=stats_queries.cards_summary(db, directions, chosen, today),
        activity=tuple(stats_queries.daily_activity(db, chosen, since=since, until=today)),
        study_days=tuple(stats_queries.study_days(db, chosen)),
        quiz_attempts=tuple(stats_queries.quiz_attempt_summaries(db, chosen)),
        directions=directions,
    )
    return replace(inputs, marker=_marker_after(trainer, before))


def _marker_after(trainer: Trainer, before: tuple[int, int]) -> tuple[int, int] | None:
    """The marker figures read since ``before`` hold for: the current one, which
    counts this connection's own upkeep of ``daily_totals`` during the reading,
    unless another connection wrote meanwhile (then what was read may mix both)."""
    after = trainer.store.change_marker()
    return after if after[1] == before[1] else None


def refresh_progress(
    trainer: Trainer, kept: ProgressInputs, days: int = 30, *, weeks: int = 0
) -> ProgressInputs:
    """``load_progress`` for the same decks, from the figures of an earlier visit
    where that is provably the same: when all that was written since are answers
    this trainer recorded (``Trainer.answers_between``), on the same day with the
    same directions, each answer moves one card direction from one state (and due
    day) to another, and only the small reads (today's totals, the hardest cards)
    are made again. Anything else, and the figures are loaded again."""
    current = trainer.store.change_marker()
    answers = trainer.answers_between(kept.marker, current) if kept.marker is not None else None
    same = trainer.today() == kept.today and trainer.deck_directions() == kept.directions
    cards = _answered(trainer, kept, answers) if answers and same else kept.cards
    if answers is None or not same or cards is None:
        return load_progress(trainer, kept.decks, days, weeks=weeks)
    if not answers:  # nothing but kept reports written since
        return replace(kept, marker=current)
    today = kept.today
    chosen = list(kept.decks) if kept.decks is not None else None
    db = trainer.store.conn
    answered_days = {
        entry.record.day
        for entry in answers
        if entry.record is not None
        and (chosen is None or entry.record.card_id.split("/", 1)[0] in chosen)
    }
    activity = stats_queries.daily_activity(db, chosen, since=kept.since, until=today)
    return replace(
        kept,
        cards=cards,
        activity=tuple(activity),
        study_days=tuple(sorted(set(kept.study_days) | answered_days)),
        marker=_marker_after(trainer, current),
    )


def _answered(
    trainer: Trainer, kept: ProgressInputs, answers: Sequence[JournalEntry]
) -> CardsSummary | None:
    """``kept.cards`` after ``answers``, counted as ``stats_queries.cards_summary``
    counts a stored state; None when an answer's state before cannot be told (a
    stored state without a due day, which the count reads by its repetitions)."""
    db = trainer.store.conn
    records = [entry.record for entry in answers if entry.record is not None]
    places = stats_queries.card_places(db, [record.card_id for record in records])
    counts = dict(kept.cards.counts)
    due = dict(kept.cards.due_by_day)
    last = kept.today + dt.timedelta(days=FORECAST_DAYS - 1)
    for entry in answers:
        record = entry.record
        if record is None or record.mode not in SCHEDULING_MODES:
            continue  # a drill leaves the state as it was
        place = places.get(record.card_id)
        if (
            place is None
            or record.after.due is None
            or (entry.had_state and record.before.due is None)
        ):
            return None
        if not place.counted(str(record.direction), kept.directions, kept.decks):
            continue
        counts[_stored_category(record.before) if entry.had_state else CardCategory.NEW] -= 1
        counts[_stored_category(record.after)] += 1
        if place.suspended:
            continue
        moves = [(record.after.due, 1)]
        if entry.had_state and record.before.due is not None:
            moves.append((record.before.due, -1))
        for day, change in moves:
            if day <= last:
                key = max(day, kept.today)
                due[key] = due.get(key, 0) + change
    hardest = stats_queries.hardest_cards(db, kept.directions, kept.decks)
    return CardsSummary(counts, {day: n for day, n in due.items() if n}, hardest)


def _stored_category(state: SM2State) -> CardCategory:
    """The category ``cards_summary`` counts a stored state in."""
    if state.repetitions < 2:
        return CardCategory.LEARNING
    return CardCategory.YOUNG if state.interval < MATURE_INTERVAL_DAYS else CardCategory.MATURE


def build_progress(trainer: Trainer, decks: Sequence[str] | None, days: int) -> ProgressReport:
    """The progress report of ``decks`` (None: all) over the ``days`` ending today."""
    return load_progress(trainer, decks, days).report(days)


def deck_names(trainer: Trainer) -> dict[str, str]:
    """Each active deck's name by slug, in name order, without counting cards."""
    return stats_queries.deck_names(trainer.store.conn)


def card_terms(trainer: Trainer, statuses: Sequence[CardStatus]) -> dict[str, str]:
    """The term of each card, by id, for lists that name cards (the hardest ones)."""
    ids = list(dict.fromkeys(status.card_id for status in statuses))
    return {card.id: card.card.term for card in trainer.store.cards(ids)}


# --------------------------------------------------------------------------- heatmap


@dataclass(frozen=True)
class Heatmap:
    """A calendar of reviews: 7 rows (Monday..Sunday) by one column per week.

    ``cells`` holds review counts, ``None`` for days after today; ``mondays``
    is the first day of each column.
    """

    cells: tuple[tuple[int | None, ...], ...]
    mondays: tuple[dt.date, ...]

    @property
    def maximum(self) -> int:
        return max((count or 0 for row in self.cells for count in row), default=0)

    @property
    def total(self) -> int:
        return sum(count or 0 for row in self.cells for count in row)

    @property
    def active_days(self) -> int:
        return sum(1 for row in self.cells for count in row if count)

    def level(self, count: int | None) -> int | None:
        return heatmap_level(count, self.maximum)


def build_heatmap(
    activity: Sequence[DayActivity], today: dt.date, weeks: int = HEATMAP_WEEKS
) -> Heatmap:
    first = heatmap_start(today, weeks)
    return Heatmap(
        cells=tuple(tuple(row) for row in heatmap(activity, today, weeks)),
        mondays=tuple(first + dt.timedelta(weeks=week) for week in range(weeks)),
    )


def heatmap_level(count: int | None, maximum: int) -> int | None:
    """0 for no reviews, 1..4 by quarters of the busiest day, ``None`` for the future.

    Any review at all is at least level 1, so a light day never looks like a
    day off.
    """
    if count is None:
        return None
    if count <= 0 or maximum <= 0:
        return 0
    return min(HEATMAP_LEVELS - 1, max(1, math.ceil((HEATMAP_LEVELS - 1) * count / maximum)))


def month_labels(mondays: Sequence[dt.date], cell_width: int = 1) -> str:
    """A line of month names, each above the column of the week holding its 1st.

    The first column is named after its own month when it starts mid-month and
    the name fits before the next one; a name that would collide with the next
    is left out.
    """
    width = len(mondays) * cell_width
    marks: list[tuple[int, str]] = []
    for column, monday in enumerate(mondays):
        sunday = monday + dt.timedelta(days=6)
        if monday.day == 1 or (column == 0 and sunday.month == monday.month):
            marks.append((column * cell_width, f"{monday:%b}"))
        elif sunday.month != monday.month:
            marks.append((column * cell_width, f"{sunday:%b}"))
    line = [" "] * width
    for index, (position, name) in enumerate(marks):
        following = marks[index + 1][0] if index + 1 < len(marks) else width + 1
        if position + len(name) < following:
            line[position : position + len(name)] = name
    return "".join(line).rstrip()
