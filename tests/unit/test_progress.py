"""Progress from the database: SQL aggregates against the core reference, and the report.

Histories are recorded through ``Trainer.record_answer`` with the fixed clock
moved across days and across the 04:00 rollover, so the study days, states
and undo rows are exactly what the application writes. The reference for the
SQL is ``core.stats.daily_activity`` over the records ``record_answer``
returned, minus the ones undone: nothing in the reference goes through SQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.conftest import START
from trainer.app.progress import (
    HEATMAP_WEEKS,
    MAX_DAYS,
    build_progress,
    card_terms,
    heatmap_level,
    heatmap_start,
    load_progress,
    month_labels,
)
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer, UserError
from trainer.core.clock import FixedClock
from trainer.core.model import Direction, Mode, ReviewRecord
from trainer.core.stats import CardCategory, DayActivity, Streaks, daily_activity
from trainer.storage import stats_queries

OTHER_DECK = """\
name: Other deck
cards:
  - term: "[bold]Delta[/]"
    definition: The fourth letter.
  - term: Epsilon
    definition: The fifth letter.
"""

DAY1 = START.date()  # Wed 2026-03-04, 09:00 UTC


@pytest.fixture
def two_decks(deck_dir: Path, make_trainer: Callable[..., Trainer]) -> Trainer:
    (deck_dir / "other.yaml").write_text(OTHER_DECK, encoding="utf-8")
    return make_trainer()


class History:
    """Answers through the application, remembering what counts for the reference."""

    def __init__(self, trainer: Trainer, clock: FixedClock) -> None:
        self.trainer = trainer
        self.clock = clock
        self.records: list[ReviewRecord] = []
        self.undone: set[str] = set()

    def at(self, day: dt.date, hour: int, minute: int = 0) -> History:
        """Move the clock to a UTC wall time; hours before 4 belong to the day before."""
        self.clock.instant = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)
        return self

    def answer(
        self,
        card: str,
        grade: int,
        mode: Mode = Mode.STUDY,
        response_ms: int | None = 1500,
        direction: Direction = Direction.FORWARD,
    ) -> ReviewRecord:
        record = self.trainer.record_answer(card, direction, grade, mode, response_ms)
        self.records.append(record)
        self.clock.advance(seconds=20)
        return record

    def undo(self, record: ReviewRecord) -> None:
        self.trainer.undo(record.id)
        self.undone.add(record.id)

    def counted(self, deck: str | None = None) -> list[ReviewRecord]:
        return [
            r
            for r in self.records
            if r.id not in self.undone and (deck is None or r.card_id.startswith(f"{deck}/"))
        ]


def approx_activity(rows: Iterable[DayActivity]) -> list[object]:
    """Aggregates with ``seconds`` compared approximately (one division vs a float sum)."""
    return [dataclasses.replace(row, seconds=pytest.approx(row.seconds)) for row in rows]


def study_every_due_card(history: History, days: int, start: dt.date) -> None:
    """A long, mixed history: every queued card each day, with a pattern of grades.

    Some sessions run past midnight (before the rollover), some cards fail and
    are drilled, a few answers are quizzes, and now and then one is undone.
    """
    grades = [5, 4, 3, 2, 4, 5, 1, 4, 3, 5, 4, 0]
    turn = 0
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        late = offset % 3 == 1
        history.at(day + dt.timedelta(days=1), 3, 10) if late else history.at(day, 19)
        for entry in history.trainer.queue():
            grade = grades[turn % len(grades)]
            mode = Mode.QUIZ if turn % 9 == 4 else Mode.STUDY
            record = history.answer(entry.card_id, grade, mode, response_ms=700 + 37 * turn)
            if turn % 13 == 6:
                history.undo(record)
                history.answer(entry.card_id, min(grade + 1, 5))
            elif grade < 4 and mode is Mode.STUDY:
                history.answer(entry.card_id, 4, Mode.DRILL, response_ms=None)
            turn += 1


# --------------------------------------------------------------------------- SQL == core


def test_daily_aggregates_equal_the_core_reference(two_decks: Trainer, clock: FixedClock) -> None:
    history = History(two_decks, clock)
    study_every_due_card(history, 70, DAY1)

    counted = history.counted()
    modes = {r.mode for r in counted}
    assert modes == {Mode.STUDY, Mode.DRILL, Mode.QUIZ}
    assert history.undone
    assert any(r.answered_at.hour == 3 and r.day < r.answered_at.date() for r in counted)
    reference = daily_activity(counted)
    assert sum(day.young_total for day in reference) > 0
    assert sum(day.mature_total for day in reference) > 0  # 70 days reach mature intervals
    assert sum(day.young_total - day.young_passed for day in reference) > 0

    db = two_decks.store.db
    assert approx_activity(stats_queries.daily_activity(db)) == reference
    for deck in ("small", "other"):
        assert approx_activity(stats_queries.daily_activity(db, [deck])) == daily_activity(
            history.counted(deck)
        )
    assert approx_activity(stats_queries.daily_activity(db, ["small", "other"])) == reference
    assert stats_queries.daily_activity(db, []) == []
    assert stats_queries.daily_activity(db, ["no-such-deck"]) == []

    since, until = DAY1 + dt.timedelta(days=10), DAY1 + dt.timedelta(days=20)
    window = [day for day in reference if since <= day.day <= until]
    assert approx_activity(stats_queries.daily_activity(db, since=since, until=until)) == window
    assert stats_queries.study_days(db) == [day.day for day in reference]


def test_first_day_figures_by_hand(trainer: Trainer, clock: FixedClock) -> None:
    """One day worked out by hand, including a late answer that belongs to it."""
    history = History(trainer, clock).at(DAY1, 9)
    history.answer("small/alpha", 5, response_ms=2000)
    beta = history.answer("small/beta", 2, response_ms=3000)
    gamma = history.answer("small/gamma", 4, response_ms=4000)
    history.undo(gamma)  # gone from every figure, time included
    history.answer("small/gamma", 5, response_ms=1000)
    history.answer("small/beta", 3, Mode.DRILL, response_ms=500)
    history.answer("small/beta", 4, Mode.DRILL, response_ms=None)
    history.at(DAY1 + dt.timedelta(days=1), 3, 59)  # 03:59 next morning: still day 1
    history.answer("small/beta", 1, Mode.QUIZ, response_ms=250)  # beta has a due day, 0 reps

    (day,) = stats_queries.daily_activity(trainer.store.db)
    assert day == DayActivity(
        day=DAY1,
        reviews=6,
        seconds=6.75,
        new_cards=3,
        young_total=0,
        young_passed=0,
        mature_total=0,
        mature_passed=0,
    )
    assert beta.after.repetitions == 0

    history.at(DAY1 + dt.timedelta(days=1), 4, 1)  # 04:01: day 2; alpha is young now
    history.answer("small/alpha", 2, response_ms=1000)
    history.answer("small/gamma", 4, response_ms=1000)
    rows = stats_queries.daily_activity(trainer.store.db)
    assert [(r.day, r.reviews, r.young_total, r.young_passed, r.new_cards) for r in rows] == [
        (DAY1, 6, 0, 0, 3),
        (DAY1 + dt.timedelta(days=1), 2, 2, 1, 0),
    ]
    assert approx_activity(rows) == daily_activity(history.counted())


def test_rows_with_missing_columns_read_as_the_store_reads_them(trainer: Trainer) -> None:
    """Rows written by hand or by an older version: NULL and empty state columns."""
    base = {
        "card_id": "small/alpha",
        "direction": "forward",
        "answered_at": "2026-03-04T09:00:00.000000+00:00",
        "day": "2026-03-04",
        "mode": "study",
    }
    rows = [
        {"id": "a", "grade": 4, "response_ms": None, "prev_due": None},
        {"id": "b", "grade": 4, "response_ms": 10, "prev_due": ""},  # empty: new
        {"id": "c", "grade": 3, "prev_due": "2026-03-01", "prev_repetitions": None},
        {"id": "d", "grade": 3, "prev_due": "2026-03-01", "prev_repetitions": 2},  # interval NULL
        {
            "id": "e",
            "grade": 1,
            "prev_due": "2026-03-01",
            "prev_repetitions": 5,
            "prev_interval": 21,
        },
        {
            "id": "f",
            "grade": 5,
            "prev_due": "2026-03-01",
            "prev_repetitions": 5,
            "prev_interval": 40,
            "mode": "quiz",
        },
        {
            "id": "g",
            "grade": 5,
            "prev_due": "2026-03-01",
            "prev_repetitions": 5,
            "prev_interval": 40,
            "mode": "drill",
        },
    ]
    trainer.store.db["reviews"].insert_all([{**base, **row} for row in rows], pk="id", alter=False)
    reference = daily_activity(trainer.store.all_reviews())
    assert stats_queries.daily_activity(trainer.store.db) == reference
    assert reference == [
        DayActivity(
            DAY1,
            reviews=7,
            seconds=0.01,
            new_cards=2,
            young_total=1,
            young_passed=1,
            mature_total=1,  # the quiz answer is effort only
            mature_passed=0,
        )
    ]


def test_quiz_attempt_summaries_and_their_deck_filter(two_decks: Trainer) -> None:
    def attempt(n: int, day: str, decks: object, correct: int, total: int) -> None:
        two_decks.store.record_quiz_attempt(
            {
                "id": f"q{n}",
                "started_at": f"{day}T1{n}:00:00+00:00",
                "finished_at": f"{day}T1{n}:05:00+00:00",
                "day": day,
                "decks": json.dumps(decks),
                "source": "deck",
                "direction": "term",
                "correct": correct,
                "total": total,
                "seconds": 60.0,
                "questions": "[]",
            }
        )

    attempt(3, "2026-03-05", ["small"], 4, 5)
    attempt(1, "2026-03-04", ["small"], 1, 2)
    attempt(2, "2026-03-04", ["small", "other"], 3, 3)
    attempt(4, "2026-03-06", None, 0, 0)
    attempt(5, "2026-03-06", [], 2, 4)
    db = two_decks.store.db
    summaries = stats_queries.quiz_attempt_summaries(db)
    assert [(s.deck, s.day.isoformat(), s.score, s.total) for s in summaries] == [
        ("small", "2026-03-04", 1, 2),
        ("small + other", "2026-03-04", 3, 3),
        ("small", "2026-03-05", 4, 5),
        ("all decks", "2026-03-06", 0, 0),
        ("all decks", "2026-03-06", 2, 4),
    ]
    assert [s.deck for s in stats_queries.quiz_attempt_summaries(db, ["other"])] == [
        "small + other"
    ]
    assert len(stats_queries.quiz_attempt_summaries(db, ["small"])) == 3
    assert stats_queries.quiz_attempt_summaries(db, []) == []


def test_a_windowed_query_reads_the_day_index(trainer: Trainer) -> None:
    where, params = stats_queries._review_filter(None, DAY1, DAY1)
    plan = " ".join(
        str(row[-1])
        for row in trainer.store.db.execute(
            "EXPLAIN QUERY PLAN " + stats_queries._DAILY_SQL.format(where=where), params
        )
    )
    assert "idx_reviews_day" in plan


# --------------------------------------------------------------------------- the report


def test_build_progress_figures(two_decks: Trainer, clock: FixedClock) -> None:
    history = History(two_decks, clock).at(DAY1, 9)
    for card, grade in [("small/alpha", 5), ("small/beta", 2), ("small/gamma", 4)]:
        history.answer(card, grade, response_ms=2000)
    history.answer("small/beta", 4, Mode.DRILL, response_ms=2000)
    history.at(DAY1 + dt.timedelta(days=1), 9)
    history.answer("small/alpha", 4, response_ms=1000)  # young, passed
    history.answer("small/beta", 3, response_ms=1000)  # reps 0 before: neither
    history.answer("small/gamma", 2, response_ms=1000)  # young, failed: a lapse
    history.answer("other/epsilon", 5, response_ms=1000)  # new
    history.at(DAY1 + dt.timedelta(days=1), 12)

    report = build_progress(two_decks, None, 7)
    assert report.today == DAY1 + dt.timedelta(days=1)
    assert report.counts == {
        CardCategory.NEW: 1,  # delta
        CardCategory.LEARNING: 3,  # beta, gamma (reps 0 or 1), epsilon (reps 1)
        CardCategory.YOUNG: 1,  # alpha: reps 2, interval 6
        CardCategory.MATURE: 0,
        CardCategory.RETIRED: 0,
    }
    assert report.reviews_today == 4
    assert report.total_reviews == 8
    assert [count for _, count in report.reviews_per_day] == [0, 0, 0, 0, 0, 4, 4]
    assert report.time_per_day[-2:] == ((DAY1, 8.0), (report.today, 4.0))
    assert (report.retention_7.young_passed, report.retention_7.young_total) == (1, 2)
    assert report.retention_30.young_rate == 0.5
    assert report.retention_7.mature_rate is None
    assert report.streak == Streaks(current=2, longest=2)
    assert [(s.card_id, s.state.lapses) for s in report.hardest][:2] == [
        ("small/gamma", 1),
        ("small/beta", 0),  # easiness 2.36, below alpha's 2.6 and epsilon's 2.6
    ]
    assert report.forecast[0] == (report.today, 0)
    assert sum(due for _, due in report.forecast) == 4
    assert not report.is_empty

    small = build_progress(two_decks, ["small"], 7)
    assert small.total_reviews == 7
    assert small.counts[CardCategory.NEW] == 0
    assert {s.deck for s in small.hardest} == {"small"}
    other = build_progress(two_decks, ["other"], 30)
    assert (other.total_reviews, other.streak) == (1, Streaks(current=1, longest=1))
    assert len(other.reviews_per_day) == 30

    terms = card_terms(two_decks, report.hardest)
    assert terms["small/gamma"] == "Gamma"
    assert terms["other/epsilon"] == "Epsilon"


def test_streaks_and_emptiness_look_past_the_window(trainer: Trainer, clock: FixedClock) -> None:
    """A long streak two months ago still counts; old history is not an empty history."""
    history = History(trainer, clock)
    for offset in range(12):
        history.at(DAY1 + dt.timedelta(days=offset), 10).answer("small/alpha", 2)
    history.at(DAY1 + dt.timedelta(days=70), 10)

    report = build_progress(trainer, None, 7)
    assert report.total_reviews == 0
    assert report.streak == Streaks(current=0, longest=12)
    assert not report.is_empty

    inputs = load_progress(trainer, None, 365, weeks=HEATMAP_WEEKS)
    assert inputs.since == heatmap_start(report.today)
    assert inputs.report(30).streak.longest == 12
    assert inputs.report(365).total_reviews == 12
    assert inputs.heatmap().total == 12
    with pytest.raises(ValueError, match="fetched"):
        load_progress(trainer, None, 30).report(90)


def test_an_empty_history_is_empty_but_counts_the_cards(trainer: Trainer) -> None:
    report = build_progress(trainer, None, 30)
    assert report.is_empty
    assert report.counts[CardCategory.NEW] == 3
    assert report.streak == Streaks(0, 0)
    assert report.retention_30.young_rate is None
    assert load_progress(trainer, None, 30, weeks=HEATMAP_WEEKS).heatmap().total == 0


@pytest.mark.parametrize("days", [0, -1, MAX_DAYS + 1], ids=["zero", "negative", "too-many"])
def test_build_progress_refuses_silly_windows(trainer: Trainer, days: int) -> None:
    with pytest.raises(UserError, match=f"days must be between 1 and {MAX_DAYS}"):
        build_progress(trainer, None, days)


def test_report_in_another_time_zone_uses_local_study_days(
    tmp_path: Path, clock: FixedClock, deck_dir: Path
) -> None:
    """UTC-5: 07:30 UTC is 02:30 local, which is still the previous study day."""
    tz = dt.timezone(dt.timedelta(hours=-5))
    trainer = Trainer.open(
        tmp_path / "tz.db", clock=clock, settings=Settings(), tz=tz, deck_dirs=[deck_dir]
    )
    try:
        trainer.sync_decks()
        history = History(trainer, clock)
        history.at(DAY1, 15).answer("small/alpha", 4)  # 10:00 local, day 1
        history.at(DAY1 + dt.timedelta(days=1), 7, 30).answer("small/beta", 4)  # 02:30 local
        (day,) = stats_queries.daily_activity(trainer.store.db)
        assert (day.day, day.reviews) == (DAY1, 2)
        assert build_progress(trainer, None, 1).reviews_today == 2
    finally:
        trainer.close()


# --------------------------------------------------------------------------- heatmap helpers


@pytest.mark.parametrize(
    ("count", "maximum", "level"),
    [
        (None, 10, None),
        (0, 10, 0),
        (1, 100, 1),
        (25, 100, 1),
        (26, 100, 2),
        (100, 100, 4),
        (3, 0, 0),
    ],
    ids=["future", "none", "light-day-still-shows", "quarter", "above-quarter", "max", "no-max"],
)
def test_heatmap_level(count: int | None, maximum: int, level: int | None) -> None:
    assert heatmap_level(count, maximum) == level


def test_month_labels_sit_over_the_week_of_each_first() -> None:
    # Weeks from Mon Jan 26: it holds Feb 1, Feb 23 holds Mar 1, Mar 30 holds Apr 1.
    mondays = [dt.date(2026, 1, 26) + dt.timedelta(weeks=n) for n in range(10)]
    assert month_labels(mondays) == "Feb Mar"  # Apr, in the last column, would overflow
    assert month_labels(mondays, cell_width=2) == "Feb" + " " * 5 + "Mar"
    two_more = [dt.date(2026, 4, 6), dt.date(2026, 4, 13)]
    assert month_labels(mondays + two_more) == "Feb Mar  Apr"


def test_a_first_column_starting_mid_month_is_named_only_if_it_fits() -> None:
    roomy = [dt.date(2026, 3, 2) + dt.timedelta(weeks=n) for n in range(7)]  # Apr in column 4
    assert month_labels(roomy) == "Mar Apr"
    tight = [dt.date(2026, 3, 16) + dt.timedelta(weeks=n) for n in range(6)]  # Apr in column 2
    assert month_labels(tight) == "  Apr"
