"""Browse sorted by a schedule column or by direction pages through indexes (no sort
of every row); on random schedules it must list exactly the rows, in exactly the
order, of one plain ``ORDER BY`` over all of them."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.app.trainer import Trainer
from trainer.core.search import parse_query
from trainer.storage import store as store_module
from trainer.storage.store import BROWSE_SORTS, _browse_conditions, _studied_pairs, fts_query


def write_decks(deck_dir: Path, rng: random.Random) -> None:
    """Two decks, one studying both directions; terms of mixed case, so that NOCASE
    order differs from binary order."""
    for slug, directions, count in (("alpha", "[forward, reverse]", 60), ("beta", "[forward]", 80)):
        lines = [f"name: {slug}", f"directions: {directions}", "cards:"]
        for i in range(count):
            word = "".join(rng.choice("abcde") for _ in range(3))
            term = f"{word.upper() if rng.random() < 0.3 else word} {slug} {i}"
            lines += [f"  - term: {term}", f"    definition: meaning {word} {i}"]
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
            "UPDATE cards SET suspended = ?, retired = ? WHERE id = ?",
            [int(rng.random() < 0.1), int(rng.random() < 0.05), card],
        )


def reference(trainer: Trainer, query: str, sort: str, descending: bool, limit: int) -> list:
    """The plain query: every matching row joined, sorted whole, then cut."""
    directions = trainer.deck_directions()
    pairs, pair_params = _studied_pairs(directions, sorted(directions))
    parsed = parse_query(query)
    match = fts_query(parsed.text)
    matched = "c.rowid IN (SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?)" if match else None
    where, params = _browse_conditions(parsed, None, matched, [match] if match else [])
    order = "DESC" if descending else "ASC"
    rows = trainer.store.conn.execute(
        f"""SELECT c.id, p.column2 FROM cards c CROSS JOIN (VALUES {pairs}) p
              ON p.column1 = c.deck
            LEFT JOIN card_state s ON s.card_id = c.id AND s.direction = p.column2
            WHERE {" AND ".join(where)}
            ORDER BY {BROWSE_SORTS[sort]} {order} NULLS LAST, c.term COLLATE NOCASE,
              p.column2, c.deck LIMIT ?""",
        [*pair_params, *params, limit],
    ).fetchall()
    return [(card, direction) for card, direction in rows]


@pytest.mark.parametrize("walk_group", [0, 10**9])
def test_schedule_sorts_page_exactly_like_one_sort_of_every_row(
    make_trainer: Callable[..., Trainer],
    deck_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    walk_group: int,
) -> None:
    rng = random.Random(19)
    write_decks(deck_dir, rng)
    trainer = make_trainer()
    # page even tiny results, and take both ways through a tie group
    monkeypatch.setattr(store_module, "_SORT_WHOLE", 0)
    monkeypatch.setattr(store_module, "_WALK_GROUP", walk_group)
    sorts = ["state", "due", "interval", "easiness", "lapses", "direction"]
    for round_ in range(4):
        randomize_states(trainer, rng)
        for query in ("", "is:new", "deck:beta", "is:suspended", "a", "meaning"):
            for sort in sorts:
                for descending in (False, True):
                    for limit in (1, 7, 40, 500):
                        rows, _ = trainer.browse(query, None, sort, descending, limit)
                        got = [(row.card_id, str(row.direction)) for row in rows]
                        want = reference(trainer, query, sort, descending, limit)
                        assert got == want, (round_, query, sort, descending, limit)
