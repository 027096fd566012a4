"""Per-card directions: a card may study other directions than its deck, and every
count (queue, statuses, deck counts, statistics, due summary) agrees on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import START
from tests.interop.conftest import MODERN
from trainer.app import progress
from trainer.app.deckfile import parse_deck_text
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.deck import DeckError
from trainer.core.model import Direction, Mode
from trainer.core.stats import CardCategory
from trainer.interop.anki_import import import_package

OpenTrainer = Callable[..., Trainer]

MIXED = """\
name: Mixed
directions: [forward, reverse]
cards:
  - term: both
    definition: studied both ways, as the deck
  - term: one way
    definition: only forward
    directions: [forward]
  - term: backwards
    definition: only reverse
    directions: [reverse]
  - cloze: "a {{c1::gap}} and {{c2::another}}"
"""


@pytest.fixture
def mixed(open_trainer: OpenTrainer, tmp_path: Path) -> Trainer:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "mixed.yaml").write_text(MIXED, encoding="utf-8")
    return open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])


def keys(statuses: object) -> set[tuple[str, str]]:
    return {(s.card_id.split("/", 1)[1], str(s.direction)) for s in statuses}  # type: ignore[attr-defined]


EXPECTED = {
    ("both", "forward"),
    ("both", "reverse"),
    ("one way", "forward"),
    ("backwards", "reverse"),
    ("a gap and another #c1", "forward"),
    ("a gap and another #c2", "forward"),
}


def test_each_card_studies_its_own_directions(mixed: Trainer) -> None:
    assert keys(mixed.statuses()) == EXPECTED
    # both directions of "both" are new today: its reverse waits for another day (siblings)
    offered = {(e.card_id.split("/", 1)[1], str(e.direction)) for e in mixed.queue()}
    assert offered == EXPECTED - {("both", "reverse")}
    assert mixed.store.deck_counts(mixed.deck_directions(), mixed.today())["mixed"] == (6, 0, 0)
    assert progress.build_progress(mixed, None, 30).counts[CardCategory.NEW] == 6


def test_counts_follow_answers_in_a_cards_own_direction(mixed: Trainer) -> None:
    mixed.record_answer("mixed/backwards", Direction.REVERSE, 4, Mode.STUDY)
    mixed.record_answer("mixed/both", Direction.REVERSE, 4, Mode.STUDY)
    directions = mixed.deck_directions()
    assert mixed.store.deck_counts(directions, mixed.today())["mixed"] == (4, 0, 2)
    report = progress.build_progress(mixed, None, 30)
    assert (report.counts[CardCategory.NEW], report.counts[CardCategory.LEARNING]) == (4, 2)
    assert sum(count for _, count in report.forecast) == 2
    assert mixed.upcoming() == (START.date() + dt.timedelta(days=1), 2)
    assert isinstance(mixed.clock, FixedClock)
    mixed.clock.advance(days=1)
    due = [e for e in mixed.queue() if e.kind.value == "review"]
    assert {(e.card_id, str(e.direction)) for e in due} == {
        ("mixed/backwards", "reverse"),
        ("mixed/both", "reverse"),
    }
    assert set(mixed.store.due_soon_card_ids(directions, ["mixed"], mixed.today(), 5)) == {
        "mixed/backwards",
        "mixed/both",
    }


def test_a_state_in_a_direction_the_card_no_longer_studies_is_left_out(
    mixed: Trainer, tmp_path: Path
) -> None:
    mixed.record_answer("mixed/one way", Direction.FORWARD, 4, Mode.STUDY)
    deck_file = tmp_path / "decks" / "mixed.yaml"
    deck_file.write_text(MIXED.replace("directions: [forward]\n", "directions: [reverse]\n"))
    mixed.sync_decks()
    assert ("one way", "reverse") in keys(mixed.statuses())
    assert ("one way", "forward") not in keys(mixed.statuses())
    counts = progress.build_progress(mixed, None, 30).counts
    assert counts[CardCategory.NEW] == 6 and counts[CardCategory.LEARNING] == 0
    assert mixed.upcoming() == (None, 0)


def test_directions_are_checked_and_written_back() -> None:
    deck = parse_deck_text(MIXED, "mixed", "m.yaml")
    assert [c.directions for c in deck.cards] == [
        None,
        (Direction.FORWARD,),
        (Direction.REVERSE,),
        (Direction.FORWARD,),
        (Direction.FORWARD,),
    ]
    with pytest.raises(DeckError, match="'directions' must list forward, reverse"):
        parse_deck_text(MIXED.replace("[reverse]\n", "[sideways]\n"), "m", "m.yaml")


def test_anki_notes_keep_exactly_their_cards(trainer: Trainer) -> None:
    """The fixture: 9 Anki cards (two of the 7 notes have reverse cards)."""
    outcome = import_package(trainer, MODERN)
    assert len(trainer.statuses([deck.slug for deck in outcome.decks])) == 9
    text = (trainer.user_decks / "glossary-fixture-optimizers.yaml").read_text("utf-8")
    assert text.count('directions: ["forward"]') == 1  # the one Basic note of a reversed deck


def test_stored_cards_know_their_cloze_and_directions(mixed: Trainer) -> None:
    from trainer.app.quiz_run import _quiz_item

    stored = {s.id.split("/", 1)[1]: s for s in mixed.store.cards(deck="mixed")}
    gap = stored["a gap and another #c2"]
    assert (gap.card.cloze, gap.card.cloze_number) == ("a {{c1::gap}} and {{c2::another}}", 2)
    assert gap.card.directions == (Direction.FORWARD,)
    assert stored["backwards"].card.directions == (Direction.REVERSE,)
    assert stored["both"].card.directions is None
    assert _quiz_item(gap).gap == "another"
    assert _quiz_item(stored["both"]).gap is None
