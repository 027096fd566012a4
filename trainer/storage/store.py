"""The one class that owns the database: every query the application needs.

Writes that belong together run in one ``BEGIN IMMEDIATE`` transaction, which
takes the write lock up front: under WAL a deferred transaction that later
wants to write can fail at once with "database is locked" instead of waiting
its turn, and two processes must wait for each other, never fail.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trainer.core.memory import FSRSState
from trainer.core.model import (
    SCHEDULING_MODES,
    BrowseRow,
    Card,
    CardStatus,
    Deck,
    Direction,
    Mode,
    ReviewRecord,
)
from trainer.core.replay import Anchor, Replayed
from trainer.core.search import SearchQuery
from trainer.core.sm2 import SM2State
from trainer.storage import due_directions, search_index, sorted_states
from trainer.storage.database import (
    DUE_DIRECTIONS_UNKNOWN,
    as_database,
    bulk_page_cache,
    connect,
)
from trainer.storage.sql_terms import DECK_OF_CARD_ID, DIRECTION_BITS, NOT_UNDONE

if TYPE_CHECKING:
    from sqlite_utils import Database

#: a scheduler's replay of the log (``trainer.core.replay.replay`` bound to one),
#: given the schedules kept from Anki as a second argument when there are any
Replay = Callable[..., Mapping[tuple[str, Direction], Replayed[SM2State]]]

#: from this many cards, a deck sync rebuilds the search index in one pass
BULK_SYNC_ROWS = 5000
STATE_FIELDS = ("repetitions", "easiness", "interval", "due", "lapses")
#: card_state also caches FSRS's memory state (NULL under SM-2); the log does not
CARD_STATE_FIELDS = (*STATE_FIELDS, "stability", "difficulty")
#: One answer's row, in ``_review_row``'s key order.
INSERT_REVIEW_SQL = (
    "INSERT INTO reviews (id, card_id, direction, answered_at, day, grade, mode, response_ms, "
    + ", ".join(f"prev_{name}" for name in STATE_FIELDS)
    + ", "
    + ", ".join(STATE_FIELDS)
    + ") VALUES ("
    + ", ".join("?" * (8 + 2 * len(STATE_FIELDS)))
    + ")"
)


@dataclass(frozen=True)
class DeckSignature:
    path: str
    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class DeckRow:
    slug: str
    name: str
    description: str
    source: str
    directions: tuple[Direction, ...]
    path: str
    cards: int


@dataclass(frozen=True)
class StoredCard:
    id: str
    deck: str
    card: Card
    suspended: bool
    retired: bool


class Store:
    """Queries run on the plain connection; sqlite-utils' table API (``db``) is
    built on first use, so read-only commands never import it."""

    def __init__(self, connection: sqlite3.Connection | Database) -> None:
        self._db: Database | None = None
        #: ``reviews_on``'s last day: (day, max review rowid, max undo rowid, records)
        self._day_cache: tuple[dt.date, Any, Any, list[ReviewRecord]] | None = None
        if isinstance(connection, sqlite3.Connection):
            self.conn = connection
        else:
            self.conn = connection.conn
            self._db = connection

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = as_database(self.conn)
        return self._db

    def prepare_writes(self) -> None:
        """Import sqlite-utils now, while the user reads, not on their first answer."""
        _ = self.db

    # ----------------------------------------------------------- transactions
    @contextmanager
    def write(self) -> Iterator[None]:
        conn = self.conn
        if conn.in_transaction:
            # a nested write is a savepoint; plain SQL keeps sqlite-utils off the
            # answer path (recording an answer nests one write in another)
            conn.execute("SAVEPOINT trainer_write")
            try:
                yield
            except BaseException:
                if conn.in_transaction:  # a RAISE(ROLLBACK) trigger ends it all
                    conn.execute("ROLLBACK TO SAVEPOINT trainer_write")
                    conn.execute("RELEASE SAVEPOINT trainer_write")
                raise
            conn.execute("RELEASE SAVEPOINT trainer_write")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            # also when COMMIT itself fails: never leave a transaction open that
            # later writes would nest into and never commit
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()

    def defer_checkpoints(self, pages: int) -> None:
        """Let the write-ahead log grow to ``pages`` before a commit copies it into the
        database file (SQLite's default is 1,000): that copy and its fsync, a
        few milliseconds to a few hundred, then fall on an answer only when the
        idle checkpoint (``checkpoint_job``) has not run for that long. A commit
        is durable once it is in the log; the copy is housekeeping."""
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")

    def checkpoint_job(self) -> Callable[[], None] | None:
        """A function that copies the log into the database file on a connection of
        its own, so it may run in a thread (None for an in-memory database)."""
        return self._job_on_own_connection(
            lambda store: store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        )

    def upkeep_job(self) -> Callable[[], None] | None:
        """``checkpoint_job``, after bringing the sorted copy of the states up to date
        (``trainer.storage.sorted_states``): the answers since the last idle moment
        are copied there then, so a sorted read seldom has any to copy itself."""
        return self._job_on_own_connection(Store._upkeep)

    def _upkeep(self) -> None:
        # busy past the timeout: the next sorted read copies them instead
        with suppress(sqlite3.OperationalError):
            sorted_states.refresh(self.conn)
        self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _job_on_own_connection(self, work: Callable[[Store], object]) -> Callable[[], None] | None:
        """``work`` as a function for a thread: on a connection of its own to this
        database (a connection is never shared between threads), closed after;
        None for an in-memory database, which no other connection can reach."""
        path = self.conn.execute("PRAGMA database_list").fetchone()[2]
        if not path:
            return None

        def run() -> None:
            conn = connect(path)
            try:
                work(Store(conn))
            finally:
                conn.close()

        return run

    def change_marker(self) -> tuple[int, int]:
        """(rows this connection changed, ``PRAGMA data_version``): the second moves
        whenever another connection commits, so an unchanged pair means nothing was
        written since it was read but what the caller itself did in between."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return self.conn.total_changes, version

    # ------------------------------------------------------------------ decks
    def deck_signatures(self) -> dict[str, DeckSignature]:
        rows = self.conn.execute(
            "SELECT slug, path, size, mtime_ns, sha256 FROM decks WHERE retired = 0"
        ).fetchall()
        return {
            row[0]: DeckSignature(row[1] or "", row[2] or 0, row[3] or 0, row[4] or "")
            for row in rows
        }

    def touch_deck(self, slug: str, signature: DeckSignature) -> None:
        with self.write():
            self.conn.execute(
                "UPDATE decks SET path = ?, size = ?, mtime_ns = ? WHERE slug = ?",
                [signature.path, signature.size, signature.mtime_ns, slug],
            )

    def refused_deck(self, path: str) -> tuple[DeckSignature, str] | None:
        """The signature and message a deck file at ``path`` was last refused with."""
        row = self.conn.execute(
            "SELECT size, mtime_ns, sha256, message FROM refused_deck_files WHERE path = ?",
            [path],
        ).fetchone()
        return (DeckSignature(path, row[0], row[1], row[2]), row[3]) if row else None

    def remember_refused_deck(self, signature: DeckSignature, message: str) -> None:
        with self.write():
            self.conn.execute(
                "INSERT OR REPLACE INTO refused_deck_files VALUES (?, ?, ?, ?, ?)",
                [signature.path, signature.size, signature.mtime_ns, signature.sha256, message],
            )

    def forget_refused_deck(self, path: str) -> None:
        if self.refused_deck(path) is not None:
            with self.write():
                self.conn.execute("DELETE FROM refused_deck_files WHERE path = ?", [path])

    def sync_deck(self, deck: Deck, signature: DeckSignature, now: dt.datetime) -> None:
        """Make the database's copy of a deck match its file, keeping all history."""
        with self.loading(deck):
            self._sync_deck(deck, signature, now)

    def loading(self, deck: Deck) -> AbstractContextManager[None]:
        """What a write that loads ``deck`` goes through: a large new deck is written
        once (``written_once``), anything else as usual. Open it before the write's
        transaction: inside one the journal cannot change."""
        large_new = len(deck.cards) >= BULK_SYNC_ROWS and not self.has_cards(deck.slug)
        return self.written_once() if large_new else nullcontext()

    def has_cards(self, slug: str) -> bool:
        found = self.conn.execute("SELECT 1 FROM cards WHERE deck = ? LIMIT 1", [slug])
        return found.fetchone() is not None

    @contextmanager
    def written_once(self) -> Iterator[None]:
        """Write a large new deck through a rollback journal, when nothing else has the
        database open, instead of the write-ahead log.

        Through the log every new page is written twice: into the log, then copied
        into the database file by the checkpoint that follows (85 MB for 100k
        cards). A rollback journal keeps only the old content of pages it changes,
        and pages added past the file's end have none, so a new deck's pages are
        written once. It is as safe: a crash leaves a journal that the next open
        plays back (the database's header says it is in rollback mode, so the
        journal is not taken for a stale one), and ``synchronous = FULL`` makes
        the commit durable as WAL's is. Leaving WAL needs the database to itself:
        if another connection has it open, this waits for no one and the write
        goes through the log as usual. WAL is put back after the write; should
        another process hold the database just then, every open of the database
        puts it back anyway (``open_connection``).
        """
        conn = self.conn
        # inside a transaction the mode cannot change: a caller that writes a large
        # new deck with more in one transaction (the Anki import) opens this first
        if conn.in_transaction or not self._switch_journal("DELETE", wait=False):
            yield
            return
        synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
        conn.execute("PRAGMA synchronous = FULL")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA synchronous = {int(synchronous)}")
            self._switch_journal("WAL", wait=True)

    def _switch_journal(self, mode: str, *, wait: bool) -> bool:
        """Whether the journal mode is now ``mode`` (never for an in-memory database)."""
        conn = self.conn
        if conn.execute("PRAGMA journal_mode").fetchone()[0] == "memory":
            return False
        timeout = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        if not wait:
            conn.execute("PRAGMA busy_timeout = 0")
        try:
            return conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0] == mode.lower()
        except sqlite3.OperationalError:  # locked: another connection has the database
            return False
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")

    def _sync_deck(self, deck: Deck, signature: DeckSignature, now: dt.datetime) -> None:
        with self.write():
            stamp = now.isoformat()
            directions = json.dumps([str(d) for d in deck.directions])
            before = self.conn.execute(
                "SELECT directions, changed_at FROM decks WHERE slug = ?", [deck.slug]
            ).fetchone()
            # plain SQL, as sqlite-utils' upsert did it: an import need not load sqlite-utils
            self.conn.execute(
                """INSERT INTO decks (slug, name, description, source, directions, path, size,
                                      mtime_ns, sha256, retired, changed_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
                   ON CONFLICT (slug) DO UPDATE SET
                       name = excluded.name, description = excluded.description,
                       source = excluded.source, directions = excluded.directions,
                       path = excluded.path, size = excluded.size,
                       mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, retired = 0,
                       changed_at = excluded.changed_at""",
                [
                    deck.slug,
                    deck.name,
                    deck.description,
                    deck.source,
                    directions,
                    signature.path,
                    signature.size,
                    signature.mtime_ns,
                    signature.sha256,
                    # when the studied directions last changed: exported notes' cards change
                    before[1] if before and before[0] == directions else stamp,
                ],
            )
            stored = self._stored_cards(deck.slug)
            new = None if stored else _new_card_rows(deck.slug, deck.cards, stamp)
            if new is not None:  # a deck with no row yet (a first import)
                with self._bulk_card_writes() if len(new) >= BULK_SYNC_ROWS else nullcontext():
                    self._insert_cards(new)
            else:
                self._write_changed_cards(deck, stored, stamp)
            self._replace_drafts(deck.slug, deck.missing)

    def _write_changed_cards(
        self, deck: Deck, stored: dict[str, tuple[Any, ...]], stamp: str
    ) -> None:
        """Write the cards of ``deck`` that differ from ``stored``; retire the ones gone.

        Only what changed is written: re-syncing an edited deck leaves the
        untouched rows (and their search index entries) alone, and a card's
        added_at and suspension survive. Many changes rebuild the indexes in one
        pass instead.
        """
        rows = _card_rows(deck.slug, deck.cards, stamp)
        changed = [row for row in rows if stored.get(row[0]) != (*row[1:11], 0)] if stored else rows
        present = {row[0] for row in rows}
        gone = [
            (card_id,)
            for card_id, (*_, retired) in stored.items()
            if card_id not in present and not retired
        ]
        many = len(changed) + len(gone) >= BULK_SYNC_ROWS
        with self._bulk_card_writes() if many else nullcontext():
            self._upsert_cards(changed)
            self.conn.executemany("UPDATE cards SET retired = 1 WHERE id = ?", gone)

    def _replace_drafts(self, slug: str, definitions: Sequence[str]) -> None:
        """A deck's cards still waiting for a term, as its file now lists them."""
        self.conn.execute("DELETE FROM drafts WHERE deck = ?", [slug])
        self.conn.executemany(
            "INSERT INTO drafts (deck, number, definition) VALUES (?, ?, ?)",
            [(slug, number, text) for number, text in enumerate(definitions)],
        )

    def update_deck_cards(
        self, slug: str, cards: Sequence[Card], signature: DeckSignature, now: dt.datetime
    ) -> bool:
        """Rewrite some cards of a deck in place and record the file's new signature.

        For a re-sync that knows which cards of a large deck file changed and that
        none was added, removed, moved or renamed: each card keeps its position.
        False (and nothing written) when a card is not an active card of the deck,
        so the caller loads the whole file instead.
        """
        ids = [card.id_in(slug) for card in cards]
        if not ids:
            positions: dict[str, int] = {}
        else:
            positions = dict(
                self.conn.execute(
                    f"""SELECT id, position FROM cards WHERE deck = ? AND retired = 0
                        AND id IN ({",".join("?" * len(ids))})""",
                    [slug, *ids],
                ).fetchall()
            )
        if len(positions) != len(set(ids)):
            return False
        stamp = now.isoformat()
        rows = [
            _card_row(slug, card, positions[card_id], stamp)
            for card, card_id in zip(cards, ids, strict=True)
        ]
        with self.write():
            self._upsert_cards(rows)
            self.record_deck_signature(slug, signature)
        return True

    def record_deck_signature(self, slug: str, signature: DeckSignature) -> None:
        """Which file, at which size, time and content, the deck's rows were loaded from."""
        with self.write():
            self.conn.execute(
                "UPDATE decks SET path = ?, size = ?, mtime_ns = ?, sha256 = ? WHERE slug = ?",
                [signature.path, signature.size, signature.mtime_ns, signature.sha256, slug],
            )

    def _stored_cards(self, slug: str) -> dict[str, tuple[Any, ...]]:
        """A deck's card rows by id, in the column order of ``sync_deck``'s rows."""
        rows = self.conn.execute(
            "SELECT id, deck, term, definition, aliases, tags, example, directions, cloze, "
            "cloze_number, position, retired FROM cards WHERE deck = ?",
            [slug],
        )
        return {row[0]: row[1:] for row in rows}

    def _insert_cards(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Plain cards of a deck with no stored row (``_new_card_rows``): ids start
        with the deck's slug, so no other deck's row can clash, and a plain INSERT
        skips the upsert's checks; the columns such cards leave empty are written
        as constants, since binding twelve values a row cost a third of the insert."""
        self.conn.executemany(
            """INSERT INTO cards (id, deck, term, definition, aliases, tags, example,
                                  directions, cloze, cloze_number, position, retired,
                                  suspended, added_at, changed_at)
               VALUES (?1, ?2, ?3, ?4, '[]', '[]', NULL, NULL, NULL, NULL, ?5, 0, 0, ?6, ?6)""",
            rows,
        )

    def _upsert_cards(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.conn.executemany(
            """INSERT INTO cards (id, deck, term, definition, aliases, tags, example,
                                      directions, cloze, cloze_number, position, retired,
                                      suspended, added_at, changed_at)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, 0, ?12, ?12)
                   ON CONFLICT (id) DO UPDATE SET
                       changed_at = CASE WHEN (cards.term, cards.definition, cards.aliases,
                                               cards.tags, cards.example)
                                    IS NOT (excluded.term, excluded.definition,
                                            excluded.aliases, excluded.tags, excluded.example)
                                    THEN excluded.changed_at ELSE cards.changed_at END,
                       deck = excluded.deck, term = excluded.term,
                       definition = excluded.definition, aliases = excluded.aliases,
                       tags = excluded.tags, example = excluded.example,
                       directions = excluded.directions, cloze = excluded.cloze,
                       cloze_number = excluded.cloze_number,
                       position = excluded.position, retired = 0
                   WHERE (cards.deck, cards.term, cards.definition, cards.aliases, cards.tags,
                          cards.example, cards.directions, cards.cloze, cards.cloze_number,
                          cards.position, cards.retired)
                      IS NOT (excluded.deck, excluded.term, excluded.definition,
                              excluded.aliases, excluded.tags, excluded.example,
                              excluded.directions, excluded.cloze, excluded.cloze_number,
                              excluded.position, 0)""",
            rows,
        )

    @contextmanager
    def _bulk_card_writes(self) -> Iterator[None]:
        """For a large sync: build the cards' indexes in one pass instead of row by row.

        Inserting into three secondary indexes in term order costs as much as
        the insert itself, and sorting them afresh costs less. Inside the
        caller's transaction the indexes are dropped, then rebuilt from the
        table, so a failure anywhere rolls all of it back. The search index is
        left out of date instead of being rebuilt here (its triggers dropped and
        recorded, ``trainer.storage.search_index``): it is rebuilt when first
        needed. SQLite gets a larger page cache meanwhile.
        """
        # a partial index (leeches, suspended cards) takes no row of a new card:
        # keeping it costs a test per row, building it again a scan of the table
        partial = {row[1] for row in self.conn.execute("PRAGMA index_list(cards)") if row[4]}
        schema = [
            (kind, name, sql)
            for kind, name, sql in self.conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'cards' "
                "AND sql IS NOT NULL AND (type = 'index' OR "
                "(type = 'trigger' AND name IN ('cards_ai', 'cards_ad', 'cards_au')))"
            )
            if name not in partial
        ]
        for kind, name, _ in schema:
            self.conn.execute(f'DROP {kind.upper()} "{name}"')
        with bulk_page_cache(self.conn):
            yield
            for kind, _, sql in schema:
                if kind == "index":
                    self.conn.execute(sql)
            search_index.mark_out_of_date(
                self.conn, [sql for kind, _, sql in schema if kind == "trigger"]
            )

    def search_index_current(self) -> bool:
        """Whether Browse's search index is up to date (a bulk import leaves it not)."""
        return search_index.is_current(self.conn)

    def bring_search_index_up_to_date(self) -> bool:
        """Rebuild the search index if a bulk write left it out of date (True if so),
        under the write lock: a search meanwhile waits for it, as does a second
        rebuild, which then finds nothing left to do."""
        if self.search_index_current():
            return False
        with self.write():
            return search_index.rebuild_if_pending(self.conn)

    def search_index_job(self) -> Callable[[], None] | None:
        """A function that brings the search index up to date on a connection of
        its own, so it may run in a thread (None when there is nothing to do)."""
        if self.search_index_current():
            return None
        return self._job_on_own_connection(Store.bring_search_index_up_to_date)

    def due_directions_job(self) -> Callable[[], None] | None:
        """A function that sets the bits of the cards not known yet and of those
        with a state inserted since the bits were last set
        (``trainer.storage.due_directions``) on a connection of its own, so it
        may run in a thread (None when every card's are known and shown)."""
        if not due_directions.inserted_since_settled(
            self.conn
        ) and not due_directions.unknown_rowids(self.conn, 1):
            return None
        return self._job_on_own_connection(Store.settle_due_directions)

    def settle_due_directions(self) -> int:
        """Set the bits of every card not known yet, then of the cards of the states
        inserted since the mark, a batch per write transaction; how many cards
        and states were settled."""
        settled = 0
        while True:
            with self.write():
                rowids = due_directions.unknown_rowids(self.conn, due_directions.SETTLE_BATCH)
                if not rowids:
                    break
                due_directions.settle(self.conn, rowids)
            settled += len(rowids)
        while True:
            with self.write():
                states = due_directions.settle_inserted(self.conn, due_directions.SETTLE_BATCH)
            if not states:
                return settled
            settled += states

    def retire_deck(self, slug: str) -> None:
        """A deck file that disappeared: hide its cards, keep every review."""
        with self.write():
            self.conn.execute("UPDATE decks SET retired = 1 WHERE slug = ?", [slug])
            self.conn.execute("UPDATE cards SET retired = 1 WHERE deck = ?", [slug])
            self.conn.execute("DELETE FROM drafts WHERE deck = ?", [slug])

    def deck_directions(self) -> dict[str, tuple[Direction, ...]]:
        """Each active deck's studied directions, without counting its cards."""
        rows = self.conn.execute("SELECT slug, directions FROM decks WHERE retired = 0")
        return {slug: tuple(Direction(d) for d in json.loads(value)) for slug, value in rows}

    def decks(self) -> list[DeckRow]:
        rows = self.conn.execute(
            """SELECT d.slug, d.name, d.description, d.source, d.directions, d.path,
                      (SELECT count(*) FROM cards c WHERE c.deck = d.slug AND c.retired = 0)
               FROM decks d WHERE d.retired = 0 ORDER BY d.name COLLATE NOCASE"""
        ).fetchall()
        return [
            DeckRow(
                slug=row[0],
                name=row[1],
                description=row[2] or "",
                source=row[3] or "",
                directions=tuple(Direction(d) for d in json.loads(row[4])),
                path=row[5] or "",
                cards=row[6],
            )
            for row in rows
        ]

    # ------------------------------------------------------------------ cards
    def cards(self, ids: Iterable[str] | None = None, deck: str | None = None) -> list[StoredCard]:
        sql = (
            "SELECT id, deck, term, definition, aliases, tags, example, suspended, retired, "
            "directions, cloze, cloze_number FROM cards"
        )
        params: list[Any] = []
        if ids is not None:
            id_list = list(ids)
            if not id_list:
                return []
            sql += f" WHERE id IN ({','.join('?' * len(id_list))})"
            params = id_list
        elif deck is not None:
            sql += " WHERE deck = ?"
            params = [deck]
        sql += " ORDER BY deck, position"
        return [_stored_card(row) for row in self.conn.execute(sql, params).fetchall()]

    # ----------------------------------------------------------- quiz picks
    def active_cards_exceed(self, limit: int) -> bool:
        """Whether more than ``limit`` cards are neither retired nor suspended
        (reads at most limit + 1 index entries, whatever the collection's size)."""
        row = self.conn.execute(
            """SELECT count(*) FROM (SELECT 1 FROM cards
                 WHERE retired = 0 AND suspended = 0 LIMIT ?)""",
            [limit + 1],
        ).fetchone()
        return bool(row[0] > limit)

    def decks_with_active_cards(self) -> list[str]:
        """Slugs of the decks that have a card neither retired nor suspended, sorted."""
        slugs = [row[0] for row in self.conn.execute("SELECT slug FROM decks ORDER BY slug")]
        return [
            slug
            for slug in slugs
            if self.conn.execute(
                "SELECT 1 FROM cards WHERE deck = ? AND retired = 0 AND suspended = 0 LIMIT 1",
                [slug],
            ).fetchone()
        ]

    def sample_active_card_ids(
        self, decks: Sequence[str] | None, count: int, rng: random.Random
    ) -> list[str]:
        """A uniform random sample of up to ``count`` active cards of ``decks`` (all if None).

        Rowids drawn at random in the table's rowid range and kept when they
        name an active card of the decks (rejection sampling, so every such card
        is equally likely): the cost follows ``count``, not the collection. A
        sparse selection (a small deck among large ones) falls back to listing
        the selection's ids through the deck index.
        """
        if count <= 0 or (decks is not None and not decks):
            return []
        where = "c.retired = 0 AND c.suspended = 0"
        params: list[Any] = []
        if decks is not None:
            where += f" AND c.deck IN ({','.join('?' * len(decks))})"
            params = list(decks)
        listing = f"SELECT c.id FROM cards c WHERE {where} ORDER BY c.deck, c.rowid"
        few = 8 * count + 64
        size = self.conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM cards c WHERE {where} LIMIT ?)", [*params, few]
        ).fetchone()[0]
        if size < few:  # a small selection: listed through the deck index
            ids = [row[0] for row in self.conn.execute(listing, params)]
            return rng.sample(ids, min(count, len(ids)))
        low, high = self.conn.execute("SELECT min(rowid), max(rowid) FROM cards").fetchone()
        span = high - low + 1
        picked: dict[str, None] = {}
        tried: set[int] = set()
        rate = 1.0  # the share of drawn rowids that were wanted cards so far
        for _ in range(4):
            need = count - len(picked)
            draw = min(span, int(need / max(rate, 0.01) * 1.25) + 16)
            if draw > span // 4:
                break  # sparse: the selection is a small part of the table
            fresh = [r for r in rng.sample(range(low, high + 1), draw) if r not in tried]
            tried.update(fresh)
            found = dict(
                self.conn.execute(
                    f"""SELECT c.rowid, c.id FROM json_each(?) j CROSS JOIN cards c
                        ON c.rowid = j.value WHERE {where}""",
                    [json.dumps(fresh), *params],
                ).fetchall()
            )
            for rowid in fresh:
                if rowid in found and len(picked) < count:
                    picked[found[rowid]] = None
            if len(picked) >= count:
                return list(picked)
            rate = max(len(found), 1) / max(len(fresh), 1)
        ids = [row[0] for row in self.conn.execute(listing, params)]
        return rng.sample(ids, min(count, len(ids)))

    def weakest_card_ids(
        self, directions: dict[str, tuple[Direction, ...]], decks: Sequence[str], n: int
    ) -> list[str]:
        """``core.quiz.weakest_items`` in SQL: the ``n`` studied active cards with the
        most lapses (summed over the directions their deck studies), then the lowest
        easiness, ties in deck order. Loading every state took a second at 100k cards."""
        order = "sum(coalesce(s.lapses, 0)) DESC, min(coalesce(s.easiness, 2.5))"
        # n cards with a direction of >= L lapses sum to >= L each, so the n weakest
        # all have a direction with >= L / (directions per card) lapses; both walks
        # read the lapses index, on the sorted copy of the states
        states = sorted_states.sorting_table(self.conn)
        bound = self._nth_card_bound(
            directions, decks, n, "s.lapses DESC", "s.lapses", states=states
        )
        narrow = ("1", [])
        if bound:
            most = max((len(directions.get(deck, ())) for deck in decks), default=1)
            least = -(-int(bound) // max(most, 1))
            narrow = (f"c.id IN (SELECT card_id FROM {states} WHERE lapses >= ?)", [least])
        return self._studied_card_ids(directions, decks, n, order, *narrow)

    def lowest_recall_card_ids(
        self,
        directions: dict[str, tuple[Direction, ...]],
        decks: Sequence[str],
        today: dt.date,
        n: int,
    ) -> list[str]:
        """The ``n`` studied active cards FSRS expects least to be recalled today.

        FSRS's recall falls as the days since the last answer grow against the
        stability, the same curve for every card, so ordering by that ratio
        (the worst of a card's directions) orders by predicted recall without
        computing it. The last answer's day is the due day less the interval.
        States without a stability (SM-2's) come last, by lapses.
        """
        elapsed = f"(julianday('{today.isoformat()}') - julianday(s.due) + s.interval)"
        order = f"max({elapsed} / s.stability) DESC NULLS LAST, sum(coalesce(s.lapses, 0)) DESC"
        return self._studied_card_ids(directions, decks, n, order)

    def due_soon_card_ids(
        self,
        directions: dict[str, tuple[Direction, ...]],
        decks: Sequence[str],
        last_day: dt.date,
        n: int,
    ) -> list[str]:
        """``core.quiz.due_soon_items`` in SQL: up to ``n`` active cards due by
        ``last_day`` in a direction their deck studies, soonest first, ties in deck order."""
        last = last_day.isoformat()
        # the n cards met first in due order are due by D, so the n soonest are too
        bound = self._nth_card_bound(directions, decks, n, "s.due", "s.due", "s.due <= ?", [last])
        if bound is not None and str(bound) < last:
            last = str(bound)
        return self._studied_card_ids(directions, decks, n, "min(s.due)", "s.due <= ?", [last])

    def _nth_card_bound(
        self,
        directions: dict[str, tuple[Direction, ...]],
        decks: Sequence[str],
        n: int,
        order: str,
        value: str,
        condition: str = "1",
        condition_params: Sequence[str] = (),
        states: str = sorted_states.SOURCE,
    ) -> Any:
        """``value`` of the state at which the ``n``-th distinct eligible card is met
        walking the states in ``order`` (an index), or None when fewer exist.

        The walk reads the states first (CROSS JOIN keeps SQLite from sorting every
        card) and stops after n x directions rows, so it costs the same at any size.
        ``states`` is card_state, or its sorted copy for an order only the copy's
        indexes serve."""
        pairs, params = _studied_pairs(directions, decks)
        most = max((len(directions.get(deck, ())) for deck in decks), default=1)
        if not pairs or n <= 0:
            return None
        rows = self.conn.execute(
            f"""SELECT s.card_id, {value} FROM {states} s CROSS JOIN cards c
                ON c.id = s.card_id
                WHERE c.retired = 0 AND c.suspended = 0 AND coalesce(s.due, '') != ''
                  AND {condition} AND (c.deck, s.direction) IN (VALUES {pairs})
                ORDER BY {order} LIMIT ?""",
            [*condition_params, *params, n * max(most, 1)],
        )
        seen: set[str] = set()
        for card_id, found in rows:
            seen.add(card_id)
            if len(seen) >= n:
                return found
        return None

    def _studied_card_ids(
        self,
        directions: dict[str, tuple[Direction, ...]],
        decks: Sequence[str],
        n: int,
        order: str,
        condition: str = "1",
        condition_params: Sequence[str] = (),
    ) -> list[str]:
        """Active cards with a scheduled state in a direction their deck studies,
        ordered by ``order`` over those states, then in deck order; the first ``n``."""
        studies, params = _studies(directions, decks)
        if not params or n <= 0:
            return []
        rows = self.conn.execute(
            f"""SELECT c.id FROM cards c JOIN card_state s ON s.card_id = c.id
                WHERE c.retired = 0 AND c.suspended = 0 AND coalesce(s.due, '') != ''
                  AND {condition} AND {studies}
                GROUP BY c.id
                ORDER BY {order}, c.deck, c.position
                LIMIT ?""",
            [*condition_params, *params, n],
        )
        return [row[0] for row in rows]

    def card_statuses(
        self, directions: dict[str, tuple[Direction, ...]], decks: Sequence[str] | None = None
    ) -> list[CardStatus]:
        """Every active card in each direction its deck studies, in deck order."""
        sql = """SELECT c.id, c.deck, c.suspended, s.direction, s.repetitions, s.easiness,
                        s.interval, s.due, s.lapses, s.stability, s.difficulty, c.directions
                 FROM cards c LEFT JOIN card_state s ON s.card_id = c.id
                 WHERE c.retired = 0"""
        params: list[Any] = []
        if decks is not None:
            sql += f" AND c.deck IN ({','.join('?' * len(decks))})"
            params = list(decks)
        sql += " ORDER BY c.deck, c.position"
        states: dict[tuple[str, str], SM2State] = {}
        order: list[tuple[str, str, bool, tuple[Direction, ...] | None]] = []
        for row in self.conn.execute(sql, params).fetchall():
            if not order or order[-1][0] != row[0]:
                order.append((row[0], row[1], bool(row[2]), _own_directions(row[11])))
            if row[3] is not None:
                states[(row[0], row[3])] = _state(row[4:11])
        return [
            CardStatus(
                card_id=card,
                deck=deck,
                direction=direction,
                state=states.get((card, str(direction)), SM2State()),
                suspended=suspended,
            )
            for card, deck, suspended, own in order
            for direction in own or directions.get(deck, (Direction.FORWARD,))
        ]

    def queue_statuses(
        self,
        directions: dict[str, tuple[Direction, ...]],
        decks: Sequence[str] | None,
        today: dt.date,
        review_limit: int,
        new_limit: int,
        extra: Sequence[tuple[str, Direction]] = (),
    ) -> list[CardStatus]:
        """Just the statuses a queue can use: the most overdue reviews, the next new
        cards in deck order, and the ``extra`` items (today's drills), each within
        its limit, so building a queue costs the same on 100 cards and on 100,000.
        """
        slugs = sorted(directions if decks is None else [d for d in decks if d in directions])
        if not slugs:
            return []
        due = self._due_statuses(directions, slugs, today, review_limit)
        new = self._new_statuses(directions, slugs, new_limit)
        scheduled = {(s.card_id, s.direction) for s in due}
        wanted = [key for key in extra if key not in scheduled]
        chosen = {slug: directions[slug] for slug in slugs}
        return due + new + self._statuses_of(chosen, wanted)

    def count_new(
        self,
        directions: dict[str, tuple[Direction, ...]],
        decks: Sequence[str] | None,
        at_most: int,
    ) -> int:
        """How many new card directions wait in ``decks`` (None: all), counted up to
        ``at_most`` the way the queue finds them, without counting every card."""
        slugs = sorted(directions if decks is None else [d for d in decks if d in directions])
        return min(at_most, len(self._new_statuses(directions, slugs, at_most)))

    def _due_statuses(
        self,
        directions: dict[str, tuple[Direction, ...]],
        slugs: Sequence[str],
        today: dt.date,
        limit: int,
    ) -> list[CardStatus]:
        if limit <= 0:
            return []
        studies, params = _studies(directions, slugs)
        rows = self.conn.execute(
            f"""SELECT s.card_id, c.deck, s.direction, s.repetitions, s.easiness, s.interval,
                       s.due, s.lapses, s.stability, s.difficulty
                FROM card_state s JOIN cards c ON c.id = s.card_id
                WHERE s.due <= ? AND c.retired = 0 AND c.suspended = 0 AND {studies}
                ORDER BY s.due, s.card_id, s.direction
                LIMIT ?""",
            [today.isoformat(), *params, limit],
        ).fetchall()
        return [CardStatus(row[0], row[1], _DIRECTIONS[row[2]], _state(row[3:10])) for row in rows]

    def _new_statuses(
        self, directions: dict[str, tuple[Direction, ...]], slugs: Sequence[str], limit: int
    ) -> list[CardStatus]:
        """New card directions in deck, position, direction order, read lazily.

        Up to ``limit`` cards from each deck, each with all its new directions:
        the queue takes new cards from the decks in turn and keeps one direction
        of a card a day, so any deck may supply them all.
        """
        found: list[CardStatus] = []
        for slug in slugs:
            found += self._new_in_deck(directions[slug], slug, limit)
        return found

    def _new_in_deck(
        self, wanted: tuple[Direction, ...], slug: str, limit: int
    ) -> list[CardStatus]:
        found: list[CardStatus] = []
        if limit <= 0:
            return found
        cursor = self.conn.execute(
            """SELECT c.id, (SELECT group_concat(s.direction) FROM card_state s
                             WHERE s.card_id = c.id), c.directions
               FROM cards c
               WHERE c.deck = ? AND c.retired = 0 AND c.suspended = 0
                 AND (c.directions IS NOT NULL OR (SELECT count(*) FROM card_state s
                      WHERE s.card_id = c.id AND s.direction IN ({marks})) < ?)
               ORDER BY c.position""".format(marks=",".join("?" * len(wanted))),
            [slug, *(str(d) for d in wanted), len(wanted)],
        )
        cards = 0
        for card_id, studied, own in cursor:
            done = set((studied or "").split(","))
            fresh = [
                CardStatus(card_id, slug, direction)
                for direction in _own_directions(own) or wanted
                if str(direction) not in done
            ]
            if not fresh:
                continue  # a card with its own directions, all studied
            found += fresh
            cards += 1
            if cards >= limit:
                cursor.close()
                break
        return found

    def _statuses_of(
        self, directions: dict[str, tuple[Direction, ...]], keys: Sequence[tuple[str, Direction]]
    ) -> list[CardStatus]:
        found = []
        for card_id, direction in keys:
            row = self.conn.execute(
                f"""SELECT c.deck, {", ".join(f"s.{name}" for name in CARD_STATE_FIELDS)},
                           c.directions
                    FROM cards c LEFT JOIN card_state s
                      ON s.card_id = c.id AND s.direction = ?
                    WHERE c.id = ? AND c.retired = 0 AND c.suspended = 0""",
                [str(direction), card_id],
            ).fetchone()
            if (
                row
                and row[0] in directions
                and direction in (_own_directions(row[8]) or directions[row[0]])
            ):
                state = _state(row[1:8]) if row[1] is not None else SM2State()
                found.append(CardStatus(card_id, row[0], direction, state))
        return found

    def due_counts(
        self,
        directions: dict[str, tuple[Direction, ...]],
        today: dt.date,
        review_room: int,
        new_room: int,
    ) -> dict[str, tuple[int, int]]:
        """(due, new) per deck as today's queue would offer them, reading only due
        rows (through the due index) and at most ``new_room`` new cards per deck."""
        due: dict[str, int] = {}
        for deck, direction, own, count in self.conn.execute(
            """SELECT c.deck, s.direction, c.directions, count(*)
               FROM card_state s JOIN cards c ON c.id = s.card_id
               WHERE s.due <= ? AND c.retired = 0 AND c.suspended = 0
               GROUP BY c.deck, s.direction, c.directions""",
            [today.isoformat()],
        ):
            if deck in directions and Direction(direction) in (
                _own_directions(own) or directions[deck]
            ):
                due[deck] = due.get(deck, 0) + count
        return {
            slug: (
                min(due.get(slug, 0), review_room),
                len(self._new_statuses(directions, [slug], new_room)),
            )
            for slug in directions
        }

    def upcoming(
        self,
        directions: dict[str, tuple[Direction, ...]],
        decks: Sequence[str] | None,
        today: dt.date,
        tomorrow: dt.date,
    ) -> tuple[dt.date | None, int]:
        """(earliest due day after today, count due tomorrow) of the active cards.

        Both read the due index from tomorrow on: the first state that counts
        gives the day, and tomorrow's states are a day's worth, where grouping
        every future state took 0.3 s at 100k cards.
        """
        decks_chosen = sorted(directions if decks is None else decks)
        studies, params = _studies(directions, decks_chosen)
        if not params:
            return None, 0
        # INDEXED BY: left to itself, SQLite walks the deck's cards instead (0.14 s)
        counted = f"""FROM card_state s INDEXED BY idx_card_state_due_card
                      JOIN cards c ON c.id = s.card_id
                      WHERE {{due}} AND c.retired = 0 AND c.suspended = 0
                        AND {studies}"""
        first = self.conn.execute(
            f"SELECT s.due {counted.format(due='s.due > ?')} ORDER BY s.due LIMIT 1",
            [today.isoformat(), *params],
        ).fetchone()
        count = self.conn.execute(
            f"SELECT count(*) {counted.format(due='s.due = ?')}", [tomorrow.isoformat(), *params]
        ).fetchone()[0]
        return (dt.date.fromisoformat(first[0]) if first else None), count

    def deck_counts(
        self, directions: dict[str, tuple[Direction, ...]], today: dt.date
    ) -> dict[str, tuple[int, int, int]]:
        """(new, due, learning) card directions per deck, suspended cards left out."""
        result = {slug: [0, 0, 0] for slug in directions}
        for deck, own, count in self.conn.execute(
            """SELECT deck, directions, count(*) FROM cards WHERE retired = 0 AND suspended = 0
               GROUP BY deck, directions"""
        ).fetchall():
            if deck in result:
                result[deck][0] += count * len(_own_directions(own) or directions[deck])
        for deck, direction, own, studied, due, learning in self.conn.execute(
            """SELECT c.deck, s.direction, c.directions, count(*), sum(s.due <= ?),
                      sum(s.repetitions < 2)
               FROM card_state s JOIN cards c ON c.id = s.card_id
               WHERE c.retired = 0 AND c.suspended = 0
               GROUP BY c.deck, s.direction, c.directions""",
            [today.isoformat()],
        ).fetchall():
            if deck in result and Direction(direction) in (
                _own_directions(own) or directions[deck]
            ):
                counts = result[deck]
                counts[0] -= studied
                counts[1] += due or 0
                counts[2] += learning or 0
        return {slug: (new, due, learning) for slug, (new, due, learning) in result.items()}

    def states_of_card(self, card_id: str) -> dict[Direction, SM2State]:
        """Each studied direction's state of one card, in one query (an answer needs
        its own direction's and, for the leech rule, the other's)."""
        rows = self.conn.execute(
            f"SELECT direction, {', '.join(CARD_STATE_FIELDS)} FROM card_state WHERE card_id = ?",
            [card_id],
        ).fetchall()
        return {_DIRECTIONS[row[0]]: _state(row[1:]) for row in rows if row[0] in _DIRECTIONS}

    def state_of(self, card_id: str, direction: Direction) -> SM2State:
        row = self.conn.execute(
            f"SELECT {', '.join(CARD_STATE_FIELDS)} FROM card_state "
            "WHERE card_id = ? AND direction = ?",
            [card_id, str(direction)],
        ).fetchone()
        return _state(row) if row else SM2State()

    # ---------------------------------------------------------------- reviews
    def record_review(
        self, record: ReviewRecord, leech: bool = False, suspend: bool = False
    ) -> None:
        """Append one answer and update the cached state (and leech mark), atomically."""
        with self.write():
            self.append_review(record, leech, suspend)

    def append_review(self, record: ReviewRecord, leech: bool, suspend: bool) -> None:
        """``record_review`` for a caller already inside ``write()`` (recording an
        answer): no savepoint of its own, two statements fewer per answer."""
        if not self.conn.in_transaction:
            raise RuntimeError("append_review outside a write transaction")
        self.conn.execute(INSERT_REVIEW_SQL, list(_review_row(record).values()))
        if record.mode in SCHEDULING_MODES:
            self._put_state(record.card_id, record.direction, record.after, record.answered_at)
        if leech:
            self.mark_leech(record.card_id, record.answered_at, suspend)

    def undo_review(
        self, review_id: str, now: dt.datetime, replay: Replay | None = None
    ) -> ReviewRecord:
        """Mark a review undone (a new row, the log is untouched) and restore the state.

        With ``replay`` (the scheduler's), the card direction's state is
        recomputed from its remaining answers, which restores what the log's
        columns cannot hold (FSRS's memory state); without, the logged state
        before the answer is put back.
        """
        with self.write():
            record = self.review(review_id)
            if record is None:
                raise KeyError(review_id)
            self.db["review_undos"].insert({"review_id": review_id, "undone_at": now.isoformat()})
            if record.mode in SCHEDULING_MODES:
                if replay is None:
                    self._restore_state(record)
                else:
                    self._replay_card(record.card_id, record.direction, replay)
            # the answer that made the card a leech: its mark and suspension go too
            # (a card in study or a quiz is never suspended before that answer)
            self.conn.execute(
                "UPDATE cards SET leech_at = NULL, suspended = 0 WHERE id = ? AND leech_at = ?",
                [record.card_id, _instant(record.answered_at)],
            )
        return record

    def _restore_state(self, record: ReviewRecord) -> None:
        if record.before.is_new:
            self.conn.execute(
                "DELETE FROM card_state WHERE card_id = ? AND direction = ?",
                [record.card_id, str(record.direction)],
            )
        else:
            previous = self._last_scheduling_review_at(record.card_id, record.direction)
            self._put_state(record.card_id, record.direction, record.before, previous)

    def _replay_card(self, card_id: str, direction: Direction, replay: Replay) -> None:
        rows = self.conn.execute(
            f"""SELECT {REVIEW_COLUMNS} FROM reviews r
                WHERE card_id = ? AND direction = ? AND {NOT_UNDONE}
                ORDER BY answered_at, rowid""",
            [card_id, str(direction)],
        ).fetchall()
        replayed = self._replayed(replay, [_review_record(row) for row in rows]).get(
            (card_id, direction)
        )
        if replayed is None:
            self.conn.execute(
                "DELETE FROM card_state WHERE card_id = ? AND direction = ?",
                [card_id, str(direction)],
            )
        else:
            self._put_state(card_id, direction, replayed.state, replayed.last_answer)

    def _last_scheduling_review_at(self, card_id: str, direction: Direction) -> dt.datetime | None:
        row = self.conn.execute(
            f"""SELECT max(answered_at) FROM reviews r WHERE card_id = ? AND direction = ?
                AND mode != 'drill' AND {NOT_UNDONE}""",
            [card_id, str(direction)],
        ).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None

    def _put_state(
        self, card_id: str, direction: Direction, state: SM2State, at: dt.datetime | None
    ) -> None:
        """Plain SQL: sqlite-utils' upsert introspects the table on every call,
        which was a third of recording an answer. Only the state's own columns
        are written, as the upsert did (an SM-2 state leaves FSRS's alone)."""
        columns = _card_state_columns(state)
        self.conn.execute(
            _upsert_state_sql(tuple(columns)),
            [card_id, str(direction), *columns.values(), at.isoformat() if at else None],
        )

    def latest_answer_time(self) -> dt.datetime | None:
        row = self.conn.execute("SELECT max(answered_at) FROM reviews").fetchone()
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None

    def review(self, review_id: str) -> ReviewRecord | None:
        row = self.conn.execute(
            f"SELECT {REVIEW_COLUMNS} FROM reviews r WHERE id = ?", [review_id]
        ).fetchone()
        return _review_record(row) if row else None

    def is_undone(self, review_id: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM review_undos WHERE review_id = ?", [review_id]
            ).fetchone()
            is not None
        )

    def reviews_on(self, day: dt.date) -> list[ReviewRecord]:
        """One study day's answers, undone ones excluded, in answer order.

        The study screen asks for today's answers after every answer, and
        building a thousand records each time made a long session's keypresses
        slower and slower. The log is append-only, so the day's records are kept
        and only rows added since are read; any other change (an undo, an answer
        stamped before the last one kept, a different file) reads the day again.
        """
        marker = self.conn.execute(
            """SELECT (SELECT coalesce(max(rowid), 0) FROM reviews),
                      (SELECT coalesce(max(rowid), 0) FROM review_undos)"""
        ).fetchone()
        kept = self._day_cache
        if kept is not None and kept[0] == day and kept[2] == marker[1]:
            if kept[1] == marker[0]:
                return list(kept[3])
            added = self.conn.execute(
                f"""SELECT r.rowid, {REVIEW_COLUMNS} FROM reviews r
                    WHERE r.rowid > ? AND day = ? AND {NOT_UNDONE}
                    ORDER BY answered_at, rowid""",
                [kept[1], day.isoformat()],
            ).fetchall()
            records = [_review_record(row[1:]) for row in added]
            last = kept[3][-1].answered_at if kept[3] else None
            if all(r.day == day for r in records) and (
                not records or last is None or records[0].answered_at > last
            ):
                self._day_cache = (day, marker[0], marker[1], kept[3] + records)
                return list(self._day_cache[3])
        rows = self.conn.execute(
            f"""SELECT {REVIEW_COLUMNS} FROM reviews r WHERE day = ? AND {NOT_UNDONE}
                ORDER BY answered_at, rowid""",
            [day.isoformat()],
        ).fetchall()
        records = [_review_record(row) for row in rows]
        self._day_cache = (day, marker[0], marker[1], records)
        return list(records)

    def all_reviews(self) -> Iterator[ReviewRecord]:
        """Every answer that counts, in time order: the input of a replay."""
        cursor = self.conn.execute(
            f"SELECT {REVIEW_COLUMNS} FROM reviews r WHERE {NOT_UNDONE} ORDER BY answered_at, rowid"
        )
        for row in cursor:
            yield _review_record(row)

    def count_reviews(self, at_most: int | None = None) -> int:
        """The rows of the log, counted up to ``at_most`` when given (counting a
        million took 17 ms where the question is whether there are 20,000)."""
        if at_most is None:
            return self.conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
        return self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM reviews LIMIT ?)", [max(0, at_most)]
        ).fetchone()[0]

    def study_days(self) -> list[dt.date]:
        """Days with at least one answer that counts, sorted.

        Read straight from the day index; only the few days that saw an undo are
        checked row by row (an undo can empty a day), which keeps this cheap on a
        million reviews.
        """
        days = self._distinct_days()
        touched = self.conn.execute(
            "SELECT DISTINCT day FROM reviews WHERE id IN (SELECT review_id FROM review_undos)"
        ).fetchall()
        emptied = {
            day
            for (day,) in touched
            if self.conn.execute(
                f"SELECT 1 FROM reviews r WHERE r.day = ? AND {NOT_UNDONE} LIMIT 1", [day]
            ).fetchone()
            is None
        }
        return [dt.date.fromisoformat(day) for day in days if day not in emptied]

    def _distinct_days(self) -> list[str]:
        """Distinct review days by hopping along the day index: one seek per day
        (a few hundred) instead of reading a million index entries."""
        days: list[str] = []
        row = self.conn.execute("SELECT min(day) FROM reviews").fetchone()
        while row and row[0] is not None:
            days.append(row[0])
            row = self.conn.execute(
                "SELECT min(day) FROM reviews WHERE day > ?", [row[0]]
            ).fetchone()
        return days

    def rebuild_card_state(self, replay: Replay) -> int:
        """Replace the cached states with ``replay`` of the whole log.

        ``replay`` is the chosen scheduler's (``trainer.core.replay``): storage
        keeps states and never schedules. The log is read inside the write
        transaction, so an answer another process records meanwhile waits, and
        is not lost from the cache.
        """
        with (
            self.write(),
            due_directions.in_one_pass(self.conn),
            sorted_states.in_one_pass(self.conn),
        ):
            states = self._replayed(replay, self.all_reviews())
            self.conn.execute("DELETE FROM card_state")
            self.db["card_state"].insert_all(
                (
                    {
                        "card_id": card,
                        "direction": str(direction),
                        **_card_state_columns(replayed.state),
                        "last_review": replayed.last_answer.isoformat(),
                    }
                    for (card, direction), replayed in states.items()
                ),
                pk=("card_id", "direction"),
            )
        return len(states)

    def replay_states_of(self, keys: Iterable[tuple[str, Direction]], replay: Replay) -> int:
        """Recompute the states of these card directions only, from their answers; the
        number written. Other states are left as they are (an Anki history import
        must not undo the due dates an earlier one kept from Anki)."""
        wanted = set(keys)
        if not wanted:
            return 0
        with self.write():
            reviews = (r for r in self.all_reviews() if (r.card_id, r.direction) in wanted)
            states = self._replayed(replay, reviews)
            for (card, direction), replayed in states.items():
                self._put_state(card, direction, replayed.state, replayed.last_answer)
        return len(states)

    def _replayed(
        self, replay: Replay, reviews: Iterable[ReviewRecord]
    ) -> Mapping[tuple[str, Direction], Replayed[SM2State]]:
        """``replay`` of ``reviews`` with the schedules kept from Anki, if any (a
        replay given none is called as before)."""
        anchors = self.anki_anchors()
        return replay(reviews, anchors) if anchors else replay(reviews)

    def anki_anchors(self) -> dict[tuple[str, Direction], Anchor]:
        """The due dates an Anki history import kept, each after its Anki answer."""
        try:
            rows = self.conn.execute(
                "SELECT card_id, direction, answered_at, due, interval, easiness "
                "FROM anki_schedules"
            ).fetchall()
        except sqlite3.OperationalError:  # a database from before m022, being checked
            return {}
        return {
            (card, Direction(direction)): Anchor(
                dt.datetime.fromisoformat(answered_at),
                dt.date.fromisoformat(due),
                int(interval),
                float(easiness) if easiness is not None else None,
            )
            for card, direction, answered_at, due, interval, easiness in rows
        }

    # --------------------------------------------------------------- scheduler
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.write():
            self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    def try_set_meta(self, key: str, value: str) -> bool:
        """``set_meta`` for what can be computed again (a kept report): a database
        that cannot be written (read-only, busy past the timeout) just keeps no copy."""
        try:
            self.set_meta(key, value)
        except sqlite3.Error:
            return False
        return True

    def log_fingerprint(self) -> tuple[int, int, int]:
        """(last review row, undos, last fit): changes whenever the log or the fit does,
        so a result computed from them can be kept until then."""
        return tuple(  # type: ignore[return-value]
            self.conn.execute(
                "SELECT (SELECT coalesce(max(rowid), 0) FROM reviews), "
                "(SELECT count(*) FROM review_undos), "
                "(SELECT coalesce(max(id), 0) FROM scheduler_fits)"
            ).fetchone()
        )

    def record_fit(
        self,
        scheduler: str,
        parameters: Sequence[float],
        reviews: int,
        through_day: dt.date | None,
        at: dt.datetime,
    ) -> None:
        """Keep one fit of a scheduler's parameters; fits are never overwritten."""
        with self.write():
            self.conn.execute(
                "INSERT INTO scheduler_fits "
                "(scheduler, fitted_at, parameters, reviews, through_day) VALUES (?, ?, ?, ?, ?)",
                [
                    scheduler,
                    _instant(at),
                    json.dumps(list(parameters)),
                    reviews,
                    through_day.isoformat() if through_day else None,
                ],
            )

    def latest_fit(self, scheduler: str) -> tuple[list[float], int, dt.datetime] | None:
        """(parameters, reviews fitted on, when) of the latest fit, if any."""
        row = self.conn.execute(
            "SELECT parameters, reviews, fitted_at FROM scheduler_fits WHERE scheduler = ? "
            "ORDER BY id DESC LIMIT 1",
            [scheduler],
        ).fetchone()
        if row is None:
            return None
        return [float(v) for v in json.loads(row[0])], row[1], dt.datetime.fromisoformat(row[2])

    def scheduling_answers(
        self,
        decks: Sequence[str] | None = None,
        keys: Sequence[tuple[str, Direction]] | None = None,
    ) -> dict[tuple[str, Direction], list[tuple[dt.date, int]]]:
        """(day, grade) of every answer that moved a schedule, per card direction in
        time order: all the scheduler check and FSRS's fitting read, without
        building a ``ReviewRecord`` per row of a long log.

        ``keys`` reads only those card directions' histories (each found through
        the card index), for figures computed on a sample of a long log.
        """
        modes = sorted(str(mode) for mode in SCHEDULING_MODES)
        in_modes = f"mode IN ({','.join('?' * len(modes))}) AND {NOT_UNDONE}"
        order = " ORDER BY card_id, direction, answered_at, r.rowid"
        histories: dict[tuple[str, Direction], list[tuple[dt.date, int]]] = {}
        days: dict[str, dt.date] = {}
        if keys is None:
            sql = f"SELECT card_id, direction, day, grade FROM reviews r WHERE {in_modes}"
            params: list[Any] = list(modes)
            if decks is not None:
                sql += f" AND {DECK_OF_CARD_ID} IN ({','.join('?' * len(decks))})"
                params += list(decks)
            chunks = [(sql + order, params)]
        else:
            chunks = [
                (
                    f"""SELECT r.card_id, r.direction, r.day, r.grade
                        FROM (VALUES {",".join(["(?, ?)"] * len(chunk))}) k
                        CROSS JOIN reviews r INDEXED BY idx_reviews_history
                          ON r.card_id = k.column1 AND r.direction = k.column2
                        WHERE {in_modes}{order}""",
                    [*(v for card, direction in chunk for v in (card, str(direction))), *modes],
                )
                for chunk in _chunks(sorted(keys, key=str), 400)
            ]
        for sql, params in chunks:
            for card, direction, day, grade in self.conn.execute(sql, params):
                date = days.get(day) or days.setdefault(day, dt.date.fromisoformat(day))
                histories.setdefault((card, _DIRECTIONS[direction]), []).append((date, grade))
        return histories

    def answered_keys(self, decks: Sequence[str] | None = None) -> list[tuple[str, Direction]]:
        """The card directions with a state (answered at least once), sorted: what a
        figure computed on a sample of the log samples from."""
        sql = "SELECT card_id, direction FROM card_state"
        params: list[Any] = []
        if decks is not None:
            sql += f" WHERE {DECK_OF_CARD_ID} IN ({','.join('?' * len(decks))})"
            params = list(decks)
        rows = self.conn.execute(sql + " ORDER BY card_id, direction", params)
        return [(card, _DIRECTIONS[direction]) for card, direction in rows]

    def state_rowid_span(self) -> int:
        """The largest rowid of card_state (a rowid table): random rowids up to it
        sample the card directions with a state without listing them."""
        return self.conn.execute("SELECT coalesce(max(rowid), 0) FROM card_state").fetchone()[0]

    def count_answered(self, decks: Sequence[str] | None = None) -> int:
        """How many card directions ``answered_keys`` would list, counted in SQL."""
        sql = "SELECT count(*) FROM card_state"
        params: list[Any] = []
        if decks is not None:
            sql += f" WHERE {DECK_OF_CARD_ID} IN ({','.join('?' * len(decks))})"
            params = list(decks)
        return self.conn.execute(sql, params).fetchone()[0]

    def answered_at(
        self, rowids: Sequence[int], decks: Sequence[str] | None = None
    ) -> dict[int, tuple[str, Direction]]:
        """The card directions ``answered_keys`` lists among the card_state rows at
        ``rowids`` (the others left out), by rowid."""
        found: dict[int, tuple[str, Direction]] = {}
        for chunk in _chunks(list(rowids), 400):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT rowid, card_id, direction FROM card_state WHERE rowid IN ({marks})"
            params: list[Any] = list(chunk)
            if decks is not None:
                sql += f" AND {DECK_OF_CARD_ID} IN ({','.join('?' * len(decks))})"
                params += list(decks)
            for rowid, card, direction in self.conn.execute(sql, params):
                found[rowid] = (card, _DIRECTIONS[direction])
        return found

    def learnable_answers(self, at_most: int) -> int:
        """How many answers FSRS can learn from (on a later day than the same card
        direction's previous one; ``core.calibration.judged_answers``), counted up
        to ``at_most``: the question is whether there are enough, and counting all
        of a million-answer log took seconds."""
        modes = sorted(str(mode) for mode in SCHEDULING_MODES)
        rows = self.conn.execute(
            f"""SELECT card_id, direction, day FROM reviews r
                WHERE mode IN ({",".join("?" * len(modes))}) AND {NOT_UNDONE}
                ORDER BY card_id, direction, answered_at, r.rowid""",
            modes,
        )
        found = 0
        previous: tuple[str, str, str] | None = None
        for card, direction, day in rows:
            if found >= at_most:
                break
            if previous is not None and previous[:2] == (card, direction) and day > previous[2]:
                found += 1
            previous = (card, direction, day)
        return found

    def states_of(self, keys: Sequence[tuple[str, Direction]]) -> dict[tuple[str, str], SM2State]:
        """The cached states of these card directions (as ``cached_states`` keys them)."""
        found: dict[tuple[str, str], SM2State] = {}
        for chunk in _chunks(sorted(keys, key=str), 400):
            rows = self.conn.execute(
                f"""SELECT s.card_id, s.direction, {", ".join(f"s.{f}" for f in CARD_STATE_FIELDS)}
                    FROM (VALUES {",".join(["(?, ?)"] * len(chunk))}) k
                    CROSS JOIN card_state s INDEXED BY sqlite_autoindex_card_state_1
                      ON s.card_id = k.column1 AND s.direction = k.column2""",
                [v for card, direction in chunk for v in (card, str(direction))],
            )
            for row in rows:
                found[(row[0], row[1])] = _state(row[2:])
        return found

    def studied_keys(
        self, directions: dict[str, tuple[Direction, ...]], decks: Sequence[str] | None
    ) -> list[tuple[str, Direction]]:
        """The active (not retired, not suspended) card directions with a state, in
        directions their deck studies, sorted: what a forecast of reviews runs ahead."""
        rows = self._studied_rows(directions, decks, "", [])
        return [(card, _DIRECTIONS[direction]) for _, card, direction in rows]

    def studied_at(
        self,
        rowids: Sequence[int],
        directions: dict[str, tuple[Direction, ...]],
        decks: Sequence[str] | None,
    ) -> dict[int, tuple[str, Direction]]:
        """The card directions ``studied_keys`` lists among the card_state rows at
        ``rowids`` (the others left out), by rowid: a seeded sample of random
        rowids samples them without listing 100k of them."""
        found: dict[int, tuple[str, Direction]] = {}
        chosen = sorted(directions if decks is None else decks)
        pairs, params = _studied_pairs(directions, chosen)
        if not pairs:
            return found
        deck = DECK_OF_CARD_ID.replace("card_id", "s.card_id")
        for chunk in _chunks(list(rowids), 400):
            # A few hundred rows: each looked up in cards by id (listing the
            # retired and suspended cards, as ``_studied_rows`` does, scanned the
            # cards on every chunk).
            rows = self.conn.execute(
                f"""SELECT s.rowid, s.card_id, s.direction FROM card_state s
                    JOIN cards c INDEXED BY sqlite_autoindex_cards_1 ON c.id = s.card_id
                    WHERE s.rowid IN ({",".join("?" * len(chunk))})
                      AND ({deck}, s.direction) IN (VALUES {pairs})
                      AND c.retired = 0 AND c.suspended = 0""",
                [*chunk, *params],
            )
            for rowid, card, direction in rows:
                found[rowid] = (card, _DIRECTIONS[direction])
        return found

    def _studied_rows(
        self,
        directions: dict[str, tuple[Direction, ...]],
        decks: Sequence[str] | None,
        where: str,
        extra: Sequence[Any],
    ) -> list[tuple[int, str, str]]:
        chosen = sorted(directions if decks is None else decks)
        pairs, params = _studied_pairs(directions, chosen)
        if not pairs:
            return []
        # The deck is read off the card id and the few retired or suspended cards are
        # listed once: joining every state to its card row took 0.7 s at 100k cards.
        # The existence check (the card's id index alone) leaves out states of
        # answers imported for cards that are not here.
        deck = DECK_OF_CARD_ID.replace("card_id", "s.card_id")
        return self.conn.execute(
            f"""SELECT s.rowid, s.card_id, s.direction FROM card_state s
                WHERE ({deck}, s.direction) IN (VALUES {pairs}){where}
                  AND s.card_id NOT IN (SELECT id FROM cards WHERE retired = 1
                                        UNION ALL
                                        SELECT id FROM cards WHERE retired = 0 AND suspended = 1)
                  AND EXISTS (SELECT 1 FROM cards c INDEXED BY sqlite_autoindex_cards_1
                              WHERE c.id = s.card_id)
                ORDER BY s.card_id, s.direction""",
            [*params, *extra],
        ).fetchall()

    def memory_states(self, card_ids: Sequence[str]) -> dict[str, list[SM2State]]:
        """The cached states of these cards, every direction, for figures per card."""
        found: dict[str, list[SM2State]] = {}
        for start in range(0, len(card_ids), 500):
            chunk = list(card_ids[start : start + 500])
            rows = self.conn.execute(
                f"SELECT card_id, {', '.join(CARD_STATE_FIELDS)} FROM card_state "
                f"WHERE card_id IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            for row in rows:
                found.setdefault(row[0], []).append(_state(row[1:]))
        return found

    def cached_states(self) -> dict[tuple[str, str], SM2State]:
        rows = self.conn.execute(
            f"SELECT card_id, direction, {', '.join(CARD_STATE_FIELDS)} FROM card_state"
        ).fetchall()
        return {(row[0], row[1]): _state(row[2:]) for row in rows}

    # ------------------------------------------------------------- browsing
    def browse(
        self,
        query: SearchQuery,
        directions: dict[str, tuple[Direction, ...]],
        decks: Sequence[str] | None = None,
        sort: str = "term",
        descending: bool = False,
        limit: int = 500,
    ) -> tuple[list[BrowseRow], int]:
        """One row per card and direction its deck studies, each with that
        direction's own schedule, filtered and sorted in SQL.

        Returns the first ``limit`` rows and the number of matching rows: a
        screen shows what fits and says how many more there are, so browsing
        stays instant on 100k cards. ``is:missing`` lists the imported cards
        still waiting for a term instead (they have no schedule).
        """
        if "missing" in query.flags:
            return self._browse_drafts(query, decks, limit)
        if sort not in BROWSE_SORTS:
            raise ValueError(f"cannot sort by {sort!r}")
        if query.text or query.tags:  # both are matched through the search index
            self.bring_search_index_up_to_date()
        # the sorts whose indexes are on the sorted copy: brought up to date first
        states = sorted_states.SOURCE
        if sort in COPY_SORTS:
            states = sorted_states.sorting_table(self.conn)
        chosen = self._chosen_decks(query, decks, directions)
        pairs, pair_params = _studied_pairs(directions, chosen)
        if not pairs:
            return [], 0
        # a deck condition only when some studied deck is left out
        narrowed = chosen if len(chosen) < sum(1 for d in directions.values() if d) else None
        with (
            self._text_matches(query.text) as (matched, match_params),
            self._kept_cards(query, narrowed, matched, match_params) as conditions,
        ):
            (found, found_params), (where, params) = conditions
            page = _BrowseQuery(pairs, pair_params, sort, descending, limit)
            if "new" in query.flags:
                filtered = bool(query.text or query.tags or query.flags - {"new"})
                return self._browse_new(page, (found, found_params), (where, params), filtered)
            cards_total = self._browse_card_total(directions, found, found_params)
            if cards_total == 0:
                return [], 0
            if cards_total <= _SORT_WHOLE:
                return self._browse_few(page, found, found_params, cards_total)
            return self._browse_page(query, directions, page, where, params, cards_total, states)

    @contextmanager
    def _kept_cards(
        self,
        query: SearchQuery,
        decks: Sequence[str] | None,
        matched: str | None,
        match_params: list[Any],
    ) -> Iterator[tuple[tuple[list[str], list[Any]], tuple[list[str], list[Any]]]]:
        """The card conditions in both forms of ``_browse_conditions`` (finding, walking).

        With a tag they are met once, into a temporary table of card rowids: a
        tag is found through the full-text index and checked in its JSON list,
        which costs more than the page when done again for the count and for
        each query of the page (a tag's common word, such as "topic", makes the
        full-text match itself cost tens of milliseconds).
        """
        finding = _browse_conditions(query, decks, matched, match_params)
        if not query.tags:
            yield finding, _browse_conditions(query, decks, matched, match_params, walk=True)
            return
        where, params = finding
        select = f"SELECT c.rowid FROM cards c WHERE {' AND '.join(where)}"
        with self._temporary_rowids("browse_kept", select, params):
            rest = SearchQuery(flags=query.flags & {"new"})
            yield (
                _browse_conditions(rest, decks, "c.rowid IN temp.browse_kept", []),
                _browse_conditions(rest, decks, "+c.rowid IN temp.browse_kept", [], walk=True),
            )

    def _chosen_decks(
        self,
        query: SearchQuery,
        decks: Sequence[str] | None,
        directions: dict[str, tuple[Direction, ...]],
    ) -> list[str]:
        """The studied decks left after ``decks`` and every ``deck:NAME`` (slug or
        name, any case): a handful of rows, so the cards' query needs no subquery."""
        chosen = {deck for deck, studied in directions.items() if studied}
        if decks is not None:
            chosen &= set(decks)
        for name in query.decks:
            chosen &= {
                row[0]
                for row in self.conn.execute(
                    "SELECT slug FROM decks WHERE slug = ? COLLATE NOCASE "
                    "OR name = ? COLLATE NOCASE",
                    [name, name],
                )
            }
        return sorted(chosen)

    def _browse_card_total(
        self, directions: dict[str, tuple[Direction, ...]], where: list[str], params: list[Any]
    ) -> int:
        """Rows of the matching cards before any schedule filter: each card times its
        deck's directions, counted per deck from the cards alone (an index on deck
        or on a flag serves it)."""
        rows = self.conn.execute(
            f"SELECT c.deck, count(*) FROM cards c WHERE {' AND '.join(where)} GROUP BY c.deck",
            params,
        )
        return sum(count * len(directions.get(deck, ())) for deck, count in rows)

    def _browse_few(
        self,
        page: _BrowseQuery,
        where: list[str],
        params: list[Any],
        cards_total: int,
    ) -> tuple[list[BrowseRow], int]:
        """A narrow filter (a few thousand rows at most): its cards are found once
        through whatever index serves the filter, then their rows are sorted whole,
        which beats walking a sort index past 100k cards to find them."""
        select = f"SELECT c.rowid FROM cards c WHERE {' AND '.join(where)}"
        with self._temporary_rowids("browse_cards", select, params):
            rows = self.conn.execute(
                f"""SELECT {BROWSE_COLUMNS} FROM temp.browse_cards m
                    CROSS JOIN cards c ON c.rowid = m.id
                    CROSS JOIN (VALUES {page.pairs}) p ON p.column1 = c.deck
                    LEFT JOIN card_state s ON s.card_id = c.id AND s.direction = p.column2
                    ORDER BY {page.order} LIMIT ?""",
                [*page.pair_params, page.limit],
            ).fetchall()
            return [_browse_row(row) for row in rows], cards_total

    @contextmanager
    def _text_matches(self, text: str) -> Iterator[tuple[str | None, list[Any]]]:
        """The WHERE term matching Browse's free text (None: no text), with its parameters.

        A narrow search stays a subquery. A broad one (a letter or two matches
        most of 100k cards) is put once into a temporary table keyed by rowid:
        SQLite would otherwise build the same set of matches again for the count
        and for each query of the page, each time costing more than the page.
        """
        match = fts_query(text)
        if not match:
            yield None, []
            return
        (found,) = self.conn.execute(
            "SELECT count(*) FROM cards_fts WHERE cards_fts MATCH ?", [match]
        ).fetchone()
        if found <= _SORT_WHOLE:
            yield "c.rowid IN (SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?)", [match]
            return
        select = "SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?"
        with self._temporary_rowids("browse_matches", select, [match]):
            yield "+c.rowid IN temp.browse_matches", []

    @contextmanager
    def _temporary_rowids(self, name: str, select: str, params: list[Any]) -> Iterator[None]:
        """``temp.<name>``, an id column holding the rowids ``select`` finds, for
        the length of the block: Browse meets a filter once this way, where SQLite
        would work out the same set again for the count and each page query."""
        self.conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
        self.conn.execute(f"CREATE TEMP TABLE {name} (id INTEGER PRIMARY KEY)")
        try:
            self.conn.execute(f"INSERT INTO temp.{name} {select}", params)
            yield
        finally:
            self.conn.execute(f"DROP TABLE IF EXISTS temp.{name}")

    def _browse_page(
        self,
        query: SearchQuery,
        directions: dict[str, tuple[Direction, ...]],
        page: _BrowseQuery,
        where: list[str],
        params: list[Any],
        total: int,
        states: str,
    ) -> tuple[list[BrowseRow], int]:
        """Browse's first page of a broad filter, walking an index in the sort's order
        (a schedule column's on ``states``: card_state or its sorted copy)."""
        pairs, pair_params, limit = page.pairs, page.pair_params, page.limit
        sort, descending = page.sort, page.descending
        condition = " AND ".join(where)
        if sort in CARD_SORTS and "new" not in query.flags:
            # Sorted by the card alone: pick the page's cards first (an index serves
            # the term order), then add their directions; a card has at most two,
            # so the first ``limit`` cards hold the first ``limit`` rows.
            picked = self._page_cards(page, condition, params)
            rows = self.conn.execute(
                f"""SELECT {BROWSE_COLUMNS} FROM cards c
                    CROSS JOIN (VALUES {pairs}) p ON p.column1 = c.deck
                    LEFT JOIN card_state s ON s.card_id = c.id AND s.direction = p.column2
                    WHERE c.rowid IN ({",".join("?" * len(picked))})
                    ORDER BY {page.order} LIMIT ?""",
                [*pair_params, *picked, limit],
            ).fetchall()
        elif sort in SCHEDULE_SORTS or sort == "direction":
            walk = _SchedulePage(
                self.conn, BROWSE_COLUMNS, pairs, pair_params, condition, params, states
            )
            if sort == "direction":
                values = sorted({d for deck in directions for d in map(str, directions[deck])})
                rows = walk.by_direction(values[::-1] if descending else values, limit)
            else:
                rows = walk.by_schedule(sort, descending, limit)
        else:
            rows = self.conn.execute(
                f"SELECT {BROWSE_COLUMNS} FROM {page.source} WHERE {condition} "
                f"ORDER BY {page.order} LIMIT ?",
                [*pair_params, *params, limit],
            ).fetchall()
        return [_browse_row(row) for row in rows], total

    def _page_cards(self, page: _BrowseQuery, condition: str, params: list[Any]) -> list[int]:
        """Rowids of the first ``limit`` matching cards in term order, or by deck then
        term: deck by deck (an index on deck and term walks each), until a page is
        full, instead of sorting every matching card by deck."""
        if page.sort == "term":
            return [
                row[0]
                for row in self.conn.execute(
                    f"""SELECT c.rowid FROM cards c WHERE {condition}
                        ORDER BY c.term COLLATE NOCASE {"DESC" if page.descending else "ASC"}
                        LIMIT ?""",
                    [*params, page.limit],
                )
            ]
        picked: list[int] = []
        decks = sorted(set(page.pair_params[::2]), reverse=page.descending)
        for deck in decks:
            picked += [
                row[0]
                for row in self.conn.execute(
                    f"""SELECT c.rowid FROM cards c WHERE c.deck = ? AND {condition}
                        ORDER BY c.term COLLATE NOCASE LIMIT ?""",
                    [deck, *params, page.limit],
                )
            ]
            if len(picked) >= page.limit:
                break
        return picked

    def _browse_new(
        self,
        page: _BrowseQuery,
        finding: tuple[list[str], list[Any]],
        walking: tuple[list[str], list[Any]],
        filtered: bool,
    ) -> tuple[list[BrowseRow], int]:
        """``is:new``: the rows whose direction has no due day. A card keeps the
        directions that have one (``cards.due_directions``, m019), so the cards
        of a deck new in a direction are a range of an index, and no state is
        looked up for each of 100k cards (only for cards whose bits are not
        known yet, and once for the states inserted since the bits were set:
        m020). Up to ``_SORT_NEW_WHOLE`` of them (most searches: the new
        rows are the few not yet studied) are put once into a temporary table
        and sorted whole; more are walked in the page's order (``_walk_new``)."""
        where, params = finding
        condition = " AND ".join(where)
        candidates = 0
        for deck, direction in _pairs_of(page):
            (count,) = self.conn.execute(
                f"SELECT count(*) FROM {_maybe_new(direction)} AND {condition}",
                [deck, *_undue_values(direction), *params],
            ).fetchone()
            candidates += count
        if candidates == 0:
            return [], 0
        if candidates > _SORT_NEW_WHOLE:
            return self._walk_new(page, *walking, self._new_rows(page, finding, filtered))
        with self._browse_rows() as insert:
            total = 0
            for deck, direction in _pairs_of(page):
                total += insert(
                    f"SELECT c.rowid, ? FROM {_maybe_new(direction)} "
                    f"AND {_SURELY_NEW} AND {condition}",
                    [direction, deck, *_undue_values(direction), direction, direction, *params],
                )
            return self._browse_rows_page(page), total

    def _new_rows(
        self, page: _BrowseQuery, finding: tuple[list[str], list[Any]], filtered: bool
    ) -> int:
        """How many rows ``is:new`` keeps when many cards may be new (a deck just
        imported): with no other filter, every active card's rows less those with
        a due day (``_due_rows``: indexes alone); else a state per card that may be."""
        where, params = finding
        condition = " AND ".join(where)
        if not filtered:
            cards = dict(
                self.conn.execute(
                    f"SELECT c.deck, count(*) FROM cards c WHERE {condition} GROUP BY c.deck",
                    params,
                ).fetchall()
            )
            return sum(cards.get(deck, 0) for deck, _ in _pairs_of(page)) - self._due_rows(page)
        total = 0
        for deck, direction in _pairs_of(page):
            (count,) = self.conn.execute(
                f"SELECT count(*) FROM {_maybe_new(direction)} AND {_SURELY_NEW} AND {condition}",
                [deck, *_undue_values(direction), direction, direction, *params],
            ).fetchone()
            total += count
        return total

    def _due_rows(self, page: _BrowseQuery) -> int:
        """Rows of active cards of the chosen decks that have a due day: every card's
        rows less these are ``is:new``. Counted from indexes alone: the states per
        deck (a card's deck is the start of its id) less the few without a due day
        and the few of retired cards, instead of a state looked up per card."""
        states = undue = 0
        pairs = page.pair_params
        for deck, direction in zip(pairs[::2], pairs[1::2], strict=True):
            # one pair at a time: a row value IN (VALUES ...) would not use the index
            (count,) = self.conn.execute(
                f"SELECT count(*) FROM card_state WHERE {DECK_OF_CARD_ID} = ? AND direction = ?",
                [deck, direction],
            ).fetchone()
            (without,) = self.conn.execute(
                f"""SELECT count(*) FROM card_state INDEXED BY idx_card_state_undue
                    WHERE {NEW_ROW.replace("s.", "")}
                      AND {DECK_OF_CARD_ID} = ? AND direction = ?""",
                [deck, direction],
            ).fetchone()
            states, undue = states + count, undue + without
        (retired,) = self.conn.execute(
            f"""SELECT count(*) FROM (VALUES {page.pairs}) p
                CROSS JOIN cards c ON c.deck = p.column1 AND c.retired = 1
                CROSS JOIN card_state s ON s.card_id = c.id AND s.direction = p.column2
                WHERE s.due > ''""",
            page.pair_params,
        ).fetchone()
        return int(states) - int(undue) - int(retired)

    @contextmanager
    def _browse_rows(self) -> Iterator[Callable[[str, list[Any]], int]]:
        """``temp.browse_rows`` (card rowid, direction) for the length of the block,
        filled by the function it yields (a SELECT of those two, its parameters;
        it returns the rows it added)."""
        self.conn.execute("DROP TABLE IF EXISTS temp.browse_rows")
        self.conn.execute("CREATE TEMP TABLE browse_rows (card INTEGER, direction TEXT)")

        def insert(select: str, params: list[Any]) -> int:
            return self.conn.execute(f"INSERT INTO temp.browse_rows {select}", params).rowcount

        try:
            yield insert
        finally:
            self.conn.execute("DROP TABLE IF EXISTS temp.browse_rows")

    def _browse_rows_page(self, page: _BrowseQuery) -> list[BrowseRow]:
        """The page of the rows in ``temp.browse_rows``, all of them sorted. Sorted by
        the card alone (term, deck, direction), only the page's rows have their
        state looked up."""
        source = f"""temp.browse_rows m CROSS JOIN cards c ON c.rowid = m.card
            CROSS JOIN (VALUES {page.pairs}) p
              ON p.column1 = c.deck AND p.column2 = m.direction
            LEFT JOIN card_state s ON s.card_id = c.id AND s.direction = p.column2"""
        if page.sort in CARD_SORTS or page.sort == "direction":
            (kept,) = self.conn.execute("SELECT count(*) FROM temp.browse_rows").fetchone()
            if kept > page.limit:
                self.conn.execute(
                    f"""DELETE FROM temp.browse_rows WHERE rowid NOT IN (
                          SELECT m.rowid FROM temp.browse_rows m
                          CROSS JOIN cards c ON c.rowid = m.card
                          CROSS JOIN (VALUES {page.pairs}) p
                            ON p.column1 = c.deck AND p.column2 = m.direction
                          ORDER BY {page.order} LIMIT ?)""",
                    [*page.pair_params, page.limit],
                )
        rows = self.conn.execute(
            f"SELECT {BROWSE_COLUMNS} FROM {source} ORDER BY {page.order} LIMIT ?",
            [*page.pair_params, page.limit],
        ).fetchall()
        return [_browse_row(row) for row in rows]

    def _walk_new(
        self, page: _BrowseQuery, where: list[str], params: list[Any], total: int
    ) -> tuple[list[BrowseRow], int]:
        """``is:new`` over many rows (a deck just imported). Its rows are the few
        states without a due day (a partial index holds them) and the rows with no
        state at all; the first page is among those few and the first ``limit``
        stateless rows in the page's order, walked from the term index, so only
        they are sorted."""
        condition = " AND ".join(w for w in where if w != NEW_ROW)
        keys = self.conn.execute(
            f"""SELECT c.rowid, s.direction FROM card_state s INDEXED BY idx_card_state_undue
                CROSS JOIN cards c ON c.id = s.card_id
                CROSS JOIN (VALUES {page.pairs}) p
                  ON p.column1 = c.deck AND p.column2 = s.direction
                WHERE {NEW_ROW} AND {condition}""",
            [*page.pair_params, *params],
        ).fetchall()
        # stateless rows have no schedule value: after the deck or the direction,
        # the term orders them
        order = "DESC" if page.sort == "term" and page.descending else "ASC"
        column = {"deck": "c.deck", "direction": "p.column2"}.get(page.sort)
        values: list[str | None] = [None]
        if column is not None:
            values = sorted(set(page.pair_params[page.sort == "direction" :: 2]))
            values = values[::-1] if page.descending else values
        found = 0
        for value in values:
            rows = self._stateless(page, condition, params, (column, value), order)
            keys += rows
            found += len(rows)
            if found >= page.limit:  # the values come in the page's order
                break
        with self._browse_rows():
            self.conn.executemany(
                "INSERT INTO temp.browse_rows (card, direction) VALUES (?, ?)", set(keys)
            )
            return self._browse_rows_page(page), total

    def _stateless(
        self,
        page: _BrowseQuery,
        condition: str,
        params: list[Any],
        only: tuple[str | None, str | None],
        order: str,
    ) -> list[Any]:
        """(card rowid, direction) of the first ``limit`` rows without a state in term
        order (``only``: of one deck or direction), with every row tied on the last term: a
        superset of the first ``limit`` in term-then-direction order. Ordered by the
        term alone, SQLite walks the term index and stops early; with the direction
        as a second key it would sort every row instead."""
        column, value = only
        extra = "" if column is None else f"AND {column} = ?"
        chosen = [] if column is None else [value]
        sql = f"""SELECT c.rowid, p.column2, c.term FROM {page.source}
                  WHERE {condition} AND s.card_id IS NULL {extra} {{}}"""
        first = self.conn.execute(
            sql.format(f"ORDER BY c.term COLLATE NOCASE {order} LIMIT ?"),
            [*page.pair_params, *params, *chosen, page.limit],
        ).fetchall()
        if len(first) < page.limit:
            return [row[:2] for row in first]
        tied = self.conn.execute(
            sql.format("AND c.term = ? COLLATE NOCASE"),
            [*page.pair_params, *params, *chosen, first[-1][2]],
        ).fetchall()
        return [row[:2] for row in first + tied]

    def _browse_drafts(
        self, query: SearchQuery, decks: Sequence[str] | None, limit: int
    ) -> tuple[list[BrowseRow], int]:
        """``is:missing``: drafts by deck and place, matched on their definition."""
        where = ["d.deck IN (SELECT slug FROM decks WHERE retired = 0)"]
        params: list[Any] = []
        for word in query.words:
            where.append("d.definition LIKE ? ESCAPE '\\'")
            params.append(f"%{_like_escaped(word)}%")
        if query.tags or query.flags - {"missing"}:
            where.append("0")  # a draft has no tags, schedule or flags yet
        where += _deck_conditions(query, decks, "d.deck", params)
        condition = " AND ".join(where)
        total = self.conn.execute(
            f"SELECT count(*) FROM drafts d WHERE {condition}", params
        ).fetchone()[0]
        rows = self.conn.execute(
            f"SELECT d.deck, d.number, d.definition FROM drafts d WHERE {condition} "
            "ORDER BY d.deck, d.number LIMIT ?",
            [*params, limit],
        ).fetchall()
        return [
            BrowseRow(
                card_id=draft_id(deck, number),
                deck=deck,
                term="",
                definition=definition,
                suspended=False,
                leech=False,
                repetitions=None,
                interval=None,
                easiness=None,
                lapses=None,
                due=None,
                missing_term=True,
            )
            for deck, number, definition in rows
        ], total

    def cards_by_term(
        self, normalized: str, decks: Sequence[str] | None = None
    ) -> list[StoredCard]:
        """Cards whose identity, term or alias is ``normalized`` (already folded)."""
        from trainer.core.model import normalize_term

        self.bring_search_index_up_to_date()

        ids = {
            row[0]
            for row in self.conn.execute(
                "SELECT id FROM cards WHERE substr(id, instr(id, '/') + 1) = ?", [normalized]
            ).fetchall()
        }
        if match := fts_query(normalized):
            ids |= {
                row[0]
                for row in self.conn.execute(
                    "SELECT id FROM cards WHERE rowid IN "
                    "(SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?)",
                    [match],
                ).fetchall()
            }

        def names(card: StoredCard) -> set[str]:
            terms = (card.card.term, *card.card.aliases)
            return {card.id.split("/", 1)[1], *(normalize_term(t) for t in terms)}

        return [
            card
            for card in self.cards(ids)
            if normalized in names(card) and (decks is None or card.deck in decks)
        ]

    def set_suspended(self, card_id: str, suspended: bool) -> None:
        with self.write():
            self.conn.execute(
                "UPDATE cards SET suspended = ? WHERE id = ?", [int(suspended), card_id]
            )

    def mark_leech(self, card_id: str, at: dt.datetime, suspend: bool) -> None:
        with self.write():
            self.conn.execute(
                "UPDATE cards SET leech_at = coalesce(leech_at, ?), "
                "suspended = CASE WHEN ? THEN 1 ELSE suspended END WHERE id = ?",
                [_instant(at), int(suspend), card_id],
            )

    def leeches(self, decks: Sequence[str] | None = None) -> list[tuple[str, str, bool]]:
        """(card id, term, suspended) of every active leech, most recent first."""
        sql = "SELECT id, term, suspended FROM cards WHERE leech_at IS NOT NULL AND retired = 0"
        params: list[Any] = []
        if decks is not None:
            sql += f" AND deck IN ({','.join('?' * len(decks))})"
            params = list(decks)
        rows = self.conn.execute(sql + " ORDER BY leech_at DESC", params).fetchall()
        return [(row[0], row[1], bool(row[2])) for row in rows]

    def deck_path(self, slug: str) -> str | None:
        row = self.conn.execute("SELECT path FROM decks WHERE slug = ?", [slug]).fetchone()
        return row[0] if row else None

    # ------------------------------------------------------------ quiz attempts
    def record_quiz_attempt(self, attempt: dict[str, Any]) -> None:
        with self.write():
            self.db["quiz_attempts"].insert(attempt, pk="id")

    def quiz_attempts(self) -> list[dict[str, Any]]:
        return list(self.db["quiz_attempts"].rows_where(order_by="started_at"))

    # ----------------------------------------------------------------- imports
    def present_review_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these review ids the log already holds (undone ones too), so an
        import that mints stable ids adds each answer once however often it runs.

        Asked in chunks to stay under SQLite's limit on bound variables.
        """
        present: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.conn.execute(
                f"SELECT id FROM reviews WHERE id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            present.update(row[0] for row in rows)
        return present


#: ORDER BY expressions per column, over one direction's state ``s``
BROWSE_SORTS = {
    "term": "c.term COLLATE NOCASE",
    "deck": "c.deck",
    "direction": "p.column2",
    "state": "coalesce(s.repetitions, -1)",
    "due": "s.due",
    "interval": "s.interval",
    "easiness": "s.easiness",
    "lapses": "s.lapses",
}
#: sorts that read the card only, never its schedule
CARD_SORTS = ("term", "deck")
#: sorts by one card_state column, each with an index: the column, and whether a row
#: without a value (no state yet) sorts first when ascending (``state``: coalesce to
#: -1, below every count) or always last (NULLS LAST)
SCHEDULE_SORTS = {
    "state": ("repetitions", True),
    "due": ("due", False),
    "interval": ("interval", False),
    "easiness": ("easiness", False),
    "lapses": ("lapses", False),
}
#: schedule sorts whose column's index is on the sorted copy of the states
#: (``trainer.storage.sorted_states``), not on card_state
COPY_SORTS = frozenset({"state", "interval", "easiness", "lapses"})
#: a tie group of a schedule column larger than this is paged by walking the term
#: index (cheap when the group holds many cards) instead of sorting the group
_WALK_GROUP = 4000
#: up to this many matching rows (a narrow search), sorting them all is cheapest
_SORT_WHOLE = 5000
#: up to this many ``is:new`` rows, sorting them all is cheapest: they are found
#: through an index of their own (``Store._browse_new``), not among every card
_SORT_NEW_WHOLE = 20000


#: the columns of a Browse row, as ``_browse_row`` reads them
BROWSE_COLUMNS = """c.id, c.deck, c.term, c.definition, c.suspended, c.leech_at,
    s.repetitions, s.interval, s.easiness, s.lapses, s.due, p.column2"""
#: ``is:new``: the row's direction has no due day yet
NEW_ROW = "coalesce(s.due, '') = ''"


@dataclass(frozen=True)
class _BrowseQuery:
    """What a Browse page asks for: the (deck, direction) pairs studied, the sort and the size."""

    pairs: str
    pair_params: list[str]
    sort: str
    descending: bool
    limit: int

    @property
    def source(self) -> str:
        """Every card joined to each direction its deck studies and that direction's
        state. CROSS JOIN keeps the cards as the outer loop, so the term index
        serves the default order instead of sorting every row."""
        return (
            f"cards c CROSS JOIN (VALUES {self.pairs}) p ON p.column1 = c.deck "
            "LEFT JOIN card_state s ON s.card_id = c.id AND s.direction = p.column2"
        )

    @property
    def order(self) -> str:
        """The whole order: the column, then term and direction (rows without a value last)."""
        column = BROWSE_SORTS[self.sort]
        direction = "DESC" if self.descending else "ASC"
        if self.sort == "term":
            return f"{column} {direction}, p.column2"
        return f"{column} {direction} NULLS LAST, c.term COLLATE NOCASE, p.column2"


class _SchedulePage:
    """One Browse page sorted by a schedule column or by direction, without sorting
    every card: the same rows, in the same order, as ``ORDER BY key NULLS LAST,
    term COLLATE NOCASE, direction`` over all of them.

    The rows with a value come in the column's order from its index: the key of
    the last row of the page is read first (an index walk of ``limit`` rows), the
    rows strictly before it are few and sorted whole, and the rows tied with it
    are paged in term order. Rows without a value (no state yet) follow in term
    order, from the term index (before the others for ``state`` ascending, where
    they count as -1: repetitions are never negative).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        columns: str,
        pairs: str,
        pair_params: list[str],
        condition: str,
        params: list[Any],
        states: str = sorted_states.SOURCE,
    ) -> None:
        self.conn = conn
        self.columns = columns
        self.pairs = pairs
        self.pair_params = pair_params
        self.condition = condition
        self.params = params
        #: the table whose index on the sort's column is walked (``_stated``)
        self.states = states

    def _by_term(
        self, extra: str, extra_params: list[Any], limit: int, join: str = "LEFT JOIN"
    ) -> list[Any]:
        """Rows in term order, cards from the term index (outer loop)."""
        if limit <= 0:
            return []
        return self.conn.execute(
            f"""SELECT {self.columns} FROM cards c
                CROSS JOIN (VALUES {self.pairs}) p ON p.column1 = c.deck
                {join} card_state s ON s.card_id = c.id AND s.direction = p.column2
                WHERE {self.condition} AND {extra}
                ORDER BY c.term COLLATE NOCASE, p.column2 LIMIT ?""",
            [*self.pair_params, *self.params, *extra_params, limit],
        ).fetchall()

    def by_direction(self, values: Sequence[str], limit: int) -> list[Any]:
        rows: list[Any] = []
        for value in values:
            rows += self._by_term("p.column2 = ?", [value], limit - len(rows))
        return rows

    def _stated(self, select: str, extra: str, extra_params: list[Any], tail: str) -> list[Any]:
        """Rows that have a state, states (their column's index) as the outer loop."""
        return self.conn.execute(
            f"""SELECT {select} FROM {self.states} s CROSS JOIN cards c ON c.id = s.card_id
                CROSS JOIN (VALUES {self.pairs}) p
                  ON p.column1 = c.deck AND p.column2 = s.direction
                WHERE {self.condition} AND {extra} {tail}""",
            [*self.pair_params, *self.params, *extra_params],
        ).fetchall()

    def by_schedule(self, sort: str, descending: bool, limit: int) -> list[Any]:
        column, empty_first = SCHEDULE_SORTS[sort]
        key = f"s.{column}"
        empty_first = empty_first and not descending
        rows: list[Any] = []
        if empty_first:
            rows += self._by_term(f"{key} IS NULL", [], limit)
        rows += self._valued(key, "DESC" if descending else "ASC", limit - len(rows))
        if not empty_first:
            rows += self._by_term(f"{key} IS NULL", [], limit - len(rows))
        return rows

    def _valued(self, key: str, direction: str, limit: int) -> list[Any]:
        """The first ``limit`` rows whose ``key`` has a value, in key, term, direction order."""
        if limit <= 0:
            return []
        ties = "c.term COLLATE NOCASE, p.column2"
        last = self._stated(
            key,
            f"{key} IS NOT NULL",
            [],
            f"ORDER BY {key} {direction} LIMIT 1 OFFSET {limit - 1:d}",
        )
        if not last:  # fewer than a page: all of them
            return self._stated(
                self.columns, f"{key} IS NOT NULL", [], f"ORDER BY {key} {direction}, {ties}"
            )
        bound = last[0][0]
        before = self._stated(
            self.columns,
            f"{key} {'>' if direction == 'DESC' else '<'} ?",
            [bound],
            f"ORDER BY {key} {direction}, {ties}",
        )
        wanted = limit - len(before)
        (group,) = self.conn.execute(
            f"SELECT count(*) FROM {self.states} s WHERE {key} = ?", [bound]
        ).fetchone()
        if group > _WALK_GROUP:
            tied = self._by_term(f"{key} = ?", [bound], wanted, "CROSS JOIN")
        else:
            tied = self._stated(
                self.columns, f"{key} = ?", [bound], f"ORDER BY {ties} LIMIT {wanted:d}"
            )
        return before + tied


