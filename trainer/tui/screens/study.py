"""Study: front, reveal, grade 0-5, undo; then the session summary.

Each grade is committed by the session before the next card is rendered, so
killing the terminal loses at most the card on screen.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, ProgressBar, Static

from trainer.app.session import Prompt, StudySession
from trainer.core.sm2 import GRADE_MEANINGS
from trainer.core.text import count_text, interval_text, visible
from trainer.tui.widgets.footer import SteadyFooter

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp


DRILL_NOTE = "Drill: cards graded below 4 today come back until you score 4 or more."


def grade_hint(intervals: dict[int, int] | None, default_grade: int) -> Table:
    """The grade keys after reveal as a row of buttons: each key with the interval it
    would give (``4 · 6d``) above what it means; the default grade (enter/space)
    is marked. A drill moves no schedule, so it shows the keys alone."""
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1, 0, 0))
    keys, meanings = [], []
    for grade, meaning in GRADE_MEANINGS.items():
        table.add_column(ratio=1, overflow="fold")
        key = f"{grade} · {interval_text(intervals[grade])}" if intervals else str(grade)
        if grade == default_grade:
            keys.append(Text(f"{key} ⏎", style="bold reverse"))
        else:
            keys.append(Text(key, style="bold"))
        meanings.append(Text(meaning))
    table.add_row(*keys)
    table.add_row(*meanings, style="dim")
    return table


class StudyScreen(Screen[None]):
    BINDINGS = [
        Binding("space,enter", "reveal", "Reveal", id="study.reveal"),
        Binding("space,enter", "grade_default", "Default grade", id="study.default_grade"),
        *(
            Binding(
                str(grade),
                f"grade({grade})",
                f"Grade {grade}: {meaning}",
                id=f"study.grade{grade}",
                show=False,
            )
            for grade, meaning in GRADE_MEANINGS.items()
        ),
        Binding("u", "undo", "Undo", id="study.undo"),
        Binding("e", "edit", "Edit card", id="study.edit"),
        Binding("b", "browse", "Browse", id="study.browse"),
        Binding("escape", "leave", "Leave", id="study.leave"),
    ]

    app: TrainerApp  # type: ignore[assignment]

    def __init__(self, decks: Sequence[str] | None = None) -> None:
        super().__init__()
        self.decks = list(decks) if decks else None
        self.session: StudySession | None = None
        self.prompt: Prompt | None = None
        self.revealed = False
        self.shown_at = time.monotonic()
        self.left_for_other_screen = False
        #: deck names by slug, read once (counting the decks' cards for each card
        #: shown took 9 ms at 100k cards); read again on coming back from elsewhere
        self.deck_names: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="study-status"):
            yield Static(id="counts", markup=False)
            yield ProgressBar(id="progress", show_eta=False)
            yield Static(id="drill-note", markup=False)
        with VerticalScroll(id="card"):
            yield Static(id="front-label", classes="label", markup=False)
            yield Static(id="front", markup=False)
            yield Static(id="back-label", classes="label", markup=False)
            yield Static(id="back", markup=False)
        yield Static(id="hint", markup=False)
        yield SteadyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.deck_names = {row.slug: row.name for row in self.app.trainer.decks()}
        self.session = StudySession(self.app.trainer, self.decks)
        self.sub_title = self._deck_title()
        self.show_current()

    def _deck_title(self) -> str:
        if not self.decks:
            return "Study: all decks"
        names = self.deck_names
        return "Study: " + ", ".join(names.get(slug, slug) for slug in self.decks)

    # ---------------------------------------------------------------- drawing
    def show_current(self) -> None:
        assert self.session is not None
        self.prompt = self.session.current()
        self.revealed = False
        self.shown_at = time.monotonic()
        if self.prompt is None:
            self.finish()
            return
        self._draw_status()
        self._show("#front-label", self._front_label())
        self._show("#front", visible(self.prompt.front))
        self._show("#back-label", "")
        self._show("#back", "")
        self._show("#hint", "space: reveal the answer   u: undo   esc: leave")
        self.query_one("#card", VerticalScroll).scroll_home(animate=False)
        self.refresh_bindings()

    def _show(self, selector: str, content: str) -> None:
        """Put text in a Static unless it already shows it: an update re-renders the
        widget and moves the layout, and most lines (labels, notes) stay the same
        from one card to the next."""
        widget = self.query_one(selector, Static)
        if widget.content != content:
            widget.update(content)

    def _front_label(self) -> str:
        """The side shown, then the card's deck and direction (all decks mix in one queue)."""
        assert self.prompt is not None
        names = self.deck_names
        deck = visible(names.get(self.prompt.card.deck, self.prompt.card.deck))
        number = self.prompt.card.card.cloze_number
        side = f"gap {number}" if number is not None else str(self.prompt.entry.direction)
        return f"{self.prompt.front_label} · {deck} · {side}"

    def _draw_status(self) -> None:
        assert self.session is not None and self.prompt is not None
        counts = self.session.counts
        answered = len(self.session.answers)
        self.query_one("#counts", Static).update(
            f"Due {counts.due} · New {counts.new} · Drill {counts.drill} · Answered {answered}"
        )
        self.query_one("#progress", ProgressBar).update(
            total=answered + counts.total, progress=answered
        )
        text = self.prompt.note or (DRILL_NOTE if self.prompt.is_drill else "")
        self._show("#drill-note", text)
        self.query_one("#drill-note", Static).set_class(bool(text), "active")

    def reveal(self) -> None:
        assert self.prompt is not None
        self.revealed = True
        if self.prompt.in_place is not None:  # a cloze: the gap fills in where it stands
            self.query_one("#front", Static).update(visible(self.prompt.in_place))
        elif self.prompt.revealed_front:  # a reverse card's names, blanked until now
            self.query_one("#front", Static).update(visible(self.prompt.revealed_front))
        self.query_one("#back-label", Static).update(self.prompt.back_label)
        self.query_one("#back", Static).update(visible(self.prompt.back))
        intervals = (
            None
            if self.prompt.is_drill
            else self.app.trainer.preview_intervals(
                self.prompt.card.id, self.prompt.entry.direction
            )
        )
        self.query_one("#hint", Static).update(
            grade_hint(intervals, self.app.trainer.settings.default_grade)
        )
        self.refresh_bindings()

    # ---------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reveal":
            return self.prompt is not None and not self.revealed
        if action in ("grade", "grade_default"):
            return self.prompt is not None and self.revealed
        if action == "undo":
            return self.session is not None and self.session.can_undo
        return True

    def action_reveal(self) -> None:
        if self.prompt is not None and not self.revealed:
            self.reveal()

    def action_grade_default(self) -> None:
        """Anki's "Good": enter or space after reveal answer with the default grade."""
        self.action_grade(self.app.trainer.settings.default_grade)

    def action_grade(self, grade: int) -> None:
        if self.session is None or self.prompt is None or not self.revealed:
            return
        elapsed_ms = int((time.monotonic() - self.shown_at) * 1000)
        try:
            record = self.session.answer(grade, elapsed_ms)
        except (sqlite3.Error, OSError) as error:
            from trainer.errors import describe

            self.notify(
                f"Not saved: {describe(error)}. The card stays; try again or press esc.",
                title="Could not save the answer",
                severity="error",
                timeout=10,
                markup=False,
            )
            return
        if self.app.trainer.is_new_leech(record):
            self.announce_leech(self.prompt.card.card.term)
        self.show_current()
        self.app.answered()

    def announce_leech(self, term: str) -> None:
        trainer = self.app.trainer
        action = (
            "It has been suspended."
            if trainer.settings.leech_action == "suspend"
            else "Consider rewording it (e in study, or Browse)."
        )
        self.notify(
            f"{visible(term)!r} is a leech: {trainer.settings.leech_lapses} lapses. {action}",
            title="Leech",
            severity="warning",
            timeout=8,
            markup=False,
        )

    def action_undo(self) -> None:
        if self.session is None or not self.session.can_undo:
            return
        record = self.session.undo()
        if record is not None:
            self.notify("Last answer undone.", timeout=2)
        self.show_current()

    def action_leave(self) -> None:
        self.finish()

    def action_edit(self) -> None:
        from trainer.app.deckedit import CardEdit, edit_from_card
        from trainer.tui.screens.card_form import CardForm

        if self.prompt is None:
            return
        card_id = self.prompt.card.id

        def save(edit: CardEdit) -> None:
            self.app.trainer.edit_card(card_id, edit)

        def after(saved: bool | None) -> None:
            if saved:
                self.redraw_current()

        self.left_for_other_screen = True
        form = CardForm(
            f"Edit card in {self.prompt.card.deck}", edit_from_card(self.prompt.card.card), save
        )
        self.app.push_screen(form, after)

    def action_browse(self) -> None:
        if self.prompt is not None:
            self.left_for_other_screen = True
            self.app.open_browse([self.prompt.card.deck], self.prompt.card.card.term)

    def on_screen_resume(self) -> None:
        """Back from Browse or an edit: the card may have changed or been suspended."""
        if self.left_for_other_screen and self.session is not None and self.prompt is not None:
            self.left_for_other_screen = False
            self.deck_names = {row.slug: row.name for row in self.app.trainer.decks()}
            self.redraw_current()

    def redraw_current(self) -> None:
        assert self.session is not None
        revealed = self.revealed
        shown_at = self.shown_at
        self.session.refresh()
        self.show_current()
        if self.prompt is not None:
            self.shown_at = shown_at
            if revealed:
                self.reveal()

    def finish(self) -> None:
        from trainer.tui.screens.summary import SummaryScreen

        assert self.session is not None
        if self.session.answers:
            self.app.switch_screen(SummaryScreen(self.session.summary()))
        else:
            left = self.session.counts.total
            if left:
                self.app.notify(f"{count_text(left, 'card')} left for today.", timeout=3)
            else:
                self.app.notify("Nothing left to study today.", timeout=3)
            self.app.pop_screen()
