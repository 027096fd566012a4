"""Backups, restores and merging a second device's database.

**Backup** uses SQLite's online backup API in a single step: one read
transaction copies every page, so the copy is consistent even while the TUI is
answering cards in another process (under WAL a reader never waits for a
writer, and sees only committed answers). The copy is written beside the target
under a temporary name, switched to a plain rollback journal so it is one
self-contained file, checked, then renamed into place.

**Restore** checks the backup before touching anything: ``integrity_check``
must say ok, it must be a trainer database (the migrations table and the
tables this version reads) and its schema must not be newer than this program.
The current database is first copied (again with the backup API) to
``<name>.replaced-<UTC timestamp>`` beside it, and only then is the backup
copied *into* the live database with the backup API, rather than by renaming
files: SQLite then takes the locks, so another process holding the database
open sees the restored content on its next transaction instead of a file
pulled from under it (and a stale ``-wal`` file is never paired with a
different database).

**Merge** folds another trainer database into this one. Rows that are facts
(reviews, undos, quiz attempts) are identified by their ids, which are UUIDs
minted on the device that recorded them, so ``INSERT OR IGNORE`` makes merging
idempotent and symmetric: A←B then B←A, or merging twice, adds each row exactly
once. Cards this database has never seen are inserted so no review is
orphaned; they stay active only when their deck exists here (otherwise they are
retired, and so is the deck row added for them); cards known here keep their
local text. Card states are then rebuilt by replaying the merged log in time
order, so both devices end with the same states. The other database is only
read (through a private copy when it needs migrating); a refused merge changes
nothing.

The SQL behind all three is in ``trainer.storage.transfer``; this module deals
in paths, file names and the messages the user sees.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from trainer.core.replay import replay as replay_log
from trainer.core.sm2 import SM2
from trainer.storage.companions import set_aside_stale
from trainer.storage.database import DatabaseError, known_steps
from trainer.storage.store import Replay, Store
from trainer.storage.transfer import (
    MergeCounts,
    TransferFailed,
    check_database,
    check_database_file,
    copy_database,
    merge_into,
    migrate_copy,
    restore_into,
    review_count,
    staged_copy,
)

__all__ = [
    "BackupOutcome",
    "MergeOutcome",
    "RestoreOutcome",
    "backup_database",
    "check_trainer_database",
    "merge_database",
    "restore_database",
]

#: What a merge added: the storage layer's counts, as the command reports them.
MergeOutcome = MergeCounts


@dataclass(frozen=True)
class BackupOutcome:
    path: Path
    bytes: int
    reviews: int


@dataclass(frozen=True)
class RestoreOutcome:
    database: Path
    replaced: Path | None
    reviews: int


def _user_error(message: str) -> Exception:
    from trainer.app.trainer import UserError

    return UserError(message)


@contextmanager
def _refusals() -> Iterator[None]:
    """Storage's refusals are already phrased for the user: pass them on as UserError."""
    try:
        yield
    except DatabaseError as error:
        raise _user_error(str(error)) from None


def _stamp(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _discard(temporary: Path) -> None:
    """Remove a half-written file, if there is one and it can be: the error that
    brought us here is the one to report (its folder may not even exist)."""
    with suppress(OSError):
        temporary.unlink(missing_ok=True)


def _unused(path: Path) -> Path:
    candidate, counter = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}-{counter}")
        counter += 1
    return candidate


def check_trainer_database(path: Path) -> list[str]:
    """Check a database file without writing to it; returns the schema steps it has run."""
    with _refusals():
        return check_database_file(path)


# -------------------------------------------------------------------- backup


