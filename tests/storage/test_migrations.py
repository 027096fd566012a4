"""Opening the database: schema, WAL, append-only log, version checks and upgrades."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from trainer.storage import daily_totals, database
from trainer.storage.database import DatabaseError, open_database

TRAINER_TABLES = {
    "decks",
    "cards",
    "card_state",
    "reviews",
    "review_undos",
    "quiz_attempts",
    "scheduler_fits",
    "meta",
    "drafts",
    "anki_notes",
    "anki_notetypes",
    "anki_schedules",
    "refused_deck_files",
    "daily_totals",
    # the sorted copy of card_state and the card directions it has yet to copy (m024)
    "sorted_states",
    "unsorted_states",
}
#: the full-text index over cards (m002) and the shadow tables FTS5 keeps
FTS_TABLES = {
    "cards_fts",
    "cards_fts_config",
    "cards_fts_data",
    "cards_fts_docsize",
    "cards_fts_idx",
}
STATE = ["repetitions", "easiness", "interval", "due", "lapses"]

COLUMNS = {
    "decks": [
        "slug",
        "name",
        "description",
        "source",
        "directions",
        "path",
        "size",
        "mtime_ns",
        "sha256",
        "retired",
        "changed_at",
    ],
    "cards": [
        "id",
        "deck",
        "term",
        "definition",
        "aliases",
        "tags",
        "example",
        "position",
        "retired",
        "suspended",
        "added_at",
        "leech_at",
        "changed_at",
        "directions",
        "cloze",
        "cloze_number",
        "due_directions",
    ],
    "card_state": ["card_id", "direction", *STATE, "last_review", "stability", "difficulty"],
    "reviews": [
        "id",
        "card_id",
        "direction",
        "answered_at",
        "day",
        "grade",
        "mode",
        "response_ms",
        *(f"prev_{name}" for name in STATE),
        *STATE,
    ],
    "review_undos": ["review_id", "undone_at"],
    "quiz_attempts": [
        "id",
        "started_at",
        "finished_at",
        "day",
        "decks",
        "source",
        "direction",
        "correct",
        "total",
        "seconds",
        "questions",
        "seed",
    ],
    "scheduler_fits": ["id", "scheduler", "fitted_at", "parameters", "reviews", "through_day"],
    "meta": ["key", "value"],
    "daily_totals": [
        "day",
        "deck",
        "reviews",
        "response_ms",
        "new_cards",
        "young_total",
        "young_passed",
        "mature_total",
        "mature_passed",
    ],
}

PRIMARY_KEYS = {
    "decks": ["slug"],
    "cards": ["id"],
    "card_state": ["card_id", "direction"],
    "reviews": ["id"],
    "review_undos": ["review_id"],
    "quiz_attempts": ["id"],
    "scheduler_fits": ["id"],
    "meta": ["key"],
    "daily_totals": ["deck", "day"],
}

INDEXES = {
    "cards": {
        "idx_cards_deck_position": ["deck", "position"],
        "idx_cards_term": ["term"],
        "idx_cards_deck_retired": ["deck", "retired", "suspended"],
        "idx_cards_deck_directions": ["deck", "retired", "directions"],
        "idx_cards_leech": ["leech_at"],
        "idx_cards_deck_leech": ["deck", "retired"],
        "idx_cards_suspended": ["deck", "retired"],
        "idx_cards_deck_term": ["deck", "term"],
        # Browse's is:new: the cards of a deck whose direction has no due day
        "idx_cards_due_directions": ["deck", "retired", "due_directions"],
    },
    "card_state": {
        "idx_card_state_undue": ["card_id", "direction"],
        # the first column is the deck read off card_id (an expression: no name)
        "idx_card_state_deck": [None, "direction", "repetitions", "interval"],
        # Progress's due forecast reads this alone, and every read by due day (m023)
        "idx_card_state_due_card": ["due", "card_id", "direction"],
    },
    "reviews": {
        "idx_reviews_day": ["day"],
        "idx_reviews_history": ["card_id", "direction", "answered_at", "mode", "day", "grade"],
        "idx_reviews_answered_at": ["answered_at"],
    },
    # Browse sorted by state, interval, easiness or lapses, the hardest cards and the
    # weakest-cards quiz walk these (m024: off card_state, which every answer writes)
    "sorted_states": {
        "idx_sorted_states_repetitions": ["repetitions"],
        "idx_sorted_states_interval": ["interval"],
        "idx_sorted_states_easiness": ["easiness"],
        "idx_sorted_states_hardest": ["lapses", "easiness", "card_id", "direction"],
    },
    "quiz_attempts": {"idx_quiz_attempts_day": ["day"]},
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "trainer.db"


@pytest.fixture
def fresh(db_path: Path) -> Iterator[Database]:
    db = open_database(db_path)
    yield db
    db.conn.close()


def close(db: Database) -> None:
    db.conn.close()


# ------------------------------------------------------------------------ schema
@pytest.mark.parametrize("where", ["file", "memory"])
def test_migrations_create_every_table(where: str, db_path: Path) -> None:
    db = open_database(db_path if where == "file" else ":memory:")
    try:
        assert set(db.table_names()) == TRAINER_TABLES | FTS_TABLES | {"_sqlite_migrations"}
        assert database.applied_steps(db.conn) == database.known_steps()
    finally:
        close(db)


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_columns_and_primary_keys(fresh: Database, table: str) -> None:
    assert [column.name for column in fresh[table].columns] == COLUMNS[table]
    assert fresh[table].pks == PRIMARY_KEYS[table]


@pytest.mark.parametrize("table", sorted(INDEXES))
def test_indexes(fresh: Database, table: str) -> None:
    named = {
        index.name: index.columns
        for index in fresh[table].indexes
        if not index.name.startswith("sqlite_autoindex")
    }
    assert named == INDEXES[table]


def test_not_null_columns_of_the_review_log(fresh: Database) -> None:
    required = {c.name for c in fresh["reviews"].columns if c.notnull}
    assert required == {"card_id", "direction", "answered_at", "day", "grade", "mode"}


def test_file_database_uses_wal_and_a_busy_timeout(fresh: Database, db_path: Path) -> None:
    assert fresh.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert fresh.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    close(fresh)
    # the WAL flag is stored in the file header (bytes 18 and 19 are 2 in WAL mode)
    assert db_path.read_bytes()[18:20] == b"\x02\x02"


def test_reopening_runs_nothing_and_backs_nothing_up(db_path: Path) -> None:
    close(open_database(db_path))
    close(open_database(db_path))
    db = open_database(db_path)
    try:
        assert db["_sqlite_migrations"].count == len(database.SCHEMA_STEPS)
    finally:
        close(db)
    assert list(db_path.parent.glob("*.bak")) == []


def test_a_zero_byte_file_becomes_a_trainer_database(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.touch()
    db = open_database(db_path)
    try:
        assert set(db.table_names()) >= TRAINER_TABLES
    finally:
        close(db)


# ----------------------------------------------------------- append-only reviews
def insert_review(db: Database, review_id: str = "r1") -> None:
    db["reviews"].insert(
        {
            "id": review_id,
            "card_id": "deck/alpha",
            "direction": "forward",
            "answered_at": "2026-03-04T09:00:00+00:00",
            "day": "2026-03-04",
            "grade": 5,
            "mode": "study",
        }
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE reviews SET grade = 0",
        "UPDATE reviews SET answered_at = '2000-01-01' WHERE id = 'r1'",
        "DELETE FROM reviews",
        "DELETE FROM reviews WHERE id = 'r1'",
    ],
    ids=["update-all", "update-one", "delete-all", "delete-one"],
)
def test_the_review_log_refuses_update_and_delete(fresh: Database, statement: str) -> None:
    insert_review(fresh)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        fresh.execute(statement)
    assert [row["grade"] for row in fresh["reviews"].rows] == [5]
    assert fresh["reviews"].count == 1


def test_the_review_log_still_accepts_inserts(fresh: Database) -> None:
    insert_review(fresh, "r1")
    insert_review(fresh, "r2")
    assert fresh["reviews"].count == 2


# ------------------------------------------------------------------ newer version
def test_a_database_from_a_newer_version_is_refused_untouched(db_path: Path) -> None:
    db = open_database(db_path)
    db["_sqlite_migrations"].insert(
        {"migration_set": "trainer", "name": "m099_from_the_future", "applied_at": "2030-01-01"}
    )
    close(db)
    before = sha(db_path)
    with pytest.raises(DatabaseError, match="newer version") as caught:
        open_database(db_path)
    assert str(db_path) in str(caught.value)
    assert "m099_from_the_future" in str(caught.value)
    assert sha(db_path) == before
    assert list(db_path.parent.glob("*.bak")) == []


def test_migrations_of_other_sets_are_not_mistaken_for_a_newer_trainer(db_path: Path) -> None:
    db = open_database(db_path)
    db["_sqlite_migrations"].insert(
        {"migration_set": "plugin", "name": "m001_plugin", "applied_at": "2030-01-01"}
    )
    close(db)
    close(open_database(db_path))


# --------------------------------------------------------------------- upgrades
@pytest.fixture
def upgrade(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Turn the program into its next version, one with a second schema step."""

    def apply() -> None:
        def m002_card_notes(db: Database) -> None:
            db["cards"].add_column("note", str)

        monkeypatch.setattr(database, "SCHEMA_STEPS", (database.m001_initial, m002_card_notes))

    return apply


