"""FSRS on screen: the check and the load on Progress, fitting from there, recall in Browse."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from tests.tui.test_progress_screen import open_progress as open_progress_screen
from tests.tui.test_progress_screen import plain
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import Direction, Mode, ReviewRecord
from trainer.core.sm2 import SM2State
from trainer.tui.app import TrainerApp
from trainer.tui.screens.browse import BrowseScreen
from trainer.tui.screens.progress import ProgressScreen

CARDS = 60


async def open_progress(app: TrainerApp, pilot: Any) -> ProgressScreen:
    """The Progress screen once its scheduler figures (computed in a thread) are drawn."""
    screen = await open_progress_screen(app, pilot)
    await settle(app, pilot)
    return screen


async def settle(app: TrainerApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def long_history(
    deck_dir: Path, make_trainer: Callable[..., Trainer], clock: FixedClock
) -> Callable[[Settings], Trainer]:
    """A 60-card deck answered over 240 days (logged directly, then replayed)."""
    lines = ["name: Long deck", "cards:"]
    for index in range(CARDS):
        lines += [f"  - term: Word {index}", f"    definition: Meaning {index}."]
    (deck_dir / "long.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    start = dt.datetime(2025, 7, 1, 9, tzinfo=dt.UTC)
    clock.instant = start + dt.timedelta(days=240, hours=3)
    rng = random.Random(5)
    records = []
    for index in range(CARDS):
        day, interval = rng.randrange(10), 1
        while day < 240:
            at = start + dt.timedelta(days=day, seconds=index)
            grade = 4 if rng.random() < 0.85 else 1
            card = f"long/word {index}"
            records.append(
                ReviewRecord(
                    f"r{index}-{day}", card, Direction.FORWARD, at, at.date(), grade, Mode.STUDY,
                    None, SM2State(), SM2State(),
                )
            )  # fmt: skip
            interval = 1 if grade == 1 else min(interval * 2 + 1, 30)
            day += interval

    def build(settings: Settings) -> Trainer:
        trainer = make_trainer(settings)
        with trainer.store.write():
            for record in sorted(records, key=lambda r: r.answered_at):
                trainer.store.record_review(record)
        trainer.rebuild()
        return trainer

    return build


async def test_progress_shows_the_check_and_the_load_and_fits_fsrs(
    long_history: Callable[[Settings], Trainer],
) -> None:
    trainer = long_history(Settings(scheduler="fsrs"))
    app = TrainerApp(trainer)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_progress(app, pilot)
        check = " ".join(plain(app, "#progress-scheduler").split())
        assert "Predicted recall against your answers" in check
        for label in ("FSRS", "SM-2 (implied)", "Constant"):
            assert label in check
        assert screen.check is not None and screen.check.reviews > 100
        assert f"{screen.check.reviews} answers judged" in check
        assert "o: fit FSRS to your answers" in check
        assert screen.query_one("#chart-calibration").display
        load = " ".join(plain(app, "#progress-load").split())
        assert "FSRS (in use)" in load and "SM-2" in load
        assert screen.check_action("optimize", ()) is True

        assert trainer.store.latest_fit("fsrs") is None
        states = trainer.store.cached_states()
        await pilot.press("o")
        await settle(app, pilot)
        fit = trainer.store.latest_fit("fsrs")
        assert fit is not None and fit[1] >= 400
        assert trainer.store.cached_states() != states  # replayed with the fitted parameters
        assert trainer.scheduler.parameters == tuple(fit[0])  # type: ignore[attr-defined]
        await settle(app, pilot)  # the figures again, with the fit
        assert screen.check is not None


async def test_a_short_history_offers_no_fit(studied_small: Trainer) -> None:
    app = TrainerApp(studied_small)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_progress(app, pilot)
        assert screen.check_action("optimize", ()) is False
        check = " ".join(plain(app, "#progress-scheduler").split())
        assert "Not enough history yet" in check
        await pilot.press("o")
        await pilot.pause()
        assert studied_small.store.latest_fit("fsrs") is None


@pytest.fixture
def studied_small(make_trainer: Callable[..., Trainer], clock: FixedClock) -> Trainer:
    trainer = make_trainer()
    for grade, term in ((4, "alpha"), (2, "beta")):
        trainer.record_answer(f"small/{term}", Direction.FORWARD, grade, Mode.STUDY)
    clock.advance(days=1)
    return trainer


@pytest.mark.parametrize("scheduler", ["fsrs", "sm2"])
async def test_browse_shows_predicted_recall_under_fsrs(
    long_history: Callable[[Settings], Trainer], scheduler: str
) -> None:
    trainer = long_history(Settings(scheduler=scheduler))
    app = TrainerApp(trainer)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen)
        table = app.screen.query_one("#cards", DataTable)
        labels = [str(column.label) for column in table.columns.values()]
        assert ("Recall" in labels) is (scheduler == "fsrs")
        if scheduler == "fsrs":
            row = table.get_row("long/word 0|forward")  # one row per studied direction
            expected = trainer.predicted_recall(["long/word 0"])["long/word 0"]
            assert row[-1] == f"{expected:.0%}"
