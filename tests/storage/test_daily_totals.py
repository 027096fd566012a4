"""The kept per-day totals equal the log grouped afresh, whatever happened in between.

The totals are brought up to date from the rows added since the last read, so
every test reads them between steps (answers, undos of counted and uncounted
answers, history arriving with old days, another process reading too) and
compares them with the core's ``daily_activity`` over the log itself.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import Direction, Mode
from trainer.core.stats import DayActivity, daily_activity
from trainer.storage import daily_totals, stats_queries

OTHER_DECK = """\
name: Other
cards:
  - term: Delta
    definition: The fourth letter.
  - term: Epsilon
    definition: The fifth letter.
"""


@pytest.fixture
def two_decks(deck_dir: Path, make_trainer: Callable[..., Trainer]) -> Trainer:
    (deck_dir / "other.yaml").write_text(OTHER_DECK, encoding="utf-8")
    return make_trainer()


def rounded(rows: list[DayActivity]) -> list[DayActivity]:
    """``seconds`` is a sum of milliseconds divided once here and a float sum in the core."""
    return [row.__class__(**{**row.__dict__, "seconds": round(row.seconds, 6)}) for row in rows]


def expected(trainer: Trainer, deck: str | None = None) -> list[DayActivity]:
    records = [
        r for r in trainer.store.all_reviews() if deck is None or r.card_id.startswith(f"{deck}/")
    ]
    return rounded(daily_activity(records))


def assert_totals_match(trainer: Trainer) -> None:
    db = trainer.store.conn
    assert rounded(stats_queries.daily_activity(db)) == expected(trainer)
    for deck in ("small", "other"):
        assert rounded(stats_queries.daily_activity(db, [deck])) == expected(trainer, deck)
        assert stats_queries.study_days(db, [deck]) == [a.day for a in expected(trainer, deck)]
    assert daily_totals.is_current(db)


def test_totals_follow_answers_and_undos_step_by_step(
    two_decks: Trainer, clock: FixedClock
) -> None:
    rng = random.Random(7)
    cards = [card.id for card in two_decks.store.cards()]
    undoable: list[str] = []
    for step in range(160):
        if step % 9 == 0:
            clock.advance(hours=rng.choice([5, 20, 26, 49]))
        card = rng.choice(cards)
        mode = rng.choice([Mode.STUDY, Mode.STUDY, Mode.DRILL, Mode.QUIZ])
        direction = rng.choice([Direction.FORWARD, Direction.REVERSE])
        record = two_decks.record_answer(card, direction, rng.randint(0, 5), mode, 900 + step)
        undoable.append(record.id)
        clock.advance(seconds=30)
        if rng.random() < 0.15:
            # undo an answer that may or may not have been counted yet
            two_decks.undo(undoable.pop(rng.randrange(len(undoable))))
        if rng.random() < 0.3:
            assert_totals_match(two_decks)
    assert_totals_match(two_decks)
    assert any(a.mature_total or a.young_total for a in expected(two_decks))


def test_an_undo_that_empties_a_counted_day_removes_the_day(
    trainer: Trainer, clock: FixedClock
) -> None:
    first = trainer.record_answer("small/alpha", Direction.FORWARD, 4, Mode.STUDY, 1000)
    clock.advance(days=1)
    trainer.record_answer("small/beta", Direction.FORWARD, 4, Mode.STUDY, 1000)
    assert len(stats_queries.daily_activity(trainer.store.conn)) == 2
    trainer.undo(first.id)
    assert_totals_match(trainer)
    assert [a.day for a in stats_queries.daily_activity(trainer.store.conn)] == [
        (clock.now() - dt.timedelta(hours=4)).date()
    ]


def test_history_arriving_with_old_days_is_counted(trainer: Trainer, clock: FixedClock) -> None:
    """An import appends rows for days long counted (rowids are what is new, not days)."""
    trainer.record_answer("small/alpha", Direction.FORWARD, 4, Mode.STUDY, 1000)
    assert_totals_match(trainer)
    old = {
        "card_id": "small/gamma",
        "direction": "forward",
        "answered_at": "2025-01-05T10:00:00.000000+00:00",
        "day": "2025-01-05",
        "mode": "study",
        "grade": 5,
        "response_ms": 1200,
    }
    trainer.store.db["reviews"].insert_all(
        [{**old, "id": "imported-1"}, {**old, "id": "imported-2", "grade": 1}], alter=False
    )
    assert_totals_match(trainer)
    assert stats_queries.daily_activity(trainer.store.conn)[0].day == dt.date(2025, 1, 5)


def test_totals_from_another_file_are_rebuilt(trainer: Trainer, clock: FixedClock) -> None:
    """A mark that does not name the row it says it counted up to is not trusted."""
    trainer.record_answer("small/alpha", Direction.FORWARD, 4, Mode.STUDY, 1000)
    db = trainer.store.conn
    stats_queries.daily_activity(db)
    db.execute("UPDATE daily_totals SET reviews = reviews + 40")
    mark = json.loads(trainer.store.meta(daily_totals.MARK_KEY) or "{}")
    trainer.store.set_meta(daily_totals.MARK_KEY, json.dumps({**mark, "id": "not-this-one"}))
    assert not daily_totals.is_current(db)
    assert_totals_match(trainer)
    trainer.store.set_meta(daily_totals.MARK_KEY, "not json")
    assert_totals_match(trainer)


def test_two_connections_never_count_a_row_twice(
    trainer: Trainer, clock: FixedClock, tmp_path: Path
) -> None:
    trainer.record_answer("small/alpha", Direction.FORWARD, 4, Mode.STUDY, 1000)
    other = trainer.open_reader()
    assert other is not None
    try:
        for _ in range(3):
            trainer.record_answer("small/beta", Direction.FORWARD, 3, Mode.STUDY, 800)
            stats_queries.daily_activity(other.store.conn)
            stats_queries.daily_activity(trainer.store.conn)
        assert rounded(stats_queries.daily_activity(other.store.conn)) == expected(trainer)
        assert_totals_match(trainer)
    finally:
        other.close()


def test_a_read_only_database_reads_the_log_instead(trainer: Trainer, clock: FixedClock) -> None:
    trainer.record_answer("small/alpha", Direction.FORWARD, 4, Mode.STUDY, 1000)
    clock.advance(days=2)
    trainer.record_answer("small/beta", Direction.REVERSE, 2, Mode.STUDY, 700)
    path = trainer.store.conn.execute("PRAGMA database_list").fetchone()[2]
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        assert not daily_totals.is_current(reader)
        assert daily_totals.daily_activity(reader) is None
        assert rounded(stats_queries.daily_activity(reader)) == expected(trainer)
        assert stats_queries.study_days(reader, ["small"]) == [a.day for a in expected(trainer)]
    finally:
        reader.close()
