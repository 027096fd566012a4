"""The Anki bridge's memory: imported notes and note types, and what an export reads.

``anki_notes`` keeps, per Anki note GUID, the last imported version: the
fingerprint of the trainer card it became and the note's raw fields and type,
so that a re-import can merge instead of overwrite and an export can give Anki
back the very note it came from. The queries for an export (card change times,
states and the review log of one deck) live here too: storage is the only
place with SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import NamedTuple

from trainer.core.model import ReviewRecord
from trainer.core.sm2 import SM2State
from trainer.storage.database import bulk_page_cache, indexes_built_after

__all__ = [
    "NoteRecord",
    "NotetypeRecord",
    "card_changes",
    "deck_changed_at",
    "deck_reviews",
    "deck_states",
    "note_records",
    "notetypes",
    "save_note_records",
    "save_notetypes",
]


#: Between a note's fields, as in Anki's own ``notes.flds``.
FIELD_SEPARATOR = "\x1f"


class NoteRecord(NamedTuple):
    """The last imported version of one Anki note (a named tuple: an import builds
    one per note, and a frozen dataclass cost seven times as much to build)."""

    guid: str
    deck: str
    card_id: str
    #: ``trainer.interop.anki_notes.card_digest`` of the card as imported
    digest: str
    notetype_id: int | None = None
    #: the note's fields as Anki stored them (HTML)
    fields: tuple[str, ...] = ()
    term_field: int | None = None
    definition_field: int | None = None
    #: the template ordinals the note had cards for
    ords: tuple[int, ...] = ()
    #: the note's modification time in Anki, epoch seconds (0: not known)
    mod: int = 0


@dataclass(frozen=True)
class NotetypeRecord:
    id: int
    name: str
    #: 0 standard, 1 cloze (Anki's own numbers)
    kind: int
    fields: tuple[str, ...]
    #: (name, question format, answer format) per template, in ordinal order
    templates: tuple[tuple[str, str, str], ...]
    css: str = ""


def note_records(
    conn: sqlite3.Connection, *, deck: str | None = None, guids: Iterable[str] | None = None
) -> dict[str, NoteRecord]:
    """Recorded notes of one deck, or with the given GUIDs (all when neither is given)."""
    sql = (
        "SELECT guid, deck, card_id, digest, notetype_id, fields, term_field, "
        "definition_field, ords, anki_mod FROM anki_notes"
    )
    if deck is not None:
        rows = conn.execute(f"{sql} WHERE deck = ?", [deck]).fetchall()
    elif guids is not None:
        wanted = list(dict.fromkeys(guids))
        rows = []
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            marks = ", ".join("?" * len(chunk))
            rows += conn.execute(f"{sql} WHERE guid IN ({marks})", chunk).fetchall()
    else:
        rows = conn.execute(sql).fetchall()
    return {row[0]: _note_record(row) for row in rows}


def _note_record(row: Sequence[object]) -> NoteRecord:
    guid, deck, card_id, digest, notetype_id, fields, term_at, definition_at, ords, mod = row
    return NoteRecord(
        guid=str(guid),
        deck=str(deck),
        card_id=str(card_id),
        digest=str(digest),
        notetype_id=int(notetype_id) if notetype_id is not None else None,  # type: ignore[call-overload]
        fields=tuple(str(fields).split(FIELD_SEPARATOR)) if fields is not None else (),
        term_field=term_at if isinstance(term_at, int) else None,
        definition_field=definition_at if isinstance(definition_at, int) else None,
        ords=tuple(int(o) for o in str(ords).split(",")) if ords else (),
        mod=mod if isinstance(mod, int) else 0,
    )


#: from this many notes, the write gets a larger page cache (as a bulk deck sync does)
BULK_NOTES = 5000


def save_note_records(
    conn: sqlite3.Connection, records: Iterable[NoteRecord], now: dt.datetime
) -> None:
    """Remember these notes as the last imported versions (the caller holds a transaction).

    Rows go in GUID order, so the primary key's index grows at its end instead
    of splitting pages all over. A large batch gets a larger page cache
    meanwhile (SQLite's default of 2 MB made a 100k-note write spill pages
    before its commit), and when it is most of the table, the deck index is
    built after it rather than row by row (a quarter of writing 100k notes).
    """
    stamp = now.isoformat()
    join = FIELD_SEPARATOR.join
    ords_text: dict[tuple[int, ...], str] = {}
    rows = []
    append = rows.append
    for (
        guid,
        deck,
        card_id,
        digest,
        notetype_id,
        fields,
        term_at,
        definition_at,
        ords,
        mod,
    ) in records:
        text = ords_text.get(ords)
        if text is None:
            text = ords_text[ords] = ",".join(map(str, ords))
        append(
            (
                guid,
                deck,
                card_id,
                digest,
                notetype_id,
                join(fields) if fields else None,
                term_at,
                definition_at,
                text,
                stamp,
                mod or None,
            )
        )
    rows.sort()
    bulk = len(rows) >= BULK_NOTES
    rebuild = bulk and conn.execute("SELECT count(*) FROM anki_notes").fetchone()[0] < len(rows)
    with (
        bulk_page_cache(conn) if bulk else nullcontext(),
        indexes_built_after(conn, "anki_notes") if rebuild else nullcontext(),
    ):
        conn.executemany(
            """INSERT OR REPLACE INTO anki_notes (guid, deck, card_id, digest, notetype_id,
                   fields, term_field, definition_field, ords, imported_at, anki_mod)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )


