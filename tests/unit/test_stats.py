"""Progress statistics: hand-computed numbers on constructed histories.

Review histories are replayed through the real scheduler (``sm2.review``) so
the before/after states are ones the program can actually produce, and study
days come from ``clock.study_day`` in a fixed UTC-5 zone so the rollover hour
is exercised exactly as the storage layer will apply it.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.core.clock import study_day
from trainer.core.model import CardStatus, Direction, Mode, ReviewRecord
from trainer.core.sm2 import SM2State, review
from trainer.core.stats import (
    CardCategory,
    DayActivity,
    ProgressReport,
    QuizAttemptSummary,
    Retention,
    Streaks,
    categorize,
    counts_by_category,
    daily_activity,
    forecast,
    hardest,
    heatmap,
    progress_report,
    quiz_history,
    retention,
    reviews_per_day,
    streaks,
    time_per_day,
)

TZ = dt.timezone(dt.timedelta(hours=-5))
TODAY = dt.date(2024, 3, 15)  # a Friday


def d(month: int, day: int, year: int = 2024) -> dt.date:
    return dt.date(year, month, day)


def local(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, minute, tzinfo=TZ)


def replay(grades: Sequence[int], first: dt.date) -> SM2State:
    """The state after answering a new card on each of its due days."""
    state = SM2State()
    day = first
    for grade in grades:
        state = review(state, grade, day)
        assert state.due is not None
        day = state.due
    return state


@dataclass
class Log:
    """Builds a review log the way the application would: real states, real study days."""

    states: dict[str, SM2State] = field(default_factory=dict)
    records: list[ReviewRecord] = field(default_factory=list)

    def answer(
        self,
        card: str,
        when: dt.datetime,
        grade: int,
        mode: Mode = Mode.STUDY,
        response_ms: int | None = 1000,
    ) -> ReviewRecord:
        answered_at = when.astimezone(dt.UTC)
        day = study_day(answered_at, TZ)
        before = self.states.get(card, SM2State())
        after = before if mode is Mode.DRILL else review(before, grade, day)
        self.states[card] = after
        record = ReviewRecord(
            id=f"r{len(self.records)}",
            card_id=card,
            direction=Direction.FORWARD,
            answered_at=answered_at,
            day=day,
            grade=grade,
            mode=mode,
            response_ms=response_ms,
            before=before,
            after=after,
        )
        self.records.append(record)
        return record


def status(
    card: str,
    state: SM2State | None = None,
    *,
    retired: bool = False,
    suspended: bool = False,
    direction: Direction = Direction.FORWARD,
) -> CardStatus:
    return CardStatus(
        card_id=card,
        deck=card.split("/")[0],
        direction=direction,
        state=state or SM2State(),
        retired=retired,
        suspended=suspended,
    )


def studied(
    repetitions: int,
    interval: int,
    due: dt.date,
    *,
    lapses: int = 0,
    easiness: float = 2.5,
) -> SM2State:
    return SM2State(
        repetitions=repetitions, easiness=easiness, interval=interval, due=due, lapses=lapses
    )


# --------------------------------------------------------------------------- daily_activity

YOUNG_SEED = replay([5, 5, 5], d(1, 1))  # repetitions 3, interval 17
MATURE_SEED = replay([5, 5, 5, 5], d(10, 1, 2023))  # repetitions 4, interval 48


def test_seed_states_are_what_the_history_assumes() -> None:
    assert (YOUNG_SEED.repetitions, YOUNG_SEED.interval) == (3, 17)
    assert (MATURE_SEED.repetitions, MATURE_SEED.interval) == (4, 48)


def sample_log() -> Log:
    """Three study days; see test_daily_activity_hand_computed for the tally."""
    log = Log(states={"c": YOUNG_SEED, "m": MATURE_SEED})
    # Study day 2024-03-10.
    log.answer("a", local(3, 10, 9, 0), 4, response_ms=2000)  # new
    log.answer("b", local(3, 10, 9, 1), 2, response_ms=3000)  # new, failed
    log.answer("b", local(3, 10, 9, 5), 4, Mode.DRILL, response_ms=1500)  # drill: effort only
    log.answer("c", local(3, 10, 9, 10), 4, response_ms=2500)  # young, passed -> interval 48
    log.answer("m", local(3, 10, 9, 20), 1, response_ms=4000)  # mature, failed
    log.answer("m", local(3, 10, 9, 25), 5, Mode.DRILL, response_ms=1000)
    # 01:30 on the 12th still belongs to study day 2024-03-11.
    # a quiz answer is effort only: a quiz logs its wrong answers, never its right ones
    log.answer("a", local(3, 12, 1, 30), 5, Mode.QUIZ, response_ms=2000)
    # 04:30 on the 12th is study day 2024-03-12.
    log.answer("b", local(3, 12, 4, 30), 3, response_ms=5000)  # relearning: neither bucket
    log.answer("c", local(3, 12, 5, 0), 2, response_ms=None)  # now mature, failed, no time
    return log


def test_daily_activity_hand_computed() -> None:
    assert daily_activity(sample_log().records) == [
        DayActivity(
            day=d(3, 10),
            reviews=6,
            seconds=14.0,
            new_cards=2,
            young_total=1,
            young_passed=1,
            mature_total=1,
            mature_passed=0,
        ),
        DayActivity(day=d(3, 11), reviews=1, seconds=2.0),
        DayActivity(day=d(3, 12), reviews=2, seconds=5.0, mature_total=1, mature_passed=0),
    ]


def test_daily_activity_is_sorted_whatever_the_input_order() -> None:
    records = sample_log().records
    assert daily_activity(reversed(records)) == daily_activity(records)


def test_daily_activity_of_nothing_is_empty() -> None:
    assert daily_activity([]) == []


def test_answers_either_side_of_the_rollover_land_on_different_study_days() -> None:
    log = Log()
    late = log.answer("x", local(3, 12, 1, 30), 4)
    early = log.answer("y", local(3, 12, 4, 30), 4)
    assert (late.day, early.day) == (d(3, 11), d(3, 12))
    assert [(a.day, a.reviews) for a in daily_activity(log.records)] == [
        (d(3, 11), 1),
        (d(3, 12), 1),
    ]


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (0, 0, d(3, 11)),
        (1, 30, d(3, 11)),
        (3, 59, d(3, 11)),
        (4, 0, d(3, 12)),
        (4, 30, d(3, 12)),
        (23, 59, d(3, 12)),
    ],
    ids=["midnight", "01:30", "03:59", "rollover", "04:30", "23:59"],
)
def test_study_day_of_an_answer_on_the_12th(hour: int, minute: int, expected: dt.date) -> None:
    record = Log().answer("x", local(3, 12, hour, minute), 4)
    assert record.day == expected
    assert daily_activity([record])[0].day == expected


# --------------------------------------------------------------------------- categories

MATURE_AT_40 = studied(4, 40, d(5, 1))
CATEGORY_CASES = [
    pytest.param(status("d/x"), CardCategory.NEW, id="new"),
    pytest.param(status("d/x", studied(1, 1, d(3, 16))), CardCategory.LEARNING, id="first-pass"),
    pytest.param(
        status("d/x", studied(0, 1, d(3, 16), lapses=1)), CardCategory.LEARNING, id="lapsed"
    ),
    pytest.param(status("d/x", studied(2, 6, d(3, 20))), CardCategory.YOUNG, id="second-pass"),
    pytest.param(status("d/x", studied(3, 20, d(4, 1))), CardCategory.YOUNG, id="young-20-days"),
    pytest.param(status("d/x", studied(3, 21, d(4, 1))), CardCategory.MATURE, id="mature-21-days"),
    pytest.param(status("d/x", MATURE_AT_40, retired=True), CardCategory.RETIRED, id="retired"),
    pytest.param(status("d/x", retired=True), CardCategory.RETIRED, id="retired-new"),
    pytest.param(
        status("d/x", MATURE_AT_40, suspended=True), CardCategory.MATURE, id="suspended-by-state"
    ),
    pytest.param(status("d/x", suspended=True), CardCategory.NEW, id="suspended-new"),
]


@pytest.mark.parametrize(("card", "expected"), CATEGORY_CASES)
def test_categorize(card: CardStatus, expected: CardCategory) -> None:
    assert categorize(card) is expected


def test_category_values_are_stable_strings() -> None:
    assert [c.value for c in CardCategory] == ["new", "learning", "young", "mature", "retired"]


def test_counts_by_category_lists_every_category_including_zeros() -> None:
    cards = [case.values[0] for case in CATEGORY_CASES]
    assert counts_by_category(cards) == {
        CardCategory.NEW: 2,
        CardCategory.LEARNING: 2,
        CardCategory.YOUNG: 2,
        CardCategory.MATURE: 2,
        CardCategory.RETIRED: 2,
    }
    assert counts_by_category([]) == dict.fromkeys(CardCategory, 0)
    assert list(counts_by_category([])) == list(CardCategory)


# --------------------------------------------------------------------------- daily series

ACTIVITY = [
    DayActivity(day=d(3, 8), reviews=2, seconds=10.0, young_total=1),
    DayActivity(day=d(3, 13), reviews=1, seconds=5.0),
    DayActivity(day=d(3, 15), reviews=4, seconds=12.5),
    DayActivity(day=d(3, 16), reviews=9, seconds=99.0),  # after today: never counted
]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, []),
        (1, [(d(3, 15), 4)]),
        (3, [(d(3, 13), 1), (d(3, 14), 0), (d(3, 15), 4)]),
        (
            8,
            [
                (d(3, 8), 2),
                (d(3, 9), 0),
                (d(3, 10), 0),
                (d(3, 11), 0),
                (d(3, 12), 0),
                (d(3, 13), 1),
                (d(3, 14), 0),
                (d(3, 15), 4),
            ],
        ),
    ],
    ids=["none", "today-only", "three-days", "eight-days"],
)
def test_reviews_per_day(days: int, expected: list[tuple[dt.date, int]]) -> None:
    assert reviews_per_day(ACTIVITY, TODAY, days) == expected


def test_reviews_per_day_sums_duplicate_days() -> None:
    split = [DayActivity(day=TODAY, reviews=2), DayActivity(day=TODAY, reviews=3)]
    assert reviews_per_day(split, TODAY, 1) == [(TODAY, 5)]


def test_time_per_day_is_zero_filled_seconds() -> None:
    assert time_per_day(ACTIVITY, TODAY, 3) == [(d(3, 13), 5.0), (d(3, 14), 0.0), (d(3, 15), 12.5)]


@pytest.mark.parametrize("series", [reviews_per_day, time_per_day], ids=["reviews", "time"])
def test_series_reject_negative_windows(
    series: Callable[[list[DayActivity], dt.date, int], object],
) -> None:
    with pytest.raises(ValueError, match="days"):
        series(ACTIVITY, TODAY, -1)


def test_series_of_empty_history_are_zero_filled() -> None:
    assert reviews_per_day([], TODAY, 2) == [(d(3, 14), 0), (d(3, 15), 0)]
    assert time_per_day([], TODAY, 2) == [(d(3, 14), 0.0), (d(3, 15), 0.0)]


# --------------------------------------------------------------------------- heatmap


def test_heatmap_shape_and_placement() -> None:
    grid = heatmap(ACTIVITY, TODAY)
    assert len(grid) == 7
    assert all(len(row) == 53 for row in grid)
    # TODAY is a Friday (row 4) in the last column, 03-13 a Wednesday (row 2);
    # Saturday and Sunday are still to come.
    assert [row[-1] for row in grid] == [0, 0, 1, 0, 4, None, None]
    # 2024-03-08 is the Friday of the previous week.
    assert grid[4][-2] == 2
    assert sum(cell is None for row in grid for cell in row) == 2
    assert sum(cell or 0 for row in grid for cell in row) == 7


def test_heatmap_first_cell_is_the_monday_weeks_ago() -> None:
    first_monday = d(3, 13, 2023)  # 52 weeks before Monday 2024-03-11
    grid = heatmap([DayActivity(day=first_monday, reviews=3)], TODAY)
    assert grid[0][0] == 3
    assert heatmap([DayActivity(day=first_monday - dt.timedelta(days=1), reviews=3)], TODAY) == [
        [0] * 52 + [0 if weekday <= 4 else None] for weekday in range(7)
    ]


@pytest.mark.parametrize(
    ("today", "expected_last_column"),
    [
        (d(3, 11), [5, None, None, None, None, None, None]),
        (d(3, 17), [5, 0, 0, 0, 0, 0, 0]),
    ],
    ids=["monday", "sunday"],
)
def test_heatmap_last_column_ends_on_today(
    today: dt.date, expected_last_column: list[int | None]
) -> None:
    grid = heatmap([DayActivity(day=d(3, 11), reviews=5)], today, weeks=1)
    assert [row[0] for row in grid] == expected_last_column


def test_heatmap_rejects_zero_weeks() -> None:
    with pytest.raises(ValueError, match="weeks"):
        heatmap([], TODAY, weeks=0)


# --------------------------------------------------------------------------- forecast

FORECAST_CARDS = [
    status("d/overdue", studied(2, 6, d(3, 1))),
    status("d/overdue-too", studied(3, 15, d(3, 14))),
    status("d/today", studied(1, 1, d(3, 15))),
    status("d/tomorrow", studied(1, 1, d(3, 16))),
    status("d/last-day", studied(3, 30, d(3, 21))),
    status("d/beyond", studied(3, 30, d(3, 22))),
    status("d/new"),
    status("d/retired", studied(1, 1, d(3, 15)), retired=True),
    status("d/suspended", studied(1, 1, d(3, 16)), suspended=True),
]


def test_forecast_counts_overdue_on_today_and_skips_unscheduled_cards() -> None:
    assert forecast(FORECAST_CARDS, TODAY, days=7) == [
        (d(3, 15), 3),
        (d(3, 16), 1),
        (d(3, 17), 0),
        (d(3, 18), 0),
        (d(3, 19), 0),
        (d(3, 20), 0),
        (d(3, 21), 1),
    ]


def test_forecast_defaults_to_thirty_zero_filled_days() -> None:
    result = forecast([], TODAY)
    assert [day for day, _ in result] == [TODAY + dt.timedelta(days=i) for i in range(30)]
    assert {count for _, count in result} == {0}
    assert forecast(FORECAST_CARDS, TODAY, days=0) == []


# --------------------------------------------------------------------------- retention

RETENTION_ACTIVITY = [
    DayActivity(day=d(2, 14), young_total=5, young_passed=5),  # just outside 30 days
    DayActivity(day=d(2, 15), young_total=1, young_passed=1, mature_total=1, mature_passed=1),
    DayActivity(day=d(3, 8), young_total=1, young_passed=0),  # just outside 7 days
    DayActivity(day=d(3, 9), mature_total=2, mature_passed=1),
    DayActivity(day=d(3, 14), young_total=3, young_passed=2, mature_total=1, mature_passed=1),
    DayActivity(day=d(3, 16), young_total=9, young_passed=0),  # after today
]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (1, Retention()),
        (7, Retention(young_passed=2, young_total=3, mature_passed=2, mature_total=3)),
        (30, Retention(young_passed=3, young_total=5, mature_passed=3, mature_total=4)),
    ],
    ids=["today", "week", "month"],
)
def test_retention_window_boundaries(window: int, expected: Retention) -> None:
    assert retention(RETENTION_ACTIVITY, TODAY, window) == expected


@pytest.mark.parametrize(
    ("counts", "young", "mature", "overall"),
    [
        ((0, 0, 0, 0), None, None, None),
        ((3, 4, 0, 0), 0.75, None, 0.75),
        ((0, 0, 1, 2), None, 0.5, 0.5),
        ((2, 3, 2, 3), 2 / 3, 2 / 3, 2 / 3),
        ((0, 5, 5, 5), 0.0, 1.0, 0.5),
    ],
    ids=["nothing", "young-only", "mature-only", "both", "extremes"],
)
def test_retention_rates_never_divide_by_zero(
    counts: tuple[int, int, int, int],
    young: float | None,
    mature: float | None,
    overall: float | None,
) -> None:
    result = Retention(*counts)
    assert (result.young_rate, result.mature_rate, result.overall_rate) == (young, mature, overall)


def test_retention_of_empty_history_has_no_rates() -> None:
    result = retention([], TODAY, 30)
    assert result == Retention()
    assert (result.young_rate, result.mature_rate, result.overall_rate) == (None, None, None)


# --------------------------------------------------------------------------- streaks


def days_back(*offsets: int) -> list[dt.date]:
    return [TODAY - dt.timedelta(days=offset) for offset in offsets]


@pytest.mark.parametrize(
    ("study_days", "expected"),
    [
        ([], Streaks(0, 0)),
        (days_back(0), Streaks(1, 1)),
        (days_back(0, 1, 2), Streaks(3, 3)),
        (days_back(1, 2, 3), Streaks(3, 3)),
        (days_back(2, 3), Streaks(0, 2)),
        (days_back(0, 2, 3), Streaks(1, 2)),
        (days_back(0, 1, 10, 11, 12, 13, 14), Streaks(2, 5)),
        (days_back(0, 0, 1, 1), Streaks(2, 2)),
        (days_back(-1, -2, 0), Streaks(1, 1)),
    ],
    ids=[
        "never",
        "today-only",
        "through-today",
        "today-not-yet-studied-keeps-yesterday",
        "gap-breaks-it",
        "gap-then-today",
        "longest-in-the-past",
        "duplicates",
        "future-days-ignored",
    ],
)
def test_streaks(study_days: list[dt.date], expected: Streaks) -> None:
    assert streaks(study_days, TODAY) == expected


def test_streaks_accept_any_iterable_in_any_order() -> None:
    assert streaks(iter(reversed(days_back(0, 1, 2))), TODAY) == Streaks(3, 3)


# --------------------------------------------------------------------------- hardest


def test_hardest_orders_by_lapses_then_easiness_then_card_id() -> None:
    tied = studied(1, 1, d(3, 16), lapses=2, easiness=1.9)
    cards = [
        status("d/calm", studied(3, 20, d(4, 1), lapses=0, easiness=2.5)),
        status("d/b-tied", tied),
        status("d/a-tied", tied),
        status("d/a-tied", tied, direction=Direction.REVERSE),
        status("d/worst", studied(0, 1, d(3, 16), lapses=4, easiness=2.3)),
        status("d/stiff", studied(2, 6, d(3, 20), lapses=2, easiness=1.3)),
        status("d/new"),
        status("d/retired", studied(0, 1, d(3, 16), lapses=9, easiness=1.3), retired=True),
        status("d/suspended", studied(0, 1, d(3, 16), lapses=3, easiness=2.0), suspended=True),
    ]
    ranked = [(c.card_id, c.direction.value) for c in hardest(cards)]
    assert ranked == [
        ("d/worst", "forward"),
        ("d/suspended", "forward"),
        ("d/stiff", "forward"),
        ("d/a-tied", "forward"),
        ("d/a-tied", "reverse"),
        ("d/b-tied", "forward"),
        ("d/calm", "forward"),
    ]
    assert [c.card_id for c in hardest(cards, n=2)] == ["d/worst", "d/suspended"]
    assert hardest(cards, n=0) == []
    assert hardest([status("d/new")]) == []


def test_hardest_does_not_depend_on_input_order() -> None:
    cards = [status(f"d/{i}", studied(1, 1, d(3, 16), lapses=i % 3)) for i in range(30)]
    assert hardest(cards) == hardest(list(reversed(cards)))


# --------------------------------------------------------------------------- quizzes

ATTEMPTS = [
    QuizAttemptSummary(deck="b", day=d(3, 10), score=8, total=10),
    QuizAttemptSummary(deck="a", day=d(3, 12), score=3, total=4),
    QuizAttemptSummary(deck="a", day=d(3, 1), score=1, total=2),
    QuizAttemptSummary(deck="a", day=d(3, 12), score=4, total=4),
    QuizAttemptSummary(deck="c", day=d(3, 2), score=0, total=0),
]


def test_quiz_history_per_deck_in_date_order() -> None:
    history = quiz_history(ATTEMPTS)
    assert history == {
        "a": [(d(3, 1), 50.0), (d(3, 12), 75.0), (d(3, 12), 100.0)],
        "b": [(d(3, 10), 80.0)],
        "c": [(d(3, 2), 0.0)],
    }
    assert list(history) == ["a", "b", "c"]
    assert quiz_history([]) == {}


# --------------------------------------------------------------------------- the report

REPORT_ACTIVITY = [
    DayActivity(day=d(2, 10), reviews=5, seconds=50.0, young_total=2, young_passed=1),
    DayActivity(day=d(2, 18), reviews=1, seconds=6.0),
    DayActivity(day=d(2, 19), reviews=1, seconds=6.0),
    DayActivity(
        day=d(2, 20),
        reviews=3,
        seconds=30.0,
        young_total=1,
        young_passed=1,
        mature_total=1,
        mature_passed=1,
    ),
    DayActivity(day=d(2, 21), reviews=1, seconds=6.0),
    DayActivity(day=d(3, 8), reviews=2, seconds=10.0, young_total=1, young_passed=0),
    DayActivity(day=d(3, 9), reviews=4, seconds=40.0, mature_total=2, mature_passed=1),
    DayActivity(day=d(3, 13), reviews=1, seconds=5.0, young_total=1, young_passed=1),
    DayActivity(
        day=d(3, 14),
        reviews=6,
        seconds=60.0,
        young_total=3,
        young_passed=2,
        mature_total=1,
        mature_passed=1,
    ),
    DayActivity(day=d(3, 15), reviews=2, seconds=12.5, new_cards=2),
]

REPORT_CARDS = [
    status("d/new"),
    status("d/learning", studied(1, 1, d(3, 16), easiness=2.6)),
    status("d/young", studied(3, 17, d(3, 20), lapses=2, easiness=1.9)),
    status("d/mature", studied(5, 60, d(4, 30), easiness=2.5)),
    status("d/overdue", studied(2, 6, d(3, 1), lapses=1, easiness=2.2)),
    status("d/retired", studied(5, 60, d(3, 15), lapses=5, easiness=1.3), retired=True),
    status("d/suspended", studied(3, 10, d(3, 15), lapses=3, easiness=1.5), suspended=True),
]

REPORT_ATTEMPTS = [
    QuizAttemptSummary(deck="b", day=d(3, 10), score=8, total=10),
    QuizAttemptSummary(deck="a", day=d(3, 12), score=3, total=4),
    QuizAttemptSummary(deck="a", day=d(3, 1), score=1, total=2),
]


@pytest.fixture
def report() -> ProgressReport:
    return progress_report(REPORT_CARDS, REPORT_ACTIVITY, REPORT_ATTEMPTS, TODAY)


def test_report_counts_and_totals(report: ProgressReport) -> None:
    assert (report.today, report.days) == (TODAY, 30)
    assert report.counts == {
        CardCategory.NEW: 1,
        CardCategory.LEARNING: 1,
        CardCategory.YOUNG: 3,
        CardCategory.MATURE: 1,
        CardCategory.RETIRED: 1,
    }
    # The window is 2024-02-15..2024-03-15: 1+1+3+1+2+4+1+6+2; 2024-02-10 is outside.
    assert report.total_reviews == 21
    assert report.reviews_today == 2
    assert report.is_empty is False


def test_report_series(report: ProgressReport) -> None:
    assert len(report.reviews_per_day) == 30
    assert report.reviews_per_day[0] == (d(2, 15), 0)
    assert report.reviews_per_day[-3:] == ((d(3, 13), 1), (d(3, 14), 6), (d(3, 15), 2))
    assert len(report.time_per_day) == 30
    assert sum(seconds for _, seconds in report.time_per_day) == 175.5
    assert len(report.forecast) == 30
    assert report.forecast[:2] == ((d(3, 15), 1), (d(3, 16), 1))
    assert dict(report.forecast)[d(3, 20)] == 1
    assert sum(count for _, count in report.forecast) == 3  # mature is due after the window


def test_report_retention_streak_hardest_quizzes(report: ProgressReport) -> None:
    assert report.retention_7 == Retention(
        young_passed=3, young_total=4, mature_passed=2, mature_total=3
    )
    assert report.retention_30 == Retention(
        young_passed=4, young_total=6, mature_passed=3, mature_total=4
    )
    assert report.streak == Streaks(current=3, longest=4)
    assert [c.card_id for c in report.hardest] == [
        "d/suspended",
        "d/young",
        "d/overdue",
        "d/mature",
        "d/learning",
    ]
    assert report.quiz_history == {
        "a": ((d(3, 1), 50.0), (d(3, 12), 75.0)),
        "b": ((d(3, 10), 80.0),),
    }


def test_report_to_dict_is_json_ready(report: ProgressReport) -> None:
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["today"] == "2024-03-15"
    assert data["counts"] == {"new": 1, "learning": 1, "young": 3, "mature": 1, "retired": 1}
    assert data["reviews_per_day"][-1] == {"day": "2024-03-15", "reviews": 2}
    assert data["time_per_day"][-1] == {"day": "2024-03-15", "seconds": 12.5}
    assert data["forecast"][0] == {"day": "2024-03-15", "due": 1}
    assert data["retention_7"] == {
        "young_passed": 3,
        "young_total": 4,
        "mature_passed": 2,
        "mature_total": 3,
        "young_rate": 0.75,
        "mature_rate": 2 / 3,
        "overall_rate": 5 / 7,
    }
    assert data["streak"] == {"current": 3, "longest": 4}
    assert data["hardest"][0] == {
        "card_id": "d/suspended",
        "deck": "d",
        "direction": "forward",
        "lapses": 3,
        "easiness": 1.5,
    }
    assert data["quiz_history"]["a"] == [
        {"day": "2024-03-01", "percent": 50.0},
        {"day": "2024-03-12", "percent": 75.0},
    ]
    assert data["is_empty"] is False


def test_empty_report() -> None:
    report = progress_report([], [], [], TODAY, days=7)
    assert report.is_empty is True
    assert report.counts == dict.fromkeys(CardCategory, 0)
    assert (report.reviews_today, report.total_reviews) == (0, 0)
    assert report.reviews_per_day == tuple(
        (TODAY - dt.timedelta(days=i), 0) for i in range(6, -1, -1)
    )
    assert {seconds for _, seconds in report.time_per_day} == {0.0}
    assert len(report.forecast) == 30
    assert {count for _, count in report.forecast} == {0}
    for window in (report.retention_7, report.retention_30):
        assert (window.young_rate, window.mature_rate, window.overall_rate) == (None, None, None)
    assert report.streak == Streaks(0, 0)
    assert report.hardest == ()
    assert report.quiz_history == {}
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["retention_30"]["mature_rate"] is None


@pytest.mark.parametrize(
    ("activity", "attempts", "expected"),
    [
        ([], [], True),
        ([DayActivity(day=d(3, 1))], [], True),
        ([DayActivity(day=d(1, 1, 2020), reviews=1)], [], False),
        ([], [QuizAttemptSummary(deck="a", day=d(3, 1), score=0, total=5)], False),
    ],
    ids=["nothing", "zero-review-rows", "old-reviews-only", "quiz-only"],
)
def test_report_is_empty(
    activity: list[DayActivity], attempts: list[QuizAttemptSummary], expected: bool
) -> None:
    assert progress_report([], activity, attempts, TODAY).is_empty is expected


def test_report_from_a_replayed_log() -> None:
    """The reference aggregation feeds the report end to end."""
    log = sample_log()
    cards = [status(card, state) for card, state in sorted(log.states.items())]
    report = progress_report(cards, daily_activity(log.records), [], d(3, 12), days=3)
    assert report.reviews_per_day == ((d(3, 10), 6), (d(3, 11), 1), (d(3, 12), 2))
    assert report.time_per_day == ((d(3, 10), 14.0), (d(3, 11), 2.0), (d(3, 12), 5.0))
    assert report.retention_7 == Retention(
        young_passed=1, young_total=1, mature_passed=0, mature_total=2
    )
    assert report.streak == Streaks(current=3, longest=3)
    # c and m lapsed once (EF 2.8 < 2.9); b failed while new, so no lapse (EF 2.36 < 2.6).
    assert [c.card_id for c in report.hardest] == ["c", "m", "b", "a"]


# --------------------------------------------------------------------------- properties

days_strategy = st.dates(min_value=d(1, 1, 2023), max_value=d(6, 30))
activity_strategy = st.lists(
    st.builds(DayActivity, day=days_strategy, reviews=st.integers(0, 50)), max_size=40
)
state_strategy = st.builds(
    SM2State,
    repetitions=st.integers(0, 10),
    easiness=st.floats(1.3, 3.5),
    interval=st.integers(0, 400),
    due=st.none() | days_strategy,
    lapses=st.integers(0, 10),
)
status_strategy = st.builds(
    CardStatus,
    card_id=st.text(min_size=1, max_size=5),
    deck=st.just("d"),
    direction=st.sampled_from(Direction),
    state=state_strategy,
    retired=st.booleans(),
    suspended=st.booleans(),
)


@given(activity=activity_strategy, today=days_strategy, days=st.integers(0, 120))
def test_reviews_per_day_sums_to_the_reviews_in_the_window(
    activity: list[DayActivity], today: dt.date, days: int
) -> None:
    first = today - dt.timedelta(days=days - 1)
    in_window = sum(a.reviews for a in activity if first <= a.day <= today)
    series = reviews_per_day(activity, today, days)
    assert len(series) == days
    assert sum(count for _, count in series) == in_window


@given(activity=activity_strategy, today=days_strategy, weeks=st.integers(1, 60))
def test_heatmap_cells_up_to_today_are_filled(
    activity: list[DayActivity], today: dt.date, weeks: int
) -> None:
    grid = heatmap(activity, today, weeks)
    assert [len(row) for row in grid] == [weeks] * 7
    filled = [cell for row in grid for cell in row if cell is not None]
    assert len(filled) == (weeks - 1) * 7 + today.weekday() + 1
    assert sum(filled) == sum(count for _, count in reviews_per_day(activity, today, len(filled)))


@given(statuses=st.lists(status_strategy, max_size=60))
def test_counts_by_category_sum_to_the_number_of_cards(statuses: list[CardStatus]) -> None:
    counts = counts_by_category(statuses)
    assert set(counts) == set(CardCategory)
    assert sum(counts.values()) == len(statuses)


@given(study_days=st.lists(days_strategy, max_size=60), today=days_strategy)
def test_current_streak_never_exceeds_longest(study_days: list[dt.date], today: dt.date) -> None:
    result = streaks(study_days, today)
    assert 0 <= result.current <= result.longest
    yesterday = today - dt.timedelta(days=1)
    assert (result.current > 0) == bool({today, yesterday} & set(study_days))


@given(
    answers=st.lists(
        st.tuples(
            st.sampled_from("abc"),
            st.integers(0, 5),
            st.sampled_from(Mode),
            st.integers(0, 24 * 20),
        ),
        max_size=40,
    )
)
def test_daily_activity_accounts_for_every_answer(
    answers: list[tuple[str, int, Mode, int]],
) -> None:
    log = Log()
    for card, grade, mode, hours in sorted(answers, key=lambda a: a[3]):
        log.answer(card, local(3, 1, 0) + dt.timedelta(hours=hours), grade, mode)
    activity = daily_activity(log.records)
    assert sum(a.reviews for a in activity) == len(log.records)
    assert [a.day for a in activity] == sorted({r.day for r in log.records})
    scheduling = sum(r.mode is not Mode.DRILL for r in log.records)
    assert sum(a.new_cards + a.young_total + a.mature_total for a in activity) <= scheduling
    assert all(a.young_passed <= a.young_total for a in activity)
    assert all(a.mature_passed <= a.mature_total for a in activity)


# --------------------------------------------------------------------------- hygiene


def test_stats_imports_only_the_standard_library() -> None:
    code = (
        "import sys, trainer.core.stats; "
        "print(sorted({'textual', 'yaml', 'sqlite_utils'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
