"""Deterministic synthetic data: glossaries, YAML decks and SM-2 review histories.

Everything is drawn from ``random.Random`` seeded by the caller, so the same
(N, R, seed) always yields byte-identical decks and identical databases. The
review history is built with ``trainer.core.sm2.review`` itself, so every
row's before/after states chain exactly as the application would have written
them, and ``card_state`` holds the state the last scheduling answer left.

Databases are created with ``trainer.storage.open_database`` (the real schema,
migrations recorded) and filled in one transaction with ``executemany``; they
are cached under ``benchmarks/data/cache`` keyed by N, R, seed and generator
version, because the 1M-review ones take a while to build.

    python -m benchmarks.generate --cards 100k --reviews 1m --seed 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from trainer.core.model import Card, Deck, card_id, normalize_term
from trainer.core.sm2 import SM2State, review

#: Bump when the generated data changes shape, so stale caches are not reused.
GENERATOR_VERSION = 2

DATA_DIR = Path(__file__).resolve().parent / "data"
CACHE_DIR = DATA_DIR / "cache"

#: The benchmark's "now": 08:00 UTC, a morning before the day's session.
NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
TODAY = NOW.date()  # timezone UTC, rollover 04:00
HISTORY_DAYS = 730
DECK_SLUG = "glossary"
DECK_NAME = "Synthetic glossary"
DIRECTION = "forward"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_ONSETS = _words(
    "b c d f g h j k l m n p r s t v w z br cr dr fr gr pr tr st sp sk ch sh th pl cl fl gl qu"
)
_VOWELS = _words("a e i o u a e i o ai ea io ou ue y")
_CODAS = ("", "", "", "", "n", "r", "s", "l", "t", "x", "m", "nd", "st", "ck", "ng", "rt")
_FUNCTION_WORDS = _words(
    "the of a an to in that is for which by with as on from its or and used when each can "
    "be are one into it this such other between more most all any their how where"
)


def parse_count(text: str) -> int:
    """``10k`` -> 10000, ``1m`` -> 1000000, ``2500`` -> 2500."""
    value = text.strip().lower().replace("_", "")
    scale = 1
    if value.endswith("k"):
        scale, value = 1_000, value[:-1]
    elif value.endswith("m"):
        scale, value = 1_000_000, value[:-1]
    number = float(value) * scale
    if number < 1 or number != int(number):
        raise ValueError(f"not a positive count: {text!r}")
    return int(number)


def format_count(value: int) -> str:
    if value >= 1_000_000 and value % 1_000_000 == 0:
        return f"{value // 1_000_000}M"
    if value >= 1_000 and value % 1_000 == 0:
        return f"{value // 1_000}k"
    return str(value)


# ---------------------------------------------------------------- glossaries


def _pseudo_words(rng: random.Random, count: int) -> list[str]:
    words: set[str] = set()
    ordered: list[str] = []
    while len(ordered) < count:
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
            for _ in range(rng.choice((1, 2, 2, 2, 3, 3)))
        )
        if 3 <= len(word) <= 12 and word not in words and word not in _FUNCTION_WORDS:
            words.add(word)
            ordered.append(word)
    return ordered


def glossary(n: int, seed: int) -> list[tuple[str, str]]:
    """N unique (term, definition) pairs: terms of 1-4 words, definitions of 10-40."""
    rng = random.Random(seed)
    term_words = _pseudo_words(rng, 5_000)
    text_words = _pseudo_words(rng, 8_000)
    seen: set[str] = set()
    entries: list[tuple[str, str]] = []
    while len(entries) < n:
        size = rng.choices((1, 2, 3, 4), weights=(20, 45, 25, 10))[0]
        words = rng.sample(term_words, size)
        if rng.random() < 0.3:
            words[0] = words[0].capitalize()
        term = " ".join(words)
        key = normalize_term(term)
        if key in seen:
            continue
        seen.add(key)
        length = rng.randint(10, 40)
        body = [
            rng.choice(_FUNCTION_WORDS) if rng.random() < 0.45 else rng.choice(text_words)
            for _ in range(length)
        ]
        if length > 14:
            body[rng.randrange(4, length - 4)] += ","
        body[0] = body[0].capitalize()
        entries.append((term, " ".join(body) + "."))
    return entries


def glossary_tsv(entries: Sequence[tuple[str, str]]) -> str:
    return "Term\tDefinition\n" + "".join(f"{t}\t{d}\n" for t, d in entries)


#: Topic tags of the database's cards: card i has ``topic-{i % 25}`` when i % 25 < 20
#: (each topic on 4% of the cards, a fifth of the cards untagged)
TOPIC_TAGS = 20
#: ... and one card in 250 also has this tag (a narrow tag filter)
RARE_TAG = "rare"


def card_tags(position: int) -> tuple[str, ...]:
    """The tags of the database's card at ``position`` (deck order), for Browse's tag:."""
    tags = [f"topic-{position % 25:02d}"] if position % 25 < TOPIC_TAGS else []
    if position % 250 == 7:
        tags.append(RARE_TAG)
    return tuple(tags)


def glossary_deck(entries: Sequence[tuple[str, str]], *, tagged: bool = False) -> Deck:
    """The deck of these entries; ``tagged``: with ``card_tags`` (the database's deck;
    the glossary files the import figures read stay untagged)."""
    return Deck(
        slug=DECK_SLUG,
        name=DECK_NAME,
        cards=tuple(
            Card(term=t, definition=d, tags=card_tags(i) if tagged else ())
            for i, (t, d) in enumerate(entries)
        ),
        source="Synthetic glossary generated by benchmarks/generate.py.",
    )


def deck_yaml(entries: Sequence[tuple[str, str]]) -> str:
    """The deck file exactly as trainer writes it (trainer.app.deckfile.dump_deck)."""
    from trainer.app.deckfile import dump_deck

    return dump_deck(glossary_deck(entries))


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def glossary_files(n: int, seed: int) -> tuple[Path, Path]:
    """The cached TSV glossary and YAML deck of N terms: (tsv, yaml)."""
    stem = f"glossary-n{n}-s{seed}-v{GENERATOR_VERSION}"
    tsv, yaml_path = CACHE_DIR / f"{stem}.tsv", CACHE_DIR / f"{stem}.yaml"
    if not (tsv.exists() and yaml_path.exists()):
        entries = glossary(n, seed)
        _write_atomically(tsv, glossary_tsv(entries))
        _write_atomically(yaml_path, deck_yaml(entries))
    return tsv, yaml_path


# ------------------------------------------------------------------ histories

_PASS_GRADES = (3, 3, 4, 4, 4, 4, 4, 5, 5, 5)
_FAIL_GRADES = (0, 1, 1, 2, 2, 2)
_DRILL_GRADES = (2, 3, 4, 4, 4, 5, 5)
#: Mean per-card failure probabilities tried in order: the first that can
#: produce R reviews from N cards wins, so small R gets realistic recall.
_FAILURE_LADDER = (0.08, 0.12, 0.18, 0.25, 0.33, 0.42, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class History:
    reviews: list[tuple]  # rows in REVIEW_ROW order, sorted by answered_at
    states: list[tuple]  # card_state rows
    studied: int
    failure_rate: float


REVIEW_ROW = (
    "id, card_id, direction, answered_at, day, grade, mode, response_ms, "
    "prev_repetitions, prev_easiness, prev_interval, prev_due, prev_lapses, "
    "repetitions, easiness, interval, due, lapses"
)
STATE_ROW = "card_id, direction, repetitions, easiness, interval, due, lapses, last_review"


class _Days:
    """Day ordinal -> (date, ISO text), cached: 1M isoformat calls add up."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[dt.date, str]] = {}

    def __getitem__(self, ordinal: int) -> tuple[dt.date, str]:
        found = self._cache.get(ordinal)
        if found is None:
            day = dt.date.fromordinal(ordinal)
            found = self._cache[ordinal] = (day, day.isoformat())
        return found


