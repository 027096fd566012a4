"""Reading Anki packages (``.apkg``, ``.colpkg``) into plain records (named tuples).

A package is a zip holding an SQLite collection in one of three layouts, newest
first: ``collection.anki21b`` (zstd-compressed, schema 18, the current
default), ``collection.anki21`` (plain SQLite, "support older Anki versions")
and ``collection.anki2`` (the oldest; genanki still writes it). Anki puts a
*stub* ``collection.anki2`` beside the newer files whose only note says "please
update Anki"; so the newest real collection is read, and a package whose only
collection is such a stub is refused rather than imported as one silly card.

Packages come from strangers, so nothing inside the zip is trusted:

- no path from the archive is ever used to write a file: the one member read is
  streamed into a temporary file this module names itself, and a package with
  absolute or ``..`` member names is refused outright;
- sizes are checked before anything is decompressed (the package file, the sum
  of declared sizes, each member's compression ratio) and again while
  decompressing, since declared sizes can lie (zip bombs, zstd frames without
  a content size);
- the collection is opened read-only and ``immutable`` (SQLite writes no journal
  beside it) with ``trusted_schema`` off, and every failure (a truncated zip, an
  empty or non-zip file, a corrupt database, an unexpected schema) becomes one
  ``PackageError`` with a message fit for one line.

Both schema families are understood: schema 11 keeps note types and decks as
JSON in ``col``; schema 18 has ``notetypes``, ``fields``, ``templates`` and
``decks`` tables, where nested deck names are joined by ``\\x1f`` instead of
``::``. Nothing here knows about trainer decks; ``trainer.interop.anki_import``
turns these records into decks and reviews.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, NamedTuple

from trainer.errors import TrainerError

__all__ = [
    "COLLECTION_MEMBERS",
    "AnkiCard",
    "AnkiCollection",
    "AnkiNote",
    "AnkiReview",
    "Limits",
    "Notetype",
    "PackageError",
    "read_package",
]

#: Collection members in order of preference: the newest real layout wins.
COLLECTION_MEMBERS = ("collection.anki21b", "collection.anki21", "collection.anki2")
ZSTD_MEMBER = "collection.anki21b"
STUB_MARKER = "please update to the latest anki version"
FIELD_SEPARATOR = "\x1f"
CHUNK = 1 << 20


class PackageError(TrainerError, ValueError):
    """A package that cannot be read; the message is one line without the file name."""


@dataclass(frozen=True)
class Limits:
    """Ceilings against zip and zstd bombs; generous for real collections."""

    #: the package file itself
    package_bytes: int = 2 << 30
    #: the sum of every member's declared uncompressed size
    total_bytes: int = 8 << 30
    #: the collection database after decompression
    collection_bytes: int = 4 << 30
    #: uncompressed/compressed for any member larger than ``ratio_floor``
    ratio: int = 200
    ratio_floor: int = 16 << 20
    members: int = 500_000
    #: reading the collection: wall-clock seconds for all its queries together
    seconds: float = 300.0
    #: rows read from each table; a real collection has far fewer
    notes: int = 500_000
    cards: int = 1_000_000
    revlog: int = 2_000_000
    decks: int = 100_000
    #: characters of one note's fields (a deck file holds at most 64 MB in all)
    note_chars: int = 1 << 20
    #: characters of all notes' fields together
    text_chars: int = 96 << 20
    #: SQLite's own memory (sorting, temporary tables) while reading the collection
    heap_bytes: int = 256 << 20


DEFAULT_LIMITS = Limits()
#: SQLite calls the budget check every this many virtual-machine steps
_PROGRESS_STEPS = 10_000


@dataclass(frozen=True)
class Notetype:
    id: int
    name: str
    fields: tuple[str, ...]
    #: how many card templates: a second template is the reverse card, unless cloze
    templates: int
    #: Anki's note type kind: 0 standard, 1 cloze
    kind: int = 0
    #: (name, question format, answer format) per template, in ordinal order
    formats: tuple[tuple[str, str, str], ...] = ()
    css: str = ""


class AnkiNote(NamedTuple):
    """One note. A named tuple, not a frozen dataclass: a 100k-note package builds
    one per note, and a frozen dataclass's ``__init__`` costs seven times as much."""

    id: int
    guid: str
    notetype_id: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    #: modification time, epoch seconds
    mod: int = 0


