"""The queries behind progress statistics: per-day aggregates computed in SQL.

A year of heavy study is a million review rows, so the progress screen never
loads them: the per-day sums come from ``daily_totals`` (kept up to date from
the rows added since the last visit), or where that table cannot be written,
SQLite groups the log per study day; either way a few hundred ``DayActivity``
rows, which ``trainer.core.stats`` turns into every series.
``trainer.core.stats.daily_activity`` is the reference these aggregates must
equal (the unit tests compare both on the same history), so the SQL mirrors
its rules exactly:

- undone answers (a row in ``review_undos``) do not count at all;
- ``reviews`` and ``seconds`` count every answer, drills included;
- new, young and mature count only study answers (``RETENTION_MODES``: a
  quiz logs only its wrong answers); new is "no due day before the answer", and young and
  mature both need ``prev_repetitions > 0``, split at the mature interval;
- a missing state column reads as the core reads it (``_state`` in the store):
  repetitions and interval 0, an empty due day as none.

``seconds`` is the sum of whole milliseconds divided once, which can differ
from the core's running float sum in the last bit; compare it approximately.

An answer belongs to the deck its card id names (``deck/term``), so a deck's
retired cards keep their history in its figures; with no filter, every review
counts, whichever deck it came from.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trainer.core.model import CardStatus, Direction
from trainer.core.scheduler import MATURE_INTERVAL_DAYS
from trainer.core.sm2 import PASSING_QUALITY, SM2State
from trainer.core.stats import (
    FORECAST_DAYS,
    HARDEST_COUNT,
    CardCategory,
    CardsSummary,
    DayActivity,
    QuizAttemptSummary,
)
from trainer.storage import daily_totals, sorted_states
from trainer.storage.sql_terms import DECK_OF_CARD_ID, NOT_UNDONE

__all__ = [
    "ALL_DECKS",
    "CardPlace",
    "card_places",
    "cards_summary",
    "daily_activity",
    "deck_names",
    "hardest_cards",
    "quiz_attempt_summaries",
    "study_days",
]

#: The deck name a quiz over every deck is filed under in quiz history.
ALL_DECKS = "all decks"

_NEW, _YOUNG, _MATURE = range(1, 4)  # the categories of daily_totals.CATEGORY_SQL
_DAILY_SQL = f"""
SELECT day, count(*), coalesce(sum(response_ms), 0),
       sum(category = {_NEW}),
       sum(category = {_YOUNG}), sum(category = {_YOUNG} AND passed),
       sum(category = {_MATURE}), sum(category = {_MATURE} AND passed)
FROM (SELECT r.day, r.response_ms, {daily_totals.CATEGORY_SQL} AS category,
             r.grade >= {PASSING_QUALITY} AS passed
      FROM reviews r WHERE {{where}})
