"""What a daily Anki user reaches for, driven through Pilot on the sample data.

Each screen is also checked at 60x20, 80x24 and 160x48: its essential line
(the question, the card, the key hints) must be on screen, not scrolled away.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static

from tests.tui.sample import sample_trainer
from trainer.app.quiz_run import QuizOptions, last_quiz_path
from trainer.app.trainer import Trainer
from trainer.core.model import Direction
from trainer.core.quiz import QuizDirection
from trainer.core.sm2 import review
from trainer.core.text import interval_text
from trainer.tui.app import TrainerApp
from trainer.tui.screens.browse import BrowseScreen, layout
from trainer.tui.screens.confirm import ConfirmScreen
from trainer.tui.screens.help import HelpScreen
from trainer.tui.screens.home import HomeScreen
from trainer.tui.screens.quiz import QuizScreen
from trainer.tui.screens.quiz_setup import QuizSetupScreen
from trainer.tui.screens.study import StudyScreen

SIZES = [(60, 20), (80, 24), (160, 48)]
size_ids = [f"{w}x{h}" for w, h in SIZES]


@pytest.fixture
def sample(tmp_path: Path) -> Iterator[Trainer]:
    trainer = sample_trainer(tmp_path / "decks", tmp_path / "trainer.db")
    yield trainer
    trainer.close()


def shown(app: TrainerApp, selector: str) -> str:
    """What a widget shows as plain text (tables rendered)."""
    widget = app.screen.query_one(selector, Widget)
    content: Any = widget.content if isinstance(widget, Static) else widget.render()
    console = Console(width=300, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


def on_screen(app: TrainerApp, selector: str) -> bool:
    """The widget is displayed and wholly inside the terminal (not scrolled out)."""
    widget = app.screen.query_one(selector, Widget)
    region = widget.region
    width, height = app.size
    return (
        widget.display
        and region.height > 0
        and region.y >= 0
        and region.bottom <= height
        and region.right <= width
        and region in app.screen.find_widget(widget).region  # drawn, not clipped
    )


def screen_text(app: TrainerApp) -> str:
    return "\n".join(
        "".join(segment.text for segment in strip)
        for strip in app.screen._compositor.render_strips()
    )


# ------------------------------------------------------------------ study


@pytest.mark.parametrize("size", SIZES, ids=size_ids)
async def test_study_card_and_grade_keys_stay_visible(sample: Trainer, size) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=size) as pilot:
        await pilot.press("a")
        assert isinstance(app.screen, StudyScreen)
        for selector in ("#front-label", "#front", "#hint"):
            assert on_screen(app, selector), selector
        await pilot.press("space")
        for selector in ("#front", "#back", "#hint"):
            assert on_screen(app, selector), selector
        assert "blackout" in screen_text(app)


async def test_grade_keys_show_the_schedulers_interval(sample: Trainer) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a", "space")
        prompt = app.screen.prompt
        state = sample.store.state_of(prompt.card.id, prompt.entry.direction)
        hint = shown(app, "#hint")
        for grade in range(6):
            days = review(state, grade, sample.today()).interval
            assert f"{grade} · {interval_text(days)}" in hint
        assert sample.preview_intervals(prompt.card.id, prompt.entry.direction)[4] == (
            review(state, 4, sample.today()).interval
        )


async def test_enter_after_reveal_answers_the_default_grade(make_trainer, tmp_path: Path) -> None:
    from trainer.app.settings import Settings

    trainer = make_trainer(Settings(default_grade=3))
    app = TrainerApp(trainer, start="study")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # reveals; nothing answered yet
        assert trainer.store.db["reviews"].count == 0
        await pilot.press("enter")
        await pilot.press("space", "space")
    grades = [row["grade"] for row in trainer.store.db["reviews"].rows_where(order_by="rowid")]
    assert grades == [3, 3]


async def test_the_card_names_its_deck_and_direction(sample: Trainer) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        prompt = app.screen.prompt
        names = {row.slug: row.name for row in sample.decks()}
        label = shown(app, "#front-label")
        assert names[prompt.card.deck] in label
        assert str(prompt.entry.direction) in label


# ------------------------------------------------------------------- quiz


@pytest.mark.parametrize("size", SIZES, ids=size_ids)
async def test_quiz_question_stays_in_view_after_a_wrong_answer(sample: Trainer, size) -> None:
    app = TrainerApp(sample, start="quiz", quiz=QuizOptions(decks=["ml"], seed=7))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        question = app.screen.run.current
        wrong = next(i for i in range(len(question.options)) if i != question.answer_index)
        await pilot.press(str(wrong + 1))
        for selector in ("#quiz-prompt", "#quiz-feedback", "#quiz-hint"):
            assert on_screen(app, selector), selector
        assert on_screen(app, f"#option-{question.answer_index + 1}")


async def test_a_wrong_answer_names_the_term_of_the_definition_chosen(sample: Trainer) -> None:
    options = QuizOptions(decks=["ml"], seed=3, direction="definition")
    app = TrainerApp(sample, start="quiz", quiz=options)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        question = app.screen.run.current
        assert question.kind is QuizDirection.DEFINITION
        wrong = next(i for i in range(len(question.options)) if i != question.answer_index)
        await pilot.press(str(wrong + 1))
        picked = sample.card(question.option_card_ids[wrong]).card
        second = shown(app, "#quiz-feedback").splitlines()[1]
        assert second.startswith(f"You picked {picked.term!r}: {picked.definition[:20]}")


async def test_quiz_form_starts_a_quiz_and_remembers_the_setup(sample: Trainer) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        assert isinstance(app.screen, QuizSetupScreen)
        form = app.screen
        form.query_one("#setup-deck", Select).value = "ml"
        form.query_one("#setup-direction", Select).value = "definition"
        form.query_one("#setup-questions", Input).value = "5"
        form.query_one("#setup-choices", Input).value = "3"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, QuizScreen)
        run = app.screen.run
        assert len(run.questions) == 5
        assert all(len(q.options) == 3 for q in run.questions)
        assert all(q.kind is QuizDirection.DEFINITION for q in run.questions)
        assert {q.card_id.split("/")[0] for q in run.questions} == {"ml"}
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("t")  # the cursor is on Greek letters, the rest is remembered
        form = app.screen
        assert form.query_one("#setup-deck", Select).value == "greek"
        assert form.query_one("#setup-direction", Select).value == "definition"
        assert form.query_one("#setup-questions", Input).value == "5"
        assert form.query_one("#setup-choices", Input).value == "3"
        form.query_one("#setup-choices", Input).value = "12"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, QuizSetupScreen)  # refused, with the reason
        assert "choices must be 2 to 9" in shown(app, "#setup-error")
    saved = json.loads(last_quiz_path(sample).read_text(encoding="utf-8"))
    assert saved["decks"] == ["ml"] and saved["questions"] == 5


async def test_progress_t_opens_the_quiz_form(sample: Trainer) -> None:
    app = TrainerApp(sample, start="progress")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        assert isinstance(app.screen, QuizSetupScreen)
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "ProgressScreen"


# ------------------------------------------------------------------- help


@pytest.mark.parametrize("keys", [[], ["a"], ["b", "tab"], ["p"], ["a", "space"]])
async def test_question_mark_lists_the_screens_own_keys(sample: Trainer, keys) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*keys)
        screen = app.screen
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = shown(app, "#help-keys")
        for binding in type(screen).BINDINGS:
            assert binding.description in listed
        await pilot.press("escape")
        assert app.screen is screen


async def test_question_mark_in_the_search_box_is_text(sample: Trainer) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b", "question_mark")
        assert isinstance(app.screen, BrowseScreen)
        assert app.screen.query_one("#search", Input).value == "?"


# ----------------------------------------------------------------- browse


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_browse_columns_fit_and_keep_ease_and_lapses_from_80(width: int) -> None:
    columns = layout(width)
    keys = [column.key for column, _ in columns]
    used = sum(size + 2 for _, size in columns) + 2
    assert used <= width
    assert {"term", "state", "easiness", "lapses", "direction"} <= set(keys)
    assert ("deck" in keys) == (width >= 80)


@pytest.mark.parametrize("size", SIZES, ids=size_ids)
async def test_browse_shows_ease_and_lapses_on_screen(sample: Trainer, size) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=size) as pilot:
        await pilot.press("b", "tab")
        text = screen_text(app)
        assert "Ease" in text and "Lapses" in text and "Term" in text
        assert on_screen(app, "#browse-status")


async def test_browse_filters_as_typed_and_retires_with_confirmation(
    sample: Trainer, tmp_path: Path
) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b", *"tag:letters alpha")
        table = app.screen.query_one("#cards", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [(str(r[0]), r[2]) for r in rows] == [("Alpha", "fwd"), ("Alpha", "rev")]
        await pilot.press("tab", "delete")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # declined: nothing changes
        assert not sample.card("greek/alpha").retired
        await pilot.press("delete")
        await pilot.press("y")
        assert sample.card("greek/alpha").retired
        assert app.screen.query_one("#cards", DataTable).row_count == 0
    assert "Alpha" not in (tmp_path / "decks" / "greek.yaml").read_text(encoding="utf-8")
    assert sample.store.db["reviews"].count_where("card_id = 'greek/alpha'") > 0


async def test_a_card_without_a_term_is_found_and_completed(
    sample: Trainer, tmp_path: Path
) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b", *"is:missing", "tab")
        assert "1 card waiting for a term" in shown(app, "#browse-status")
        await pilot.press("e")
        form = app.screen
        form.query_one("#form-term", Input).value = "ReLU"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, BrowseScreen)
        assert app.screen.query_one("#cards", DataTable).row_count == 0
    card = sample.card("imported/relu")
    assert card.card.definition.startswith("The function max(0, x)")
    assert sample.browse("relu is:new")[1] == 1  # a new card now, to be studied
    assert sample.browse("is:missing")[1] == 0


async def test_a_bad_filter_says_why_in_the_status_line(sample: Trainer) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b", *"is:lost")
        assert "unknown filter" in shown(app, "#browse-status")


# ----------------------------------------------------------- home and more


@pytest.mark.parametrize("size", SIZES, ids=size_ids)
async def test_home_footer_keeps_browse_quit_and_help(sample: Trainer, size) -> None:
    from textual.widgets._footer import FooterKey

    app = TrainerApp(sample)
    async with app.run_test(size=size) as pilot:
        keys: list[FooterKey] = []
        for _ in range(50):  # the footer fills in once the bindings are known
            await pilot.pause()
            keys = list(app.screen.query(FooterKey))
            if keys:
                break
        fits = {key.description for key in keys if 0 < key.region.right <= size[0]}
        assert {"Quiz", "Browse", "Quit", "Keys"} <= fits


async def test_screenshot_goes_to_the_data_folder_and_says_where(
    sample: Trainer, isolated_user_area: Path
) -> None:
    app = TrainerApp(sample)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.action_screenshot()
        await pilot.pause()
        saved = list((isolated_user_area / "screenshots").glob("*.svg"))
        assert len(saved) == 1
        messages = [n.message for n in app._notifications]
        assert str(saved[0]) in messages


def test_preview_intervals_does_not_write(sample: Trainer) -> None:
    before = sample.store.db["card_state"].count
    sample.preview_intervals("greek/zeta", Direction.REVERSE)
    assert sample.store.db["card_state"].count == before
