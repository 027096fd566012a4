"""Backups, restores and merging a second device's database.

**Backup** uses SQLite's online backup API in a single step: one read
transaction copies every page, so the copy is consistent even while the TUI is
answering cards in another process (under WAL a reader never waits for a
writer, and sees only committed answers). The copy is written beside the target
under a temporary name, switched to a plain rollback journal so it is one
self-contained file, checked, then renamed into place.

**Restore** checks the backup before touching anything: ``integrity_check``
must say ok, it must be a trainer database (the migrations table and the
tables this version reads) and its schema must not be newer than this program.
The current database is first copied (again with the backup API) to
``<name>.replaced-<UTC timestamp>`` beside it, and only then is the backup
copied *into* the live database with the backup API, rather than by renaming
files: SQLite then takes the locks, so another process holding the database
open sees the restored content on its next transaction instead of a file
pulled from under it (and a stale ``-wal`` file is never paired with a
different database).

**Merge** folds another trainer database into this one. Rows that are facts
(reviews, undos, quiz attempts) are identified by their ids, which are UUIDs
minted on the device that recorded them, so ``INSERT OR IGNORE`` makes merging
idempotent and symmetric: A←B then B←A, or merging twice, adds each row exactly
once. Cards this database has never seen are inserted so no review is
orphaned; they stay active only when their deck exists here (otherwise they are
retired, and so is the deck row added for them); cards known here keep their
local text. Card states are then rebuilt by replaying the merged log in time
order, so both devices end with the same states. The other database is only
read (through a private copy when it needs migrating); a refused merge changes
nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from trainer.storage.database import MIGRATION_SET, connect, known_steps
from trainer.storage.store import Store

__all__ = [
    "BackupOutcome",
    "MergeOutcome",
    "RestoreOutcome",
    "backup_database",
    "check_trainer_database",
    "merge_database",
    "restore_database",
]

REQUIRED_TABLES = frozenset(
    {"decks", "cards", "card_state", "reviews", "review_undos", "quiz_attempts"}
)
MIGRATIONS_TABLE = "_sqlite_migrations"


@dataclass(frozen=True)
class BackupOutcome:
    path: Path
    bytes: int
    reviews: int


@dataclass(frozen=True)
class RestoreOutcome:
    database: Path
    replaced: Path | None
    reviews: int


@dataclass(frozen=True)
class MergeOutcome:
    decks_added: int
    cards_added: int
    reviews_added: int
    undos_added: int
    quiz_attempts_added: int
    states: int


def _user_error(message: str) -> Exception:
    from trainer.service import UserError

    return UserError(message)


def _stamp(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _unused(path: Path) -> Path:
    candidate, counter = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}-{counter}")
        counter += 1
    return candidate


@contextmanager
def _staged(path: Path) -> Iterator[Path]:
    """A private copy of a database file (and its ``-wal``, if any) to check and read.

    A trainer database runs in WAL mode, so recent answers may still sit in
    ``<name>-wal``; reading the main file alone (or read-only and immutable)
    would miss them, and opening the original read-write would let SQLite
    recover the log into it. A copy beside its log is opened normally instead,
    and the original is never written.
    """
    import shutil
    import tempfile

    if not path.is_file():
        raise _user_error(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise _user_error(f"{path}: the file is empty, not a trainer database")
    with tempfile.TemporaryDirectory(prefix="trainer-db-") as scratch:
        copy = Path(scratch) / "staged.db"
        try:
            shutil.copyfile(path, copy)
            wal = path.with_name(f"{path.name}-wal")
            if wal.is_file():
                shutil.copyfile(wal, copy.with_name(f"{copy.name}-wal"))
        except OSError as error:
            raise _user_error(f"{path}: cannot read: {error.strerror}") from None
        yield copy


def _check(conn: sqlite3.Connection, label: Path) -> list[str]:
    """Refuse (UserError) anything but an intact trainer database this version can read.

    Returns the schema steps (migrations) it has run.
    """
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        if result != ["ok"]:
            raise _user_error(f"{label}: the database is damaged ({result[0]})")
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if MIGRATIONS_TABLE not in tables:
            raise _user_error(f"{label}: not a trainer database")
        applied = [
            row[0]
            for row in conn.execute(
                f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY id",
                [MIGRATION_SET],
            )
        ]
    except sqlite3.DatabaseError as error:
        if "malformed" in str(error):
            raise _user_error(f"{label}: the database is damaged ({error})") from None
        raise _user_error(f"{label}: not a trainer database, or the file is corrupt") from None
    known = known_steps()
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise _user_error(
            f"{label}: written by a newer version of trainer (schema step {unknown[-1]!r}); "
            "upgrade trainer first"
        )
    if not applied:
        raise _user_error(f"{label}: not a trainer database")
    if set(applied) == set(known) and not tables >= REQUIRED_TABLES:
        missing = ", ".join(sorted(REQUIRED_TABLES - tables))
        raise _user_error(f"{label}: not a complete trainer database (missing {missing})")
    return applied


def check_trainer_database(path: Path) -> list[str]:
    """Check a database file without writing to it; returns the schema steps it has run."""
    with _staged(path) as copy:
        conn = sqlite3.connect(str(copy))
        try:
            return _check(conn, path)
        finally:
            conn.close()


def _copy_database(source: sqlite3.Connection, destination: Path) -> None:
    """A consistent, self-contained copy (one backup step, rollback journal), checked."""
    target = sqlite3.connect(str(destination))
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
        result = target.execute("PRAGMA integrity_check").fetchone()
        if not result or result[0] != "ok":
            raise _user_error(f"{destination}: the copy failed its integrity check")
    finally:
        target.close()


def _review_count(path: Path) -> int:
    conn = connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM reviews").fetchone()[0])
    finally:
        conn.close()


# -------------------------------------------------------------------- backup


def backup_database(
    database: Path, out: Path, *, now: dt.datetime, overwrite: bool = False
) -> BackupOutcome:
    """Copy the whole database to ``out`` (a file, or a folder to put a dated file in)."""
    if not database.is_file():
        raise _user_error(f"{database}: no database to back up")
    if out.is_dir():
        out = _unused(out / f"trainer-{_stamp(now)}.db")
    elif out.exists() and not overwrite:
        raise _user_error(f"{out}: already exists (use --force to replace it)")
    if out.resolve() == database.resolve():
        raise _user_error(f"{out}: is the database itself")
    temporary = out.with_name(f".{out.name}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary.unlink(missing_ok=True)
        source = connect(database)
        try:
            tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master")}
            if MIGRATIONS_TABLE not in tables:
                raise _user_error(f"{database}: not a trainer database")
            _copy_database(source, temporary)
        finally:
            source.close()
        os.replace(temporary, out)
    except sqlite3.DatabaseError as error:
        temporary.unlink(missing_ok=True)
        raise _user_error(f"{database}: cannot back up: {error}") from None
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _user_error(f"{out}: cannot write: {error.strerror}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return BackupOutcome(out, out.stat().st_size, _review_count(out))


# ------------------------------------------------------------------- restore


def restore_database(database: Path, backup: Path, *, now: dt.datetime) -> RestoreOutcome:
    """Replace the database's content with a checked backup, keeping the old content."""
    if database.exists() and backup.resolve() == database.resolve():
        raise _user_error(f"{backup}: is the database itself")
    replaced: Path | None = None
    with _staged(backup) as staged:
        source = sqlite3.connect(str(staged))
        try:
            _check(source, backup)
            database.parent.mkdir(parents=True, exist_ok=True)
            live = connect(database)
            try:
                if live.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0:
                    replaced = _unused(
                        database.with_name(f"{database.name}.replaced-{_stamp(now)}")
                    )
                    _copy_database(live, replaced)
                source.backup(live)
                live.execute("PRAGMA journal_mode = WAL")
                result = live.execute("PRAGMA integrity_check").fetchone()
                if not result or result[0] != "ok":
                    raise _user_error(
                        f"{database}: the restored database failed its integrity check; "
                        f"the previous one is in {replaced}"
                    )
            finally:
                live.close()
        except sqlite3.DatabaseError as error:
            kept = f" (the previous database is kept in {replaced})" if replaced else ""
            raise _user_error(f"{database}: cannot restore: {error}{kept}") from None
        except OSError as error:
            raise _user_error(f"{error.filename or database}: {error.strerror}") from None
        finally:
            source.close()
    return RestoreOutcome(database, replaced, _review_count(database))


