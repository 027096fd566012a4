"""The figures where a user waits at 100k cards: Browse, Progress, the session
summary, and a keypress on the study screen (answer -> next card painted).

Each is measured in-process on an open Trainer, beside the same work in plain
sqlite3 (or, for the keypress, a one-Static Textual app doing the floor's
answer and next-card query), like every other figure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks import floor
from benchmarks.generate import DECK_SLUG, NOW, RARE_TAG

#: Browse columns and the floor's plain-SQL sort key for each.
FLOOR_SORTS = {
    "term": "c.term COLLATE NOCASE",
    "deck": "c.deck, c.term COLLATE NOCASE",
    "direction": "s.direction, c.term COLLATE NOCASE",
    "state": "s.repetitions",
    "due": "s.due",
    "interval": "s.interval",
    "easiness": "s.easiness",
    "lapses": "s.lapses",
}


def _median_time(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def browse_floor(
    conn: sqlite3.Connection,
    sort: str,
    query: str | None = None,
    condition: str = "",
    params: Sequence[Any] = (),
) -> list[Any]:
    """One Browse page in plain SQL: 500 active cards in the column's order, and the
    count; ``query`` a full-text prefix, ``condition`` more SQL over ``c`` and ``s``."""
    where = "c.retired = 0"
    found: list[Any] = []
    if query:
        where += " AND c.rowid IN (SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?)"
        found.append(f'"{query}"*')
    if condition:
        where += f" AND {condition}"
        found += params
    state = "LEFT JOIN card_state s ON s.card_id = c.id AND s.direction = 'forward'"
    counted = state if "s." in condition else ""
    conn.execute(f"SELECT count(*) FROM cards c {counted} WHERE {where}", found).fetchone()
    return conn.execute(
        f"""SELECT c.id, c.term, c.definition, s.due FROM cards c {state}
            WHERE {where} ORDER BY {FLOOR_SORTS[sort]} LIMIT 500""",
        found,
    ).fetchall()


#: Browse's filters measured beside their plain-SQL condition: (name, query, sort,
#: floor condition, its parameters). The tags are the generator's (``card_tags``).
FILTERS = (
    ("new", "is:new", "due", "coalesce(s.due, '') = ''", ()),
    ("deck", f"deck:{DECK_SLUG}", "lapses", "c.deck = ?", (DECK_SLUG,)),
    (
        "tag",
        "tag:topic-03",
        "due",
        "EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value = ?)",
        ("topic-03",),
    ),
    (
        "tag_rare",
        f"tag:{RARE_TAG}",
        "due",
        "EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value = ?)",
        (RARE_TAG,),
    ),
    ("flag", "is:leech", "term", "c.leech_at IS NOT NULL", ()),
)

#: A word of the generator's definitions on about a quarter of the cards.
COMMON_WORD = "used"
#: Flags typed after free text (``c is:new``), by the sort Browse opens with:
#: (flag, floor condition). The text is the first term's first letter (most
#: cards) and ``COMMON_WORD``.
TEXT_FLAGS = (
    ("new", "coalesce(s.due, '') = ''"),
    ("suspended", "c.suspended = 1"),
    ("leech", "c.leech_at IS NOT NULL"),
)


def browse_figures(trainer: Any, conn: sqlite3.Connection, runs: int) -> dict[str, tuple]:
    """(trainer, floor) seconds for Browse sorted by each column, and filtered.

    First what the Browse screen starts in a thread when it opens: setting the
    due-direction bits of the cards never answered and of those answered for the
    first time since (``Trainer.due_directions_job``, half a second once for the
    9k new cards), as a user types a query after it."""
    from trainer.storage.store import BROWSE_SORTS

    if (job := trainer.due_directions_job()) is not None:
        job()
    out: dict[str, tuple] = {}
    for sort in BROWSE_SORTS:
        mine = _median_time(lambda sort=sort: trainer.browse("", None, sort, False, 500), runs)
        base = _median_time(lambda sort=sort: browse_floor(conn, sort), runs)
        out[sort] = (mine, base)
    # a filter matching a few hundred cards, and one matching most of them
    word = conn.execute("SELECT term FROM cards ORDER BY rowid LIMIT 1").fetchone()[0].split()[0]
    for name, query in (("word", word), ("letter", word[0])):
        mine = _median_time(lambda query=query: trainer.browse(query, None, "due", False), runs)
        base = _median_time(lambda query=query: browse_floor(conn, "due", query), runs)
        out[f"filter_{name}"] = (mine, base, query, "due")
    for name, query, sort, condition, params in FILTERS:
        mine = _median_time(
            lambda query=query, sort=sort: trainer.browse(query, None, sort, False), runs
        )
        base = _median_time(
            lambda sort=sort, condition=condition, params=params: browse_floor(
                conn, sort, None, condition, params
            ),
            runs,
        )
        out[f"filter_{name}"] = (mine, base, query, sort)
    for text_name, text in (("letter", word[0]), ("common", COMMON_WORD)):
        for flag, condition in TEXT_FLAGS:
            query = f"{text} is:{flag}"
            mine = _median_time(lambda query=query: trainer.browse(query, None, "term"), runs)
            base = _median_time(
                lambda text=text, condition=condition: browse_floor(conn, "term", text, condition),
                runs,
            )
            out[f"filter_{text_name}_{flag}"] = (mine, base, query, "term")
    return out


def progress_screen_data(trainer: Any, decks: list[str] | None = None) -> None:
    """What the Progress screen reads before it draws (``ProgressScreen.reload``):
    the deck names, a year of activity with the heatmap, the 30-day report, the
    hardest cards' terms and the leeches. The scheduler comparison is computed
    in a thread and drawn when ready, so it is not part of opening the screen."""
    from trainer.app.progress import HEATMAP_WEEKS, card_terms, load_progress

    trainer.decks()
    inputs = load_progress(trainer, decks, 365, weeks=HEATMAP_WEEKS)
    inputs.report(30)
    inputs.heatmap()
    card_terms(trainer, inputs.cards.hardest)
    trainer.leeches(decks)


def progress_figure(trainer: Any, db: str, today: str, runs: int) -> tuple[float, float]:
    """Opening Progress: everything the screen reads for every deck."""
    mine = _median_time(lambda: progress_screen_data(trainer), runs)
    base = _median_time(lambda: floor.stats_json(db, today), runs)
    return mine, base


def summary_figure(trainer: Any, conn: sqlite3.Connection, today: str) -> tuple[float, float]:
    """The session summary after a few answers (counts, next due day, due tomorrow)."""
    from trainer.app.session import StudySession

    session = StudySession(trainer)
    for grade in (4, 5, 3):
        if session.current() is None:
            break
        trainer.clock.advance(seconds=5)
        session.answer(grade, 3000)
    mine = _median_time(session.summary, 5)
    tomorrow = (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()

    def base() -> None:
        conn.execute("SELECT min(due) FROM card_state WHERE due > ?", [today]).fetchone()
        conn.execute("SELECT count(*) FROM card_state WHERE due = ?", [tomorrow]).fetchone()

    return mine, _median_time(base, 5)


async def _keypresses(app: Any, presses: int) -> list[float]:
    """Reveal (untimed), then time each grade key from the key event reaching the
    app to the frame that shows the next card.

    Pilot's ``press`` is not the clock: it sleeps in ``wait_for_idle`` (at least
    20 ms, twice per key) and then waits for the screen, so it measured Pilot
    (63 ms for a one-Static app). Here the key goes in as a terminal's would
    (``driver.send_message``, what Pilot does first) and the clock stops in
    ``App._display``, where a real driver gets each frame: the first frame,
    turned into the terminal's bytes (``render_segments``, the work a real
    terminal write does; the headless driver skips it), that holds the next
    card's front is the painted one. Only then does Pilot let the app settle.
    """
    from textual import events
    from textual._compositor import CompositorUpdate
    from textual.widgets import Static

    times: list[float] = []
    waiting: dict[str, Any] = {}
    painted = asyncio.Event()

    def front_text() -> str:
        return str(app.screen.query_one("#front", Static).render())

    async with app.run_test(size=(100, 30)) as pilot:
        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if not waiting or renderable is None:
                return
            text = front_text()
            if not text or text == waiting["before"]:
                return
            if isinstance(renderable, CompositorUpdate):
                frame = renderable.render_segments(app.console)
                if text.split()[0] not in frame:
                    return
            times.append(time.perf_counter() - waiting.pop("started"))
            waiting.clear()
            painted.set()

        app._display = timed_display
        for _ in range(1000):
            if front_text():
                break
            await pilot.pause()
        for i in range(presses):
            await pilot.press("space")
            await pilot.pause()
            waiting["before"] = front_text()
            painted.clear()
            key = events.Key("45"[i % 2], "45"[i % 2])
            key.set_sender(app)
            waiting["started"] = time.perf_counter()
            app._driver.send_message(key)
            try:
                await asyncio.wait_for(painted.wait(), timeout=10)
            except TimeoutError:
                waiting.clear()
                break
            await pilot.pause()
    return times


async def _progress_opens(
    app: Any, opens: int, ready: str, between: Callable[[], object] = lambda: None
) -> list[float]:
    """Time ``p`` on Home until the frame that shows Progress with its figures, as
    the keypress figure times a key: from the key event reaching the app to the
    first frame, turned into the terminal's bytes, that holds ``ready``. The
    first opening composes the screen; later ones show it again, each after
    ``between`` (an answer: what changed the figures since the last look)."""
    from textual import events
    from textual._compositor import CompositorUpdate

    times: list[float] = []
    waiting: dict[str, float] = {}
    painted = asyncio.Event()
    async with app.run_test(size=(100, 30)) as pilot:
        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if "started" not in waiting or not isinstance(renderable, CompositorUpdate):
                return
            if ready in renderable.render_segments(app.console):
                times.append(time.perf_counter() - waiting.pop("started"))
                painted.set()

        app._display = timed_display
        await pilot.pause()
        for _ in range(opens):
            painted.clear()
            key = events.Key("p", "p")
            key.set_sender(app)
            waiting["started"] = time.perf_counter()
            app._driver.send_message(key)
            try:
                await asyncio.wait_for(painted.wait(), timeout=30)
            except TimeoutError:
                break
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            between()
    return times


def floor_progress_app(db: str, today: str) -> Any:
    """A one-Static app that, on ``p``, runs the stats floor and shows its figures."""
    from textual.app import App
    from textual.binding import Binding
    from textual.widgets import Static

    class Floor(App[None]):
        BINDINGS = [Binding("p", "show", "show"), Binding("escape", "hide", "hide")]  # noqa: RUF012

        def compose(self):  # type: ignore[no-untyped-def]
            yield Static(id="front", markup=False)

        def action_show(self) -> None:
            figures = floor.stats_json(db, today)
            self.query_one("#front", Static).update(f"Cards by state {figures[:200]}")

        def action_hide(self) -> None:
            self.query_one("#front", Static).update("")

    return Floor()


def progress_paint_figure(
    trainer: Any, db: str, today: str, opens: int
) -> tuple[float, float, float]:
    """(first opening, median of later ones, floor): ``p`` on Home to Progress painted,
    an answer recorded before each later opening."""
    from trainer.core.model import Mode
    from trainer.tui.app import TrainerApp

    def answer() -> None:
        entry = trainer.queue()[0]
        trainer.clock.advance(seconds=5)
        trainer.record_answer(entry.card_id, entry.direction, 4, Mode.STUDY, 3000)

    app = TrainerApp(trainer)
    mine = asyncio.run(_progress_opens(app, opens + 1, "Cards by state", answer))
    base = asyncio.run(_progress_opens(floor_progress_app(db, today), opens, "Cards by state"))
    if len(mine) < 2 or not base:
        raise RuntimeError("Progress never showed its figures")
    return mine[0], statistics.median(mine[1:]), statistics.median(base)


def floor_key_app(db: str, today: str) -> Any:
    """A one-Static app: on a grade key, the floor's answer and next card's text."""
    from textual.app import App
    from textual.binding import Binding
    from textual.widgets import Static

    class Floor(App[None]):
        BINDINGS = [Binding("4,5", "grade", "grade"), Binding("space", "noop", "reveal")]  # noqa: RUF012

        def compose(self):  # type: ignore[no-untyped-def]
            yield Static(id="front", markup=False)

        def on_mount(self) -> None:
            self.conn = floor.connect(db)
            self.step = 0
            self.query_one("#front", Static).update(floor.first_due_text(self.conn, today))

        def action_noop(self) -> None:
            pass

        def action_grade(self) -> None:
            self.step += 1
            at = (NOW + dt.timedelta(hours=6, seconds=3 * self.step)).isoformat()
            entries = floor.queue(self.conn, today)
            if not entries:
                self.query_one("#front", Static).update(f"done ({self.step})")
                return
            _, card, direction = entries[0]
            floor.answer(self.conn, card, direction, 4, at, today)
            text = floor.first_due_text(self.conn, today) if len(entries) > 1 else "done"
            self.query_one("#front", Static).update(f"{text} ({self.step})")

    return Floor()


def keypress_figure(trainer: Any, db: str, today: str, presses: int) -> tuple[float, float]:
    """Grade key -> next card's frame on the study screen, headless (run_test), median."""
    from trainer.tui.app import TrainerApp

    mine = asyncio.run(_keypresses(TrainerApp(trainer, start="study"), presses))
    base = asyncio.run(_keypresses(floor_key_app(db, today), presses))
    if not mine or not base:
        raise RuntimeError("the study screen showed no next card")
    return statistics.median(mine), statistics.median(base)
