"""Opening the database: connection settings, migrations and version checks.

Migrations are an ordered list of small named functions (sqlite-utils
``Migrations``), each applied in a transaction with the record that it ran.
A database that has run a migration this program does not know comes from a
newer version and is refused untouched; an older one is copied beside itself
before it is migrated, so an upgrade can always be undone by hand.

Importing sqlite-utils costs about 60 ms, more than all the SQL of ``trainer
due``; so the connection is opened and checked with the standard library, and
sqlite-utils is imported only when a migration is pending or a caller wants
its table API (``as_database``). A new, empty database is made from one script
equal to all the steps (``trainer.storage.fresh_schema``), without sqlite-utils.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.errors import TrainerError, os_error
from trainer.storage import fresh_schema
from trainer.storage.sql_terms import (
    DECK_OF_CARD_ID,
    DIRECTION_BITS,
    DUE_DIRECTIONS_SETTLED,
    DUE_DIRECTIONS_SETTLED_KEY,
    SEARCH_INDEX_PENDING_KEY,
)

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

BUSY_TIMEOUT_SECONDS = 30
#: The name sqlite-utils files this program's schema steps under.
MIGRATION_SET = "trainer"


class DatabaseError(TrainerError, RuntimeError):
    """A database that cannot be opened or used, with a message fit for the user."""


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


def m003_quiz_seed(db: Database) -> None:
    """Keep each quiz's seed so the same quiz can be asked again."""
    db["quiz_attempts"].add_column("seed", int)


def m004_reviews_by_card_and_day(db: Database) -> None:
    """Per-deck statistics join reviews to cards by card_id within a day range."""
    db["reviews"].create_index(["card_id", "day"])


def m005_hardest_cards(db: Database) -> None:
    """Progress lists the hardest cards by reading this index from its start."""
    db.execute(
        "CREATE INDEX idx_card_state_hardest ON card_state "
        "(lapses DESC, easiness, card_id, direction)"
    )


def m006_browse_by_term(db: Database) -> None:
    """Browse lists cards by term by default: an index serves its first page."""
    db.execute("CREATE INDEX idx_cards_term ON cards (term COLLATE NOCASE)")


def m007_statistics_indexes(db: Database) -> None:
    """Statistics count cards per deck from indexes alone instead of sorting 100k rows.

    The expression index lists card states already grouped by deck and
    direction, with the columns that decide their category; queries must spell
    the deck exactly as ``DECK_OF_CARD_ID`` does for SQLite to use it.
    """
    db.execute("CREATE INDEX idx_cards_deck_retired ON cards (deck, retired, suspended)")
    db.execute(
        f"CREATE INDEX idx_card_state_deck ON card_state "
        f"({DECK_OF_CARD_ID}, direction, repetitions, interval)"
    )


def m008_fsrs(db: Database) -> None:
    """FSRS as a second scheduler: its memory state, its fitted parameters, and
    which scheduler the cached states come from.

    ``card_state`` gains FSRS's stability and difficulty (NULL under SM-2).
    The review log keeps its columns: the states before and after an answer
    are those of the scheduler in use when it was given, and every state can
    be recomputed by replaying the log, so FSRS's memory state is cached, not
    logged. ``scheduler_fits`` keeps every fit of FSRS's parameters to the log
    (the latest is used); ``meta`` names the scheduler, parameters and retention
    the cached states were computed with, so a database opened under another
    setting is replayed once instead of mixing two schedulers' states.
    """
    db["card_state"].add_column("stability", float)
    db["card_state"].add_column("difficulty", float)
    db["scheduler_fits"].create(
        {
            "id": int,
            "scheduler": str,
            "fitted_at": str,
            "parameters": str,
            "reviews": int,
            "through_day": str,
        },
        pk="id",
        not_null={"scheduler", "fitted_at", "parameters", "reviews"},
    )
    db["meta"].create({"key": str, "value": str}, pk="key")


