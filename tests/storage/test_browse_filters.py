"""Browse and search: filters run in SQL, one row per studied direction, drafts, retiring."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.app.deckedit import CardEdit
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.model import Direction, Mode
from trainer.core.search import QueryError

TAGGED = """\
name: Tagged
directions: [forward, reverse]
cards:
  - term: Eins
    definition: one
    tags: [Numbers, german]
  - term: Rot
    definition: red
    tags: [colours]
  - term: ""
    missing_term: true
    definition: the colour of grass
  - term: Zwei
    definition: two
    tags: [numbers]
  - missing_term: true
    definition: a fifty_fifty chance
"""


@pytest.fixture
def tt(make_trainer: Callable[..., Trainer], deck_dir: Path) -> Trainer:
    (deck_dir / "tagged.yaml").write_text(TAGGED, encoding="utf-8")
    return make_trainer()


def terms(trainer: Trainer, query: str) -> list[tuple[str, str | None]]:
    rows, _ = trainer.browse(query)
    return [(row.term, str(row.direction) if row.direction else None) for row in rows]


def test_each_studied_direction_is_its_own_row_with_its_own_schedule(tt: Trainer) -> None:
    tt.record_answer("tagged/eins", Direction.REVERSE, 5, Mode.STUDY)
    rows, total = tt.browse("eins")
    assert total == 2
    by_side = {row.direction: row for row in rows}
    assert by_side[Direction.FORWARD].state == "new"
    assert by_side[Direction.FORWARD].due is None
    assert by_side[Direction.REVERSE].state == "learning"
    assert by_side[Direction.REVERSE].interval == 1
    assert tt.browse("gamma")[1] == 1  # the small deck studies forward only


def test_tag_and_deck_filters_ignore_case_and_combine_with_words(tt: Trainer) -> None:
    assert terms(tt, "tag:numbers is:new deck:tagged")[::2] == [
        ("Eins", "forward"),
        ("Zwei", "forward"),
    ]
    assert terms(tt, 'deck:"small DECK" tag:numbers') == []
    assert [t for t, _ in terms(tt, "deck:Small")] == ["Alpha", "Beta", "Gamma"]
    assert terms(tt, "tag:colours red") == [("Rot", "forward"), ("Rot", "reverse")]


def test_is_new_is_per_direction_and_leech_and_suspended_per_card(make_trainer) -> None:
    trainer = make_trainer(Settings(leech_lapses=1))
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    trainer.record_answer("small/alpha", Direction.FORWARD, 0, Mode.STUDY)
    trainer.set_suspended("small/beta", True)
    assert [t for t, _ in terms(trainer, "is:new")] == ["Beta", "Gamma"]
    assert [t for t, _ in terms(trainer, "is:leech")] == ["Alpha"]
    assert [t for t, _ in terms(trainer, "is:suspended")] == ["Beta"]


def test_a_bad_filter_is_a_user_error(tt: Trainer) -> None:
    with pytest.raises(QueryError, match="is:lost"):
        tt.browse("is:lost")


def test_drafts_are_listed_by_is_missing_and_never_studied(tt: Trainer) -> None:
    rows, total = tt.browse("is:missing")
    assert total == 2
    assert [(r.deck, r.definition, r.state) for r in rows] == [
        ("tagged", "the colour of grass", "missing"),
        ("tagged", "a fifty_fifty chance", "missing"),
    ]
    assert [r.definition for r in tt.browse("is:missing grass")[0]] == ["the colour of grass"]
    assert tt.browse("is:missing fifty_f")[1] == 1
    assert tt.browse("is:missing %")[1] == 0  # LIKE wildcards are literal
    assert tt.browse("is:missing deck:small")[1] == 0
    assert all(entry.card_id.startswith(("small/", "tagged/")) for entry in tt.queue())
    # three small cards and three tagged ones (both directions; the siblings wait a day)
    assert len(tt.queue()) == 3 + 3


def test_a_draft_completed_from_browse_becomes_a_card(tt: Trainer, deck_dir: Path) -> None:
    key = tt.browse("is:missing grass")[0][0].card_id
    card_id = tt.complete_draft(key, CardEdit("Grün", "the colour of grass", tags=("colours",)))
    assert card_id == "tagged/grün"
    assert tt.card(card_id).card.tags == ("colours",)
    assert [r.definition for r in tt.browse("is:missing")[0]] == ["a fifty_fifty chance"]
    text = (deck_dir / "tagged.yaml").read_text(encoding="utf-8")
    assert "Grün" in text and text.count("missing_term") == 1
    with pytest.raises(Exception, match="already exists"):
        tt.complete_draft(tt.browse("is:missing")[0][0].card_id, CardEdit("Rot", "x"))


def test_retiring_a_card_keeps_its_history_and_leaves_the_file(
    trainer: Trainer, deck_dir: Path
) -> None:
    record = trainer.record_answer("small/beta", Direction.FORWARD, 4, Mode.STUDY)
    trainer.retire_card("small/beta")
    assert "Beta" not in (deck_dir / "small.yaml").read_text(encoding="utf-8")
    assert trainer.card("small/beta").retired
    assert [t for t, _ in terms(trainer, "")] == ["Alpha", "Gamma"]
    assert trainer.store.review(record.id) is not None
    trainer.add_card("small", CardEdit("Beta", "back again"))
    assert not trainer.card("small/beta").retired
    assert trainer.store.state_of("small/beta", Direction.FORWARD).repetitions == 1


def test_pages_and_totals_count_rows_in_every_order(tt: Trainer) -> None:
    tt.record_answer("tagged/zwei", Direction.REVERSE, 4, Mode.STUDY)
    rows, total = tt.browse("", limit=4)
    assert total == 3 + 2 * 3
    assert [(r.term, str(r.direction)) for r in rows] == [
        ("Alpha", "forward"),
        ("Beta", "forward"),
        ("Eins", "forward"),
        ("Eins", "reverse"),
    ]
    rows, _ = tt.browse("", sort="term", descending=True, limit=2)
    assert [(r.term, str(r.direction)) for r in rows] == [("Zwei", "forward"), ("Zwei", "reverse")]
    rows, total = tt.browse("", sort="due", limit=1)
    assert (rows[0].term, rows[0].direction, total) == ("Zwei", Direction.REVERSE, 9)
    assert tt.browse("is:new")[1] == 8
    assert tt.browse("deck:tagged", sort="deck")[1] == 6
