"""Opening the database: connection settings, migrations and version checks.

Migrations are an ordered list of small named functions (sqlite-utils
``Migrations``), each applied in a transaction with the record that it ran.
A database that has run a migration this program does not know comes from a
newer version and is refused untouched; an older one is copied beside itself
before it is migrated, so an upgrade can always be undone by hand.
"""

from __future__ import annotations

import sqlite3
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


KNOWN_MIGRATIONS = [m001_initial.__name__]


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
    try:
        conn = connect(path)
        db = Database(conn)
        _check_is_database(db, path)
        if not memory:
            _enable_wal(db, path)
        _migrate(db, path, backup_before_migrating and not memory)
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"{path}: {_describe(error)}") from None
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
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != "wal":
        db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")


def _migrate(db: Database, path: Path | str, backup: bool) -> None:
    applied = [m.name for m in migrations.applied(db)]
    unknown = [name for name in applied if name not in KNOWN_MIGRATIONS]
    if unknown:
        raise DatabaseError(
            f"{path}: this database was written by a newer version of trainer "
            f"(schema step {unknown[-1]!r}); upgrade trainer to open it"
        )
    pending = migrations.pending(db)
    if not pending:
        return
    if applied and backup:
        backup_copy(db, Path(path).with_name(f"{Path(path).name}.before-{pending[0].name}.bak"))
    migrations.apply(db)


def backup_copy(db: Database, destination: Path) -> Path:
    """A consistent copy of a live database (SQLite's online backup API)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(str(destination))
    try:
        db.conn.backup(target)
    finally:
        target.close()
    return destination
