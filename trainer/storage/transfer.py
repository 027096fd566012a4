"""Whole trainer databases as files: checking one, copying one, folding one into another.

The interop commands (backup, restore, merge) deal in paths and messages; the
SQL they need on trainer's schema lives here, beside the schema it depends on.

Another device's file is never opened in place. A trainer database runs in WAL
mode, so recent answers may still sit in ``<name>-wal``: reading the main file
alone would miss them, and opening the original read-write would let SQLite
recover the log into it. ``staged_copy`` copies both to a private folder, and
everything after reads that copy.

Copies go through SQLite's online backup API in one step, so one read
transaction sees every page and the copy is consistent while another process
writes. Merging relies on facts (reviews, undos, quiz attempts) being keyed by
UUIDs minted where they were recorded: ``INSERT OR IGNORE`` then adds each
row once however often, and in whichever direction, two files are merged.

Refusals are ``DatabaseError`` with a message fit for the user; a failure of
SQLite itself part-way is ``TransferFailed``, whose message is SQLite's own, so
the caller can say which operation it interrupted.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from trainer.errors import os_error
from trainer.storage.database import (
    MIGRATION_SET,
    DatabaseError,
    connect,
    known_steps,
    open_connection,
)
from trainer.storage.store import Replay, Store

__all__ = [
    "MergeCounts",
    "TransferFailed",
    "check_database",
    "check_database_file",
    "copy_database",
    "merge_into",
    "migrate_copy",
    "restore_into",
    "review_count",
    "staged_copy",
]

#: The tables this version reads: a fully migrated file without one is incomplete.
REQUIRED_TABLES = frozenset(
    {
        "decks",
        "cards",
        "card_state",
        "reviews",
        "review_undos",
        "quiz_attempts",
        "scheduler_fits",
        "meta",
    }
)
MIGRATIONS_TABLE = "_sqlite_migrations"

#: The tables a merge copies, each read in an order that keeps the insert stable.
MERGED_TABLES = (
    ("decks", "slug"),
    ("cards", "deck, position, id"),
    ("reviews", "answered_at, id"),
    ("review_undos", "review_id"),
    ("quiz_attempts", "started_at, id"),
)

Row = tuple[object, ...]


class TransferFailed(DatabaseError):
    """SQLite failed part-way through a copy, restore or merge.

    The message is SQLite's, without a path: the caller names the file and the
    operation. ``kept`` is where a restore had begun to keep the previous content.
    """

    def __init__(self, error: sqlite3.DatabaseError, kept: Path | None = None) -> None:
        super().__init__(str(error))
        self.kept = kept


@dataclass(frozen=True)
class MergeCounts:
    """What a merge added, so the command can report it."""

    decks_added: int
    cards_added: int
    reviews_added: int
    undos_added: int
    quiz_attempts_added: int
    states: int


# ------------------------------------------------------------------ checking


@contextmanager
def staged_copy(path: Path) -> Iterator[Path]:
    """A private copy of a database file (and its ``-wal``, if any) to check and read.

    The original is only read, never opened by SQLite, so it is never written.
    """
    if not path.exists():
        raise DatabaseError(f"{path}: no such file")
    if not path.is_file():
        raise DatabaseError(f"{path}: not a regular file (a directory, device or pipe)")
    if path.stat().st_size == 0:
        raise DatabaseError(f"{path}: the file is empty, not a trainer database")
    with tempfile.TemporaryDirectory(prefix="trainer-db-") as scratch:
        copy = Path(scratch) / "staged.db"
        try:
            shutil.copyfile(path, copy)
            wal = path.with_name(f"{path.name}-wal")
            if wal.is_file():
                shutil.copyfile(wal, copy.with_name(f"{copy.name}-wal"))
        except OSError as error:
            raise os_error(error, path, "read", DatabaseError) from None
        yield copy


def check_database(path: Path, label: Path) -> list[str]:
    """Refuse anything but an intact trainer database this version can read.

    ``path`` is a staged copy; messages name ``label``, the file the user gave.
    Returns the schema steps (migrations) it has run.
    """
    conn = sqlite3.connect(str(path))
    try:
        return _check(conn, label)
    finally:
        conn.close()


def check_database_file(path: Path) -> list[str]:
    """Check a database file without writing to it; returns the schema steps it has run."""
    with staged_copy(path) as copy:
        return check_database(copy, path)


def _check(conn: sqlite3.Connection, label: Path) -> list[str]:
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        if result != ["ok"]:
            raise DatabaseError(f"{label}: the database is damaged ({result[0]})")
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if MIGRATIONS_TABLE not in tables:
            raise DatabaseError(f"{label}: not a trainer database")
        applied = [
            row[0]
            for row in conn.execute(
                f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY id",
                [MIGRATION_SET],
            )
        ]
    except sqlite3.DatabaseError as error:
        if "malformed" in str(error):
            raise DatabaseError(f"{label}: the database is damaged ({error})") from None
        raise DatabaseError(f"{label}: not a trainer database, or the file is corrupt") from None
    known = known_steps()
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise DatabaseError(
            f"{label}: written by a newer version of trainer (schema step {unknown[-1]!r}); "
            "upgrade trainer first"
        )
    if not applied:
        raise DatabaseError(f"{label}: not a trainer database")
    if set(applied) == set(known) and not tables >= REQUIRED_TABLES:
        missing = ", ".join(sorted(REQUIRED_TABLES - tables))
        raise DatabaseError(f"{label}: not a complete trainer database (missing {missing})")
    return applied


def review_count(path: Path) -> int:
    """How many answers the log of the database at ``path`` holds (undone ones too)."""
    conn = connect(path)
    try:
        return int(Store(conn).count_reviews())
    finally:
        conn.close()


# ------------------------------------------------------------------- copying


def copy_database(database: Path, destination: Path) -> None:
    """A consistent, self-contained, checked copy of the trainer database at ``database``."""
    try:
        source = connect(database)
        try:
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
            if MIGRATIONS_TABLE not in tables:
                raise DatabaseError(f"{database}: not a trainer database")
            _copy(source, destination)
        finally:
            source.close()
    except sqlite3.DatabaseError as error:
        raise TransferFailed(error) from None


def _copy(source: sqlite3.Connection, destination: Path) -> None:
    """One backup step, then a rollback journal so the copy is one file, then a check."""
    target = sqlite3.connect(str(destination))
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
        result = target.execute("PRAGMA integrity_check").fetchone()
        if not result or result[0] != "ok":
            raise DatabaseError(f"{destination}: the copy failed its integrity check")
    finally:
        target.close()


def _copy_whole(source: sqlite3.Connection, destination: Path) -> None:
    """``_copy`` under a temporary name, renamed into place only once whole: a restore
    killed midway leaves no empty ``.replaced-*`` file that looks like a kept database."""
    import os
    import secrets

    partial = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.partial")
    try:
        _copy(source, partial)
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def restore_into(database: Path, source: Path, *, keep_previous_as: Path) -> Path | None:
    """Copy ``source``'s content into ``database``, first keeping what it held.

    The content goes in through SQLite (the backup API), not by renaming files,
    so another process holding the database open sees the new content on its
    next transaction, and a stale ``-wal`` is never paired with another file.
    Returns where the previous content was kept: ``keep_previous_as``, or None
    when the database was empty.
    """
    replaced: Path | None = None
    try:
        origin = sqlite3.connect(str(source))
        try:
            live = connect(database)
            try:
                if live.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0:
                    _copy_whole(live, keep_previous_as)
                    replaced = keep_previous_as  # only once the copy is whole
                origin.backup(live)
                live.execute("PRAGMA journal_mode = WAL")
                result = live.execute("PRAGMA integrity_check").fetchone()
                if not result or result[0] != "ok":
                    previous = (
                        f"the previous one is in {replaced}" if replaced else "it was empty before"
                    )
                    raise DatabaseError(
                        f"{database}: the restored database failed its integrity check; {previous}"
                    )
            finally:
                live.close()
        finally:
            origin.close()
    except sqlite3.DatabaseError as error:
        raise TransferFailed(error, kept=replaced) from None
    return replaced


# ------------------------------------------------------------------- merging


def migrate_copy(path: Path) -> None:
    """Bring a private copy with an older schema up to this version's.

    No backup is made first: the file is itself a throwaway copy.
    """
    open_connection(path, backup_before_migrating=False).close()


def merge_into(store: Store, other: Path, replay: Replay) -> MergeCounts:
    """Fold the trainer database at ``other`` (checked, at this version's schema) into ``store``.

    Everything is written in one transaction, so a failed merge changes nothing.
    """
    conn = sqlite3.connect(str(other))
    try:
        return _merge(store, conn, replay)
    except sqlite3.DatabaseError as error:
        raise TransferFailed(error) from None
    finally:
        conn.close()


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _rows(conn: sqlite3.Connection, table: str, columns: Sequence[str], order: str) -> list[Row]:
    names = ", ".join(f'"{c}"' for c in columns)
    return conn.execute(f"SELECT {names} FROM {table} ORDER BY {order}").fetchall()


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _insert_new(
    conn: sqlite3.Connection, table: str, columns: Sequence[str], rows: Sequence[Row]
) -> int:
    """Insert the rows whose key is not here yet; returns how many were."""
    before = _count(conn, table)
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    conn.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})", rows)
    return _count(conn, table) - before


def _merge(store: Store, other: sqlite3.Connection, replay: Replay) -> MergeCounts:
    """Cards this database has never seen are inserted so no review is orphaned;
    they stay active only when their deck is active here (otherwise they are
    retired, and so is the deck row added for them); cards known here keep
    their local text. Card states are then rebuilt by replaying the merged log.
    """
    local = store.db.conn  # sqlite-utils' API (the state rebuild) is set up before the write
    plan: dict[str, tuple[list[str], list[Row]]] = {}
    for table, order in MERGED_TABLES:
        mine = set(_columns(local, table))
        columns = [c for c in _columns(other, table) if c in mine]
        plan[table] = (columns, _rows(other, table, columns, order))

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
        new_decks: list[dict[str, object]] = []
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
            decks_added += _insert_new(local, "decks", names, [tuple(values[n] for n in names)])
        retired_at = at.get("retired")
        adjusted: list[Row] = []
        for row in new_cards:
            cells = list(row)
            active_here = known_decks.get(row[at["deck"]]) is False
            if retired_at is not None:
                cells[retired_at] = 0 if active_here else 1
            adjusted.append(tuple(cells))
        cards_added = _insert_new(local, "cards", card_columns, adjusted)
        reviews_added = _insert_new(local, "reviews", *plan["reviews"])
        undos_added = _insert_new(local, "review_undos", *plan["review_undos"])
        quizzes_added = _insert_new(local, "quiz_attempts", *plan["quiz_attempts"])
        states = store.rebuild_card_state(replay)
    return MergeCounts(decks_added, cards_added, reviews_added, undos_added, quizzes_added, states)
