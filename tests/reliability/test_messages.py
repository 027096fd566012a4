"""The messages of issue 17's point 11: each one line naming the right file, no ``internal
error``, nothing half-written left behind."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.reliability.support import run_cli
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import Mode

NOW = dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRAINER_NOW", NOW.isoformat())
    path = tmp_path / "trainer.db"
    trainer = Trainer.open(path, clock=FixedClock(NOW), settings=Settings(), tz=dt.UTC)
    try:
        trainer.sync_decks()
        side = trainer.statuses()[0]
        trainer.record_answer(side.card_id, side.direction, 4, Mode.STUDY)
    finally:
        trainer.close()
    return path


def one_clean_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "internal error" not in lines[0] and "Traceback" not in err, err
    return lines[0]


def test_restore_from_a_device_says_what_it_is(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_cli(capsys, "--db", str(db), "restore", "/dev/null")
    assert outcome.code == 1
    assert one_clean_line(outcome.err) == (
        "trainer: /dev/null: not a regular file (a directory, device or pipe)"
    )


def test_a_killed_restore_leaves_no_empty_replaced_file(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.interop.backup import restore_database
    from trainer.storage import transfer

    backup = tmp_path / "backup.db"
    shutil.copyfile(db, backup)
    real = transfer._copy

    def killed(source: sqlite3.Connection, destination: Path) -> None:
        destination.write_bytes(b"")
        raise KeyboardInterrupt

    monkeypatch.setattr(transfer, "_copy", killed)
    with pytest.raises(KeyboardInterrupt):
        restore_database(db, backup, now=NOW)
    monkeypatch.setattr(transfer, "_copy", real)
    assert sorted(p.name for p in tmp_path.iterdir() if "replaced" in p.name) == []


def test_a_merge_of_rows_trainer_cannot_read_names_the_file(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.db"
    shutil.copyfile(db, other)
    with closing(sqlite3.connect(other)) as conn:
        row = conn.execute("SELECT * FROM reviews").fetchone()
        columns = [c[1] for c in conn.execute("PRAGMA table_info(reviews)")]
        bad = dict(zip(columns, row, strict=True))
        bad.update(id="bad-row", direction="sideways", answered_at="not a time")
        conn.execute(
            f"INSERT INTO reviews ({', '.join(bad)}) VALUES ({', '.join('?' * len(bad))})",
            list(bad.values()),
        )
        conn.commit()
    with closing(sqlite3.connect(db)) as conn:
        before = conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
    outcome = run_cli(capsys, "--db", str(db), "merge", str(other))
    assert outcome.code == 1
    line = one_clean_line(outcome.err)
    assert line.startswith(f"trainer: {other}: cannot merge"), line
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == before


def test_a_huge_limit_is_an_argument_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, "--db", str(db), "search", "alpha", "--limit", str(10**20))
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "must be at most" in err and "internal error" not in err


def test_non_utf8_arguments_and_file_names_are_one_line_or_work(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_cli(capsys, "--db", str(db), "search", os.fsdecode(b"caf\xe9"))
    assert outcome.code == 1
    assert "not valid UTF-8" in one_clean_line(outcome.err)
    odd = tmp_path / os.fsdecode(b"caf\xe9.tsv")
    odd.write_text("Term\tDefinition\nAlpha\tFirst.\n", encoding="utf-8")
    imported = run_cli(capsys, "--db", str(db), "import", str(odd))
    assert imported.code == 0, imported
    written = [p.name for p in (db.parent / "decks").iterdir()]
    assert written == ["caf.yaml"], written  # a UTF-8 name, the odd byte dropped by the slug
    assert "as deck 'caf'\n" in imported.out, imported.out


def test_an_overflowing_anki_review_log_is_skipped(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.interop.anki_builders import ModernCollection, ModernNote
    from tests.reliability.test_hostile_packages import package

    data = ModernCollection(
        decks={1: "Overflow"},
        notes=[ModernNote(1, ["Alpha", "First"], 1)],
        revlog=[(2**62, 1, 3, 1), (1_700_000_000_000, 1, 3, 1)],
    ).sqlite_bytes(tmp_path)
    path = package(tmp_path / "overflow.apkg", data)
    outcome = run_cli(capsys, "--db", str(db), "import", str(path), "--with-history")
    assert outcome.code == 0, outcome
    assert "1 reviews added" in outcome.out and "1 skipped" in outcome.out


def test_a_failed_backup_names_the_file_asked_for_and_leaves_nothing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.storage import transfer
    from trainer.storage.database import DatabaseError

    def failing(source: sqlite3.Connection, destination: Path) -> None:
        destination.write_bytes(b"half")
        raise DatabaseError(f"{destination}: the copy failed its integrity check")

    monkeypatch.setattr(transfer, "_copy", failing)
    out = tmp_path / "backups" / "mine.db"
    outcome = run_cli(capsys, "--db", str(db), "backup", str(out))
    assert outcome.code == 1
    line = one_clean_line(outcome.err)
    assert f"{out}: the copy failed" in line and ".tmp" not in line, line
    assert list(out.parent.iterdir()) == []
