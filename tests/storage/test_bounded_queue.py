"""Queue and deck counts from bounded SQL equal the same computed from every card."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from trainer.app.settings import Settings
from trainer.core.model import CardStatus, Direction, Mode
from trainer.core.queue import QueueKind, build_queue
from trainer.core.stats import summarize_cards
from trainer.storage.stats_queries import cards_summary


def deck_text(name: str, count: int, both: bool) -> str:
    lines = [f"name: {name}"]
    if both:
        lines.append("directions: [forward, reverse]")
    lines.append("cards:")
    for i in range(count):
        lines += [f"  - term: {name} term {i}", f"    definition: {name} definition {i}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(6))
def test_bounded_queue_matches_the_full_computation(make_trainer, clock, tmp_path: Path, seed):
    rng = random.Random(seed)
    folder = tmp_path / f"decks{seed}"
    folder.mkdir()
    (folder / "one.yaml").write_text(deck_text("one", 25, both=False), encoding="utf-8")
    (folder / "two.yaml").write_text(deck_text("two", 15, both=True), encoding="utf-8")
    settings = Settings(new_per_day=rng.randint(0, 12), reviews_per_day=rng.randint(0, 30))
    trainer = make_trainer(settings=settings, deck_dirs=[folder])
    all_cards = [(s.card_id, s.direction) for s in trainer.statuses()]
    for _day in range(12):
        for _ in range(rng.randint(0, 15)):
            card, direction = rng.choice(all_cards)
            mode = rng.choice([Mode.STUDY, Mode.STUDY, Mode.DRILL])
            record = trainer.record_answer(card, direction, rng.randint(0, 5), mode)
            if rng.random() < 0.1:
                trainer.undo(record.id)
        if rng.random() < 0.3:
            trainer.set_suspended(rng.choice(all_cards)[0], rng.random() < 0.7)
        for decks in (None, ["one"], ["two"], ["two", "one"]):
            expected = build_queue(
                trainer.statuses(decks), trainer.today(), trainer._today_log(), trainer._limits()
            )
            assert trainer.queue(decks) == expected
        everything = trainer.queue()
        for summary in trainer.deck_summaries():
            mine = [s for s in trainer.statuses([summary.slug]) if not s.suspended]
            # the counts are those of today's queue of all decks, which Home studies
            kinds = [e.kind for e in everything if e.card_id.startswith(f"{summary.slug}/")]
            assert summary.new == sum(1 for s in mine if s.state.is_new)
            assert summary.due == kinds.count(QueueKind.REVIEW)
            assert summary.new_today == kinds.count(QueueKind.NEW)
            assert summary.drills == kinds.count(QueueKind.DRILL)
            assert summary.learning == sum(
                1 for s in mine if not s.state.is_new and s.state.repetitions < 2
            )
        if _day == 6:  # a card leaves its deck file: retired, history kept
            (folder / "one.yaml").write_text(deck_text("one", 24, both=False), encoding="utf-8")
            trainer.sync_decks()
        assert_cards_summary_matches(trainer)
        quick = {deck.slug: (due, new) for deck, due, new in trainer.due_summary()}
        assert quick == {s.slug: (s.due, s.new_today) for s in trainer.deck_summaries()}
        clock.advance(days=rng.choice([1, 1, 2, 5]))
    assert Direction.REVERSE in {d for _, d in all_cards}


def assert_cards_summary_matches(trainer) -> None:
    """The SQL card summary equals the pure one over every status, retired included."""
    directions = trainer.deck_directions()
    retired = [
        CardStatus(c.id, c.deck, d, trainer.store.state_of(c.id, d), retired=True)
        for deck in directions
        for c in trainer.store.cards(deck=deck)
        if c.retired
        for d in directions[deck]
    ]
    for decks in (None, ["one"], ["two"]):
        statuses = trainer.statuses(decks) + [
            s for s in retired if decks is None or s.deck in decks
        ]
        expected = summarize_cards(statuses, trainer.today())
        actual = cards_summary(trainer.store.db, directions, decks, trainer.today())
        assert actual == expected
