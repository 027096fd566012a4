"""``trainer check`` and the stale write-ahead log: an older ``trainer.db`` copied back by
hand while the live ``-wal`` stays is refused before SQLite can fold the two together."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.reliability.support import run_cli
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import Mode
from trainer.storage import companions
from trainer.storage.integrity import stale_companion

NOW = dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC)


def answer(trainer: Trainer, count: int) -> None:
    sides = trainer.statuses()
    for index in range(count):
        side = sides[index % len(sides)]
        trainer.record_answer(side.card_id, side.direction, 4, Mode.DRILL)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_trainer(db: Path) -> Trainer:
    trainer = Trainer.open(db, clock=FixedClock(NOW), settings=Settings(), tz=dt.UTC)
    trainer.sync_decks()
    return trainer


@pytest.fixture(params=["log alone", "log and its index"])
def stale_pair(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """``put-back/trainer.db``: an older copy, beside the ``-wal`` of the live database
    (a large one: over a megabyte) and, in the second case, its ``-shm`` taken while
    the live database is open, as a copy put back under a running trainer finds them."""
    live = tmp_path / "live" / "trainer.db"
    trainer = open_trainer(live)
    try:
        answer(trainer, 50)
        trainer.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        older = tmp_path / "older.db"
        shutil.copyfile(live, older)  # the user's copy, taken at this point
        answer(trainer, 600)  # the database grows ...
        trainer.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        trainer.store.conn.execute("PRAGMA wal_autocheckpoint = 0")
        answer(trainer, 600)  # ... and these answers are only in the log
        put_back = tmp_path / "put-back"
        put_back.mkdir()
        shutil.copyfile(live.with_name("trainer.db-wal"), put_back / "trainer.db-wal")
        if request.param == "log and its index":
            shutil.copyfile(live.with_name("trainer.db-shm"), put_back / "trainer.db-shm")
        shutil.copyfile(older, put_back / "trainer.db")  # copied back by hand
    finally:
        trainer.close()
    return put_back / "trainer.db"


def test_a_stale_log_is_refused_on_open_and_nothing_changes(
    stale_pair: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wal = stale_pair.with_name("trainer.db-wal")
    before = (digest(stale_pair), digest(wal))
    assert stale_companion(stale_pair) is not None
    for command in (["due"], ["decks"], ["backup", str(stale_pair.with_name("b.db"))]):
        outcome = run_cli(capsys, "--db", str(stale_pair), *command)
        assert outcome.code == 1, outcome
        assert len(outcome.err_lines) == 1, outcome.err
        assert "trainer.db-wal does not belong to trainer.db" in outcome.err
        assert "trainer check" in outcome.err
        assert (digest(stale_pair), digest(wal)) == before
    assert not stale_pair.with_name("b.db").exists()


def test_check_reports_it_and_repair_writes_a_sound_copy(
    stale_pair: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wal = stale_pair.with_name("trainer.db-wal")
    before = (digest(stale_pair), digest(wal))
    checked = run_cli(capsys, "--db", str(stale_pair), "check")
    assert checked.code == 1
    assert "does not belong to trainer.db" in checked.out
    assert "\x1b" not in checked.out
    out = stale_pair.with_name("repaired.db")
    repaired = run_cli(capsys, "--db", str(stale_pair), "check", "--repair", "--out", str(out))
    assert repaired.code == 1  # the original still has its problem
    assert f"wrote a repaired copy to {out}" in repaired.out
    assert (digest(stale_pair), digest(wal)) == before
    with closing(sqlite3.connect(out)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 50
    again = run_cli(capsys, "--db", str(out), "check")
    assert again.code == 0 and again.out.startswith("ok: repaired.db is sound: 50 reviews")
    # the way back: restore the repaired copy; the stale log is set aside, not folded in
    restored = run_cli(capsys, "--db", str(stale_pair), "restore", str(out))
    assert restored.code == 0, restored
    assert not wal.exists()
    assert [p.name for p in stale_pair.parent.glob("trainer.db-wal.stale-*")]
    assert run_cli(capsys, "--db", str(stale_pair), "check").code == 0


def test_a_sound_live_log_is_not_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "trainer.db"
    trainer = open_trainer(db)
    try:
        trainer.store.conn.execute("PRAGMA wal_autocheckpoint = 0")
        answer(trainer, 300)
        assert db.with_name("trainer.db-wal").stat().st_size > 0
        assert stale_companion(db) is None
        outcome = run_cli(capsys, "--db", str(db), "check")  # while the trainer is open
        assert outcome.code == 0, outcome
        assert "300 reviews" in outcome.out
        assert run_cli(capsys, "--db", str(db), "due").code == 0
    finally:
        trainer.close()


@pytest.fixture
def whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files read whole (``Path.read_bytes``)."""
    names: list[str] = []
    original = Path.read_bytes

    def counting(path: Path) -> bytes:
        names.append(path.name)
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", counting)
    return names


