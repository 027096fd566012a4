"""Snapshots of every main screen on fixed sample data, at fixed sizes, on a fixed clock.

A change in how a screen looks shows up as a changed SVG in review (update
them with ``pytest --snapshot-update`` after looking at the difference).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.tui.sample import sample_trainer
from trainer.app.trainer import Trainer
from trainer.tui.app import TrainerApp

#: (name, keys from Home) for each main screen
SCREENS = [
    ("home", []),
    ("study-front", ["a"]),
    ("study-revealed", ["a", "space"]),
    ("quiz-form", ["t"]),
    ("browse", ["b", "tab"]),
    ("browse-missing", ["b", *"is:missing", "tab"]),
    ("progress", ["p"]),
    ("help", ["question_mark"]),
]
SIZES = [(80, 24), (60, 20)]


@pytest.fixture
def sample(tmp_path: Path) -> Iterator[Trainer]:
    trainer = sample_trainer(tmp_path / "decks", tmp_path / "trainer.db")
    yield trainer
    trainer.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(("name", "keys"), SCREENS, ids=[name for name, _ in SCREENS])
def test_screen(
    snap_compare: Callable[..., bool],
    sample: Trainer,
    name: str,
    keys: list[str],
    size: tuple[int, int],
) -> None:
    assert snap_compare(TrainerApp(sample), press=keys, terminal_size=size)


async def _answer_wrong(pilot: Any) -> None:
    """Answer the first question with an option that is not the answer."""
    await pilot.pause()
    question = pilot.app.screen.run.current
    wrong = next(i for i in range(len(question.options)) if i != question.answer_index)
    await pilot.press(str(wrong + 1))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_quiz_question_and_feedback(
    snap_compare: Callable[..., bool], sample: Trainer, size: tuple[int, int]
) -> None:
    from trainer.app.quiz_run import QuizOptions

    app = TrainerApp(sample, start="quiz", quiz=QuizOptions(decks=["ml"], seed=7))
    assert snap_compare(app, terminal_size=size)
    app = TrainerApp(sample, start="quiz", quiz=QuizOptions(decks=["ml"], seed=7))
    assert snap_compare(app, terminal_size=size, run_before=_answer_wrong)
