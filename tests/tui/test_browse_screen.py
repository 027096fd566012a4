"""Browse, edit, add, suspend and leeches, driven through the TUI."""

from __future__ import annotations

from pathlib import Path

import yaml
from textual.widgets import DataTable, Input, Static

from trainer.app.settings import Settings
from trainer.core.model import Direction, Mode
from trainer.tui.app import TrainerApp
from trainer.tui.screens.browse import BrowseScreen
from trainer.tui.screens.card_form import CardForm
from trainer.tui.screens.home import HomeScreen
from trainer.tui.screens.study import StudyScreen

SIZE = (100, 30)

COMMENTED_DECK = """\
# Greek letters, kept by hand.
name: Small deck
cards:
  # the first one
  - term: Alpha
    definition: The first letter of the Greek alphabet.
    tags: [greek]
  - term: Beta   # second
    definition: The second letter of the Greek alphabet.
  - term: Gamma
    definition: The third letter of the Greek alphabet.
    aliases: [third letter]
"""


def table_terms(app: TrainerApp) -> list[str]:
    table = app.screen.query_one("#cards", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def status(app: TrainerApp) -> str:
    return str(app.screen.query_one("#browse-status", Static).render())


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_search_narrows_the_table_as_keys_are_typed(trainer) -> None:
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        assert isinstance(app.screen, BrowseScreen)
        assert table_terms(app) == ["Alpha", "Beta", "Gamma"]
        await type_text(pilot, "thi")  # prefix of "third", in Gamma's definition and alias
        assert table_terms(app) == ["Gamma"]
        assert status(app).startswith("1 card ·")
        await pilot.press("backspace", "backspace", "backspace")
        await type_text(pilot, "letter sec")
        assert table_terms(app) == ["Beta"]
        await type_text(pilot, "x")
        assert table_terms(app) == []
        assert status(app).startswith("0 cards")


async def test_sorting_by_columns(trainer) -> None:
    trainer.record_answer("small/beta", Direction.FORWARD, 5, Mode.STUDY)
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "tab")  # into the table
        await pilot.press("r")
        assert table_terms(app) == ["Gamma", "Beta", "Alpha"]
        await pilot.press("o", "o", "o")  # term -> deck -> state -> due
        assert "sorted by due ↑" in status(app)
        assert table_terms(app)[0] == "Beta"  # the only card with a due date


async def test_edit_lands_in_the_yaml_with_comments_and_keeps_history(
    make_trainer, tmp_path: Path
) -> None:
    folder = tmp_path / "own"
    folder.mkdir()
    deck_file = folder / "small.yaml"
    deck_file.write_text(COMMENTED_DECK, encoding="utf-8")
    trainer = make_trainer(deck_dirs=[folder])
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "tab", "e")
        assert isinstance(app.screen, CardForm)
        term = app.screen.query_one("#form-term", Input)
        term.value = "Alpha (letter)"
        aliases = app.screen.query_one("#form-aliases", Input)
        aliases.value = "A, alef"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, BrowseScreen)
        assert "Alpha (letter)" in table_terms(app)
    text = deck_file.read_text(encoding="utf-8")
    assert "# Greek letters, kept by hand." in text
    assert "# the first one" in text
    assert "term: Beta   # second" in text
    assert "- id: alpha\n    term: Alpha (letter)" in text
    assert "aliases: [A, alef]" in text
    reviews = list(trainer.store.db["reviews"].rows)
    assert [r["card_id"] for r in reviews] == ["small/alpha"]
    stored = trainer.card("small/alpha")
    assert stored.card.term == "Alpha (letter)"
    assert not stored.retired
    assert trainer.store.state_of("small/alpha", Direction.FORWARD).repetitions == 1


async def test_a_bad_edit_is_refused_in_the_form_and_nothing_is_written(
    make_trainer, tmp_path: Path
) -> None:
    folder = tmp_path / "own"
    folder.mkdir()
    deck_file = folder / "small.yaml"
    deck_file.write_text(COMMENTED_DECK, encoding="utf-8")
    trainer = make_trainer(deck_dirs=[folder])
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "tab", "e")
        app.screen.query_one("#form-term", Input).value = "beta"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, CardForm)
        error = str(app.screen.query_one("#form-error", Static).render())
        assert "already exists" in error
        await pilot.press("escape")
        assert isinstance(app.screen, BrowseScreen)
    assert deck_file.read_text(encoding="utf-8") == COMMENTED_DECK


