"""Whether the ``-wal`` or ``-journal`` beside a database belongs to it.

SQLite pairs ``trainer.db`` with ``trainer.db-wal`` (and, in rollback mode,
``trainer.db-journal``) by name only. Put an older ``trainer.db`` back by hand
while the live ``-wal`` stays, and the next open replays pages of the newer
database onto the older one: the result fails ``PRAGMA integrity_check`` and
nothing can undo it. So before a database is opened its companions are read as
plain files (cheap: the log's frame headers, a page here and there) and a
write-ahead log that cannot belong to the file beside it refuses the open:

- its page size differs from the database's;
- the database file is too short for the log: a page the log's commits say
  exists lies past the file's end and is not in the log (pages can only come
  from the file or the log), which is what an older, smaller copy looks like;
- a b-tree page in the log points at a child that is neither in the log nor a
  b-tree page of the same kind in the file.

A large log is not read whole: SQLite's own index of it (the ``-shm`` file,
whose header names the last commit and whose hash tables say which frame
holds a page) answers each question in a few reads, as it does for SQLite, and
the checks look at a bounded number of pages (those right past the file's end
and a spread of the rest; the b-tree pages among the latest frames), so an
open costs the same after a 30 MB log as after none. Without a ``-shm`` that
matches the log (a crash, or a log copied alone), SQLite reads the whole log to
rebuild its index, and so does the check.

A rollback journal beside a database in WAL mode (trainer's) is always stale:
SQLite would play it back into a database it was not written for. This module
imports nothing of trainer's, so opening a database can use it freely.
"""

from __future__ import annotations

import struct
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["set_aside_stale", "stale_companion"]

_WAL_MAGIC = (0x377F0682, 0x377F0683)
_WAL_HEADER = 32
_FRAME_HEADER = 24
_JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")
#: b-tree page kinds: interior and leaf of tables, and of indexes
_TABLE_PAGES = frozenset({0x05, 0x0D})
_INDEX_PAGES = frozenset({0x02, 0x0A})


# ------------------------------------------------------------- companions
def _page_size(header: bytes) -> int | None:
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return None
    size = struct.unpack(">H", header[16:18])[0]
    return 65536 if size == 1 else size


def _wal_frames(wal: bytes, page_size: int) -> tuple[dict[int, int], int] | None:
    """The valid committed frames of a log (its bytes, read at once: a seek and a
    read per frame cost 60 ms on a 30 MB log): the latest offset of each page, and
    the database size (pages) after its last commit. None when the log holds no commit."""
    if len(wal) < _WAL_HEADER:
        return None
    magic, _version, wal_page, _seq, salt1, salt2 = struct.unpack_from(">6I", wal)
    if magic not in _WAL_MAGIC:
        return None
    if wal_page != page_size:
        raise _Stale(f"its page size ({wal_page}) differs from the database's ({page_size})")
    latest: dict[int, int] = {}
    pending: dict[int, int] = {}
    committed_size = 0
    offset = _WAL_HEADER
    end = len(wal) - _FRAME_HEADER
    unpack = struct.Struct(">4I").unpack_from
    while offset <= end:
        page, size_after, frame_salt1, frame_salt2 = unpack(wal, offset)
        if frame_salt1 != salt1 or frame_salt2 != salt2 or page == 0:
            break  # a frame of an older generation of the log: the end
        pending[page] = offset + _FRAME_HEADER
        if size_after:
            latest.update(pending)
            pending.clear()
            committed_size = size_after
        offset += _FRAME_HEADER + page_size
    return (latest, committed_size) if committed_size else None


class _Stale(Exception):
    """A companion file that does not belong to the database beside it."""


def _page(handle: object, offset: int, page_size: int) -> bytes:
    handle.seek(offset)  # type: ignore[attr-defined]
    return handle.read(page_size)  # type: ignore[attr-defined, no-any-return]


def _check_wal(db: Path, wal_path: Path) -> None:
    with db.open("rb") as db_file:
        header = db_file.read(100)
        page_size = _page_size(header)
        if page_size is None:
            return  # not a database at all: the open itself says so
        if wal_path.stat().st_size > FULL_SCAN_BYTES:
            index = _live_index(db, wal_path, page_size)
            if index is not None:
                _check_indexed(db_file, db, wal_path, index)
                return
        wal = wal_path.read_bytes()
        found = _wal_frames(wal, page_size)
        if found is None:
            return
        latest, size = found
        file_pages = db.stat().st_size // page_size
        _check_page_count(file_pages, size, latest, page_size)
        for number, offset in latest.items():
            image = wal[offset : offset + page_size]
            for child, family in _interior_children(image, number):
                if child not in latest:
                    _check_child(db_file, child, family, page_size, min(file_pages, size))