GROUP BY day ORDER BY day"""


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def _review_filter(
    decks: Sequence[str] | None, since: dt.date | None, until: dt.date | None
) -> tuple[str, list[Any]]:
    """The WHERE clause shared by the review queries, and its parameters."""
    clauses = [NOT_UNDONE]
    params: list[Any] = []
    if decks is not None:
        # an answer belongs to the deck its card id names ("deck/term"): a range of
        # card ids per deck, which the (card_id, direction, answered_at, ...) index serves
        clauses.append("(" + " OR ".join("(r.card_id >= ? AND r.card_id < ?)" for _ in decks) + ")")
        for deck in decks:
            params += [f"{deck}/", f"{deck}0"]  # "0" is the character after "/"
    if since is not None:
        clauses.append("r.day >= ?")
        params.append(since.isoformat())
    if until is not None:
        clauses.append("r.day <= ?")
        params.append(until.isoformat())
    return " AND ".join(clauses), params


def daily_activity(
    db: sqlite3.Connection,
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
    kept = daily_totals.daily_activity(db, decks, since, until)
    if kept is not None:
        return kept
    where, params = _review_filter(decks, since, until)
    rows = db.execute(_DAILY_SQL.format(where=where), params).fetchall()
    return [daily_totals.day_activity(row) for row in rows]


def study_days(db: sqlite3.Connection, decks: Sequence[str] | None = None) -> list[dt.date]:
    """The study days with at least one answer that counts (drills included), sorted."""
    if decks is not None and not decks:
        return []
    kept = daily_totals.study_days(db, decks)
    if kept is not None:
        return kept
    if decks is None:
        from trainer.storage.store import Store

        return Store(db).study_days()
    where, params = _review_filter(decks, None, None)
    rows = db.execute(
        f"SELECT DISTINCT r.day FROM reviews r WHERE {where} ORDER BY r.day", params
    ).fetchall()
    return [dt.date.fromisoformat(row[0]) for row in rows]


def quiz_attempt_summaries(
    db: sqlite3.Connection, decks: Sequence[str] | None = None
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


def cards_summary(
    db: sqlite3.Connection,
    directions: Mapping[str, Sequence[Direction]],
    decks: Sequence[str] | None,
    today: dt.date,
    horizon: int = FORECAST_DAYS,
    n: int = HARDEST_COUNT,
) -> CardsSummary:
    """``core.stats.summarize_cards`` over the stored cards, as SQL aggregates.

    Card directions are those each deck studies now; a state row for a direction
    a deck no longer studies is left out, as the statuses would leave it out.
    Rows are grouped by (deck, direction) in SQL and the groups filtered here,
    which is cheaper than testing every row against the wanted pairs.
    """
    slugs = _slugs(directions, decks)
    if not slugs:
        return CardsSummary({category: 0 for category in CardCategory}, {}, ())
    wanted = _wanted(directions, slugs)
    return CardsSummary(
        counts=_category_counts(db, directions, slugs, wanted),
        due_by_day=_due_by_day(db, wanted, today, horizon),
        hardest=_hardest(db, wanted, n),
    )


def _slugs(directions: Mapping[str, Sequence[Direction]], decks: Sequence[str] | None) -> list[str]:
    """The decks a summary covers: the chosen ones (None: all) that are active."""
    return sorted(directions if decks is None else [d for d in decks if d in directions])


def _wanted(
    directions: Mapping[str, Sequence[Direction]], slugs: Sequence[str]
) -> set[tuple[str, str]]:
    return {(slug, str(d)) for slug in slugs for d in directions[slug]}


def hardest_cards(
    db: sqlite3.Connection,
    directions: Mapping[str, Sequence[Direction]],
    decks: Sequence[str] | None,
    n: int = HARDEST_COUNT,
) -> tuple[CardStatus, ...]:
    """``cards_summary``'s hardest card directions alone (an index walk)."""
    slugs = _slugs(directions, decks)
    return _hardest(db, _wanted(directions, slugs), n) if slugs else ()


@dataclass(frozen=True)
class CardPlace:
    """What decides whether a card's states count in ``cards_summary``, and where."""

    deck: str
    retired: bool
    suspended: bool
    #: the card's own directions, None when it has its deck's
    own: tuple[str, ...] | None

    def counted(
        self,
        direction: str,
        directions: Mapping[str, Sequence[Direction]],
        decks: Sequence[str] | None,
    ) -> bool:
        """Whether ``cards_summary`` counts this card's state in ``direction``."""
        if self.retired or self.deck not in _slugs(directions, decks):
            return False
        studied = self.own if self.own is not None else [str(d) for d in directions[self.deck]]
        return direction in studied


def card_places(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, CardPlace]:
    """``CardPlace`` of each of ``ids`` (a few cards) that exists."""
    unique = list(dict.fromkeys(ids))
    rows = db.execute(
        f"SELECT id, deck, retired, suspended, directions FROM cards "
        f"WHERE id IN ({_placeholders(unique)})",
        unique,
    ).fetchall()
    return {row[0]: CardPlace(row[1], bool(row[2]), bool(row[3]), _own(row[4])) for row in rows}


