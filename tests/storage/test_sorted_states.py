"""``sorted_states`` (m024): the copy of card_state that carries the sort indexes,
brought up to date from ``unsorted_states`` before a sorted read or in idle time."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.storage.test_store import write_big_deck
from trainer.app.trainer import IDLE_CHECKPOINT_ANSWERS, Trainer
from trainer.core.model import Direction, Mode
from trainer.storage import database, sorted_states, stats_queries
from trainer.storage import store as store_module
from trainer.storage.database import connect, open_database

COLUMNS = (
    "card_id, direction, repetitions, easiness, interval, due, lapses, "
    "last_review, stability, difficulty"
)


def states(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    return conn.execute(f"SELECT {COLUMNS} FROM {table} ORDER BY card_id, direction").fetchall()


def pending(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM unsorted_states").fetchone()[0]


def big_trainer(
    make_trainer: Callable[..., Trainer], tmp_path: Path, deck_dir: Path, cards: int = 60
) -> Trainer:
    folder, _ = write_big_deck(tmp_path, cards)
    return make_trainer(deck_dirs=[deck_dir, folder])


def answer_at_random(trainer: Trainer, rng: random.Random, count: int) -> None:
    cards = [row[0] for row in trainer.store.conn.execute("SELECT id FROM cards ORDER BY id")]
    for _ in range(count):
        trainer.clock.advance(seconds=30)  # type: ignore[attr-defined]
        trainer.record_answer(
            rng.choice(cards), Direction.FORWARD, rng.choice((0, 1, 3, 4, 5)), Mode.STUDY
        )


def test_an_answer_is_noted_and_copied_only_before_a_sorted_read(trainer: Trainer) -> None:
    conn = trainer.store.conn
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    assert pending(conn) == 1
    assert states(conn, "sorted_states") == []
    trainer.browse(sort="term")  # a read that walks no copied index leaves it
    assert pending(conn) == 1
    trainer.browse(sort="interval")
    assert pending(conn) == 0
    assert states(conn, "sorted_states") == states(conn, "card_state") != []


@pytest.mark.parametrize("sort", sorted(store_module.COPY_SORTS))
@pytest.mark.parametrize("descending", [False, True])
def test_a_walked_page_equals_the_whole_sort_after_fresh_answers(
    sort: str,
    descending: bool,
    make_trainer: Callable[..., Trainer],
    tmp_path: Path,
    deck_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The index walk (``_SchedulePage``, on the copy) right after answers the copy
    has not seen yet gives the page sorting every row gives."""
    trainer = big_trainer(make_trainer, tmp_path, deck_dir)
    rng = random.Random(f"{sort}{descending}")
    for _ in range(3):
        answer_at_random(trainer, rng, 60)
        assert pending(trainer.store.conn) > 0
        monkeypatch.setattr(store_module, "_SORT_WHOLE", 0)
        walked = trainer.browse(sort=sort, descending=descending, limit=25)
        monkeypatch.setattr(store_module, "_SORT_WHOLE", 10**9)
        whole = trainer.browse(sort=sort, descending=descending, limit=25)
        assert [row.key for row in walked[0]] == [row.key for row in whole[0]]
        assert walked[1] == whole[1]


