"""Clock trouble: time going backwards, a session across the rollover, a new time zone.

The clock is injected (``FixedClock``), never patched. Whatever the clock
does, the program must not crash, due dates must stay sensible (after the day
of the answer that set them), and the cached schedule must equal a replay of
the review log, both the program's own replay and one in the test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.reliability.support import assert_cache_matches_log
from trainer.app.session import StudySession
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import Direction, Mode
from trainer.core.queue import QueueKind

F = Direction.FORWARD
ROLLOVER = 4


@pytest.fixture
def open_trainer(
    tmp_path: Path, clock: FixedClock, deck_dir: Path
) -> Iterator[Callable[..., Trainer]]:
    """A Trainer on the test database, in the given time zone, sharing one clock."""
    opened: list[Trainer] = []

    def factory(tz: dt.tzinfo, decks: Path = deck_dir) -> Trainer:
        trainer = Trainer.open(
            tmp_path / "trainer.db", clock=clock, settings=Settings(), tz=tz, deck_dirs=[decks]
        )
        trainer.sync_decks()
        opened.append(trainer)
        return trainer

    yield factory
    for trainer in opened:
        trainer.close()


def assert_sensible(trainer: Trainer) -> None:
    """Every screen's data can be computed, and no answer scheduled into its own past."""
    trainer.queue()
    trainer.deck_summaries()
    trainer.today_overview()
    for record in trainer.store.all_reviews():
        if record.mode is not Mode.DRILL:
            assert record.after.due is not None and record.after.due > record.day, record


def program_replay_agrees(trainer: Trainer) -> bool:
    before = trainer.store.cached_states()
    trainer.rebuild()
    return trainer.store.cached_states() == before


# ------------------------------------------------------------------ backwards
def answer_while_the_clock_goes_back(trainer: Trainer, clock: FixedClock) -> list[dt.date]:
    trainer.record_answer("small/alpha", F, 5, Mode.STUDY)  # Wed: due Thu
    clock.advance(days=1)
    trainer.record_answer("small/alpha", F, 5, Mode.STUDY)  # Thu: due in 6 days
    clock.advance(days=-3)  # the clock is set back (a dead CMOS battery, a wrong NTP)
    trainer.record_answer("small/alpha", F, 1, Mode.STUDY)  # Mon: forgotten, due Tue
    clock.advance(minutes=5)
    trainer.record_answer("small/beta", F, 3, Mode.STUDY)
    return [r.day for r in trainer.store.all_reviews()]


def test_clock_going_backwards_crashes_nothing_and_schedules_sensibly(
    trainer: Trainer, clock: FixedClock, tmp_path: Path
) -> None:
    answer_while_the_clock_goes_back(trainer, clock)
    assert_sensible(trainer)
    state = trainer.store.state_of("small/alpha", F)
    # The latest answer (a lapse, on Mon 2 Mar) is what the cache holds: due the day after.
    assert (state.repetitions, state.lapses, state.due) == (0, 1, dt.date(2026, 3, 3))
    session = StudySession(trainer)
    while not session.done and len(session.answers) < 20:
        session.answer(4)
    session.summary()
    # The cache is the commit-order replay; the program's own replay: the next test.
    assert_cache_matches_log(tmp_path / "trainer.db", tmp_path, rebuild=False)


def test_rebuild_after_the_clock_went_backwards_keeps_the_schedule(
    trainer: Trainer, clock: FixedClock
) -> None:
    """`trainer rebuild` must reproduce the schedule the user actually got.

    The log is append-only, so commit order is the order the answers were given;
    replaying by the (wrong) wall-clock time instead moves the lapse before the two
    successes and turns a forgotten card into one due in six days.
    """
    answer_while_the_clock_goes_back(trainer, clock)
    assert program_replay_agrees(trainer)