def _pairs_of(page: _BrowseQuery) -> list[tuple[str, str]]:
    """The (deck, direction) pairs a page studies."""
    return list(zip(page.pair_params[::2], page.pair_params[1::2], strict=True))


def _maybe_new(direction: str) -> str:
    """FROM and WHERE of the cards of a deck that may be new in ``direction``
    (parameters: the deck, ``_undue_values(direction)``): a range of an index,
    those whose ``due_directions`` lacks its bit, or is not known yet; which
    of them are new ``_SURELY_NEW`` says."""
    values = ", ".join("?" * len(_undue_values(direction)))
    return f"""cards c INDEXED BY idx_cards_due_directions
        WHERE c.deck = ? AND c.retired = 0 AND c.due_directions IN ({values})"""


#: of a card ``_maybe_new`` finds, whether it is new in a direction (the parameter,
#: twice): known bits say so, unless a state inserted since they were set gives the
#: direction a due day (no trigger on the answer's path); else its state (no
#: trigger sets the bits of a card inserted)
_SURELY_NEW = f"""(c.due_directions != {DUE_DIRECTIONS_UNKNOWN} OR NOT EXISTS (
    SELECT 1 FROM card_state s WHERE s.card_id = c.id AND s.direction = ? AND s.due > ''))
    AND c.rowid NOT IN {due_directions.RECENTLY_DUE}"""


