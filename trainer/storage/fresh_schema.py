"""A new database's schema in one script: what all the migrations leave behind.

A first run (``trainer import`` into an empty home, say) spent about a tenth
of a second importing sqlite-utils and running the steps one by one.
A database with no step applied is created from ``STATEMENTS`` instead, and
the steps are recorded as applied, as sqlite-utils records them.
``tests/storage/test_fresh_schema.py`` proves the result equal to the migrated
database (every object's SQL, every row); when a new step is added it fails
and prints the new script.
"""

# ruff: noqa: E501  (the generated statements are one string each)
from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence

__all__ = ["STATEMENTS", "STEPS", "create", "source_of", "statements_of"]

#: The names of the steps ``STATEMENTS`` stands for, in order.
STEPS = (
    "m001_initial",
    "m002_search_and_leeches",
    "m003_quiz_seed",
    "m004_reviews_by_card_and_day",
    "m005_hardest_cards",
    "m006_browse_by_term",
    "m007_statistics_indexes",
    "m008_fsrs",
    "m009_missing_term_drafts",
    "m010_anki_notes",
    "m011_refused_deck_files",
    "m012_browse_by_schedule",
    "m013_progress_indexes",
    "m014_search_short_prefixes",
    "m015_daily_totals",
    "m016_leech_index",
    "m017_browse_filters",
    "m018_review_histories",
    "m019_due_directions",
    "m020_due_directions_off_answers",
    "m021_anki_note_mod",
    "m022_anki_schedules",
    "m023_fewer_answer_indexes",
    "m024_sorted_states",
)

