"""The ``trainer`` command: the TUI with no arguments, scriptable jobs otherwise.

Each command family is a module here with a ``register(command)`` function;
``build_parser`` asks each to declare its subcommands. Every failure a user
can cause ends in one line on stderr naming the file, line or value, and a
non-zero exit; ``main`` is the one place that turns an exception into that line.
Textual is imported only by the commands that open the TUI, so ``trainer due``
stays fast enough for a shell prompt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from trainer import __version__
from trainer.cli import cards, imports, maintenance, serve, settings, stats, study, transfer
from trainer.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, describe

DESCRIPTION = """\
Spaced-repetition flashcards and multiple-choice quizzes for the terminal.
With no command, opens the study home screen on the bundled and user decks."""

EPILOG = """\
environment:
  TRAINER_DB      database file (same as --db)
  TRAINER_HOME    folder for the database, user decks and settings (tests use this)
  TRAINER_CONFIG  settings file (default: settings.toml in the user config folder)
  TRAINER_NOW     pretend the current time is this ISO timestamp, e.g. 2026-12-01T09:00
"""

#: the command families, in the order ``trainer -h`` lists their commands
FAMILIES = (study, cards, stats, imports, settings, transfer, maintenance, serve)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", study.run_home)
    try:
        code = handler(args)
        # A deck file that could not be read was skipped and named on stderr; the
        # command still did its work with the other decks, but says so in its status.
        return EXIT_ERROR if code == EXIT_OK and getattr(args, "deck_problems", None) else code
    except KeyboardInterrupt:
        print("trainer: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # the one place where every failure becomes one line
        print(f"trainer: {describe(error)}", file=sys.stderr)
        return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trainer",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"trainer {__version__}")
    parser.add_argument("--db", metavar="PATH", help="database file (default: user data folder)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], text: str) -> Any:
        sub = commands.add_parser(
            name,
            help=text.split(". ")[0].split(": ")[0],  # the list shows the gist; -h the rest
            description=text,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="database file")
        sub.set_defaults(handler=handler, command_name=name)
        return sub

    for family in FAMILIES:
        family.register(command)
    return parser
