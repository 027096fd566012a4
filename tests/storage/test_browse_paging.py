"""Browse pages through indexes, or sorts a narrow filter's rows whole, depending on
the filter and the sort; on random schedules, flags and tags it must list exactly
the rows, in exactly the order, and count exactly the total, of one plain
``ORDER BY`` over every row."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.app.trainer import Trainer
from trainer.core.search import parse_query
from trainer.storage import store as store_module
from trainer.storage.store import BROWSE_SORTS, _studied_pairs, fts_query

#: tags given at random: words, several words, case, punctuation, non-ASCII, quotes
TAGS = ["verb", "Verb", "greek letters", "c++", "été", "back\\slash", "noun", "x-ray"]


def write_decks(deck_dir: Path, rng: random.Random) -> None:
    """Two decks, one studying both directions; terms of mixed case, so that NOCASE
    order differs from binary order; some cards tagged."""
    decks = (("alpha", "Alpha Words", "[forward, reverse]", 60), ("beta", "beta", "[forward]", 80))
    for slug, name, directions, count in decks:
        lines = [f"name: {name}", f"directions: {directions}", "cards:"]
        for i in range(count):
            word = "".join(rng.choice("abcde") for _ in range(3))
            term = f"{word.upper() if rng.random() < 0.3 else word} {slug} {i}"
            lines += [f"  - term: {term}", f"    definition: meaning {word} {i}"]
            tags = rng.sample(TAGS, rng.choice([0, 0, 1, 2]))
            if tags:
                lines.append(f"    tags: {json.dumps(tags, ensure_ascii=False)}")
        (deck_dir / f"{slug}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def randomize_states(trainer: Trainer, rng: random.Random) -> None:
    """Random states with many ties and some NULL columns; some cards new, some retired
    or suspended, some states for a direction their deck does not study."""
    conn = trainer.store.conn
    cards = [row[0] for row in conn.execute("SELECT id FROM cards")]
    conn.execute("DELETE FROM card_state")
    for card in cards:
        for direction in ("forward", "reverse"):
            if rng.random() < 0.25:
                continue

            def value(choices: list[object]) -> object:
                return None if rng.random() < 0.1 else rng.choice(choices)

            conn.execute(
                "INSERT INTO card_state (card_id, direction, repetitions, easiness, interval, "
                "due, lapses) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    card,
                    direction,
                    rng.choice([0, 1, 2, 3]),
                    value([1.3, 2.5, 2.36, 2.5]),
                    value([0, 1, 6, 6, 15]),
                    value(["2024-01-01", "2024-01-02", "2024-02-01"]),
                    value([0, 0, 0, 1, 2]),
                ],
            )
        conn.execute(
            "UPDATE cards SET suspended = ?, retired = ?, leech_at = ? WHERE id = ?",
            [
                int(rng.random() < 0.1),
                int(rng.random() < 0.05),
                "2024-01-01T00:00:00.000000+00:00" if rng.random() < 0.1 else None,
                card,
            ],
        )


def reference(
    trainer: Trainer, query: str, sort: str, descending: bool, limit: int
) -> tuple[list[tuple[str, str]], int]:
    """The plain query: every matching row joined, sorted whole, then cut; and the count."""
    directions = trainer.deck_directions()
    pairs, pair_params = _studied_pairs(directions, sorted(directions))
    parsed = parse_query(query)
    where, params = ["c.retired = 0"], []
    if match := fts_query(parsed.text):
        where.append("c.rowid IN (SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?)")
        params.append(match)
    for tag in parsed.tags:
        where.append("EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value = ? COLLATE NOCASE)")
        params.append(tag)
    for name in parsed.decks:
        where.append(
            "c.deck IN (SELECT slug FROM decks WHERE slug = ? COLLATE NOCASE "
            "OR name = ? COLLATE NOCASE)"
        )
        params += [name, name]
    flags = {
        "leech": "c.leech_at IS NOT NULL",
        "suspended": "c.suspended = 1",
        "new": "coalesce(s.due, '') = ''",
    }
    where += [flags[flag] for flag in parsed.flags]
    source = f"""cards c CROSS JOIN (VALUES {pairs}) p ON p.column1 = c.deck
        LEFT JOIN card_state s ON s.card_id = c.id AND s.direction = p.column2
        WHERE {" AND ".join(where)}"""
    conn = trainer.store.conn
    order = "DESC" if descending else "ASC"
    rows = conn.execute(
        f"""SELECT c.id, p.column2 FROM {source}
            ORDER BY {BROWSE_SORTS[sort]} {order} NULLS LAST, c.term COLLATE NOCASE,
              p.column2, c.deck LIMIT ?""",
        [*pair_params, *params, limit],
    ).fetchall()
    (total,) = conn.execute(f"SELECT count(*) FROM {source}", [*pair_params, *params]).fetchone()
    return [(card, direction) for card, direction in rows], total


#: every filter kind, alone and combined
QUERIES = (
    "",
    "is:new",
    "is:leech",
    "is:suspended",
    "deck:beta",
    'deck:"alpha words"',
    "deck:nowhere",
    "tag:verb",
    'tag:"Greek Letters"',
    "tag:c++",
    "tag:été",
    "tag:back\\slash",
    "tag:x",
    "a",
    "meaning",
    "a is:new",
    "tag:verb is:new",
    "deck:alpha is:leech",
    "is:leech is:suspended",
    "meaning tag:noun deck:beta",
    "is:new deck:alpha",
    "tag:x-ray deck:ALPHA is:new",
)


@pytest.mark.parametrize("sort_whole", [0, 10**9])
@pytest.mark.parametrize("walk_group", [0, 10**9])
def test_every_filter_and_sort_pages_exactly_like_one_sort_of_every_row(
    make_trainer: Callable[..., Trainer],
    deck_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    walk_group: int,
    sort_whole: int,
) -> None:
    rng = random.Random(19)
    write_decks(deck_dir, rng)
    trainer = make_trainer()
    # page even tiny results (or sort even every row whole), and take both ways
    # through a tie group
    monkeypatch.setattr(store_module, "_SORT_WHOLE", sort_whole)
    monkeypatch.setattr(store_module, "_SORT_NEW_WHOLE", sort_whole)
    monkeypatch.setattr(store_module, "_WALK_GROUP", walk_group)
    for round_ in range(2):
        randomize_states(trainer, rng)
        for query in QUERIES:
            for sort in BROWSE_SORTS:
                for descending in (False, True):
                    for limit in (1, 7, 500):
                        rows, total = trainer.browse(query, None, sort, descending, limit)
                        got = [(row.card_id, str(row.direction)) for row in rows]
                        want, want_total = reference(trainer, query, sort, descending, limit)
                        assert (got, total) == (want, want_total), (
                            round_,
                            query,
                            sort,
                            descending,
                            limit,
                        )


def test_the_filters_of_the_equivalence_test_match_some_rows_and_not_all(
    make_trainer: Callable[..., Trainer], deck_dir: Path
) -> None:
    """The equivalence test above means something only if its filters select."""
    rng = random.Random(19)
    write_decks(deck_dir, rng)
    trainer = make_trainer()
    randomize_states(trainer, rng)
    _, everything = trainer.browse("", None)
    for query in (
        "is:new",
        "is:leech",
        "is:suspended",
        "deck:beta",
        'deck:"alpha words"',
        "tag:verb",
        'tag:"greek letters"',
        "tag:c++",
        "tag:été",
        "tag:back\\slash",
        "a",
        "tag:verb is:new",
        "deck:alpha is:leech",
    ):
        _, total = trainer.browse(query, None)
        assert 0 < total < everything, query


def test_browse_can_pass_decks_and_a_deck_filter_together(
    make_trainer: Callable[..., Trainer], deck_dir: Path
) -> None:
    rng = random.Random(3)
    write_decks(deck_dir, rng)
    trainer = make_trainer()
    _, both = trainer.browse("deck:alpha", ["alpha", "beta"])
    _, none = trainer.browse("deck:alpha", ["beta"])
    assert (both, none) == (120, 0)