class AnkiCard(NamedTuple):
    """One card (a named tuple for the reason ``AnkiNote`` is one)."""

    id: int
    note_id: int
    #: the home deck (a card sitting in a filtered deck reports where it came from)
    deck_id: int
    ord: int
    #: Anki's card type (0 new, 1 learning, 2 review, 3 relearning) and queue
    type: int = 0
    queue: int = 0
    #: for review cards: the due day, counted from the collection's creation day
    due: int = 0
    interval: int = 0
    #: ease in permille (2500 is 2.5)
    factor: int = 0
    reps: int = 0
    lapses: int = 0


class AnkiReview(NamedTuple):
    """One row of Anki's ``revlog``: the id is the answer time in epoch milliseconds
    (a named tuple for the reason ``AnkiNote`` is one; a log has millions)."""

    id: int
    card_id: int
    ease: int
    interval: int
    last_interval: int
    factor: int
    time_ms: int
    kind: int


@dataclass(frozen=True)
class AnkiCollection:
    member: str
    schema: int
    decks: Mapping[int, str]
    notetypes: Mapping[int, Notetype]
    notes: tuple[AnkiNote, ...]
    cards: tuple[AnkiCard, ...]
    revlog: tuple[AnkiReview, ...] = field(default=())
    #: the collection's creation time (epoch seconds): day 0 of review cards' due days
    crt: int = 0


