"""Quizzes as a user meets them at 80x24: keys pressed, screen read, database checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static
from textual.widgets._toast import Toast

from trainer.app.quiz_run import QuizOptions
from trainer.app.trainer import Trainer
from trainer.core.model import Direction, Mode
from trainer.core.quiz import Question
from trainer.tui.app import TrainerApp
from trainer.tui.screens.home import HomeScreen
from trainer.tui.screens.quiz import OptionRow, QuizResultsScreen, QuizScreen

SIZE = (80, 24)

GREEK_DECK = """\
name: Greek letters
cards:
  - term: Alpha
    definition: The first Greek letter.
  - term: Beta
    definition: The second Greek letter.
  - term: Gamma
    definition: The third Greek letter.
  - term: Delta
    definition: The fourth Greek letter.
  - term: Epsilon
    definition: The fifth Greek letter.
"""

LONG_DECK = """\
name: ML terms
cards:
  - term: Gradient descent
    definition: An optimization algorithm that iteratively moves the parameters of a model
      in the direction of the negative gradient of the loss function, with a step size set
      by the learning rate, until the loss stops improving.
  - term: Overfitting
    definition: When a model learns the noise and the idiosyncrasies of its training data
      so closely that its performance on new, unseen examples gets worse even as the
      training loss keeps falling.
  - term: Regularization
    definition: Any technique that discourages a model from becoming too complex, for
      example by adding a penalty on the size of the weights to the loss, so that it
      generalizes better to unseen data.
  - term: Dropout
    definition: Randomly zeroing a fraction of the activations during training so that
      units cannot co-adapt, which acts as a cheap ensemble of many thinner networks and
      reduces overfitting on small data sets.
"""

MARKUP_DECK = """\
name: Markup
cards:
  - term: "[bold red]x[/]"
    definition: "Shown as [link=https://example.com]typed[/link], never styled."
  - term: Plain
    definition: "A card without markup, [but] with brackets."
