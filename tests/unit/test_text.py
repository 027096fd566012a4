"""Text shown to the user: control characters made visible, durations in one format."""

from __future__ import annotations

import pytest

from trainer.core.text import duration_text, one_line, visible


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (7.4, "7s"),
        (59.6, "1m 00s"),
        (65, "1m 05s"),
        (3599, "59m 59s"),
        (3725, "1h 02m"),
        (36_000, "10h 00m"),
    ],
)
def test_durations_read_the_same_on_every_screen(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_control_characters_are_shown_not_obeyed() -> None:
    assert visible("\x1b[31mred") == "␛[31mred"
    assert visible("a\tb\nc") == "a\tb\nc"


def test_one_line_folds_line_breaks() -> None:
    assert "\n" not in one_line("first\nsecond")
