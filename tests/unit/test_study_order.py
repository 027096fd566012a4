"""Issue 15 at the application layer: what a study session shows and counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from trainer.app.session import StudySession
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.fairness import BLANK
from trainer.core.model import Direction, Mode
from trainer.core.queue import QueueKind

FWD, REV = Direction.FORWARD, Direction.REVERSE
BOTH = Settings(deck_directions={"small": (FWD, REV)})

NAMING_DECK = """\
name: Naming
cards:
  - term: Write-ahead log (WAL)
    definition: A write-ahead log records each change before the data files; the WAL is replayed.
  - term: SFT
    definition: Supervised Fine-Tuning, where a model is trained on labelled examples.
  - term: Epoch
    definition: One full pass through the training data.
"""


def naming_trainer(make_trainer: Callable[..., Trainer], tmp_path: Path) -> Trainer:
    folder = tmp_path / "naming"
    folder.mkdir()
    (folder / "naming.yaml").write_text(NAMING_DECK, encoding="utf-8")
    settings = Settings(deck_directions={"naming": (REV,)})
    return make_trainer(settings=settings, deck_dirs=[folder])


def test_a_reverse_card_blanks_its_names_until_revealed(
    make_trainer: Callable[..., Trainer], tmp_path: Path
) -> None:
    trainer = naming_trainer(make_trainer, tmp_path)
    session = StudySession(trainer)
    seen = {}
    while (prompt := session.current()) is not None:
        seen[prompt.card.card.term] = prompt
        session.answer(5)
    wal = seen["Write-ahead log (WAL)"]
    assert (
        wal.front
        == f"A {BLANK} records each change before the data files; the {BLANK} is replayed."
    )
    assert wal.revealed_front == wal.card.card.definition  # the full text once revealed
    assert seen["SFT"].front == f"{BLANK}, where a model is trained on labelled examples."
    assert seen["Epoch"].front == "One full pass through the training data."
    # the deck text itself is unchanged
    assert "write-ahead log" in trainer.card("naming/write-ahead log (wal)").card.definition


def test_siblings_wait_for_another_day(
    make_trainer: Callable[..., Trainer], clock: FixedClock
) -> None:
    trainer = make_trainer(settings=BOTH)
    session = StudySession(trainer)
    shown = []
    while (prompt := session.current()) is not None:
        shown.append((prompt.entry.card_id, prompt.entry.direction))
        session.answer(5)
    assert len(shown) == 3 and {d for _, d in shown} == {FWD}
    clock.advance(days=1)
    tomorrow = [(e.card_id, e.direction, e.kind) for e in trainer.queue()]
    # forward cards are due again; their reverse siblings are still buried behind them
    assert {kind for *_, kind in tomorrow} == {QueueKind.REVIEW}


def test_a_failed_drill_goes_behind_the_others_and_the_last_card_is_said(
    make_trainer: Callable[..., Trainer],
) -> None:
    trainer = make_trainer()
    session = StudySession(trainer)
    for _ in range(3):
        session.answer(1)  # every new card failed: three drills
    order = []
    for _ in range(6):
        prompt = session.current()
        assert prompt is not None and prompt.is_drill
        order.append(prompt.entry.card_id)
        session.answer(2)  # failed again as a drill
    assert order == order[:3] * 2  # round robin, never the same card twice in a row
    for _ in range(2):
        session.answer(5)
    last = session.current()
    assert last is not None and last.note is None
    session.answer(1)
    again = session.current()
    assert again is not None and again.entry.card_id == last.entry.card_id
    assert again.note is not None and "only card left" in again.note


def test_leaving_early_says_how_many_cards_remain(make_trainer: Callable[..., Trainer]) -> None:
    session = StudySession(make_trainer())
    session.answer(5)
    summary = session.summary()
    assert summary.remaining == 2
    assert summary.title == "Session ended early: 2 cards left for today"
    session.answer(5)
    session.answer(5)
    assert session.summary().title == "Session complete"


def test_home_due_and_the_study_screen_agree_with_drills_shown(
    make_trainer: Callable[..., Trainer],
) -> None:
    trainer = make_trainer(settings=Settings(new_per_day=2))
    session = StudySession(trainer)
    session.answer(1)
    overview = trainer.today_overview()
    summaries = trainer.deck_summaries()
    due_rows = trainer.due_summary()
    counts = session.counts
    assert (overview.due, overview.new, overview.drill) == (counts.due, counts.new, counts.drill)
    assert (counts.new, counts.drill) == (1, 1)
    assert sum(s.new_today for s in summaries) == counts.new
    assert sum(s.drills for s in summaries) == counts.drill
    assert sum(new for _, _, new in due_rows) == counts.new


def test_a_card_failing_in_both_directions_is_one_leech(
    make_trainer: Callable[..., Trainer], clock: FixedClock
) -> None:
    trainer = make_trainer(settings=Settings(leech_lapses=2, deck_directions=BOTH.deck_directions))
    card = "small/alpha"
    for direction in (FWD, REV):
        trainer.record_answer(card, direction, 5, Mode.STUDY)  # learned once
    clock.advance(days=1)
    first = trainer.record_answer(card, FWD, 1, Mode.STUDY)  # lapse 1 (forward)
    assert not trainer.is_new_leech(first)
    second = trainer.record_answer(card, REV, 1, Mode.STUDY)  # lapse 2 (reverse)
    assert trainer.is_new_leech(second)
    assert [row[0] for row in trainer.store.leeches()] == [card]


def test_a_fail_on_a_new_card_is_no_lapse(make_trainer: Callable[..., Trainer]) -> None:
    trainer = make_trainer(settings=Settings(leech_lapses=1))
    record = trainer.record_answer("small/alpha", FWD, 0, Mode.STUDY)
    assert record.after.lapses == 0
    assert trainer.store.leeches() == []


def test_quiz_answers_do_not_count_in_retention(
    make_trainer: Callable[..., Trainer], clock: FixedClock
) -> None:
    trainer = make_trainer()
    trainer.record_answer("small/alpha", FWD, 5, Mode.STUDY)
    clock.advance(days=1)
    trainer.record_answer("small/alpha", FWD, 4, Mode.STUDY)  # young, passed
    before = trainer.progress().retention_7
    trainer.record_answer("small/alpha", FWD, 2, Mode.QUIZ)  # a wrong quiz answer
    after = trainer.progress().retention_7
    assert (after.young_passed, after.young_total) == (before.young_passed, before.young_total)
    assert before.young_total == 1


def test_import_reports_definitions_that_name_their_own_term(
    trainer: Trainer, tmp_path: Path
) -> None:
    glossary = tmp_path / "g.tsv"
    glossary.write_text(
        "Learning Rate\tLearning Rate is a hyperparameter that sets the step size.\n"
        "SFT\tSupervised Fine-Tuning, where a model is trained on labelled examples.\n"
        "Epoch\tOne full pass through the training data.\n",
        encoding="utf-8",
    )
    from trainer.interop.glossary import import_glossary

    outcome = import_glossary(trainer, glossary)
    assert outcome.self_naming == 2
