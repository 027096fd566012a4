"""``trainer stats`` as text: the sections of ``trainer.app.progress_view`` as Rich tables.

Long series (reviews per day, the forecast) are cut to the days a reader scans
in a terminal; the JSON keeps them whole. Cells are ``Text``, never markup, so
a deck cannot restyle the report or the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from trainer.app.progress_view import (
    EMPTY_MESSAGE,
    Section,
    activity_section,
    counts_section,
    forecast_section,
    hardest_section,
    quiz_section,
    recent_section,
    retention_section,
)
from trainer.core.stats import ProgressReport

if TYPE_CHECKING:
    from trainer.app.scheduler_check import LoadForecast, SchedulerCheck

__all__ = [
    "EMPTY_MESSAGE",
    "render_report",
    "render_scheduler_check",
    "report_renderables",
    "section_table",
]

#: Rows of the per-day tables in the text report.
RECENT_DAYS = 14
FORECAST_DAYS = 7


def section_table(section: Section) -> RenderableType:
    """A section as a titled table, or its title and ``empty`` line when it has no rows."""
    if not section.rows and section.empty:
        return Text(f"{section.title}: {section.empty}")
    table = Table(
        title=section.title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        title_style="bold",
        show_header=section.show_header,
    )
    for column in section.columns:
        table.add_column(column, justify="right" if column in section.figures else "left")
    for row in section.rows:
        table.add_row(*(Text(cell) for cell in row))
    if section.total:
        table.add_row(*(Text(cell, style="bold") for cell in section.total))
    return table


def report_renderables(
    report: ProgressReport, terms: Mapping[str, str] | None = None
) -> list[RenderableType]:
    """The report's sections in order, for printing or embedding."""
    title = Text(f"Progress on {report.today:%a %d %b %Y}", style="bold")
    if report.is_empty:
        return [title, Text(EMPTY_MESSAGE), section_table(counts_section(report))]
    sections = [
        counts_section(report),
        activity_section(report),
        retention_section(report),
        recent_section(report, RECENT_DAYS),
        forecast_section(report, FORECAST_DAYS),
        hardest_section(report, terms),
        quiz_section(report),
    ]
    return [title, *(section_table(section) for section in sections)]


def render_report(
    report: ProgressReport,
    console: Console | None = None,
    *,
    terms: Mapping[str, str] | None = None,
) -> None:
    """Print the report; ``terms`` (card id to term) names the hardest cards properly."""
    console = console or Console()
    console.print(Group(*report_renderables(report, terms)))


def render_scheduler_check(
    scheduler: str,
    check: SchedulerCheck,
    forecast: LoadForecast,
    console: Console | None = None,
) -> None:
    """The scheduler check (with how it was made) and the load under each scheduler."""
    from trainer.app.scheduler_check import check_note, check_section, load_section

    console = console or Console()
    parts: list[RenderableType] = [section_table(check_section(check))]
    if note := check_note(check):
        parts.append(Text(note, style="dim"))
    parts.append(section_table(load_section(forecast, scheduler)))
    console.print(Group(*parts))