def read_package(
    path: Path, limits: Limits = DEFAULT_LIMITS, *, with_history: bool = True
) -> AnkiCollection:
    """Read the newest real collection in an Anki package, or raise PackageError.

    The review log is read only ``with_history`` (it is often the largest table),
    and so are the cards' schedules: without it every card reads as new.
    """
    import stat
    import zipfile
    import zlib

    try:
        status = path.stat()
    except OSError as error:
        raise PackageError(f"cannot read: {error.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise PackageError("not a regular file (a directory, device or pipe); not read")
    size = status.st_size
    if size == 0:
        raise PackageError("the file is empty, not an Anki package")
    if size > limits.package_bytes:
        raise PackageError(f"the package is too large ({size} bytes)")
    try:
        with (
            zipfile.ZipFile(path) as archive,
            tempfile.TemporaryDirectory(prefix="trainer-anki-") as scratch,
        ):
            member = _choose_member(archive, limits)
            database = Path(scratch) / "collection.sqlite"
            with archive.open(member) as source, database.open("wb") as target:
                if member.filename == ZSTD_MEMBER:
                    _unzstd(source, target, limits, member.compress_size)
                else:
                    _copy(source, target, limits.collection_bytes, member.file_size)
            return _read_collection(database, member.filename, limits, with_history)
    except zipfile.BadZipFile as error:
        if str(error) == "File is not a zip file":
            raise PackageError("not an Anki package (not a zip file, or a truncated one)") from None
        raise PackageError(f"the package is damaged ({error})") from None
    except (zlib.error, EOFError) as error:
        raise PackageError(f"the package is damaged or truncated ({error})") from None
    except (NotImplementedError, RuntimeError) as error:  # unknown compression, encryption
        raise PackageError(f"cannot unpack the package: {error}") from None
    except OSError as error:
        raise PackageError(f"cannot unpack the package: {error.strerror or error}") from None


# ------------------------------------------------------------------- the zip


def _choose_member(archive: Any, limits: Limits) -> Any:
    infos = archive.infolist()
    if len(infos) > limits.members:
        raise PackageError(f"the package has too many members ({len(infos)})")
    total = 0
    for info in infos:
        if not _safe_name(info.filename):
            raise PackageError(f"unsafe path inside the package: {info.filename!r}")
        if info.flag_bits & 0x1:
            raise PackageError(f"encrypted member in the package: {info.filename!r}")
        total += info.file_size
        if info.file_size > limits.ratio_floor and (
            info.file_size > limits.ratio * max(info.compress_size, 1)
        ):
            raise PackageError(
                f"member {info.filename!r} expands {info.file_size // max(info.compress_size, 1)}"
                " times: refusing a possible zip bomb"
            )
    if total > limits.total_bytes:
        raise PackageError(f"the package would unpack to {total} bytes: too large")
    by_name: dict[str, list[Any]] = {}
    for info in infos:
        by_name.setdefault(info.filename, []).append(info)
    for name in COLLECTION_MEMBERS:
        found = by_name.get(name)
        if found:
            if len(found) > 1:
                raise PackageError(f"the package holds {name!r} twice")
            return found[0]
    raise PackageError(
        "no Anki collection in the package (expected collection.anki21b, "
        "collection.anki21 or collection.anki2)"
    )


def _safe_name(name: str) -> bool:
    if not name or "\0" in name or name.startswith(("/", "\\")):
        return False
    if len(name) > 1 and name[1] == ":":  # a Windows drive
        return False
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return ".." not in parts


def _copy(source: IO[bytes], target: IO[bytes], limit: int, declared: int) -> None:
    written = 0
    while chunk := source.read(CHUNK):
        written += len(chunk)
        if written > limit or written > declared:
            raise PackageError("the collection is larger than the package declares or allows")
        target.write(chunk)


def _unzstd(source: IO[bytes], target: IO[bytes], limits: Limits, compressed: int) -> None:
    import zstandard

    ceiling = min(limits.collection_bytes, max(limits.ratio_floor, limits.ratio * compressed))
    written = 0
    try:
        with zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True) as reader:
            while chunk := reader.read(CHUNK):
                written += len(chunk)
                if written > ceiling:
                    raise PackageError(
                        "the compressed collection expands beyond the limit: "
                        "refusing a possible zstd bomb"
                    )
                target.write(chunk)
    except zstandard.ZstdError as error:
        raise PackageError(f"the compressed collection is corrupt ({error})") from None
    if written == 0:
        raise PackageError("the compressed collection is empty")


# ---------------------------------------------------------------- the database


def _unicase(left: str, right: str) -> int:
    a, b = left.casefold(), right.casefold()
    return (a > b) - (a < b)


