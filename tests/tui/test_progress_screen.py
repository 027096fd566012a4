"""The progress screen as a user meets it: opened from Home, keys pressed, figures read.

Every test runs at the two sizes the screen is designed for: 80x24, where the
figures stack in one scrolling column, and 160x50, where they pair up.

The history (UTC, 09:00 each day, the small deck and a second one):
- Wed 4 Mar: Alpha 5, Beta 2, Gamma 4 (new), a drill on Beta; 2 s each.
- Thu 5 Mar: Alpha 4 (young, passed), Beta 3 (neither), Gamma 2 (young, failed: a
  lapse), and the other deck's Epsilon 5 (new); 1 s each. A quiz on the small deck: 3/4.
The screen opens on Thu 5 Mar at 12:00.
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widget import Widget
from textual.widgets import Static

from trainer.app.progress_view import EMPTY_MESSAGE
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import Direction, Mode
from trainer.tui.app import TrainerApp
from trainer.tui.screens.home import HomeScreen
from trainer.tui.screens.progress import HeatmapView, ProgressScreen

SIZES = [(80, 24), (160, 50)]
OTHER_DECK = """\
name: Other [red]deck
cards:
  - term: "[bold]Delta[/]"
    definition: The fourth letter.
  - term: Epsilon
    definition: The fifth letter.
