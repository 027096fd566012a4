"""Progress: cards by state, activity charts, the year's heatmap, retention, hard cards.

Everything is computed once per deck filter (``trainer.app.progress.load_progress``
fetches the widest window the screen offers), so the window key only redraws;
on a later visit the figures kept from the last one are moved on by the answers
given since (``refresh_progress``) where nothing else was written.
The layout is one scrolling column at 80 columns; from ``WIDE_AT`` columns the
figure boxes and the charts pair up side by side. Terms, deck names and quiz
deck labels are shown as ``Text`` (or passed through ``visible``), never as
markup.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static

from trainer.app.fsrs_scheduler import MIN_REVIEWS_TO_FIT
from trainer.app.progress import (
    HEATMAP_WEEKS,
    Heatmap,
    ProgressInputs,
    card_terms,
    deck_names,
    load_progress,
    month_labels,
    refresh_progress,
)
from trainer.app.progress_view import (
    EMPTY_MESSAGE,
    Section,
    activity_section,
    counts_section,
    hardest_section,
    leech_line,
    quiz_section,
    retention_section,
)
from trainer.app.scheduler_check import (
    PREDICTOR_NAMES,
    LoadForecast,
    SchedulerCheck,
    check_note,
    check_section,
    compute_scheduler_report,
    load_section,
    optimize_in_thread,
)
from trainer.core.stats import CardCategory, ProgressReport
from trainer.core.text import count_text, visible
from trainer.errors import TrainerError, describe
from trainer.tui.widgets.bar_chart import BarChart, BarSeries
from trainer.tui.widgets.lazy_plot import LazyPlot

if TYPE_CHECKING:
    from trainer.tui.app import TrainerApp

#: The chart windows the window key cycles through, in days.
WINDOWS = (30, 90, 365)
#: From this many columns, boxes and charts sit two (or three) to a row.
WIDE_AT = 140
#: Heatmap colours, from no reviews to the busiest days (GitHub's greens).
DARK_LEVELS = ("#2d333b", "#0e4429", "#006d32", "#26a641", "#39d353")
LIGHT_LEVELS = ("#ebedf0", "#9be9a8", "#40c463", "#30a14e", "#216e39")
WEEKDAY_LABELS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
CELL = "■"
LABEL_WIDTH = 4
SERIES_COLOURS = ("cyan", "orange", "green", "magenta", "yellow", "blue", "red")
#: Rich names of plotext's colours where they differ
PLOT_STYLES = {"orange": "dark_orange"}


class HeatmapView(Widget):
    """A GitHub-style calendar: weeks as columns, Monday..Sunday as rows.

    It draws as many of the most recent weeks as fit, two columns per week
    when there is room for the whole year that way, one otherwise.
    """

    DEFAULT_CSS = """
    HeatmapView {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.heatmap: Heatmap | None = None

    def show(self, heatmap: Heatmap) -> None:
        self.heatmap = heatmap
        self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 11  # title, months, seven days, blank, legend

    def layout_for(self, width: int) -> tuple[int, int]:
        """(weeks shown, cell width) for a content width."""
        weeks = len(self.heatmap.mondays) if self.heatmap else HEATMAP_WEEKS
        room = max(width - LABEL_WIDTH, 1)
        if room >= weeks * 2:
            return weeks, 2
        return max(1, min(weeks, room)), 1

    def render(self) -> RenderableType:
        if self.heatmap is None:
            return Text("")
        return self.draw(self.content_size.width or self.size.width)

    def draw(self, width: int) -> Text:
        assert self.heatmap is not None
        heatmap = self.heatmap
        weeks, cell = self.layout_for(width)
        dark = getattr(self.app.current_theme, "dark", True) if self.is_attached else True
        colours = DARK_LEVELS if dark else LIGHT_LEVELS
        text = Text()
        text.append("Reviews in the past year", style="bold")
        days = count_text(heatmap.active_days, "day")
        text.append(f" · {count_text(heatmap.total, 'review')} on {days}\n")
        text.append(" " * LABEL_WIDTH + month_labels(heatmap.mondays[-weeks:], cell) + "\n")
        for weekday, row in enumerate(heatmap.cells):
            text.append(f"{WEEKDAY_LABELS[weekday]:<{LABEL_WIDTH}}", style="dim")
            for count in row[-weeks:]:
                level = heatmap.level(count)
                if level is None:
                    text.append(" " * cell)
                else:
                    text.append(CELL, style=colours[level])
                    text.append(" " * (cell - 1))
            text.append("\n")
        text.append("\n" + " " * LABEL_WIDTH + "Less ", style="dim")
        for colour in colours:
            text.append(CELL + " ", style=colour)
        text.append("More", style="dim")
        return text


class ProgressScreen(Screen[None]):
    BINDINGS = [
        Binding("d", "cycle_deck", "Deck", id="progress.deck"),
        Binding("w", "cycle_window", "Window", id="progress.window"),
        Binding("t", "quiz", "Quiz", id="progress.quiz"),
        Binding("h", "quiz_hardest", "Quiz hardest", id="progress.quiz_hardest"),
        Binding("o", "optimize", "Fit FSRS", id="progress.optimize"),
        Binding("escape", "leave", "Back", id="progress.back"),
        Binding("end", "to_end", "Last section", id="progress.end", show=False),
        Binding("home", "to_start", "First section", id="progress.home", show=False),
    ]

    app: TrainerApp  # type: ignore[assignment]

    def __init__(self, decks: Sequence[str] | None = None) -> None:
        super().__init__()
        self.decks: list[str] | None = list(decks) if decks else None
        self.days = WINDOWS[0]
        self.inputs: ProgressInputs | None = None
        self.report: ProgressReport | None = None
        self.terms: dict[str, str] = {}
        self.leeches: list[tuple[str, str, bool]] = []
        self.deck_names: dict[str, str] = {}
        self.check: SchedulerCheck | None = None
        self.load: LoadForecast | None = None
        #: whether the log has enough answers for ``trainer optimize`` to fit FSRS
        self.can_optimize = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="progress-body"):
            yield Static(id="progress-filter", markup=False)
            yield Static(id="progress-empty", markup=False)
            with Vertical(id="progress-figures"):
                with Grid(id="progress-stats"):
                    yield Static(id="progress-counts", classes="progress-box", markup=False)
                    yield Static(id="progress-streak", classes="progress-box", markup=False)
                    yield Static(id="progress-retention", classes="progress-box", markup=False)
                with Horizontal(classes="progress-row"):
                    yield BarChart(id="chart-reviews", classes="progress-chart")
                    yield BarChart(id="chart-time", classes="progress-chart")
                yield HeatmapView(id="progress-heatmap")
                with Horizontal(classes="progress-row"):
                    yield BarChart(id="chart-forecast", classes="progress-chart")
                    with Vertical(id="quiz-chart-box", classes="progress-chart"):
                        yield LazyPlot(id="chart-quiz")
                        yield Static(id="chart-quiz-legend", markup=False)
                with Horizontal(classes="progress-row"):
                    yield Static(id="progress-hardest", classes="progress-box", markup=False)
                    yield Static(id="progress-quiz", classes="progress-box", markup=False)
                with Horizontal(classes="progress-row"):
                    yield Static(id="progress-scheduler", classes="progress-box", markup=False)
                    yield LazyPlot(id="chart-calibration", classes="progress-chart")
                with Horizontal(classes="progress-row"):
                    yield Static(id="progress-load", classes="progress-box", markup=False)
                    yield LazyPlot(id="chart-load", classes="progress-chart")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#progress-body", VerticalScroll).focus()

    def open_at_top(self, decks: Sequence[str] | None) -> None:
        """Before the app shows this screen again: these decks, from the first section."""
        self.decks = list(decks) if decks else None
        if self.is_mounted:
            self.query_one("#progress-body", VerticalScroll).scroll_home(animate=False)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= WIDE_AT, "-wide")

    def on_screen_resume(self) -> None:
        """Load on arrival and again on return (a quiz from here changes the figures)."""
        self.reload()

    # ---------------------------------------------------------------- loading
    def preload(self) -> None:
        """Read the figures of all decks before the screen is shown (the app calls
        this while Home waits for a key): showing them is then ``refresh_progress``
        finding nothing written since, or only answers to move them on by. A
        failure here is left for the visit itself to meet and report."""
        try:
            self.inputs = self._figures(None)
        except Exception:  # a read ahead nobody asked for (a locked database, say)
            self.inputs = None

    def _figures(self, decks: Sequence[str] | None) -> ProgressInputs:
        """The figures of ``decks``: those kept from the last reading, moved on by the
        answers given since, or read again (``refresh_progress`` decides)."""
        trainer = self.app.trainer
        chosen = tuple(decks) if decks else None
        if self.inputs is not None and self.inputs.decks == chosen:
            return refresh_progress(trainer, self.inputs, max(WINDOWS), weeks=HEATMAP_WEEKS)
        return load_progress(trainer, chosen, max(WINDOWS), weeks=HEATMAP_WEEKS)

    def reload(self) -> None:
        trainer = self.app.trainer
        self.deck_names = deck_names(trainer)
        self.inputs = self._figures(self.decks)
        self.terms = card_terms(trainer, self.inputs.cards.hardest)
        self.leeches = trainer.leeches(self.decks)
        self.check = self.load = None
        self.redraw()
        # after the frame that shows the figures: the thread holds the GIL for
        # seconds when the log changed, and would slow that frame down as much
        self.call_after_refresh(self._start_schedulers)

    def _start_schedulers(self) -> None:
        self.run_worker(self._load_schedulers(), exclusive=True, group="schedulers")

    async def _load_schedulers(self) -> None:
        """The scheduler check and forecast read the whole log (seconds on a million
        answers): they are computed in a thread, on a connection of their own, and
        drawn when ready; the rest of the screen does not wait for them."""
        decks = list(self.decks) if self.decks else None
        try:
            report, keep = await asyncio.to_thread(
                compute_scheduler_report, self.app.trainer, decks
            )
        except TrainerError as error:
            self.query_one("#progress-scheduler", Static).update(
                Text(f"Cannot compare the schedulers: {describe(error)}")
            )
            return
        if keep is not None:
            self.app.trainer.keep_meta(*keep)
        if decks != (list(self.decks) if self.decks else None):
            return  # the deck changed meanwhile; its own run draws it
        self.check, self.load = report.check, report.forecast
        self.can_optimize = report.learnable >= MIN_REVIEWS_TO_FIT
        self.refresh_bindings()
        if self.report is not None and not self.report.is_empty:
            self._draw_schedulers()

    def redraw(self) -> None:
        assert self.inputs is not None
        self.report = report = self.inputs.report(self.days)
        self.sub_title = f"Progress: {self.deck_label()}"
        self.query_one("#progress-filter", Static).update(self._filter_line())
        empty = report.is_empty
        self.query_one("#progress-empty", Static).display = empty
        self.query_one("#progress-figures", Vertical).display = not empty
        if empty:
            self.query_one("#progress-empty", Static).update(self._empty_text(report))
        else:
            self.query_one("#progress-counts", Static).update(counts_text(report))
            self.query_one("#progress-streak", Static).update(activity_text(report))
            self.query_one("#progress-retention", Static).update(retention_table(report))
            self._draw_reviews(report)
            self._draw_time(report)
            self.query_one("#progress-heatmap", HeatmapView).show(self.inputs.heatmap())
            self._draw_forecast(report)
            self._draw_quiz(report)
            self.query_one("#progress-hardest", Static).update(
                Group(
                    hardest_table(report, self.terms, self.deck_names),
                    leech_text(self.leeches),
                )
            )
            self.query_one("#progress-quiz", Static).update(quiz_table(report, self.deck_names))
            self._draw_schedulers()
        self.refresh_bindings()

    def deck_label(self) -> str:
        if not self.decks:
            return "all decks"
        return ", ".join(visible(self.deck_names.get(slug, slug)) for slug in self.decks)

    def _filter_line(self) -> Text:
        text = Text()
        text.append("Deck ", style="dim")
        text.append(self.deck_label(), style="bold")
        text.append(" · ", style="dim")
        text.append(f"last {self.days} days", style="bold")
        return text

    def _empty_text(self, report: ProgressReport) -> Text:
        cards = sum(
            count for category, count in report.counts.items() if category != CardCategory.RETIRED
        )
        text = Text(EMPTY_MESSAGE, style="bold")
        text.append(
            f"\n\n{count_text(cards, 'card')} in {self.deck_label()} waiting to be learned. "
            "Press escape, then s to study.",
            style="",
        )
        return text

    # ----------------------------------------------------------------- charts
    def _draw_reviews(self, report: ProgressReport) -> None:
        series = [(day, float(count)) for day, count in report.reviews_per_day]
        plot_days(
            self.query_one("#chart-reviews", BarChart),
            series,
            f"Reviews per day · last {report.days} days",
            report.today,
        )

    def _draw_time(self, report: ProgressReport) -> None:
        series = [(day, seconds / 60) for day, seconds in report.time_per_day]
        plot_days(
            self.query_one("#chart-time", BarChart),
            series,
            f"Minutes per day · last {report.days} days",
            report.today,
        )

    def _draw_forecast(self, report: ProgressReport) -> None:
        series = [(day, float(count)) for day, count in report.forecast]
        total = sum(count for _, count in report.forecast)
        plot_days(
            self.query_one("#chart-forecast", BarChart),
            series,
            f"Due in the next {len(series)} days · {total} in all",
            report.today,
        )

    def _draw_schedulers(self) -> None:
        """The scheduler check with its calibration chart, and the load under each."""
        charts = ("#chart-calibration", "#chart-load")
        if self.check is None or self.load is None:
            self.query_one("#progress-scheduler", Static).update(
                Text("Comparing FSRS and SM-2 on your history…", style="dim")
            )
            self.query_one("#progress-load", Static).update("")
            for chart in charts:
                self.query_one(chart, LazyPlot).display = False
            return
        self.query_one("#chart-load", LazyPlot).display = True
        scheduler = self.app.trainer.settings.scheduler
        box = section_box(check_section(self.check))
        if note := check_note(self.check):
            box.append("\n" + note, style="dim")
        if self.can_optimize:
            box.append("\no: fit FSRS to your answers (trainer optimize)", style="dim")
        self.query_one("#progress-scheduler", Static).update(box)
        plot_calibration(self.query_one("#chart-calibration", LazyPlot), self.check)
        self.query_one("#progress-load", Static).update(
            section_box(load_section(self.load, scheduler))
        )
        plot_load(self.query_one("#chart-load", LazyPlot), self.load, scheduler)

    def _draw_quiz(self, report: ProgressReport) -> None:
        history = report.quiz_history
        box = self.query_one("#quiz-chart-box", Vertical)
        box.display = bool(history)  # the quiz table below says there are none
        if not history:
            return
        widget = self.query_one("#chart-quiz", LazyPlot)
        plt = widget.figure()
        legend = Text()
        first = min(day for series in history.values() for day, _ in series)
        last = max(day for series in history.values() for day, _ in series)
        for index, (deck, series) in enumerate(history.items()):
            xs = [(day - first).days for day, _ in series]
            ys = [score for _, score in series]
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            label = visible(self.deck_names.get(deck, deck))
            # the legend is a line under the plot: plotext's own covers the top left
            plt.plot(xs, ys, marker="braille", color=colour)
            plt.scatter(xs, ys, marker="●", color=colour)
            legend.append("   " if legend else "")
            legend.append("● ", style=PLOT_STYLES.get(colour, colour))
            legend.append(label)
        span = max((last - first).days, 1)
        ticks = sorted({0, span // 2, span})
        plt.xticks(ticks, [f"{first + dt.timedelta(days=tick):%b %d}" for tick in ticks])
        plt.xlim(-0.5, span + 0.5)
        plt.ylim(0, 100)
        plt.yticks([0, 50, 100], ["0%", "50%", "100%"])
        plt.title("Quiz scores over time")
        widget.show()
        self.query_one("#chart-quiz-legend", Static).update(legend)

    # ---------------------------------------------------------------- actions
    def deck_options(self) -> list[list[str] | None]:
        options: list[list[str] | None] = [None]
        options += [[slug] for slug in self.deck_names]
        if self.decks is not None and self.decks not in options:
            options.insert(1, self.decks)
        return options

    def action_cycle_deck(self) -> None:
        options = self.deck_options()
        index = options.index(self.decks) if self.decks in options else 0
        self.decks = options[(index + 1) % len(options)]
        self.reload()
        self.query_one("#progress-body", VerticalScroll).scroll_home(animate=False)

    def action_cycle_window(self) -> None:
        self.days = WINDOWS[(WINDOWS.index(self.days) + 1) % len(WINDOWS)]
        self.redraw()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quiz_hardest":
            return self.report is not None and bool(self.report.hardest)
        if action == "optimize":
            return self.can_optimize
        return True

    def action_quiz_hardest(self) -> None:
        if self.report is None or not self.report.hardest:
            return
        from trainer.app.quiz_run import QuizOptions

        self.app.open_quiz(QuizOptions(decks=self.decks, source="weakest"))

    def action_optimize(self) -> None:
        """Fit FSRS to the log (as ``trainer optimize``) in a thread, then show the
        figures again; under FSRS the states are replayed with the new parameters."""
        if not self.can_optimize:
            return
        self.can_optimize = False  # one fit at a time
        self.refresh_bindings()
        self.notify("Fitting FSRS to your answers…")
        self.run_worker(self._optimize(), exclusive=True, group="optimize")

    async def _optimize(self) -> None:
        trainer = self.app.trainer
        try:
            fit = await asyncio.to_thread(optimize_in_thread, trainer)
        except TrainerError as error:
            self.notify(f"Cannot fit FSRS: {describe(error)}", severity="error")
            return
        trainer.use_scheduler(trainer.settings)  # the fit is in the database: use it here too
        self.notify(
            f"FSRS parameters {fit.reason}." if fit.fitted else f"Not fitted: {fit.reason}."
        )
        self.reload()

    def action_quiz(self) -> None:
        self.app.open_quiz_setup(self.decks[0] if self.decks and len(self.decks) == 1 else None)

    def action_to_end(self) -> None:
        """The very end, measured once the charts and tables have their final size
        (End while they were still being laid out stopped short)."""
        body = self.query_one("#progress-body", VerticalScroll)
        self.call_after_refresh(body.scroll_end, animate=False, immediate=True)

    def action_to_start(self) -> None:
        self.query_one("#progress-body", VerticalScroll).scroll_home(animate=False)

    def action_leave(self) -> None:
        self.app.pop_screen()


# --------------------------------------------------------------------------- figures


def section_box(section: Section, *, hide: Sequence[str] = ()) -> Text:
    """A section of the report as a borderless box: its title, then aligned columns.

    Plain text rather than a Rich Table, so Textual measures its height exactly
    (a Table inside a Group is measured a line short and loses its last row).
    ``hide`` leaves out columns the box has no room for.
    """
    text = Text(section.title, style="bold")
    if not section.rows and section.empty:
        text.append(f"\n{section.empty}")
        return text
    shown = [index for index, name in enumerate(section.columns) if name not in hide]
    lines = [*section.rows, *([section.total] if section.total else [])]
    if section.show_header:
        lines.insert(0, section.columns)
    widths = [max(len(line[index]) for line in lines) for index in shown]
    for number, line in enumerate(lines):
        cells = []
        for index, width in zip(shown, widths, strict=True):
            figure = section.columns[index] in section.figures
            cells.append(line[index].rjust(width) if figure else line[index].ljust(width))
        header = section.show_header and number == 0
        total = section.total is not None and number == len(lines) - 1
        style = "bold" if header else "dim" if total else ""
        text.append("\n" + "  ".join(cells).rstrip(), style=style)
    return text


def counts_text(report: ProgressReport) -> Text:
    return section_box(counts_section(report))


def activity_text(report: ProgressReport) -> Text:
    return section_box(activity_section(report))


def retention_table(report: ProgressReport) -> Text:
    return section_box(retention_section(report))


def hardest_table(
    report: ProgressReport, terms: dict[str, str], deck_names: dict[str, str]
) -> RenderableType:
    box = section_box(hardest_section(report, terms, deck_names))
    if not report.hardest:
        return box
    return Group(box, Text("h: quiz the hardest cards", style="dim"))


def leech_text(leeches: Sequence[tuple[str, str, bool]]) -> Text:
    return Text(leech_line(leeches), style="bold red" if leeches else "dim")


def quiz_table(report: ProgressReport, deck_names: dict[str, str]) -> Text:
    return section_box(quiz_section(report, deck_names), hide=("Recent scores",))


def plot_days(
    widget: BarChart, series: list[tuple[dt.date, float]], title: str, today: dt.date
) -> None:
    """A per-day series as bars; past a month and a half they touch, one per column."""
    ys = [value for _, value in series]
    x_ticks = _date_ticks([day for day, _ in series], today) if series else ([], [])
    y_ticks = _value_ticks(max(ys, default=0))
    widget.show(
        BarSeries(
            title=title,
            values=tuple(ys),
            x_ticks=tuple(zip(*x_ticks, strict=True)),
            y_ticks=tuple(zip(*y_ticks, strict=True)),
        )
    )


def plot_calibration(widget: LazyPlot, check: SchedulerCheck) -> None:
    """Actual recall against predicted recall, per tenth, for FSRS and SM-2's implied
    prediction; a perfectly calibrated predictor lies on the diagonal."""
    widget.display = check.reviews > 0
    if not check.reviews:
        return
    plt = widget.figure()
    plt.plot([0, 100], [0, 100], color="gray", label="perfect")
    for name, colour in (("fsrs", "cyan"), ("sm2", "orange")):
        bins = check.scores[name].calibration
        xs = [100 * b.predicted for b in bins]
        ys = [100 * b.actual for b in bins]
        plt.plot(xs, ys, marker="braille", color=colour, label=PREDICTOR_NAMES[name])
        plt.scatter(xs, ys, marker="●", color=colour)
    plt.xlim(0, 100)
    plt.ylim(0, 100)
    plt.xticks([0, 50, 100], ["0%", "50%", "100%"])
    plt.yticks([0, 50, 100], ["0%", "50%", "100%"])
    plt.title("Calibration: recalled (up) against predicted (across)")
    widget.show()


def plot_load(widget: LazyPlot, forecast: LoadForecast, scheduler: str) -> None:
    """Reviews a day ahead under each scheduler, as lines."""
    plt = widget.figure()
    top = 0
    for (name, load), colour in zip(forecast.loads.items(), ("orange", "cyan"), strict=False):
        label = "SM-2" if name == "sm2" else "FSRS"
        plt.plot(
            list(range(len(load))),
            load,
            marker="braille",
            color=colour,
            label=label + (" (in use)" if name == scheduler else ""),
        )
        top = max(top, *load, 0)
    days = len(next(iter(forecast.loads.values()), []))
    if days:
        series = [forecast.start + dt.timedelta(days=i) for i in range(days)]
        plt.xticks(*_date_ticks(series, forecast.start))
        plt.xlim(0, days - 1)
    ticks, labels = _value_ticks(top)
    plt.yticks(ticks, labels)
    plt.ylim(0, ticks[-1])
    plt.title(f"Reviews a day under each scheduler · next {days} days")
    widget.show()


def _date_ticks(days: list[dt.date], today: dt.date, count: int = 4) -> tuple[list[int], list[str]]:
    last = len(days) - 1
    positions = sorted({round(last * step / count) for step in range(count + 1)})
    labels = ["today" if days[p] == today else f"{days[p]:%b %d}" for p in positions]
    return positions, labels


def _value_ticks(top: float, count: int = 4) -> tuple[list[float], list[str]]:
    """Round ticks from 0 to the first at or above ``top``, 1, 2 or 5 powers of ten apart."""
    if top <= 0:
        return [0.0, 1.0], ["0", "1"]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if top >= 1:
        step = max(step, 1)
    ticks = [round(step * i, 10) for i in range(math.ceil(top / step - 1e-9) + 1)]
    return ticks, [f"{tick:g}" for tick in ticks]
