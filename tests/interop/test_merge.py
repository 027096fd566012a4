"""Two devices: merging trainer databases either way ends in the same log and states."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SMALL_DECK, START
from tests.interop.conftest import Result, database_dump, review_rows
from tests.storage.test_due_directions import wrongly_kept
from trainer.app.trainer import Trainer, UserError
from trainer.core.model import Direction, Mode, ReviewRecord
from trainer.interop.backup import backup_database, merge_database

OpenTrainer = Callable[..., Trainer]
F = Direction.FORWARD

EXTRA_DECK = """\
name: Extra
cards:
  - term: Only on B
    definition: A card device A has never seen.
"""


def path_of(trainer: Trainer) -> Path:
    return Path(trainer.store.db.execute("PRAGMA database_list").fetchone()[2])


def table(path: Path, name: str, order: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
    finally:
        conn.close()


def quiz(trainer: Trainer, quiz_id: str) -> None:
    now = trainer.now().isoformat()
    trainer.store.record_quiz_attempt(
        {
            "id": quiz_id,
            "started_at": now,
            "finished_at": now,
            "day": trainer.today().isoformat(),
            "decks": '["small"]',
            "source": "deck",
            "direction": "term",
            "correct": 3,
            "total": 4,
            "seconds": 12.5,
            "questions": "[]",
        }
    )


@pytest.fixture
def devices(open_trainer: OpenTrainer, tmp_path: Path) -> tuple[Trainer, Trainer]:
    """A and B studied the small deck on overlapping days; B also has cards A lacks."""
    a_decks, b_decks = tmp_path / "a-decks", tmp_path / "b-decks"
    a_decks.mkdir()
    b_decks.mkdir()
    (a_decks / "small.yaml").write_text(SMALL_DECK, encoding="utf-8")
    (b_decks / "small.yaml").write_text(
        SMALL_DECK + "  - term: Delta\n    definition: The fourth letter.\n", encoding="utf-8"
    )
    (b_decks / "extra.yaml").write_text(EXTRA_DECK, encoding="utf-8")
    a = open_trainer(tmp_path / "a" / "trainer.db", at=START, deck_dirs=[a_decks])
    b = open_trainer(
        tmp_path / "b" / "trainer.db", at=START + dt.timedelta(hours=2), deck_dirs=[b_decks]
    )
    # day 1: both study alpha; A also beta (and takes one answer back), B gamma and delta
    a.record_answer("small/alpha", F, 5, Mode.STUDY)
    wrong = a.record_answer("small/beta", F, 1, Mode.STUDY)
    a.clock.advance(minutes=1)
    a.undo(wrong.id)
    a.record_answer("small/beta", F, 4, Mode.STUDY)
    b.record_answer("small/alpha", F, 3, Mode.STUDY)
    b.clock.advance(minutes=1)
    b.record_answer("small/gamma", F, 5, Mode.STUDY)
    b.record_answer("small/delta", F, 4, Mode.STUDY)
    b.record_answer("extra/only on b", F, 4, Mode.STUDY)
    quiz(a, "quiz-a")
    # day 2 on A, day 3 on B
    a.clock.advance(days=1)
    a.record_answer("small/alpha", F, 4, Mode.STUDY)
    a.record_answer("small/gamma", F, 2, Mode.STUDY)
    a.record_answer("small/gamma", F, 4, Mode.DRILL)
    b.clock.advance(days=2)
    b.record_answer("small/alpha", F, 5, Mode.STUDY)
    b.record_answer("small/gamma", F, 4, Mode.STUDY)
    quiz(b, "quiz-b")
    return a, b


def snapshot(trainer: Trainer, tmp_path: Path, name: str) -> Path:
    return backup_database(path_of(trainer), tmp_path / f"{name}.db", now=START).path


def shared_history(trainer: Trainer) -> tuple[object, ...]:
    path = path_of(trainer)
    return (
        review_rows(path),
        table(path, "review_undos", "review_id"),
        table(path, "quiz_attempts", "id"),
        trainer.store.cached_states(),
    )


def test_merging_both_ways_gives_identical_logs_and_states(
    devices: tuple[Trainer, Trainer], tmp_path: Path
) -> None:
    a, b = devices
    a0, b0 = snapshot(a, tmp_path, "a0"), snapshot(b, tmp_path, "b0")
    ids = {row[0] for row in review_rows(a0)} | {row[0] for row in review_rows(b0)}
    into_a = merge_database(a.store, path_of(a), b0)
    into_b = merge_database(b.store, path_of(b), a0)
    assert (into_a.reviews_added, into_b.reviews_added) == (6, 6)
    assert (into_a.undos_added, into_b.undos_added) == (0, 1)
    assert (into_a.quiz_attempts_added, into_b.quiz_attempts_added) == (1, 1)
    assert shared_history(a) == shared_history(b)
    assert {row[0] for row in review_rows(path_of(a))} == ids  # nothing lost, nothing doubled
    assert len(ids) == 12
    # merging again, from either side, adds nothing
    again = merge_database(a.store, path_of(a), b0)
    assert (again.reviews_added, again.undos_added, again.quiz_attempts_added) == (0, 0, 0)
    assert again.cards_added == 0
    assert shared_history(a) == shared_history(b)


def test_merging_back_and_forth_converges(devices: tuple[Trainer, Trainer], tmp_path: Path) -> None:
    a, b = devices
    merge_database(a.store, path_of(a), path_of(b))  # A ← B (B still open: its WAL is read)
    merge_database(b.store, path_of(b), path_of(a))  # B ← A (already holding B)
    assert shared_history(a) == shared_history(b)
    assert merge_database(b.store, path_of(b), path_of(a)).reviews_added == 0


def test_the_merged_states_are_a_replay_of_the_merged_log(
    devices: tuple[Trainer, Trainer], tmp_path: Path
) -> None:
    a, b = devices
    merge_database(a.store, path_of(a), snapshot(b, tmp_path, "b0"))
    states = a.store.cached_states()
    alpha = [r for r in a.store.all_reviews() if r.card_id == "small/alpha"]
    assert [(r.day, r.grade) for r in alpha] == [
        (dt.date(2026, 3, 4), 5),  # A, 09:00
        (dt.date(2026, 3, 4), 3),  # B, 11:00
        (dt.date(2026, 3, 5), 4),  # A
        (dt.date(2026, 3, 6), 5),  # B
    ]
    assert states[("small/alpha", "forward")].repetitions == 4
    assert ("small/beta", "forward") in states  # the undone answer does not count
    assert a.store.count_reviews() == 12
    a.rebuild()
    assert a.store.cached_states() == states


def test_unknown_cards_are_kept_so_no_review_is_orphaned(
    devices: tuple[Trainer, Trainer], tmp_path: Path
) -> None:
    a, b = devices
    outcome = merge_database(a.store, path_of(a), snapshot(b, tmp_path, "b0"))
    assert (outcome.cards_added, outcome.decks_added) == (2, 1)
    rows = {
        row[0]: (row[1], row[2])
        for row in a.store.db.execute("SELECT id, deck, retired FROM cards").fetchall()
    }
    assert rows["small/delta"] == ("small", 0)  # its deck is here: studied as usual
    assert rows["extra/only on b"] == ("extra", 1)  # its deck is not: kept, hidden
    orphans = a.store.db.execute(
        "SELECT count(*) FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM cards c "
        "WHERE c.id = r.card_id)"
    ).fetchone()[0]
    assert orphans == 0
    assert wrongly_kept(a.store.conn) == []  # the cards' due directions (m019)
    assert [row.slug for row in a.decks()] == ["small"]  # the retired deck stays out of sight
    assert "small/delta" in {s.card_id for s in a.statuses()}
    # A's own deck file does not know delta: the next change to it retires the card again
    deck_file = Path(next(row.path for row in a.decks() if row.slug == "small"))
    deck_file.write_text(SMALL_DECK.replace("first letter", "1st letter"), encoding="utf-8")
    a.sync_decks()
    assert "small/delta" not in {s.card_id for s in a.statuses()}
    assert a.store.count_reviews() == 12  # its history stays


def test_local_card_text_wins(devices: tuple[Trainer, Trainer], tmp_path: Path) -> None:
    a, b = devices
    b.store.db.execute("UPDATE cards SET definition = 'changed on B' WHERE id = 'small/alpha'")
    merge_database(a.store, path_of(a), snapshot(b, tmp_path, "b0"))
    assert a.card("small/alpha").card.definition == "The first letter of the Greek alphabet."


def test_merge_command(
    devices: tuple[Trainer, Trainer], cli: Callable[..., Result], tmp_path: Path
) -> None:
    a, b = devices
    other = snapshot(b, tmp_path, "b0")
    result = cli("merge", "--db", str(path_of(a)), str(other))
    assert result.code == 0, result.err
    assert result.out == (
        f"merged {other}: 6 reviews, 0 undos, 1 quiz results and 2 cards added; "
        "5 card states rebuilt\n"
    )
    assert a.store.count_reviews() == 12  # the open trainer sees the merge


def foreign(path: Path) -> None:
    conn = sqlite3.connect(str(path))
    conn.execute("CREATE TABLE reviews (id TEXT PRIMARY KEY)")
    conn.commit()
    conn.close()


def garbage(path: Path) -> None:
    path.write_bytes(b"not a database " * 300)


def empty(path: Path) -> None:
    path.write_bytes(b"")


REFUSED = {
    "foreign": (foreign, "not a trainer database"),
    "garbage": (garbage, "not a trainer database, or the file is corrupt"),
    "empty": (empty, "the file is empty, not a trainer database"),
    "newer": (None, "written by a newer version of trainer (schema step 'm999_next')"),
    "missing": (lambda path: None, "no such file"),
}


@pytest.mark.parametrize(("make", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_merge_refuses_and_changes_nothing(
    make: Callable[[Path], None] | None,
    message: str,
    devices: tuple[Trainer, Trainer],
    cli: Callable[..., Result],
    tmp_path: Path,
) -> None:
    a, b = devices
    other = tmp_path / "other.db"
    if make is None:
        other = snapshot(b, tmp_path, "newer")
        conn = sqlite3.connect(str(other))
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('trainer', 'm999_next', '2030-01-01')"
        )
        conn.commit()
        conn.close()
    else:
        make(other)
    before = database_dump(path_of(a))
    other_before = other.read_bytes() if other.exists() else None
    line = cli("merge", "--db", str(path_of(a)), str(other)).one_line_error()
    assert line == f"trainer: {other}: {message}" or line.startswith(f"trainer: {other}: {message}")
    assert database_dump(path_of(a)) == before
    assert (other.read_bytes() if other.exists() else None) == other_before


def test_merging_a_database_into_itself_is_refused(devices: tuple[Trainer, Trainer]) -> None:
    a, _ = devices
    with pytest.raises(UserError, match="is this database"):
        merge_database(a.store, path_of(a), path_of(a))


def test_an_older_schema_is_migrated_in_a_private_copy(
    devices: tuple[Trainer, Trainer], tmp_path: Path
) -> None:
    """OTHER from an older trainer (only the first schema step) merges, unwritten."""
    from sqlite_utils import Database

    from trainer.core.sm2 import SM2State
    from trainer.storage import database as storage
    from trainer.storage.store import Store

    if len(storage.known_steps()) < 2:
        pytest.skip("only one schema step exists: nothing older to simulate")
    a, _ = devices
    older = tmp_path / "older.db"
    db = Database(str(older))
    getattr(storage, storage.known_steps()[0])(db)
    db.execute(
        "CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set TEXT, "
        "name TEXT, applied_at TEXT)"
    )
    db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        ["trainer", storage.known_steps()[0], "2026-01-01 00:00:00+00:00"],
    )
    at = START - dt.timedelta(days=3)
    db.execute(
        "INSERT INTO cards (id, deck, term, definition, position, added_at) "
        "VALUES ('small/alpha', 'small', 'Alpha', 'x', 0, ?)",
        [at.isoformat()],
    )
    Store(db).record_review(
        ReviewRecord(
            "from-an-old-device", "small/alpha", F, at, at.date(), 4, Mode.STUDY, None,
            SM2State(), SM2State(repetitions=1, interval=1, due=at.date() + dt.timedelta(1)),
        )
    )  # fmt: skip
    db.conn.close()
    data = older.read_bytes()
    outcome = merge_database(a.store, path_of(a), older)
    assert outcome.reviews_added == 1
    assert a.store.review("from-an-old-device") is not None
    assert older.read_bytes() == data