def _columns(state: SM2State, days: _Days) -> tuple:
    due = days[state.due.toordinal()][1] if state.due else None
    return (state.repetitions, state.easiness, state.interval, due, state.lapses)


def _lateness(rng: random.Random) -> int:
    u = rng.random()
    if u < 0.65:
        return 0
    if u < 0.9:
        return rng.randint(1, 2)
    if u < 0.98:
        return rng.randint(3, 10)
    return rng.randint(11, 40)


def _chain(
    rng: random.Random,
    cid: str,
    start: int,
    end: int,
    failure: float,
    days: _Days,
) -> tuple[list[tuple], tuple | None]:
    """One card's answers from its first study day until ``end`` (exclusive).

    Returns the review rows and the card_state row (None if never studied).
    Grades below 4 are followed by same-day drills (mode drill, state unchanged).
    """
    rows: list[tuple] = []
    state = SM2State()
    before_cols = _columns(state, days)
    day = start
    last = None
    while day < end:
        date, iso = days[day]
        grade = rng.choice(_FAIL_GRADES if rng.random() < failure else _PASS_GRADES)
        after = review(state, grade, date)
        after_cols = _columns(after, days)
        second = rng.randrange(6 * 3600, 23 * 3600)
        at = _stamp(iso, second, rng)
        rows.append(
            (
                f"{rng.getrandbits(128):032x}",
                cid,
                DIRECTION,
                at,
                iso,
                grade,
                "study",
                int(rng.lognormvariate(8.7, 0.6)),
                *before_cols,
                *after_cols,
            )
        )
        last = at
        drill = grade
        while drill < 4 and second < 23 * 3600 + 1800:
            second += rng.randint(20, 300)
            drill = rng.choice(_DRILL_GRADES)
            rows.append(
                (
                    f"{rng.getrandbits(128):032x}",
                    cid,
                    DIRECTION,
                    _stamp(iso, second, rng),
                    iso,
                    drill,
                    "drill",
                    int(rng.lognormvariate(8.3, 0.5)),
                    *after_cols,
                    *after_cols,
                )
            )
        state, before_cols = after, after_cols
        day = after.due.toordinal() + _lateness(rng)  # type: ignore[union-attr]
    if last is None:
        return rows, None
    return rows, (cid, DIRECTION, *before_cols, last)


