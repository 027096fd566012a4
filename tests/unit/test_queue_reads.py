"""Building today's queue reads each deck's first new cards only, unless burying
siblings leaves some of them out: either way the queue is the one built from every
new card (``buries_new_cards`` forced to say yes)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.unit.test_session_queue import write_three_decks
from trainer.app import trainer as trainer_module
from trainer.app.settings import Settings
from trainer.core.model import Direction, Mode
from trainer.core.queue import buries_new_cards


@pytest.mark.parametrize("seed", range(6))
def test_reading_fewer_new_cards_gives_the_same_queue(
    make_trainer, clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    folder = tmp_path / f"decks{seed}"
    write_three_decks(folder, 40, 25, 10)
    settings = Settings(
        new_per_day=rng.randint(1, 12),
        reviews_per_day=rng.randint(1, 30),
        bury_siblings=rng.random() < 0.85,
    )
    trainer = make_trainer(settings=settings, deck_dirs=[folder])
    keys = [(s.card_id, s.direction) for s in trainer.statuses()]
    outcomes = {"few": 0, "more": 0}
    decided = buries_new_cards

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        more = decided(*args, **kwargs)
        outcomes["more" if more else "few"] += 1
        return more

    for _day in range(12):
        for _ in range(rng.randint(0, 25)):
            card, direction = rng.choice(keys)
            mode = rng.choice([Mode.STUDY, Mode.STUDY, Mode.DRILL])
            trainer.record_answer(card, direction, rng.randint(0, 5), mode, 800)
            clock.advance(minutes=3)
            if rng.random() < 0.3:
                for decks in (None, ["two"], ["one", "three"]):
                    monkeypatch.setattr(trainer_module, "buries_new_cards", watched)
                    read_few = trainer.queue_plan(decks).entries
                    monkeypatch.setattr(trainer_module, "buries_new_cards", lambda *a: True)
                    read_all = trainer.queue_plan(decks).entries
                    assert read_few == read_all
        clock.advance(days=1)
    if settings.bury_siblings:
        assert outcomes["few"] > 0 and outcomes["more"] > 0, outcomes


def test_a_card_with_two_new_directions_is_a_buried_sibling() -> None:
    import datetime as dt

    from trainer.core.model import CardStatus
    from trainer.core.queue import Limits, summarize_today

    today = dt.date(2026, 3, 4)
    log = summarize_today([], today)
    one = [CardStatus("d/a", "d", Direction.FORWARD), CardStatus("d/b", "d", Direction.FORWARD)]
    both = [*one, CardStatus("d/a", "d", Direction.REVERSE)]
    assert not buries_new_cards(one, today, log, Limits(20, 200))
    assert buries_new_cards(both, today, log, Limits(20, 200))
