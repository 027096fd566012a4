"""The quiz form: which deck, which cards, which direction, how many questions and choices.

Opened by ``t`` on Home and Progress. It starts with the last setup used from
the form (remembered beside the database by the app layer), with the deck set
to the one selected on the screen that opened it; ``trainer quiz`` flags are
untouched by it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from trainer.app.quiz_run import (
    DIRECTIONS,
    SOURCES,
    QuizOptions,
    check_quiz_setup,
    load_last_quiz,
    save_last_quiz,
)
from trainer.core.text import visible
from trainer.errors import UserError, describe

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp

ALL_DECKS = "*all*"
SOURCE_LABELS = {"deck": "every card", "weakest": "weakest cards", "due-soon": "due soon"}
DIRECTION_LABELS = {
    "term": "term → pick the definition",
    "definition": "definition → pick the term",
    "mixed": "mixed",
}


class QuizSetupScreen(ModalScreen[QuizOptions | None]):
    """Returns the options to start a quiz with, or None when cancelled."""

    BINDINGS = [
        Binding("ctrl+s", "start", "Start", id="quiz_setup.start"),
        Binding("escape", "cancel", "Cancel", id="quiz_setup.cancel"),
    ]

    app: TrainerApp  # type: ignore[assignment]

    def __init__(self, deck: str | None = None) -> None:
        super().__init__()
        self.deck = deck

    def compose(self) -> ComposeResult:
        last = load_last_quiz(self.app.trainer)
        decks = [(visible(row.name), row.slug) for row in self.app.trainer.decks()]
        chosen = self.deck or (last.decks[0] if last.decks and len(last.decks) == 1 else None)
        if chosen not in {slug for _, slug in decks}:
            chosen = ALL_DECKS
        with VerticalScroll(id="quiz-setup"):
            yield Static("Quiz", id="setup-title", markup=False)
            with Grid(id="setup-fields"):
                yield Label("Deck")
                yield _choice([("All decks", ALL_DECKS), *decks], chosen, "setup-deck")
                yield Label("Cards")
                yield _choice([(SOURCE_LABELS[s], s) for s in SOURCES], last.source, "setup-source")
                yield Label("Direction")
                yield _choice(
                    [(DIRECTION_LABELS[d], d) for d in DIRECTIONS],
                    last.direction,
                    "setup-direction",
                )
                yield Label("Questions")
                yield Input(str(last.questions), id="setup-questions", type="integer", compact=True)
                yield Label("Choices")
                yield Input(str(last.choices), id="setup-choices", type="integer", compact=True)
            yield Static("", id="setup-error", markup=False)
            with Horizontal(id="setup-buttons"):
                yield Button("Start (ctrl+s)", id="setup-start", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="setup-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#setup-start", Button).focus()

    def current(self) -> QuizOptions:
        deck = self.query_one("#setup-deck", Select).value
        numbers = {}
        for name in ("questions", "choices"):
            text = self.query_one(f"#setup-{name}", Input).value.strip()
            try:
                numbers[name] = int(text)
            except ValueError:
                raise UserError(f"{name}: not a whole number: {text!r}") from None
        return check_quiz_setup(
            QuizOptions(
                decks=None if deck == ALL_DECKS else [str(deck)],
                source=str(self.query_one("#setup-source", Select).value),
                direction=str(self.query_one("#setup-direction", Select).value),
                **numbers,
            )
        )

    def action_start(self) -> None:
        try:
            options = self.current()
        except UserError as error:
            self.query_one("#setup-error", Static).update(describe(error))
            return
        save_last_quiz(self.app.trainer, options)
        self.dismiss(replace(options, seed=None))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_start()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "setup-start":
            self.action_start()
        else:
            self.action_cancel()


def _choice(options: list[tuple[str, Any]], value: Any, widget_id: str) -> Select[Any]:
    """One of the form's drop-downs: always a value, drawn compact."""
    return Select(options, value=value, allow_blank=False, compact=True, id=widget_id)