async def test_add_a_card_from_browse(make_trainer, tmp_path: Path) -> None:
    folder = tmp_path / "own"
    folder.mkdir()
    (folder / "small.yaml").write_text(COMMENTED_DECK, encoding="utf-8")
    trainer = make_trainer(deck_dirs=[folder])
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "tab", "n")
        app.screen.query_one("#form-term", Input).value = "Delta"
        await pilot.click("#form-definition")
        await type_text(pilot, "The fourth letter")
        await pilot.press("ctrl+s")
        assert "Delta" in table_terms(app)
    assert "term: Delta\n    definition: The fourth letter" in (folder / "small.yaml").read_text()
    assert [e.card_id for e in trainer.queue()][-1] == "small/delta"


async def test_bundled_decks_are_copied_before_the_first_edit(make_trainer, tmp_path: Path):
    from tests.conftest import BUNDLED_DECKS

    trainer = make_trainer(deck_dirs=[BUNDLED_DECKS])  # user decks folder added on edit
    before = (BUNDLED_DECKS / "fine-tuning-course.yaml").read_bytes()
    card = trainer.find_card("LoRA", ["fine-tuning-course"])  # an alias there
    from trainer.app.deckedit import CardEdit

    trainer.edit_card(card.id, CardEdit("Low-rank adaptation (LoRA)", "Edited.", ("LoRA",)))
    assert (BUNDLED_DECKS / "fine-tuning-course.yaml").read_bytes() == before
    copy = trainer.user_decks / "fine-tuning-course.yaml"
    edited = [
        c for c in yaml.safe_load(copy.read_text(encoding="utf-8"))["cards"] if "LoRA" in c["term"]
    ]
    assert edited[0]["definition"] == "Edited."
    assert trainer.card(card.id).card.definition == "Edited."
    trainer.sync_decks()  # the user's copy now wins over the bundled file
    assert trainer.card(card.id).card.definition == "Edited."


async def test_suspended_card_never_appears_in_study(trainer) -> None:
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "tab", "down", "x")  # Beta
        assert "suspended" in str(app.screen.query_one("#cards", DataTable).get_row_at(1)[3])
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("a")
        fronts = []
        while isinstance(app.screen, StudyScreen):
            fronts.append(str(app.screen.query_one("#front", Static).render()))
            await pilot.press("space", "5")
    assert fronts == ["Alpha", "Gamma"]
    assert trainer.card("small/beta").suspended


async def test_leech_is_marked_announced_once_and_listed(make_trainer, clock) -> None:
    trainer = make_trainer(settings=Settings(leech_lapses=2, leech_action="suspend"))
    # One success then a lapse, on two days: one lapse recorded.
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    clock.advance(days=1)
    trainer.record_answer("small/alpha", Direction.FORWARD, 1, Mode.STUDY)
    clock.advance(days=1)
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    clock.advance(days=6)
    notes = []
    app = TrainerApp(trainer, start="study", decks=["small"])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
        assert str(app.screen.query_one("#front", Static).render()) == "Alpha"
        await pilot.press("space", "1")  # the second lapse: a leech now
    assert [n for n in notes if "leech" in n] == [
        "'Alpha' is a leech: 2 lapses. It has been suspended."
    ]
    stored = trainer.card("small/alpha")
    assert stored.suspended
    rows, _ = trainer.browse("alpha")
    assert rows[0].leech and "leech" in rows[0].state + ", leech"
    assert "small/alpha" not in [e.card_id for e in trainer.queue()]


async def test_leeches_are_listed_in_progress_and_stats(make_trainer, clock, capsys) -> None:
    from trainer.tui.screens.progress import leech_text

    trainer = make_trainer(settings=Settings(leech_lapses=1))
    trainer.record_answer("small/beta", Direction.FORWARD, 5, Mode.STUDY)
    clock.advance(days=1)
    trainer.record_answer("small/beta", Direction.FORWARD, 0, Mode.STUDY)
    assert trainer.store.leeches() == [("small/beta", "Beta", False)]
    assert leech_text(trainer.store.leeches()).plain == "Leeches (1): Beta"
    assert leech_text([]).plain == "Leeches: none"
    app = TrainerApp(trainer, start="progress")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert app.screen.leeches == [("small/beta", "Beta", False)]


