"""A modal form to edit or add a card: term, definition, aliases and tags."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from trainer.app.deckedit import CardEdit


def split_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


class CardForm(ModalScreen[bool]):
    """Returns True when the card was saved; ``save`` raises to keep the form open."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(self, title: str, initial: CardEdit, save: Callable[[CardEdit], None]) -> None:
        super().__init__()
        self.form_title = title
        self.initial = initial
        self.save_edit = save

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="card-form"):
            yield Static(self.form_title, id="form-title", markup=False)
            yield Label("Term")
            yield Input(self.initial.term, id="form-term")
            yield Label("Definition")
            yield TextArea(self.initial.definition, id="form-definition", soft_wrap=True)
            yield Label("Aliases (comma-separated)")
            yield Input(", ".join(self.initial.aliases), id="form-aliases")
            yield Label("Tags (comma-separated)")
            yield Input(", ".join(self.initial.tags), id="form-tags")
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Save (ctrl+s)", id="form-save", variant="primary")
                yield Button("Cancel (esc)", id="form-cancel")

    def on_mount(self) -> None:
        self.query_one("#form-term", Input).focus()

    def current(self) -> CardEdit:
        return CardEdit(
            term=self.query_one("#form-term", Input).value,
            definition=self.query_one("#form-definition", TextArea).text,
            aliases=split_list(self.query_one("#form-aliases", Input).value),
            tags=split_list(self.query_one("#form-tags", Input).value),
        )

    def action_save(self) -> None:
        from trainer.errors import describe

        try:
            self.save_edit(self.current())
        except Exception as error:  # shown in the form; nothing was written
            self.query_one("#form-error", Static).update(describe(error))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "form-save":
            self.action_save()
        else:
            self.action_cancel()
