"""``trainer stats`` as text: the progress report as Rich tables.

The same figures as the progress screen and ``trainer stats --json``, read from
one ``ProgressReport``. Long series (reviews per day, the forecast) are cut to
the days a reader scans in a terminal; the JSON keeps them whole. Anything that
comes from a deck (terms, deck names) is a ``Text`` of ``visible`` characters,
never markup and never a raw control code, so a deck cannot restyle the report
or the terminal. The formatting helpers are shared with the screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from trainer.core.stats import CardCategory, ProgressReport, Retention
from trainer.core.text import count_text, duration_text, visible

__all__ = [
    "EMPTY_MESSAGE",
    "NO_DATA",
    "card_label",
    "count_text",
    "duration_text",
    "rate_text",
    "render_report",
    "report_renderables",
]

EMPTY_MESSAGE = "No reviews yet — study a deck and your progress appears here."
#: What a rate over no answers reads as: not 0%, which would look like failure.
NO_DATA = "—"
#: Rows of the per-day tables in the text report.
RECENT_DAYS = 14
FORECAST_DAYS = 7


# --------------------------------------------------------------------------- formatting


def rate_text(passed: int, total: int) -> str:
    """``80% (4/5)``, or ``—`` when nothing was answered."""
    if total <= 0:
        return NO_DATA
    return f"{passed / total:.0%} ({passed}/{total})"


def card_label(card_id: str, terms: Mapping[str, str] | None = None) -> str:
    """A card's term, or the normalized term from its id when the term is unknown."""
    if terms and card_id in terms:
        return terms[card_id]
    return card_id.split("/", 1)[-1]


def _day(day: dt.date, today: dt.date) -> str:
    if day == today:
        return "today"
    if day == today - dt.timedelta(days=1):
        return "yesterday"
    if day == today + dt.timedelta(days=1):
        return "tomorrow"
    return f"{day:%a %d %b}"


def _table(title: str, *columns: str, right: Sequence[str] = ()) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, title_style="bold")
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    return table


# --------------------------------------------------------------------------- sections


def _counts(report: ProgressReport) -> Table:
    names = [category.value.capitalize() for category in CardCategory]
    table = _table("Cards", *names, "Total", right=[*names, "Total"])
    counts = [report.counts.get(category, 0) for category in CardCategory]
    table.add_row(*(str(count) for count in counts), str(sum(counts)))
    return table


def _activity(report: ProgressReport) -> Table:
    table = _table("Activity", "Figure", "Value", right=["Value"])
    table.show_header = False
    window = f"last {count_text(report.days, 'day')}"
    average = report.total_reviews / report.days if report.days else 0.0
    table.add_row("Reviews today", str(report.reviews_today))
    table.add_row(f"Reviews, {window}", str(report.total_reviews))
    table.add_row("Average per day", f"{average:.1f}")
    table.add_row("Days studied", f"{report.days_studied} of {report.days}")
    table.add_row("Time today", duration_text(report.seconds_today))
    table.add_row(f"Time, {window}", duration_text(report.seconds_total))
    table.add_row("Current streak", count_text(report.streak.current, "day"))
    table.add_row("Longest streak", count_text(report.streak.longest, "day"))
    return table


def _retention(report: ProgressReport) -> Table:
    table = _table(
        "Retention (share of reviews graded 3 or more)",
        "Cards",
        "Last 7 days",
        "Last 30 days",
        right=["Last 7 days", "Last 30 days"],
    )
    week, month = report.retention_7, report.retention_30

    def row(name: str, pick: str) -> None:
        table.add_row(name, _pick(week, pick), _pick(month, pick))

    row("Young cards", "young")
    row("Mature cards", "mature")
    row("All", "overall")
    return table


def _pick(retention: Retention, which: str) -> str:
    if which == "young":
        return rate_text(retention.young_passed, retention.young_total)
    if which == "mature":
        return rate_text(retention.mature_passed, retention.mature_total)
    return rate_text(
        retention.young_passed + retention.mature_passed,
        retention.young_total + retention.mature_total,
    )


def _recent(report: ProgressReport) -> Table:
    shown = min(report.days, RECENT_DAYS)
    title = "Reviews per day" + (f" (last {shown} of {report.days})" if shown < report.days else "")
    table = _table(title, "Day", "Reviews", "Time", right=["Reviews", "Time"])
    for (day, count), (_, seconds) in list(
        zip(report.reviews_per_day, report.time_per_day, strict=True)
    )[-shown:][::-1]:
        table.add_row(_day(day, report.today), str(count), duration_text(seconds) if count else "")
    return table


def _forecast(report: ProgressReport) -> Table:
    series = report.forecast
    table = _table("Due forecast", "Day", "Due", right=["Due"])
    for day, due in series[:FORECAST_DAYS]:
        label = _day(day, report.today)
        table.add_row(label + (" (with overdue)" if day == report.today else ""), str(due))
    table.add_row(
        Text(f"Next {count_text(len(series), 'day')}", style="bold"),
        Text(str(sum(due for _, due in series)), style="bold"),
    )
    return table


def _hardest(report: ProgressReport, terms: Mapping[str, str] | None) -> RenderableType:
    if not report.hardest:
        return Text("Hardest cards: none studied yet.")
    table = _table(
        "Hardest cards (most lapses, lowest easiness)",
        "Card",
        "Deck",
        "Direction",
        "Lapses",
        "Easiness",
        right=["Lapses", "Easiness"],
    )
    for status in report.hardest:
        table.add_row(
            Text(visible(card_label(status.card_id, terms))),
            Text(visible(status.deck)),
            str(status.direction),
            str(status.state.lapses),
            f"{status.state.easiness:.2f}",
        )
    return table


def _quizzes(report: ProgressReport) -> RenderableType:
    if not report.quiz_history:
        return Text("Quiz history: no quizzes taken yet.")
    table = _table(
        "Quiz history",
        "Deck",
        "Quizzes",
        "Last",
        "Best",
        "Average",
        "Recent scores",
        right=["Quizzes", "Last", "Best", "Average"],
    )
    for deck, series in report.quiz_history.items():
        scores = [score for _, score in series]
        recent = " → ".join(f"{score:.0f}%" for score in scores[-5:])
        table.add_row(
            Text(visible(deck)),
            str(len(scores)),
            f"{scores[-1]:.0f}%",
            f"{max(scores):.0f}%",
            f"{sum(scores) / len(scores):.0f}%",
            recent,
        )
    return table


def report_renderables(
    report: ProgressReport, terms: Mapping[str, str] | None = None
) -> list[RenderableType]:
    """The report's sections in order, for printing or embedding."""
    title = Text(f"Progress on {report.today:%a %d %b %Y}", style="bold")
    if report.is_empty:
        return [title, Text(EMPTY_MESSAGE), _counts(report)]
    return [
        title,
        _counts(report),
        _activity(report),
        _retention(report),
        _recent(report),
        _forecast(report),
        _hardest(report, terms),
        _quizzes(report),
    ]


def render_report(
    report: ProgressReport,
    console: Console | None = None,
    *,
    terms: Mapping[str, str] | None = None,
) -> None:
    """Print the report; ``terms`` (card id to term) names the hardest cards properly."""
    console = console or Console()
    console.print(Group(*report_renderables(report, terms)))
