"""Untrusted packages: every broken one is one line of error and changes nothing."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.interop.anki_builders import genanki_package, stub_collection, write_zip, zstd
from tests.interop.conftest import LEGACY, MODERN, Result, database_dump, folder_snapshot
from trainer.interop.anki import Limits, PackageError, read_package


def truncated(path: Path, tmp: Path) -> None:
    data = MODERN.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def damaged_member(path: Path, tmp: Path) -> None:
    """The zip's directory is intact but the collection's bytes are not (bad CRC)."""
    data = bytearray(LEGACY.read_bytes())
    with zipfile.ZipFile(LEGACY) as archive:
        info = archive.getinfo("collection.anki21")
    start = info.header_offset + 30 + len(info.filename) + 2000
    data[start : start + 64] = bytes(64)
    path.write_bytes(bytes(data))


def parent_paths(path: Path, tmp: Path) -> None:
    with zipfile.ZipFile(MODERN) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["../../escaped.txt"] = b"where am I?"
    write_zip(path, members)


def absolute_path(path: Path, tmp: Path) -> None:
    write_zip(path, {"/etc/evil": b"x", "collection.anki2": stub_collection()})


def no_collection(path: Path, tmp: Path) -> None:
    write_zip(path, {"media": b"{}", "0": b"an image"})


def not_a_zip(path: Path, tmp: Path) -> None:
    path.write_text("Term\tDefinition\nalpha\tfirst\n", encoding="utf-8")


def empty_file(path: Path, tmp: Path) -> None:
    path.write_bytes(b"")


def zip_bomb(path: Path, tmp: Path) -> None:
    """64 MiB of zeros squeezed into a few dozen kilobytes."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("collection.anki2", "w", force_zip64=True) as member,
    ):
        chunk = bytes(1 << 20)
        for _ in range(64):
            member.write(chunk)
    path.write_bytes(buffer.getvalue())


def zstd_bomb(path: Path, tmp: Path) -> None:
    """A tiny anki21b frame that would expand to 64 MiB."""
    write_zip(
        path,
        {"collection.anki21b": zstd(bytes(64 << 20)), "collection.anki2": stub_collection()},
    )


def corrupt_zstd(path: Path, tmp: Path) -> None:
    write_zip(path, {"collection.anki21b": b"\x28\xb5\x2f\xfd garbage", "media": b""})


def not_sqlite(path: Path, tmp: Path) -> None:
    write_zip(path, {"collection.anki2": b"SQLite format 3\x00" + bytes(200)})


def wrong_database(path: Path, tmp: Path) -> None:
    import sqlite3

    db = tmp / "other.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    write_zip(path, {"collection.anki2": db.read_bytes()})


def corrupt_collection(path: Path, tmp: Path) -> None:
    made = genanki_package(tmp / "good.apkg", {"Deck": [("a", "b", [])]})
    with zipfile.ZipFile(made) as archive:
        data = bytearray(archive.read("collection.anki2"))
    data[4096:8192] = bytes(range(256)) * 16  # scribble over the second page
    write_zip(path, {"collection.anki2": bytes(data)})


def damaged_index(path: Path, tmp: Path) -> None:
    """A page no read of the import visits (an index on the notes' checksums) is
    scribbled over: only SQLite's own check, run beside the reads, finds it."""
    import sqlite3

    made = genanki_package(tmp / "good.apkg", {"Deck": [("a", "b", [])]})
    with zipfile.ZipFile(made) as archive:
        data = bytearray(archive.read("collection.anki2"))
    plain = tmp / "plain.sqlite"
    plain.write_bytes(bytes(data))
    conn = sqlite3.connect(plain)
    (root,) = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'ix_notes_csum'"
    ).fetchone()
    conn.close()
    start = (root - 1) * 4096
    data[start : start + 4096] = bytes(range(256)) * 16
    write_zip(path, {"collection.anki2": bytes(data)})


BROKEN = {
    "truncated-zip": (truncated, "not an Anki package (not a zip file, or a truncated one)"),
    "damaged-member": (damaged_member, "the package is damaged"),
    "parent-paths": (parent_paths, "unsafe path inside the package: '../../escaped.txt'"),
    "absolute-path": (absolute_path, "unsafe path"),
    "no-collection": (no_collection, "no Anki collection in the package"),
    "not-a-zip": (not_a_zip, "not an Anki package"),
    "empty-file": (empty_file, "the file is empty"),
    "zip-bomb": (zip_bomb, "possible zip bomb"),
    "zstd-bomb": (zstd_bomb, "possible zstd bomb"),
    "corrupt-zstd": (corrupt_zstd, "compressed collection is corrupt"),
    "not-sqlite": (not_sqlite, "collection database is"),
    "not-anki": (wrong_database, "not an Anki collection"),
    "corrupt-collection": (corrupt_collection, "collection database is"),
    "damaged-index": (damaged_index, "the collection database is corrupt"),
}


@pytest.mark.parametrize(("make", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_packages_fail_in_one_line_and_change_nothing(
    make: Callable[[Path, Path], None],
    message: str,
    cli: Callable[..., Result],
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRAINER_NOW", "2026-12-01T09:00:00+00:00")
    assert cli("import", str(MODERN), "--with-history").code == 0
    database, decks = home / "trainer.db", home / "decks"
    before = (database_dump(database), folder_snapshot(decks), sorted(home.iterdir()))
    package = tmp_path / "broken.apkg"
    make(package, tmp_path)
    result = cli("import", str(package), "--with-history", "--force")
    line = result.one_line_error()
    assert line.startswith(f"trainer: {package}: ")
    assert message in line
    assert (database_dump(database), folder_snapshot(decks), sorted(home.iterdir())) == before
    assert not (tmp_path.parent / "escaped.txt").exists()
    assert not list(tmp_path.glob("**/escaped.txt"))


def test_limits_are_checked_before_decompressing(tmp_path: Path) -> None:
    made = genanki_package(tmp_path / "made.apkg", {"Deck": [("a", "b", [])]})
    with zipfile.ZipFile(made) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    package = write_zip(tmp_path / "ok.apkg", members, compression=zipfile.ZIP_DEFLATED)
    assert read_package(package).notes
    with pytest.raises(PackageError, match="too large"):
        read_package(package, Limits(package_bytes=100))
    with pytest.raises(PackageError, match="would unpack to"):
        read_package(package, Limits(total_bytes=1000))
    with pytest.raises(PackageError, match="zip bomb"):
        read_package(package, Limits(ratio=1, ratio_floor=0))
    with pytest.raises(PackageError, match="too many members"):
        read_package(package, Limits(members=1))


def test_lying_sizes_are_caught_while_reading(tmp_path: Path) -> None:
    """A member whose header understates its size cannot grow past the declared size."""
    package = genanki_package(tmp_path / "ok.apkg", {"Deck": [("a", "b", [])]})
    with pytest.raises(PackageError, match="larger than the package declares or allows"):
        read_package(package, Limits(collection_bytes=1000))