# generated from a migrated database by tests/storage/test_fresh_schema.py: do not edit by hand
STATEMENTS: tuple[str, ...] = (
    'CREATE TABLE "_sqlite_migrations" (\n   "id" INTEGER PRIMARY KEY,\n   "migration_set" TEXT,\n   "name" TEXT,\n   "applied_at" TEXT\n)',
    'CREATE TABLE "decks" (\n   "slug" TEXT PRIMARY KEY,\n   "name" TEXT NOT NULL,\n   "description" TEXT,\n   "source" TEXT,\n   "directions" TEXT NOT NULL DEFAULT \'["forward"]\',\n   "path" TEXT,\n   "size" INTEGER,\n   "mtime_ns" INTEGER,\n   "sha256" TEXT,\n   "retired" INTEGER NOT NULL DEFAULT 0\n, changed_at TEXT)',
    'CREATE TABLE "cards" (\n   "id" TEXT PRIMARY KEY,\n   "deck" TEXT NOT NULL,\n   "term" TEXT NOT NULL,\n   "definition" TEXT NOT NULL,\n   "aliases" TEXT DEFAULT \'[]\',\n   "tags" TEXT DEFAULT \'[]\',\n   "example" TEXT,\n   "position" INTEGER NOT NULL,\n   "retired" INTEGER NOT NULL DEFAULT 0,\n   "suspended" INTEGER NOT NULL DEFAULT 0,\n   "added_at" TEXT\n, "leech_at" TEXT, changed_at TEXT, directions TEXT, cloze TEXT, cloze_number INTEGER, due_directions INTEGER NOT NULL DEFAULT 4)',
    'CREATE TABLE "card_state" (\n   "card_id" TEXT,\n   "direction" TEXT,\n   "repetitions" INTEGER,\n   "easiness" REAL,\n   "interval" INTEGER,\n   "due" TEXT,\n   "lapses" INTEGER,\n   "last_review" TEXT, "stability" REAL, "difficulty" REAL,\n   PRIMARY KEY ("card_id", "direction")\n)',
    'CREATE TABLE "reviews" (\n   "id" TEXT PRIMARY KEY,\n   "card_id" TEXT NOT NULL,\n   "direction" TEXT NOT NULL,\n   "answered_at" TEXT NOT NULL,\n   "day" TEXT NOT NULL,\n   "grade" INTEGER NOT NULL,\n   "mode" TEXT NOT NULL,\n   "response_ms" INTEGER,\n   "prev_repetitions" INTEGER,\n   "prev_easiness" REAL,\n   "prev_interval" INTEGER,\n   "prev_due" TEXT,\n   "prev_lapses" INTEGER,\n   "repetitions" INTEGER,\n   "easiness" REAL,\n   "interval" INTEGER,\n   "due" TEXT,\n   "lapses" INTEGER\n)',
    'CREATE TABLE "review_undos" (\n   "review_id" TEXT PRIMARY KEY,\n   "undone_at" TEXT\n)',
    'CREATE TABLE "quiz_attempts" (\n   "id" TEXT PRIMARY KEY,\n   "started_at" TEXT,\n   "finished_at" TEXT,\n   "day" TEXT,\n   "decks" TEXT,\n   "source" TEXT,\n   "direction" TEXT,\n   "correct" INTEGER,\n   "total" INTEGER,\n   "seconds" REAL,\n   "questions" TEXT\n, "seed" INTEGER)',
    'CREATE TABLE "scheduler_fits" (\n   "id" INTEGER PRIMARY KEY,\n   "scheduler" TEXT NOT NULL,\n   "fitted_at" TEXT NOT NULL,\n   "parameters" TEXT NOT NULL,\n   "reviews" INTEGER NOT NULL,\n   "through_day" TEXT\n)',
    'CREATE TABLE "meta" (\n   "key" TEXT PRIMARY KEY,\n   "value" TEXT\n)',
    "CREATE TABLE drafts (deck TEXT NOT NULL, number INTEGER NOT NULL, definition TEXT NOT NULL, PRIMARY KEY (deck, number))",
    "CREATE TABLE anki_notes (\n               guid TEXT PRIMARY KEY, deck TEXT NOT NULL, card_id TEXT NOT NULL,\n               digest TEXT NOT NULL, notetype_id INTEGER, fields TEXT, term_field INTEGER,\n               definition_field INTEGER, ords TEXT, imported_at TEXT, anki_mod INTEGER)",
    "CREATE TABLE anki_notetypes (\n               id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind INTEGER NOT NULL,\n               fields TEXT NOT NULL, templates TEXT NOT NULL, css TEXT)",
    "CREATE TABLE refused_deck_files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, message TEXT NOT NULL)",
    'CREATE VIRTUAL TABLE "cards_fts" USING FTS5 ("term", "definition", "aliases", "tags", tokenize=\'unicode61 remove_diacritics 2\', content="cards", prefix=\'1 2\')',
    "CREATE TABLE daily_totals (\n            day TEXT NOT NULL, deck TEXT NOT NULL,\n            reviews INTEGER NOT NULL, response_ms INTEGER NOT NULL,\n            new_cards INTEGER NOT NULL, young_total INTEGER NOT NULL,\n            young_passed INTEGER NOT NULL, mature_total INTEGER NOT NULL,\n            mature_passed INTEGER NOT NULL,\n            PRIMARY KEY (deck, day)\n        ) WITHOUT ROWID",
    "CREATE TABLE anki_schedules (\n               card_id TEXT NOT NULL, direction TEXT NOT NULL, answered_at TEXT NOT NULL,\n               due TEXT NOT NULL, interval INTEGER NOT NULL, easiness REAL,\n               PRIMARY KEY (card_id, direction))",
    "CREATE TABLE sorted_states (\n               card_id TEXT NOT NULL, direction TEXT NOT NULL, repetitions INTEGER,\n               easiness REAL, interval INTEGER, due TEXT, lapses INTEGER,\n               last_review TEXT, stability REAL, difficulty REAL,\n               PRIMARY KEY (card_id, direction)) WITHOUT ROWID",
    "CREATE TABLE unsorted_states (\n               card_id TEXT NOT NULL, direction TEXT NOT NULL,\n               PRIMARY KEY (card_id, direction)) WITHOUT ROWID",
    'CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"\n    ON "_sqlite_migrations" ("migration_set", "name")',
    'CREATE INDEX "idx_cards_deck_position"\n    ON "cards" ("deck", "position")',
    'CREATE INDEX "idx_reviews_day"\n    ON "reviews" ("day")',
    'CREATE INDEX "idx_reviews_answered_at"\n    ON "reviews" ("answered_at")',
    'CREATE INDEX "idx_quiz_attempts_day"\n    ON "quiz_attempts" ("day")',
    "CREATE INDEX idx_cards_term ON cards (term COLLATE NOCASE)",
    "CREATE INDEX idx_cards_deck_retired ON cards (deck, retired, suspended)",
    "CREATE INDEX idx_card_state_deck ON card_state (substr(card_id, 1, instr(card_id, '/') - 1), direction, repetitions, interval)",
    "CREATE INDEX idx_anki_notes_deck ON anki_notes (deck)",
    "CREATE INDEX idx_cards_deck_directions ON cards (deck, retired, directions)",
    "CREATE INDEX idx_card_state_due_card ON card_state (due, card_id, direction)",
    "CREATE INDEX idx_cards_leech ON cards (leech_at) WHERE leech_at IS NOT NULL",
    "CREATE INDEX idx_cards_deck_leech ON cards (deck, retired) WHERE leech_at IS NOT NULL",
    "CREATE INDEX idx_cards_suspended ON cards (deck, retired) WHERE suspended = 1",
    "CREATE INDEX idx_cards_deck_term ON cards (deck, term COLLATE NOCASE)",
    "CREATE INDEX idx_card_state_undue ON card_state (card_id, direction) WHERE coalesce(due, '') = ''",
    "CREATE INDEX idx_reviews_history ON reviews (card_id, direction, answered_at, mode, day, grade)",
    "CREATE INDEX idx_cards_due_directions ON cards (deck, retired, due_directions)",
    "CREATE INDEX idx_sorted_states_repetitions ON sorted_states (repetitions)",
    "CREATE INDEX idx_sorted_states_interval ON sorted_states (interval)",
    "CREATE INDEX idx_sorted_states_easiness ON sorted_states (easiness)",
    "CREATE INDEX idx_sorted_states_hardest ON sorted_states (lapses DESC, easiness, card_id, direction)",
    "CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END",
    "CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END",
    'CREATE TRIGGER "cards_ai" AFTER INSERT ON "cards" BEGIN\n  INSERT INTO "cards_fts" (rowid, "term", "definition", "aliases", "tags") VALUES (new.rowid, new."term", new."definition", new."aliases", new."tags");\nEND',
    'CREATE TRIGGER "cards_ad" AFTER DELETE ON "cards" BEGIN\n  INSERT INTO "cards_fts" ("cards_fts", rowid, "term", "definition", "aliases", "tags") VALUES(\'delete\', old.rowid, old."term", old."definition", old."aliases", old."tags");\nEND',
    'CREATE TRIGGER "cards_au" AFTER UPDATE OF "term", "definition", "aliases", "tags" ON "cards" BEGIN\n  INSERT INTO "cards_fts" ("cards_fts", rowid, "term", "definition", "aliases", "tags") VALUES(\'delete\', old.rowid, old."term", old."definition", old."aliases", old."tags");\n  INSERT INTO "cards_fts" (rowid, "term", "definition", "aliases", "tags") VALUES (new.rowid, new."term", new."definition", new."aliases", new."tags");\nEND',
    "CREATE TRIGGER card_state_due_directions_au AFTER UPDATE ON card_state WHEN old.card_id IS NOT new.card_id OR old.direction IS NOT new.direction OR (coalesce(old.due, '') > '') IS NOT (coalesce(new.due, '') > '') BEGIN UPDATE cards SET due_directions = (SELECT coalesce(sum(CASE s.direction WHEN 'forward' THEN 1 WHEN 'reverse' THEN 2 ELSE 0 END), 0) FROM card_state s WHERE s.card_id = old.card_id AND s.due > '') WHERE id = old.card_id AND due_directions IS NOT (SELECT coalesce(sum(CASE s.direction WHEN 'forward' THEN 1 WHEN 'reverse' THEN 2 ELSE 0 END), 0) FROM card_state s WHERE s.card_id = old.card_id AND s.due > ''); UPDATE cards SET due_directions = (SELECT coalesce(sum(CASE s.direction WHEN 'forward' THEN 1 WHEN 'reverse' THEN 2 ELSE 0 END), 0) FROM card_state s WHERE s.card_id = new.card_id AND s.due > '') WHERE id = new.card_id AND due_directions IS NOT (SELECT coalesce(sum(CASE s.direction WHEN 'forward' THEN 1 WHEN 'reverse' THEN 2 ELSE 0 END), 0) FROM card_state s WHERE s.card_id = new.card_id AND s.due > ''); END",
    "CREATE TRIGGER card_state_due_directions_ad AFTER DELETE ON card_state WHEN old.due > '' BEGIN UPDATE cards SET due_directions = (SELECT coalesce(sum(CASE s.direction WHEN 'forward' THEN 1 WHEN 'reverse' THEN 2 ELSE 0 END), 0) FROM card_state s WHERE s.card_id = old.card_id AND s.due > '') WHERE id = old.card_id AND due_directions IS NOT (SELECT coalesce(sum(CASE s.direction WHEN 'forward' THEN 1 WHEN 'reverse' THEN 2 ELSE 0 END), 0) FROM card_state s WHERE s.card_id = old.card_id AND s.due > ''); END",
    "CREATE TRIGGER card_state_due_directions_mark AFTER DELETE ON card_state BEGIN UPDATE meta SET value = coalesce((SELECT max(rowid) FROM card_state), 0) WHERE key = 'due_directions_settled_through' AND coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'due_directions_settled_through'), 0) > coalesce((SELECT max(rowid) FROM card_state), 0); END",
    "CREATE TRIGGER card_state_unsorted_i AFTER INSERT ON card_state BEGIN INSERT INTO unsorted_states (card_id, direction) SELECT new.card_id, new.direction WHERE new.card_id IS NOT NULL AND new.direction IS NOT NULL AND NOT EXISTS (SELECT 1 FROM unsorted_states WHERE card_id = new.card_id AND direction = new.direction); END",
    "CREATE TRIGGER card_state_unsorted_u AFTER UPDATE ON card_state BEGIN INSERT INTO unsorted_states (card_id, direction) SELECT new.card_id, new.direction WHERE new.card_id IS NOT NULL AND new.direction IS NOT NULL AND NOT EXISTS (SELECT 1 FROM unsorted_states WHERE card_id = new.card_id AND direction = new.direction); INSERT INTO unsorted_states (card_id, direction) SELECT old.card_id, old.direction WHERE old.card_id IS NOT NULL AND old.direction IS NOT NULL AND NOT EXISTS (SELECT 1 FROM unsorted_states WHERE card_id = old.card_id AND direction = old.direction); END",
    "CREATE TRIGGER card_state_unsorted_d AFTER DELETE ON card_state BEGIN INSERT INTO unsorted_states (card_id, direction) SELECT old.card_id, old.direction WHERE old.card_id IS NOT NULL AND old.direction IS NOT NULL AND NOT EXISTS (SELECT 1 FROM unsorted_states WHERE card_id = old.card_id AND direction = old.direction); END",
    'INSERT INTO "meta" VALUES (\'daily_totals_mark\', \'{"reviews": 0, "id": null, "undos": 0}\')',
    'INSERT INTO "cards_fts" ("cards_fts") VALUES (\'rebuild\')',
)


