"""``trainer stats``: JSON and text against figures worked out by hand.

The history is recorded through the application on the CLI's own database
(TRAINER_HOME from ``tests/conftest.py``, time zone pinned to UTC in the
settings file); the command then runs in-process at TRAINER_NOW.

The history, on the small deck (Alpha, Beta, Gamma):
- Wed 4 Mar 09:00: Alpha 5, Beta 2, Gamma 4 (all new), then a drill on Beta (4); 2 s each.
- Thu 5 Mar 09:00: Alpha 4 (young, passed), Beta 3 (no repetitions before: neither
  young nor mature), Gamma 2 (young, failed: a lapse); 1 s each. A quiz: 4 of 5.
- The command runs on Thu 5 Mar at 10:00.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SMALL_DECK
from tests.support import Result
from trainer.app.progress import MAX_DAYS
from trainer.app.progress_view import EMPTY_MESSAGE
from trainer.app.trainer import Trainer
from trainer.cli import main
from trainer.core.clock import FixedClock
from trainer.core.model import Direction, Mode

NOW = "2026-03-05T10:00:00+00:00"


@pytest.fixture
def home(isolated_user_area: Path) -> Path:
    (isolated_user_area / "decks").mkdir(parents=True)
    (isolated_user_area / "decks" / "small.yaml").write_text(SMALL_DECK, encoding="utf-8")
    (isolated_user_area / "settings.toml").write_text('timezone = "UTC"\n', encoding="utf-8")
    return isolated_user_area


@pytest.fixture
def cli(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    monkeypatch.setenv("TRAINER_NOW", NOW)

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def history(home: Path) -> None:
    clock = FixedClock(dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC))
    trainer = Trainer.open(clock=clock)
    try:
        trainer.sync_decks()

        def answer(term: str, grade: int, ms: int, mode: Mode = Mode.STUDY) -> None:
            trainer.record_answer(f"small/{term}", Direction.FORWARD, grade, mode, ms)
            clock.advance(seconds=30)

        for term, grade in [("alpha", 5), ("beta", 2), ("gamma", 4)]:
            answer(term, grade, 2000)
        answer("beta", 4, 2000, Mode.DRILL)
        clock.instant = dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)
        for term, grade in [("alpha", 4), ("beta", 3), ("gamma", 2)]:
            answer(term, grade, 1000)
        trainer.store.record_quiz_attempt(
            {
                "id": "quiz-1",
                "started_at": "2026-03-05T09:30:00+00:00",
                "finished_at": "2026-03-05T09:32:00+00:00",
                "day": "2026-03-05",
                "decks": '["small"]',
                "source": "deck",
                "direction": "term",
                "correct": 4,
                "total": 5,
                "seconds": 120.0,
                "questions": "[]",
            }
        )
    finally:
        trainer.close()


def series(data: dict, name: str, key: str) -> list:
    return [entry[key] for entry in data[name]]


def test_json_for_one_deck_matches_the_hand_computed_figures(
    cli: Callable[..., Result], history: None
) -> None:
    result = cli("stats", "--deck", "small", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["today"] == "2026-03-05"
    assert data["days"] == 30
    assert data["counts"] == {"new": 0, "learning": 2, "young": 1, "mature": 0, "retired": 0}
    assert data["reviews_today"] == 3
    assert data["total_reviews"] == 7
    assert len(data["reviews_per_day"]) == 30
    assert data["reviews_per_day"][0] == {"day": "2026-02-04", "reviews": 0}
    assert series(data, "reviews_per_day", "reviews")[-2:] == [4, 3]
    assert series(data, "time_per_day", "seconds")[-2:] == [8.0, 3.0]
    assert data["retention_7"] == {
        "young_passed": 1,
        "young_total": 2,
        "mature_passed": 0,
        "mature_total": 0,
        "young_rate": 0.5,
        "mature_rate": None,
        "overall_rate": 0.5,
    }
    assert data["retention_30"] == data["retention_7"]
    assert data["streak"] == {"current": 2, "longest": 2}
    hardest = [(c["card_id"], c["lapses"], c["easiness"]) for c in data["hardest"]]
    assert hardest == [
        ("small/gamma", 1, 2.5),
        ("small/beta", 0, pytest.approx(2.36)),
        ("small/alpha", 0, pytest.approx(2.6)),
    ]
    forecast = {entry["day"]: entry["due"] for entry in data["forecast"] if entry["due"]}
    assert forecast == {"2026-03-06": 2, "2026-03-11": 1}  # Beta, Gamma tomorrow; Alpha in 6
    assert len(data["forecast"]) == 30
    assert data["quiz_history"] == {"small": [{"day": "2026-03-05", "percent": 80.0}]}
    assert data["is_empty"] is False


def test_all_decks_by_default_and_a_shorter_window(
    cli: Callable[..., Result], history: None
) -> None:
    data = json.loads(cli("stats", "--json", "--days", "7").out)
    assert data["days"] == 7
    assert series(data, "reviews_per_day", "reviews") == [0, 0, 0, 0, 0, 4, 3]
    assert data["total_reviews"] == 7
    assert data["counts"]["young"] == 1  # the bundled decks add only new cards
    assert data["counts"]["new"] > 0
    by_name = json.loads(cli("stats", "--json", "--deck", "Small deck").out)
    assert by_name["counts"]["new"] == 0


def test_text_report_shows_the_key_figures(cli: Callable[..., Result], history: None) -> None:
    result = cli("stats", "--deck", "small")
    assert result.code == 0, result.err
    out = result.out
    for expected in [
        "Progress on Thu 05 Mar 2026",
        "Learning",
        "Reviews today",
        "Current streak",
        "2 days",
        "50% (1/2)",  # young retention over 7 and 30 days
        "Hardest cards",
        "Gamma",  # the term, not the normalized id
        "Quiz history",
        "80%",
        "Next 30 days",
    ]:
        assert expected in out, expected
    assert "No reviews yet" not in out


def test_empty_history_says_so(cli: Callable[..., Result]) -> None:
    result = cli("stats", "--deck", "small")
    assert result.code == 0, result.err
    assert EMPTY_MESSAGE in " ".join(result.out.split())
    assert "Current streak" not in result.out
    data = json.loads(cli("stats", "--json", "--deck", "small").out)
    assert data["is_empty"] is True
    assert data["counts"]["new"] == 3
    assert data["retention_30"]["young_rate"] is None


@pytest.mark.parametrize(
    ("days", "message"),
    [("0", "must be at least 1"), ("-3", "must be at least 1"), ("x", "not a whole number")],
    ids=["zero", "negative", "not-a-number"],
)
def test_days_must_be_a_positive_whole_number(
    cli: Callable[..., Result], capsys: pytest.CaptureFixture[str], days: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["stats", "--days", days])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_days_beyond_ten_years_is_a_one_line_error(cli: Callable[..., Result]) -> None:
    line = cli("stats", "--days", str(MAX_DAYS + 1)).one_line_error()
    assert f"days must be between 1 and {MAX_DAYS}" in line
    assert cli("stats", "--json", "--days", str(MAX_DAYS)).code == 0


def test_unknown_deck_is_a_one_line_error(cli: Callable[..., Result]) -> None:
    line = cli("stats", "--deck", "nope").one_line_error()
    assert "no deck named 'nope'" in line


def test_an_explicit_db_is_used(
    cli: Callable[..., Result], history: None, home: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "elsewhere" / "other.db"
    data = json.loads(cli("stats", "--json", "--db", str(empty)).out)
    assert data["is_empty"] is True
    data = json.loads(cli("stats", "--json", "--db", str(home / "trainer.db")).out)
    assert data["total_reviews"] == 7