# --------------------------------------------------------------------- merge


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _rows(
    conn: sqlite3.Connection, table: str, columns: list[str], order: str
) -> list[tuple[object, ...]]:
    names = ", ".join(f'"{c}"' for c in columns)
    return conn.execute(f"SELECT {names} FROM {table} ORDER BY {order}").fetchall()


def merge_database(store: Store, database: Path, other: Path) -> MergeOutcome:
    """Fold ``other`` (another device's trainer database) into ``store``."""
    if database.exists() and other.exists() and other.resolve() == database.resolve():
        raise _user_error(f"{other}: is this database; nothing to merge")
    with _staged(other) as staged:
        conn = sqlite3.connect(str(staged))
        try:
            applied = _check(conn, other)
        finally:
            conn.close()
        if set(applied) != set(known_steps()):  # an older schema: migrate the private copy
            from trainer.storage.database import DatabaseError, open_connection

            try:
                open_connection(staged, backup_before_migrating=False).close()
            except DatabaseError as error:
                raise _user_error(f"{other}: {error}") from None
        conn = sqlite3.connect(str(staged))
        try:
            return _merge(store, conn)
        except sqlite3.DatabaseError as error:
            raise _user_error(f"{other}: cannot merge: {error}") from None
        finally:
            conn.close()


