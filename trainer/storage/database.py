"""Opening the database: connection settings, migrations and version checks.

Migrations are an ordered list of small named functions (sqlite-utils
``Migrations``), each applied in a transaction with the record that it ran.
A database that has run a migration this program does not know comes from a
newer version and is refused untouched; an older one is copied beside itself
before it is migrated, so an upgrade can always be undone by hand.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

BUSY_TIMEOUT_SECONDS = 30

migrations = Migrations("trainer")


class DatabaseError(RuntimeError):
    """A database that cannot be opened or used, with a message fit for the user."""


@migrations()
def m001_initial(db: Database) -> None:
    db["decks"].create(
        {
            "slug": str,
            "name": str,
            "description": str,
            "source": str,
            "directions": str,
            "path": str,
            "size": int,
            "mtime_ns": int,
            "sha256": str,
            "retired": int,
        },
        pk="slug",
        not_null={"name", "directions", "retired"},
        defaults={"retired": 0, "directions": '["forward"]'},
    )
    db["cards"].create(
        {
            "id": str,
            "deck": str,
            "term": str,
            "definition": str,
            "aliases": str,
            "tags": str,
            "example": str,
            "position": int,
            "retired": int,
            "suspended": int,
            "added_at": str,
        },
        pk="id",
        not_null={"deck", "term", "definition", "position", "retired", "suspended"},
        defaults={"aliases": "[]", "tags": "[]", "retired": 0, "suspended": 0},
    )
    db["cards"].create_index(["deck", "position"])
    state_columns = {
        "repetitions": int,
        "easiness": float,
        "interval": int,
        "due": str,
        "lapses": int,
    }
    db["card_state"].create(
        {"card_id": str, "direction": str, **state_columns, "last_review": str},
        pk=("card_id", "direction"),
    )
    db["card_state"].create_index(["due"])
    db["reviews"].create(
        {
            "id": str,
            "card_id": str,
            "direction": str,
            "answered_at": str,
            "day": str,
            "grade": int,
            "mode": str,
            "response_ms": int,
            **{f"prev_{name}": kind for name, kind in state_columns.items()},
            **state_columns,
        },
        pk="id",
        not_null={"card_id", "direction", "answered_at", "day", "grade", "mode"},
    )
    db["reviews"].create_index(["day"])
    db["reviews"].create_index(["card_id", "direction", "answered_at"])
    db["reviews"].create_index(["answered_at"])
    db["review_undos"].create({"review_id": str, "undone_at": str}, pk="review_id")
    db["quiz_attempts"].create(
        {
            "id": str,
            "started_at": str,
            "finished_at": str,
            "day": str,
            "decks": str,
            "source": str,
            "direction": str,
            "correct": int,
            "total": int,
            "seconds": float,
            "questions": str,
        },
        pk="id",
    )
    db["quiz_attempts"].create_index(["day"])
    _forbid_rewriting_reviews(db)


def _forbid_rewriting_reviews(db: Database) -> None:
    """The review log is append-only: the database itself refuses updates and deletes."""
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER reviews_no_{action.lower()} BEFORE {action} ON reviews "
            "BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END"
        )


@migrations()
def m002_search_and_leeches(db: Database) -> None:
    """Full-text search over cards for Browse, and the leech mark.

    The FTS index is kept current by triggers, so every writer (deck sync,
    edits, merges) updates it without knowing it exists.
    """
    db["cards"].add_column("leech_at", str)
    db["cards"].enable_fts(
        ["term", "definition", "aliases", "tags"],
        create_triggers=True,
        tokenize="unicode61 remove_diacritics 2",
    )


@migrations()
def m003_quiz_seed(db: Database) -> None:
    """Keep each quiz's seed so the same quiz can be asked again."""
    db["quiz_attempts"].add_column("seed", int)


@migrations()
def m004_reviews_by_card_and_day(db: Database) -> None:
    """Per-deck statistics join reviews to cards by card_id within a day range."""
    db["reviews"].create_index(["card_id", "day"])


