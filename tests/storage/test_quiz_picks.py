"""Quiz card picks in SQL equal the core's reference rules on the same history."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.app.trainer import Trainer
from trainer.core.model import Direction, Mode
from trainer.core.quiz import QuizItem, due_soon_items, weakest_items


def write_decks(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    for slug, directions, size in (("one", "[forward]", 12), ("two", "[forward, reverse]", 9)):
        lines = [f"name: {slug}", f"directions: {directions}", "cards:"]
        for i in range(size):
            lines += [f"  - term: {slug} term {i}", f"    definition: {slug} meaning {i}"]
        (folder / f"{slug}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def items_of(trainer: Trainer, decks: list[str]) -> list[QuizItem]:
    return [
        QuizItem(c.id, c.deck, c.card.term, c.card.definition)
        for c in trainer.store.cards()
        if not (c.retired or c.suspended) and c.deck in decks
    ]


@pytest.mark.parametrize("days", [8, 40])  # 40: many lapses, the narrowed walk decides
@pytest.mark.parametrize("seed", range(6))
def test_weakest_and_due_soon_in_sql_equal_the_core_rules(
    seed: int, days: int, make_trainer: Callable[..., Trainer], tmp_path: Path
) -> None:
    rng = random.Random(seed)
    folder = tmp_path / "decks"
    write_decks(folder)
    trainer = make_trainer(deck_dirs=[folder])
    cards = [c.id for c in trainer.store.cards()]
    for _day in range(days):
        for card in rng.sample(cards, 10):
            directions = trainer.deck_directions()[card.split("/")[0]]
            trainer.record_answer(
                card, rng.choice(directions), rng.choice((1, 2, 3, 4, 5)), Mode.STUDY
            )
        trainer.clock.advance(days=rng.choice((1, 2, 3)))  # type: ignore[attr-defined]
    for card in rng.sample(cards, 3):
        trainer.store.conn.execute("UPDATE cards SET suspended = 1 WHERE id = ?", [card])
    trainer.store.conn.execute("UPDATE cards SET retired = 1 WHERE id = ?", [rng.choice(cards)])
    directions = trainer.deck_directions()
    today = trainer.today()
    for decks in (["one"], ["two"], ["one", "two"]):
        items = items_of(trainer, decks)
        statuses = [s for s in trainer.statuses(decks) if not s.suspended]
        studied = {s.card_id for s in statuses if not s.state.is_new}
        for n in (0, 1, 5, 40):
            expected = weakest_items([i for i in items if i.card_id in studied], statuses, n)
            assert trainer.store.weakest_card_ids(directions, decks, n) == [
                i.card_id for i in expected
            ]
            for within in (0, 3, 7):
                expected = due_soon_items(items, statuses, today, within, n)
                last = today + dt.timedelta(days=within)
                assert trainer.store.due_soon_card_ids(directions, decks, last, n) == [
                    i.card_id for i in expected
                ]


def test_a_direction_the_deck_no_longer_studies_does_not_count(
    make_trainer: Callable[..., Trainer], tmp_path: Path
) -> None:
    folder = tmp_path / "decks"
    write_decks(folder)
    trainer = make_trainer(deck_dirs=[folder])
    for _ in range(3):
        trainer.record_answer("two/two term 0", Direction.REVERSE, 1, Mode.STUDY)
    trainer.record_answer("two/two term 1", Direction.FORWARD, 1, Mode.STUDY)
    directions = trainer.deck_directions()
    assert trainer.store.weakest_card_ids(directions, ["two"], 1) == ["two/two term 0"]
    directions["two"] = (Direction.FORWARD,)
    assert trainer.store.weakest_card_ids(directions, ["two"], 1) == ["two/two term 1"]