def _undue_values(direction: str) -> list[int]:
    """The values of ``due_directions`` without ``direction``'s bit."""
    bit = DIRECTION_BITS[direction]
    known = range(sum(DIRECTION_BITS.values()) + 1)
    return [*(value for value in known if not value & bit), DUE_DIRECTIONS_UNKNOWN]


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``items`` in slices of ``size``: lookups by a list of keys, a few hundred at a time.

    The queries name their index: past a few hundred keys SQLite otherwise chose
    to build a temporary index of the whole table (13 s at a million reviews)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: how a draft is named in Browse: never a card id, which always holds a term
DRAFT_MARK = "/#missing-"


def draft_id(deck: str, number: int) -> str:
    return f"{deck}{DRAFT_MARK}{number}"


def parse_draft_id(key: str) -> tuple[str, int] | None:
    """(deck, number) of a Browse key that names a draft, else None."""
    deck, mark, number = key.partition(DRAFT_MARK)
    return (deck, int(number)) if mark and number.isdigit() else None


#: Stored direction names to members: a dict lookup, cheaper than calling the enum.
_DIRECTIONS = {str(direction): direction for direction in Direction}


def _browse_row(row: Sequence[Any]) -> BrowseRow:
    return BrowseRow(
        card_id=row[0],
        deck=row[1],
        term=row[2],
        definition=row[3],
        suspended=bool(row[4]),
        leech=row[5] is not None,
        repetitions=row[6],
        interval=row[7],
        easiness=row[8],
        lapses=row[9],
        due=dt.date.fromisoformat(row[10]) if row[10] else None,
        direction=Direction(row[11]),
    )


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _deck_conditions(
    query: SearchQuery, decks: Sequence[str] | None, column: str, params: list[Any]
) -> list[str]:
    """The chosen decks, and each ``deck:NAME`` (slug or name, any case)."""
    where = []
    if decks is not None:
        where.append(f"{column} IN ({','.join('?' * len(decks))})")
        params += list(decks)
    for name in query.decks:
        where.append(
            f"{column} IN (SELECT slug FROM decks WHERE slug = ? COLLATE NOCASE "
            "OR name = ? COLLATE NOCASE)"
        )
        params += [name, name]
    return where