def m009_missing_term_drafts(db: Database) -> None:
    """Imported cards still waiting for a term (``missing_term: true`` in the deck
    file). They are kept apart from ``cards``, so no queue, count or quiz can
    ever offer one; Browse lists them with ``is:missing`` so they can be completed.
    ``number`` is the draft's place among its deck's drafts, in file order."""
    db.execute(
        "CREATE TABLE drafts (deck TEXT NOT NULL, number INTEGER NOT NULL, "
        "definition TEXT NOT NULL, PRIMARY KEY (deck, number))"
    )
    # every deck file is read once more, so the drafts already in them are found
    db.execute("UPDATE decks SET size = -1, sha256 = ''")


def m010_anki_notes(db: Database) -> None:
    """What the Anki bridge must remember between an import and the next one.

    ``anki_notes`` is the last imported version of each Anki note: the
    fingerprint of the card it became (so a re-import can tell whether the
    trainer side was edited since), and the note's own type and raw fields (so
    an export can give Anki back exactly that note, fields trainer does not
    study included). ``anki_notetypes`` holds those note types. ``changed_at``
    on cards and decks is when their content (or a deck's directions) last
    changed: an exported note's modification time, which Anki compares to
    decide whether to update its copy.
    """
    db.execute(
        """CREATE TABLE anki_notes (
               guid TEXT PRIMARY KEY, deck TEXT NOT NULL, card_id TEXT NOT NULL,
               digest TEXT NOT NULL, notetype_id INTEGER, fields TEXT, term_field INTEGER,
               definition_field INTEGER, ords TEXT, imported_at TEXT)"""
    )
    db.execute("CREATE INDEX idx_anki_notes_deck ON anki_notes (deck)")
    db.execute(
        """CREATE TABLE anki_notetypes (
               id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind INTEGER NOT NULL,
               fields TEXT NOT NULL, templates TEXT NOT NULL, css TEXT)"""
    )
    db.execute("ALTER TABLE cards ADD COLUMN changed_at TEXT")
    # a card's own studied directions (JSON like decks.directions); NULL: its deck's
    db.execute("ALTER TABLE cards ADD COLUMN directions TEXT")
    # a cloze card: its entry's text and the gap number it studies
    db.execute("ALTER TABLE cards ADD COLUMN cloze TEXT")
    db.execute("ALTER TABLE cards ADD COLUMN cloze_number INTEGER")
    db.execute("UPDATE cards SET changed_at = added_at")
    db.execute("ALTER TABLE decks ADD COLUMN changed_at TEXT")


def m011_refused_deck_files(db: Database) -> None:
    """Deck files refused once, remembered so they are not parsed again until they change.

    A hostile file (millions of YAML aliases) costs seconds to refuse; every
    command, ``trainer due`` in a shell prompt included, would pay that again.
    A row is keyed by the file's path and holds what it was refused for.
    """
    db.execute(
        "CREATE TABLE refused_deck_files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
        "mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, message TEXT NOT NULL)"
    )


def m012_browse_by_schedule(db: Database) -> None:
    """Browse sorted by a schedule column picks its first page by walking an index
    on that column (due and lapses already have one) instead of sorting every row."""
    for column in ("repetitions", "interval", "easiness"):
        db.execute(f"CREATE INDEX idx_card_state_{column} ON card_state ({column})")


def m013_progress_indexes(db: Database) -> None:
    """Progress without reading 100k rows: cards counted per deck, retired flag and
    own directions from an index on the three (which also finds the few cards
    with their own directions), and the due forecast from an index holding each
    state's due day, card and direction (the due index alone needs a table read
    per state)."""
    db.execute("CREATE INDEX idx_cards_deck_directions ON cards (deck, retired, directions)")
    db.execute("CREATE INDEX idx_card_state_due_card ON card_state (due, card_id, direction)")


def m014_search_short_prefixes(db: Database) -> None:
    """Browse matches every word as a prefix; a one- or two-letter prefix matched
    most of the vocabulary and FTS5 merged every matching term's list. FTS5's
    prefix indexes keep those ready (same matches; about 4% more file). The
    triggers of m002 name the table, so they keep working on the new one."""
    db.execute("DROP TABLE cards_fts")
    db.execute(
        'CREATE VIRTUAL TABLE "cards_fts" USING FTS5 ("term", "definition", "aliases", '
        "\"tags\", tokenize='unicode61 remove_diacritics 2', content=\"cards\", prefix='1 2')"
    )
    db.execute("INSERT INTO cards_fts (cards_fts) VALUES ('rebuild')")


