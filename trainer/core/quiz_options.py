"""What a quiz can be asked for: its directions, sources and defaults.

Apart from ``trainer.core.quiz`` (question building and fairness) so that the
command line can offer these as choices without loading the quiz code: every
command builds the whole parser, and that import was a twelfth of starting
``trainer import``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["DEFAULT_CHOICES", "DEFAULT_QUESTIONS", "SOURCES", "QuizDirection", "QuizOptions"]

DEFAULT_QUESTIONS = 10
DEFAULT_CHOICES = 4
#: Where a quiz's cards come from (a retake, ``trainer.app.quiz_run``'s own, is not chosen).
SOURCES = ("deck", "weakest", "due-soon")


class QuizDirection(StrEnum):
    """What the question shows; the options are the other side of the card."""

    TERM = "term"
    DEFINITION = "definition"
    MIXED = "mixed"


@dataclass(frozen=True)
class QuizOptions:
    """What to quiz; the defaults are the CLI's and the TUI's alike."""

    decks: list[str] | None = None
    questions: int = DEFAULT_QUESTIONS
    choices: int = DEFAULT_CHOICES
    direction: str = QuizDirection.TERM.value
    source: str = SOURCES[0]
    seed: int | None = None
