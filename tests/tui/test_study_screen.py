"""The daily study session as a user meets it: keys pressed, screen and database checked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from trainer.app.settings import Settings
from trainer.tui.app import TrainerApp
from trainer.tui.screens.home import HomeScreen
from trainer.tui.screens.study import StudyScreen
from trainer.tui.screens.summary import SummaryScreen

SIZE = (80, 24)


def text_of(app: TrainerApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def rendered(app: TrainerApp, selector: str) -> str:
    """What a Static shows as plain text, a table included."""
    import io

    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(app.screen.query_one(selector, Static).content)
    return console.export_text()


def review_rows(trainer) -> list[dict]:
    return list(trainer.store.db["reviews"].rows_where(order_by="answered_at, rowid"))


def home_row(app: TrainerApp, slug: str) -> list[str]:
    table = app.screen.query_one("#decks", DataTable)
    return [str(cell) for cell in table.get_row(slug)]


async def test_home_lists_decks_with_counts(trainer) -> None:
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert home_row(app, "small") == ["Small deck", "3", "3", "0", "0"]
        assert "0 due · 3 new · 0 drills · 0 answered · streak 0 days" in text_of(app, "#today")


async def test_whole_session_reveal_grade_undo_drill_summary(trainer) -> None:
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, StudyScreen)
        assert text_of(app, "#front") == "Alpha"
        assert text_of(app, "#back") == ""
        assert "Due 0 · New 3 · Drill 0" in text_of(app, "#counts")

        await pilot.press("5")  # grading before revealing does nothing
        assert review_rows(trainer) == []

        await pilot.press("space")
        assert text_of(app, "#back") == "The first letter of the Greek alphabet."
        hint = rendered(app, "#hint")
        assert "right, hard" in hint and "3 · 1d" in hint
        await pilot.press("5")
        assert [r["grade"] for r in review_rows(trainer)] == [5]
        assert text_of(app, "#front") == "Beta"

        await pilot.press("space", "2")  # Beta: wrong -> will come back as a drill
        assert text_of(app, "#front") == "Gamma"
        await pilot.press("space", "4")
        assert [r["grade"] for r in review_rows(trainer)] == [5, 2, 4]

        await pilot.press("u")  # undo Gamma: it is back on screen, its review marked undone
        assert text_of(app, "#front") == "Gamma"
        undone = list(trainer.store.db["review_undos"].rows)
        assert [u["review_id"] for u in undone] == [review_rows(trainer)[2]["id"]]
        assert trainer.store.state_of("small/gamma", "forward").is_new
        await pilot.press("space", "5")

        # Scheduled cards done: Beta comes back as a same-day drill.
        assert text_of(app, "#front") == "Beta"
        assert "Drill:" in text_of(app, "#drill-note")
        await pilot.press("space", "3")  # still below 4: asked again
        assert text_of(app, "#front") == "Beta"
        await pilot.press("space", "4")

        assert isinstance(app.screen, SummaryScreen)
        body = text_of(app, "#summary-body")
        assert "Cards answered      5" in body
        assert "New cards learned   3" in body
        assert "Drill answers       2" in body
        assert "Due tomorrow        3" in body  # all three: interval 1 after a first answer

        modes = [(r["card_id"], r["mode"], r["grade"]) for r in review_rows(trainer)]
        assert modes == [
            ("small/alpha", "study", 5),
            ("small/beta", "study", 2),
            ("small/gamma", "study", 4),
            ("small/gamma", "study", 5),
            ("small/beta", "drill", 3),
            ("small/beta", "drill", 4),
        ]
        beta = trainer.store.state_of("small/beta", "forward")
        assert (beta.repetitions, beta.interval) == (0, 1)  # drills leave SM-2 alone

        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)
        assert home_row(app, "small") == ["Small deck", "3", "0", "0", "3"]
        assert "5 answered · streak 1 day" in text_of(app, "#today")


async def test_escape_keeps_answers_and_counts_update(trainer) -> None:
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "space", "4", "escape")
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("escape")
        assert home_row(app, "small") == ["Small deck", "3", "2", "0", "1"]
    assert len(review_rows(trainer)) == 1


async def test_escape_before_answering_returns_home(trainer) -> None:
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "space", "escape")
        assert isinstance(app.screen, HomeScreen)
    assert review_rows(trainer) == []


async def test_session_across_a_day_change(trainer, clock) -> None:
    """Cards answered today come due tomorrow; the 04:00 rollover decides the day."""
    app = TrainerApp(trainer, start="study")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(3):
            await pilot.press("space", "5")
        await pilot.press("enter")
    clock.instant = dt.datetime(2026, 3, 5, 3, 30, tzinfo=dt.UTC)  # still the 4th's study day
    assert trainer.queue() == []
    clock.instant = dt.datetime(2026, 3, 5, 4, 0, tzinfo=dt.UTC)
    app = TrainerApp(trainer, start="study")
    async with app.run_test(size=SIZE) as pilot:
        assert "Due 3 · New 0" in text_of(app, "#counts")
        await pilot.press("space", "5")
        await pilot.press("escape")
    alpha = trainer.store.state_of("small/alpha", "forward")
    assert (alpha.interval, alpha.due) == (6, dt.date(2026, 3, 11))
    days = [r["day"] for r in review_rows(trainer)]
    assert days == ["2026-03-04"] * 3 + ["2026-03-05"]


async def test_reverse_direction_shows_definition_first(make_trainer) -> None:
    from trainer.core.model import Direction

    settings = Settings(
        deck_directions={"small": (Direction.FORWARD, Direction.REVERSE)}, bury_siblings=False
    )
    trainer = make_trainer(settings=settings)
    app = TrainerApp(trainer, start="study")
    async with app.run_test(size=SIZE) as pilot:
        assert "New 6" in text_of(app, "#counts")
        fronts = []
        for _ in range(6):
            fronts.append((text_of(app, "#front-label").split(" · ")[0], text_of(app, "#front")))
            await pilot.press("space", "5")
    assert ("Definition", "The first letter of the Greek alphabet.") in fronts
    assert ("Term", "Alpha") in fronts


async def test_nothing_due_says_so(trainer) -> None:
    for entry in trainer.queue():
        trainer.record_answer(entry.card_id, entry.direction, 5, "study")
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
async def test_markup_and_long_text_shown_literally(make_trainer, tmp_path: Path, size) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    long_definition = " ".join(["word"] * 300) + " END"
    (folder / "hostile.yaml").write_text(
        "name: Hostile\ncards:\n"
        '  - term: "[bold red]Loud[/] \\e[31mred"\n'
        f"    definition: {long_definition}\n",
        encoding="utf-8",
    )
    trainer = make_trainer(deck_dirs=[folder])
    app = TrainerApp(trainer, start="study")
    async with app.run_test(size=size) as pilot:
        assert text_of(app, "#front") == "[bold red]Loud[/] \u241b[31mred"
        await pilot.press("space")
        back = app.screen.query_one("#back", Static)
        assert str(back.render()).endswith("END")
        assert back.size.height > 1  # wrapped, not cut off
        assert back.size.width <= size[0]


CLOZE_DECK = """\
name: History
cards:
  - cloze: "The battle of {{c1::Hastings::place}} was in {{c2::1066}}."
    extra: "Normans"
