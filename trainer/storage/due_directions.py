"""``cards.due_directions``: the directions of a card that have a due day, as bits
(``sql_terms.DIRECTION_BITS``), which Browse's ``is:new`` finds new rows by.

Triggers on ``card_state`` keep them (``database.m019_due_directions``), one
card at a time. A rewrite of every state would fire them twice per state (the
delete, the insert): ``in_one_pass`` sets them aside for it and sets every
card's bits afterwards in one statement, writing only the cards that change.
A card inserted is not known until its first state: Browse looks up the states
of such cards, and sets their bits in a thread when it opens (``settle``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from trainer.storage.database import DUE_DIRECTIONS_OF, DUE_DIRECTIONS_UNKNOWN


@contextmanager
def in_one_pass(conn: sqlite3.Connection) -> Iterator[None]:
    """Inside the caller's write transaction: the block writes states without the
    triggers, then every card's bits are set from its states and the triggers
    put back (a failure rolls all of it back with the transaction)."""
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name = 'card_state' AND name LIKE 'card_state_due_directions_%'"
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    yield
    set_all(conn)
    for _, sql in triggers:
        conn.execute(sql)


def set_all(conn: sqlite3.Connection) -> None:
    """Every card's bits from its states, writing only the cards whose bits change."""
    value = DUE_DIRECTIONS_OF.format("cards.id")
    conn.execute(f"UPDATE cards SET due_directions = {value} WHERE due_directions IS NOT {value}")


#: the unknown cards' bits set per write transaction by ``settle``: an answer
#: meanwhile waits for one batch at most
SETTLE_BATCH = 2000


def unknown_rowids(conn: sqlite3.Connection, limit: int) -> list[int]:
    """Up to ``limit`` active cards whose bits are not known yet (inserted since a
    rebuild, never answered), deck by deck through the index on the bits."""
    return [
        row[0]
        for row in conn.execute(
            f"""SELECT c.rowid FROM decks d CROSS JOIN cards c INDEXED BY idx_cards_due_directions
                ON c.deck = d.slug AND c.retired = 0
                AND c.due_directions = {DUE_DIRECTIONS_UNKNOWN} LIMIT ?""",
            [limit],
        )
    ]


def settle(conn: sqlite3.Connection, rowids: list[int]) -> None:
    """Set the bits of these cards from their states (in the caller's transaction)."""
    value = DUE_DIRECTIONS_OF.format("cards.id")
    conn.execute(
        f"UPDATE cards SET due_directions = {value} WHERE rowid IN ({','.join('?' * len(rowids))})",
        rowids,
    )