def build_old_database(path: Path) -> None:
    """A database written by the first release, which only had the first schema step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(database.connect(path))
    database.migration_set().apply(db, stop_before="m002_search_and_leeches")
    db["decks"].insert({"slug": "old", "name": "Old deck", "directions": '["forward"]'})
    insert_review(db)
    close(db)


def test_an_old_database_is_backed_up_then_migrated(
    db_path: Path, upgrade: Callable[[], None]
) -> None:
    build_old_database(db_path)
    upgrade()
    db = open_database(db_path)
    try:
        assert "note" in fresh_columns(db, "cards")
        assert database.applied_steps(db.conn) == [
            "m001_initial",
            "m002_card_notes",
        ]
        assert db["decks"].count == 1
    finally:
        close(db)

    backups = list(db_path.parent.glob("*.bak"))
    assert backups == [db_path.with_name("trainer.db.before-m002_card_notes.bak")]
    backup = Database(backups[0])
    try:
        assert "note" not in fresh_columns(backup, "cards")
        assert [row["name"] for row in backup["_sqlite_migrations"].rows] == ["m001_initial"]
        assert backup["decks"].get("old")["name"] == "Old deck"
        assert backup["reviews"].count == 1
    finally:
        backup.conn.close()


def test_the_first_release_database_is_upgraded_for_search_and_leeches(db_path: Path) -> None:
    build_old_database(db_path)
    db = open_database(db_path)
    try:
        assert "leech_at" in fresh_columns(db, "cards")
        assert "cards_fts" in db.table_names()
        assert db["reviews"].count == 1
    finally:
        close(db)
    backup = db_path.with_name("trainer.db.before-m002_search_and_leeches.bak")
    assert backup.exists()


def test_no_backup_when_asked_not_to(db_path: Path, upgrade: Callable[[], None]) -> None:
    build_old_database(db_path)
    upgrade()
    db = open_database(db_path, backup_before_migrating=False)
    try:
        assert "note" in fresh_columns(db, "cards")
    finally:
        close(db)
    assert list(db_path.parent.glob("*.bak")) == []


def test_a_new_database_is_not_backed_up(db_path: Path, upgrade: Callable[[], None]) -> None:
    upgrade()
    db = open_database(db_path)
    try:
        assert "note" in fresh_columns(db, "cards")
    finally:
        close(db)
    assert list(db_path.parent.glob("*.bak")) == []


def fresh_columns(db: Database, table: str) -> list[str]:
    return [column.name for column in db[table].columns]


# ------------------------------------------------------------------- not ours
def test_a_file_that_is_not_a_database_is_refused_untouched(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not sqlite\n" * 500)
    before = sha(db_path)
    with pytest.raises(DatabaseError, match="not a trainer database") as caught:
        open_database(db_path)
    assert str(db_path) in str(caught.value)
    assert sha(db_path) == before


def test_a_foreign_sqlite_database_is_refused_untouched(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    other = sqlite3.connect(db_path)
    other.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    other.execute("INSERT INTO invoices VALUES (1, 9.5)")
    other.commit()
    other.close()
    before = sha(db_path)
    with pytest.raises(DatabaseError, match="not a trainer database") as caught:
        open_database(db_path)
    assert str(db_path) in str(caught.value)
    assert sha(db_path) == before
    assert db_path.read_bytes()[18:20] == b"\x01\x01"  # still a rollback-journal file


def test_a_directory_in_place_of_the_file_is_a_database_error(db_path: Path) -> None:
    db_path.mkdir(parents=True)
    with pytest.raises(DatabaseError, match=str(db_path.name)):
        open_database(db_path)


def test_a_file_in_place_of_the_folder_is_a_database_error(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file, not a folder")
    with pytest.raises(DatabaseError, match="cannot create directory"):
        open_database(tmp_path / "data" / "trainer.db")


def test_upgrading_counts_the_existing_log_into_the_daily_totals(db_path: Path) -> None:
    """m015 counts the log once, so the first Progress after upgrading does not."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(database.connect(db_path))
    database.migration_set().apply(db, stop_before="m015_daily_totals")
    insert_review(db, "r1")
    insert_review(db, "r2")
    close(db)
    db = open_database(db_path)
    try:
        assert daily_totals.is_current(db.conn)
        assert [(r["day"], r["deck"], r["reviews"]) for r in db["daily_totals"].rows] == [
            ("2026-03-04", "deck", 2)
        ]
    finally:
        close(db)
