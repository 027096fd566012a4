"""Note records of Anki imports: a bulk write builds its indexes after the rows and
still leaves the table exactly as row-by-row writes do."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from trainer.storage.anki_records import BULK_NOTES, NoteRecord, note_records, save_note_records
from trainer.storage.database import indexes_built_after, open_connection

NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def records(count: int, deck: str = "words") -> list[NoteRecord]:
    return [
        NoteRecord(
            guid=f"{deck}-{number:06d}",
            deck=deck,
            card_id=f"{deck}/term {number}",
            digest=f"{number:032x}",
            notetype_id=7,
            fields=() if number % 2 else (f"term {number}", "its definition", ""),
            term_field=0,
            definition_field=1,
            ords=(0, 1) if number % 3 else (0,),
        )
        for number in range(count)
    ]


def indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'anki_notes' "
        "ORDER BY name"
    ).fetchall()


def test_a_bulk_write_reads_back_as_written_with_its_indexes_in_place(tmp_path: Path) -> None:
    conn = open_connection(tmp_path / "t.db")
    before = indexes(conn)
    small, bulk = records(10, "small"), records(BULK_NOTES + 1)
    conn.execute("BEGIN")
    save_note_records(conn, small, NOW)
    save_note_records(conn, bulk, NOW)
    conn.execute("COMMIT")
    assert indexes(conn) == before
    read = note_records(conn, deck="words")
    assert read == {record.guid: record for record in bulk}
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT guid FROM anki_notes WHERE deck = 'small'"
    ).fetchall()
    assert "idx_anki_notes_deck" in str(plan)
    assert len(note_records(conn, deck="small")) == 10


def test_a_failed_bulk_write_keeps_the_indexes_it_dropped(tmp_path: Path) -> None:
    conn = open_connection(tmp_path / "t.db")
    before = indexes(conn)
    conn.execute("BEGIN")
    with pytest.raises(RuntimeError), indexes_built_after(conn, "anki_notes"):
        assert indexes(conn) == [("sqlite_autoindex_anki_notes_1", None)]
        raise RuntimeError("the write failed")
    conn.execute("ROLLBACK")
    assert indexes(conn) == before