def m015_daily_totals(db: Database) -> None:
    """Progress read a year of the log on every visit (half a second at a million
    answers, seconds for one deck): the per-day, per-deck sums are kept in a
    table instead and brought up to date from the rows added since
    (``trainer.storage.daily_totals``). They are counted here once, so the
    first visit after upgrading does not wait for it."""
    from trainer.storage import daily_totals

    db.execute(
        """CREATE TABLE daily_totals (
            day TEXT NOT NULL, deck TEXT NOT NULL,
            reviews INTEGER NOT NULL, response_ms INTEGER NOT NULL,
            new_cards INTEGER NOT NULL, young_total INTEGER NOT NULL,
            young_passed INTEGER NOT NULL, mature_total INTEGER NOT NULL,
            mature_passed INTEGER NOT NULL,
            PRIMARY KEY (deck, day)
        ) WITHOUT ROWID"""
    )
    daily_totals.refresh(db.conn)


def m016_leech_index(db: Database) -> None:
    """Progress lists the leeches on every visit, which read all 100k cards for the
    few marked; a partial index holds just those."""
    db.execute("CREATE INDEX idx_cards_leech ON cards (leech_at) WHERE leech_at IS NOT NULL")


def m017_browse_filters(db: Database) -> None:
    """Browse's ``is:leech`` and ``is:suspended`` find their few cards through a
    partial index each (the cards flagged, by deck: m016's index on leech_at
    alone lost to the deck index, which serves Browse's count per deck) instead
    of reading all 100k; ``is:new`` finds the states without a due day (rare)
    through another. Sorted by deck, each deck's cards are walked in term order
    (an index on deck and term)."""
    db.execute(
        "CREATE INDEX idx_cards_deck_leech ON cards (deck, retired) WHERE leech_at IS NOT NULL"
    )
    db.execute("CREATE INDEX idx_cards_suspended ON cards (deck, retired) WHERE suspended = 1")
    db.execute("CREATE INDEX idx_cards_deck_term ON cards (deck, term COLLATE NOCASE)")
    db.execute(
        "CREATE INDEX idx_card_state_undue ON card_state (card_id, direction) "
        "WHERE coalesce(due, '') = ''"
    )


def m018_review_histories(db: Database) -> None:
    """The scheduler check and forecast read whole histories of a few thousand
    card directions: (day, grade) of their answers in time order, by mode. The
    (card_id, direction, answered_at) index found them, and each row was then
    read from the table, one page each (0.06 s for 16,000 answers at 1M
    reviews); with mode, day and grade in the index it alone answers (0.02 s).
    It serves everything the old index did, which goes (an answer still writes
    one entry)."""
    db.execute(
        "CREATE INDEX idx_reviews_history ON reviews "
        "(card_id, direction, answered_at, mode, day, grade)"
    )
    db.execute("DROP INDEX idx_reviews_card_id_direction_answered_at")


#: ``cards.due_directions`` of a card inserted since its bits were last set: not
#: known (a value of bits never has this one).
DUE_DIRECTIONS_UNKNOWN = 4
#: The bit of ``cards.due_directions`` each direction sets (m019).
_DIRECTION_BIT = (
    "CASE {} "
    + " ".join(f"WHEN '{name}' THEN {bit}" for name, bit in DIRECTION_BITS.items())
    + " ELSE 0 END"
)
#: A card's ``due_directions`` worked out from its states (``{}``: its id).
DUE_DIRECTIONS_OF = (
    "(SELECT coalesce(sum(" + _DIRECTION_BIT.format("s.direction") + "), 0) "
    "FROM card_state s WHERE s.card_id = {} AND s.due > '')"
)
#: The search index trigger of a card's update, as m002 made it, and as m019 narrows
#: it to the columns the index holds.
_SEARCH_UPDATE_TRIGGER = 'CREATE TRIGGER "cards_au" AFTER UPDATE ON "cards" BEGIN'
_SEARCH_UPDATE_TRIGGER_NARROWED = (
    'CREATE TRIGGER "cards_au" AFTER UPDATE OF "term", "definition", "aliases", "tags" '
    'ON "cards" BEGIN'
)


