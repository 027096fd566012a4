"""Backups taken while the app writes, and restores that check before replacing."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import START
from tests.interop.conftest import Result, database_dump
from trainer.app.trainer import Trainer
from trainer.core.model import Direction, Mode
from trainer.interop.backup import backup_database, restore_database
from trainer.storage.database import known_steps

NOW = "2026-12-01T09:00:00+00:00"
STAMP = "20261201T090000Z"

OpenTrainer = Callable[..., Trainer]


@pytest.fixture
def studied(open_trainer: OpenTrainer, home: Path, deck_dir: Path) -> Trainer:
    """A trainer on home/trainer.db (the CLI's default) with two answers logged."""
    trainer = open_trainer(home / "trainer.db", at=START, deck_dirs=[deck_dir])
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    trainer.record_answer("small/beta", Direction.FORWARD, 2, Mode.STUDY)
    return trainer


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINER_NOW", NOW)


def facts(path: Path) -> tuple[str, str, int, list[str]]:
    conn = sqlite3.connect(str(path))
    try:
        return (
            conn.execute("PRAGMA integrity_check").fetchone()[0],
            conn.execute("PRAGMA journal_mode").fetchone()[0],
            conn.execute("SELECT count(*) FROM reviews").fetchone()[0],
            [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations")],
        )
    finally:
        conn.close()


# -------------------------------------------------------------------- backup


def test_backup_while_a_write_transaction_is_open_elsewhere(
    studied: Trainer, cli: Callable[..., Result], home: Path, tmp_path: Path
) -> None:
    database = home / "trainer.db"
    writer = sqlite3.connect(str(database), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO reviews (id, card_id, direction, answered_at, day, grade, mode) "
        "VALUES ('uncommitted', 'small/gamma', 'forward', '2026-03-04T09:30:00+00:00', "
        "'2026-03-04', 4, 'study')"
    )
    out = tmp_path / "backup.db"
    started = time.monotonic()
    result = cli("backup", str(out))
    assert time.monotonic() - started < 10  # a reader never waits for the writer under WAL
    writer.execute("COMMIT")
    writer.close()
    assert result.code == 0, result.err
    assert result.out.startswith(f"backed up to {out} (2 reviews, ")
    assert facts(out) == ("ok", "delete", 2, known_steps())  # committed answers only
    assert facts(database)[2] == 3
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind
    with _open(out) as copy:
        assert copy.store.count_reviews() == 2


class _open:
    """Open a backup as a trainer database (checks that it is one)."""

    def __init__(self, path: Path) -> None:
        self.trainer = Trainer.open(path, deck_dirs=[])

    def __enter__(self) -> Trainer:
        return self.trainer

    def __exit__(self, *exc: object) -> None:
        self.trainer.close()


def test_backups_during_a_stream_of_answers_are_each_consistent(
    studied: Trainer, home: Path, tmp_path: Path
) -> None:
    database = home / "trainer.db"
    stop = threading.Event()

    def answer_forever() -> None:
        conn = sqlite3.connect(str(database), isolation_level=None, timeout=30)
        n = 0
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO reviews (id, card_id, direction, answered_at, day, grade, mode) "
                "VALUES (?, 'small/gamma', 'forward', ?, '2026-03-04', 4, 'drill')",
                [f"stream-{n}", f"2026-03-04T10:00:{n % 60:02d}+00:00"],
            )
            conn.execute("COMMIT")
            n += 1
        conn.close()

    thread = threading.Thread(target=answer_forever)
    thread.start()
    counts = []
    try:
        for index in range(5):
            outcome = backup_database(database, tmp_path / f"b{index}.db", now=START)
            counts.append(outcome.reviews)
            assert facts(outcome.path)[0] == "ok"
    finally:
        stop.set()
        thread.join()
    assert counts == sorted(counts)


def test_backup_into_a_folder_names_a_dated_file(
    studied: Trainer, cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    assert cli("backup", str(folder)).code == 0
    assert cli("backup", str(folder)).code == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        f"trainer-{STAMP}.db",
        f"trainer-{STAMP}.db-2",
    ]


def test_backup_refusals(studied: Trainer, cli: Callable[..., Result], tmp_path: Path) -> None:
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"keep me")
    line = cli("backup", str(taken)).one_line_error()
    assert line == f"trainer: {taken}: already exists (use --force to replace it)"
    assert taken.read_bytes() == b"keep me"
    assert cli("backup", "--force", str(taken)).code == 0
    assert facts(taken)[2] == 2
    missing = tmp_path / "none" / "trainer.db"
    line = cli("backup", "--db", str(missing), str(tmp_path / "x.db")).one_line_error()
    assert line == f"trainer: {missing}: no database to back up"
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder", encoding="utf-8")
    line = cli("backup", str(a_file / "backup.db")).one_line_error()
    assert line.startswith(f"trainer: {a_file / 'backup.db'}: cannot write: ")
    assert a_file.read_text(encoding="utf-8") == "not a folder"


