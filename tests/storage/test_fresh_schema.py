"""A new database is made from one script (``trainer.storage.fresh_schema``): it must
be the very database the migrations make, object for object and row for row."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from trainer.storage import fresh_schema
from trainer.storage.database import (
    MIGRATION_SET,
    connect,
    known_steps,
    migrate_step_by_step,
    open_connection,
)


def _everything(conn: sqlite3.Connection) -> dict[str, object]:
    """Every object of the schema (those SQLite makes itself included), every row of
    every table (FTS5's own included), the steps recorded and the header's version."""
    objects = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ).fetchall()
    tables = [name for kind, name, _, _ in objects if kind == "table"]
    rows = {
        table: sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
        for table in tables
        if table not in ("_sqlite_migrations", "cards_fts")
    }
    steps = conn.execute(
        "SELECT id, migration_set, name FROM _sqlite_migrations ORDER BY id"
    ).fetchall()
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return {"objects": objects, "rows": rows, "steps": steps, "version": version}


def test_the_script_stands_for_every_known_step() -> None:
    assert list(fresh_schema.STEPS) == known_steps()


def test_a_new_database_is_the_database_the_migrations_make(tmp_path: Path) -> None:
    migrated = connect(tmp_path / "migrated.db")
    migrated.execute("BEGIN IMMEDIATE")
    migrate_step_by_step(migrated)
    migrated.execute("COMMIT")
    current = fresh_schema.source_of(fresh_schema.statements_of(migrated))
    assert fresh_schema.statements_of(migrated) == list(fresh_schema.STATEMENTS), (
        "the migrations changed: replace STATEMENTS in trainer/storage/fresh_schema.py "
        f"with\n{current}"
    )
    created = open_connection(tmp_path / "created.db")
    assert _everything(created) == _everything(migrated)
    assert {
        name for _, set_, name in _everything(created)["steps"] if set_ == MIGRATION_SET
    } == set(  # type: ignore[attr-defined]
        known_steps()
    )


def test_a_new_database_works_for_search_and_triggers(tmp_path: Path) -> None:
    conn = open_connection(tmp_path / "t.db")
    conn.execute(
        "INSERT INTO cards (id, deck, term, definition, position) "
        "VALUES ('d/x', 'd', 'xylem', 'wood', 0)"
    )
    found = conn.execute("SELECT rowid FROM cards_fts WHERE cards_fts MATCH 'xyl*'").fetchall()
    assert len(found) == 1


def test_creating_a_new_database_loads_no_sqlite_utils(tmp_path: Path) -> None:
    code = (
        "import sys; from trainer.storage.database import open_connection; "
        f"open_connection({str(tmp_path / 'n.db')!r}); print('sqlite_utils' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