class _Budget:
    """The time, row and character allowance of reading one collection.

    A package is a stranger's SQLite file: a ``VIEW`` named ``notes`` can run
    forever or produce a hundred million rows, a ``cards`` table can hold more
    rows than memory. SQLite calls ``tick`` every few thousand steps, so even
    one query that never yields a row is stopped; ``rows`` counts what Python
    keeps.
    """

    def __init__(self, limits: Limits) -> None:
        import time

        self.limits = limits
        self.clock = time.monotonic
        self.deadline = time.monotonic() + limits.seconds
        self.chars = 0
        self.expired = False

    def tick(self) -> int:
        if self.clock() > self.deadline:
            self.expired = True
            return 1  # SQLite interrupts the query
        return 0

    def rows(self, cursor: Iterator[Any], limit: int, what: str) -> Iterator[Any]:
        for count, row in enumerate(cursor, 1):
            if count > limit:
                raise PackageError(f"the collection has more than {limit} {what}: too large")
            yield row

    def count(self, conn: sqlite3.Connection, table: str, limit: int, what: str) -> int:
        """Refuse a table of more than ``limit`` rows before any of them is kept; its rows."""
        if self.tick():  # a small query may end before SQLite first calls ``tick``
            raise sqlite3.OperationalError("interrupted")
        (rows,) = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM [{table}] LIMIT ?)", [limit + 1]
        ).fetchone()
        if rows > limit:
            raise PackageError(f"the collection has more than {limit} {what}: too large")
        return int(rows)

    def measure_notes(self, conn: sqlite3.Connection) -> int:
        """Refuse notes too large to import, measured by SQLite before Python holds any;
        the characters of all their fields and tags."""
        longest, total = conn.execute(
            "SELECT max(max(length(flds), length(tags))), sum(length(flds)) + sum(length(tags)) "
            "FROM notes"
        ).fetchone()
        if longest is not None and int(longest) > self.limits.note_chars:
            (note,) = conn.execute(
                "SELECT id FROM notes WHERE max(length(flds), length(tags)) = ? LIMIT 1",
                [longest],
            ).fetchone()
            raise PackageError(
                f"note {note} holds {longest} characters (the limit is "
                f"{self.limits.note_chars}): too large to import"
            )
        if total is not None and int(total) > self.limits.text_chars:
            raise PackageError(
                f"the notes hold more than {self.limits.text_chars} characters: too large to import"
            )
        return int(total or 0)

    def text(self, value: object, note: object) -> str:
        text = str(value if value is not None else "")
        if len(text) > self.limits.note_chars:
            raise PackageError(
                f"note {note} holds {len(text)} characters (the limit is "
                f"{self.limits.note_chars}): too large to import"
            )
        self._spend(len(text))
        return text

    def _spend(self, size: int) -> None:
        """Count ``size`` characters (or bytes) against the package's whole text budget."""
        self.chars += size
        if self.chars > self.limits.text_chars:
            raise PackageError(
                f"the notes hold more than {self.limits.text_chars} characters: too large to import"
            )

    def blob(self, value: object, what: str) -> bytes:
        """A binary column (a note type's or template's settings), within the same budget."""
        data = bytes(value) if isinstance(value, bytes | bytearray | memoryview) else b""
        if len(data) > self.limits.note_chars:
            raise PackageError(
                f"a {what}'s settings hold {len(data)} bytes (the limit is "
                f"{self.limits.note_chars}): too large to import"
            )
        self._spend(len(data))
        return data


@contextmanager
def _heap_limit(conn: sqlite3.Connection, limit: int) -> Iterator[None]:
    """Cap SQLite's memory while a collection is read, then put the old cap back.

    The hard heap limit is process-wide (it also covers trainer's own database),
    so it is set only for the read and always restored.
    """
    previous = int(conn.execute("PRAGMA hard_heap_limit").fetchone()[0])
    conn.execute(f"PRAGMA hard_heap_limit = {int(limit)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA hard_heap_limit = {previous}")


