"""Building Anki packages inside tests: with genanki, and by hand in the schema-18 layout."""

from __future__ import annotations

import sqlite3
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import genanki
import zstandard

from tests.interop.conftest import MODERN

BASIC = genanki.Model(
    1_607_392_319,
    "Basic",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr>{{Back}}"}],
)
REVERSED = genanki.Model(
    1_607_392_320,
    "Basic (and reversed card)",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[
        {"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{FrontSide}}<hr>{{Back}}"},
        {"name": "Card 2", "qfmt": "{{Back}}", "afmt": "{{FrontSide}}<hr>{{Front}}"},
    ],
)


def genanki_package(
    path: Path,
    decks: dict[str, Sequence[tuple[str, str, Sequence[str]]]],
    model: genanki.Model = BASIC,
) -> Path:
    """An .apkg as genanki writes it: a single ``collection.anki2``."""
    anki_decks = []
    for index, (name, notes) in enumerate(decks.items()):
        deck = genanki.Deck(2_059_400_110 + index, name)
        for front, back, tags in notes:
            deck.add_note(genanki.Note(model=model, fields=[front, back], tags=list(tags)))
        anki_decks.append(deck)
    genanki.Package(anki_decks).write_to_file(str(path), timestamp=1_700_000_000)
    return path


def stub_collection() -> bytes:
    """The placeholder ``collection.anki2`` Anki writes beside newer collections."""
    with zipfile.ZipFile(MODERN) as archive:
        return archive.read("collection.anki2")


def write_zip(
    path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED
) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


# ------------------------------------------------------- schema 18 by hand


def _unicase(left: str, right: str) -> int:
    a, b = left.casefold(), right.casefold()
    return (a > b) - (a < b)


SCHEMA_18 = """
CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL,
  scm integer NOT NULL, ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL,
  ls integer NOT NULL, conf text NOT NULL, models text NOT NULL, decks text NOT NULL,
  dconf text NOT NULL, tags text NOT NULL);
CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL,
  sfld integer NOT NULL, csum integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL,
  ord integer NOT NULL, mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL,
  queue integer NOT NULL, due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL,
  reps integer NOT NULL, lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL,
  odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL,
  ease integer NOT NULL, ivl integer NOT NULL, lastIvl integer NOT NULL,
  factor integer NOT NULL, time integer NOT NULL, type integer NOT NULL);
CREATE TABLE notetypes (id integer NOT NULL PRIMARY KEY, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL);
CREATE UNIQUE INDEX idx_notetypes_name ON notetypes (name);
CREATE TABLE fields (ntid integer NOT NULL, ord integer NOT NULL,
  name text NOT NULL COLLATE unicase, config blob NOT NULL, PRIMARY KEY (ntid, ord))
  without rowid;
CREATE TABLE templates (ntid integer NOT NULL, ord integer NOT NULL,
  name text NOT NULL COLLATE unicase, mtime_secs integer NOT NULL, usn integer NOT NULL,
  config blob NOT NULL, PRIMARY KEY (ntid, ord)) without rowid;
CREATE TABLE decks (id integer PRIMARY KEY NOT NULL, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, common blob NOT NULL, kind blob NOT NULL);
CREATE UNIQUE INDEX idx_decks_name ON decks (name);
"""


@dataclass
class ModernNote:
    id: int
    fields: Sequence[str]
    deck: int
    notetype: int = 1
    tags: Sequence[str] = ()
    #: (card id, template ord, the filtered deck the card sits in, or 0)
    cards: Sequence[tuple[int, int, int]] = ()
    guid: str = ""


@dataclass
class ModernCollection:
    decks: dict[int, str]
    notes: list[ModernNote]
    #: id: (name, field names, template count)
    notetypes: dict[int, tuple[str, Sequence[str], int]] = field(
        default_factory=lambda: {
            1: ("Basic", ("Front", "Back"), 1),
            2: ("Basic (and reversed card)", ("Front", "Back"), 2),
        }
    )
    #: (revlog id = epoch ms, card id, ease, type)
    revlog: list[tuple[int, int, int, int]] = field(default_factory=list)

    def sqlite_bytes(self, folder: Path) -> bytes:
        path = folder / "modern-collection.sqlite"
        path.unlink(missing_ok=True)
        conn = sqlite3.connect(str(path))
        conn.create_collation("unicase", _unicase)
        conn.executescript(SCHEMA_18)
        conn.execute("INSERT INTO col VALUES (1, 0, 0, 0, 18, 0, 0, 0, '', '', '', '', '')")
        for deck_id, name in self.decks.items():
            conn.execute(
                "INSERT INTO decks VALUES (?, ?, 0, 0, x'', x'')",
                [deck_id, name.replace("::", "\x1f")],
            )
        for ntid, (name, fields, templates) in self.notetypes.items():
            conn.execute("INSERT INTO notetypes VALUES (?, ?, 0, 0, x'')", [ntid, name])
            for ord_, field_name in enumerate(fields):
                conn.execute("INSERT INTO fields VALUES (?, ?, ?, x'')", [ntid, ord_, field_name])
            for ord_ in range(templates):
                conn.execute(
                    "INSERT INTO templates VALUES (?, ?, ?, 0, 0, x'')",
                    [ntid, ord_, f"Card {ord_ + 1}"],
                )
        for note in self.notes:
            conn.execute(
                "INSERT INTO notes VALUES (?, ?, ?, 0, 0, ?, ?, '', 0, 0, '')",
                [
                    note.id,
                    note.guid or f"guid{note.id}",
                    note.notetype,
                    f" {' '.join(note.tags)} " if note.tags else "",
                    "\x1f".join(note.fields),
                ],
            )
            for card_id, ord_, filtered in note.cards or [(note.id, 0, 0)]:
                did, odid = (filtered, note.deck) if filtered else (note.deck, 0)
                conn.execute(
                    "INSERT INTO cards VALUES "
                    "(?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ?, 0, '')",
                    [card_id, note.id, did, ord_, odid],
                )
        for revlog_id, card_id, ease, kind in self.revlog:
            conn.execute(
                "INSERT INTO revlog VALUES (?, ?, -1, ?, 1, 0, 2500, 4000, ?)",
                [revlog_id, card_id, ease, kind],
            )
        conn.commit()
        conn.close()
        data = path.read_bytes()
        path.unlink()
        return data

    def package(self, path: Path, *, with_stub: bool = True) -> Path:
        members = {"collection.anki21b": zstd(self.sqlite_bytes(path.parent))}
        if with_stub:
            members["collection.anki2"] = stub_collection()
        members["media"] = zstd(b"")
        return write_zip(path, members)
