"""Browse: every card in a table, filtered as you type, sorted by any column.

A card shows once per direction its deck studies, each row with that
direction's own schedule. Filtering (free text plus ``tag:``, ``deck:`` and
``is:`` filters) and sorting happen in SQL, with only the first rows loaded
into the table, so typing stays instant on 100k cards. The columns follow the
width: at 80 columns Ease and Lapses stay, and below that Deck and Due give
way before the term does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from trainer.app.deckedit import CardEdit, edit_from_card
from trainer.core.model import BrowseRow, Direction
from trainer.core.text import count_text, excerpt, interval_text, visible
from trainer.errors import TrainerError, UserError, describe
from trainer.tui.screens.card_form import CardForm
from trainer.tui.screens.confirm import ConfirmScreen
from trainer.tui.widgets.tables import cursor_row_key

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    #: fixed width, or None for the term and deck, which share what is left
    width: int | None = None


TERM = Column("term", "Term")
DECK = Column("deck", "Deck")
DIRECTION = Column("direction", "Dir", 3)
STATE = Column("state", "State", 9)
DUE = Column("due", "Due", 10)
INTERVAL = Column("interval", "Ivl", 5)
EASE = Column("easiness", "Ease", 4)
LAPSES = Column("lapses", "Lapses", 6)
#: Shown when FSRS schedules: its probability of recalling the card today. Not a
#: sort key (it depends on the day); the weakest quiz orders by it instead.
RECALL = Column("recall", "Recall", 6)
#: every column, in display order
ALL_COLUMNS = (TERM, DECK, DIRECTION, STATE, DUE, INTERVAL, EASE, LAPSES, RECALL)
#: the order ``o`` cycles the sort through
SORT_ORDER = ("term", "deck", "state", "due", "interval", "easiness", "lapses", "direction")
#: room for the table's scrollbar and each column's padding (one cell either side)
SCROLLBAR = 2
PADDING = 2
#: the term and deck need at least this much together before Deck and Due show
MIN_SHARED = 20
MAX_DECK = 30
DIRECTION_LABELS = {Direction.FORWARD: "fwd", Direction.REVERSE: "rev"}
SIDES = {Direction.FORWARD: "term → definition", Direction.REVERSE: "definition → term"}
ROW_LIMIT = 500
TABLE_ACTIONS = {
    "edit",
    "add",
    "toggle_suspend",
    "retire",
    "next_sort",
    "reverse_sort",
    "next_deck",
    "focus_search",
}


def layout(width: int, recall: bool = False) -> list[tuple[Column, int]]:
    """The columns shown at a screen width, each with its width; ``recall`` adds
    FSRS's predicted recall."""
    fixed = [DIRECTION, STATE, DUE, INTERVAL, EASE, LAPSES, *([RECALL] if recall else [])]
    shared = [TERM, DECK]

    def room(columns: list[Column]) -> int:
        used = sum((c.width or 0) + PADDING for c in columns) + PADDING * len(shared)
        return width - SCROLLBAR - used

    if room(fixed) < MIN_SHARED:
        fixed.remove(DUE)
        shared = [TERM]
    left = max(room(fixed), 8)
    widths = {TERM.key: left}
    if DECK in shared:
        deck = min(MAX_DECK, left * 2 // 5)
        widths = {TERM.key: left - deck, DECK.key: deck}
    return [(c, c.width or widths[c.key]) for c in ALL_COLUMNS if c in fixed or c in shared]


def state_label(row: BrowseRow) -> str:
    """What the State column says: a suspended card or a leech says so first."""
    if row.suspended:
        return "suspended"
    if row.leech:
        return "leech"
    return row.state


def flags_text(row: BrowseRow) -> str:
    flags = [row.state] + [flag for flag in ("leech", "suspended") if getattr(row, flag)]
    return ", ".join(flags)


def cell(row: BrowseRow, column: Column, width: int) -> Text | str:
    """One cell; card text goes in as ``Text`` so it is never read as markup."""
    if column is TERM:
        if row.missing_term:
            return Text("(no term)", style="italic dim")
        return Text(excerpt(visible(row.term), width))
    if column is DECK:
        return Text(excerpt(visible(row.deck), width))
    if column is DIRECTION:
        return DIRECTION_LABELS.get(row.direction, "-") if row.direction else "-"
    if column is STATE:
        style = "red" if row.leech else "dim" if row.suspended else ""
        return Text(state_label(row), style=style)
    if column is DUE:
        return row.due.isoformat() if row.due else "-"
    if column is INTERVAL:
        return interval_text(row.interval) if row.interval else "-"
    if column is EASE:
        return f"{row.easiness:.2f}" if row.easiness is not None else "-"
    if column is RECALL:
        return f"{row.recall:.0%}" if row.recall is not None else "-"
    return str(row.lapses) if row.lapses is not None else "-"


class BrowseScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "leave", "Back", id="browse.back"),
        Binding("slash", "focus_search", "Search", id="browse.search"),
        Binding("e", "edit", "Edit", id="browse.edit"),
        Binding("n", "add", "New card", id="browse.add"),
        Binding("x", "toggle_suspend", "Suspend", id="browse.suspend"),
        Binding("delete,R", "retire", "Retire", id="browse.retire"),
        Binding("o", "next_sort", "Sort", id="browse.sort"),
        Binding("r", "reverse_sort", "Reverse", id="browse.reverse"),
        Binding("d", "next_deck", "Deck", id="browse.deck"),
    ]

    app: TrainerApp  # type: ignore[assignment]

    def __init__(self, decks: Sequence[str] | None = None, query: str = "") -> None:
        super().__init__()
        self.decks = list(decks) if decks else None
        self.initial_query = query
        self.sort = "term"
        self.descending = False
        self.rows: dict[str, BrowseRow] = {}
        self.columns: list[tuple[Column, int]] = []
        #: a rebuild of the search index is running in a thread for this screen
        self.indexing = False
        #: it failed once: searches then rebuild it themselves (and report an error)
        self.index_failed = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            self.initial_query,
            placeholder="Search; tag:NAME deck:NAME is:leech is:suspended is:new is:missing",
            id="search",
        )
        yield Static(id="browse-status", markup=False)
        yield DataTable(id="cards", cursor_type="row", zebra_stripes=True)
        yield Static(id="definition", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if (job := self.app.trainer.due_directions_job()) is not None:
            # it changes no row Browse shows, only how fast is:new finds them
            self.run_worker(job, thread=True, group="browse-new", exit_on_error=False)
        self.set_columns(self.app.size.width)
        table = self.query_one("#cards", DataTable)
        (table if self.initial_query else self.query_one("#search", Input)).focus()

    def on_resize(self, event: events.Resize) -> None:
        self.set_columns(event.size.width)

    def set_columns(self, width: int) -> None:
        """Rebuild the columns when the width calls for others (then reload the rows)."""
        columns = layout(width, recall=self.app.trainer.settings.scheduler == "fsrs")
        if columns == self.columns:
            return
        self.columns = columns
        table = self.query_one("#cards", DataTable)
        table.clear(columns=True)
        for column, size in columns:
            table.add_column(column.label, key=column.key, width=size)
        self.reload()

    # ---------------------------------------------------------------- loading
    def reload(self, keep: str | None = None) -> None:
        query = self.query_one("#search", Input).value
        if self.waits_for_index(query):
            return
        table = self.query_one("#cards", DataTable)
        keep = keep or self.selected_key()
        try:
            rows, total = self.app.trainer.browse(
                query, self.decks, self.sort, self.descending, ROW_LIMIT
            )
        except TrainerError as error:  # a bad filter, or a database it cannot search
            rows, total = [], 0
            problem: str | None = describe(error)
        else:
            problem = None
        table.clear()
        self.rows = {row.key: row for row in rows}
        for row in rows:
            table.add_row(*(cell(row, c, width) for c, width in self.columns), key=row.key)
        if keep in self.rows:
            table.move_cursor(row=table.get_row_index(keep))
        self.sub_title = "Browse: " + (", ".join(self.decks) if self.decks else "all decks")
        arrow = "↓" if self.descending else "↑"
        shown = f" · showing the first {len(rows)}" if total > len(rows) else ""
        self.query_one("#browse-status", Static).update(
            problem or f"{self.count_label(query, total)} · sorted by {self.sort} {arrow}{shown}"
        )
        self.show_definition()

    def waits_for_index(self, query: str) -> bool:
        """After a large import the search index is rebuilt once (a few seconds at
        100k cards): a search that needs it says so and reloads when it is
        ready, instead of freezing the screen meanwhile."""
        trainer = self.app.trainer
        if self.index_failed or not trainer.search_waits_for_index(query):
            return False
        self.query_one("#browse-status", Static).update(
            "Building the search index (once, after a large import)…"
        )
        if not self.indexing:
            self.indexing = True
            self.run_worker(self.build_index, thread=True, group="browse-index")
        return True

    def build_index(self) -> None:
        """In a thread, on a connection of its own (it waits for the app's own
        rebuild if that one is running); then the search runs again."""
        job = self.app.trainer.search_index_job()
        try:
            if job is not None:
                job()
        except Exception:  # the search itself then rebuilds it, or shows why not
            self.index_failed = True
        self.app.call_from_thread(self.index_built)

    def index_built(self) -> None:
        self.indexing = False
        if self.is_attached:  # the user may have left Browse meanwhile
            self.reload()

    def count_label(self, query: str, total: int) -> str:
        """Cards, or rows when a deck in view studies both directions (one row each)."""
        if "is:missing" in query.lower():
            return count_text(total, "card") + " waiting for a term"
        directions = self.app.trainer.deck_directions()
        both = any(len(directions.get(slug, ())) > 1 for slug in self.decks or directions)
        return (
            count_text(total, "row") + " (one per direction)" if both else count_text(total, "card")
        )

    def selected_key(self) -> str | None:
        return cursor_row_key(self.query_one("#cards", DataTable))

    def selected(self) -> BrowseRow | None:
        return self.rows.get(self.selected_key() or "")

    def show_definition(self) -> None:
        row = self.selected()
        if row is None:
            text = ""
        elif row.missing_term:
            text = f"No term yet (e: give it one): {visible(row.definition)}"
        else:
            side = f" ({SIDES[row.direction]}, {flags_text(row)})" if row.direction else ""
            text = f"{visible(row.term)}{side}: {visible(row.definition)}"
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
        if key == RECALL.key:
            return
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
        self.sort = SORT_ORDER[(SORT_ORDER.index(self.sort) + 1) % len(SORT_ORDER)]
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
        row = self.selected()
        if row is None or row.missing_term:
            return
        suspended = not row.suspended
        self.app.trainer.set_suspended(row.card_id, suspended)
        self.notify(
            f"{'Suspended' if suspended else 'Unsuspended'}: {visible(row.term)}", markup=False
        )
        self.reload(keep=row.key)

    def action_retire(self) -> None:
        """Delete a card as Anki users expect, but keep its history: it leaves its deck
        file and is retired, as a card the user removed from the file is."""
        row = self.selected()
        if row is None:
            return
        if row.missing_term:
            self.notify("Give it a term (e) or delete it from the deck file.", markup=False)
            return

        def retire(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                self.app.trainer.retire_card(row.card_id)
            except UserError as error:
                self.notify(describe(error), severity="error", markup=False)
                return
            self.notify(f"Retired: {visible(row.term)}", markup=False)
            self.reload()

        self.app.push_screen(
            ConfirmScreen(
                f"Retire {visible(row.term)!r} from {visible(row.deck)}?",
                "It leaves the deck file and is no longer studied; its review history is "
                "kept, and adding the card again brings it back.",
            ),
            retire,
        )

    def action_edit(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.missing_term:
            self.complete(row)
            return
        stored = self.app.trainer.card(row.card_id)

        def save(edit: CardEdit) -> None:
            self.app.trainer.edit_card(row.card_id, edit)

        self.app.push_screen(
            CardForm(f"Edit card in {stored.deck}", edit_from_card(stored.card), save),
            lambda saved: self.reload(keep=row.key) if saved else None,
        )

    def complete(self, row: BrowseRow) -> None:
        """An imported card that lost its term: fill it in, and it becomes a card."""
        made: list[str] = []

        def save(edit: CardEdit) -> None:
            made.append(self.app.trainer.complete_draft(row.card_id, edit))

        def after(saved: bool | None) -> None:
            if saved and made:
                self.notify(f"Now a card: {visible(made[-1])}", markup=False)
                self.reload()

        self.app.push_screen(
            CardForm(f"Give this card in {row.deck} its term", CardEdit("", row.definition), save),
            after,
        )

    def action_add(self) -> None:
        row = self.selected()
        deck = row.deck if row else (self.decks[0] if self.decks else None)
        if deck is None:
            decks = self.app.trainer.decks()
            if not decks:
                self.notify("No deck to add to: import one first.", severity="warning")
                return
            deck = decks[0].slug
        added: list[str] = []

        def save(edit: CardEdit) -> None:
            added.append(self.app.trainer.add_card(deck, edit))

        def after(saved: bool | None) -> None:
            if saved and added:
                self.reload(keep=next((k for k in self.rows if k.startswith(added[-1])), None))

        self.app.push_screen(CardForm(f"New card in {deck}", CardEdit("", ""), save), after)