def _due_directions_set(card: str) -> str:
    """Set the ``due_directions`` of the card whose id is ``card``, writing its row
    only when the value changes (most answers move a due day, not whether it has one)."""
    value = DUE_DIRECTIONS_OF.format(card)
    return (
        f"UPDATE cards SET due_directions = {value} "
        f"WHERE id = {card} AND due_directions IS NOT {value};"
    )


#: The triggers keeping ``cards.due_directions`` (m019), by name.
DUE_DIRECTIONS_TRIGGERS = {
    "card_state_due_directions_ai": "CREATE TRIGGER card_state_due_directions_ai "
    f"AFTER INSERT ON card_state BEGIN {_due_directions_set('new.card_id')} END",
    "card_state_due_directions_au": "CREATE TRIGGER card_state_due_directions_au "
    "AFTER UPDATE ON card_state "
    "WHEN old.card_id IS NOT new.card_id OR old.direction IS NOT new.direction "
    "OR (coalesce(old.due, '') > '') IS NOT (coalesce(new.due, '') > '') BEGIN "
    f"{_due_directions_set('old.card_id')} {_due_directions_set('new.card_id')} END",
    "card_state_due_directions_ad": "CREATE TRIGGER card_state_due_directions_ad "
    f"AFTER DELETE ON card_state WHEN old.due > '' BEGIN {_due_directions_set('old.card_id')} END",
}


def m019_due_directions(db: Database) -> None:
    """Browse's ``is:new`` combined with free text (``c is:new``) looked up a state
    for each of the 85k cards the text matched (0.2-0.3 s at 100k cards): which
    directions of a card have a due day is kept on the card instead, as bits (1
    forward, 2 reverse), so the few cards of a deck that are new in a direction
    are a range of an index.

    Triggers on ``card_state`` keep the bits, so every writer of a state
    (answers, undo, imports) does without knowing it; a rewrite of every state
    (``Store.rebuild_card_state``, which merges and imports end with) sets them
    all in one pass instead (``trainer.storage.due_directions``). A card is
    inserted as ``DUE_DIRECTIONS_UNKNOWN`` (its states may have come first:
    answers imported for a card not added yet; a trigger on every inserted card
    cost more than the insert): Browse looks up the states of those, until its
    first state or a rebuild sets its bits. The search index's update trigger
    now fires on its own four columns only, so writing the bits (or a
    suspension, a leech mark) does not index the card's text again."""
    conn = db.conn
    _narrow_search_update_trigger(conn)
    conn.execute(
        "ALTER TABLE cards ADD COLUMN due_directions INTEGER NOT NULL "
        f"DEFAULT {DUE_DIRECTIONS_UNKNOWN}"
    )
    conn.execute(f"UPDATE cards SET due_directions = {DUE_DIRECTIONS_OF.format('cards.id')}")
    conn.execute("CREATE INDEX idx_cards_due_directions ON cards (deck, retired, due_directions)")
    for sql in DUE_DIRECTIONS_TRIGGERS.values():
        conn.execute(sql)


def _narrow_search_update_trigger(conn: sqlite3.Connection) -> None:
    """m002's ``cards_au`` re-indexed a card's text on any update of its row; it is
    made to fire on the indexed columns only, where it stands or, while a bulk
    import has left the index out of date, in the SQL recorded to put it back."""
    (current,) = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'cards_au'"
    ).fetchone()
    if current:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'cards_au'"
        ).fetchone()
        conn.execute('DROP TRIGGER "cards_au"')
        conn.execute(sql.replace(_SEARCH_UPDATE_TRIGGER, _SEARCH_UPDATE_TRIGGER_NARROWED))
    pending = conn.execute(
        "SELECT value FROM meta WHERE key = ?", [SEARCH_INDEX_PENDING_KEY]
    ).fetchone()
    if pending is not None:
        narrowed = pending[0].replace(
            json.dumps(_SEARCH_UPDATE_TRIGGER)[1:-1],
            json.dumps(_SEARCH_UPDATE_TRIGGER_NARROWED)[1:-1],
        )
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = ?", [narrowed, SEARCH_INDEX_PENDING_KEY]
        )


#: The largest rowid of ``card_state`` (0 when it is empty).
LAST_STATE = "coalesce((SELECT max(rowid) FROM card_state), 0)"

