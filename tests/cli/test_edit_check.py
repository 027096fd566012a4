"""``trainer edit`` checks the deck file when the editor exits, as ``crontab -e`` does."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SMALL_DECK
from trainer.cli import main

#: An editor that breaks the file on its first run and mends it on the next,
#: logging the line it was opened at.
EDITOR = """\
import pathlib, sys
line, path = sys.argv[1], pathlib.Path(sys.argv[2])
log = path.with_suffix(".log")
runs = log.read_text().split() if log.exists() else []
log.write_text(" ".join([*runs, line]))
text = path.read_text()
if not runs:
    path.write_text(text.replace("  - term: Beta", "  - term: Beta\\n    oops: [1"))
else:
    path.write_text(text.replace("    oops: [1\\n", ""))
"""


class Terminal(io.StringIO):
    """stdin as a person at a terminal answering the prompts."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def deck(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = home / "decks" / "small.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SMALL_DECK, encoding="utf-8")
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    return path


@pytest.fixture
def home(isolated_user_area: Path) -> Path:
    return isolated_user_area


def edit(capsys: pytest.CaptureFixture[str]) -> Callable[[], tuple[int, str]]:
    def run() -> tuple[int, str]:
        code = main(["edit", "Beta"])
        return code, capsys.readouterr().err

    return run


def test_a_broken_file_is_reported_and_reopened_at_its_line(
    deck: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal("\n"))  # enter: the default, yes
    code, err = edit(capsys)()
    assert code == 0
    message, prompt = err.splitlines()
    head = f"trainer: {deck}:"
    assert message.startswith(head) and "YAML syntax error" in message
    line = message.removeprefix(head).split(":")[0]
    assert prompt == f"reopen at line {line}? [Y/n] "
    assert deck.with_suffix(".log").read_text().split() == [
        "+6",
        f"+{line}",
    ]  # Beta, then the error
    assert "oops" not in deck.read_text(encoding="utf-8")


def test_declining_exits_1_and_leaves_the_file_for_later(
    deck: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    code, err = edit(capsys)()
    assert code == 1
    assert err.endswith("[Y/n] ")
    assert len(deck.with_suffix(".log").read_text().split()) == 1
    assert "oops" in deck.read_text(encoding="utf-8")


def test_without_a_terminal_the_answer_is_no(
    deck: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # piped: nobody to ask
    code, err = edit(capsys)()
    assert code == 1
    assert "reopen" not in err
    assert err.startswith(f"trainer: {deck}:")