def deck_names(db: sqlite3.Connection) -> dict[str, str]:
    """Each active deck's name by slug, in name order (what Progress cycles through),
    without counting cards as ``Store.decks`` does."""
    rows = db.execute(
        "SELECT slug, name FROM decks WHERE retired = 0 ORDER BY name COLLATE NOCASE"
    ).fetchall()
    return {slug: name for slug, name in rows}


def _category_counts(
    db: sqlite3.Connection,
    directions: Mapping[str, Sequence[Direction]],
    slugs: Sequence[str],
    wanted: set[tuple[str, str]],
) -> dict[CardCategory, int]:
    counts = {category: 0 for category in CardCategory}
    in_decks = f"deck IN ({_placeholders(slugs)})"
    for deck, retired, own, cards in db.execute(
        f"""SELECT deck, retired, directions, count(*) FROM cards WHERE {in_decks}
            GROUP BY deck, retired, directions""",
        list(slugs),
    ):
        key = CardCategory.RETIRED if retired else CardCategory.NEW
        counts[key] += cards * len(_own(own) or directions[deck])
    # States are grouped by the deck prefix of their card id, which an index
    # lists in order (m007), instead of joining 100k rows to cards; retired
    # cards are few, and their states are taken off afterwards.
    by_pair = f"""SELECT {DECK_OF_CARD_ID} AS deck, direction,
                         sum(repetitions < 2), sum(repetitions >= 2 AND interval < ?),
                         sum(repetitions >= 2 AND interval >= ?)
                  FROM card_state {{where}} GROUP BY deck, direction"""
    limits = [MATURE_INTERVAL_DAYS, MATURE_INTERVAL_DAYS]
    active = db.execute(by_pair.format(where=""), limits).fetchall()
    retired = db.execute(
        by_pair.format(
            where=f"WHERE card_id IN (SELECT id FROM cards WHERE {in_decks} AND retired = 1)"
        ),
        [*limits, *slugs],  # the limits come first in the text
    ).fetchall()
    for rows, sign in ((active, 1), (retired, -1)):
        for deck, direction, learning, young, mature in rows:
            if (deck, direction) in wanted:
                counts[CardCategory.LEARNING] += sign * learning
                counts[CardCategory.YOUNG] += sign * young
                counts[CardCategory.MATURE] += sign * mature
                counts[CardCategory.NEW] -= sign * (learning + young + mature)
    own_states = db.execute(
        f"""SELECT c.deck, s.direction, c.directions, sum(s.repetitions < 2),
                   sum(s.repetitions >= 2 AND s.interval < ?),
                   sum(s.repetitions >= 2 AND s.interval >= ?)
            FROM cards c JOIN card_state s ON s.card_id = c.id
            WHERE c.{in_decks} AND c.retired = 0 AND c.directions IS NOT NULL
            GROUP BY c.deck, s.direction, c.directions""",
        [*limits, *slugs],
    ).fetchall()
    for deck, direction, own, learning, young, mature in own_states:
        sign = _correction(deck, direction, own, wanted)
        counts[CardCategory.LEARNING] += sign * learning
        counts[CardCategory.YOUNG] += sign * young
        counts[CardCategory.MATURE] += sign * mature
        counts[CardCategory.NEW] -= sign * (learning + young + mature)
    return counts


def _own(stored: str | None) -> tuple[str, ...] | None:
    """A card's own directions (its ``directions`` column), None when it has its deck's."""
    return None if stored is None else tuple(json.loads(stored))


def _correction(deck: str, direction: str, own: str, wanted: set[tuple[str, str]]) -> int:
    """How to adjust a total grouped by (deck, direction) for the states of a card with
    its own directions: the grouping counted them as its deck would (+1 if it studies
    the direction and its deck does not, -1 the other way round, 0 when they agree)."""
    return int(direction in (_own(own) or ())) - int((deck, direction) in wanted)