#: Keeps ``DUE_DIRECTIONS_SETTLED_KEY`` at or below the last state's rowid (m020):
#: SQLite gives a new row the largest rowid plus one, so once the top rows are
#: deleted (an undo) it would hand out again rowids the mark already covers.
DUE_DIRECTIONS_MARK_TRIGGER = (
    "CREATE TRIGGER card_state_due_directions_mark AFTER DELETE ON card_state BEGIN "
    f"UPDATE meta SET value = {LAST_STATE} WHERE key = '{DUE_DIRECTIONS_SETTLED_KEY}' "
    f"AND {DUE_DIRECTIONS_SETTLED} > {LAST_STATE}; END"
)


def m020_due_directions_off_answers(db: Database) -> None:
    """m019's trigger on an inserted state (a card direction's first answer)
    rewrote the card's row and two pages of its index inside the answer's commit
    (a third more time for that answer, at 100k cards). The bits now show the
    states up to a rowid kept in ``meta`` (``DUE_DIRECTIONS_SETTLED_KEY``):
    Browse's ``is:new`` also leaves out the cards of the few states inserted
    since, and sets their bits in a thread when it opens
    (``trainer.storage.due_directions``). Updates and deletes of a state still
    set its card's bits at once (undo, Anki's schedules: not the answer's path),
    and a delete keeps the mark below the rowids SQLite hands out next."""
    conn = db.conn
    conn.execute("DROP TRIGGER card_state_due_directions_ai")
    conn.execute(DUE_DIRECTIONS_MARK_TRIGGER)
    conn.execute(
        "INSERT INTO meta (key, value) SELECT ?, max(rowid) FROM card_state "
        "HAVING max(rowid) IS NOT NULL",
        [DUE_DIRECTIONS_SETTLED_KEY],
    )


def m021_anki_note_mod(db: Database) -> None:
    """An imported note's modification time in Anki (``anki_notes.anki_mod``), so that
    a note trainer did not change goes back to Anki exactly as old as it came: with
    the import's time instead, Anki updated every note of a round trip and took back
    edits made in Anki after the package was written. Notes imported before have
    none and keep the import's time.
    """
    db.execute("ALTER TABLE anki_notes ADD COLUMN anki_mod INTEGER")


def m022_anki_schedules(db: Database) -> None:
    """The due day, interval and ease an Anki history import kept for a card
    direction, with the time of the Anki answer they follow: a replay of the log
    (``trainer rebuild``, ``trainer check``, merges) puts them back after that
    answer, where they had been only on the cached states (so ``trainer check``
    called every such state damaged, and a rebuild replaced it)."""
    db.execute(
        """CREATE TABLE anki_schedules (
               card_id TEXT NOT NULL, direction TEXT NOT NULL, answered_at TEXT NOT NULL,
               due TEXT NOT NULL, interval INTEGER NOT NULL, easiness REAL,
               PRIMARY KEY (card_id, direction))"""
    )


def m023_fewer_answer_indexes(db: Database) -> None:
    """Two indexes that every answer wrote an entry to and no query needs: the due
    index is the first column of ``idx_card_state_due_card``, which serves
    every read it did, and ``idx_reviews_history`` begins with the card as
    ``idx_reviews_card_id_day`` does, then holds the day too (the per-deck
    statistics it was made for read ``daily_totals`` since m015). Each was a
    page of a large index written at a random place on each answer."""
    db.execute("DROP INDEX IF EXISTS idx_card_state_due")
    db.execute("DROP INDEX IF EXISTS idx_reviews_card_id_day")


#: card_state's indexes that only sorted reads walk: each answer wrote an entry
#: into every one of them (m024 moves them to ``sorted_states``)
_SORT_INDEXES = {
    "repetitions": "(repetitions)",
    "interval": "(interval)",
    "easiness": "(easiness)",
    "hardest": "(lapses DESC, easiness, card_id, direction)",
}


def _unsorted_trigger(event: str, *rows: str) -> str:
    """A trigger on card_state noting the changed card directions in ``unsorted_states``."""
    notes = " ".join(
        f"INSERT INTO unsorted_states (card_id, direction) SELECT {row}.card_id, {row}.direction "
        f"WHERE {row}.card_id IS NOT NULL AND {row}.direction IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM unsorted_states WHERE card_id = {row}.card_id "
        f"AND direction = {row}.direction);"
        for row in rows
    )
    return (
        f"CREATE TRIGGER card_state_unsorted_{event[0].lower()} AFTER {event} ON card_state "
        f"BEGIN {notes} END"
    )


