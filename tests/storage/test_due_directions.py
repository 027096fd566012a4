"""``cards.due_directions`` (m019): the directions of a card with a due day, kept by
triggers under every write but a state's insert (m020: those are set when Browse
opens), so Browse's ``is:new`` can find new rows by index."""

from __future__ import annotations

import random
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
from trainer.storage.sql_terms import DIRECTION_BITS, DUE_DIRECTIONS_SETTLED
from trainer.storage.store import BULK_SYNC_ROWS


def wrongly_kept(conn: sqlite3.Connection) -> list[tuple[str, int, int]]:
    """(card, kept, right) for every card whose kept bits differ from its states'
    (a card not known yet, inserted since its bits were last set, excepted; the
    bits of states inserted since the mark, m020, may be missing)."""
    (settled,) = conn.execute(f"SELECT {DUE_DIRECTIONS_SETTLED}").fetchone()
    right: dict[str, int] = {}
    recent: dict[str, int] = {}
    for rowid, card, direction, due in conn.execute(
        "SELECT rowid, card_id, direction, due FROM card_state"
    ):
        if due:
            right[card] = right.get(card, 0) | DIRECTION_BITS[direction]
            if rowid > settled:
                recent[card] = recent.get(card, 0) | DIRECTION_BITS[direction]
    return [
        (card, kept, right.get(card, 0))
        for card, kept in conn.execute("SELECT id, due_directions FROM cards")
        if kept != DUE_DIRECTIONS_UNKNOWN and kept | recent.get(card, 0) != right.get(card, 0)
    ]


def bits(trainer: Trainer, card: str) -> int:
    return trainer.store.conn.execute(
        "SELECT due_directions FROM cards WHERE id = ?", [card]
    ).fetchone()[0]


def new_terms(trainer: Trainer, query: str = "is:new") -> list[str]:
    return [row.term for row in trainer.browse(query)[0]]


def test_an_answer_leaves_the_bits_to_browse_and_undo_clears_them(
    make_trainer: Callable[..., Trainer],
) -> None:
    """A direction's first answer writes no card row (m020): is:new leaves the card
    out by the states inserted since the bits were set, Browse's job sets them."""
    trainer = make_trainer()
    conn = trainer.store.conn
    trainer.store.settle_due_directions()
    assert bits(trainer, "small/alpha") == 0
    first = trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    assert bits(trainer, "small/alpha") == 0  # not on the answer's path
    trainer.record_answer("small/alpha", Direction.REVERSE, 4, Mode.STUDY)
    trainer.record_answer("small/beta", Direction.FORWARD, 4, Mode.STUDY)
    trainer.record_answer("small/beta", Direction.FORWARD, 0, Mode.STUDY)
    assert wrongly_kept(conn) == []
    assert new_terms(trainer) == ["Gamma"]
    assert new_terms(trainer, "a is:new") == ["Gamma"]
    assert trainer.browse("is:new", sort="due")[1] == 1
    job = trainer.due_directions_job()
    assert job is not None
    job()
    assert (bits(trainer, "small/alpha"), bits(trainer, "small/beta")) == (3, 1)
    assert trainer.due_directions_job() is None
    assert new_terms(trainer) == ["Gamma"]
    trainer.undo(first.id)
    assert bits(trainer, "small/alpha") == 2
    assert new_terms(trainer) == ["Alpha", "Gamma"]
    assert wrongly_kept(conn) == []


def test_an_undo_keeps_the_mark_below_the_rowids_given_next(
    make_trainer: Callable[..., Trainer],
) -> None:
    """Undoing the last first answer deletes the top state, and SQLite gives the
    next state its rowid again: the mark comes down with it, so that state
    counts as inserted since the bits were set."""
    trainer = make_trainer()
    first = trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    trainer.store.settle_due_directions()
    trainer.undo(first.id)
    trainer.record_answer("small/beta", Direction.FORWARD, 4, Mode.STUDY)
    assert bits(trainer, "small/beta") == 0
    assert new_terms(trainer) == ["Alpha", "Gamma"]
    assert wrongly_kept(trainer.store.conn) == []
    trainer.store.settle_due_directions()
    assert bits(trainer, "small/beta") == 1
    assert new_terms(trainer) == ["Alpha", "Gamma"]


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
    triggers_sql = (
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'card_state' AND type = 'trigger' "
        "ORDER BY name"
    )
    triggers = conn.execute(triggers_sql).fetchall()
    trainer.rebuild()
    assert wrongly_kept(conn) == []
    assert (bits(trainer, "small/alpha"), bits(trainer, "small/beta")) == (1, 0)
    assert conn.execute(triggers_sql).fetchall() == triggers


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