def test_every_change_of_a_state_reaches_the_copy(
    make_trainer: Callable[..., Trainer],
    tmp_path: Path,
    deck_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Answers, undos (a first answer's removes the state), rebuilds, both ways of
    copying (row by row, whole): the copy ends equal to card_state each time."""
    monkeypatch.setattr(sorted_states, "REBUILD_FROM", 25)
    trainer = big_trainer(make_trainer, tmp_path, deck_dir)
    conn = trainer.store.conn
    rng = random.Random(7)
    for round_ in range(6):
        answer_at_random(trainer, rng, rng.choice((3, 30)))
        for review in rng.sample(trainer.store.reviews_on(trainer.today()), 2):
            if not trainer.store.is_undone(review.id):
                trainer.undo(review.id)
        if round_ == 3:
            trainer.rebuild()
        assert sorted_states.sorting_table(conn) == "sorted_states"
        assert states(conn, "sorted_states") == states(conn, "card_state")
        assert pending(conn) == 0
    indexes = {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sorted_states' "
            "AND sql IS NOT NULL"
        )
    }
    assert indexes == {
        f"idx_sorted_states_{n}" for n in ("repetitions", "interval", "easiness", "hardest")
    }


def test_a_connection_that_cannot_write_sorts_card_state(trainer: Trainer, tmp_path: Path) -> None:
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    path = tmp_path / "trainer.db"
    reader = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        assert sorted_states.sorting_table(reader) == "card_state"
        assert pending(reader) == 1  # nothing written
    finally:
        reader.close()
    assert sorted_states.sorting_table(trainer.store.conn) == "sorted_states"
    reader = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:  # once current, a reader walks the copy as well
        assert sorted_states.sorting_table(reader) == "sorted_states"
    finally:
        reader.close()


def test_hardest_cards_and_the_weakest_quiz_see_the_latest_lapse(trainer: Trainer) -> None:
    conn = trainer.store.conn
    for card in ("small/alpha", "small/beta", "small/gamma"):
        trainer.record_answer(card, Direction.FORWARD, 5, Mode.STUDY)
    assert sorted_states.sorting_table(conn) == "sorted_states"
    trainer.clock.advance(days=30)  # type: ignore[attr-defined]
    for _ in range(2):
        trainer.record_answer("small/beta", Direction.FORWARD, 1, Mode.STUDY)
    assert pending(conn) == 1
    directions = trainer.deck_directions()
    hardest = stats_queries.hardest_cards(conn, directions, ["small"])
    assert hardest[0].card_id == "small/beta" and hardest[0].state.lapses >= 1
    assert trainer.store.weakest_card_ids(directions, ["small"], 1) == ["small/beta"]


def test_the_idle_job_copies_the_answers_of_a_session(trainer: Trainer) -> None:
    conn = trainer.store.conn
    for i in range(IDLE_CHECKPOINT_ANSWERS):
        trainer.clock.advance(seconds=5)  # type: ignore[attr-defined]
        card = ("small/alpha", "small/beta", "small/gamma")[i % 3]
        trainer.record_answer(card, Direction.FORWARD, 4, Mode.STUDY)
    assert pending(conn) == 3
    job = trainer.idle_job()
    assert job is not None
    job()
    assert pending(conn) == 0
    assert states(conn, "sorted_states") == states(conn, "card_state")


def test_the_upgrade_copies_every_state_and_moves_the_indexes(tmp_path: Path) -> None:
    """A database at m023 with states: m024 copies them all, and the four indexes
    leave card_state for the copy."""
    path = tmp_path / "trainer.db"
    db = Database(connect(path))
    database.migration_set().apply(db, stop_before="m024_sorted_states")
    conn = db.conn
    conn.executemany(
        "INSERT INTO card_state (card_id, direction, repetitions, easiness, interval, due, "
        "lapses) VALUES (?, 'forward', ?, 2.5, ?, '2026-01-02', ?)",
        [(f"d/c{i}", i % 4, i, i % 3) for i in range(50)],
    )
    conn.commit()
    before = states(conn, "card_state")
    conn.close()
    upgraded = open_database(path)
    try:
        conn = upgraded.conn
        assert states(conn, "sorted_states") == before
        assert pending(conn) == 0
        names = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'card_state'"
            )
        }
        assert not {n for n in names if "hardest" in n or "interval" in n or "easiness" in n}
        conn.execute("UPDATE card_state SET lapses = 9 WHERE card_id = 'd/c7'")
        assert pending(conn) == 1
    finally:
        upgraded.conn.close()


def test_a_rebuild_mends_a_copy_that_went_wrong(trainer: Trainer) -> None:
    conn = trainer.store.conn
    for card in ("small/alpha", "small/beta"):
        trainer.record_answer(card, Direction.FORWARD, 4, Mode.STUDY)
    assert sorted_states.sorting_table(conn) == "sorted_states"
    conn.execute("UPDATE sorted_states SET lapses = 40 WHERE card_id = 'small/beta'")
    conn.execute("INSERT INTO sorted_states (card_id, direction) VALUES ('small/gone', 'forward')")
    conn.commit()
    trainer.rebuild()
    assert pending(conn) == 0
    assert states(conn, "sorted_states") == states(conn, "card_state")
    triggers = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name LIKE 'card_state_unsorted_%'"
    ).fetchone()
    assert triggers == (3,)
    trainer.record_answer("small/gamma", Direction.FORWARD, 4, Mode.STUDY)
    assert pending(conn) == 1