def backup_database(
    database: Path, out: Path, *, now: dt.datetime, overwrite: bool = False
) -> BackupOutcome:
    """Copy the whole database to ``out`` (a file, or a folder to put a dated file in)."""
    if not database.is_file():
        raise _user_error(f"{database}: no database to back up")
    if out.is_dir():
        out = _unused(out / f"trainer-{_stamp(now)}.db")
    elif out.exists() and not overwrite:
        raise _user_error(f"{out}: already exists (use --force to replace it)")
    if out.resolve() == database.resolve():
        raise _user_error(f"{out}: is the database itself")
    import secrets

    temporary = out.with_name(f".{out.name}.{secrets.token_hex(6)}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        copy_database(database, temporary)
        os.replace(temporary, out)
    except TransferFailed as error:
        _discard(temporary)
        reason = str(error).replace(str(temporary), str(out))  # the name the user gave
        raise _user_error(f"{database}: cannot back up: {reason}") from None
    except DatabaseError as error:
        _discard(temporary)
        raise _user_error(str(error).replace(str(temporary), str(out))) from None
    except OSError as error:
        _discard(temporary)
        raise _user_error(f"{out}: cannot write: {error.strerror}") from None
    except BaseException:
        _discard(temporary)
        raise
    return BackupOutcome(out, out.stat().st_size, review_count(out))


# ------------------------------------------------------------------- restore


def restore_database(database: Path, backup: Path, *, now: dt.datetime) -> RestoreOutcome:
    """Replace the database's content with a checked backup, keeping the old content."""
    if database.exists() and backup.resolve() == database.resolve():
        raise _user_error(f"{backup}: is the database itself")
    with _refusals(), staged_copy(backup) as staged:
        try:
            check_database(staged, backup)
            database.parent.mkdir(parents=True, exist_ok=True)
            # a -wal left by another copy would be folded into what is restored
            set_aside_stale(database, _stamp(now))
            keep_as = _unused(database.with_name(f"{database.name}.replaced-{_stamp(now)}"))
            replaced = restore_into(database, staged, keep_previous_as=keep_as)
        except TransferFailed as error:
            kept = f" (the previous database is kept in {error.kept})" if error.kept else ""
            raise _user_error(f"{database}: cannot restore: {error}{kept}") from None
        except OSError as error:
            raise _user_error(f"{error.filename or database}: {error.strerror}") from None
    return RestoreOutcome(database, replaced, review_count(database))


# --------------------------------------------------------------------- merge


def merge_file(database: Path, other: Path) -> MergeOutcome:
    """``trainer merge``: open ``database`` without syncing decks (a refused merge
    changes nothing) and fold ``other`` into it."""
    from trainer.app.trainer import Trainer

    with Trainer.open(database) as trainer:
        return merge_database(trainer.store, database, other, replay=trainer.replay)


def merge_database(
    store: Store, database: Path, other: Path, *, replay: Replay | None = None
) -> MergeOutcome:
    """Fold ``other`` (another device's trainer database) into ``store``; card
    states are then rebuilt with ``replay`` (SM-2's unless another is given)."""
    if replay is None:
        replay = partial(replay_log, SM2())
    if database.exists() and other.exists() and other.resolve() == database.resolve():
        raise _user_error(f"{other}: is this database; nothing to merge")
    with _refusals(), staged_copy(other) as staged:
        applied = check_database(staged, other)
        if set(applied) != set(known_steps()):  # an older schema: migrate the private copy
            try:
                migrate_copy(staged)
            except DatabaseError as error:
                # the message names the private copy, which means nothing to the user
                reason = str(error).removeprefix(f"{staged}: ")
                raise _user_error(f"{other}: cannot upgrade its schema: {reason}") from None
        try:
            return merge_into(store, staged, replay)
        except TransferFailed as error:
            raise _user_error(f"{other}: cannot merge: {error}") from None
        except (ValueError, TypeError, KeyError, OverflowError) as error:
            # a row this version cannot read (a direction, a date, a number out of range):
            # the merge ran in one transaction, so nothing was added
            reason = str(error).replace(str(staged), str(other))
            raise _user_error(
                f"{other}: cannot merge: a row holds a value trainer cannot read "
                f"({type(error).__name__}: {reason}); nothing merged"
            ) from None