def create(conn: sqlite3.Connection, migration_set: str) -> None:
    """Create the schema in an empty database and record its steps (the caller
    holds the transaction)."""
    for statement in STATEMENTS:
        conn.execute(statement)
    applied_at = str(dt.datetime.now(dt.UTC))
    conn.executemany(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [(migration_set, name, applied_at) for name in STEPS],
    )


def statements_of(conn: sqlite3.Connection) -> list[str]:
    """The statements that build ``conn``'s schema and rows again: tables, then
    indexes, then triggers, each in the order they were made, then the rows
    (the tables SQLite makes itself, FTS5's shadow tables and the steps'
    record excepted)."""
    shadow = {
        row[0] for row in conn.execute("SELECT name FROM pragma_table_list WHERE type = 'shadow'")
    }
    objects = [
        (kind, name, sql)
        for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        )
        if name not in shadow and not name.startswith("sqlite_")
    ]
    statements = [
        sql for kind in ("table", "index", "trigger") for k, _, sql in objects if k == kind
    ]
    for kind, name, _ in objects:
        if kind == "table" and name != "_sqlite_migrations":
            statements += _inserts(conn, name)
    # a search index built over its (empty) table holds an averages record that a
    # merely created one lacks: rebuilt, the two are the same bytes
    statements += [
        f'INSERT INTO "{name}" ("{name}") VALUES (\'rebuild\')'
        for kind, name, sql in objects
        if kind == "table" and "USING FTS5" in sql.upper()
    ]
    return statements


def _inserts(conn: sqlite3.Connection, table: str) -> list[str]:
    rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
    return [
        f'INSERT INTO "{table}" VALUES ({", ".join(_literal(conn, v) for v in row)})'
        for row in rows
    ]


def _literal(conn: sqlite3.Connection, value: object) -> str:
    return str(conn.execute("SELECT quote(?)", [value]).fetchone()[0])


def source_of(statements: Sequence[str]) -> str:
    """``STATEMENTS`` as Python source."""
    lines = ["STATEMENTS: tuple[str, ...] = ("]
    lines += [f"    {statement!r}," for statement in statements]
    lines.append(")")
    return "\n".join(lines)