def _stamp(iso: str, second: int, rng: random.Random) -> str:
    hours, rest = divmod(second, 3600)
    return (
        f"{iso}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.{rng.randrange(1_000_000):06d}+00:00"
    )


def _truncated_state(rows: list[tuple]) -> tuple | None:
    """card_state for a chain cut short: the after-state of its last study answer."""
    for row in reversed(rows):
        if row[6] == "study":
            return (row[1], DIRECTION, *row[13:18], row[3])
    return None


def _mean_chain(seed: int, failure: float, days: _Days, samples: int = 300) -> float:
    rng = random.Random(seed * 7919 + 17)
    end = TODAY.toordinal()
    first = end - HISTORY_DAYS
    total = 0
    for i in range(samples):
        start = first + (i * HISTORY_DAYS) // samples
        q = min(0.95, failure * rng.uniform(0.5, 1.5))
        total += len(_chain(rng, "x", start, end, q, days)[0])
    return total / samples


def _simulate(
    card_ids: Sequence[str], studied: int, failure: float, seed: int, days: _Days
) -> list[tuple[list[tuple], tuple | None]]:
    rng = random.Random(seed * 104729 + studied)
    end = TODAY.toordinal()
    first = end - HISTORY_DAYS
    chains = []
    for i in range(studied):
        start = first + (i * HISTORY_DAYS) // studied  # new cards come in deck order
        q = min(0.95, failure * rng.uniform(0.5, 1.5))
        chains.append(_chain(rng, card_ids[i], start, end, q, days))
    return chains


def history(card_ids: Sequence[str], reviews: int, seed: int) -> History:
    """Exactly ``reviews`` review rows over the first cards of ``card_ids``."""
    n = len(card_ids)
    days = _Days()
    for failure in _FAILURE_LADDER:
        mean = _mean_chain(seed, failure, days)
        if mean * n >= reviews * 1.03 or failure == _FAILURE_LADDER[-1]:
            break
    studied = min(n, math.ceil(reviews * 1.03 / mean))
    while True:
        chains = _simulate(card_ids, studied, failure, seed, days)
        total = sum(len(rows) for rows, _ in chains)
        if total >= reviews:
            break
        if studied < n:
            studied = min(n, math.ceil(studied * reviews / total * 1.03))
            continue
        higher = [f for f in _FAILURE_LADDER if f > failure]
        if not higher:
            raise ValueError(f"cannot fit {reviews} reviews on {n} cards")
        failure = higher[0]
    # Too many rows: drop whole chains at random (those cards stay new), then
    # cut one chain short so the total is exact.
    rng = random.Random(seed * 31 + reviews)
    order = list(range(len(chains)))
    rng.shuffle(order)
    dropped: set[int] = set()
    for index in order:
        size = len(chains[index][0])
        if total - size >= reviews:
            dropped.add(index)
            total -= size
        if total == reviews:
            break
    if total > reviews:
        excess = total - reviews
        for index in order:
            rows, _state = chains[index]
            if index not in dropped and len(rows) > excess:
                kept = rows[: len(rows) - excess]
                state = _truncated_state(kept)
                if state is None:
                    continue
                chains[index] = (kept, state)
                total = reviews
                break
    assert total == reviews, (total, reviews)
    review_rows: list[tuple] = []
    states: list[tuple] = []
    for index, (rows, state) in enumerate(chains):
        if index in dropped:
            continue
        review_rows.extend(rows)
        if state is not None:
            states.append(state)
    review_rows.sort(key=itemgetter(3))
    return History(review_rows, states, len(states), failure)


# ------------------------------------------------------------------- databases


def schema_tag() -> str:
    """A short tag of trainer's schema steps: a new migration means a new cache entry."""
    from trainer.storage.database import known_steps

    return hashlib.sha256(",".join(known_steps()).encode()).hexdigest()[:8]


def cache_key(n: int, reviews: int, seed: int) -> str:
    return f"n{n}-r{reviews}-s{seed}-v{GENERATOR_VERSION}-{schema_tag()}"


