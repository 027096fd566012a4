"""Checking a database file and writing a repaired copy: ``trainer check``.

A ``-wal`` or ``-journal`` that belongs to another file is found by
``trainer.storage.companions``, which every open asks too. ``inspect`` then
checks the database alone and with its log (both as private copies, so checking
never changes the file) through ``integrity_check``, and the card states
against a replay of the review log. ``repair`` writes a new database from every
row that can be read, the review log first, and leaves the original alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.storage.companions import stale_companion

if TYPE_CHECKING:
    from collections.abc import Callable

    from trainer.storage.store import Replay, Store

    #: the replay to hold a database's card states to, given that database
    ReplayFor = Callable[[Store], Replay]

#: the tables copied by ``repair``, facts first (the review log is what matters most)
#: the tables a repair copies; ``anki_schedules`` belongs to the log (a replay reads it)
_REPAIR_ORDER = (
    "reviews",
    "review_undos",
    "anki_schedules",
    "quiz_attempts",
    "scheduler_fits",
    "decks",
    "cards",
)
_CHUNK = 1000

__all__ = [
    "CheckResult",
    "RepairResult",
    "inspect",
    "repair",
]


# ------------------------------------------------------------------ check
@dataclass
class CheckResult:
    path: Path
    stale: str | None = None
    #: ``integrity_check`` of the database file alone, without its log
    file_problems: list[str] = field(default_factory=list)
    #: ``integrity_check`` with the log replayed (empty when there is no log, or it is stale)
    log_problems: list[str] = field(default_factory=list)
    reviews: int = 0
    #: card directions whose cached state differs from a replay of the review log
    state_mismatches: int = 0
    states: int = 0
    unreadable: str | None = None

    @property
    def ok(self) -> bool:
        return not (
            self.stale
            or self.file_problems
            or self.log_problems
            or self.state_mismatches
            or self.unreadable
        )


@contextmanager
def _private_copy(path: Path, with_companions: bool) -> Iterator[Path]:
    """A copy of the database (and its log, if asked) to check without changing it."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="trainer-check-") as scratch:
        copy = Path(scratch) / "check.db"
        shutil.copyfile(path, copy)
        if with_companions:
            wal = path.with_name(path.name + "-wal")
            if wal.is_file():
                shutil.copyfile(wal, copy.with_name("check.db-wal"))
        yield copy


def _integrity(path: Path) -> list[str]:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def inspect(path: Path, replay_for: ReplayFor) -> CheckResult:
    """Everything ``trainer check`` reports, without changing ``path`` or its log;
    ``replay_for(store)`` is the replay of the review log the states are held to
    (the scheduler may depend on what the database holds, as FSRS's fit does)."""
    result = CheckResult(path, stale=stale_companion(path))
    wal = path.with_name(path.name + "-wal")
    has_log = wal.is_file() and wal.stat().st_size > 0 and result.stale is None
    try:
        with _private_copy(path, with_companions=False) as alone:
            result.file_problems = _integrity(alone)
        if has_log:
            with _private_copy(path, with_companions=True) as replayed:
                result.log_problems = _integrity(replayed)
            if result.log_problems and not result.file_problems:
                result.stale = (
                    f"{path.name}-wal does not belong to {path.name}: "
                    "replaying it damages a sound database"
                )
        trusted = not result.file_problems and not (has_log and result.log_problems)
        if trusted:
            with _private_copy(path, with_companions=has_log and not result.stale) as copy:
                _compare_states(copy, result, replay_for)
    except sqlite3.DatabaseError as error:
        result.unreadable = str(error)
    return result


def _compare_states(copy: Path, result: CheckResult, replay_for: ReplayFor) -> None:
    """Card states as cached, against the same states replayed from the review log."""
    from trainer.storage.store import Store

    with closing(sqlite3.connect(copy, isolation_level=None)) as conn:
        store = Store(conn)
        result.reviews = int(conn.execute("SELECT count(*) FROM reviews").fetchone()[0])
        cached = _rounded(store.cached_states())
        store.rebuild_card_state(replay_for(store))
        replayed = _rounded(store.cached_states())
    result.states = len(replayed)
    keys = set(cached) | set(replayed)
    result.state_mismatches = sum(1 for key in keys if cached.get(key) != replayed.get(key))


