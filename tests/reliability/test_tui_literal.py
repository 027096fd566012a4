"""Card and deck text on screen is text: markup shown as typed, escape codes made visible.

Markup characters in a deck ([bold], [link=…], ANSI escapes) are displayed
literally, never interpreted (ARCHITECTURE.md, conventions). Control characters are shown as
their Unicode control pictures (ESC as ␛), see ``trainer.core.text``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from tests.reliability import corpus
from tests.reliability.support import disk_full, patch_connect
from trainer.app.trainer import Trainer
from trainer.core.model import Mode
from trainer.core.text import visible
from trainer.tui.app import TrainerApp
from trainer.tui.screens.study import StudyScreen

SIZE = (100, 30)

MARKUP_NAMED_DECK = r"""name: "[bold red]Alert deck[/] [/]oops"
cards:
  - term: Plain
    definition: Plain text.
"""


@pytest.fixture
def hostile(tmp_path: Path, make_trainer: Callable[..., Trainer]) -> Trainer:
    folder = tmp_path / "hostile-decks"
    folder.mkdir()
    (folder / "hostile.yaml").write_text(corpus.HOSTILE_TEXT_DECK, encoding="utf-8")
    return make_trainer(deck_dirs=[folder])


def static_text(app: TrainerApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def table_text(app: TrainerApp, selector: str) -> str:
    table = app.screen.query_one(selector, DataTable)
    return "\n".join(
        "".join(segment.text for segment in table.render_line(y)) for y in range(table.size.height)
    )


async def test_the_study_screen_shows_markup_and_escapes_literally(hostile: Trainer) -> None:
    expected = {
        visible(term): visible(definition) for term, definition in corpus.HOSTILE_TERMS.items()
    }
    assert "␛[31mRed␛[0m" in expected
    assert expected["␛[31mRed␛[0m"] == "Clears the screen: ␛[2J␛[H and rings ␇"
    seen = {}
    app = TrainerApp(hostile, start="study")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in expected:
            assert isinstance(app.screen, StudyScreen)
            front = static_text(app, "#front")
            await pilot.press("space")
            seen[front] = static_text(app, "#back")
            await pilot.press("5")
    assert seen == expected
    assert all("\x1b" not in text for text in [*seen, *seen.values()])


async def test_home_shows_a_deck_name_with_markup_literally(
    tmp_path: Path, make_trainer: Callable[..., Trainer]
) -> None:
    """A deck name is user text too; the home table must not parse it as Rich markup
    (a stray "[/]" in a name raises MarkupError and the app cannot start)."""
    folder = tmp_path / "named"
    folder.mkdir()
    (folder / "named.yaml").write_text(MARKUP_NAMED_DECK, encoding="utf-8")
    app = TrainerApp(make_trainer(deck_dirs=[folder]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "[bold red]Alert deck[/] [/]oops" in table_text(app, "#decks")


async def test_browse_shows_terms_with_markup_literally(hostile: Trainer) -> None:
    app = TrainerApp(hostile)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        shown = table_text(app, "#cards")
    assert "[bold red]Alert[/bold red]" in shown
    assert "[/]closing tag" in shown


async def test_a_full_disk_while_grading_keeps_the_card_and_says_why(
    make_trainer: Callable[..., Trainer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The study screen must survive an answer that cannot be saved: the card stays on
    screen to be graded again, and the user is told why, instead of the app dying
    with a traceback."""
    make_trainer().close()
    patch_connect(monkeypatch, disk_full)
    trainer = make_trainer()
    with pytest.raises(sqlite3.OperationalError, match="full"):  # fill the last free page
        for _ in range(5000):
            trainer.record_answer("small/gamma", "forward", 1, Mode.DRILL)
    stored = trainer.store.count_reviews()
    app = TrainerApp(trainer, start="study")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        front = static_text(app, "#front")
        await pilot.press("space", "4")
        for _ in range(50):  # on a loaded machine the notice can take a few frames
            messages = [n.message for n in app._notifications]
            if messages:
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, StudyScreen)
        assert static_text(app, "#front") == front
        assert any("full" in message for message in messages), messages
    assert trainer.store.count_reviews() == stored
