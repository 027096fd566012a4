"""``sorted_states``: a copy of ``card_state`` that carries the indexes sorted reads walk.

Browse sorted by state, interval, ease or lapses, Progress's hardest cards and the
weakest-cards quiz each walk an index on one of those columns. On ``card_state``
itself every answer wrote an entry into each of them, at a random place of a
large index: at 100k cards that was a third of recording an answer, and most
of its slowest tenth. So the answer writes only ``card_state``; triggers there
note which card directions changed in ``unsorted_states`` (a small table, one
entry written where the last one was), and those rows are copied over here
before a sorted read (``sorting_table``) or in idle time (the TUI's idle job),
a few dozen at a time.

A connection that cannot write (a read-only file, a database locked past the
busy timeout) reads ``card_state`` instead: the same rows, found without the
index, so slower but never stale.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from trainer.storage.database import indexes_built_after, set_aside
from trainer.storage.upkeep import in_one_transaction

__all__ = ["COPY", "SOURCE", "in_one_pass", "is_current", "refresh", "sorting_table"]

#: the table sorted reads walk once it is current
COPY = "sorted_states"
#: the table every other read and every write uses
SOURCE = "card_state"
#: from this many changed states, the copy is made again whole with its indexes
#: built afresh, which beats replacing its rows one by one (a rebuild, an import
#: with history)
REBUILD_FROM = 5000

#: card_state's columns, which the copy holds all of
_NAMES = (
    "card_id",
    "direction",
    "repetitions",
    "easiness",
    "interval",
    "due",
    "lapses",
    "last_review",
    "stability",
    "difficulty",
)
_COLUMNS = ", ".join(_NAMES)


def is_current(db: sqlite3.Connection) -> bool:
    """Whether the copy holds every state as ``card_state`` does (nothing to write)."""
    db = getattr(db, "conn", db)  # a sqlite-utils Database works too
    return db.execute("SELECT 1 FROM unsorted_states LIMIT 1").fetchone() is None


def refresh(db: sqlite3.Connection) -> None:
    """Copy the changed states over, in one transaction: the caller's when there is
    one, else its own ``BEGIN IMMEDIATE`` (two processes never copy a row twice)."""
    db = getattr(db, "conn", db)  # a sqlite-utils Database works too
    if not is_current(db):
        in_one_transaction(db, _copy_changed)


def sorting_table(db: sqlite3.Connection) -> str:
    """The table a sorted read should walk: the copy, brought up to date, or
    ``card_state`` when this connection cannot write the copy."""
    try:
        refresh(db)
    except sqlite3.OperationalError:
        return SOURCE
    return COPY


@contextmanager
def in_one_pass(db: sqlite3.Connection) -> Iterator[None]:
    """Inside the caller's write transaction: the block rewrites the states without
    the triggers noting each one, then the copy is made whole from them and the
    triggers are put back (a rebuild; it also mends a copy that went wrong)."""
    with set_aside(db, "trigger", SOURCE, "card_state_unsorted_%"):
        yield
        _copy_whole(db)
        db.execute("DELETE FROM unsorted_states")


def _copy_changed(db: sqlite3.Connection) -> None:
    (changed,) = db.execute("SELECT count(*) FROM unsorted_states").fetchone()
    if changed >= REBUILD_FROM:
        _copy_whole(db)
    else:
        db.execute(
            f"""DELETE FROM {COPY} WHERE (card_id, direction) IN
                (SELECT card_id, direction FROM unsorted_states)"""
        )
        db.execute(
            f"""INSERT INTO {COPY} ({_COLUMNS})
                SELECT {", ".join(f"s.{name}" for name in _NAMES)}
                FROM unsorted_states u
                JOIN {SOURCE} s ON s.card_id = u.card_id AND s.direction = u.direction"""
        )
    db.execute("DELETE FROM unsorted_states")


def _copy_whole(db: sqlite3.Connection) -> None:
    """The copy made again from every state, its secondary indexes dropped meanwhile
    and built once at the end (sorting each costs less than inserting into it)."""
    with indexes_built_after(db, COPY):
        db.execute(f"DELETE FROM {COPY}")
        db.execute(
            f"INSERT INTO {COPY} ({_COLUMNS}) SELECT {_COLUMNS} FROM {SOURCE} "
            "WHERE card_id IS NOT NULL AND direction IS NOT NULL ORDER BY card_id, direction"
        )