def _browse_conditions(
    query: SearchQuery,
    decks: Sequence[str] | None,
    matched: str | None,
    match_params: list[Any],
    walk: bool = False,
) -> tuple[list[str], list[Any]]:
    """WHERE terms over ``c`` (card) and, with ``is:new`` and ``walk``, ``s`` (its
    state in the row's direction); ``matched`` is the free-text condition of
    ``Store._text_matches`` and ``decks`` the decks kept (None: every one).

    Without ``walk`` the terms are made to find the matching cards through an
    index (deck, a flag's partial index, a tag's words in the full-text index).
    With ``walk`` the query walks a sort's index instead: a unary ``+`` keeps
    SQLite from preferring a deck or tag index and then sorting every row.
    """
    plus = "+" if walk else ""
    where = ["c.retired = 0"]
    params: list[Any] = []
    if decks is not None:
        where.append(f"{plus}c.deck IN ({','.join('?' * len(decks))})")
        params += list(decks)
    if matched:
        where.append(matched)
        params += match_params
    for tag in query.tags:
        if words := _tag_words(tag):
            where.append(f"{plus}c.rowid IN (SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?)")
            params.append(words)
        where.append("EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value = ? COLLATE NOCASE)")
        params.append(tag)
    if "leech" in query.flags:
        where.append("c.leech_at IS NOT NULL")
    if "suspended" in query.flags:
        where.append("c.suspended = 1")
    if "new" in query.flags and walk:
        where.append(NEW_ROW)
    return where, params