# ------------------------------------------------------- SQLite's index of the log
#: a log up to this size is read whole (under a millisecond); above it, the index is used
FULL_SCAN_BYTES = 1 << 20
#: the latest frames whose b-tree pages have their children checked, and how many children
RECENT_FRAMES = 32
CHILD_CHECKS = 256
_INDEX_VERSION = 3007000
_INDEX_HEADER = struct.Struct("=3I2BH2I2I8s2I")  # WalIndexHdr, SQLite's wal.c, native order
_INDEX_HEADER_BYTES = 136  # two copies of the header, then the checkpoint information
_BLOCK = 32768  # one hash table: 4096 page numbers (u32), then 8192 slots (u16)
_BLOCK_PAGES = 4096
_FIRST_BLOCK_PAGES = _BLOCK_PAGES - _INDEX_HEADER_BYTES // 4


@dataclass(frozen=True)
class _Index:
    """What a live ``-shm`` says about its log: the last committed frame, the
    database's size in pages after it, and the pages its committed frames hold
    (its page-number arrays: 4 bytes a frame, where the log takes a page)."""

    page_size: int
    last_frame: int
    db_pages: int
    salts: bytes
    pages: frozenset[int]


def _checksum(words: tuple[int, ...]) -> tuple[int, int]:
    """SQLite's checksum of the index header (native order, pairs of u32 words)."""
    first = second = 0
    for index in range(0, len(words), 2):
        first = (first + words[index] + second) & 0xFFFFFFFF
        second = (second + words[index + 1] + first) & 0xFFFFFFFF
    return first, second


