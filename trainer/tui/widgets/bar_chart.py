"""A per-day bar chart drawn as Rich text.

The Progress screen's day charts (reviews, minutes, forecast) were plotext
plots; building one took about 45 ms a frame at 100 columns, most of the time
Progress took to appear. This draws the same information (title, value ticks,
date ticks, one bar a day, or the busiest day of each column when days
outnumber columns) with block characters in about a millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

#: Eighths of a cell, from empty to full.
BLOCKS = " ▁▂▃▄▅▆▇█"
#: Rows that are not bars: the title, the top and bottom edges, the date labels.
FRAME_ROWS = 4


@dataclass(frozen=True)
class BarSeries:
    """What a chart shows: values (not negative) over a top that is the last y tick."""

    title: str
    values: tuple[float, ...]
    x_ticks: tuple[tuple[int, str], ...]
    y_ticks: tuple[tuple[float, str], ...]


class BarChart(Widget):
    """Bars under a title, value ticks on the left, date ticks underneath."""

    DEFAULT_CSS = """
    BarChart {
        height: 14;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.series: BarSeries | None = None

    def show(self, series: BarSeries) -> None:
        """Draw ``series``; nothing is redrawn when it is what is drawn already."""
        if series != self.series:
            self.series = series
            self.refresh()

    def render(self) -> RenderableType:
        if self.series is None:
            return Text("")
        return draw_bars(self.series, self.content_size.width, self.content_size.height)


def draw_bars(series: BarSeries, width: int, height: int, colour: str = "cyan") -> Text:
    """The chart as ``height`` lines of at most ``width`` cells, framed like the
    screen's plotext charts: a box with ticks on its left and bottom edges."""
    label_width = max((len(label) for _, label in series.y_ticks), default=0)
    plot_width = max(width - label_width - 2, 1)
    rows = max(height - FRAME_ROWS, 1)
    top = max((tick for tick, _ in series.y_ticks), default=0) or 1
    eighths = [_eighths(value, top, rows) for value in _column_values(series.values, plot_width)]
    labels = _tick_rows(series.y_ticks, top, rows)
    centres = _x_centres(series, plot_width)
    pad = " " * label_width
    text = Text(series.title.center(width).rstrip(), style="bold")
    text.append(f"\n{pad}┌{'─' * plot_width}┐")
    for row in range(rows):
        level = rows - 1 - row  # rows counted up from the axis
        axis = "┤" if level in labels else "│"
        text.append("\n" + labels.get(level, "").rjust(label_width) + axis)
        text.append("".join(BLOCKS[min(max(cells - level * 8, 0), 8)] for cells in eighths), colour)
        text.append("│")
    bottom = ["─"] * plot_width
    for centre, _ in centres:
        bottom[centre] = "┬"
    text.append(f"\n{pad}└{''.join(bottom)}┘")
    text.append("\n" + _x_labels(centres, label_width + 1, width))
    return text


def _column_values(values: Sequence[float], width: int) -> list[float]:
    """One value per column: each day's bar (a gap after it when there is room),
    or the largest of the days a column covers when there are more days than columns."""
    count = len(values)
    if not count:
        return [0.0] * width
    columns = [0.0] * width
    if count * 2 <= width:
        bar = width // count - 1  # every bar as wide, with at least one column between
        for day, value in enumerate(values):
            start = day * width // count
            columns[start : start + bar] = [value] * bar
        return columns
    for column in range(width):
        start = column * count // width
        end = max((column + 1) * count // width, start + 1)
        columns[column] = max(values[start:end])
    return columns


def _eighths(value: float, top: float, rows: int) -> int:
    """A bar's height in eighths of a row; a day with any value shows at least one."""
    if value <= 0:
        return 0
    return max(1, min(rows * 8, round(value / top * rows * 8)))


def _tick_rows(ticks: Sequence[tuple[float, str]], top: float, rows: int) -> dict[int, str]:
    """The row (up from the axis) each value tick labels; a row keeps its first label."""
    placed: dict[int, str] = {}
    for tick, label in ticks:
        row = 0 if tick <= 0 else min(rows - 1, max(0, round(tick / top * rows) - 1))
        placed.setdefault(row, label)
    return placed


def _x_centres(series: BarSeries, plot_width: int) -> list[tuple[int, str]]:
    """Each date tick's column in the plot: the middle of its day's bar."""
    count = max(len(series.values), 1)
    return [
        (min((2 * position + 1) * plot_width // (2 * count), plot_width - 1), label)
        for position, label in series.x_ticks
    ]


def _x_labels(centres: Sequence[tuple[int, str]], offset: int, width: int) -> str:
    """Date tick labels centred under their ticks, never overlapping."""
    line = ""
    for centre, label in centres:
        start = min(max(offset + centre - len(label) // 2, 0), width - len(label))
        if line and start < len(line) + 1:
            continue
        line = line.ljust(start) + label
    return line