def _tag_words(tag: str) -> str | None:
    """A full-text query that every card tagged ``tag`` matches (a few others may
    too: the exact test follows), or None when the words cannot be trusted.

    The tags column holds the JSON list, whose words are the tag's words in a
    row; only printable ASCII without quotes or backslashes is written into
    JSON as itself (older rows may hold ``\\u`` escapes for anything else).
    """
    if not tag.isascii() or not tag.isprintable() or '"' in tag or "\\" in tag:
        return None
    if not any(char.isalnum() for char in tag):
        return None
    return f'tags : "{tag}"'


def fts_query(text: str) -> str:
    """A safe FTS5 query: every word must match, each as a prefix, as typed."""
    words = [w for w in text.replace('"', " ").split() if w]
    return " ".join(f'"{word}"*' for word in words)


REVIEW_COLUMNS = (
    "r.id, r.card_id, r.direction, r.answered_at, r.day, r.grade, r.mode, r.response_ms, "
    + ", ".join(f"r.prev_{name}" for name in STATE_FIELDS)
    + ", "
    + ", ".join(f"r.{name}" for name in STATE_FIELDS)
)


def _instant(moment: dt.datetime) -> str:
    """Stored instants: UTC, fixed microsecond precision, so text order is time order."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _card_row(slug: str, card: Card, position: int, stamp: str) -> tuple[Any, ...]:
    """A card's row as ``_upsert_cards`` writes it."""
    return (
        card.id_in(slug),
        slug,
        card.term,
        card.definition,
        _json_list(card.aliases),
        _json_list(card.tags),
        card.example,
        _directions_json(card.directions),
        card.cloze,
        card.cloze_number,
        position,
        stamp,
    )