def database(n: int, reviews: int, seed: int, *, verbose: bool = True) -> Path:
    """The cached database directory for (N, R, seed), generated if missing.

    The directory holds ``trainer.db`` and ``decks/glossary.yaml`` (the user
    deck folder beside the database, where trainer looks for it), and the
    database records the deck file's signature, so trainer never re-parses it.
    """
    folder = CACHE_DIR / cache_key(n, reviews, seed)
    if (folder / "complete").exists():
        return folder
    for stale in CACHE_DIR.glob(f"n{n}-r{reviews}-s{seed}-v*"):
        shutil.rmtree(stale)  # an older generator or schema: never used again
    started = time.perf_counter()
    from trainer.app.deckfile import dump_deck

    building = folder.with_name(folder.name + ".building")
    if building.exists():
        shutil.rmtree(building)
    (building / "decks").mkdir(parents=True)
    deck_path = building / "decks" / f"{DECK_SLUG}.yaml"
    entries = glossary(n, seed)
    deck_path.write_text(dump_deck(glossary_deck(entries, tagged=True)), encoding="utf-8")
    ids = [card_id(DECK_SLUG, term) for term, _ in entries]
    made = history(ids, reviews, seed)
    simulated = time.perf_counter()
    fill_database(building / "trainer.db", entries, ids, made, deck_path)
    (building / "complete").write_text(
        json.dumps(
            {
                "cards": n,
                "reviews": reviews,
                "seed": seed,
                "studied": made.studied,
                "failure_rate": made.failure_rate,
            }
        )
    )
    building.rename(folder)
    if verbose:
        print(
            f"  generated {folder.name}: {made.studied} cards studied, failure rate "
            f"{made.failure_rate:.2f}; simulate {simulated - started:.1f}s, "
            f"insert {time.perf_counter() - simulated:.1f}s",
            file=sys.stderr,
            flush=True,
        )
    return folder


def fill_database(
    path: Path,
    entries: Sequence[tuple[str, str]],
    ids: Sequence[str],
    made: History,
    deck_path: Path,
) -> None:
    from trainer.storage import daily_totals, open_database, sorted_states

    db = open_database(path)
    conn: sqlite3.Connection = db.conn
    raw = deck_path.read_bytes()
    stat = deck_path.stat()
    added = (NOW - dt.timedelta(days=HISTORY_DAYS + 1)).isoformat()
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    # Secondary indexes are rebuilt once at the end: far faster than maintaining
    # them row by row, and the result is the same b-tree.
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('reviews', 'card_state')"
    ).fetchall()
    conn.execute("BEGIN")
    for name, _sql in indexes:
        conn.execute(f"DROP INDEX [{name}]")
    conn.execute(
        "INSERT INTO decks (slug, name, description, source, directions, path, size, "
        "mtime_ns, sha256, retired) VALUES (?, ?, '', ?, '[\"forward\"]', ?, ?, ?, ?, 0)",
        (
            DECK_SLUG,
            DECK_NAME,
            "Synthetic glossary generated by benchmarks/generate.py.",
            str(deck_path),
            stat.st_size,
            stat.st_mtime_ns,
            hashlib.sha256(raw).hexdigest(),
        ),
    )
    conn.executemany(
        "INSERT INTO cards (id, deck, term, definition, aliases, tags, example, position, "
        "retired, added_at) VALUES (?, ?, ?, ?, '[]', ?, NULL, ?, 0, ?)",
        (
            (cid, DECK_SLUG, term, definition, _tags_json(position), position, added)
            for position, (cid, (term, definition)) in enumerate(zip(ids, entries, strict=True))
        ),
    )
    conn.executemany(
        f"INSERT INTO reviews ({REVIEW_ROW}) VALUES ({', '.join('?' * 18)})", made.reviews
    )
    conn.executemany(
        f"INSERT INTO card_state ({STATE_ROW}) VALUES ({', '.join('?' * 8)})", made.states
    )
    for _name, sql in indexes:
        conn.execute(sql)
    # the per-day totals, as the migration that made them counts an existing log
    daily_totals.refresh(conn)
    # and the sorted copy of the states, as the migration that made it copies them
    sorted_states.refresh(conn)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _tags_json(position: int) -> str:
    """cards.tags as trainer writes it (a JSON list; ``[]`` when none)."""
    tags = card_tags(position)
    return json.dumps(list(tags), ensure_ascii=False) if tags else "[]"


def working_copy(source: Path, destination: Path) -> Path:
    """A fresh, writable copy of a cached database directory; returns the db path."""
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("complete"))
    return destination / "trainer.db"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__)
    parser.add_argument("--cards", default="10k", help="N terms (10k, 100k, ...)")
    parser.add_argument("--reviews", default="100k", help="R review rows (100k, 1m, ...)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    folder = database(parse_count(args.cards), parse_count(args.reviews), args.seed)
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"{folder} ({size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
