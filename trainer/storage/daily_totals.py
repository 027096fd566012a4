"""Per-day, per-deck totals of the review log, kept up to date instead of recomputed.

Progress shows a year of activity. Grouping a year of a heavy user's log (half
a million rows) took half a second on every visit, and seconds for one deck,
whose reviews SQLite has to find card by card. Every figure of a day is a sum
over that day's answers, so the sums are kept in ``daily_totals`` and brought
up to date from the rows added since the last visit: a visit after a study
session reads a few hundred new rows, not the whole log.

The table is derived data, never the record: it is rebuilt from the log
whenever it cannot be trusted, and ``trainer check --repair`` does not copy it.
What keeps it exact:

- the log is append-only, so the rows not yet counted are those with a rowid
  above the last one counted (answers imported with old days included);
- an undo is a row of ``review_undos``, also append-only and at most one per
  answer; undos added since the last update take their answer's share off
  again if it was counted, while new rows are counted only when not undone;
- the rowid and id of the last row counted are kept with the totals; if that
  row no longer carries that id, the file is not the one counted and the
  totals are rebuilt from scratch.

An answer belongs to the deck named in its card id (``deck/term``), the rule
the card-state figures already follow: a card keeps its deck for life.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from trainer.core.model import RETENTION_MODES
from trainer.core.scheduler import MATURE_INTERVAL_DAYS
from trainer.core.sm2 import PASSING_QUALITY
from trainer.core.stats import DayActivity
from trainer.storage.sql_terms import DECK_OF_CARD_ID, NOT_UNDONE
from trainer.storage.upkeep import in_one_transaction

__all__ = ["CATEGORY_SQL", "daily_activity", "refresh", "study_days"]

#: The meta key holding how far the totals have counted.
MARK_KEY = "daily_totals_mark"

_NOT_COUNTED, _NEW, _YOUNG, _MATURE = range(4)
#: The category of one answer, in the order of the core's if/elif chain
#: (``trainer.core.stats.daily_activity``).
CATEGORY_SQL = f"""CASE
    WHEN r.mode NOT IN ({", ".join(f"'{mode}'" for mode in sorted(RETENTION_MODES))})
        THEN {_NOT_COUNTED}
    WHEN coalesce(r.prev_due, '') = '' THEN {_NEW}
    WHEN coalesce(r.prev_repetitions, 0) <= 0 THEN {_NOT_COUNTED}
    WHEN coalesce(r.prev_interval, 0) < {MATURE_INTERVAL_DAYS} THEN {_YOUNG}
    ELSE {_MATURE}
END"""

#: The figures of a day, as sums over the answers selected by ``{where}`` from
#: ``{source}``, grouped by day and deck.
_SUMS = f"""
SELECT day, deck, count(*), coalesce(sum(response_ms), 0),
       sum(category = {_NEW}),
       sum(category = {_YOUNG}), sum(category = {_YOUNG} AND passed),
       sum(category = {_MATURE}), sum(category = {_MATURE} AND passed)
FROM (SELECT r.day, {DECK_OF_CARD_ID} AS deck, r.response_ms, {CATEGORY_SQL} AS category,
             r.grade >= {PASSING_QUALITY} AS passed
      FROM {{source}} WHERE {{where}})
GROUP BY day, deck"""

_FIGURES = (
    "reviews",
    "response_ms",
    "new_cards",
    "young_total",
    "young_passed",
    "mature_total",
    "mature_passed",
)
_ADD = f"""INSERT INTO daily_totals (day, deck, {", ".join(_FIGURES)})
VALUES (?, ?, {", ".join("?" * len(_FIGURES))})
ON CONFLICT (day, deck) DO UPDATE SET
{", ".join(f"{name} = {name} + excluded.{name}" for name in _FIGURES)}"""


def _log_end(db: sqlite3.Connection) -> tuple[int, int]:
    """(last review rowid, last undo rowid): where the log ends now."""
    return db.execute(
        "SELECT (SELECT coalesce(max(rowid), 0) FROM reviews), "
        "(SELECT coalesce(max(rowid), 0) FROM review_undos)"
    ).fetchone()


def _mark(db: sqlite3.Connection) -> dict[str, Any]:
    """How far the totals count: {"reviews": rowid, "id": its id, "undos": rowid}."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [MARK_KEY]).fetchone()
    try:
        mark = json.loads(row[0]) if row else {}
    except ValueError:
        return {}
    return mark if isinstance(mark, dict) else {}


def _trusted(db: sqlite3.Connection, mark: dict[str, Any], end: tuple[int, int]) -> bool:
    """Whether the totals were counted from this log, up to the mark."""
    reviews, undos = mark.get("reviews"), mark.get("undos")
    if not isinstance(reviews, int) or not isinstance(undos, int):
        return False
    if reviews > end[0] or undos > end[1]:
        return False
    if reviews == 0:
        return True
    row = db.execute("SELECT id FROM reviews WHERE rowid = ?", [reviews]).fetchone()
    return row is not None and row[0] == mark.get("id")