"""


@pytest.fixture
def decks(tmp_path: Path) -> Path:
    folder = tmp_path / "quiz-decks"
    folder.mkdir()
    (folder / "greek.yaml").write_text(GREEK_DECK, encoding="utf-8")
    (folder / "ml.yaml").write_text(LONG_DECK, encoding="utf-8")
    return folder


@pytest.fixture
def qt(make_trainer: Callable[..., Trainer], decks: Path) -> Trainer:
    return make_trainer(deck_dirs=[decks])


def text_of(app: TrainerApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def option_texts(app: TrainerApp) -> list[str]:
    """The visible options as the user reads them: key column and text."""
    return [
        f"{row.query_one('.option-key', Static).render()}|"
        f"{row.query_one('.option-text', Static).render()}"
        for row in app.screen.query(OptionRow)
        if row.display
    ]


def current(app: TrainerApp) -> Question:
    screen = app.screen
    assert isinstance(screen, QuizScreen) and screen.run is not None
    question = screen.run.current
    assert question is not None
    return question


def wrong_index(question: Question) -> int:
    return (question.answer_index + 1) % len(question.options)


def toasts(app: TrainerApp) -> str:
    return "\n".join(str(toast.render()) for toast in app.screen.query(Toast))


async def test_a_whole_quiz_with_feedback_results_and_retake(qt: Trainer) -> None:
    qt.record_answer("greek/alpha", Direction.FORWARD, 5, Mode.STUDY)  # studied once
    options = QuizOptions(decks=["greek"], questions=5, seed=3)
    app = TrainerApp(qt, start="quiz", quiz=options)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        assert app.screen.sub_title == "Quiz: Greek letters"

        # Question 1: right, with the number key.
        first = current(app)
        assert text_of(app, "#quiz-status") == "Question 1 of 5 · 0 right · 0 wrong"
        assert text_of(app, "#quiz-ask") == "Which definition matches this term?"
        assert text_of(app, "#quiz-prompt") == first.prompt
        assert option_texts(app) == [f"  {i + 1}|{text}" for i, text in enumerate(first.options)]
        right = first.answer_index + 1
        await pilot.press(str(right))
        assert text_of(app, "#quiz-feedback") == f"✓ Right! The answer is {right}."
        assert option_texts(app)[first.answer_index] == f"✓ {right}|{first.answer}"
        assert app.screen.query_one(f"#option-{right}").has_class("correct")
        assert text_of(app, "#quiz-status") == "Question 1 of 5 · 1 right · 0 wrong"
        await pilot.press(str(wrong_index(first) + 1))  # answered already: ignored
        assert text_of(app, "#quiz-feedback") == f"✓ Right! The answer is {right}."

        # Question 2: wrong; the wrong choice is marked, the right one highlighted.
        await pilot.press("enter")
        second = current(app)
        assert text_of(app, "#quiz-status") == "Question 2 of 5 · 1 right · 0 wrong"
        assert text_of(app, "#quiz-feedback") == ""
        chosen, right = wrong_index(second) + 1, second.answer_index + 1
        await pilot.press(str(chosen))
        picked = qt.card(second.option_card_ids[chosen - 1]).card
        assert text_of(app, "#quiz-feedback") == (
            f"✗ Wrong: you chose {chosen}. The answer is {right}: {second.answer}\n"
            f"You picked the definition of {picked.term!r}."
        )
        shown = option_texts(app)
        assert shown[chosen - 1] == f"✗ {chosen}|{second.options[chosen - 1]}"
        assert shown[right - 1] == f"✓ {right}|{second.answer}"
        assert app.screen.query_one(f"#option-{chosen}").has_class("wrong")
        assert app.screen.query_one(f"#option-{right}").has_class("correct")

        # Questions 3-5: arrows + enter; space moves on. Answer wrong, right, wrong.
        missed_prompts = [second.prompt]
        for position in (3, 4, 5):
            await pilot.press("space")
            question = current(app)
            target = question.answer_index if position == 4 else wrong_index(question)
            if position != 4:
                missed_prompts.append(question.prompt)
            await pilot.press("enter")  # nothing highlighted yet: enter does not answer
            assert text_of(app, "#quiz-feedback") == ""
            await pilot.press(*["down"] * (target + 1), "enter")
            expected = "✓ Right!" if position == 4 else "✗ Wrong"
            assert text_of(app, "#quiz-feedback").startswith(expected)
        assert "see the results" in text_of(app, "#quiz-hint")
        await pilot.press("enter")

        assert isinstance(app.screen, QuizResultsScreen)
        assert text_of(app, "#results-title") == "Quiz complete"
        assert text_of(app, "#results-score").startswith("Score 2 / 5 (40%)\nTime  ")
        assert "--seed 3" in text_of(app, "#results-score")
        assert text_of(app, "#results-missed-title") == "Missed (3)"
        missed = app.screen.query(".missed-prompt")
        assert [str(w.render()) for w in missed] == missed_prompts
        answers = [str(w.render()) for w in app.screen.query(".missed-answer .missed-text")]
        assert answers[0] == second.answer

        # Stored: one attempt row; a quiz review only if the studied card was missed.
        [attempt] = qt.store.quiz_attempts()
        assert (attempt["correct"], attempt["total"], attempt["source"]) == (2, 5, "deck")
        stored = json.loads(attempt["questions"])
        assert [q["prompt"] for q in stored if not q["correct"]] == missed_prompts
        assert stored[1]["chosen_index"] == chosen - 1
        alpha_missed = any(q["card_id"] == "greek/alpha" and not q["correct"] for q in stored)
        reviews = list(qt.store.db["reviews"].rows_where("mode = 'quiz'"))
        assert [(r["card_id"], r["grade"]) for r in reviews] == (
            [("greek/alpha", 2)] if alpha_missed else []
        )

        # Retake: only the three missed, answered right this time.
        await pilot.press("r")
        assert isinstance(app.screen, QuizScreen)
        assert app.screen.sub_title == "Quiz: Greek letters (retake)"
        retaken = []
        for _ in range(3):
            question = current(app)
            retaken.append(question.prompt)
            await pilot.press(str(question.answer_index + 1), "enter")
        assert sorted(retaken) == sorted(missed_prompts)
        assert isinstance(app.screen, QuizResultsScreen)
        assert text_of(app, "#results-score").startswith("Score 3 / 3 (100%)")
        assert text_of(app, "#results-missed-title") == "Nothing missed."
        await pilot.press("r")  # nothing to retake
        assert isinstance(app.screen, QuizResultsScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
    attempts = qt.store.quiz_attempts()
    assert [(a["source"], a["correct"], a["total"]) for a in attempts] == [
        ("deck", 2, 5),
        ("retake", 3, 3),
    ]


async def test_home_t_quizzes_the_selected_deck_and_escape_saves_nothing(qt: Trainer) -> None:
    app = TrainerApp(qt)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("down", "t", "enter")  # the form opens on the selected deck
        assert isinstance(app.screen, QuizScreen)
        assert app.screen.sub_title == "Quiz: ML terms"
        assert current(app).card_id.startswith("ml/")
        assert text_of(app, "#quiz-status") == "Question 1 of 4 · 0 right · 0 wrong"
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
    assert qt.store.quiz_attempts() == []


async def test_leaving_early_shows_and_stores_what_was_answered(qt: Trainer) -> None:
    app = TrainerApp(qt, start="quiz", quiz=QuizOptions(decks=["greek"], questions=4, seed=1))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(str(wrong_index(current(app)) + 1), "escape")
        assert isinstance(app.screen, QuizResultsScreen)
        assert text_of(app, "#results-title") == "Quiz left early"
        assert text_of(app, "#results-score").startswith("Score 0 / 1 (0%) (1 of 4 answered)")
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
    [attempt] = qt.store.quiz_attempts()
    assert (attempt["correct"], attempt["total"]) == (0, 1)
    assert qt.store.db["reviews"].count == 0  # a new card: the schedule is left alone


async def test_long_definitions_wrap_inside_the_scrolling_question(qt: Trainer) -> None:
    options = QuizOptions(decks=["ml"], questions=2, seed=2)
    app = TrainerApp(qt, start="quiz", quiz=options)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        texts = app.screen.query(".option-text")
        assert all(widget.size.height >= 2 for widget in texts)  # wrapped, not cut
        assert all(widget.region.right <= SIZE[0] for widget in texts)
        question = current(app)
        await pilot.press(str(wrong_index(question) + 1))
        feedback = text_of(app, "#quiz-feedback")
        right = question.answer_index + 1
        # Too long for one line: the feedback names the number; the option shows the text.
        chosen = wrong_index(question) + 1
        picked = qt.card(question.option_card_ids[chosen - 1]).card
        assert feedback == (
            f"✗ Wrong: you chose {chosen}. The answer is {right}, marked ✓ above.\n"
            f"You picked the definition of {picked.term!r}."
        )
        assert app.screen.query_one("#quiz-feedback").size.height == 2
        assert option_texts(app)[right - 1] == f"✓ {right}|{question.answer}"


async def test_a_small_deck_gives_fewer_options_with_a_note(trainer: Trainer) -> None:
    app = TrainerApp(trainer, start="quiz", quiz=QuizOptions(decks=["small"], seed=1))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert len(option_texts(app)) == 3
        assert len(app.screen.query(OptionRow)) == 3
        assert text_of(app, "#quiz-note") == (
            "Note: only 3 options: only 3 distinct definitions available."
        )
        assert app.screen.query_one("#quiz-note").display
        assert "1-3: answer" in text_of(app, "#quiz-hint")
        await pilot.press("4")  # no fourth option: nothing happens
        assert text_of(app, "#quiz-feedback") == ""
        question = current(app)
        await pilot.click(f"#option-{question.answer_index + 1}")  # a click answers too
        assert text_of(app, "#quiz-feedback").startswith("✓ Right!")


async def test_no_weakest_cards_shows_a_message_and_returns_home(qt: Trainer) -> None:
    app = TrainerApp(qt, start="quiz", quiz=QuizOptions(source="weakest"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "No weakest cards in any deck yet" in toasts(app)
    assert qt.store.quiz_attempts() == []


async def test_an_empty_deck_from_home_shows_a_message(
    make_trainer: Callable[..., Trainer], tmp_path: Path
) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "empty.yaml").write_text("name: Empty deck\ncards: []\n", encoding="utf-8")
    app = TrainerApp(make_trainer(deck_dirs=[folder]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("t", "enter")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "No cards to quiz in Empty deck." in toasts(app)


async def test_card_markup_is_shown_literally(
    make_trainer: Callable[..., Trainer], tmp_path: Path
) -> None:
    folder = tmp_path / "markup"
    folder.mkdir()
    (folder / "markup.yaml").write_text(MARKUP_DECK, encoding="utf-8")
    trainer = make_trainer(deck_dirs=[folder])
    options = QuizOptions(direction="definition", seed=1)
    app = TrainerApp(trainer, start="quiz", quiz=options)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.sub_title == "Quiz: all decks"
        assert text_of(app, "#quiz-ask") == "Which term matches this definition?"
        shown = {text_of(app, "#quiz-prompt")}
        assert sorted(text.split("|")[1] for text in option_texts(app)) == [
            "Plain",
            "[bold red]x[/]",
        ]
        question = current(app)
        await pilot.press(str(wrong_index(question) + 1))
        assert question.answer in text_of(app, "#quiz-feedback")
        await pilot.press("enter")
        shown.add(text_of(app, "#quiz-prompt"))
        assert shown == {
            "Shown as [link=https://example.com]typed[/link], never styled.",
            "A card without markup, [but] with brackets.",
        }
        await pilot.press(str(wrong_index(current(app)) + 1), "enter")
        assert isinstance(app.screen, QuizResultsScreen)
        answers = {str(w.render()) for w in app.screen.query(".missed-answer .missed-text")}
        assert answers == {"[bold red]x[/]", "Plain"}