def m024_sorted_states(db: Database) -> None:
    """Browse's sorts by state, interval, ease and lapses, the hardest cards and the
    weakest-cards quiz walk indexes of their own on a copy of card_state,
    ``sorted_states``, brought up to date from the card directions noted in
    ``unsorted_states`` before such a read (``trainer.storage.sorted_states``).
    An answer no longer writes an entry into each of those four indexes: at 100k
    cards and 1M reviews (three runs of 1,000 answers each), recording one took
    0.21-0.24 ms instead of 0.24-0.31 at the median and 0.39-0.46 ms instead of
    0.60-0.68 at the 95th percentile."""
    conn = db.conn
    conn.execute(
        """CREATE TABLE sorted_states (
               card_id TEXT NOT NULL, direction TEXT NOT NULL, repetitions INTEGER,
               easiness REAL, interval INTEGER, due TEXT, lapses INTEGER,
               last_review TEXT, stability REAL, difficulty REAL,
               PRIMARY KEY (card_id, direction)) WITHOUT ROWID"""
    )
    conn.execute(
        """INSERT INTO sorted_states SELECT card_id, direction, repetitions, easiness,
               interval, due, lapses, last_review, stability, difficulty
           FROM card_state WHERE card_id IS NOT NULL AND direction IS NOT NULL
           ORDER BY card_id, direction"""
    )
    for name, columns in _SORT_INDEXES.items():
        conn.execute(f"DROP INDEX IF EXISTS idx_card_state_{name}")
        conn.execute(f"CREATE INDEX idx_sorted_states_{name} ON sorted_states {columns}")
    conn.execute(
        """CREATE TABLE unsorted_states (
               card_id TEXT NOT NULL, direction TEXT NOT NULL,
               PRIMARY KEY (card_id, direction)) WITHOUT ROWID"""
    )
    conn.execute(_unsorted_trigger("INSERT", "new"))
    conn.execute(_unsorted_trigger("UPDATE", "new", "old"))
    conn.execute(_unsorted_trigger("DELETE", "old"))


#: The schema steps in the order they are applied; never reorder or rename one.
SCHEMA_STEPS = (
    m001_initial,
    m002_search_and_leeches,
    m003_quiz_seed,
    m004_reviews_by_card_and_day,
    m005_hardest_cards,
    m006_browse_by_term,
    m007_statistics_indexes,
    m008_fsrs,
    m009_missing_term_drafts,
    m010_anki_notes,
    m011_refused_deck_files,
    m012_browse_by_schedule,
    m013_progress_indexes,
    m014_search_short_prefixes,
    m015_daily_totals,
    m016_leech_index,
    m017_browse_filters,
    m018_review_histories,
    m019_due_directions,
    m020_due_directions_off_answers,
    m021_anki_note_mod,
    m022_anki_schedules,
    m023_fewer_answer_indexes,
    m024_sorted_states,
)


def known_steps() -> list[str]:
    """The names of the schema steps this version of trainer knows, in order."""
    return [step.__name__ for step in SCHEMA_STEPS]


def migration_set() -> Migrations:
    """The steps as a sqlite-utils ``Migrations``, built only when something is pending."""
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for step in SCHEMA_STEPS:
        migrations()(step)
    return migrations


def migrate_step_by_step(conn: sqlite3.Connection) -> None:
    """Apply every pending step through sqlite-utils (what ``fresh_schema`` is checked against)."""
    migration_set().apply(as_database(conn))


def _is_empty(conn: sqlite3.Connection) -> bool:
    """Whether the database holds no table, index, view or trigger at all."""
    return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def as_database(conn: sqlite3.Connection) -> Database:
    """sqlite-utils' API over an open connection.

    Plugins are not run: an installed sqlite-utils plugin must not change what
    our connection does, and finding plugins scans every installed package.
    """
    from sqlite_utils import Database

    return Database(conn, execute_plugins=False)


