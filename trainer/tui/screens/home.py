"""Home: every deck with today's counts, and the ways into studying."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from trainer.core.text import count_text, visible
from trainer.tui.widgets.tables import cursor_row_key

if TYPE_CHECKING:
    from trainer.app.trainer import DeckSummary
    from trainer.tui.app import TrainerApp


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("enter,s", "study_selected", "Study", id="home.study"),
        Binding("a", "study_all", "Study all", id="home.study_all"),
        Binding("t", "quiz", "Quiz", id="home.quiz"),
        Binding("p", "progress", "Progress", id="home.progress"),
        Binding("b", "browse", "Browse", id="home.browse"),
        Binding("q", "app.quit", "Quit", id="home.quit"),
    ]

    app: TrainerApp  # type: ignore[assignment]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="today", markup=False)
        yield DataTable(id="decks", cursor_type="row", zebra_stripes=True)
        yield Static(id="empty", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#decks", DataTable)
        table.add_column("Deck", key="deck")
        for name in ("Cards", "New", "Due", "Learning"):
            table.add_column(name, key=name.lower())
        table.focus()

    def on_screen_resume(self) -> None:
        """Counts are read whenever Home is shown, and only then: on start, and
        after every session or quiz, never while another screen covers it."""
        if self.app.screen is self:
            self.refresh_counts()
            self.app.prepare_progress(self)

    def refresh_counts(self) -> None:
        trainer = self.app.trainer
        summaries = trainer.deck_summaries()
        self._fill_table(summaries)
        today = trainer.today_overview()
        self.query_one("#today", Static).update(
            f"Today {today.day:%a %d %b}: {today.due} due · {today.new} new · "
            f"{today.drill} drills · {today.answered} answered · "
            f"streak {count_text(today.streak, 'day')}"
        )
        self.query_one("#empty", Static).update(
            "" if summaries else "No decks yet. Add one with: trainer import FILE"
        )

    def _fill_table(self, summaries: list[DeckSummary]) -> None:
        table = self.query_one("#decks", DataTable)
        selected = self.selected_deck()
        table.clear()
        for summary in summaries:
            table.add_row(
                Text(visible(summary.name)),
                summary.cards,
                summary.new_today,
                summary.due,
                summary.learning,
                key=summary.slug,
            )
        if selected is not None and selected in {s.slug for s in summaries}:
            table.move_cursor(row=table.get_row_index(selected))

    def selected_deck(self) -> str | None:
        return cursor_row_key(self.query_one("#decks", DataTable))

    def action_study_selected(self) -> None:
        deck = self.selected_deck()
        self.app.open_study([deck] if deck else None)

    def action_study_all(self) -> None:
        self.app.open_study(None)

    def action_quiz(self) -> None:
        self.app.open_quiz_setup(self.selected_deck())

    def action_progress(self) -> None:
        self.app.open_progress(None)

    def action_browse(self) -> None:
        self.app.open_browse(None)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_study_selected()
