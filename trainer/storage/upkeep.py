"""The one transaction a derived table's upkeep runs in (``daily_totals``,
``sorted_states``): readers bring such a table up to date before they read it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["in_one_transaction"]


def in_one_transaction(
    conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], None]
) -> None:
    """``work(conn)`` in the caller's transaction when there is one (a migration, a
    bulk write), else in its own ``BEGIN IMMEDIATE``: the upkeep of a derived
    table, which two processes must never do twice over."""
    if conn.in_transaction:
        work(conn)
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        work(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