def _readonly_connection(path: Path) -> sqlite3.Connection:
    """A read-only connection to a stranger's collection file, as every read of it opens one."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        conn.create_collation("unicase", _unicase)  # schema 18 declares it on names
        conn.execute("PRAGMA trusted_schema = OFF")
        # sorts and temporary tables in memory, under the heap limit: never a hidden
        # temporary file that grows until the disk is full
        conn.execute("PRAGMA temp_store = MEMORY")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def _open_readonly(path: Path, budget: _Budget) -> Iterator[sqlite3.Connection]:
    conn = _readonly_connection(path)
    try:
        conn.execute("PRAGMA cache_size = -16384")
        conn.set_progress_handler(budget.tick, _PROGRESS_STEPS)
        with _heap_limit(conn, budget.limits.heap_bytes):
            yield conn
    finally:
        conn.close()


@contextmanager
def _checked_meanwhile(path: Path) -> Iterator[Callable[[], bool]]:
    """Run SQLite's ``quick_check`` of the collection in a thread while it is read;
    yields a function telling, once the block is left, whether it found damage.

    The check is one long step inside SQLite, which runs without the interpreter
    lock, so it costs the reading (Python turning rows into notes) nothing: a
    tenth of a second for a 100k-note package. Damage the reads run into is
    reported by them, and whatever the check finds is refused after them, before
    anything is planned or written. The thread's connection is its own, opened as
    the reader's is and under the same heap limit; the thread is always joined
    before the block is left (a fork afterwards must see no other thread).
    """
    import threading

    verdict: list[bool] = []

    def check() -> None:
        try:
            conn = _readonly_connection(path)
            try:
                row = conn.execute("PRAGMA quick_check").fetchone()
            finally:
                conn.close()
            verdict.append(not row or row[0] != "ok")
        except Exception:  # any failure to check is taken as damage, never as health
            verdict.append(True)

    thread = threading.Thread(target=check, name="trainer-package-check", daemon=True)
    thread.start()
    try:
        yield lambda: not verdict or verdict[0]
    finally:
        thread.join()


#: objects read from a collection; each must be a real table, never a view
_SCHEMA_11_TABLES = frozenset({"col", "notes", "cards"})
_SCHEMA_18_TABLES = frozenset({"notetypes", "fields", "templates", "decks"})


def _tables(conn: sqlite3.Connection) -> set[str]:
    """The collection's tables; a required name that is a view or anything else is refused."""
    kinds: dict[str, str] = {}
    for name, kind in conn.execute("SELECT name, type FROM sqlite_master"):
        kinds.setdefault(str(name), str(kind))
    if not set(kinds) >= _SCHEMA_11_TABLES:
        raise PackageError("the collection is not an Anki collection (tables missing)")
    wanted = _SCHEMA_11_TABLES | {"revlog"}
    if "notetypes" in kinds:
        wanted |= _SCHEMA_18_TABLES
    for name in sorted(wanted & set(kinds)):
        if kinds[name] != "table":
            raise PackageError(
                f"{name!r} in the collection is a {kinds[name]}, not a table; refused"
            )
    return {name for name, kind in kinds.items() if kind == "table"}


def _read_collection(
    path: Path, member: str, limits: Limits = DEFAULT_LIMITS, with_history: bool = True
) -> AnkiCollection:
    budget = _Budget(limits)
    corrupt: Callable[[], bool] = lambda: False  # noqa: E731  (until the check runs)
    try:
        with _open_readonly(path, budget) as conn, _checked_meanwhile(path) as corrupt:
            tables = _tables(conn)
            schema, crt = (int(v or 0) for v in conn.execute("SELECT ver, crt FROM col").fetchone())
            if "notetypes" in tables:
                if not tables >= _SCHEMA_18_TABLES:
                    raise PackageError("the collection is not an Anki collection (tables missing)")
                decks = _decks_from_tables(conn, budget)
                notetypes = _notetypes_from_tables(conn, budget)
            else:
                models, deck_json = conn.execute("SELECT models, decks FROM col").fetchone()
                decks = _decks_from_json(budget.text(deck_json, "deck list"))
                notetypes = _notetypes_from_json(budget.text(models, "note type list"))
            note_count = budget.count(conn, "notes", limits.notes, "notes")
            chars = budget.measure_notes(conn)
            card_count = budget.count(conn, "cards", limits.cards, "cards")
            revlog_count = 0
            if with_history and "revlog" in tables:
                revlog_count = budget.count(conn, "revlog", limits.revlog, "review log rows")
            notes = _read_notes(conn, budget, note_count, chars)
            cards = _read_cards(conn, budget, card_count, with_schedules=with_history)
            revlog: tuple[AnkiReview, ...] = ()
            if with_history and "revlog" in tables:
                revlog = _read_revlog(conn, budget, revlog_count)
        if corrupt():
            raise PackageError("the collection database is corrupt")
    except sqlite3.DatabaseError as error:
        if corrupt():
            raise PackageError("the collection database is corrupt") from None
        if budget.expired:
            raise PackageError(
                f"reading the collection took longer than {limits.seconds:g} seconds: refused"
            ) from None
        if "memory" in str(error):
            raise PackageError(
                "reading the collection needs more memory than allowed: refused"
            ) from None
        raise PackageError(f"the collection database is unreadable ({error})") from None
    except MemoryError:
        if corrupt():
            raise PackageError("the collection database is corrupt") from None
        raise PackageError(
            "reading the collection needs more memory than allowed: refused"
        ) from None
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
        if corrupt():  # damage explains whatever else looked wrong, as when checked first
            raise PackageError("the collection database is corrupt") from None
        if isinstance(error, PackageError):
            raise
        raise PackageError(f"the collection has an unexpected shape ({error})") from None
    collection = AnkiCollection(member, schema, decks, notetypes, notes, cards, revlog, crt)
    if _is_stub(collection):
        raise PackageError(
            f"{member} is only a placeholder asking for a newer Anki, and the package holds no "
            "newer collection"
        )
    return collection


