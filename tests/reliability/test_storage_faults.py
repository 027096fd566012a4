"""The disk fills up, the database is read-only, its folder is missing, its schema is wrong.

Each fault must end in one clear line (exit 1), with nothing half-written and
nothing already stored lost. Tests run as root, where ``chmod`` does not stop
writes, so read-only is simulated the way SQLite itself offers it (a
``mode=ro`` URI) and a full disk with ``PRAGMA max_page_count``; both patch the
one function that opens connections, ``trainer.storage.database.connect``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.reliability.support import (
    Connect,
    assert_cache_matches_log,
    assert_one_line_error,
    disk_full,
    dump,
    integrity,
    patch_connect,
    read_only,
    run_cli,
    run_cli_process,
    sha256,
    unpatch_connect,
)
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.model import Direction, Mode
from trainer.storage import database

NOW = "2026-03-04T09:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINER_NOW", NOW)


def glossary(tmp_path: Path, cards: int = 300, name: str = "big.tsv") -> Path:
    path = tmp_path / name
    rows = "".join(
        f"Term {i}\tDefinition number {i}, long enough to fill pages.\n" for i in range(cards)
    )
    path.write_text("Term\tDefinition\n" + rows, encoding="utf-8")
    return path


def user_db(capsys: pytest.CaptureFixture[str], home: Path) -> Path:
    """The default database, created by a first command and given some history."""
    assert run_cli(capsys, "decks").code == 0
    db = home / "trainer.db"
    trainer = Trainer.open(db)
    try:
        for grade, side in enumerate(trainer.statuses()[:6]):
            trainer.record_answer(side.card_id, side.direction, grade, Mode.STUDY)
    finally:
        trainer.close()
    return db


# --------------------------------------------------------------------- disk full
def test_disk_full_mid_session_keeps_every_committed_answer(
    make_trainer: Callable[..., Trainer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_trainer().close()  # the database exists; now the disk is full
    patch_connect(monkeypatch, disk_full)
    trainer = make_trainer()
    sides = [(s.card_id, s.direction) for s in trainer.statuses()]
    committed = []
    with pytest.raises(sqlite3.OperationalError, match="full"):
        for n in range(5000):
            card, direction = sides[n % len(sides)]
            committed.append(trainer.record_answer(card, direction, n % 6, Mode.STUDY).id)
    assert committed, "the disk should fill only after some answers"
    db = tmp_path / "trainer.db"
    conn = sqlite3.connect(db)
    stored = [row[0] for row in conn.execute("SELECT id FROM reviews ORDER BY rowid")]
    conn.close()
    assert stored == committed  # every committed answer, and not the one that failed
    assert trainer.queue() is not None  # the open trainer still reads
    trainer.close()
    assert integrity(db) == "ok"
    assert_cache_matches_log(db, tmp_path)


def test_disk_full_during_import_is_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
    isolated_user_area: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = user_db(capsys, isolated_user_area)
    before = dump(db)
    patch_connect(monkeypatch, disk_full)
    outcome = run_cli(capsys, "import", str(glossary(tmp_path)))
    assert_one_line_error(outcome, "full")
    unpatch_connect(monkeypatch)
    assert dump(db) == before
    assert integrity(db) == "ok"


def test_a_new_database_on_a_full_disk_is_refused_and_left_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "full" / "trainer.db"
    patch_connect(monkeypatch, disk_full)
    assert_one_line_error(run_cli(capsys, "--db", str(db), "decks"), str(db), "disk is full")
    unpatch_connect(monkeypatch)
    assert dump(db) == {}  # no half-created schema
    assert run_cli(capsys, "--db", str(db), "decks").code == 0  # room again: it just works


# --------------------------------------------------------------------- read-only
def test_a_read_only_database_still_answers_read_commands(
    capsys: pytest.CaptureFixture[str], isolated_user_area: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = user_db(capsys, isolated_user_area)
    before = dump(db)
    patch_connect(monkeypatch, read_only)
    for command in (["decks"], ["due", "--json"]):
        outcome = run_cli(capsys, *command)
        assert outcome.code == 0, outcome
        assert outcome.err == ""
    unpatch_connect(monkeypatch)
    assert dump(db) == before


def test_writing_to_a_read_only_database_is_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture[str],
    isolated_user_area: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = user_db(capsys, isolated_user_area)
    before = dump(db)
    patch_connect(monkeypatch, read_only)
    assert_one_line_error(run_cli(capsys, "rebuild"), "read")
    assert_one_line_error(run_cli(capsys, "import", str(glossary(tmp_path, 3))), "read")
    trainer = Trainer.open(db)
    try:
        side = trainer.statuses()[0]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            trainer.record_answer(side.card_id, side.direction, 4, Mode.STUDY)
    finally:
        trainer.close()
    unpatch_connect(monkeypatch)
    assert dump(db) == before


def test_a_read_only_location_for_a_new_database_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "ro" / "trainer.db"
    patch_connect(monkeypatch, read_only)
    assert_one_line_error(run_cli(capsys, "--db", str(db), "due"), str(db), "cannot open")
    assert not db.exists()


@pytest.mark.parametrize("fault", [disk_full, read_only], ids=["disk-full", "read-only"])
def test_a_failed_import_leaves_no_deck_file_behind(
    fault: Callable[[Connect], Connect],
    capsys: pytest.CaptureFixture[str],
    isolated_user_area: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`import` that reports failure must not leave its deck file: a retry would then
    refuse with "already exists", and the next command would load a deck the user was
    told was not imported."""
    user_db(capsys, isolated_user_area)
    source = glossary(tmp_path)
    patch_connect(monkeypatch, fault)
    assert_one_line_error(run_cli(capsys, "import", str(source)))
    unpatch_connect(monkeypatch)
    assert not (isolated_user_area / "decks" / "big.yaml").exists()
    outcome = run_cli(capsys, "import", str(source))  # the fault is gone: a retry works
    assert outcome.code == 0, outcome.err


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root writes through file permissions; the mode=ro tests above simulate this fault",
)
def test_a_chmod_read_only_database_and_folder(
    capsys: pytest.CaptureFixture[str], isolated_user_area: Path, tmp_path: Path
) -> None:
    db = user_db(capsys, isolated_user_area)
    before = dump(db)
    source = glossary(tmp_path, 3)
    folder_mode, file_mode = db.parent.stat().st_mode, db.stat().st_mode
    db.chmod(0o444)
    db.parent.chmod(0o555)
    try:
        for command in (["decks"], ["due", "--json"], ["rebuild"], ["import", str(source)]):
            outcome = run_cli(capsys, *command)
            if outcome.code != 0:
                assert_one_line_error(outcome)
    finally:
        db.parent.chmod(folder_mode)
        db.chmod(file_mode)
    assert dump(db) == before


