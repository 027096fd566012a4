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

A rollback journal beside a database in WAL mode (trainer's) is always stale:
SQLite would play it back into a database it was not written for. This module
imports nothing of trainer's, so opening a database can use it freely.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

__all__ = ["set_aside_stale", "stale_companion"]

_WAL_MAGIC = (0x377F0682, 0x377F0683)
_WAL_HEADER = 32
_FRAME_HEADER = 24
_JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")
#: b-tree page kinds: interior and leaf of tables, and of indexes
_TABLE_PAGES = {0x05, 0x0D}
_INDEX_PAGES = {0x02, 0x0A}


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
        wal = wal_path.read_bytes()
        found = _wal_frames(wal, page_size)
        if found is None:
            return
        latest, size = found
        file_pages = db.stat().st_size // page_size
        pending_page = 0x40000000 // page_size + 1  # SQLite never writes this one
        for number in range(file_pages + 1, size + 1):
            if number not in latest and number != pending_page:
                raise _Stale(
                    f"the database file has {file_pages} pages, but the log needs page "
                    f"{number}, which neither holds"
                )
        for number, offset in latest.items():
            image = wal[offset : offset + page_size]
            start = 100 if number == 1 else 0
            kind = image[start]
            if kind not in (0x02, 0x05):
                continue
            family = _TABLE_PAGES if kind == 0x05 else _INDEX_PAGES
            for child in _children(image, start):
                if child in latest:
                    continue
                if child > file_pages or child > size:
                    raise _Stale(f"a page in the log points at page {child}, past the file")
                child_image = _page(db_file, (child - 1) * page_size, page_size)
                child_kind = child_image[100 if child == 1 else 0]
                if child_kind not in family:
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