#: Notes whose every column has the type Anki writes: measured in SQL, read as they are.
_PLAIN_NOTES = (
    "SELECT id, guid, mid, flds, tags, mod FROM notes WHERE typeof(id) = 'integer' "
    "AND typeof(guid) = 'text' AND typeof(mid) = 'integer' AND typeof(flds) = 'text' "
    "AND typeof(tags) = 'text' AND typeof(mod) = 'integer' ORDER BY id LIMIT ?"
)


def _read_notes(
    conn: sqlite3.Connection, budget: _Budget, count: int, chars: int
) -> tuple[AnkiNote, ...]:
    """Every note, in id order.

    When every row has Anki's own column types (``count`` of them, ``chars``
    characters of text, both already within the limits), the rows are taken
    as SQLite gives them: per-value conversions and checks were most of
    reading a 100k-note package. Otherwise each value is checked as it is read.
    """
    new = tuple.__new__
    notes = [
        new(
            AnkiNote,
            (note_id, guid, mid, tuple(flds.split(FIELD_SEPARATOR)), tuple(tags.split()), mod),
        )
        for note_id, guid, mid, flds, tags, mod in conn.execute(_PLAIN_NOTES, [count])
    ]
    if len(notes) == count:
        budget._spend(chars)
        return tuple(notes)
    return _read_odd_notes(conn, budget)


def _read_odd_notes(conn: sqlite3.Connection, budget: _Budget) -> tuple[AnkiNote, ...]:
    """Every note of a collection some of whose values are not of Anki's types,
    each value converted and checked against the budget as it is read."""
    limit = budget.limits.notes
    notes: list[AnkiNote] = []
    append = notes.append
    rows = conn.execute("SELECT id, guid, mid, tags, flds, mod FROM notes ORDER BY id")
    for note_id, guid, notetype_id, tags, flds, mod in rows:
        if len(notes) >= limit:
            raise PackageError(f"the collection has more than {limit} notes: too large")
        flds, tags = budget.text(flds, note_id), budget.text(tags, note_id)
        append(
            AnkiNote(
                int(note_id),
                str(guid),
                int(notetype_id),
                tuple(flds.split(FIELD_SEPARATOR)),
                tuple(tags.split()),
                int(mod or 0),
            )
        )
    return tuple(notes)


#: Cards whose every column has the type Anki writes, home deck and due already chosen.
_PLAIN_CARDS = (
    "SELECT id, nid, CASE WHEN odid THEN odid ELSE did END, ord, type, queue, "
    "CASE WHEN odid THEN odue ELSE due END, ivl, factor, reps, lapses FROM cards "
    "WHERE typeof(id) = 'integer' AND typeof(nid) = 'integer' AND typeof(did) = 'integer' "
    "AND typeof(odid) = 'integer' AND typeof(ord) = 'integer' AND typeof(type) = 'integer' "
    "AND typeof(queue) = 'integer' AND typeof(due) = 'integer' AND typeof(odue) = 'integer' "
    "AND typeof(ivl) = 'integer' AND typeof(factor) = 'integer' "
    "AND typeof(reps) = 'integer' AND typeof(lapses) = 'integer' ORDER BY id LIMIT ?"
)


