"""A learner with a year of Anki history switches to FSRS and back, through the CLI.

The history is a simulated learner's year (``tests/interop/history_builders.py``)
imported with ``trainer import --with-history``. The learner switches to FSRS,
reads the scheduler check and the forecast, fits FSRS, studies a day under it,
switches back to SM-2, and ``trainer rebuild`` gives exactly the states SM-2
gives the whole log, the cards untouched since the switch as they were before it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.interop.history_builders import year_of_history
from tests.support import Result
from trainer.app.trainer import Trainer
from trainer.cli import main
from trainer.core.clock import FixedClock
from trainer.core.memory import FSRSState
from trainer.core.model import Mode
from trainer.core.replay import replay
from trainer.core.sm2 import SM2, SM2State

NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def cli(
    isolated_user_area: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    isolated_user_area.mkdir(parents=True, exist_ok=True)
    (isolated_user_area / "settings.toml").write_text('timezone = "UTC"\n', encoding="utf-8")
    monkeypatch.setenv("TRAINER_NOW", NOW.isoformat())

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def year_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("anki")
    return year_of_history(folder / "year.apkg", cards=150, end=NOW.date())


def states() -> dict[tuple[str, str], SM2State]:
    with Trainer.open(clock=FixedClock(NOW)) as trainer:
        return trainer.store.cached_states()


def sm2_of_the_log() -> dict[tuple[str, str], SM2State]:
    with Trainer.open(clock=FixedClock(NOW)) as trainer:
        replayed = replay(SM2(), trainer.store.all_reviews())
    return {(card, str(direction)): r.state for (card, direction), r in replayed.items()}


def study_today_under_fsrs() -> list[str]:
    """Answer today's queue (every fifth forgotten); the cards answered."""
    with Trainer.open(clock=FixedClock(NOW + dt.timedelta(hours=1))) as trainer:
        assert trainer.scheduler.name == "fsrs"
        answered = []
        for index, entry in enumerate(trainer.queue()):
            grade = 2 if index % 5 == 0 else 4
            record = trainer.record_answer(entry.card_id, entry.direction, grade, Mode.STUDY)
            assert isinstance(record.after, FSRSState)
            answered.append(entry.card_id)
        return answered


def test_a_year_of_anki_history_switches_to_fsrs_and_back(
    cli: Callable[..., Result], year_package: Path
) -> None:
    imported = cli("import", str(year_package), "--with-history")
    assert imported.code == 0, imported.err
    before = states()
    assert before and all(type(state) is SM2State for state in before.values())

    switched = cli("config", "scheduler", "fsrs")
    assert switched.code == 0, switched.err
    assert f"through FSRS: {len(before)} card states" in switched.out
    under_fsrs = states()
    assert set(under_fsrs) == set(before)
    assert all(isinstance(state, FSRSState) for state in under_fsrs.values())
    assert any(under_fsrs[key].due != before[key].due for key in before)
    # counts that depend on the grades alone do not move with the scheduler
    assert all(under_fsrs[k].lapses == before[k].lapses for k in before)
    assert all(under_fsrs[k].repetitions == before[k].repetitions for k in before)

    stats = cli("stats", "--json")
    assert stats.code == 0, stats.err
    data = json.loads(stats.out)
    assert data["scheduler"] == "fsrs"
    check = data["scheduler_check"]
    for name in ("fsrs", "sm2", "constant"):
        figures = check[name]
        assert figures["reviews"] == check["reviews"] > 100
        assert 0 < figures["log_loss"] < 1
        assert sum(b["reviews"] for b in figures["calibration"]) == figures["reviews"]
    assert check["constant"]["auc"] == 0.5
    assert check["fsrs"]["auc"] > 0.5
    assert check["judged_from"] > "2026-01-01"
    assert check["fsrs_parameters"].startswith("fitted to")
    forecast = data["scheduler_forecast"]
    assert forecast["start"] == "2026-12-01" and forecast["days"] == 30
    assert forecast["desired_retention"] == 0.9
    for name in ("sm2", "fsrs"):
        assert len(forecast[name]["per_day"]) == 30
        assert forecast[name]["total"] == sum(forecast[name]["per_day"]) > 0
    assert cli("stats", "--json").out == stats.out  # the forecast's luck is seeded

    fitted = cli("optimize")
    assert fitted.code == 0, fitted.err
    assert "fitted to" in fitted.out and "replayed" in fitted.out
    answered = study_today_under_fsrs()
    assert answered

    back = cli("config", "scheduler", "sm2")
    assert back.code == 0, back.err
    assert "through SM-2" in back.out
    assert cli("rebuild").code == 0
    after = states()
    assert after == sm2_of_the_log()
    assert all(type(state) is SM2State for state in after.values())
    untouched = set(before) - {(card, "forward") for card in answered}
    assert untouched and all(after[key] == before[key] for key in untouched)
    assert cli("rebuild").code == 0
    assert states() == after
