"""An Anki package holding a simulated learner's year of reviews.

The learner's memory follows neither SM-2 nor FSRS: exponential forgetting
with a per-card difficulty, stability growing on each recall and shrinking on
each lapse; the reviews are scheduled by an Anki-like rule (interval times
2.5 on a pass, back to one day on a lapse) with the learner sometimes a few
days late. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from tests.interop.anki_builders import ModernCollection, ModernNote

#: Anki's note ids are epoch milliseconds; any distinct numbers do.
FIRST_NOTE_ID = 1_600_000_000_000
DAY_MS = 86_400_000


def year_of_history(
    path: Path,
    *,
    cards: int = 120,
    days: int = 365,
    end: dt.date,
    seed: int = 7,
    deck: str = "Year deck",
) -> Path:
    """A package of ``cards`` basic notes answered over the ``days`` before ``end``."""
    rng = random.Random(seed)
    start = end - dt.timedelta(days=days)
    start_ms = int(dt.datetime(start.year, start.month, start.day, 9, tzinfo=dt.UTC).timestamp())
    start_ms *= 1000
    notes = []
    revlog: list[tuple[int, int, int, int]] = []
    for index in range(cards):
        note_id = FIRST_NOTE_ID + index
        notes.append(ModernNote(note_id, [f"term {index:03d}", f"meaning {index:03d}"], deck=1))
        revlog += _card_history(rng, note_id, start_ms, days, first_day=index * days // (2 * cards))
    revlog.sort()
    return ModernCollection(decks={1: deck}, notes=notes, revlog=revlog).package(path)


def _card_history(
    rng: random.Random, card_id: int, start_ms: int, days: int, first_day: int
) -> list[tuple[int, int, int, int]]:
    """(revlog id, card, ease, type) of one card's answers."""
    difficulty = rng.uniform(0.7, 1.4)
    stability = 2.0 / difficulty  # days until recall falls to 90 %
    day, interval, last = first_day, 0, None
    rows = []
    while day < days:
        if last is None:
            ease, kind = 3, 0
        else:
            recalled = rng.random() < 0.9 ** ((day - last) / stability)
            ease = rng.choice((2, 3, 3, 3, 4)) if recalled else 1
            kind = 1
            growth = (2.2 + 1.6 * rng.random()) / difficulty
            stability = max(0.5, stability * growth if recalled else stability / 4)
        # one answer per card and day: the card's number in seconds keeps ids distinct
        at = start_ms + day * DAY_MS + (card_id - FIRST_NOTE_ID) * 1000
        rows.append((at, card_id, ease, kind))
        interval = 1 if ease == 1 or interval == 0 else max(interval + 1, round(interval * 2.5))
        last = day
        day += interval + (rng.randrange(4) if rng.random() < 0.3 else 0)
    return rows
