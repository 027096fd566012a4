"""``home``, ``study`` and ``quiz``: the commands that open the TUI.

Textual is imported only when one of them runs, so the other commands never pay for it.
"""

from __future__ import annotations

import argparse
import sys

from trainer.cli.common import (
    Command,
    choices_int,
    open_trainer,
    positive_int,
    print_json,
    seed_int,
)
from trainer.core.quiz_options import SOURCES, QuizDirection, QuizOptions
from trainer.errors import EXIT_OK


def register(command: Command) -> None:
    command("home", run_home, "open the home screen (the default)")
    sub = command("study", run_study, "start a study session in the TUI")
    sub.add_argument("--deck", action="append", metavar="NAME", help="only this deck (repeatable)")
    add_quiz_command(command)


def add_quiz_command(command: Command) -> None:
    sub = command(
        "quiz",
        run_quiz,
        "take a multiple-choice quiz in the TUI. A wrong answer on a card you have already "
        "studied is also logged as a review (grade 2, mode quiz): the card is drilled again "
        "today and comes back tomorrow; right answers and never-studied cards leave the "
        "schedule alone.",
    )
    sub.add_argument("--deck", action="append", metavar="NAME", help="quiz this deck (repeatable)")
    defaults = QuizOptions()
    sub.add_argument(
        "--questions",
        type=positive_int,
        default=defaults.questions,
        metavar="N",
        help=f"({defaults.questions})",
    )
    sub.add_argument(
        "--choices",
        type=choices_int,
        default=defaults.choices,
        metavar="K",
        help=f"2-9 ({defaults.choices})",
    )
    sub.add_argument(
        "--direction",
        choices=[direction.value for direction in QuizDirection],
        default=defaults.direction,
        help="term: pick the definition of a term; definition: pick the term; mixed",
    )
    sub.add_argument(
        "--source",
        choices=SOURCES,
        default=defaults.source,
        help="which cards: the whole deck, your weakest cards, or cards due soon",
    )
    sub.add_argument("--seed", type=seed_int, metavar="S", help="same seed, same quiz")
    sub.add_argument(
        "--format",
        choices=["json", "md"],
        help="print the quiz instead of opening the TUI: json for scripts, md for a worksheet "
        "with an answer key (the same seed asks the same quiz as the TUI)",
    )
    sub.add_argument(
        "--json", action="store_const", const="json", dest="format", help="same as --format json"
    )


def run_home(args: argparse.Namespace) -> int:
    return run_tui(args, start="home")


def run_study(args: argparse.Namespace) -> int:
    return run_tui(args, start="study")


def run_quiz(args: argparse.Namespace) -> int:
    if getattr(args, "format", None):
        return print_quiz(args)
    return run_tui(args, start="quiz")


def print_quiz(args: argparse.Namespace) -> int:
    """Build the quiz the TUI would ask and print it; nothing is recorded."""
    from trainer.app.quiz_run import QuizRun, quiz_document, quiz_worksheet

    with open_trainer(args) as trainer:
        options = QuizOptions(
            decks=trainer.resolve_decks(args.deck),
            questions=args.questions,
            choices=args.choices,
            direction=args.direction,
            source=args.source,
            seed=args.seed,
        )
        run = QuizRun.start(trainer, options)
        if args.format == "json":
            print_json(quiz_document(run))
        else:
            sys.stdout.write(quiz_worksheet(run))
    return EXIT_OK


def run_tui(args: argparse.Namespace, start: str) -> int:
    with open_trainer(args) as trainer:
        decks = trainer.resolve_decks(getattr(args, "deck", None))
        from trainer.tui.app import TrainerApp, launch_options

        app = TrainerApp(trainer, **launch_options(start, decks, args))
        app.startup_warnings = list(args.deck_problems)
        app.run()
        return app.return_code or EXIT_OK