@migrations()
def m005_hardest_cards(db: Database) -> None:
    """Progress lists the hardest cards by reading this index from its start."""
    db.execute(
        "CREATE INDEX idx_card_state_hardest ON card_state "
        "(lapses DESC, easiness, card_id, direction)"
    )


@migrations()
def m006_browse_by_term(db: Database) -> None:
    """Browse lists cards by term by default: an index serves its first page."""
    db.execute("CREATE INDEX idx_cards_term ON cards (term COLLATE NOCASE)")


KNOWN_MIGRATIONS = [
    m001_initial.__name__,
    m002_search_and_leeches.__name__,
    m003_quiz_seed.__name__,
    m004_reviews_by_card_and_day.__name__,
    m005_hardest_cards.__name__,
    m006_browse_by_term.__name__,
]


def connect(path: Path | str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def open_database(path: Path | str, *, backup_before_migrating: bool = True) -> Database:
    """Open (creating if needed) and migrate the database at ``path``."""
    memory = str(path) == ":memory:"
    if not memory:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseError(
                f"{path.parent}: cannot create directory: {error.strerror}"
            ) from None
    conn: sqlite3.Connection | None = None
    try:
        conn = connect(path)
        db = Database(conn)
        _check_is_database(db, path)
        _refuse_newer(db, path)  # before anything is written, even the journal mode
        if not memory:
            _enable_wal(db, path)
        _migrate(db, path, backup_before_migrating and not memory)
    except BaseException as error:
        if conn is not None:
            conn.close()
        if isinstance(error, sqlite3.DatabaseError):
            raise DatabaseError(f"{path}: {_describe(error)}") from None
        raise
    return db


def _describe(error: sqlite3.Error) -> str:
    text = str(error)
    if "not a database" in text or "malformed" in text:
        return "not a trainer database, or the file is corrupt"
    if "readonly" in text or "read-only" in text:
        return "the database is read-only"
    if "unable to open" in text:
        return "cannot open the database file"
    if "disk" in text and "full" in text:
        return "the disk is full"
    return text


def _check_is_database(db: Database, path: Path | str) -> None:
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    tables = set(db.table_names())
    if tables and "_sqlite_migrations" not in tables:
        raise DatabaseError(f"{path}: this SQLite file is not a trainer database")


def _enable_wal(db: Database, path: Path | str) -> None:
    """Switch to WAL, waiting for other processes as any write would.

    Changing the journal mode needs the database to itself, and SQLite can
    answer "database is locked" at once instead of calling the busy handler
    (two processes creating a new database together), so this retries for up
    to the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    delay = 0.005
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
    db.execute("PRAGMA synchronous = NORMAL")


def _refuse_newer(db: Database, path: Path | str) -> list[str]:
    """The schema steps already applied; refuses a database from a newer trainer."""
    applied = [m.name for m in migrations.applied(db)]
    unknown = [name for name in applied if name not in KNOWN_MIGRATIONS]
    if unknown:
        raise DatabaseError(
            f"{path}: this database was written by a newer version of trainer "
            f"(schema step {unknown[-1]!r}); upgrade trainer to open it"
        )
    return applied


def _migrate(db: Database, path: Path | str, backup: bool) -> None:
    """Apply pending steps holding the write lock, so two first opens cannot race.

    The cheap check runs without a lock; when something is pending, the check is
    repeated inside ``BEGIN IMMEDIATE`` (which waits for the busy timeout), so a
    second process that lost the race finds the work done instead of failing with
    "database is locked" or "table already exists".
    """
    if not migrations.pending(db):
        return
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        applied = _refuse_newer(db, path)
        pending = migrations.pending(db)
        if pending and applied and backup:
            # A second connection: SQLite will not back up through one that holds
            # the write lock, and this lock keeps the copy equal to what is migrated.
            source = connect(path)
            try:
                name = f"{Path(path).name}.before-{pending[0].name}.bak"
                backup_copy(Database(source), Path(path).with_name(name))
            finally:
                source.close()
        if pending:
            migrations.apply(db)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def backup_copy(db: Database, destination: Path) -> Path:
    """A consistent copy of a live database (SQLite's online backup API)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(str(destination))
    try:
        db.conn.backup(target)
    finally:
        target.close()
    return destination