#: The same without the schedule, which only an import with history uses.
_PLAIN_CARD_PLACES = (
    "SELECT id, nid, CASE WHEN odid THEN odid ELSE did END, ord FROM cards "
    "WHERE typeof(id) = 'integer' AND typeof(nid) = 'integer' AND typeof(did) = 'integer' "
    "AND typeof(odid) = 'integer' AND typeof(ord) = 'integer' ORDER BY id LIMIT ?"
)
_NO_SCHEDULE = (0,) * 7


def _read_cards(
    conn: sqlite3.Connection, budget: _Budget, count: int, *, with_schedules: bool = True
) -> tuple[AnkiCard, ...]:
    """Every card (a card in a filtered deck with its home deck and due), in id order;
    rows of Anki's own types as SQLite gives them, as for notes. Without
    ``with_schedules`` a card's schedule reads as new (zeros): reading seven
    columns fewer halved reading the cards of a 100k-note package."""
    new = tuple.__new__
    if with_schedules:
        cards = [new(AnkiCard, row) for row in conn.execute(_PLAIN_CARDS, [count])]
    else:
        rest = _NO_SCHEDULE
        cards = [new(AnkiCard, row + rest) for row in conn.execute(_PLAIN_CARD_PLACES, [count])]
    if len(cards) == count:
        return tuple(cards)
    return _read_odd_cards(conn, budget)


def _read_odd_cards(conn: sqlite3.Connection, budget: _Budget) -> tuple[AnkiCard, ...]:
    """Every card of a collection some of whose values are not of Anki's types."""
    limit = budget.limits.cards
    cards: list[AnkiCard] = []
    append = cards.append
    rows = conn.execute(
        "SELECT id, nid, did, odid, ord, type, queue, "
        "CASE WHEN odid THEN odue ELSE due END, ivl, factor, reps, lapses "
        "FROM cards ORDER BY id"
    )
    for card_id, note_id, did, odid, ord_, kind, queue, due, ivl, factor, reps, lapses in rows:
        if len(cards) >= limit:
            raise PackageError(f"the collection has more than {limit} cards: too large")
        append(
            AnkiCard(
                int(card_id),
                int(note_id),
                int(odid or did),
                int(ord_),
                int(kind or 0),
                int(queue or 0),
                int(due or 0),
                int(ivl or 0),
                int(factor or 0),
                int(reps or 0),
                int(lapses or 0),
            )
        )
    return tuple(cards)


_REVLOG_COLUMNS = ("id", "cid", "ease", "ivl", "lastIvl", "factor", "time", "type")
#: Review log rows whose every column is an integer, as Anki writes them.
_PLAIN_REVLOG = (
    f"SELECT {', '.join(_REVLOG_COLUMNS)} FROM revlog WHERE "
    + " AND ".join(f"typeof({column}) = 'integer'" for column in _REVLOG_COLUMNS)
    + " ORDER BY id LIMIT ?"
)


def _read_revlog(conn: sqlite3.Connection, budget: _Budget, count: int) -> tuple[AnkiReview, ...]:
    """The review log in time order; rows of Anki's own types as SQLite gives them,
    as for notes, others converted one value at a time."""
    new = tuple.__new__
    rows = [new(AnkiReview, row) for row in conn.execute(_PLAIN_REVLOG, [count])]
    if len(rows) == count:
        return tuple(rows)
    return tuple(
        AnkiReview(*(int(value or 0) for value in row))
        for row in budget.rows(
            conn.execute(f"SELECT {', '.join(_REVLOG_COLUMNS)} FROM revlog ORDER BY id"),
            budget.limits.revlog,
            "review log rows",
        )
    )