def _card_rows(slug: str, cards: Sequence[Card], stamp: str) -> list[tuple[Any, ...]]:
    """``_card_row`` of every card of a deck, at its position.

    A card with no aliases, tags, directions or cloze (most of an imported
    glossary) is written inline: four calls per card were a tenth of a 100k-card
    sync's Python time.
    """
    prefix = f"{slug}/"
    return [
        (
            prefix + card.identity,
            slug,
            card.term,
            card.definition,
            "[]",
            "[]",
            card.example,
            None,
            None,
            card.cloze_number,
            position,
            stamp,
        )
        if not card.aliases and not card.tags and card.directions is None and card.cloze is None
        else _card_row(slug, card, position, stamp)
        for position, card in enumerate(cards)
    ]


def _new_card_rows(slug: str, cards: Sequence[Card], stamp: str) -> list[tuple[Any, ...]] | None:
    """The rows ``_insert_cards`` writes, if every card is plain (a term and a
    definition, nothing else, as an imported glossary's are) and no id repeats;
    else None, and the cards go through ``_card_rows`` and the upsert."""
    prefix = f"{slug}/"
    for card in cards:
        if card.aliases or card.tags or card.example is not None or card.directions is not None:
            return None
        if card.cloze is not None or card.cloze_number is not None:
            return None
    rows = [
        (prefix + card.identity, slug, card.term, card.definition, position, stamp)
        for position, card in enumerate(cards)
    ]
    return rows if len({row[0] for row in rows}) == len(rows) else None