# ------------------------------------------------------------------ missing folder
def test_a_missing_folder_for_the_database_is_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "not" / "there" / "yet" / "trainer.db"
    outcome = run_cli(capsys, "--db", str(db), "due", "--json")
    assert outcome.code == 0, outcome.err
    assert integrity(db) == "ok"


def test_a_database_path_under_a_regular_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file where a folder should be\n")
    db = blocker / "sub" / "trainer.db"
    line = assert_one_line_error(
        run_cli(capsys, "--db", str(db), "decks"), "cannot create directory"
    )
    assert str(blocker) in line
    assert blocker.read_text() == "a file where a folder should be\n"


def test_a_directory_given_as_the_database_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "folder.db"
    folder.mkdir()
    assert_one_line_error(run_cli(capsys, "--db", str(folder), "decks"), str(folder))


# ------------------------------------------------------------------------ schema
def add_future_step(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('trainer', 'm999_from_the_future', '2031-01-01')"
    )
    conn.commit()
    conn.close()


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_newer_database_is_refused_and_left_byte_for_byte(
    journal: str, capsys: pytest.CaptureFixture[str], isolated_user_area: Path
) -> None:
    """Also when the newer program left the file in rollback-journal mode: the refusal
    must come before this program switches the journal mode (which rewrites the header)."""
    db = user_db(capsys, isolated_user_area)
    add_future_step(db)
    if journal == "delete":
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA journal_mode = DELETE").fetchone()
        conn.close()
        assert db.read_bytes()[18:20] == b"\x01\x01"  # the header says rollback journal
    before = sha256(db)
    for command in (["decks"], ["due", "--json"], ["rebuild"]):
        line = assert_one_line_error(run_cli(capsys, *command), str(db), "newer version")
        assert "m999_from_the_future" in line
    outcome = run_cli_process("decks")
    assert_one_line_error(outcome, "newer version")
    assert sha256(db) == before
    assert sorted(p.name for p in db.parent.iterdir() if p.is_file()) == ["trainer.db"]


def next_version(monkeypatch: pytest.MonkeyPatch, step: Callable[[Database], None]) -> str:
    """Turn the program into a version with one more schema step than this one."""
    step.__name__ = "m900_reliability_step"
    monkeypatch.setattr(database, "SCHEMA_STEPS", (*database.SCHEMA_STEPS, step))
    return step.__name__


def test_an_older_database_is_backed_up_beside_itself_then_migrated(
    capsys: pytest.CaptureFixture[str], isolated_user_area: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = user_db(capsys, isolated_user_area)
    before = dump(db)
    assert before["reviews"]

    def add_notes(conn: Database) -> None:
        conn["cards"].add_column("note", str)

    step = next_version(monkeypatch, add_notes)
    outcome = run_cli(capsys, "decks")
    assert outcome.code == 0, outcome.err

    backup = db.with_name(f"trainer.db.before-{step}.bak")
    assert backup.is_file()
    assert dump(backup) == before
    assert integrity(backup) == "ok"
    after = dump(db)
    assert after["reviews"] == before["reviews"]
    assert [row[:4] for row in after["cards"]] == [row[:4] for row in before["cards"]]
    conn = sqlite3.connect(db)
    names = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    conn.close()
    assert names == database.known_steps()
    assert names[-1] == step


def test_a_migration_that_fails_leaves_the_database_as_it_was(
    capsys: pytest.CaptureFixture[str], isolated_user_area: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = user_db(capsys, isolated_user_area)
    before = dump(db)

    def half_done(conn: Database) -> None:
        conn["cards"].add_column("note", str)
        conn.execute("INSERT INTO no_such_table VALUES (1)")  # fails after a change

    with monkeypatch.context() as upgrade:
        next_version(upgrade, half_done)
        assert_one_line_error(run_cli(capsys, "decks"), str(db), "no_such_table")
    assert dump(db) == before
    conn = sqlite3.connect(db)
    assert "note" not in {c.name for c in Database(conn)["cards"].columns}
    conn.close()
    assert run_cli(capsys, "decks").code == 0  # the old program still opens it


def test_answers_survive_reopening_with_a_different_program_state(
    make_trainer: Callable[..., Trainer], tmp_path: Path
) -> None:
    """Reopening after a clean close: every answer and its effect are still there."""
    trainer = make_trainer()
    record = trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    trainer.close()
    again = make_trainer(settings=Settings(rollover_hour=0))
    assert again.store.review(record.id) == record
    assert again.store.state_of("small/alpha", Direction.FORWARD) == record.after
