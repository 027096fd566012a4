"""``cards.due_directions`` (m019): the directions of a card with a due day, kept by
triggers under every write, so Browse's ``is:new`` can find new rows by index."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.storage.test_store import write_big_deck
from trainer.app.trainer import Trainer
from trainer.core.model import Direction, Mode
from trainer.storage import database, due_directions, search_index
from trainer.storage.database import (
    DUE_DIRECTIONS_UNKNOWN,
    as_database,
    connect,
    open_database,
)
from trainer.storage.sql_terms import DIRECTION_BITS
from trainer.storage.store import BULK_SYNC_ROWS


def wrongly_kept(conn: sqlite3.Connection) -> list[tuple[str, int, int]]:
    """(card, kept, right) for every card whose kept bits differ from its states'
    (a card not known yet, inserted since its bits were last set, excepted)."""
    right: dict[str, int] = {}
    for card, direction, due in conn.execute("SELECT card_id, direction, due FROM card_state"):
        if due:
            right[card] = right.get(card, 0) | DIRECTION_BITS[direction]
    return [
        (card, kept, right.get(card, 0))
        for card, kept in conn.execute("SELECT id, due_directions FROM cards")
        if kept not in (right.get(card, 0), DUE_DIRECTIONS_UNKNOWN)
    ]


def bits(trainer: Trainer, card: str) -> int:
    return trainer.store.conn.execute(
        "SELECT due_directions FROM cards WHERE id = ?", [card]
    ).fetchone()[0]


def new_terms(trainer: Trainer, query: str = "is:new") -> list[str]:
    return [row.term for row in trainer.browse(query)[0]]


def test_an_answer_sets_its_direction_and_undo_clears_it(
    make_trainer: Callable[..., Trainer],
) -> None:
    trainer = make_trainer()
    assert bits(trainer, "small/alpha") == DUE_DIRECTIONS_UNKNOWN  # inserted, not answered
    first = trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    assert bits(trainer, "small/alpha") == 1
    trainer.record_answer("small/alpha", Direction.REVERSE, 4, Mode.STUDY)
    assert bits(trainer, "small/alpha") == 3
    trainer.record_answer("small/beta", Direction.FORWARD, 4, Mode.STUDY)
    trainer.record_answer("small/beta", Direction.FORWARD, 0, Mode.STUDY)
    assert wrongly_kept(trainer.store.conn) == []
    assert new_terms(trainer) == ["Gamma"]
    trainer.undo(first.id)
    assert bits(trainer, "small/alpha") == 2
    assert new_terms(trainer) == ["Alpha", "Gamma"]
    assert wrongly_kept(trainer.store.conn) == []


def test_rebuild_suspend_and_retire_keep_it(make_trainer: Callable[..., Trainer]) -> None:
    trainer = make_trainer()
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    trainer.record_answer("small/gamma", Direction.FORWARD, 3, Mode.STUDY)
    trainer.rebuild()
    assert wrongly_kept(trainer.store.conn) == []
    trainer.set_suspended("small/beta", True)
    trainer.retire_card("small/gamma")
    assert wrongly_kept(trainer.store.conn) == []
    assert (bits(trainer, "small/alpha"), bits(trainer, "small/gamma")) == (1, 1)
    assert new_terms(trainer) == ["Beta"]  # retired cards are never listed
    assert new_terms(trainer, "b is:new") == ["Beta"]


def test_a_card_added_after_its_states_is_listed_by_its_states(
    make_trainer: Callable[..., Trainer], deck_dir: Path, tmp_path: Path
) -> None:
    """States may come first (answers imported for a card not added yet). A card
    inserted, by a plain sync or a bulk one, is not known (no trigger on every
    inserted card): its states decide in Browse; a rebuild sets its bits."""
    trainer = make_trainer()
    conn = trainer.store.conn
    early = ["small/delta", "big/word0", f"big/word{BULK_SYNC_ROWS + 5}"]
    for card in early:
        conn.execute(
            "INSERT INTO card_state (card_id, direction, repetitions, easiness, interval, "
            "due, lapses) VALUES (?, 'forward', 1, 2.5, 1, '2026-03-05', 0)",
            [card],
        )
    (deck_dir / "small.yaml").write_text(
        (deck_dir / "small.yaml").read_text(encoding="utf-8")
        + "  - term: Delta\n    definition: The fourth letter.\n",
        encoding="utf-8",
    )
    folder, _ = write_big_deck(tmp_path, BULK_SYNC_ROWS + 10)
    trainer.close()
    trainer = make_trainer(deck_dirs=[deck_dir, folder])
    assert {bits(trainer, card) for card in early} == {DUE_DIRECTIONS_UNKNOWN}
    assert wrongly_kept(trainer.store.conn) == []
    for text in ("", "delta", "word0", f"word{BULK_SYNC_ROWS + 5}", "zebra"):
        rows, _ = trainer.browse(f"{text} is:new", sort="due")
        assert not set(early) & {row.card_id for row in rows}, text
    assert trainer.browse("is:new")[1] == 4 + BULK_SYNC_ROWS + 10 - 3
    trainer.rebuild()  # no answers logged: no states, every card new
    assert {bits(trainer, card) for card in early} == {0}
    assert wrongly_kept(trainer.store.conn) == []


def test_a_rebuild_sets_every_card_in_one_pass_and_keeps_the_triggers(
    make_trainer: Callable[..., Trainer],
) -> None:
    trainer = make_trainer()
    conn = trainer.store.conn
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    conn.execute("UPDATE cards SET due_directions = 2 WHERE id = 'small/beta'")
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'card_state' AND type = 'trigger'"
    ).fetchall()
    trainer.rebuild()
    assert wrongly_kept(conn) == []
    assert (bits(trainer, "small/alpha"), bits(trainer, "small/beta")) == (1, 0)
    assert (
        conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'card_state' AND type = 'trigger'"
        ).fetchall()
        == triggers
    )


def test_the_search_index_is_not_rewritten_for_a_flag(
    make_trainer: Callable[..., Trainer],
) -> None:
    """Writing the bits (or a suspension) leaves the card's text indexed as it was,
    and an edited text is indexed again."""
    trainer = make_trainer()
    conn = trainer.store.conn
    conn.execute("UPDATE cards SET suspended = 1, due_directions = 1 WHERE id = 'small/beta'")
    assert [row.term for row in trainer.browse("second")[0]] == ["Beta"]
    conn.execute("UPDATE cards SET definition = 'the letter b' WHERE id = 'small/beta'")
    assert trainer.browse("second")[1] == 0
    assert [row.term for row in trainer.browse("letter b")[0]] == ["Beta"]


def upgrade_from_m018(path: Path, pending: bool) -> Database:
    """A database at m018 with states for some cards, its search index out of date
    (its triggers recorded) when ``pending``; then opened, so m019 runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(connect(path))
    database.migration_set().apply(db, stop_before="m019_due_directions")
    conn = db.conn
    conn.execute("INSERT INTO decks (slug, name, directions) VALUES ('d', 'D', '[\"forward\"]')")
    for i, term in enumerate(["one", "two", "three"]):
        conn.execute(
            "INSERT INTO cards (id, deck, term, definition, position) VALUES (?, 'd', ?, ?, ?)",
            [f"d/{term}", term, f"meaning {term}", i],
        )
    for card, direction, due in [
        ("d/one", "forward", "2026-03-05"),
        ("d/one", "reverse", None),
        ("d/two", "reverse", "2026-03-06"),
        ("d/two", "forward", "2026-03-07"),
    ]:
        conn.execute(
            "INSERT INTO card_state (card_id, direction, repetitions, due) VALUES (?, ?, 1, ?)",
            [card, direction, due],
        )
    if pending:
        sql = [
            row[0]
            for row in conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cards'"
            )
        ]
        for name in ("cards_ai", "cards_ad", "cards_au"):
            conn.execute(f'DROP TRIGGER "{name}"')
        search_index.mark_out_of_date(conn, sql)
    conn.commit()
    conn.close()
    return open_database(path)