#: the page cache of one bulk write (a large deck sync, the search index's rebuild, a
#: large batch of note records), in KiB: SQLite's default 2 MB made a 100k-row write
#: spill pages before its commit and sort its indexes in small runs
BULK_CACHE_KIB = 64 * 1024


@contextmanager
def bulk_page_cache(conn: sqlite3.Connection) -> Iterator[None]:
    """A larger page cache for the length of one bulk write, then the connection's own."""
    cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache_size)}")


@contextmanager
def indexes_built_after(conn: sqlite3.Connection, table: str) -> Iterator[None]:
    """Drop ``table``'s own secondary indexes for the length of a bulk insert (inside
    the caller's transaction), then build each again in one sorted pass.

    Keeping an index up to date row by row costs more than sorting it afresh
    once most of its rows are new. A failure rolls the drop back with the rest.
    """
    with set_aside(conn, "index", table):
        yield


@contextmanager
def set_aside(conn: sqlite3.Connection, kind: str, table: str, names: str = "%") -> Iterator[None]:
    """Drop ``table``'s indexes or triggers (``kind``) whose names are LIKE ``names``
    for the length of the block, then create each again, all inside the caller's
    transaction (a failure rolls the drop back with the rest)."""
    found = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = ? AND tbl_name = ? "
        "AND name LIKE ? AND sql IS NOT NULL",
        [kind, table, names],
    ).fetchall()
    for name, _ in found:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _, sql in found:
        conn.execute(sql)


class _Connection(sqlite3.Connection):
    """sqlite3's connection, knowing its file and held in a weak set (see ``connect``)."""

    file: str = ""


#: every connection this process has opened and not yet dropped
_opened: weakref.WeakSet[_Connection] = weakref.WeakSet()
_opened_lock = threading.Lock()


