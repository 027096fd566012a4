"""Shared fixtures: every test gets its own user area, database and fixed clock."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock

REPO = Path(__file__).resolve().parent.parent
BUNDLED_DECKS = REPO / "decks"
SEEDS = REPO / "seeds"

#: 09:00 UTC on a Wednesday: far from the 04:00 rollover unless a test moves it.
START = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)

SMALL_DECK = """\
name: Small deck
description: Three cards for tests.
cards:
  - term: Alpha
    definition: The first letter of the Greek alphabet.
  - term: Beta
    definition: The second letter of the Greek alphabet.
  - term: Gamma
    definition: The third letter of the Greek alphabet.
"""


def pytest_configure(config: pytest.Config) -> None:
    """A backstop under the per-test isolation: even a test that undoes its
    monkeypatching never falls through to the real user data folder."""
    import os
    import tempfile

    os.environ["TRAINER_HOME"] = tempfile.mkdtemp(prefix="trainer-tests-")
    for name in ("TRAINER_DB", "TRAINER_CONFIG", "TRAINER_NOW"):
        os.environ.pop(name, None)


@pytest.fixture(autouse=True)
def isolated_user_area(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real data directory: point every location at tmp_path."""
    home = tmp_path / "home"
    monkeypatch.setenv("TRAINER_HOME", str(home))
    for name in ("TRAINER_DB", "TRAINER_NOW", "TRAINER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TZ", "UTC")
    return home


@pytest.fixture
def collector_state() -> Iterator[None]:
    """Whatever a test does to the collector, the next test finds it as it was."""
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def deck_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "small.yaml").write_text(SMALL_DECK, encoding="utf-8")
    return folder


@pytest.fixture
def make_trainer(
    tmp_path: Path, clock: FixedClock, deck_dir: Path
) -> Iterator[Callable[..., Trainer]]:
    """Build a Trainer on a temporary database, fixed clock, UTC and the small deck."""
    opened: list[Trainer] = []

    def factory(settings: Settings | None = None, deck_dirs: list[Path] | None = None) -> Trainer:
        trainer = Trainer.open(
            tmp_path / "trainer.db",
            clock=clock,
            settings=settings or Settings(),
            tz=dt.UTC,
            deck_dirs=deck_dirs if deck_dirs is not None else [deck_dir],
        )
        trainer.sync_decks()
        opened.append(trainer)
        return trainer

    yield factory
    for trainer in opened:
        trainer.close()


@pytest.fixture
def trainer(make_trainer: Callable[..., Trainer]) -> Trainer:
    return make_trainer()
