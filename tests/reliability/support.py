"""Shared checks for the reliability tests: what "the user's data is intact" means.

Every fault test ends with the same three questions, asked of the file on disk
rather than of the process that wrote it: is the SQLite file sound, is every
acknowledged answer in the log, and does the cached card state equal a replay
of the log through SM-2. Also here: running the CLI (in this process or as a
real one), the one-line error contract, and the simulated faults (a full disk
through ``PRAGMA max_page_count``, a read-only file through a ``mode=ro`` URI)
installed by patching the one function that opens connections.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from trainer.cli import main
from trainer.core.replay import replay
from trainer.core.sm2 import SM2, SM2State, review
from trainer.storage import Store, database, open_database

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("driver.py")

#: Tables whose content is the user's data; a failed command must leave them as they were.
DATA_TABLES = ("decks", "cards", "card_state", "reviews", "review_undos", "quiz_attempts")

DECK_BOTH_WAYS = """\
name: Crash deck
directions: [forward, reverse]
cards:
  - term: Alpha
    definition: The first letter.
  - term: Beta
    definition: The second letter.
  - term: Gamma
    definition: The third letter.
  - term: Delta
    definition: The fourth letter.
"""


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    """Run ``trainer ARGS`` in this process, as the console script does."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def run_cli_process(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Outcome:
    """Run ``python -m trainer ARGS`` as a real process."""
    done = subprocess.run(
        [sys.executable, "-m", "trainer", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else dict(os.environ),
        cwd=REPO,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def assert_one_line_error(outcome: Outcome, *fragments: str) -> str:
    """A user-caused failure: exit 1, one line ``trainer: ...`` naming the problem."""
    assert outcome.code == 1, outcome
    assert "Traceback" not in outcome.err, outcome.err
    assert len(outcome.err_lines) == 1, outcome.err
    line = outcome.err_lines[0]
    assert line.startswith("trainer: "), line
    assert "internal error" not in line, line
    for fragment in fragments:
        assert fragment.lower() in line.lower(), (fragment, line)
    return line


def connect_plain(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), isolation_level=None)


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The content of every data table, in a stable order (rowid order)."""
    conn = connect_plain(path)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        return {
            table: conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall()
            for table in DATA_TABLES
            if table in tables
        }
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = connect_plain(path)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def has_review_log(path: Path) -> bool:
    """Whether the first migration has committed (a kill can land before it does)."""
    conn = connect_plain(path)
    try:
        return (
            conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reviews'"
            ).fetchone()
            is not None
        )
    finally:
        conn.close()


def review_ids(path: Path) -> tuple[set[str], set[str]]:
    """(ids in the review log, ids marked undone); empty if the schema is not there yet."""
    conn = connect_plain(path)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "reviews" not in tables:
            return set(), set()
        reviews = {row[0] for row in conn.execute("SELECT id FROM reviews")}
        undone = {row[0] for row in conn.execute("SELECT review_id FROM review_undos")}
        return reviews, undone
    finally:
        conn.close()


def replay_in_commit_order(conn: sqlite3.Connection) -> dict[tuple[str, str], SM2State]:
    """SM-2 applied to the log in the order the answers were committed (rowid)."""
    states: dict[tuple[str, str], SM2State] = {}
    rows = conn.execute(
        """SELECT card_id, direction, grade, day, mode FROM reviews r
           WHERE NOT EXISTS (SELECT 1 FROM review_undos u WHERE u.review_id = r.id)
           ORDER BY rowid"""
    )
    for card, direction, grade, day, mode in rows:
        if mode == "drill":
            continue
        key = (card, direction)
        states[key] = review(states.get(key, SM2State()), grade, dt.date.fromisoformat(day))
    return states


def cached(conn: sqlite3.Connection) -> dict[tuple[str, str], SM2State]:
    rows = conn.execute(
        "SELECT card_id, direction, repetitions, easiness, interval, due, lapses FROM card_state"
    )
    return {
        (card, direction): SM2State(
            repetitions=repetitions,
            easiness=easiness,
            interval=interval,
            due=dt.date.fromisoformat(due) if due else None,
            lapses=lapses,
        )
        for card, direction, repetitions, easiness, interval, due, lapses in rows
    }


def differences(
    cache: dict[tuple[str, str], SM2State], replay: dict[tuple[str, str], SM2State]
) -> str:
    keys = sorted(k for k in cache.keys() | replay.keys() if cache.get(k) != replay.get(k))
    shown = "; ".join(f"{k}: cache {cache.get(k)} vs replay {replay.get(k)}" for k in keys[:3])
    return f"{len(keys)} card sides differ from a replay of the log: {shown}"


def broken_chain_links(path: Path) -> int:
    """Answers whose recorded 'before' state is not the 'after' of the answer before them.

    In an append-only log each scheduling answer must start from the state the
    previous committed answer on that card side left; a mismatch is a lost update.
    """
    conn = connect_plain(path)
    try:
        rows = conn.execute(
            """SELECT card_id, direction, prev_repetitions, prev_easiness, prev_interval,
                      prev_due, prev_lapses, repetitions, easiness, interval, due, lapses
               FROM reviews r
               WHERE mode != 'drill'
                 AND NOT EXISTS (SELECT 1 FROM review_undos u WHERE u.review_id = r.id)
               ORDER BY rowid"""
        ).fetchall()
    finally:
        conn.close()
    last: dict[tuple[str, str], tuple[Any, ...]] = {}
    broken = 0
    for row in rows:
        key, before, after = (row[0], row[1]), row[2:7], row[7:12]
        if key in last and last[key] != before:
            broken += 1
        last[key] = after
    return broken


def assert_cache_matches_log(path: Path, scratch: Path, *, rebuild: bool = True) -> int:
    """The cache equals a replay of the log, checked twice and without touching ``path``.

    Once in the test (commit order, through ``trainer.core.sm2.review``) and
    once through the program's own ``Store.rebuild_card_state`` on a copy.
    Returns the number of card sides with a state.
    """
    conn = connect_plain(path)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "card_state" not in tables:
            return 0
        states = cached(conn)
        replayed = replay_in_commit_order(conn)
        assert states == replayed, differences(states, replayed)
    finally:
        conn.close()
    if not rebuild:
        return len(states)
    copy = scratch / "replay-copy.db"
    for leftover in scratch.glob("replay-copy.db*"):
        leftover.unlink()
    source, target = connect_plain(path), sqlite3.connect(str(copy))
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    store = Store(open_database(copy))
    try:
        before = store.cached_states()
        store.rebuild_card_state(partial(replay, SM2()))
        assert store.cached_states() == before
    finally:
        store.close()
    return len(states)


def sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def driver_command(db: Path, deck_dir: Path, *options: str) -> Sequence[str]:
    return [sys.executable, str(DRIVER), str(db), str(deck_dir), *options]


# ------------------------------------------------------------- simulated faults
Connect = Callable[[Path | str], sqlite3.Connection]


ORIGINAL_CONNECT = database.connect


def patch_connect(monkeypatch: pytest.MonkeyPatch, make: Callable[[Connect], Connect]) -> None:
    monkeypatch.setattr(database, "connect", make(ORIGINAL_CONNECT))


def unpatch_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    """End the simulated fault only: ``monkeypatch.undo()`` would also drop the
    TRAINER_HOME isolation and let the test reach the real data folder."""
    monkeypatch.setattr(database, "connect", ORIGINAL_CONNECT)


def disk_full(original: Connect) -> Connect:
    """Connections on a disk with no room beyond the pages the file already has."""

    def connect(path: Path | str) -> sqlite3.Connection:
        conn = original(path)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {max(pages, 1)}")
        return conn

    return connect


def read_only(original: Connect) -> Connect:
    def connect(path: Path | str) -> sqlite3.Connection:
        return sqlite3.connect(
            f"file:{Path(path).resolve()}?mode=ro",
            uri=True,
            timeout=database.BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )

    return connect
