"""A place for a plotext chart that builds the chart only when there is one to draw.

Importing textual-plotext (plotext with it) and building three of its figures
took about 80 ms of the first opening of Progress at 100k cards, for charts that
are drawn later (the scheduler comparison, computed in a thread) or not at all
(quiz scores, before any quiz). The plot is made, and plotext imported, the
first time a chart is drawn into it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget

if TYPE_CHECKING:
    from textual_plotext import PlotextPlot
    from textual_plotext.plot import Plot


class LazyPlot(Widget):
    """Sized like the plot it will hold (``PlotextPlot``'s own rules), empty until drawn."""

    DEFAULT_CSS = """
    LazyPlot {
        width: 1fr;
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._plot: PlotextPlot | None = None

    @property
    def built(self) -> bool:
        return self._plot is not None

    def figure(self) -> Plot:
        """The plotext figure to draw into, cleared; the plot is made on first use."""
        if self._plot is None:
            from textual_plotext import PlotextPlot

            self._plot = PlotextPlot()
            self.mount(self._plot)
        plt = self._plot.plt
        plt.clear_figure()
        return plt

    def show(self) -> None:
        """Paint what was drawn into ``figure()``."""
        if self._plot is not None:
            self._plot.refresh()
