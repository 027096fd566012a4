"""``cards.due_directions``: the directions of a card that have a due day, as bits
(``sql_terms.DIRECTION_BITS``), which Browse's ``is:new`` finds new rows by.

Triggers on ``card_state`` keep them when a state is updated or deleted
(``database.m019_due_directions``), one card at a time. An inserted state (a
card direction's first answer) writes nothing more: the bits show the states up
to a rowid kept in ``meta`` (``database.m020_due_directions_off_answers``), and
Browse leaves out the cards of the states inserted since (``RECENTLY_DUE``).
A rewrite of every state would fire the triggers twice per state (the delete,
the insert): ``in_one_pass`` sets them aside for it and sets every card's bits
afterwards in one statement, writing only the cards that change. A card
inserted is not known until its first state: Browse looks up the states of such
cards. Browse sets the bits of both (cards not known, states inserted since the
mark) in a thread when it opens (``settle``, ``settle_inserted``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from trainer.storage.database import (
    DUE_DIRECTIONS_OF,
    DUE_DIRECTIONS_UNKNOWN,
    LAST_STATE,
    set_aside,
)
from trainer.storage.sql_terms import DUE_DIRECTIONS_SETTLED, DUE_DIRECTIONS_SETTLED_KEY

#: The rowids of the cards with a state inserted since the bits were last set
#: that has a due day in a direction (the parameter): their bits may lack it.
#: Few (the first answers since Browse last opened), so a query reads them once
#: by rowid (any index of card_state would have it read every state with a due
#: day), and tests its candidates by rowid, which their index holds, not by id,
#: which would read each candidate's row.
RECENTLY_DUE = f"""(SELECT r.rowid FROM card_state s NOT INDEXED CROSS JOIN cards r
    ON r.id = s.card_id WHERE s.rowid > {DUE_DIRECTIONS_SETTLED}
    AND s.direction = ? AND s.due > '')"""


@contextmanager
def in_one_pass(conn: sqlite3.Connection) -> Iterator[None]:
    """Inside the caller's write transaction: the block writes states without the
    triggers, then every card's bits are set from its states and the triggers
    put back (a failure rolls all of it back with the transaction)."""
    with set_aside(conn, "trigger", "card_state", "card_state_due_directions_%"):
        yield
        set_all(conn)
        mark_settled(conn, _last_state(conn))


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


def _last_state(conn: sqlite3.Connection) -> int:
    (last,) = conn.execute(f"SELECT {LAST_STATE}").fetchone()
    return int(last)


def mark_settled(conn: sqlite3.Connection, rowid: int) -> None:
    """The bits show every state up to ``rowid`` (in the caller's transaction)."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [DUE_DIRECTIONS_SETTLED_KEY, rowid],
    )


def inserted_since_settled(conn: sqlite3.Connection) -> bool:
    """Whether a state was inserted since the bits were last set (by rowid alone)."""
    (since,) = conn.execute(f"SELECT {LAST_STATE} > {DUE_DIRECTIONS_SETTLED}").fetchone()
    return bool(since)


def settle_inserted(conn: sqlite3.Connection, limit: int) -> int:
    """Set the bits of the cards of up to ``limit`` states inserted since the mark,
    in rowid order, and move the mark past them (in the caller's transaction);
    how many states were read."""
    rows = conn.execute(
        f"SELECT rowid, card_id FROM card_state WHERE rowid > {DUE_DIRECTIONS_SETTLED} "
        "ORDER BY rowid LIMIT ?",
        [limit],
    ).fetchall()
    if not rows:
        return 0
    cards = sorted({card for _, card in rows})
    value = DUE_DIRECTIONS_OF.format("cards.id")
    conn.execute(
        f"UPDATE cards SET due_directions = {value} "
        f"WHERE id IN ({','.join('?' * len(cards))}) AND due_directions IS NOT {value}",
        cards,
    )
    mark_settled(conn, rows[-1][0])
    return len(rows)