def _open_here(file: str) -> bool:
    """Whether this process has a connection open on ``file`` (a closed one refuses
    every call, ``total_changes`` included)."""
    with _opened_lock:
        held = [conn for conn in _opened if conn.file == file]
    for conn in held:
        try:
            conn.total_changes  # noqa: B018 - raises once the connection is closed
        except sqlite3.ProgrammingError:
            continue
        return True
    return False


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection with trainer's settings; refuses a database whose ``-wal`` or
    ``-journal`` belongs to another file before SQLite can fold them together.

    The companions are checked only when this process has no connection open on
    the database yet. A log beside a database we hold open is ours, and reading
    the files would be harmful, not just useless. SQLite's locks are POSIX
    locks, and closing any descriptor of a file drops all of this process's locks
    on it. The check closing its read of the ``-shm`` let a second connection
    (a thread's) take away the first one's read locks. Another process's writer
    then checkpointed under it, and readers and the writer both saw "database
    disk image is malformed".
    """
    file = str(path) if str(path) == ":memory:" else os.path.realpath(path)
    if file != ":memory:" and not _open_here(file):
        _refuse_stale_companion(Path(path))
    # ``timeout`` is SQLite's busy timeout (sqlite3_busy_timeout): no PRAGMA needed
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
        check_same_thread=False,
        factory=_Connection,
    )
    conn.file = file
    with _opened_lock:
        _opened.add(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    # what sqlite-utils sets on the connections it opens, so a delete trigger
    # fires the same whether or not its API has been used on this connection
    conn.execute("PRAGMA recursive_triggers = ON")
    return conn


def open_database(path: Path | str, *, backup_before_migrating: bool = True) -> Database:
    """Open (creating if needed) and migrate the database at ``path``, with sqlite-utils' API."""
    conn = open_connection(path, backup_before_migrating=backup_before_migrating)
    try:
        return as_database(conn)
    except BaseException:
        conn.close()
        raise


def open_connection(
    path: Path | str, *, backup_before_migrating: bool = True
) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database at ``path``."""
    memory = str(path) == ":memory:"
    if not memory:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise os_error(error, path.parent, "create directory", DatabaseError) from None
    conn: sqlite3.Connection | None = None
    try:
        conn = connect(path)
        applied = _steps_on_open(conn, path)
        _refuse_unknown(applied, path)  # before anything is written, even the journal mode
        if not memory:
            _enable_wal(conn, path)
        if not {step.__name__ for step in SCHEMA_STEPS} <= set(applied):
            _migrate(conn, path, backup_before_migrating and not memory)
    except BaseException as error:
        if conn is not None:
            conn.close()
        if isinstance(error, sqlite3.DatabaseError):
            raise DatabaseError(f"{path}: {_describe(error)}") from None
        raise
    return conn


def _refuse_stale_companion(path: Path) -> None:
    """Refuse, before SQLite touches anything, a ``-wal`` or ``-journal`` file that
    belongs to another database: opening would fold it in and damage both."""
    from trainer.storage.companions import stale_companion

    stale = stale_companion(path)
    for _ in range(2):  # a frame caught half-written by a live writer: look again
        if not stale:
            return
        time.sleep(0.05)
        stale = stale_companion(path)
    if stale:
        raise DatabaseError(f"{path}: {stale}; nothing changed: run `trainer check` to repair it")


def _describe(error: sqlite3.Error) -> str:
    text = str(error)
    if "malformed" in text:
        return "the database is damaged: run `trainer check` to see and repair it"
    if "not a database" in text:
        return "not a trainer database, or the file is corrupt"
    if "readonly" in text or "read-only" in text:
        return "the database is read-only"
    if "unable to open" in text:
        return "cannot open the database file"
    if "disk" in text and "full" in text:
        return "the disk is full"
    return text


def _steps_on_open(conn: sqlite3.Connection, path: Path | str) -> list[str]:
    """The schema steps applied, in one query on the common path (a trainer
    database); refuses an SQLite file with tables but no record of steps.
    The table list is read only when that record is missing."""
    try:
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
            [MIGRATION_SET],
        ).fetchall()
    except sqlite3.OperationalError as error:
        if "no such table" not in str(error):
            raise
        if _table_names(conn):
            raise DatabaseError(f"{path}: this SQLite file is not a trainer database") from None
        return []  # a new database
    return [row[0] for row in rows]


def _table_names(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def applied_steps(conn: sqlite3.Connection) -> list[str]:
    """The names of the schema steps this database has run, in the order they ran."""
    if "_sqlite_migrations" not in _table_names(conn):
        return []
    rows = conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
        [MIGRATION_SET],
    )
    return [row[0] for row in rows]


def _enable_wal(conn: sqlite3.Connection, path: Path | str) -> None:
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
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
    conn.execute("PRAGMA synchronous = NORMAL")


def _refuse_newer(conn: sqlite3.Connection, path: Path | str) -> list[str]:
    """The schema steps already applied; refuses a database from a newer trainer."""
    applied = applied_steps(conn)
    _refuse_unknown(applied, path)
    return applied


def _refuse_unknown(applied: list[str], path: Path | str) -> None:
    """Refuses a database that has run a step this trainer does not know (a newer one's)."""
    known = {step.__name__ for step in SCHEMA_STEPS}
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise DatabaseError(
            f"{path}: this database was written by a newer version of trainer "
            f"(schema step {unknown[-1]!r}); upgrade trainer to open it"
        )


def _migrate(conn: sqlite3.Connection, path: Path | str, backup: bool) -> None:
    """Apply pending steps holding the write lock, so two first opens cannot race.

    The caller's cheap check runs without a lock; when something is pending, the check is
    repeated inside ``BEGIN IMMEDIATE`` (which waits for the busy timeout), so a
    second process that lost the race finds the work done instead of failing with
    "database is locked" or "table already exists".
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        applied = _refuse_newer(conn, path)
        pending = [name for name in known_steps() if name not in applied]
        if pending and applied and backup:
            # A second connection: SQLite will not back up through one that holds
            # the write lock, and this lock keeps the copy equal to what is migrated.
            source = connect(path)
            try:
                backup_copy(
                    source, Path(path).with_name(f"{Path(path).name}.before-{pending[0]}.bak")
                )
            finally:
                source.close()
        if pending and not applied and _is_empty(conn) and tuple(pending) == fresh_schema.STEPS:
            fresh_schema.create(conn, MIGRATION_SET)  # a new database: one script, no sqlite-utils
        elif pending:
            migrate_step_by_step(conn)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def backup_copy(conn: sqlite3.Connection, destination: Path) -> Path:
    """A consistent copy of a live database (SQLite's online backup API)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(str(destination))
    try:
        conn.backup(target)
    finally:
        target.close()
    return destination