def save_notetypes(conn: sqlite3.Connection, records: Iterable[NotetypeRecord]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO anki_notetypes (id, name, kind, fields, templates, css) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            (
                r.id,
                r.name,
                r.kind,
                json.dumps(list(r.fields), ensure_ascii=False),
                json.dumps([list(t) for t in r.templates], ensure_ascii=False),
                r.css,
            )
            for r in records
        ),
    )


def notetypes(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, NotetypeRecord]:
    found = {}
    for notetype_id in set(ids):
        row = conn.execute(
            "SELECT id, name, kind, fields, templates, css FROM anki_notetypes WHERE id = ?",
            [notetype_id],
        ).fetchone()
        if row:
            found[int(row[0])] = NotetypeRecord(
                id=int(row[0]),
                name=str(row[1]),
                kind=int(row[2]),
                fields=tuple(json.loads(row[3])),
                templates=tuple((str(t[0]), str(t[1]), str(t[2])) for t in json.loads(row[4])),
                css=str(row[5] or ""),
            )
    return found


def card_changes(conn: sqlite3.Connection, deck: str) -> dict[str, dt.datetime]:
    """When each card of a deck last changed (its content, not its place)."""
    rows = conn.execute(
        "SELECT id, coalesce(changed_at, added_at) FROM cards WHERE deck = ?", [deck]
    )
    return {row[0]: dt.datetime.fromisoformat(row[1]) for row in rows if row[1]}


def deck_changed_at(conn: sqlite3.Connection, deck: str) -> dt.datetime | None:
    """When the deck's studied directions last changed."""
    row = conn.execute("SELECT changed_at FROM decks WHERE slug = ?", [deck]).fetchone()
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


def deck_states(conn: sqlite3.Connection, deck: str) -> dict[tuple[str, str], SM2State]:
    """The scheduled state of each (card, direction) of a deck."""
    from trainer.storage.store import STATE_FIELDS, _state

    rows = conn.execute(
        f"SELECT s.card_id, s.direction, {', '.join('s.' + f for f in STATE_FIELDS)} "
        "FROM card_state s JOIN cards c ON c.id = s.card_id WHERE c.deck = ?",
        [deck],
    )
    return {(row[0], row[1]): _state(row[2:]) for row in rows}


def deck_reviews(conn: sqlite3.Connection, deck: str) -> list[ReviewRecord]:
    """The counted answers on a deck's cards, in time order."""
    from trainer.storage.store import NOT_UNDONE, REVIEW_COLUMNS, _review_record

    rows = conn.execute(
        f"""SELECT {REVIEW_COLUMNS} FROM reviews r JOIN cards c ON c.id = r.card_id
            WHERE c.deck = ? AND {NOT_UNDONE} ORDER BY r.answered_at, r.rowid""",
        [deck],
    )
    return [_review_record(row) for row in rows]


def last_answers(
    conn: sqlite3.Connection, deck_cards: Iterable[str]
) -> dict[tuple[str, str], dt.datetime]:
    """The time of the latest counted answer of each (card, direction) of these cards."""
    wanted = list(dict.fromkeys(deck_cards))
    found: dict[tuple[str, str], dt.datetime] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            f"""SELECT r.card_id, r.direction, max(r.answered_at) FROM reviews r
                WHERE r.card_id IN ({marks}) AND {_not_undone()}
                GROUP BY r.card_id, r.direction""",
            chunk,
        )
        for card, direction, latest in rows:
            found[(card, direction)] = dt.datetime.fromisoformat(latest)
    return found


def _not_undone() -> str:
    from trainer.storage.store import NOT_UNDONE

    return NOT_UNDONE


def store_anki_schedules(
    conn: sqlite3.Connection,
    updates: Sequence[tuple[str, str, dt.date, int, float | None, dt.datetime]],
) -> None:
    """Put Anki's due day, interval and ease on cards whose last answer came from Anki,
    and keep them with that answer's time (``anki_schedules``), so that replaying
    the log puts them back (``trainer.core.replay.Anchor``)."""
    conn.executemany(
        """UPDATE card_state SET due = ?, interval = ?, easiness = coalesce(?, easiness)
           WHERE card_id = ? AND direction = ?""",
        [
            (due.isoformat(), interval, ease, card, direction)
            for card, direction, due, interval, ease, _ in updates
        ],
    )
    conn.executemany(
        """INSERT OR REPLACE INTO anki_schedules
               (card_id, direction, answered_at, due, interval, easiness)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [
            (card, direction, answered.isoformat(), due.isoformat(), interval, ease)
            for card, direction, due, interval, ease, answered in updates
        ],
    )
