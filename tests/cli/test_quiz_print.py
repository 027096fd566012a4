"""``trainer quiz --json`` and ``--format md``: the quiz the TUI would ask, printed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import Result
from trainer.app.quiz_run import QuizOptions, QuizRun
from trainer.app.trainer import Trainer
from trainer.cli import main


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def test_json_has_exactly_the_documented_shape(
    isolated_user_area: Path, cli: Callable[..., Result]
) -> None:
    result = cli("quiz", "--json", "--questions", "6", "--direction", "mixed", "--seed", "3")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert set(data) == {"seed", "questions"}
    assert data["seed"] == 3
    assert len(data["questions"]) == 6
    for question in data["questions"]:
        assert set(question) == {"kind", "prompt", "options", "answer_index"}
        assert question["kind"] in ("term", "definition")
        assert len(question["options"]) == 4
        assert 0 <= question["answer_index"] < 4


def test_same_seed_same_quiz_as_the_tui_builds(
    isolated_user_area: Path, cli: Callable[..., Result]
) -> None:
    args = ("quiz", "--json", "--questions", "8", "--direction", "definition", "--seed", "42")
    first = json.loads(cli(*args).out)
    assert json.loads(cli(*args).out) == first
    with Trainer.open() as trainer:
        trainer.sync_decks()
        options = QuizOptions(questions=8, direction="definition", seed=42)
        run = QuizRun.start(trainer, options)  # what the quiz screen starts with
        asked = [(str(q.kind), q.prompt, list(q.options), q.answer_index) for q in run.questions]
    printed = [
        (q["kind"], q["prompt"], q["options"], q["answer_index"]) for q in first["questions"]
    ]
    assert printed == asked


def test_without_a_seed_one_is_chosen_and_printed(
    isolated_user_area: Path, cli: Callable[..., Result]
) -> None:
    data = json.loads(cli("quiz", "--json", "--questions", "3").out)
    again = cli("quiz", "--json", "--questions", "3", "--seed", str(data["seed"]))
    assert json.loads(again.out) == data


def test_printing_records_nothing(isolated_user_area: Path, cli: Callable[..., Result]) -> None:
    cli("quiz", "--json", "--seed", "1")
    with Trainer.open() as trainer:
        assert trainer.store.reviews_on(trainer.today()) == []


def test_markdown_worksheet_has_every_question_and_an_answer_key(
    isolated_user_area: Path, cli: Callable[..., Result]
) -> None:
    data = json.loads(cli("quiz", "--json", "--questions", "5", "--seed", "9").out)
    sheet = cli("quiz", "--format", "md", "--questions", "5", "--seed", "9")
    assert sheet.code == 0, sheet.err
    body, key = sheet.out.split("## Answer key")
    assert len(re.findall(r"^## \d+\. ", body, re.MULTILINE)) == 5
    letters = re.findall(r"^\d+\. ([A-Z])$", key, re.MULTILINE)
    assert letters == ["ABCDEFGHI"[q["answer_index"]] for q in data["questions"]]
    assert "Seed: 9" in body


def test_an_unknown_deck_is_one_clear_line(
    isolated_user_area: Path, cli: Callable[..., Result]
) -> None:
    result = cli("quiz", "--json", "--deck", "nope")
    assert result.code != 0
    assert "no deck named 'nope'" in result.err
    assert result.out == ""