"""


async def test_a_cloze_card_fills_its_gap_in_place(make_trainer, tmp_path: Path) -> None:
    decks = tmp_path / "cloze-decks"
    decks.mkdir()
    (decks / "history.yaml").write_text(CLOZE_DECK, encoding="utf-8")
    trainer = make_trainer(deck_dirs=[decks])
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, StudyScreen)
        assert text_of(app, "#front-label") == "Cloze · History · gap 1"
        assert text_of(app, "#front") == "The battle of [place] was in 1066."
        await pilot.press("space")
        assert text_of(app, "#front") == "The battle of [Hastings] was in 1066."
        assert (text_of(app, "#back-label"), text_of(app, "#back")) == ("Extra", "Normans")
        await pilot.press("4")
        assert text_of(app, "#front") == "The battle of Hastings was in […]."
        assert [r["card_id"] for r in review_rows(trainer)] == [
            "history/the battle of hastings was in 1066. #c1"
        ]


async def test_the_footer_relabels_its_keys_in_place_from_card_to_card(trainer) -> None:
    """Space turns from Reveal into the default grade and back on the same key widgets."""
    from textual.widgets._footer import FooterKey

    def keys(app: TrainerApp) -> dict[str, FooterKey]:
        return {key.key: key for key in app.screen.query(FooterKey)}

    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.press("space", "4")  # the first answer: undo appears (a new key)
        await pilot.pause()
        before = keys(app)
        assert before["space"].action == "reveal" and "u" in before
        await pilot.press("space")
        await pilot.pause()
        revealed = keys(app)
        assert revealed["space"].action == "grade_default"
        assert revealed["space"].description == "Default grade"
        await pilot.press("4")
        await pilot.pause()
        after = keys(app)
        assert after["space"].action == "reveal" and after["space"].description == "Reveal"
        assert all(after[key] is widget for key, widget in before.items())  # not remounted
        assert all(revealed[key] is widget for key, widget in before.items())
        assert len(review_rows(trainer)) == 2
        assert text_of(app, "#front") == "Gamma"


NAMING_DECK = """\
name: Naming
cards:
  - term: Write-ahead log (WAL)
    definition: A write-ahead log records each change first; the WAL is replayed.
"""


async def test_a_reverse_card_shows_blanks_until_the_answer_is_revealed(
    make_trainer, tmp_path: Path
) -> None:
    from trainer.core.model import Direction

    folder = tmp_path / "naming"
    folder.mkdir()
    (folder / "naming.yaml").write_text(NAMING_DECK, encoding="utf-8")
    settings = Settings(deck_directions={"naming": (Direction.REVERSE,)})
    trainer = make_trainer(settings=settings, deck_dirs=[folder])
    app = TrainerApp(trainer, start="study")
    async with app.run_test(size=SIZE) as pilot:
        front = text_of(app, "#front")
        assert "_____" in front and "write-ahead" not in front.lower() and "WAL" not in front
        await pilot.press("space")
        assert "write-ahead log records" in text_of(app, "#front")
        assert "Write-ahead log (WAL)" in text_of(app, "#back")


async def test_leaving_early_says_how_many_cards_remain(trainer) -> None:
    app = TrainerApp(trainer, start="study")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "5", "escape")
        assert isinstance(app.screen, SummaryScreen)
        assert text_of(app, "#summary-title") == "Session ended early: 2 cards left for today"