def is_current(db: sqlite3.Connection) -> bool:
    """Whether the totals already count the whole log (nothing to write)."""
    mark = _mark(db)
    end = _log_end(db)
    return mark.get("reviews") == end[0] and mark.get("undos") == end[1] and _trusted(db, mark, end)


def refresh(db: sqlite3.Connection) -> None:
    """Count the answers and undos added since the last update, in one transaction.

    Run inside the caller's transaction when there is one (a migration), else
    in its own ``BEGIN IMMEDIATE`` so two processes never count a row twice.
    """
    db = getattr(db, "conn", db)  # a sqlite-utils Database works too
    if not is_current(db):
        in_one_transaction(db, _count_new_rows)


def _count_new_rows(db: sqlite3.Connection) -> None:
    end = _log_end(db)
    mark = _mark(db)
    if not _trusted(db, mark, end):
        db.execute("DELETE FROM daily_totals")
        mark = {"reviews": 0, "undos": 0}
    counted, undos_counted = mark["reviews"], mark["undos"]
    # answers counted before and undone since: take their share off
    taken_off = db.execute(
        _SUMS.format(
            source="review_undos u JOIN reviews r ON r.id = u.review_id",
            where="u.rowid > ? AND u.rowid <= ? AND r.rowid <= ?",
        ),
        [undos_counted, end[1], counted],
    ).fetchall()
    db.executemany(_ADD, [(*row[:2], *(-value for value in row[2:])) for row in taken_off])
    added = db.execute(
        _SUMS.format(source="reviews r", where=f"r.rowid > ? AND r.rowid <= ? AND {NOT_UNDONE}"),
        [counted, end[0]],
    ).fetchall()
    db.executemany(_ADD, added)
    if taken_off:
        db.execute("DELETE FROM daily_totals WHERE reviews <= 0")
    last_id = db.execute("SELECT id FROM reviews WHERE rowid = ?", [end[0]]).fetchone()
    value = json.dumps({"reviews": end[0], "id": last_id[0] if last_id else None, "undos": end[1]})
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [MARK_KEY, value],
    )


def _usable(db: sqlite3.Connection) -> bool:
    """Bring the totals up to date; False when this connection cannot write them
    (a read-only file, a database locked past the busy timeout)."""
    try:
        refresh(db)
    except sqlite3.OperationalError:
        return False
    return True


def daily_activity(
    db: sqlite3.Connection,
    decks: Sequence[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[DayActivity] | None:
    """Per study day sums of the answers that count in ``decks`` (None: every deck),
    sorted by day; ``since`` and ``until`` bound the days, both inclusive. None
    when the totals cannot be brought up to date (the caller reads the log)."""
    if not _usable(db):
        return None
    clauses, params = _day_filter(decks, since, until)
    rows = db.execute(
        f"""SELECT day, sum(reviews), sum(response_ms), sum(new_cards), sum(young_total),
                   sum(young_passed), sum(mature_total), sum(mature_passed)
            FROM daily_totals WHERE {" AND ".join(clauses)} GROUP BY day ORDER BY day""",
        params,
    ).fetchall()
    return [day_activity(row) for row in rows if row[1] > 0]


def day_activity(row: Sequence[Any]) -> DayActivity:
    """A day's figures from (day, reviews, milliseconds, new, young total, young passed,
    mature total, mature passed): the columns both the totals and the log give."""
    return DayActivity(
        day=dt.date.fromisoformat(row[0]),
        reviews=row[1],
        seconds=row[2] / 1000,
        new_cards=row[3],
        young_total=row[4],
        young_passed=row[5],
        mature_total=row[6],
        mature_passed=row[7],
    )


def study_days(db: sqlite3.Connection, decks: Sequence[str] | None) -> list[dt.date] | None:
    """The days with an answer that counts in ``decks`` (None: any deck), sorted;
    None when the totals cannot be brought up to date (the caller reads the log
    instead)."""
    if not _usable(db):
        return None
    clauses, params = _day_filter(decks, None, None)
    rows = db.execute(
        f"SELECT DISTINCT day FROM daily_totals WHERE {' AND '.join(clauses)} "
        "AND reviews > 0 ORDER BY day",
        params,
    ).fetchall()
    return [dt.date.fromisoformat(row[0]) for row in rows]


def _day_filter(
    decks: Sequence[str] | None, since: dt.date | None, until: dt.date | None
) -> tuple[list[str], list[Any]]:
    clauses = ["1"]
    params: list[Any] = []
    if decks is not None:
        clauses.append(f"deck IN ({', '.join('?' * len(decks))})")
        params += list(decks)
    if since is not None:
        clauses.append("day >= ?")
        params.append(since.isoformat())
    if until is not None:
        clauses.append("day <= ?")
        params.append(until.isoformat())
    return clauses, params