def _live_index(db: Path, wal_path: Path, page_size: int) -> _Index | None:
    """The ``-shm`` beside ``db`` when it indexes exactly the committed frames of
    its log (same salts, a sound header, the log's last frame a commit of the
    size it names, and no committed frame after it); None otherwise."""
    try:
        with db.with_name(db.name + "-shm").open("rb") as shm_file:
            head = shm_file.read(_INDEX_HEADER_BYTES)
            if len(head) < _INDEX_HEADER_BYTES or head[:48] != head[48:96]:
                return None  # no index, or a writer changing it: read the log
            fields = _INDEX_HEADER.unpack_from(head)
            version, _unused, _change, is_init, _big_end, size_code = fields[:6]
            last_frame, db_pages, salts = fields[6], fields[7], fields[10]
            if (
                version != _INDEX_VERSION
                or not is_init
                or fields[11:] != _checksum(struct.unpack_from("=10I", head))
            ):
                return None
            if (size_code & 0xFE00) + ((size_code & 1) << 16) != page_size or last_frame == 0:
                return None
            count = (last_frame + _BLOCK_PAGES - _FIRST_BLOCK_PAGES - 1) // _BLOCK_PAGES + 1
            shm_file.seek(0)
            tables = memoryview(shm_file.read(count * _BLOCK))
    except OSError:
        return None
    if len(tables) < count * _BLOCK:
        return None
    with wal_path.open("rb") as wal:
        wal_header = wal.read(_WAL_HEADER)
        if len(wal_header) < _WAL_HEADER or wal_header[16:24] != salts:
            return None
        frame_bytes = _FRAME_HEADER + page_size
        wal.seek(_WAL_HEADER + (last_frame - 1) * frame_bytes)
        last = wal.read(_FRAME_HEADER)
        wal.seek(_WAL_HEADER + last_frame * frame_bytes)
        after = wal.read(_FRAME_HEADER)
    if len(last) < _FRAME_HEADER or last[8:16] != salts or _u32(last, 4) != db_pages:
        return None
    if len(after) == _FRAME_HEADER and after[8:16] == salts and _u32(after, 0):
        return None  # frames past the index's end: a commit it has not seen yet
    pages: set[int] = set()
    for number in range(count):
        base = number * _BLOCK
        start = base + (_INDEX_HEADER_BYTES if number == 0 else 0)
        zero = 0 if number == 0 else _FIRST_BLOCK_PAGES + (number - 1) * _BLOCK_PAGES
        numbers = tables[start : base + _BLOCK // 2].cast("I")
        pages.update(numbers[: last_frame - zero])
    return _Index(page_size, last_frame, db_pages, salts, frozenset(pages))


def _u32(data: bytes, offset: int) -> int:
    return int(struct.unpack_from(">I", data, offset)[0])


def _check_indexed(db_file: object, db: Path, wal_path: Path, index: _Index) -> None:
    """The checks of ``_check_wal`` on a bounded number of pages, through the index."""
    page_size = index.page_size
    file_pages = db.stat().st_size // page_size
    _check_page_count(file_pages, index.db_pages, index.pages, page_size)
    budget = CHILD_CHECKS
    seen: set[int] = set()
    with wal_path.open("rb") as wal:
        for frame in range(index.last_frame, max(index.last_frame - RECENT_FRAMES, 0), -1):
            wal.seek(_WAL_HEADER + (frame - 1) * (_FRAME_HEADER + page_size))
            framed = wal.read(_FRAME_HEADER + page_size)
            number = _u32(framed, 0)
            if number in seen or framed[8:16] != index.salts:
                continue
            seen.add(number)
            for child, family in _interior_children(framed[_FRAME_HEADER:], number):
                if budget <= 0:
                    return
                budget -= 1
                if child not in index.pages:
                    last = min(file_pages, index.db_pages)
                    _check_child(db_file, child, family, page_size, last)


def _check_page_count(file_pages: int, needed: int, logged: Container[int], page_size: int) -> None:
    """Every page past the database file's end, up to the ``needed`` size the log
    records, must be in the log (but the one SQLite never writes)."""
    pending_page = 0x40000000 // page_size + 1
    for number in range(file_pages + 1, needed + 1):
        if number not in logged and number != pending_page:
            raise _Stale(
                f"the database file has {file_pages} pages, but the log needs page "
                f"{number}, which neither holds"
            )


def _interior_children(image: bytes, number: int) -> Iterator[tuple[int, frozenset[int]]]:
    """The children of page ``number`` if it is an interior b-tree page, each with the
    page kinds it may have (a table's pages, or an index's)."""
    start = 100 if number == 1 else 0
    kind = image[start]
    if kind not in (0x02, 0x05):
        return
    family = _TABLE_PAGES if kind == 0x05 else _INDEX_PAGES
    for child in _children(image, start):
        yield child, family


def _check_child(
    db_file: object, child: int, family: frozenset[int], page_size: int, last: int
) -> None:
    """A child a logged page points at, and which the log lacks, must be a page of the
    database file (no later than page ``last``) of the same b-tree kind."""
    if child > last:
        raise _Stale(f"a page in the log points at page {child}, past the file")
    kind_at = (child - 1) * page_size + (100 if child == 1 else 0)
    child_kind = _page(db_file, kind_at, 1)
    if not child_kind or child_kind[0] not in family:
        raise _Stale(
            f"a page in the log points at page {child}, which is not "
            "part of the same table in the database file"
        )


def _children(image: bytes, start: int) -> Iterator[int]:
    """The child page numbers of an interior b-tree page."""
    cells = struct.unpack(">H", image[start + 3 : start + 5])[0]
    yield struct.unpack(">I", image[start + 8 : start + 12])[0]
    pointers = start + 12
    for index in range(cells):
        cell = struct.unpack(">H", image[pointers + 2 * index : pointers + 2 * index + 2])[0]
        if cell + 4 <= len(image):
            yield struct.unpack(">I", image[cell : cell + 4])[0]


def _check_journal(db: Path, journal: Path) -> None:
    with journal.open("rb") as handle:
        if handle.read(8) != _JOURNAL_MAGIC:
            return  # empty or zeroed: SQLite ignores it
    with db.open("rb") as db_file:
        header = db_file.read(100)
    if len(header) >= 20 and header[18] == 2 and header[19] == 2:
        raise _Stale("a rollback journal beside a database in WAL mode was left by another file")


def stale_companion(path: Path) -> str | None:
    """Why ``path``'s ``-wal`` or ``-journal`` file does not belong to it; None if fine.

    Reads only headers and a few pages: cheap enough for every open.
    """
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        wal = path.with_name(path.name + "-wal")
        if wal.is_file() and wal.stat().st_size > _WAL_HEADER:
            _check_wal(path, wal)
        journal = path.with_name(path.name + "-journal")
        if journal.is_file() and journal.stat().st_size > 0:
            _check_journal(path, journal)
    except _Stale as stale:
        companion = "-journal" if "journal" in str(stale) else "-wal"
        return f"{path.name}{companion} does not belong to {path.name}: {stale}"
    except (OSError, struct.error, IndexError):
        return None  # unreadable companions: SQLite's own open reports what it finds
    return None


def set_aside_stale(path: Path, stamp: str) -> list[Path]:
    """Rename a stale ``-wal`` (with its ``-shm``) or ``-journal`` beside ``path`` to
    ``<name>.stale-<stamp>``, kept for a closer look; returns the new names.

    Only a restore calls this: the user is replacing the database's content, and
    the stale companion would otherwise be folded into what is restored.
    """
    stale = stale_companion(path)
    if stale is None:
        return []
    suffixes = ("-journal",) if "-journal does not belong" in stale else ("-wal", "-shm")
    moved = []
    for suffix in suffixes:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            target = companion.with_name(f"{companion.name}.stale-{stamp}")
            companion.rename(target)
            moved.append(target)
    return moved