def _merge(store: Store, other: sqlite3.Connection) -> MergeOutcome:
    db = store.db
    local = db.conn
    plan = {}
    for table, order in (
        ("decks", "slug"),
        ("cards", "deck, position, id"),
        ("reviews", "answered_at, id"),
        ("review_undos", "review_id"),
        ("quiz_attempts", "started_at, id"),
    ):
        mine = set(_columns(local, table))
        columns = [c for c in _columns(other, table) if c in mine]
        plan[table] = (columns, _rows(other, table, columns, order))

    def count(table: str) -> int:
        return int(local.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def insert(table: str, columns: list[str], rows: list[tuple[object, ...]]) -> int:
        before = count(table)
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        local.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})", rows)
        return count(table) - before

    with store.write():
        known_decks = {
            row[0]: bool(row[1]) for row in local.execute("SELECT slug, retired FROM decks")
        }
        known_cards = {row[0] for row in local.execute("SELECT id FROM cards")}
        card_columns, card_rows = plan["cards"]
        at = {name: i for i, name in enumerate(card_columns)}
        new_cards = [row for row in card_rows if row[at["id"]] not in known_cards]
        wanted_decks = {row[at["deck"]] for row in new_cards} - set(known_decks)
        deck_columns, deck_rows = plan["decks"]
        deck_at = {name: i for i, name in enumerate(deck_columns)}
        new_decks = []
        for row in deck_rows:
            if row[deck_at["slug"]] in wanted_decks:
                values = dict(zip(deck_columns, row, strict=True))
                values.update(retired=1, path=None, size=None, mtime_ns=None, sha256=None)
                new_decks.append(values)
        for slug in wanted_decks - {d["slug"] for d in new_decks}:
            new_decks.append({"slug": slug, "name": slug, "retired": 1})
        decks_added = 0
        for values in new_decks:
            names = list(values)
            decks_added += insert("decks", names, [tuple(values[n] for n in names)])
        retired_at = at.get("retired")
        adjusted = []
        for row in new_cards:
            values = list(row)
            active_here = known_decks.get(row[at["deck"]]) is False
            if retired_at is not None:
                values[retired_at] = 0 if active_here else 1
            adjusted.append(tuple(values))
        cards_added = insert("cards", card_columns, adjusted)
        reviews_added = insert("reviews", *plan["reviews"])
        undos_added = insert("review_undos", *plan["review_undos"])
        quizzes_added = insert("quiz_attempts", *plan["quiz_attempts"])
        states = store.rebuild_card_state()
    return MergeOutcome(decks_added, cards_added, reviews_added, undos_added, quizzes_added, states)
