"""What to study today: a pure function of card states, today's log and limits.

Order: due reviews first, then new cards up to the daily
allowance, then the same-day drills of items graded below 4 today. Limits count
what was already done today, so closing and reopening the app does not grant a
fresh allowance.

Design decisions (issue 15, "a study order that teaches"):

- Due reviews are shuffled per study day (the most overdue fill the daily
  room, as before; only their order changes): each entry's place comes from a hash
  of the day and the entry, so the order is new every day, the same all day
  (the queue is rebuilt after every answer and must not jump about), and mixed
  across decks when studying all of them.
- New cards are drawn from the decks in turn, one from each, so "study all"
  does not spend the whole allowance on the first deck.
- Siblings wait (``bury_siblings``): once one direction of a card is answered in
  study, its other direction is not offered again that day, and of two
  directions waiting the same day only the first is offered.
- Drills space themselves: pending drills run in the order of their last
  answer, so a drill failed again goes behind the others, and no card is shown
  twice in a row while another card waits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from trainer.core.model import CardStatus, Direction, Mode, ReviewRecord

DRILL_PASS_GRADE = 4


class QueueKind(StrEnum):
    REVIEW = "review"
    NEW = "new"
    DRILL = "drill"


@dataclass(frozen=True)
class Limits:
    new_per_day: int = 20
    reviews_per_day: int = 200


@dataclass(frozen=True)
class QueueEntry:
    card_id: str
    direction: Direction
    kind: QueueKind


@dataclass(frozen=True)
class TodayLog:
    """What today's review log says, reduced to what the queue needs."""

    new_studied: int = 0
    reviews_studied: int = 0
    #: oldest last answer first, so a drill just failed again goes to the back
    drills_pending: tuple[tuple[str, Direction], ...] = ()
    #: cards with a direction answered in study today: their siblings wait
    studied_cards: frozenset[str] = frozenset()
    #: the card answered last today, not shown again next while another waits
    last_card: str | None = None
    #: new cards studied today per deck slug: where each deck's turn has got to
    new_by_deck: tuple[tuple[str, int], ...] = ()


def summarize_today(reviews: Iterable[ReviewRecord], today: dt.date) -> TodayLog:
    """Reduce today's non-undone answers (in answer order) to counts and pending drills."""
    new_studied = reviews_studied = 0
    last_grade: dict[tuple[str, Direction], int] = {}
    studied: set[str] = set()
    last_card: str | None = None
    new_by_deck: dict[str, int] = {}
    for record in reviews:
        if record.day != today:
            continue
        key = (record.card_id, record.direction)
        if record.mode is Mode.STUDY:
            studied.add(record.card_id)
            if record.before.is_new:
                new_studied += 1
                deck = record.card_id.split("/", 1)[0]
                new_by_deck[deck] = new_by_deck.get(deck, 0) + 1
            else:
                reviews_studied += 1
        last_grade.pop(key, None)  # re-inserted: the order is that of the last answers
        last_grade[key] = record.grade
        last_card = record.card_id
    pending = tuple(key for key, grade in last_grade.items() if grade < DRILL_PASS_GRADE)
    return TodayLog(
        new_studied,
        reviews_studied,
        pending,
        frozenset(studied),
        last_card,
        tuple(sorted(new_by_deck.items())),
    )


def day_order(today: dt.date, status: CardStatus) -> bytes:
    """A sort key that shuffles entries reproducibly per study day."""
    text = f"{today.isoformat()}|{status.card_id}|{status.direction}"
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


def _one_per_card(statuses: Iterable[CardStatus], taken: set[str]) -> list[CardStatus]:
    """The first status of each card not in ``taken``; ``taken`` grows with the kept ones."""
    kept = []
    for status in statuses:
        if status.card_id not in taken:
            taken.add(status.card_id)
            kept.append(status)
    return kept


def _in_turn(statuses: Sequence[CardStatus], done: dict[str, int]) -> list[CardStatus]:
    """One from each deck in turn (decks in name order), each deck's own order kept.

    ``done`` counts the new cards each deck gave today: the turn goes on from
    there, so the queue rebuilt after an answer does not start the round again.
    """
    by_deck: dict[str, list[CardStatus]] = {}
    for status in statuses:
        by_deck.setdefault(status.deck, []).append(status)
    ranked = [
        (done.get(deck, 0) + index, deck, status)
        for deck, cards in by_deck.items()
        for index, status in enumerate(cards)
    ]
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    return [status for _, _, status in ranked]


def space_out(queue: Sequence[QueueEntry], last_card: str | None = None) -> list[QueueEntry]:
    """The queue with no card twice in a row (nor first after ``last_card``) where avoidable.

    Stable otherwise: each place takes the first waiting entry of another card.
    """
    waiting = list(queue)
    spaced: list[QueueEntry] = []
    previous = last_card
    while waiting:
        index = next((i for i, e in enumerate(waiting) if e.card_id != previous), 0)
        entry = waiting.pop(index)
        spaced.append(entry)
        previous = entry.card_id
    return spaced


def build_queue(
    statuses: Sequence[CardStatus],
    today: dt.date,
    today_log: TodayLog,
    limits: Limits,
    *,
    bury_siblings: bool = True,
) -> list[QueueEntry]:
    """Today's queue, in the order it should be shown."""
    entries = plan_queue(statuses, today, today_log, limits, bury_siblings=bury_siblings)
    return space_out(entries, today_log.last_card)