# ------------------------------------------------------------------- restore


def test_restore_puts_the_backup_back_and_keeps_the_replaced_file(
    studied: Trainer, cli: Callable[..., Result], home: Path, tmp_path: Path
) -> None:
    database = home / "trainer.db"
    backup = tmp_path / "backup.db"
    assert cli("backup", str(backup)).code == 0
    studied.record_answer("small/gamma", Direction.FORWARD, 4, Mode.STUDY)
    before = database_dump(database)
    result = cli("restore", str(backup))
    assert result.code == 0, result.err
    replaced = home / f"trainer.db.replaced-{STAMP}"
    assert result.out.splitlines() == [
        f"the previous database is kept in {replaced}",
        f"restored {database} from {backup} (2 reviews)",
    ]
    assert facts(replaced) == ("ok", "delete", 3, known_steps())
    assert database_dump(replaced) == before
    assert facts(database)[:3] == ("ok", "wal", 2)
    # a trainer that had the database open all along sees the restored content
    assert studied.store.count_reviews() == 2
    assert studied.today_overview().answered == 2
    studied.record_answer("small/gamma", Direction.FORWARD, 4, Mode.STUDY)
    assert studied.store.count_reviews() == 3


def test_restore_into_a_fresh_location(studied: Trainer, tmp_path: Path) -> None:
    backup = backup_database(studied_path(studied), tmp_path / "b.db", now=START).path
    target = tmp_path / "new" / "trainer.db"
    outcome = restore_database(target, backup, now=START)
    assert outcome.replaced is None
    assert facts(target)[:3] == ("ok", "wal", 2)


def studied_path(trainer: Trainer) -> Path:
    return Path(trainer.store.db.execute("PRAGMA database_list").fetchone()[2])


def corrupt(path: Path, good: Path) -> None:
    data = bytearray(good.read_bytes())
    data[4096 * 2 : 4096 * 3] = bytes(range(256)) * 16
    path.write_bytes(bytes(data))


def truncated(path: Path, good: Path) -> None:
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def garbage(path: Path, good: Path) -> None:
    path.write_bytes(b"this is not a database at all" * 100)


def empty(path: Path, good: Path) -> None:
    path.write_bytes(b"")


def foreign(path: Path, good: Path) -> None:
    conn = sqlite3.connect(str(path))
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.commit()
    conn.close()


def newer(path: Path, good: Path) -> None:
    path.write_bytes(good.read_bytes())
    conn = sqlite3.connect(str(path))
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('trainer', 'm099_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()


BAD_BACKUPS = {
    "corrupt": (corrupt, "the database is damaged"),
    "truncated": (truncated, "the database is damaged"),
    "garbage": (garbage, "not a trainer database, or the file is corrupt"),
    "empty": (empty, "the file is empty, not a trainer database"),
    "foreign": (foreign, "not a trainer database"),
    "newer": (newer, "written by a newer version of trainer (schema step 'm099_from_the_future')"),
}


@pytest.mark.parametrize(("make", "message"), BAD_BACKUPS.values(), ids=BAD_BACKUPS.keys())
def test_restore_refuses_a_bad_backup_and_changes_nothing(
    make: Callable[[Path, Path], None],
    message: str,
    studied: Trainer,
    cli: Callable[..., Result],
    home: Path,
    tmp_path: Path,
) -> None:
    for n in range(40):  # enough rows for several pages, so damage lands in data
        studied.store.record_quiz_attempt({"id": f"q{n}", "questions": "x" * 500, "day": "d"})
    good = backup_database(home / "trainer.db", tmp_path / "good.db", now=START).path
    bad = tmp_path / "bad.db"
    make(bad, good)
    before = database_dump(home / "trainer.db")
    home_before = sorted(home.iterdir())
    line = cli("restore", str(bad)).one_line_error()
    assert line.startswith(f"trainer: {bad}: ")
    assert message in line
    assert database_dump(home / "trainer.db") == before
    assert sorted(home.iterdir()) == home_before  # no replaced-… file either


def test_restore_of_a_missing_file(cli: Callable[..., Result], tmp_path: Path) -> None:
    line = cli("restore", str(tmp_path / "nope.db")).one_line_error()
    assert line == f"trainer: {tmp_path / 'nope.db'}: no such file"


def test_replaced_names_never_collide(studied: Trainer, tmp_path: Path) -> None:
    database = studied_path(studied)
    backup = backup_database(database, tmp_path / "b.db", now=START).path
    first = restore_database(database, backup, now=START).replaced
    second = restore_database(database, backup, now=START).replaced
    assert first is not None and second is not None and first != second
    stamp = START.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert first.name == f"trainer.db.replaced-{stamp}"
    assert second.name == f"trainer.db.replaced-{stamp}-2"
