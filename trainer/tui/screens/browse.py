"""Browse: every card in a table, filtered as you type, sorted by any column.

Filtering is SQLite full-text search and sorting is ORDER BY, with only the
first rows loaded into the table, so typing stays instant on 100k cards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from trainer.app.deckedit import CardEdit, edit_from_card
from trainer.core.model import BrowseRow
from trainer.core.text import count_text, excerpt, visible
from trainer.tui.screens.card_form import CardForm
from trainer.tui.widgets.tables import cursor_row_key

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp

COLUMNS = [
    ("term", "Term"),
    ("deck", "Deck"),
    ("state", "State"),
    ("due", "Due"),
    ("interval", "Ivl"),
    ("easiness", "Ease"),
    ("lapses", "Lapses"),
]
ROW_LIMIT = 500
TABLE_ACTIONS = {
    "edit",
    "add",
    "toggle_suspend",
    "next_sort",
    "reverse_sort",
    "next_deck",
    "focus_search",
}


def state_label(row: BrowseRow) -> str:
    flags = [row.state]
    if row.leech:
        flags.append("leech")
    if row.suspended:
        flags.append("suspended")
    return ", ".join(flags)


def cells(row: BrowseRow) -> tuple[Text | str, ...]:
    """Table cells; card text goes in as ``Text`` so it is never read as markup."""
    return (
        Text(excerpt(visible(row.term), 28)),
        Text(excerpt(visible(row.deck), 18)),
        state_label(row),
        row.due.isoformat() if row.due else "-",
        str(row.interval) if row.interval is not None else "-",
        f"{row.easiness:.2f}" if row.easiness is not None else "-",
        str(row.lapses) if row.lapses is not None else "-",
    )


class BrowseScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "leave", "Back", id="browse.back"),
        Binding("slash", "focus_search", "Search", id="browse.search"),
        Binding("e", "edit", "Edit", id="browse.edit"),
        Binding("n", "add", "New card", id="browse.add"),
        Binding("x", "toggle_suspend", "Suspend/unsuspend", id="browse.suspend"),
        Binding("o", "next_sort", "Sort by", id="browse.sort"),
        Binding("r", "reverse_sort", "Reverse", id="browse.reverse"),
        Binding("d", "next_deck", "Deck filter", id="browse.deck"),
    ]

    app: TrainerApp  # type: ignore[assignment]

    def __init__(self, decks: Sequence[str] | None = None, query: str = "") -> None:
        super().__init__()
        self.decks = list(decks) if decks else None
        self.initial_query = query
        self.sort = "term"
        self.descending = False
        self.rows: dict[str, BrowseRow] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            self.initial_query,
            placeholder="Type to search terms, definitions, aliases, tags",
            id="search",
        )
        yield Static(id="browse-status", markup=False)
        yield DataTable(id="cards", cursor_type="row", zebra_stripes=True)
        yield Static(id="definition", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#cards", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.reload()
        (table if self.initial_query else self.query_one("#search", Input)).focus()

    # ---------------------------------------------------------------- loading
    def reload(self, keep: str | None = None) -> None:
        query = self.query_one("#search", Input).value
        rows, total = self.app.trainer.browse(
            query, self.decks, self.sort, self.descending, ROW_LIMIT
        )
        table = self.query_one("#cards", DataTable)
        keep = keep or self.selected_id()
        table.clear()
        self.rows = {row.card_id: row for row in rows}
        for row in rows:
            table.add_row(*cells(row), key=row.card_id)
        if keep in self.rows:
            table.move_cursor(row=table.get_row_index(keep))
        self.sub_title = "Browse: " + (", ".join(self.decks) if self.decks else "all decks")
        arrow = "↓" if self.descending else "↑"
        shown = f" · showing the first {len(rows)}" if total > len(rows) else ""
        self.query_one("#browse-status", Static).update(
            f"{count_text(total, 'card')} · sorted by {self.sort} {arrow}{shown}"
        )
        self.show_definition()

    def selected_id(self) -> str | None:
        return cursor_row_key(self.query_one("#cards", DataTable))

    def show_definition(self) -> None:
        row = self.rows.get(self.selected_id() or "")
        text = f"{visible(row.term)}: {visible(row.definition)}" if row else ""
        self.query_one("#definition", Static).update(text)

    # ----------------------------------------------------------------- events
    def on_input_changed(self, event: Input.Changed) -> None:
        self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#cards", DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_definition()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        self.descending = not self.descending if key == self.sort else False
        self.sort = key
        self.reload()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_edit()

    # ---------------------------------------------------------------- actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letters belong to the search box while it has focus."""
        return not (isinstance(self.focused, Input) and action in TABLE_ACTIONS)

    def action_leave(self) -> None:
        self.app.pop_screen()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_next_sort(self) -> None:
        keys = [key for key, _ in COLUMNS]
        self.sort = keys[(keys.index(self.sort) + 1) % len(keys)]
        self.descending = False
        self.reload()

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending
        self.reload()

    def action_next_deck(self) -> None:
        slugs = [row.slug for row in self.app.trainer.decks()]
        choices: list[list[str] | None] = [None, *([slug] for slug in slugs)]
        position = choices.index(self.decks) if self.decks in choices else 0
        self.decks = choices[(position + 1) % len(choices)]
        self.reload()

    def action_toggle_suspend(self) -> None:
        card_id = self.selected_id()
        if card_id is None:
            return
        suspended = not self.rows[card_id].suspended
        self.app.trainer.set_suspended(card_id, suspended)
        self.notify(
            f"{'Suspended' if suspended else 'Unsuspended'}: {visible(self.rows[card_id].term)}",
            markup=False,
        )
        self.reload(keep=card_id)

    def action_edit(self) -> None:
        card_id = self.selected_id()
        if card_id is None:
            return
        stored = self.app.trainer.card(card_id)

        def save(edit: CardEdit) -> None:
            self.app.trainer.edit_card(card_id, edit)

        self.app.push_screen(
            CardForm(f"Edit card in {stored.deck}", edit_from_card(stored.card), save),
            lambda saved: self.reload(keep=card_id) if saved else None,
        )

    def action_add(self) -> None:
        card_id = self.selected_id()
        deck = self.rows[card_id].deck if card_id else (self.decks[0] if self.decks else None)
        if deck is None:
            decks = self.app.trainer.decks()
            if not decks:
                self.notify("No deck to add to: import one first.", severity="warning")
                return
            deck = decks[0].slug
        added: list[str] = []

        def save(edit: CardEdit) -> None:
            added.append(self.app.trainer.add_card(deck, edit))

        self.app.push_screen(
            CardForm(f"New card in {deck}", CardEdit("", ""), save),
            lambda saved: self.reload(keep=added[-1] if added else None) if saved else None,
        )