def _json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False) if values else "[]"


def _directions_json(directions: Sequence[Direction] | None) -> str | None:
    return None if directions is None else json.dumps([str(d) for d in directions])


def _own_directions(stored: str | None) -> tuple[Direction, ...] | None:
    """A card's own directions from its column, or None when it studies its deck's."""
    return None if stored is None else tuple(Direction(d) for d in json.loads(stored))


def _studies(
    directions: dict[str, tuple[Direction, ...]], decks: Sequence[str]
) -> tuple[str, list[str]]:
    """SQL that is true when state ``s`` of card ``c`` is in a direction ``c`` studies
    and ``c``'s deck is one of ``decks``, and its parameters.

    A card studies its deck's directions unless it has its own (``c.directions``,
    a JSON list: a quoted name inside it is an exact match).
    """
    pairs, params = _studied_pairs(directions, decks)
    if not pairs:
        return "0", []
    chosen = [deck for deck in decks if directions.get(deck)]
    sql = (
        f"(CASE WHEN c.directions IS NULL THEN (c.deck, s.direction) IN (VALUES {pairs}) "
        f"ELSE c.deck IN ({','.join('?' * len(chosen))}) "
        """AND instr(c.directions, '"' || s.direction || '"') > 0 END)"""
    )
    return sql, [*params, *chosen]


