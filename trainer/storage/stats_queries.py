"""The queries behind progress statistics: per-day aggregates computed in SQL.

A year of heavy study is a million review rows, so the progress screen never
loads them: SQLite groups them per study day and returns a few hundred
``DayActivity`` rows, which ``trainer.core.stats`` turns into every series.
``trainer.core.stats.daily_activity`` is the reference these aggregates must
equal (the unit tests compare both on the same history), so the SQL mirrors
its rules exactly:

- undone answers (a row in ``review_undos``) do not count at all;
- ``reviews`` and ``seconds`` count every answer, drills included;
- new, young and mature count only answers that moved the schedule (the
  scheduling modes); new is "no due day before the answer", and young and
  mature both need ``prev_repetitions > 0``, split at the mature interval;
- a missing state column reads as the core reads it (``_state`` in the store):
  repetitions and interval 0, an empty due day as none.

``seconds`` is the sum of whole milliseconds divided once, which can differ
from the core's running float sum in the last bit; compare it approximately.

A deck filter joins ``cards`` on ``card_id``, so a deck's retired cards keep
their history in its figures; with no filter, every review counts, whichever
deck it came from.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from trainer.core.model import SCHEDULING_MODES
from trainer.core.sm2 import PASSING_QUALITY
from trainer.core.stats import MATURE_INTERVAL_DAYS, DayActivity, QuizAttemptSummary

__all__ = [
    "ALL_DECKS",
    "daily_activity",
    "quiz_attempt_summaries",
    "study_days",
]

#: The deck name a quiz over every deck is filed under in quiz history.
ALL_DECKS = "all decks"

# Undone answers are few: list their rowids once instead of probing review_undos for
# every row, which also lets any index on reviews cover the query (rowid is in all).
_NOT_UNDONE = (
    "r.rowid NOT IN (SELECT v.rowid FROM review_undos u JOIN reviews v ON v.id = u.review_id)"
)
_NOT_COUNTED, _NEW, _YOUNG, _MATURE = range(4)
# The category of one answer, in the order of the core's if/elif chain.
_CATEGORY = f"""CASE
    WHEN r.mode NOT IN ({", ".join(f"'{mode}'" for mode in sorted(SCHEDULING_MODES))})
        THEN {_NOT_COUNTED}
    WHEN coalesce(r.prev_due, '') = '' THEN {_NEW}
    WHEN coalesce(r.prev_repetitions, 0) <= 0 THEN {_NOT_COUNTED}
    WHEN coalesce(r.prev_interval, 0) < {MATURE_INTERVAL_DAYS} THEN {_YOUNG}
    ELSE {_MATURE}
END"""
_DAILY_SQL = f"""
SELECT day, count(*), coalesce(sum(response_ms), 0),
       sum(category = {_NEW}),
       sum(category = {_YOUNG}), sum(category = {_YOUNG} AND passed),
       sum(category = {_MATURE}), sum(category = {_MATURE} AND passed)
FROM (SELECT r.day, r.response_ms, {_CATEGORY} AS category,
             r.grade >= {PASSING_QUALITY} AS passed
      FROM reviews r WHERE {{where}})
GROUP BY day ORDER BY day"""


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _review_filter(
    decks: Sequence[str] | None, since: dt.date | None, until: dt.date | None
) -> tuple[str, list[Any]]:
    """The WHERE clause shared by the review queries, and its parameters."""
    clauses = [_NOT_UNDONE]
    params: list[Any] = []
    if decks is not None:
        # IN (subquery) lets SQLite walk the deck's cards and then each card's reviews
        # through the (card_id, direction, answered_at) index, instead of every review.
        clauses.append(
            f"r.card_id IN (SELECT c.id FROM cards c WHERE c.deck IN ({_placeholders(decks)}))"
        )
        params += list(decks)
    if since is not None:
        clauses.append("r.day >= ?")
        params.append(since.isoformat())
    if until is not None:
        clauses.append("r.day <= ?")
        params.append(until.isoformat())
    return " AND ".join(clauses), params


def daily_activity(
    db: Database,
    decks: Sequence[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[DayActivity]:
    """Per study day aggregates of the answers that count, sorted by day.

    ``decks`` None means every deck, and an empty list none; ``since`` and
    ``until`` bound the study days, both inclusive.
    """
    if decks is not None and not decks:
        return []
    where, params = _review_filter(decks, since, until)
    rows = db.execute(_DAILY_SQL.format(where=where), params).fetchall()
    return [
        DayActivity(
            day=dt.date.fromisoformat(row[0]),
            reviews=row[1],
            seconds=row[2] / 1000,
            new_cards=row[3],
            young_total=row[4],
            young_passed=row[5],
            mature_total=row[6],
            mature_passed=row[7],
        )
        for row in rows
    ]


def study_days(db: Database, decks: Sequence[str] | None = None) -> list[dt.date]:
    """The study days with at least one answer that counts (drills included), sorted."""
    if decks is not None and not decks:
        return []
    if decks is None:
        from trainer.storage.store import Store

        return Store(db).study_days()
    where, params = _review_filter(decks, None, None)
    rows = db.execute(
        f"SELECT DISTINCT r.day FROM reviews r WHERE {where} ORDER BY r.day", params
    ).fetchall()
    return [dt.date.fromisoformat(row[0]) for row in rows]


def quiz_attempt_summaries(
    db: Database, decks: Sequence[str] | None = None
) -> list[QuizAttemptSummary]:
    """Every finished quiz attempt as (deck, day, score, total), in the order taken.

    An attempt is filed under its deck, several decks joined with " + ", or
    ``ALL_DECKS`` when it covered every deck (``decks`` stored as null or []).
    A deck filter keeps the attempts that name at least one of the decks; a quiz
    over every deck belongs to no single deck and is left out.
    """
    if decks is not None and not decks:
        return []
    sql = "SELECT q.day, q.decks, q.correct, q.total FROM quiz_attempts q WHERE q.day IS NOT NULL"
    params: list[Any] = []
    if decks is not None:
        sql += (
            " AND json_valid(q.decks) AND json_type(q.decks) = 'array' AND EXISTS "
            f"(SELECT 1 FROM json_each(q.decks) d WHERE d.value IN ({_placeholders(decks)}))"
        )
        params += list(decks)
    sql += " ORDER BY q.day, q.started_at, q.rowid"
    return [
        QuizAttemptSummary(
            deck=_attempt_deck(row[1]),
            day=dt.date.fromisoformat(row[0]),
            score=row[2] or 0,
            total=row[3] or 0,
        )
        for row in db.execute(sql, params).fetchall()
    ]


def _attempt_deck(stored: str | None) -> str:
    """The quiz-history name of an attempt's stored ``decks`` JSON."""
    try:
        value = json.loads(stored) if stored else None
    except ValueError:
        return ALL_DECKS
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        return " + ".join(str(slug) for slug in value)
    return ALL_DECKS
