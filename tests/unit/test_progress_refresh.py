"""Progress figures kept from a visit and moved on by the answers given since
(``refresh_progress``) against the same figures loaded again (``load_progress``).

Every case compares the two on the same database: the kept figures may be used
only where they are provably what a fresh load says, and must be loaded again
whenever anything else was written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.app import progress
from trainer.app.progress import HEATMAP_WEEKS, ProgressInputs, load_progress, refresh_progress
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import Direction, Mode
from trainer.storage import open_connection

OTHER_DECK = """\
name: Other deck
directions: [forward, reverse]
cards:
  - term: Delta
    definition: The fourth letter.
  - term: Epsilon
    definition: The fifth letter.
"""

DAYS = 365


@pytest.fixture
def trainer(deck_dir: Path, make_trainer: Callable[..., Trainer]) -> Trainer:
    (deck_dir / "other.yaml").write_text(OTHER_DECK, encoding="utf-8")
    return make_trainer()


def load(trainer: Trainer, decks: list[str] | None = None) -> ProgressInputs:
    return load_progress(trainer, decks, DAYS, weeks=HEATMAP_WEEKS)


def refresh(trainer: Trainer, kept: ProgressInputs) -> ProgressInputs:
    return refresh_progress(trainer, kept, DAYS, weeks=HEATMAP_WEEKS)


def no_load(*args: object, **kwargs: object) -> ProgressInputs:
    raise AssertionError("loaded again")


def same_figures(one: ProgressInputs, other: ProgressInputs) -> None:
    assert one.cards == other.cards
    assert one.activity == other.activity
    assert one.study_days == other.study_days
    assert one.quiz_attempts == other.quiz_attempts
    assert one.report(30) == other.report(30)


#: card directions answered in turn once the queue is empty; small's reverse is
#: not studied (its answers count nowhere in the states)
SPARE = [
    ("small/alpha", Direction.FORWARD),
    ("other/delta", Direction.REVERSE),
    ("small/alpha", Direction.REVERSE),
    ("other/epsilon", Direction.FORWARD),
    ("small/gamma", Direction.FORWARD),
]


def answer(trainer: Trainer, clock: FixedClock, grade: int, mode: Mode = Mode.STUDY) -> None:
    queue = trainer.queue()
    clock.advance(seconds=30)
    if queue:
        card, direction = queue[0].card_id, queue[0].direction
    else:
        card, direction = SPARE[(int(clock.now().timestamp()) // 30) % len(SPARE)]
    trainer.record_answer(card, direction, grade, mode, 4000)


def study_days(trainer: Trainer, clock: FixedClock, days: int) -> None:
    """A history across days, so states are learning, young and due ahead."""
    for _ in range(days):
        for grade in (5, 4, 2, 5, 3):
            if trainer.queue():
                answer(trainer, clock, grade)
        clock.advance(days=1)


@pytest.mark.parametrize("decks", [None, ["small"], ["other"]])
def test_answers_move_the_kept_figures_as_a_fresh_load_would(
    trainer: Trainer, clock: FixedClock, decks: list[str] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    study_days(trainer, clock, 8)
    trainer.set_suspended("small/gamma", True)  # answered below all the same (SPARE)
    clock.advance(days=9)  # some states overdue
    kept = load(trainer, decks)
    for grade in (5, 1, 4, 0, 5, 3, 4, 5, 2, 5, 4):
        answer(trainer, clock, grade)
    answer(trainer, clock, 2, Mode.DRILL)
    with monkeypatch.context() as patch:
        patch.setattr(progress, "load_progress", no_load)
        moved = refresh(trainer, kept)
    assert moved.marker is not None
    assert moved.cards != kept.cards
    same_figures(moved, load(trainer, decks))
    again = refresh(trainer, moved)
    same_figures(again, moved)


def test_a_first_answer_moves_a_new_card(trainer: Trainer, clock: FixedClock) -> None:
    kept = load(trainer)
    answer(trainer, clock, 4)
    same_figures(refresh(trainer, kept), load(trainer))


def test_nothing_written_keeps_the_figures(
    trainer: Trainer, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    study_days(trainer, clock, 2)
    kept = load(trainer)
    monkeypatch.setattr(progress, "load_progress", no_load)
    assert refresh(trainer, kept) == kept


def test_a_kept_report_is_no_change(trainer: Trainer, clock: FixedClock) -> None:
    kept = load(trainer)
    trainer.keep_meta("scheduler_report:null", "{}")
    answer(trainer, clock, 5)
    moved = refresh(trainer, kept)
    assert moved.marker is not None
    same_figures(moved, load(trainer))


@pytest.mark.parametrize("edit", ["suspend", "retire"])
def test_an_edit_loads_again(trainer: Trainer, clock: FixedClock, edit: str) -> None:
    study_days(trainer, clock, 3)
    kept = load(trainer)
    answer(trainer, clock, 4)
    if edit == "suspend":
        trainer.set_suspended("other/delta", True)
    else:
        trainer.retire_card("small/beta")
    assert trainer.answers_between(kept.marker or (0, 0), trainer.store.change_marker()) is None
    refreshed = refresh(trainer, kept)
    same_figures(refreshed, load(trainer))
    assert refreshed.cards != kept.cards


def test_an_undo_loads_again(trainer: Trainer, clock: FixedClock) -> None:
    study_days(trainer, clock, 3)
    kept = load(trainer)
    entry = trainer.queue()[0]
    record = trainer.record_answer(entry.card_id, entry.direction, 1, Mode.STUDY, 1000)
    trainer.undo(record.id)
    same_figures(refresh(trainer, kept), load(trainer))


def test_another_connection_writing_loads_again(trainer: Trainer, clock: FixedClock) -> None:
    study_days(trainer, clock, 3)
    kept = load(trainer)
    answer(trainer, clock, 4)
    path = trainer.store.conn.execute("PRAGMA database_list").fetchone()[2]
    other = open_connection(path)
    other.execute("UPDATE cards SET retired = 1 WHERE id = 'small/alpha'")
    other.commit()
    other.close()
    assert trainer.answers_between(kept.marker or (0, 0), trainer.store.change_marker()) is None
    refreshed = refresh(trainer, kept)
    same_figures(refreshed, load(trainer))


def test_a_new_day_loads_again(trainer: Trainer, clock: FixedClock) -> None:
    study_days(trainer, clock, 3)
    kept = load(trainer)
    clock.advance(days=1)
    refreshed = refresh(trainer, kept)
    assert refreshed.today == kept.today + dt.timedelta(days=1)
    same_figures(refreshed, load(trainer))


def test_changed_directions_load_again(
    deck_dir: Path, make_trainer: Callable[..., Trainer], clock: FixedClock
) -> None:
    """Directions set in the settings change no row: the kept figures still go."""
    trainer = make_trainer()
    study_days(trainer, clock, 3)
    kept = load(trainer)
    trainer.settings = Settings(deck_directions={"small": (Direction.FORWARD, Direction.REVERSE)})
    refreshed = refresh(trainer, kept)
    same_figures(refreshed, load(trainer))
    assert refreshed.cards.counts != kept.cards.counts


def test_a_leech_loads_again(make_trainer: Callable[..., Trainer], clock: FixedClock) -> None:
    trainer = make_trainer(Settings(leech_lapses=1, leech_action="suspend"))
    study_days(trainer, clock, 8)
    kept = load(trainer)
    for _ in range(6):
        if trainer.queue():
            answer(trainer, clock, 0)
    same_figures(refresh(trainer, kept), load(trainer))