def _due_by_day(
    db: sqlite3.Connection, wanted: set[tuple[str, str]], today: dt.date, horizon: int
) -> dict[dt.date, int]:
    """Like the category counts: grouped by the deck prefix of the card id, with
    the (few) retired or suspended cards' states taken off afterwards.

    The covering due index (m012) finds the states due within the horizon, a
    fifth of them or less, and holds all this reads; without ``INDEXED BY``
    SQLite prefers the deck index for its grouping and reads every state.
    """
    if horizon <= 0:
        return {}
    dates = [today.isoformat(), (today + dt.timedelta(days=horizon - 1)).isoformat()]
    decks = sorted({deck for deck, _ in wanted})
    due_states = db.execute(
        f"""SELECT {DECK_OF_CARD_ID} AS deck, direction, max(due, ?) AS day, count(*)
            FROM card_state INDEXED BY idx_card_state_due_card
            WHERE due <= ? GROUP BY deck, direction, day""",
        dates,
    ).fetchall()
    # retired, then active but suspended: two seeks of the (deck, retired, suspended)
    # index, where one OR of the two made SQLite read every card of the decks
    in_decks = f"deck IN ({_placeholders(decks)})"
    hidden_states = db.execute(
        f"""SELECT c.deck, s.direction, max(s.due, ?) AS day, count(*)
            FROM cards c JOIN card_state s ON s.card_id = c.id
            WHERE c.rowid IN (SELECT rowid FROM cards WHERE {in_decks} AND retired = 1
                              UNION ALL
                              SELECT rowid FROM cards
                              WHERE {in_decks} AND retired = 0 AND suspended = 1)
              AND s.due <= ?
            GROUP BY c.deck, s.direction, day""",
        [dates[0], *decks, *decks, dates[1]],
    ).fetchall()
    due: dict[dt.date, int] = {}
    for rows, sign in ((due_states, 1), (hidden_states, -1)):
        for deck, direction, day, count in rows:
            if (deck, direction) in wanted:
                key = dt.date.fromisoformat(day)
                due[key] = due.get(key, 0) + sign * count
    own_states = db.execute(
        f"""SELECT c.deck, s.direction, c.directions, max(s.due, ?) AS day, count(*)
            FROM cards c INDEXED BY idx_cards_deck_directions
            JOIN card_state s ON s.card_id = c.id
            WHERE c.deck IN ({_placeholders(decks)}) AND c.retired = 0 AND c.suspended = 0
              AND c.directions IS NOT NULL AND s.due <= ?
            GROUP BY c.deck, s.direction, c.directions, day""",
        [dates[0], *decks, dates[1]],
    ).fetchall()
    for deck, direction, own, day, count in own_states:
        key = dt.date.fromisoformat(day)
        due[key] = due.get(key, 0) + _correction(deck, direction, own, wanted) * count
    return {day: count for day, count in due.items() if count}


def _hardest(
    db: sqlite3.Connection, wanted: set[tuple[str, str]], n: int
) -> tuple[CardStatus, ...]:
    """Walks card states hardest first (an index on lapses, easiness, on the sorted
    copy of the states) until n fit."""
    found: list[CardStatus] = []
    if n <= 0:
        return ()
    states = sorted_states.sorting_table(db)
    cursor = db.execute(
        f"""SELECT s.card_id, c.deck, s.direction, c.suspended, s.repetitions, s.easiness,
                  s.interval, s.due, s.lapses, c.directions
           FROM {states} s JOIN cards c ON c.id = s.card_id
           WHERE c.retired = 0
           ORDER BY s.lapses DESC, s.easiness, s.card_id, s.direction"""
    )
    decks = {deck for deck, _ in wanted}
    for row in cursor:
        own = _own(row[9])
        if (
            (row[1], row[2]) not in wanted
            if own is None
            else (row[1] not in decks or row[2] not in own)
        ):
            continue
        found.append(
            CardStatus(
                card_id=row[0],
                deck=row[1],
                direction=Direction(row[2]),
                state=SM2State(
                    repetitions=row[4],
                    easiness=row[5],
                    interval=row[6],
                    due=dt.date.fromisoformat(row[7]),
                    lapses=row[8],
                ),
                suspended=bool(row[3]),
            )
        )
        if len(found) == n:
            break
    cursor.close()
    return tuple(found)
