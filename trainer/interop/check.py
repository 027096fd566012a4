"""``trainer check``: Anki's "Check Database" for trainer, in plain words.

It looks, without changing anything, at the database file, the write-ahead
log beside it and the cached card states (see ``trainer.storage.integrity``),
and says what it found. With ``repair`` it writes a new database beside the
old one from every row that can be read, the review log first, and keeps the
original untouched: the user chooses to switch to the copy (``trainer
restore``), so a repair can never make things worse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from trainer.app.settings import Settings
from trainer.app.trainer import scheduler_for
from trainer.core.replay import replay as replay_log
from trainer.errors import UserError
from trainer.storage.integrity import CheckResult, RepairResult, inspect, repair
from trainer.storage.store import Replay, Store

__all__ = ["CheckOutcome", "check_database"]

MAX_LISTED = 5


@dataclass(frozen=True)
class CheckOutcome:
    result: CheckResult
    lines: tuple[str, ...]
    repaired: RepairResult | None = None

    @property
    def ok(self) -> bool:
        return self.result.ok


def check_database(
    database: Path,
    *,
    repair_to: Path | None = None,
    do_repair: bool = False,
    now: dt.datetime,
    settings: Settings | None = None,
) -> CheckOutcome:
    """Check ``database``; with ``do_repair``, also write a repaired copy (never over a file).

    Card states are held to a replay of the log through the scheduler
    ``settings`` choose (SM-2 without settings). The database is not opened as
    a ``Trainer``, since a database that fails its check refuses to open.
    """
    if not database.exists():
        raise UserError(f"{database}: no such database")
    if not database.is_file():
        raise UserError(f"{database}: not a regular file")
    chosen = settings or Settings()

    def replay_for(store: Store) -> Replay:
        return partial(replay_log, scheduler_for(chosen, store))

    result = inspect(database, replay_for)
    lines = report_lines(result)
    repaired = None
    if do_repair:
        stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = repair_to or database.with_name(f"{database.name}.repaired-{stamp}")
        if out.exists():
            raise UserError(f"{out}: already exists; choose another --out")
        use_log = result.stale is None and not result.log_problems
        repaired = repair(database, out, use_log=use_log, replay_for=replay_for)
        lines += repair_lines(database, repaired)
    return CheckOutcome(result, tuple(lines), repaired)


def report_lines(result: CheckResult) -> list[str]:
    """What was found, one plain sentence a line."""
    name = result.path.name
    lines: list[str] = []
    if result.stale:
        lines.append(
            f"problem: {result.stale}; opening the database would mix the two "
            "(it was probably copied back by hand while trainer was running)"
        )
    if result.unreadable:
        lines.append(f"problem: {name} cannot be read ({result.unreadable})")
    for label, problems in (
        ("the database file", result.file_problems),
        ("the database with its log", result.log_problems),
    ):
        if problems:
            shown = "; ".join(problems[:MAX_LISTED])
            more = f" (and {len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
            lines.append(f"problem: {label} is damaged: {shown}{more}")
    if result.state_mismatches:
        lines.append(
            f"problem: {result.state_mismatches} of {result.states} card states differ from "
            "what the review log says (`trainer rebuild` recomputes them)"
        )
    if not lines:
        lines.append(
            f"ok: {name} is sound: {result.reviews} reviews, and {result.states} card states "
            "that match the review log"
        )
    elif not result.unreadable and not result.file_problems and not result.log_problems:
        lines.append(f"the rows themselves are readable: {result.reviews} reviews")
    return lines


def repair_lines(database: Path, repaired: RepairResult) -> list[str]:
    lost = sum(repaired.lost.values())
    counts = ", ".join(f"{count} {table}" for table, count in repaired.copied.items() if count)
    lines = [
        f"wrote a repaired copy to {repaired.path} ({counts or 'no rows'}; "
        f"{repaired.states} card states rebuilt from the review log)"
    ]
    if lost:
        where = ", ".join(f"{count} {table}" for table, count in repaired.lost.items() if count)
        lines.append(f"could not read {lost} rows ({where}); they are not in the copy")
    lines.append(f"{database} is unchanged; to use the copy: trainer restore {repaired.path}")
    return lines