def test_a_stale_large_log_with_its_index_is_found_without_reading_it(
    stale_pair: Path, whole_reads: list[str]
) -> None:
    wal = stale_pair.with_name("trainer.db-wal")
    assert wal.stat().st_size > companions.FULL_SCAN_BYTES
    assert stale_companion(stale_pair) is not None
    indexed = stale_pair.with_name("trainer.db-shm").exists()
    assert ("trainer.db-wal" in whole_reads) is not indexed


@pytest.fixture
def large_live_log(tmp_path: Path) -> Iterator[Trainer]:
    """A trainer, still open, whose 300 answers are all in a log of over a megabyte."""
    trainer = open_trainer(tmp_path / "trainer.db")
    try:
        trainer.store.conn.execute("PRAGMA wal_autocheckpoint = 0")
        answer(trainer, 300)
        yield trainer
    finally:
        trainer.close()


def test_a_sound_large_live_log_is_checked_through_its_index(
    tmp_path: Path, whole_reads: list[str], large_live_log: Trainer
) -> None:
    db = tmp_path / "trainer.db"
    assert db.with_name("trainer.db-wal").stat().st_size > companions.FULL_SCAN_BYTES
    assert stale_companion(db) is None
    assert "trainer.db-wal" not in whole_reads
    # a second trainer opens it while the first is still open
    with Trainer.open(db, clock=FixedClock(NOW), settings=Settings(), tz=dt.UTC) as other:
        assert other.store.conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 300


def test_an_index_that_does_not_match_its_log_is_not_trusted(
    tmp_path: Path, whole_reads: list[str], large_live_log: Trainer
) -> None:
    """An index of another log, or one behind its log, means reading the log."""
    db, trainer = tmp_path / "trainer.db", large_live_log
    shm = db.with_name("trainer.db-shm")
    wal = db.with_name("trainer.db-wal")
    behind = shm.read_bytes()  # the index now; the log grows past it
    answer(trainer, 30)
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copyfile(db, copy / "trainer.db")
    shutil.copyfile(wal, copy / "trainer.db-wal")
    (copy / "trainer.db-shm").write_bytes(behind)
    assert stale_companion(copy / "trainer.db") is None
    assert whole_reads.count("trainer.db-wal") == 1
    other_salts = bytearray(shm.read_bytes())
    other_salts[32] ^= 0xFF  # both copies of the header name another log
    other_salts[80] ^= 0xFF
    (copy / "trainer.db-shm").write_bytes(other_salts)
    assert stale_companion(copy / "trainer.db") is None
    assert whole_reads.count("trainer.db-wal") == 2


def test_states_that_disagree_with_the_log_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "trainer.db"
    trainer = open_trainer(db)
    try:
        side = trainer.statuses()[0]
        trainer.record_answer(side.card_id, side.direction, 5, Mode.STUDY)
        trainer.store.conn.execute("UPDATE card_state SET interval = 999")
    finally:
        trainer.close()
    outcome = run_cli(capsys, "--db", str(db), "check")
    assert outcome.code == 1
    assert "1 of 1 card states differ from what the review log says" in outcome.out


def test_a_stale_journal_beside_a_wal_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "trainer.db"
    open_trainer(db).close()
    journal = db.with_name("trainer.db-journal")
    journal.write_bytes(bytes.fromhex("d9d505f920a163d7") + bytes(504))
    outcome = run_cli(capsys, "--db", str(db), "due")
    assert outcome.code == 1 and "trainer.db-journal does not belong" in outcome.err
    assert journal.exists()


def test_a_database_this_process_holds_open_is_not_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the companions closes descriptors of them, which would drop this
    process's SQLite locks: a second connection beside an open one skips the check."""
    from trainer.storage import database

    checked: list[Path] = []
    real = companions.stale_companion

    def counting(path: Path) -> str | None:
        checked.append(path)
        return real(path)

    monkeypatch.setattr(companions, "stale_companion", counting)
    db = tmp_path / "trainer.db"
    first = database.connect(db)
    second = database.connect(tmp_path / "." / "trainer.db")  # the same file, named otherwise
    assert len(checked) == 1
    second.close()
    first.close()
    database.connect(db).close()  # nothing open any more: checked again
    assert len(checked) == 2
