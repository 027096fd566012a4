"""Today's queue: the pure builder, then whole days simulated through the Trainer facade."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest

from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import CardStatus, Direction, Mode, ReviewRecord
from trainer.core.queue import (
    Limits,
    QueueEntry,
    QueueKind,
    TodayLog,
    build_queue,
    summarize_today,
)
from trainer.core.sm2 import SM2State

TODAY = dt.date(2026, 3, 4)
FWD = Direction.FORWARD
REV = Direction.REVERSE
NO_LOG = TodayLog()
WIDE = Limits(new_per_day=100, reviews_per_day=1000)


def due_on(day: dt.date, interval: int = 6) -> SM2State:
    return SM2State(repetitions=2, easiness=2.5, interval=interval, due=day)


def status(
    card: str,
    state: SM2State | None = None,
    direction: Direction = FWD,
    *,
    retired: bool = False,
    suspended: bool = False,
) -> CardStatus:
    return CardStatus(
        card_id=f"d/{card}",
        deck="d",
        direction=direction,
        state=state or SM2State(),
        retired=retired,
        suspended=suspended,
    )


def entries(queue: list[QueueEntry]) -> list[tuple[str, str]]:
    return [(e.card_id.removeprefix("d/"), str(e.kind)) for e in queue]


# --------------------------------------------------------------------- ordering
def test_due_reviews_come_first_in_the_days_order_then_new_in_deck_order() -> None:
    statuses = [
        status("new-1"),
        status("due-today", due_on(TODAY)),
        status("future", due_on(TODAY + dt.timedelta(days=1))),
        status("overdue-long", due_on(TODAY - dt.timedelta(days=30))),
        status("new-2"),
        status("overdue-short", due_on(TODAY - dt.timedelta(days=2))),
    ]
    queue = entries(build_queue(statuses, TODAY, NO_LOG, WIDE))
    assert sorted(queue[:3]) == [
        ("due-today", "review"),
        ("overdue-long", "review"),
        ("overdue-short", "review"),
    ]
    assert queue[3:] == [("new-1", "new"), ("new-2", "new")]


def test_equally_due_reviews_have_a_stable_order() -> None:
    statuses = [status(name, due_on(TODAY)) for name in ("c", "a", "b")]
    queue = build_queue(statuses, TODAY, NO_LOG, WIDE)
    assert sorted(e.card_id for e in queue) == ["d/a", "d/b", "d/c"]
    assert build_queue(list(reversed(statuses)), TODAY, NO_LOG, WIDE) == queue


# ----------------------------------------------------------------------- limits
@pytest.mark.parametrize(
    ("new_per_day", "new_studied", "expected"),
    [
        (3, 0, ["n0", "n1", "n2"]),
        (3, 2, ["n0"]),
        (3, 3, []),
        (3, 7, []),
        (0, 0, []),
        (10, 0, ["n0", "n1", "n2", "n3", "n4"]),
    ],
    ids=["fresh-day", "two-already", "limit-reached", "over-limit", "zero-limit", "fewer-cards"],
)
def test_new_cards_limited_by_what_was_already_studied_today(
    new_per_day: int, new_studied: int, expected: list[str]
) -> None:
    statuses = [status(f"n{i}") for i in range(5)]
    queue = build_queue(
        statuses, TODAY, TodayLog(new_studied=new_studied), Limits(new_per_day, 1000)
    )
    assert entries(queue) == [(name, "new") for name in expected]


@pytest.mark.parametrize(
    ("reviews_per_day", "reviews_studied", "expected"),
    [(3, 0, 3), (3, 1, 2), (3, 3, 0), (3, 9, 0), (0, 0, 0), (50, 0, 5)],
    ids=["fresh-day", "one-already", "limit-reached", "over-limit", "zero-limit", "fewer-due"],
)
def test_reviews_limited_oldest_first(
    reviews_per_day: int, reviews_studied: int, expected: int
) -> None:
    statuses = [status(f"r{i}", due_on(TODAY - dt.timedelta(days=i))) for i in range(5)]
    queue = build_queue(
        statuses, TODAY, TodayLog(reviews_studied=reviews_studied), Limits(20, reviews_per_day)
    )
    oldest_first = [f"r{i}" for i in range(4, -1, -1)]
    # the most overdue fill the room; their order is the day's shuffle
    assert sorted(entries(queue)) == sorted((name, "review") for name in oldest_first[:expected])


def test_new_limit_does_not_limit_reviews_and_vice_versa() -> None:
    statuses = [status("due", due_on(TODAY)), status("new")]
    assert entries(build_queue(statuses, TODAY, NO_LOG, Limits(0, 10))) == [("due", "review")]
    assert entries(build_queue(statuses, TODAY, NO_LOG, Limits(10, 0))) == [("new", "new")]


@pytest.mark.parametrize(
    "flags",
    [{"retired": True}, {"suspended": True}],
    ids=["retired", "suspended"],
)
def test_retired_and_suspended_cards_are_never_queued(flags: dict[str, bool]) -> None:
    statuses = [
        status("due", due_on(TODAY), **flags),
        status("new", **flags),
        status("drill", due_on(TODAY + dt.timedelta(days=1)), **flags),
        status("kept"),
    ]
    log = TodayLog(drills_pending=(("d/drill", FWD),))
    assert entries(build_queue(statuses, TODAY, log, WIDE)) == [("kept", "new")]


def test_each_direction_is_scheduled_on_its_own() -> None:
    statuses = [
        status("a", due_on(TODAY), FWD),
        status("a", due_on(TODAY + dt.timedelta(days=3)), REV),
        status("b", None, REV),
    ]
    queue = build_queue(statuses, TODAY, NO_LOG, WIDE)
    assert [(e.card_id, e.direction, e.kind) for e in queue] == [
        ("d/a", FWD, QueueKind.REVIEW),
        ("d/b", REV, QueueKind.NEW),
    ]


# ----------------------------------------------------------------------- drills
_ids = itertools.count()


def record(
    card: str,
    grade: int,
    mode: Mode = Mode.STUDY,
    *,
    new: bool = False,
    day: dt.date = TODAY,
    direction: Direction = FWD,
) -> ReviewRecord:
    before = SM2State() if new else due_on(day)
    return ReviewRecord(
        id=f"r{next(_ids)}",
        card_id=f"d/{card}",
        direction=direction,
        answered_at=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC),
        day=day,
        grade=grade,
        mode=mode,
        response_ms=1000,
        before=before,
        after=before,
    )


def test_summarize_counts_new_and_reviews_in_study_mode_only() -> None:
    log = summarize_today(
        [
            record("a", 5, new=True),
            record("b", 4, new=True),
            record("c", 5),
            record("d", 5, Mode.QUIZ),
            record("e", 5, Mode.DRILL),
            record("f", 5, new=True, day=TODAY - dt.timedelta(days=1)),
        ],
        TODAY,
    )
    assert (log.new_studied, log.reviews_studied) == (2, 1)
    assert log.drills_pending == ()


@pytest.mark.parametrize(
    ("answers", "pending"),
    [
        ([("a", 3, Mode.STUDY)], ["a"]),
        ([("a", 0, Mode.STUDY)], ["a"]),
        ([("a", 4, Mode.STUDY)], []),
        ([("a", 2, Mode.STUDY), ("a", 3, Mode.DRILL)], ["a"]),
        ([("a", 2, Mode.STUDY), ("a", 4, Mode.DRILL)], []),
        ([("a", 2, Mode.STUDY), ("a", 5, Mode.DRILL), ("a", 1, Mode.STUDY)], ["a"]),
        ([("a", 1, Mode.STUDY), ("b", 1, Mode.STUDY), ("a", 4, Mode.DRILL)], ["b"]),
        ([("b", 1, Mode.STUDY), ("a", 1, Mode.STUDY)], ["b", "a"]),
    ],
    ids=[
        "grade-3-still-drilled",
        "blackout",
        "grade-4-no-drill",
        "drill-below-4-stays-pending",
        "drill-4-clears",
        "fail-again-after-clearing",
        "only-the-cleared-card-leaves",
        "in-order-of-first-failure",
    ],
)
def test_drills_pending_after_grades_below_4_until_a_later_4(
    answers: list[tuple[str, int, Mode]], pending: list[str]
) -> None:
    log = summarize_today([record(card, grade, mode) for card, grade, mode in answers], TODAY)
    assert log.drills_pending == tuple((f"d/{card}", FWD) for card in pending)


def test_drills_are_per_direction_and_per_day() -> None:
    log = summarize_today(
        [
            record("a", 1, direction=REV),
            record("a", 5, direction=FWD),
            record("b", 1, day=TODAY - dt.timedelta(days=1)),
        ],
        TODAY,
    )
    assert log.drills_pending == (("d/a", REV),)


def test_drills_come_last_and_are_not_limited() -> None:
    statuses = [
        status("failed", SM2State(interval=1, due=TODAY + dt.timedelta(days=1))),
        status("due", due_on(TODAY)),
        status("new"),
    ]
    log = TodayLog(drills_pending=(("d/failed", FWD),))
    assert entries(build_queue(statuses, TODAY, log, WIDE)) == [
        ("due", "review"),
        ("new", "new"),
        ("failed", "drill"),
    ]
    assert entries(build_queue(statuses, TODAY, log, Limits(0, 0))) == [("failed", "drill")]


def test_a_drill_that_is_also_scheduled_appears_once() -> None:
    statuses = [status("due", due_on(TODAY)), status("new")]
    log = TodayLog(drills_pending=(("d/due", FWD), ("d/new", FWD)))
    queue = build_queue(statuses, TODAY, log, WIDE)
    assert entries(queue) == [("due", "review"), ("new", "new")]


def test_a_drill_for_a_card_no_longer_in_the_statuses_is_dropped() -> None:
    log = TodayLog(drills_pending=(("d/gone", FWD), ("d/a", REV)))
    assert build_queue([status("a", due_on(TODAY + dt.timedelta(1)))], TODAY, log, WIDE) == []


# -------------------------------------------------- whole days through the Trainer facade
def kinds(trainer: Trainer) -> list[tuple[str, str]]:
    return [(e.card_id.removeprefix("small/"), str(e.kind)) for e in trainer.queue()]


def test_a_perfect_card_comes_back_after_1_then_6_days(trainer: Trainer, clock: FixedClock) -> None:
    trainer.record_answer("small/alpha", FWD, 5, Mode.STUDY)
    assert ("alpha", "new") not in kinds(trainer)
    assert ("alpha", "review") not in kinds(trainer)

    clock.advance(days=1)
    assert kinds(trainer)[0] == ("alpha", "review")
    record = trainer.record_answer("small/alpha", FWD, 5, Mode.STUDY)
    assert record.after.interval == 6
    assert record.after.due == dt.date(2026, 3, 11)

    for day in range(1, 6):
        clock.advance(days=1)
        assert ("alpha", "review") not in kinds(trainer), f"day {day} after the second answer"
    clock.advance(days=1)
    assert trainer.today() == dt.date(2026, 3, 11)
    assert kinds(trainer)[0] == ("alpha", "review")


def test_the_rollover_hour_decides_when_tomorrow_starts(
    trainer: Trainer, clock: FixedClock
) -> None:
    trainer.record_answer("small/alpha", FWD, 5, Mode.STUDY)  # 09:00 on 03-04
    clock.advance(hours=17)  # 02:00 on 03-05: still the study day of 03-04
    assert trainer.today() == dt.date(2026, 3, 4)
    assert ("alpha", "review") not in kinds(trainer)
    clock.advance(hours=2)  # 04:00 on 03-05: a new study day
    assert ("alpha", "review") in kinds(trainer)


def test_new_allowance_is_spent_by_answers_and_refilled_tomorrow(
    make_trainer: Callable[..., Trainer], clock: FixedClock
) -> None:
    trainer = make_trainer(Settings(new_per_day=2))
    assert kinds(trainer) == [("alpha", "new"), ("beta", "new")]
    trainer.record_answer("small/alpha", FWD, 5, Mode.STUDY)
    assert kinds(trainer) == [("beta", "new")]
    trainer.record_answer("small/beta", FWD, 5, Mode.STUDY)
    assert kinds(trainer) == []
    clock.advance(days=1)
    assert kinds(trainer) == [("alpha", "review"), ("beta", "review"), ("gamma", "new")]


def test_an_undone_answer_gives_the_new_card_back(trainer: Trainer) -> None:
    first = kinds(trainer)
    record = trainer.record_answer("small/alpha", FWD, 5, Mode.STUDY)
    trainer.undo(record.id)
    assert kinds(trainer) == first


def test_a_failed_card_is_drilled_today_without_moving_its_schedule(
    trainer: Trainer, clock: FixedClock
) -> None:
    trainer.record_answer("small/alpha", FWD, 2, Mode.STUDY)
    assert kinds(trainer) == [("beta", "new"), ("gamma", "new"), ("alpha", "drill")]
    scheduled = trainer.store.state_of("small/alpha", FWD)

    trainer.record_answer("small/alpha", FWD, 3, Mode.DRILL)
    assert kinds(trainer)[-1] == ("alpha", "drill")
    trainer.record_answer("small/alpha", FWD, 4, Mode.DRILL)
    assert ("alpha", "drill") not in kinds(trainer)
    assert trainer.store.state_of("small/alpha", FWD) == scheduled
    assert scheduled.due == dt.date(2026, 3, 5)

    clock.advance(days=1)
    assert kinds(trainer)[0] == ("alpha", "review")


# ------------------------------------------------------ a study order that teaches
def many_due(count: int = 40) -> list[CardStatus]:
    return [status(f"c{i:02d}", due_on(TODAY - dt.timedelta(days=i % 3))) for i in range(count)]


def test_reviews_are_shuffled_per_day_reproducibly() -> None:
    statuses = many_due()
    today = [e.card_id for e in build_queue(statuses, TODAY, NO_LOG, WIDE)]
    again = [e.card_id for e in build_queue(statuses[::-1], TODAY, NO_LOG, WIDE)]
    assert today == again  # the same all day, whatever order storage reads
    tomorrow = TODAY + dt.timedelta(days=1)
    later = [e.card_id for e in build_queue(statuses, tomorrow, NO_LOG, WIDE)]
    assert sorted(later) == sorted(today)
    assert later != today  # a fresh order each day
    assert today != sorted(today)  # not alphabetical


def test_answering_one_review_keeps_the_order_of_the_rest() -> None:
    statuses = many_due()
    before = [e.card_id for e in build_queue(statuses, TODAY, NO_LOG, WIDE)]
    left = [s for s in statuses if s.card_id != before[0]]
    after = [e.card_id for e in build_queue(left, TODAY, NO_LOG, WIDE)]
    assert after == before[1:]


def test_reviews_mix_across_decks() -> None:
    statuses = [
        CardStatus(f"{deck}/{i}", deck, FWD, due_on(TODAY)) for deck in "ab" for i in range(20)
    ]
    decks = [e.card_id[0] for e in build_queue(statuses, TODAY, NO_LOG, WIDE)]
    first_half = decks[:20]
    assert 5 <= first_half.count("a") <= 15


def test_new_cards_are_drawn_from_the_decks_in_turn() -> None:
    statuses = [CardStatus(f"{deck}/{i}", deck, FWD) for deck in "abc" for i in range(10)]
    queue = build_queue(statuses, TODAY, NO_LOG, Limits(new_per_day=6))
    assert [e.card_id for e in queue] == ["a/0", "b/0", "c/0", "a/1", "b/1", "c/1"]


def test_a_siblings_other_direction_waits_for_another_day() -> None:
    statuses = [status("a", direction=FWD), status("a", direction=REV), status("b")]
    fresh = build_queue(statuses, TODAY, NO_LOG, WIDE)
    assert [(e.card_id, e.direction) for e in fresh] == [("d/a", FWD), ("d/b", FWD)]
    log = summarize_today([record("a", 5, new=True)], TODAY)
    rest = [s for s in statuses if s.direction is REV or s.card_id == "d/b"]
    assert [e.card_id for e in build_queue(rest, TODAY, log, WIDE)] == ["d/b"]
    # with burying off both directions are offered, yet never back to back
    both = build_queue(statuses, TODAY, NO_LOG, WIDE, bury_siblings=False)
    assert [e.card_id for e in both] == ["d/a", "d/b", "d/a"]


def test_a_due_review_buries_its_new_sibling() -> None:
    statuses = [status("a", due_on(TODAY), FWD), status("a", direction=REV)]
    assert [e.kind for e in build_queue(statuses, TODAY, NO_LOG, WIDE)] == [QueueKind.REVIEW]


def test_a_drill_failed_again_goes_behind_the_other_drills() -> None:
    answers = [record(name, 1) for name in ("a", "b", "c")] + [record("a", 2, Mode.DRILL)]
    log = summarize_today(answers, TODAY)
    statuses = [status(name, due_on(TODAY + dt.timedelta(days=1))) for name in "abc"]
    queue = build_queue(statuses, TODAY, log, WIDE)
    assert [e.card_id for e in queue] == ["d/b", "d/c", "d/a"]


def test_a_card_is_never_shown_twice_in_a_row_while_another_waits() -> None:
    answers = [record("a", 1), record("b", 1), record("b", 1, Mode.DRILL)]
    log = summarize_today(answers, TODAY)
    statuses = [status(name, due_on(TODAY + dt.timedelta(days=1))) for name in "ab"]
    queue = build_queue(statuses, TODAY, log, WIDE)
    assert queue[0].card_id == "d/a"
    # both directions of one card pending as drills never run back to back
    answers = [
        record("a", 1, direction=FWD),
        record("a", 1, direction=REV),
        record("b", 1),
        record("c", 1),
        record("a", 1, Mode.DRILL, direction=FWD),
    ]
    log = summarize_today(answers, TODAY)
    statuses = [
        status("a", due_on(TODAY + dt.timedelta(days=1)), FWD),
        status("a", due_on(TODAY + dt.timedelta(days=1)), REV),
        status("b", due_on(TODAY + dt.timedelta(days=1))),
        status("c", due_on(TODAY + dt.timedelta(days=1))),
    ]
    cards = [e.card_id for e in build_queue(statuses, TODAY, log, WIDE)]
    assert all(x != y for x, y in itertools.pairwise(cards)), cards


def test_decks_studied_both_ways_get_their_turn_of_new_cards_too() -> None:
    both = [CardStatus(f"a/{i}", "a", d) for i in range(10) for d in (FWD, REV)]
    one = [CardStatus(f"b/{i}", "b", FWD) for i in range(10)]
    queue = build_queue(both + one, TODAY, NO_LOG, Limits(new_per_day=10))
    assert [e.card_id[0] for e in queue].count("a") == 5


def test_the_turn_of_decks_goes_on_after_each_answer() -> None:
    statuses = [CardStatus(f"{deck}/{i}", deck, FWD) for deck in "ab" for i in range(5)]
    answered: list[ReviewRecord] = []
    shown = []
    for _ in range(6):
        log = summarize_today(answered, TODAY)
        left = [s for s in statuses if s.card_id not in {r.card_id for r in answered}]
        entry = build_queue(left, TODAY, log, WIDE)[0]
        shown.append(entry.card_id[0])
        answered.append(
            ReviewRecord(
                id=entry.card_id,
                card_id=entry.card_id,
                direction=FWD,
                answered_at=dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC),
                day=TODAY,
                grade=5,
                mode=Mode.STUDY,
                response_ms=1,
                before=SM2State(),
                after=due_on(TODAY + dt.timedelta(days=1)),
            )
        )
    assert shown == ["a", "b", "a", "b", "a", "b"]