def _studied_pairs(
    directions: dict[str, tuple[Direction, ...]], decks: Sequence[str]
) -> tuple[str, list[str]]:
    """``(?, ?), ...`` and its parameters: each chosen deck with each direction it studies."""
    params = [str(value) for deck in decks for d in directions.get(deck, ()) for value in (deck, d)]
    return ", ".join(["(?, ?)"] * (len(params) // 2)), params


def _state(values: Sequence[Any]) -> SM2State:
    """A state from the five logged columns, or from card_state's seven: with a
    stability, FSRS's (``FSRSState``), else SM-2's."""
    repetitions, easiness, interval, due, lapses = values[:5]
    stability, difficulty = values[5:7] if len(values) >= 7 else (None, None)
    common = {
        "repetitions": repetitions or 0,
        "easiness": easiness if easiness is not None else 2.5,
        "interval": interval or 0,
        "due": dt.date.fromisoformat(due) if due else None,
        "lapses": lapses or 0,
    }
    if stability is not None:
        return FSRSState(**common, stability=stability, difficulty=difficulty)
    return SM2State(**common)


def _state_columns(state: SM2State, prefix: str = "") -> dict[str, Any]:
    return {
        f"{prefix}repetitions": state.repetitions,
        f"{prefix}easiness": state.easiness,
        f"{prefix}interval": state.interval,
        f"{prefix}due": state.due.isoformat() if state.due else None,
        f"{prefix}lapses": state.lapses,
    }


@functools.lru_cache(maxsize=8)
def _upsert_state_sql(names: tuple[str, ...]) -> str:
    """Insert or update one card direction's state in these columns (and last_review)."""
    written = (*names, "last_review")
    return (
        f"INSERT INTO card_state (card_id, direction, {', '.join(written)}) "
        f"VALUES ({', '.join('?' * (2 + len(written)))}) "
        "ON CONFLICT (card_id, direction) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in written)
    )


def _card_state_columns(state: SM2State) -> dict[str, Any]:
    """card_state's columns for a state; FSRS's memory columns only for an FSRS state,
    so SM-2 writes the columns every schema since the first has."""
    if not isinstance(state, FSRSState):
        return _state_columns(state)
    return {**_state_columns(state), "stability": state.stability, "difficulty": state.difficulty}


def _review_row(record: ReviewRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "card_id": record.card_id,
        "direction": str(record.direction),
        "answered_at": _instant(record.answered_at),
        "day": record.day.isoformat(),
        "grade": record.grade,
        "mode": str(record.mode),
        "response_ms": record.response_ms,
        **_state_columns(record.before, "prev_"),
        **_state_columns(record.after),
    }


def _review_record(row: sqlite3.Row | Sequence[Any]) -> ReviewRecord:
    return ReviewRecord(
        id=row[0],
        card_id=row[1],
        direction=Direction(row[2]),
        answered_at=dt.datetime.fromisoformat(row[3]),
        day=dt.date.fromisoformat(row[4]),
        grade=row[5],
        mode=Mode(row[6]),
        response_ms=row[7],
        before=_state(row[8:13]),
        after=_state(row[13:18]),
    )


def _json_tuple(stored: str | None) -> tuple[str, ...]:
    """A stored JSON list; most cards have none, and skipping the parser for
    them halves the cost of loading 100k cards."""
    if not stored or stored == "[]":
        return ()
    return tuple(json.loads(stored))


def _stored_card(row: Sequence[Any]) -> StoredCard:
    return StoredCard(
        id=row[0],
        deck=row[1],
        card=Card(
            term=row[2],
            definition=row[3],
            aliases=_json_tuple(row[4]),
            tags=_json_tuple(row[5]),
            example=row[6],
            directions=_own_directions(row[9]) if len(row) > 9 else None,
            cloze=row[10] if len(row) > 10 else None,
            cloze_number=row[11] if len(row) > 11 else None,
        ),
        suspended=bool(row[7]),
        retired=bool(row[8]),
    )