def _rounded(states: dict[tuple[str, str], object]) -> dict[tuple[str, str], tuple[object, ...]]:
    return {key: _fields(state) for key, state in states.items()}


def _fields(state: object) -> tuple[object, ...]:
    """A state as comparable values; floats rounded, since a replay may differ in the
    last bit from the sum of answers that built the cached value."""
    from dataclasses import astuple, is_dataclass

    if is_dataclass(state) and not isinstance(state, type):
        return tuple(round(v, 6) if isinstance(v, float) else v for v in astuple(state))
    return (repr(state),)


# ----------------------------------------------------------------- repair
@dataclass(frozen=True)
class RepairResult:
    path: Path
    #: rows copied per table, and rows that could not be read
    copied: dict[str, int]
    lost: dict[str, int]
    states: int


def repair(path: Path, out: Path, *, use_log: bool, replay_for: ReplayFor) -> RepairResult:
    """Write a new database at ``out`` from every row of ``path`` that can be read.

    The source is read from a private copy (with its log only when ``use_log``:
    a stale log would only add damage); the new database gets the current
    schema, the rows table by table with the review log first, and card states
    rebuilt from that log. ``out`` must not exist; ``path`` is never changed.
    """
    from trainer.storage.database import open_connection
    from trainer.storage.store import Store

    copied: dict[str, int] = {}
    lost: dict[str, int] = {}
    with _private_copy(path, with_companions=use_log) as source_path:
        source = sqlite3.connect(source_path, isolation_level=None)
        target = open_connection(out, backup_before_migrating=False)
        try:
            for table in _REPAIR_ORDER:
                copied[table], lost[table] = _copy_rows(source, target, table)
            repaired = Store(target)
            states = repaired.rebuild_card_state(replay_for(repaired))
        finally:
            source.close()
            target.close()
    return RepairResult(out, copied, lost, states)


def _copy_rows(
    source: sqlite3.Connection, target: sqlite3.Connection, table: str
) -> tuple[int, int]:
    """Copy every readable row of ``table``, in rowid chunks; a chunk that fails is
    retried row by row, so one bad page costs only the rows on it."""
    try:
        columns = [row[1] for row in source.execute(f"PRAGMA table_info([{table}])")]
        wanted = [row[1] for row in target.execute(f"PRAGMA table_info([{table}])")]
        bounds = source.execute(f"SELECT min(rowid), max(rowid) FROM [{table}]").fetchone()
    except sqlite3.DatabaseError:
        return 0, 0
    shared = [name for name in wanted if name in columns]
    if not shared or bounds[0] is None:
        return 0, 0
    names = ", ".join(f"[{name}]" for name in shared)
    select = f"SELECT {names} FROM [{table}] WHERE rowid BETWEEN ? AND ?"
    insert = f"INSERT OR IGNORE INTO [{table}] ({names}) VALUES ({', '.join('?' * len(shared))})"
    copied = lost = 0
    target.execute("BEGIN")
    try:
        for low in range(int(bounds[0]), int(bounds[1]) + 1, _CHUNK):
            high = low + _CHUNK - 1
            try:
                rows = source.execute(select, [low, high]).fetchall()
            except sqlite3.DatabaseError:
                rows = []
                for rowid in range(low, high + 1):
                    try:
                        rows += source.execute(select, [rowid, rowid]).fetchall()
                    except sqlite3.DatabaseError:
                        lost += 1
            for row in rows:
                try:
                    target.execute(insert, row)
                    copied += 1
                except sqlite3.DatabaseError:
                    lost += 1
        target.execute("COMMIT")
    except BaseException:
        if target.in_transaction:
            target.execute("ROLLBACK")
        raise
    return copied, lost