# ------------------------------------------------------------------- rollover
@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("UTC", dt.date(2026, 3, 4)),
        ("Europe/Berlin", dt.date(2026, 3, 29)),  # the night clocks jump 02:00 -> 03:00
        ("America/New_York", dt.date(2026, 11, 1)),  # the night 01:00-02:00 happens twice
    ],
)
def test_a_session_spanning_the_rollover(
    zone: str,
    day: dt.date,
    open_trainer: Callable[..., Trainer],
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    decks = tmp_path / "twelve"
    decks.mkdir()
    cards = "".join(f"  - term: Card {n}\n    definition: Meaning {n}.\n" for n in range(12))
    (decks / "twelve.yaml").write_text(f"name: Twelve\ncards:\n{cards}", encoding="utf-8")
    tz = ZoneInfo(zone)
    clock.instant = dt.datetime.combine(day, dt.time(1, 30), tzinfo=tz).astimezone(dt.UTC)
    trainer = open_trainer(tz, decks)
    session = StudySession(trainer)
    assert trainer.today() == day - dt.timedelta(days=1)
    grades = [5, 2, 4, 3, 5, 1]
    while not session.done and clock.instant.astimezone(tz).hour < ROLLOVER + 1:
        session.answer(grades[len(session.answers) % len(grades)])
        clock.advance(minutes=20)  # 01:30 ... past 04:00 local
    assert clock.instant.astimezone(tz).hour >= ROLLOVER, "the session must cross 04:00"

    for record in session.answers:
        local = record.answered_at.astimezone(tz)
        expected = local.date() - dt.timedelta(days=1) if local.hour < ROLLOVER else local.date()
        assert record.day == expected, (local, record.day)
    assert {r.day for r in session.answers} == {day - dt.timedelta(days=1), day}
    assert trainer.today() == day
    # Cards answered last night and due "tomorrow" are due now, after the rollover.
    yesterday = [r for r in session.answers if r.day < day and r.mode is Mode.STUDY]
    due_now = {(e.card_id, e.direction) for e in trainer.queue() if e.kind is QueueKind.REVIEW}
    answered_today = {(r.card_id, r.direction) for r in session.answers if r.day == day}
    for record in yesterday:
        if record.after.due == day and (record.card_id, record.direction) not in answered_today:
            assert (record.card_id, record.direction) in due_now
    assert_sensible(trainer)
    session.summary()
    assert program_replay_agrees(trainer)
    assert_cache_matches_log(tmp_path / "trainer.db", tmp_path)


# ------------------------------------------------------------------ time zones
def test_a_time_zone_change_between_sessions(
    open_trainer: Callable[..., Trainer], clock: FixedClock, tmp_path: Path
) -> None:
    home = open_trainer(dt.UTC)  # Wed 4 Mar, 09:00 UTC
    first = home.record_answer("small/alpha", F, 5, Mode.STUDY)
    assert (first.day, first.after.due) == (dt.date(2026, 3, 4), dt.date(2026, 3, 5))
    home.close()

    clock.advance(hours=6)  # 15:00 UTC = Thu 05:00 on Kiritimati (UTC+14)
    east = open_trainer(ZoneInfo("Pacific/Kiritimati"))
    assert east.today() == dt.date(2026, 3, 5)
    assert ("small/alpha", F) in {(e.card_id, e.direction) for e in east.queue()}
    second = east.record_answer("small/alpha", F, 4, Mode.STUDY)
    assert (second.day, second.after.due) == (dt.date(2026, 3, 5), dt.date(2026, 3, 11))
    east.close()

    clock.advance(hours=1)  # 16:00 UTC = Wed 05:00 in Pago Pago (UTC-11): a day "earlier"
    west = open_trainer(ZoneInfo("Pacific/Pago_Pago"))
    assert west.today() == dt.date(2026, 3, 4)
    assert ("small/alpha", F) not in {(e.card_id, e.direction) for e in west.queue()}
    third = west.record_answer("small/alpha", F, 2, Mode.STUDY)
    assert (third.day, third.after.due) == (dt.date(2026, 3, 4), dt.date(2026, 3, 5))
    session = StudySession(west)
    while not session.done and len(session.answers) < 20:
        session.answer(5)
    assert_sensible(west)
    assert program_replay_agrees(west)
    assert_cache_matches_log(tmp_path / "trainer.db", tmp_path)
