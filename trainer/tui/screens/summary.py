"""The end of a study session: what was done and what comes next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from trainer.app.session import Summary
from trainer.core.text import duration_text


def summary_lines(summary: Summary) -> list[str]:
    accuracy = f"{summary.accuracy:.0%}" if summary.accuracy is not None else "-"
    next_due = f"{summary.next_due:%a %d %b %Y}" if summary.next_due else "nothing scheduled"
    return [
        f"Cards answered      {summary.answered}",
        f"Accuracy (grade≥3)  {accuracy}",
        f"Time spent          {duration_text(summary.seconds)}",
        f"New cards learned   {summary.new_learned}",
        f"Drill answers       {summary.drills}",
        f"Next due            {next_due}",
        f"Due tomorrow        {summary.due_tomorrow}",
    ]


class SummaryScreen(Screen[None]):
    BINDINGS = [
        Binding("enter,escape,space", "close", "Home", id="summary.close"),
    ]

    def __init__(self, summary: Summary) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="summary"):
            yield Static(self.summary.title, id="summary-title", markup=False)
            yield Static("\n".join(summary_lines(self.summary)), id="summary-body", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = "Session summary"

    def action_close(self) -> None:
        self.app.pop_screen()