def test_upgrading_sets_every_card_from_its_states(tmp_path: Path) -> None:
    db = upgrade_from_m018(tmp_path / "trainer.db", pending=False)
    try:
        assert dict(db.conn.execute("SELECT id, due_directions FROM cards")) == {
            "d/one": 1,
            "d/two": 3,
            "d/three": 0,
        }
        (sql,) = db.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'cards_au'").fetchone()
        assert 'AFTER UPDATE OF "term", "definition", "aliases", "tags" ON "cards"' in sql
    finally:
        db.conn.close()


def test_upgrading_with_the_search_index_out_of_date_narrows_the_recorded_trigger(
    tmp_path: Path,
) -> None:
    db = upgrade_from_m018(tmp_path / "trainer.db", pending=True)
    try:
        conn = db.conn
        assert wrongly_kept(conn) == []
        recorded = conn.execute(
            "SELECT value FROM meta WHERE key = ?", [search_index.PENDING_KEY]
        ).fetchone()[0]
        assert 'AFTER UPDATE OF \\"term\\"' in recorded
        conn.execute("BEGIN IMMEDIATE")
        assert search_index.rebuild_if_pending(conn)
        conn.execute("COMMIT")
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'cards_au'").fetchone()
        assert 'AFTER UPDATE OF "term", "definition", "aliases", "tags"' in sql
        as_database(conn)  # still a database sqlite-utils reads
    finally:
        db.conn.close()


def test_settling_sets_the_bits_of_cards_not_known_yet(
    make_trainer: Callable[..., Trainer], tmp_path: Path
) -> None:
    """Browse starts this in a thread when it opens: afterwards is:new finds the
    new cards by their bits alone. It writes in batches, on its own connection."""
    trainer = make_trainer()
    conn = trainer.store.conn
    conn.execute(
        "INSERT INTO card_state (card_id, direction, repetitions, due) "
        "VALUES ('small/gamma', 'forward', 1, '2026-03-05')"
    )
    conn.execute("UPDATE cards SET due_directions = 4 WHERE id = 'small/gamma'")
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    assert [bits(trainer, card) for card in ("small/alpha", "small/beta", "small/gamma")] == [
        1,
        DUE_DIRECTIONS_UNKNOWN,
        DUE_DIRECTIONS_UNKNOWN,
    ]
    job = trainer.due_directions_job()
    assert job is not None
    job()
    assert [bits(trainer, card) for card in ("small/alpha", "small/beta", "small/gamma")] == [
        1,
        0,
        1,
    ]
    assert wrongly_kept(conn) == []
    assert trainer.due_directions_job() is None
    assert new_terms(trainer) == ["Beta"]


def test_settling_goes_batch_by_batch(
    make_trainer: Callable[..., Trainer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(due_directions, "SETTLE_BATCH", 2)
    trainer = make_trainer()
    assert trainer.store.settle_due_directions() == 3
    assert trainer.store.settle_due_directions() == 0
    assert {bits(trainer, card) for card in ("small/alpha", "small/beta", "small/gamma")} == {0}
