"""Reading Anki packages (``.apkg``, ``.colpkg``) into plain dataclasses.

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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

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


DEFAULT_LIMITS = Limits()


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


@dataclass(frozen=True)
class AnkiNote:
    id: int
    guid: str
    notetype_id: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    #: modification time, epoch seconds
    mod: int = 0


@dataclass(frozen=True)
class AnkiCard:
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


@dataclass(frozen=True)
class AnkiReview:
    """One row of Anki's ``revlog``: the id is the answer time in epoch milliseconds."""

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


def read_package(path: Path, limits: Limits = DEFAULT_LIMITS) -> AnkiCollection:
    """Read the newest real collection in an Anki package, or raise PackageError."""
    import zipfile
    import zlib

    try:
        size = path.stat().st_size
    except OSError as error:
        raise PackageError(f"cannot read: {error.strerror}") from None
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
            return _read_collection(database, member.filename)
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


@contextmanager
def _open_readonly(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        conn.create_collation("unicase", _unicase)  # schema 18 declares it on names
        conn.execute("PRAGMA trusted_schema = OFF")
        yield conn
    finally:
        conn.close()


def _read_collection(path: Path, member: str) -> AnkiCollection:
    try:
        with _open_readonly(path) as conn:
            check = conn.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise PackageError("the collection database is corrupt")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if not {"col", "notes", "cards"} <= tables:
                raise PackageError("the collection is not an Anki collection (tables missing)")
            schema, crt = (int(v or 0) for v in conn.execute("SELECT ver, crt FROM col").fetchone())
            if "notetypes" in tables:
                decks = _decks_from_tables(conn)
                notetypes = _notetypes_from_tables(conn)
            else:
                models, deck_json = conn.execute("SELECT models, decks FROM col").fetchone()
                decks = _decks_from_json(deck_json)
                notetypes = _notetypes_from_json(models)
            notes = tuple(
                AnkiNote(
                    id=int(row[0]),
                    guid=str(row[1]),
                    notetype_id=int(row[2]),
                    fields=tuple(str(row[4]).split(FIELD_SEPARATOR)),
                    tags=tuple(str(row[3] or "").split()),
                    mod=int(row[5] or 0),
                )
                for row in conn.execute(
                    "SELECT id, guid, mid, tags, flds, mod FROM notes ORDER BY id"
                )
            )
            cards = tuple(
                AnkiCard(
                    int(row[0]),
                    int(row[1]),
                    int(row[3] or row[2]),
                    int(row[4]),
                    *(int(value or 0) for value in row[5:]),
                )
                for row in conn.execute(
                    "SELECT id, nid, did, odid, ord, type, queue, "
                    "CASE WHEN odid THEN odue ELSE due END, ivl, factor, reps, lapses "
                    "FROM cards ORDER BY id"
                )
            )
            revlog: tuple[AnkiReview, ...] = ()
            if "revlog" in tables:
                revlog = tuple(
                    AnkiReview(*(int(value or 0) for value in row))
                    for row in conn.execute(
                        "SELECT id, cid, ease, ivl, lastIvl, factor, time, type "
                        "FROM revlog ORDER BY id"
                    )
                )
    except sqlite3.DatabaseError as error:
        raise PackageError(f"the collection database is unreadable ({error})") from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
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


def _is_stub(collection: AnkiCollection) -> bool:
    return len(collection.notes) == 1 and any(
        STUB_MARKER in value.casefold() for value in collection.notes[0].fields
    )


def _deck_name(raw: str) -> str:
    return "::".join(part for part in str(raw).split(FIELD_SEPARATOR))


def _decks_from_tables(conn: sqlite3.Connection) -> dict[int, str]:
    return {int(row[0]): _deck_name(row[1]) for row in conn.execute("SELECT id, name FROM decks")}


def _notetypes_from_tables(conn: sqlite3.Connection) -> dict[int, Notetype]:
    fields: dict[int, list[tuple[int, str]]] = {}
    for ntid, ord_, name in conn.execute("SELECT ntid, ord, name FROM fields"):
        fields.setdefault(int(ntid), []).append((int(ord_), str(name)))
    formats: dict[int, list[tuple[int, tuple[str, str, str]]]] = {}
    for ntid, ord_, name, config in conn.execute("SELECT ntid, ord, name, config FROM templates"):
        message = _protobuf_fields(bytes(config or b""))
        entry = (str(name), _text(message.get(1)), _text(message.get(2)))
        formats.setdefault(int(ntid), []).append((int(ord_), entry))
    notetypes = {}
    for ntid, name, config in conn.execute("SELECT id, name, config FROM notetypes"):
        message = _protobuf_fields(bytes(config or b""))
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