def _due_in_order(active: Sequence[CardStatus], today: dt.date) -> list[CardStatus]:
    """The due statuses, most overdue first."""
    return sorted(
        (s for s in active if s.state.due is not None and s.state.due <= today),
        key=lambda s: (s.state.due, s.card_id, s.direction),
    )


def buries_new_cards(
    statuses: Sequence[CardStatus], today: dt.date, today_log: TodayLog, limits: Limits
) -> bool:
    """Whether burying siblings would leave out any of these new candidates.

    When it leaves out none, each deck's first ``new_room`` new cards are all
    ``plan_queue`` can take (no deck gives more than the room, and no candidate
    ahead of them drops out), so a caller may read just those and get the same
    plan as from every candidate; otherwise it must read more.
    """
    active = [s for s in statuses if not s.retired and not s.suspended]
    review_room = max(0, limits.reviews_per_day - today_log.reviews_studied)
    due = _one_per_card(_due_in_order(active, today), set(today_log.studied_cards))
    seen = set(today_log.studied_cards) | {s.card_id for s in due[:review_room]}
    for status in active:
        if status.state.is_new:
            if status.card_id in seen:
                return True
            seen.add(status.card_id)
    return False


def plan_queue(
    statuses: Sequence[CardStatus],
    today: dt.date,
    today_log: TodayLog,
    limits: Limits,
    *,
    bury_siblings: bool = True,
) -> list[QueueEntry]:
    """Today's queue before ``space_out``: reviews, then new cards, then drills.

    Kept apart so that a study session can advance it after an answer
    (``advance_plan``) instead of building it again.
    """
    active = [s for s in statuses if not s.retired and not s.suspended]
    due = _due_in_order(active, today)
    new = [s for s in active if s.state.is_new]
    review_room = max(0, limits.reviews_per_day - today_log.reviews_studied)
    new_room = max(0, limits.new_per_day - today_log.new_studied)
    if bury_siblings:
        due = _one_per_card(due, set(today_log.studied_cards))[:review_room]
        taken = set(today_log.studied_cards) | {s.card_id for s in due}
        new = _one_per_card(new, taken)
    new = _in_turn(new, dict(today_log.new_by_deck))
    # the most overdue fit the room; the day decides their order
    due = sorted(due[:review_room], key=lambda s: day_order(today, s))
    new = new[:new_room]
    queue = [QueueEntry(s.card_id, s.direction, QueueKind.REVIEW) for s in due]
    queue += [QueueEntry(s.card_id, s.direction, QueueKind.NEW) for s in new]
    scheduled = {(entry.card_id, entry.direction) for entry in queue}
    active_keys = {(s.card_id, s.direction) for s in active}
    queue += [
        QueueEntry(card, direction, QueueKind.DRILL)
        for card, direction in today_log.drills_pending
        if (card, direction) not in scheduled and (card, direction) in active_keys
    ]
    return queue


def advance_plan(
    plan: Sequence[QueueEntry], answered: QueueEntry, record: ReviewRecord, today: dt.date
) -> list[QueueEntry] | None:
    """``plan_queue``'s result after ``record`` answered ``answered``, worked out from
    the plan alone; None where only building the queue again is sure to agree.

    Assumes siblings are buried and nothing but this answer changed since the
    plan was made (the caller checks both). Why each case equals a rebuild:

    - A drill answer moves no state and no daily count: its entry leaves, and
      comes back last among the drills (the order of last answers) if the grade
      is still below the pass mark.
    - A review answered in study is due after today, its card counts as studied
      (its siblings were already out of the queue: one direction per card) and
      the review room shrinks by one together with the reviews offered. Nothing
      else moves; it comes back as the last drill if failed.
    - A new card answered in study, the first of its deck's turn: the deck's
      turn moves on by one while its list loses its head, so every other new
      card keeps its rank, and the new room shrinks by one with the list.
    """
    if not _advances(plan, answered, record, today):
        return None
    key = (answered.card_id, answered.direction)
    kept = [
        entry
        for entry in plan
        if entry != answered and not (entry.kind is QueueKind.DRILL and _key(entry) == key)
    ]
    if record.grade < DRILL_PASS_GRADE:
        kept.append(QueueEntry(answered.card_id, answered.direction, QueueKind.DRILL))
    return kept


def _advances(
    plan: Sequence[QueueEntry], answered: QueueEntry, record: ReviewRecord, today: dt.date
) -> bool:
    """Whether ``advance_plan``'s cases cover this answer (see there)."""
    if record.day != today or answered not in plan or record.after.due is None:
        return False
    if answered.kind is QueueKind.DRILL:
        return record.mode is Mode.DRILL
    if record.mode is not Mode.STUDY or record.after.due <= today:
        return False
    if answered.kind is QueueKind.REVIEW:
        return not record.before.is_new
    return record.before.is_new and _first_new_of_deck(plan, answered)


def _key(entry: QueueEntry) -> tuple[str, Direction]:
    return entry.card_id, entry.direction


def _first_new_of_deck(plan: Sequence[QueueEntry], answered: QueueEntry) -> bool:
    deck = answered.card_id.split("/", 1)[0]
    first = next(
        (
            entry
            for entry in plan
            if entry.kind is QueueKind.NEW and entry.card_id.split("/", 1)[0] == deck
        ),
        None,
    )
    return first == answered
