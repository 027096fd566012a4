"""Browse's search index (the FTS5 table ``cards_fts`` over the cards' text).

Small changes keep it current through three triggers on ``cards``. A bulk write
(a 100k-card import) does not: indexing every word with its one- and
two-letter prefixes took a third of such an import, and the user who just
imported is not searching yet. The bulk write drops the triggers and records
their SQL in ``meta`` under ``PENDING_KEY``, in its own transaction, so the
database says at every moment whether the index can be trusted. The index is
rebuilt, and the triggers put back, in one transaction the first time it is
needed: by the TUI in a background thread as soon as it opens, or by the first
search that comes before that.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from trainer.storage.database import DatabaseError, bulk_page_cache
from trainer.storage.sql_terms import SEARCH_INDEX_PENDING_KEY

#: meta key present while the index is out of date; its value is the JSON list of
#: the SQL of the triggers to put back once it is rebuilt
PENDING_KEY = SEARCH_INDEX_PENDING_KEY
#: FTS5 "hashsize" during a rebuild (fewer segments to merge), and FTS5's own default
REBUILD_BUFFER = 16 * 1024 * 1024
FTS5_DEFAULT_BUFFER = 1024 * 1024


def mark_out_of_date(conn: sqlite3.Connection, trigger_sql: Sequence[str]) -> None:
    """Record, inside the caller's transaction, that the index lost its triggers.

    ``trigger_sql`` holds the triggers just dropped; none means the index was
    already out of date (its triggers were dropped by an earlier bulk write)
    and the recorded SQL stays as it is.
    """
    if not trigger_sql:
        return
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [PENDING_KEY, json.dumps(list(trigger_sql))],
    )


def is_current(conn: sqlite3.Connection) -> bool:
    """Whether searches can use the index as it stands."""
    return _pending_triggers(conn) is None


def rebuild_if_pending(conn: sqlite3.Connection) -> bool:
    """In the caller's write transaction: index every card afresh and put the
    triggers back, if the index is out of date; True when it was. Asked again
    under the write lock, since another connection may have rebuilt it since."""
    pending = _pending_triggers(conn)
    if pending is None:
        return False
    set_buffer = "INSERT INTO cards_fts (cards_fts, rank) VALUES ('hashsize', ?)"
    with bulk_page_cache(conn):
        conn.execute(set_buffer, [REBUILD_BUFFER])
        conn.execute("INSERT INTO cards_fts (cards_fts) VALUES ('rebuild')")
        conn.execute(set_buffer, [FTS5_DEFAULT_BUFFER])
    for sql in pending:
        conn.execute(sql)
    conn.execute("DELETE FROM meta WHERE key = ?", [PENDING_KEY])
    return True


def _pending_triggers(conn: sqlite3.Connection) -> list[str] | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [PENDING_KEY]).fetchone()
    if row is None:
        return None
    try:
        triggers = json.loads(row[0])
    except ValueError:
        triggers = None
    if not isinstance(triggers, list) or not all(_is_index_trigger(sql) for sql in triggers):
        raise DatabaseError(
            f"the database's record of its search index (meta.{PENDING_KEY}) is damaged: "
            "it is not a list of search index triggers; searching cannot use the index"
        )
    return triggers


def _is_index_trigger(sql: object) -> bool:
    """What a bulk write recorded: a trigger feeding ``cards_fts``, nothing else."""
    return (
        isinstance(sql, str)
        and sql.lstrip().upper().startswith("CREATE TRIGGER")
        and "cards_fts" in sql
    )