def add_three_cards(conn: sqlite3.Connection) -> None:
    """Deck ``d`` with the cards one, two and three, as an older schema holds them."""
    conn.execute("INSERT INTO decks (slug, name, directions) VALUES ('d', 'D', '[\"forward\"]')")
    for i, term in enumerate(["one", "two", "three"]):
        conn.execute(
            "INSERT INTO cards (id, deck, term, definition, position) VALUES (?, 'd', ?, ?, ?)",
            [f"d/{term}", term, f"meaning {term}", i],
        )


def upgrade_from_m018(path: Path, pending: bool) -> Database:
    """A database at m018 with states for some cards, its search index out of date
    (its triggers recorded) when ``pending``; then opened, so m019 runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(connect(path))
    database.migration_set().apply(db, stop_before="m019_due_directions")
    conn = db.conn
    add_three_cards(conn)
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
    assert {bits(trainer, card) for card in ("small/alpha", "small/beta", "small/gamma")} == {
        DUE_DIRECTIONS_UNKNOWN
    }
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
    for card in ("small/alpha", "small/beta", "small/gamma"):
        trainer.record_answer(card, Direction.FORWARD, 4, Mode.STUDY)
    assert trainer.store.settle_due_directions() == 3  # states, two then one
    assert trainer.store.settle_due_directions() == 0
    assert {bits(trainer, card) for card in ("small/alpha", "small/beta", "small/gamma")} == {1}


def test_upgrading_to_m020_takes_the_insert_trigger_off_and_marks_every_state(
    tmp_path: Path,
) -> None:
    """A database at m019 (bits kept by its three triggers, a log of answers): m020
    drops the trigger on an inserted state, adds the one keeping the mark, and
    marks every state as shown; the log and the bits stay as they were."""
    path = tmp_path / "trainer.db"
    db = Database(connect(path))
    database.migration_set().apply(db, stop_before="m020_due_directions_off_answers")
    conn = db.conn
    add_three_cards(conn)
    for number, (card, due) in enumerate([("d/one", "2026-03-05"), ("d/two", "2026-03-06")]):
        conn.execute(
            "INSERT INTO reviews (id, card_id, direction, answered_at, day, grade, mode) "
            "VALUES (?, ?, 'forward', ?, '2026-03-01', 4, 'study')",
            [f"r{number}", card, f"2026-03-01T10:0{number}:00+00:00"],
        )
        conn.execute(
            "INSERT INTO card_state (card_id, direction, repetitions, due) "
            "VALUES (?, 'forward', 1, ?)",
            [card, due],
        )
    conn.commit()
    log = conn.execute("SELECT * FROM reviews ORDER BY rowid").fetchall()
    kept = dict(conn.execute("SELECT id, due_directions FROM cards"))
    assert kept == {"d/one": 1, "d/two": 1, "d/three": DUE_DIRECTIONS_UNKNOWN}
    conn.close()
    upgraded = open_database(path)
    try:
        conn = upgraded.conn
        assert conn.execute("SELECT * FROM reviews ORDER BY rowid").fetchall() == log
        assert dict(conn.execute("SELECT id, due_directions FROM cards")) == kept
        triggers = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'card_state' "
                "AND name LIKE 'card_state_due_directions%'"
            )
        }
        assert triggers == {
            "card_state_due_directions_au",
            "card_state_due_directions_ad",
            "card_state_due_directions_mark",
        }
        assert conn.execute(f"SELECT {DUE_DIRECTIONS_SETTLED}").fetchone() == (2,)
        assert wrongly_kept(conn) == []
    finally:
        upgraded.conn.close()


def test_is_new_is_right_after_any_mix_of_answers_undos_settling_and_rebuilds(
    make_trainer: Callable[..., Trainer],
) -> None:
    """Browse must never list a card with a due day as new, nor leave out a new one,
    whatever order first answers, undos (which free the top rowid), Browse's
    settling and rebuilds come in."""
    rng = random.Random(1)
    trainer = make_trainer()
    conn = trainer.store.conn
    cards = ["small/alpha", "small/beta", "small/gamma"]
    answers: list[str] = []
    for step in range(80):
        action = rng.choice(["answer", "answer", "answer", "undo", "undo", "settle", "rebuild"])
        if action == "answer":
            card, direction = rng.choice(cards), rng.choice(list(Direction))
            answers.append(
                trainer.record_answer(card, direction, rng.choice((0, 4)), Mode.STUDY).id
            )
        elif action == "undo" and answers:
            trainer.undo(answers.pop())
        elif action == "settle":
            trainer.store.settle_due_directions()
        elif action == "rebuild":
            trainer.rebuild()
        due = {
            card
            for (card,) in conn.execute(
                "SELECT card_id FROM card_state WHERE direction = 'forward' AND due > ''"
            )
        }
        expected = sorted(card.split("/")[1].title() for card in cards if card not in due)
        assert new_terms(trainer) == expected, step
        assert sorted(row.term for row in trainer.browse("is:new", sort="due")[0]) == expected
        assert new_terms(trainer, "letter is:new") == expected, step
        assert wrongly_kept(conn) == [], step
