"""What every command family shares: opening the trainer, printing JSON, argument types.

Nothing here imports a command family, so each family module can import this
one and none imports another.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trainer.errors import escape_controls

if TYPE_CHECKING:
    from trainer.app.trainer import Trainer

#: ``command(name, handler, help)``: declares a subcommand (with ``--db``) and returns
#: its parser; ``trainer.cli.program`` hands it to each family's ``register``.
Command = Callable[[str, Callable[[argparse.Namespace], int], str], Any]


def open_trainer(args: argparse.Namespace) -> Trainer:
    """The trainer for ``--db`` with its decks synced; a skipped deck is named on stderr
    and remembered in ``args.deck_problems`` so the command exits 1 after its work."""
    from trainer.app.trainer import Trainer

    trainer = Trainer.open(getattr(args, "db", None))
    report = trainer.sync_decks()
    args.deck_problems = [f"{visible(error)} (deck skipped)" for error in report.errors]
    for problem in args.deck_problems:
        print(f"trainer: warning: {problem}", file=sys.stderr)
    return trainer


#: the largest count an option takes (SQLite's integers end at 2**63)
MAX_COUNT = 1_000_000_000


def visible(text: object) -> str:
    """Text from a file, a package or the database as printed on one line: every
    control character visible, a line break too, so no value can drive the terminal
    or forge a second ``trainer:`` line; undecodable bytes of a file name as escapes."""
    value = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    return escape_controls(value, keep_newlines=False)


def say(text: str, *, error: bool = False) -> None:
    """Print one line made of values from outside (paths, names): escaped as ``visible``."""
    print(visible(text), file=sys.stderr if error else sys.stdout)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_COUNT}: {text!r}")
    return value


def seed_int(text: str) -> int:
    value = whole_number(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be 0 to 2**63-1: {text!r}")
    return value


def choices_int(text: str) -> int:
    value = whole_number(text)
    if not 2 <= value <= 9:
        raise argparse.ArgumentTypeError(f"must be 2 to 9 (answered with keys 1-9): {text!r}")
    return value