def _is_stub(collection: AnkiCollection) -> bool:
    return len(collection.notes) == 1 and any(
        STUB_MARKER in value.casefold() for value in collection.notes[0].fields
    )


def _deck_name(raw: str) -> str:
    return "::".join(part for part in str(raw).split(FIELD_SEPARATOR))


def _decks_from_tables(conn: sqlite3.Connection, budget: _Budget) -> dict[int, str]:
    rows = budget.rows(conn.execute("SELECT id, name FROM decks"), budget.limits.decks, "decks")
    return {int(row[0]): _deck_name(budget.text(row[1], "deck name")) for row in rows}


def _notetypes_from_tables(conn: sqlite3.Connection, budget: _Budget) -> dict[int, Notetype]:
    limit = budget.limits.decks
    fields: dict[int, list[tuple[int, str]]] = {}
    rows = budget.rows(conn.execute("SELECT ntid, ord, name FROM fields"), limit, "fields")
    for ntid, ord_, name in rows:
        fields.setdefault(int(ntid), []).append((int(ord_), budget.text(name, "field name")))
    formats: dict[int, list[tuple[int, tuple[str, str, str]]]] = {}
    template_rows = budget.rows(
        conn.execute("SELECT ntid, ord, name, config FROM templates"), limit, "templates"
    )
    for ntid, ord_, name, config in template_rows:
        message = _protobuf_fields(budget.blob(config, "template"))
        entry = (budget.text(name, "template name"), _text(message.get(1)), _text(message.get(2)))
        formats.setdefault(int(ntid), []).append((int(ord_), entry))
    notetypes = {}
    for ntid, name, config in budget.rows(
        conn.execute("SELECT id, name, config FROM notetypes"), limit, "note types"
    ):
        message = _protobuf_fields(budget.blob(config, "note type"))
        kind = message.get(1, 0)
        templates = [entry for _, entry in sorted(formats.get(int(ntid), []))]
        notetypes[int(ntid)] = Notetype(
            int(ntid),
            str(name),
            tuple(name for _, name in sorted(fields.get(int(ntid), []))),
            len(templates),
            kind=kind if isinstance(kind, int) else 0,
            formats=tuple(templates),
            css=_text(message.get(3)),
        )
    return notetypes


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


def _protobuf_fields(data: bytes) -> dict[int, int | bytes]:
    """The top-level fields of a protobuf message (last value wins), enough to read a
    note type's kind and css and a template's formats from schema 18's ``config``."""
    found: dict[int, int | bytes] = {}
    position = 0

    def varint() -> int:
        nonlocal position
        value = shift = 0
        while True:
            if position >= len(data) or shift > 63:
                raise ValueError("truncated protobuf")
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while position < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            found[number] = varint()
        elif wire == 2:
            size = varint()
            found[number] = data[position : position + size]
            position += size
        elif wire in (1, 5):
            position += 8 if wire == 1 else 4
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
    return found


def _decks_from_json(text: str) -> dict[int, str]:
    data = json.loads(text)
    return {int(key): _deck_name(value["name"]) for key, value in data.items()}


def _notetypes_from_json(text: str) -> dict[int, Notetype]:
    data = json.loads(text)
    notetypes = {}
    for key, value in data.items():
        fields = sorted(value.get("flds", []), key=lambda f: int(f.get("ord", 0)))
        templates = sorted(value.get("tmpls", []), key=lambda t: int(t.get("ord", 0)))
        notetypes[int(key)] = Notetype(
            int(key),
            str(value.get("name", "")),
            tuple(str(f["name"]) for f in fields),
            len(templates),
            kind=int(value.get("type", 0) or 0),
            formats=tuple(
                (str(t.get("name", "")), str(t.get("qfmt", "")), str(t.get("afmt", "")))
                for t in templates
            ),
            css=str(value.get("css", "")),
        )
    return notetypes
