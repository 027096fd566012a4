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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from trainer.core.model import CardStatus
from trainer.core.stats import (
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
    from trainer.app.trainer import Trainer

__all__ = [
    "HEATMAP_LEVELS",
    "HEATMAP_WEEKS",
    "MAX_DAYS",
    "Heatmap",
    "ProgressInputs",
    "build_heatmap",
    "build_progress",
    "card_terms",
    "heatmap_level",
    "heatmap_start",
    "load_progress",
    "month_labels",
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
    return ProgressInputs(
        today=today,
        decks=tuple(chosen) if chosen is not None else None,
        since=since,
        cards=stats_queries.cards_summary(db, trainer.deck_directions(), chosen, today),
        activity=tuple(stats_queries.daily_activity(db, chosen, since=since, until=today)),
        study_days=tuple(stats_queries.study_days(db, chosen)),
        quiz_attempts=tuple(stats_queries.quiz_attempt_summaries(db, chosen)),
    )


def build_progress(trainer: Trainer, decks: Sequence[str] | None, days: int) -> ProgressReport:
    """The progress report of ``decks`` (None: all) over the ``days`` ending today."""
    return load_progress(trainer, decks, days).report(days)


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