async def test_edit_the_card_on_screen_from_study(make_trainer, tmp_path: Path) -> None:
    folder = tmp_path / "own"
    folder.mkdir()
    (folder / "small.yaml").write_text(COMMENTED_DECK, encoding="utf-8")
    trainer = make_trainer(deck_dirs=[folder])
    app = TrainerApp(trainer, start="study")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "e")
        assert isinstance(app.screen, CardForm)
        app.screen.query_one("#form-aliases", Input).value = "first"
        app.screen.query_one("#form-term", Input).value = "Alpha!"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, StudyScreen)
        assert str(app.screen.query_one("#front", Static).render()) == "Alpha!"
        assert str(app.screen.query_one("#back", Static).render()).startswith("The first")
        await pilot.press("5")
    assert [r["card_id"] for r in trainer.store.db["reviews"].rows] == ["small/alpha"]


async def test_after_a_bulk_import_the_app_rebuilds_the_search_index_in_the_background(
    make_trainer, tmp_path: Path
) -> None:
    from tests.storage.test_store import write_big_deck
    from trainer.storage.store import BULK_SYNC_ROWS

    folder, _ = write_big_deck(tmp_path, BULK_SYNC_ROWS)
    trainer = make_trainer(deck_dirs=[folder])
    assert not trainer.store.search_index_current()
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        assert trainer.store.search_index_current()
        await pilot.press("b")
        await type_text(pilot, "zebra4999")
        assert table_terms(app) == ["word4999"]


async def test_a_search_before_the_index_is_ready_says_so_and_shows_the_matches_after(
    make_trainer, tmp_path: Path, monkeypatch
) -> None:
    import threading

    from tests.storage.test_store import write_big_deck
    from trainer.app.trainer import Trainer
    from trainer.storage.store import BULK_SYNC_ROWS

    folder, _ = write_big_deck(tmp_path, BULK_SYNC_ROWS)
    trainer = make_trainer(deck_dirs=[folder])
    release = threading.Event()
    job = Trainer.search_index_job

    def slow_job(self: Trainer):  # the rebuild takes its time, as at 100k cards
        run = job(self)

        def wait_then_run() -> None:
            release.wait(10)
            if run is not None:
                run()

        return wait_then_run if run is not None else None

    monkeypatch.setattr(Trainer, "search_index_job", slow_job)
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        await type_text(pilot, "zebra4999")
        assert status(app).startswith("Building the search index")
        assert not trainer.store.search_index_current()
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table_terms(app) == ["word4999"]
        assert status(app).startswith("1 card ·")
        assert trainer.store.search_index_current()


async def test_a_damaged_search_index_record_is_one_line_in_the_status(trainer) -> None:
    from trainer.storage import search_index

    with trainer.store.write():
        trainer.store.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, 'not json')", [search_index.PENDING_KEY]
        )
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        assert table_terms(app) == ["Alpha", "Beta", "Gamma"]  # no search: no index needed
        await type_text(pilot, "alp")
        assert isinstance(app.screen, BrowseScreen)
        assert "search index" in status(app) and "damaged" in status(app)
        assert "\n" not in status(app)


async def test_opening_browse_sets_the_bits_of_new_cards_in_a_thread(trainer) -> None:
    """Cards never answered are not known to be new until Browse opens
    (``Trainer.due_directions_job``); is:new lists them before and after."""
    conn = trainer.store.conn
    assert trainer.due_directions_job() is not None
    app = TrainerApp(trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        await type_text(pilot, "is:new")
        assert table_terms(app) == ["Alpha", "Beta", "Gamma"]
        await app.workers.wait_for_complete()
        assert trainer.due_directions_job() is None
        assert {row[0] for row in conn.execute("SELECT due_directions FROM cards")} == {0}
        await pilot.press("backspace")
        await type_text(pilot, "w")
        assert table_terms(app) == ["Alpha", "Beta", "Gamma"]
