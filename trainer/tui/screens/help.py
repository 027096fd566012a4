"""Key help: ``?`` on any screen lists that screen's keys, read from its bindings.

The list is generated from the screen class's ``BINDINGS`` (and the app's),
so it can never drift from what the keys really do; hidden bindings such as
the grade keys are listed too, because they are exactly what a newcomer asks.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def binding_rows(screen: Screen[object]) -> list[tuple[str, str]]:
    """(keys, what they do) for every binding of the screen, then the app's.

    Bindings that share a description (``Reveal`` on space and enter) are one row.
    """
    rows: dict[str, list[str]] = {}
    sources: list[BindingType] = [*type(screen).BINDINGS, *type(screen.app).BINDINGS]
    for item in sources:
        binding = item if isinstance(item, Binding) else Binding(*item)
        if not binding.description:
            continue
        for key in binding.key.split(","):
            shown = screen.app.get_key_display(Binding(key.strip(), binding.action))
            keys = rows.setdefault(binding.description, [])
            if shown not in keys:
                keys.append(shown)
    return [(" ".join(keys), description) for description, keys in rows.items()]


def help_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(box=None, padding=(0, 2, 0, 0), show_header=False)
    table.add_column("Keys", style="bold", no_wrap=True)
    table.add_column("Action")
    for keys, description in rows:
        table.add_row(Text(keys), Text(description))
    return table


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath; any of escape, ? or q closes it."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close help", id="help.close")]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.for_screen = screen

    def compose(self) -> ComposeResult:
        title = self.for_screen.sub_title or type(self.for_screen).__name__.removesuffix("Screen")
        with VerticalScroll(id="help"):
            yield Static(Text(f"Keys · {title}", style="bold"), id="help-title")
            yield Static(help_table(binding_rows(self.for_screen)), id="help-keys")
            yield Static("escape or ?: close", id="help-hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