"""

pytestmark = pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x50"])


def plain(app: TrainerApp, selector: str) -> str:
    """What a widget shows, as plain text (tables and groups rendered)."""
    widget = app.screen.query_one(selector, Widget)
    content: Any = widget.content if isinstance(widget, Static) else widget.render()
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


@pytest.fixture
def studied(deck_dir: Path, make_trainer: Callable[..., Trainer], clock: FixedClock) -> Trainer:
    (deck_dir / "other.yaml").write_text(OTHER_DECK, encoding="utf-8")
    trainer = make_trainer()

    def answer(card: str, grade: int, ms: int, mode: Mode = Mode.STUDY) -> None:
        trainer.record_answer(card, Direction.FORWARD, grade, mode, ms)
        clock.advance(seconds=30)

    for term, grade in [("alpha", 5), ("beta", 2), ("gamma", 4)]:
        answer(f"small/{term}", grade, 2000)
    answer("small/beta", 4, 2000, Mode.DRILL)
    clock.instant = dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)
    for term, grade in [("alpha", 4), ("beta", 3), ("gamma", 2)]:
        answer(f"small/{term}", grade, 1000)
    answer("other/epsilon", 5, 1000)
    trainer.store.record_quiz_attempt(
        {
            "id": "quiz-1",
            "started_at": "2026-03-05T10:00:00+00:00",
            "finished_at": "2026-03-05T10:02:00+00:00",
            "day": "2026-03-05",
            "decks": '["small"]',
            "source": "deck",
            "direction": "term",
            "correct": 3,
            "total": 4,
            "seconds": 120.0,
            "questions": "[]",
        }
    )
    clock.instant = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)
    return trainer


async def open_progress(app: TrainerApp, pilot: Any) -> ProgressScreen:
    await pilot.pause()
    assert isinstance(app.screen, HomeScreen)
    await pilot.press("p")
    await pilot.pause()
    assert isinstance(app.screen, ProgressScreen)
    return app.screen


async def test_figures_for_all_decks(studied: Trainer, size: tuple[int, int]) -> None:
    app = TrainerApp(studied)
    async with app.run_test(size=size) as pilot:
        screen = await open_progress(app, pilot)
        assert screen.sub_title == "Progress: all decks"
        assert "all decks · last 30 days" in plain(app, "#progress-filter")
        assert not screen.query_one("#progress-empty").display

        counts = " ".join(plain(app, "#progress-counts").split())
        assert counts == "Cards by state New 1 Learning 3 Young 1 Mature 0 Retired 0 Total 5"
        activity = " ".join(plain(app, "#progress-streak").split())
        assert "Current streak 2 days" in activity
        assert "Longest streak 2 days" in activity
        assert "Reviews today 4" in activity
        assert "Time today 4s" in activity
        assert "Reviews, 30 days 8" in activity
        retention = plain(app, "#progress-retention")
        assert "Young 50% (1/2) 50% (1/2)" in " ".join(retention.split())
        assert "Mature — —" in " ".join(retention.split())

        hardest = plain(app, "#progress-hardest")
        rows = [line.split() for line in hardest.splitlines() if line.strip()]
        assert rows[1] == ["Term", "Deck", "Direction", "Lapses", "Ease"]
        assert rows[2] == ["Gamma", "Small", "deck", "forward", "1", "2.50"]
        assert rows[3] == ["Beta", "Small", "deck", "forward", "0", "2.36"]
        assert " ".join(plain(app, "#progress-quiz").split()).startswith(
            "Quiz history Deck Quizzes Last Best Average Small deck 1 75% 75% 75%"
        )
        heatmap = plain(app, "#progress-heatmap")
        assert "Reviews in the past year" in heatmap
        assert "Reviews in the past year · 8 reviews on 2 days" in heatmap  # spaced, on top
        assert screen.report is not None
        assert screen.report.forecast[1] == (dt.date(2026, 3, 6), 3)  # Beta, Gamma, Epsilon


async def test_deck_key_cycles_all_then_each_deck(studied: Trainer, size: tuple[int, int]) -> None:
    app = TrainerApp(studied)
    async with app.run_test(size=size) as pilot:
        screen = await open_progress(app, pilot)
        await pilot.press("d")  # decks sort by name: Other [red]deck, Small deck
        assert screen.decks == ["other"]
        assert screen.sub_title == "Progress: Other [red]deck"
        assert "Other [red]deck · last 30 days" in plain(app, "#progress-filter")
        assert plain(app, "#progress-counts").split()[3:7] == ["New", "1", "Learning", "1"]
        assert "Reviews today 1" in " ".join(plain(app, "#progress-streak").split())
        assert "No quizzes taken yet." in plain(app, "#progress-quiz")
        assert not screen.query_one("#quiz-chart-box").display  # no empty chart either
        hardest = plain(app, "#progress-hardest")
        assert "Epsilon" in hardest and "Gamma" not in hardest

        await pilot.press("d")
        assert screen.decks == ["small"]
        assert screen.query_one("#quiz-chart-box").display
        assert plain(app, "#progress-counts").split()[3:5] == ["New", "0"]
        assert "Reviews today 3" in " ".join(plain(app, "#progress-streak").split())

        await pilot.press("d")
        assert screen.decks is None
        assert screen.sub_title == "Progress: all decks"


async def test_window_key_switches_30_90_365(studied: Trainer, size: tuple[int, int]) -> None:
    app = TrainerApp(studied)
    async with app.run_test(size=size) as pilot:
        screen = await open_progress(app, pilot)
        assert screen.report is not None and len(screen.report.reviews_per_day) == 30
        for days in (90, 365, 30):
            await pilot.press("w")
            assert screen.days == days
            assert screen.report.days == days
            assert len(screen.report.reviews_per_day) == days
            assert f"last {days} days" in plain(app, "#progress-filter")
            assert f"Reviews, {days} days 8" in " ".join(plain(app, "#progress-streak").split())


async def test_quiz_the_hardest_opens_a_weakest_cards_quiz(
    studied: Trainer, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        import trainer.app.quiz_run  # noqa: F401
    except ImportError:  # the quiz module is still being written: stand in for it
        stub = types.ModuleType("trainer.app.quiz_run")

        @dataclass
        class QuizOptions:
            decks: list[str] | None = None
            source: str = "deck"

        stub.QuizOptions = QuizOptions  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "trainer.app.quiz_run", stub)
    app = TrainerApp(studied)
    opened: list[Any] = []
    monkeypatch.setattr(app, "open_quiz", lambda options=None, decks=None: opened.append(options))
    async with app.run_test(size=size) as pilot:
        await open_progress(app, pilot)
        await pilot.press("d", "d", "h")  # the small deck
        assert [(o.decks, o.source) for o in opened] == [(["small"], "weakest")]


async def test_card_text_is_shown_literally(studied: Trainer, size: tuple[int, int]) -> None:
    studied.record_answer("other/[bold]delta[/]", Direction.FORWARD, 1, Mode.STUDY, 1000)
    app = TrainerApp(studied)
    async with app.run_test(size=size) as pilot:
        await open_progress(app, pilot)
        assert "[bold]Delta[/]" in plain(app, "#progress-hardest")
        assert "Other [red]deck" in plain(app, "#progress-hardest")


async def test_an_empty_history_shows_a_friendly_message(
    trainer: Trainer, size: tuple[int, int]
) -> None:
    app = TrainerApp(trainer)
    async with app.run_test(size=size) as pilot:
        screen = await open_progress(app, pilot)
        empty = screen.query_one("#progress-empty", Static)
        assert empty.display
        assert not screen.query_one("#progress-figures").display
        text = " ".join(plain(app, "#progress-empty").split())
        assert EMPTY_MESSAGE in text
        assert "3 cards in all decks waiting to be learned" in text
        await pilot.press("h")  # nothing to quiz: the key does nothing
        assert app.screen is screen
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_it_scrolls_and_draws_at_every_window(
    studied: Trainer, size: tuple[int, int], tmp_path: Path
) -> None:
    app = TrainerApp(studied)
    async with app.run_test(size=size) as pilot:
        screen = await open_progress(app, pilot)
        body = screen.query_one("#progress-body")
        assert body.max_scroll_y > 0  # the figures do not fit on one screen at either size
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        for _ in range(3):
            await pilot.press("w")
            await pilot.pause()
            app.save_screenshot(str(tmp_path / "progress.svg"))  # renders every chart
        view = screen.query_one("#progress-heatmap", HeatmapView)
        weeks, cell = view.layout_for(view.content_size.width)
        assert weeks == 53
        assert cell == (2 if size[0] >= 160 else 1)


async def test_opened_again_it_is_the_same_screen_with_fresh_figures(
    studied: Trainer, clock: FixedClock, size: tuple[int, int]
) -> None:
    """The screen is built once per app (composing it cost more than its figures):
    shown again, it starts at the top, on all decks, with the answers given since."""
    app = TrainerApp(studied)
    async with app.run_test(size=size) as pilot:
        first = await open_progress(app, pilot)
        await pilot.press("d")  # one deck
        await pilot.press("end")
        await pilot.pause()
        assert first.query_one("#progress-body").scroll_y > 0
        await pilot.press("escape")
        await pilot.pause()
        studied.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY, 1000)
        again = await open_progress(app, pilot)
        assert again is first
        assert again.decks is None and again.sub_title == "Progress: all decks"
        assert again.query_one("#progress-body").scroll_y == 0
        assert "Reviews today 5" in " ".join(plain(app, "#progress-streak").split())


async def test_home_gets_progress_ready_while_it_waits(
    studied: Trainer, size: tuple[int, int]
) -> None:
    """While Home waits for a key, Progress is composed and its figures read, so the
    first ``p`` paints at once; an answer given before it is in the figures shown."""
    app = TrainerApp(studied)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        ready = app.get_screen("progress", ProgressScreen)
        assert ready.is_running and ready.inputs is not None
        studied.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY, 1000)
        screen = await open_progress(app, pilot)
        assert screen is ready
        assert "Reviews today 5" in " ".join(plain(app, "#progress-streak").split())


async def test_what_home_holds_is_frozen_out_of_the_collector_until_the_app_ends(
    studied: Trainer, size: tuple[int, int]
) -> None:
    """Once Home and the Progress screen made ahead are ready, the objects alive are
    frozen (a full collection no longer walks them on a keypress); when the app
    ends they go back to the collector."""
    import gc

    gc.unfreeze()
    app = TrainerApp(studied)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.get_screen("progress", ProgressScreen).inputs is not None
        await pilot.pause()
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


async def test_figures_read_ahead_are_read_again_after_another_write(
    studied: Trainer, size: tuple[int, int]
) -> None:
    """A write from another connection after Home read the figures ahead: the
    screen shows the figures read when it opens."""
    app = TrainerApp(studied)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.get_screen("progress", ProgressScreen).inputs is not None
        path = studied.store.conn.execute("PRAGMA database_list").fetchone()[2]
        other = sqlite3.connect(path)
        with other:
            other.execute(
                "UPDATE card_state SET repetitions = 5, interval = 30 "
                "WHERE card_id = 'small/alpha' AND direction = 'forward'"
            )
        other.close()
        await open_progress(app, pilot)
        counts = " ".join(plain(app, "#progress-counts").split())
        assert "Young 0 Mature 1" in counts


async def test_nothing_is_read_ahead_under_another_screen(
    studied: Trainer, size: tuple[int, int]
) -> None:
    """Started on the study screen, Home never shows: Progress is left alone, so no
    study key waits for it."""
    app = TrainerApp(studied, start="study")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert not app.is_screen_installed("progress")
