"""What the progress report says, once, for both of its renderers.

``trainer stats`` prints the report as Rich tables (``trainer.cli.report``) and
the Progress screen lays the same figures out in boxes and charts. Both draw
the sections built here, so a figure, its label and its formatting are
written in one place: the renderers only choose borders and layout. Values
are plain strings; anything that came from a deck (terms, deck names) is made
``visible`` here, so no renderer can forget to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trainer.core.stats import CardCategory, ProgressReport, Retention
from trainer.core.text import count_text, duration_text
from trainer.errors import escape_controls

__all__ = [
    "EMPTY_MESSAGE",
    "NO_DATA",
    "Section",
    "activity_section",
    "card_label",
    "counts_section",
    "day_label",
    "forecast_section",
    "hardest_section",
    "quiz_section",
    "rate_text",
    "recent_section",
    "retention_section",
]

EMPTY_MESSAGE = "No reviews yet — study a deck and your progress appears here."
#: What a rate over no answers reads as: not 0%, which would look like failure.
NO_DATA = "—"


@dataclass(frozen=True)
class Section:
    """One titled table of the report: columns, rows of text, and which columns are
    figures (right-aligned). ``empty`` is what to say when there are no rows."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    figures: frozenset[str] = frozenset()
    empty: str = ""
    show_header: bool = True
    #: a closing row (a total) that a renderer may set apart
    total: tuple[str, ...] | None = None


def rate_text(passed: int, total: int) -> str:
    """``80% (4/5)``, or ``—`` when nothing was answered."""
    if total <= 0:
        return NO_DATA
    return f"{passed / total:.0%} ({passed}/{total})"


def visible(text: str) -> str:
    """A term or deck name in one table cell: control characters and line breaks visible,
    so a value from a deck file can neither drive the terminal nor break the table."""
    return escape_controls(text, keep_newlines=False)


def card_label(card_id: str, terms: Mapping[str, str] | None = None) -> str:
    """A card's term, or the normalized term from its id when the term is unknown."""
    if terms and card_id in terms:
        return terms[card_id]
    return card_id.split("/", 1)[-1]


def day_label(day: dt.date, today: dt.date) -> str:
    """``today``, ``yesterday``, ``tomorrow`` or ``Wed 04 Mar``."""
    if day == today:
        return "today"
    if day == today - dt.timedelta(days=1):
        return "yesterday"
    if day == today + dt.timedelta(days=1):
        return "tomorrow"
    return f"{day:%a %d %b}"


def counts_section(report: ProgressReport) -> Section:
    rows = tuple(
        (category.value.capitalize(), str(report.counts.get(category, 0)))
        for category in CardCategory
    )
    total = ("Total", str(sum(report.counts.values())))
    columns = ("State", "Cards")
    return Section(
        "Cards by state", columns, rows, frozenset({"Cards"}), show_header=False, total=total
    )


def activity_section(report: ProgressReport) -> Section:
    window = count_text(report.days, "day")
    average = report.total_reviews / report.days if report.days else 0.0
    rows = (
        ("Current streak", count_text(report.streak.current, "day")),
        ("Longest streak", count_text(report.streak.longest, "day")),
        ("Reviews today", str(report.reviews_today)),
        ("Time today", duration_text(report.seconds_today)),
        (f"Reviews, {window}", str(report.total_reviews)),
        (f"Time, {window}", duration_text(report.seconds_total)),
        ("Average per day", f"{average:.1f}"),
        ("Days studied", f"{report.days_studied} of {report.days}"),
    )
    return Section("Activity", ("Figure", "Value"), rows, frozenset({"Value"}), show_header=False)


def _rates(retention: Retention) -> tuple[str, str, str]:
    """Young, mature and all answers' rates."""
    return (
        rate_text(retention.young_passed, retention.young_total),
        rate_text(retention.mature_passed, retention.mature_total),
        rate_text(
            retention.young_passed + retention.mature_passed,
            retention.young_total + retention.mature_total,
        ),
    )


def retention_section(report: ProgressReport) -> Section:
    week, month = _rates(report.retention_7), _rates(report.retention_30)
    rows = tuple(
        (name, week[index], month[index]) for index, name in enumerate(("Young", "Mature", "All"))
    )
    columns = ("Cards", "7 days", "30 days")
    return Section("Retention (graded 3 or more)", columns, rows, frozenset(columns[1:]))


def recent_section(report: ProgressReport, shown_days: int) -> Section:
    """Reviews and time of the latest ``shown_days`` days, newest first."""
    shown = min(report.days, shown_days)
    title = "Reviews per day" + (f" (last {shown} of {report.days})" if shown < report.days else "")
    pairs = list(zip(report.reviews_per_day, report.time_per_day, strict=True))[-shown:][::-1]
    rows = tuple(
        (day_label(day, report.today), str(count), duration_text(seconds) if count else "")
        for (day, count), (_, seconds) in pairs
    )
    return Section(title, ("Day", "Reviews", "Time"), rows, frozenset({"Reviews", "Time"}))


def forecast_section(report: ProgressReport, shown_days: int) -> Section:
    series = report.forecast
    rows = tuple(
        (day_label(day, report.today) + (" (with overdue)" if day == report.today else ""), str(n))
        for day, n in series[:shown_days]
    )
    total = (f"Next {count_text(len(series), 'day')}", str(sum(due for _, due in series)))
    return Section("Due forecast", ("Day", "Due"), rows, frozenset({"Due"}), total=total)


def hardest_section(
    report: ProgressReport,
    terms: Mapping[str, str] | None = None,
    deck_names: Mapping[str, str] | None = None,
) -> Section:
    names = deck_names or {}
    rows = tuple(
        (
            visible(card_label(status.card_id, terms)),
            visible(names.get(status.deck, status.deck)),
            str(status.direction),
            str(status.state.lapses),
            f"{status.state.easiness:.2f}",
        )
        for status in report.hardest
    )
    return Section(
        "Hardest cards (most lapses, lowest easiness)",
        ("Term", "Deck", "Direction", "Lapses", "Ease"),
        rows,
        frozenset({"Lapses", "Ease"}),
        empty="None yet: cards you forget show up here.",
    )


def quiz_section(report: ProgressReport, deck_names: Mapping[str, str] | None = None) -> Section:
    names = deck_names or {}
    rows = []
    for deck, series in report.quiz_history.items():
        scores = [score for _, score in series]
        rows.append(
            (
                visible(names.get(deck, deck)),
                str(len(scores)),
                f"{scores[-1]:.0f}%",
                f"{max(scores):.0f}%",
                f"{sum(scores) / len(scores):.0f}%",
                " → ".join(f"{score:.0f}%" for score in scores[-5:]),
            )
        )
    columns = ("Deck", "Quizzes", "Last", "Best", "Average", "Recent scores")
    return Section(
        "Quiz history", columns, tuple(rows), frozenset(columns[1:5]), empty="No quizzes taken yet."
    )


def leech_line(leeches: Sequence[tuple[str, str, bool]]) -> str:
    """Leeches (cards that reached the lapse limit), named so they can be reworded."""
    if not leeches:
        return "Leeches: none"
    names = ", ".join(
        visible(term) + (" (suspended)" if suspended else "") for _, term, suspended in leeches
    )
    return f"Leeches ({len(leeches)}): {names}"
