"""The ``export``, ``backup``, ``restore`` and ``merge`` commands, and package import.

``trainer.cli`` hands ``register`` its ``command(name, handler, help)`` helper,
which returns a subparser that already has ``--db``; handlers take the parsed
arguments and return an exit status, and raise ``UserError`` for anything the
user can fix (the CLI prints it as one line). Only argparse is imported at
module level: everything else is imported by the handler that needs it, so
``trainer due`` pays nothing for these commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.cli.common import Command, say

if TYPE_CHECKING:
    from trainer.interop.anki_import import FieldChoice

__all__ = [
    "FIELDS_HELP",
    "HISTORY_HELP",
    "PACKAGE_SUFFIXES",
    "add_package_import_options",
    "is_package",
    "register",
    "run_package_import",
]

PACKAGE_SUFFIXES = (".apkg", ".colpkg")
EXPORT_FORMATS = ("apkg", "tsv", "csv", "yaml", "md")

FIELDS_HELP = (
    "Anki packages: which note fields are the term and the definition, by position "
    "(1-based) or name, e.g. 1,2 (the default), 2,1 or Front,Back"
)
HISTORY_HELP = (
    "Anki packages: also import the review history (revlog). Answer buttons become "
    "grades: Again(1)→1, Hard(2)→3, Good(3)→4, Easy(4)→5; only a card's first answer "
    "of a study day schedules it, later ones that day are logged as drills; a card whose "
    "last answer came from Anki keeps Anki's due date, interval and ease; importing "
    "the same package again adds nothing"
)
EXPORT_HELP = (
    "write one deck for other programs: apkg (Anki package: notes keep their Anki identity "
    "and note type, cloze cards are Cloze notes, and each card's schedule and review log go "
    "along), tsv (Anki's text import format with its #header lines), csv (with a "
    "header), yaml (the deck file) or md (Markdown definition list)"
)
BACKUP_HELP = (
    "write a consistent copy of the whole database (safe while trainer is running); "
    "OUT may be a folder"
)
RESTORE_HELP = (
    "replace the database with a backup after checking it (intact, a trainer database, "
    "not from a newer version); the replaced database is kept beside it as "
    "<name>.replaced-<timestamp>"
)
MERGE_HELP = (
    "fold another device's trainer database into this one: reviews, undos and quiz "
    "results are added once each (merging twice adds nothing), unknown cards are kept "
    "so no review is orphaned, and card states are rebuilt from the merged log"
)


def register(command: Command) -> None:
    """Declare the interoperability subcommands on the CLI's parser."""
    sub = command("export", run_export, EXPORT_HELP)
    sub.add_argument("out", type=Path, metavar="OUT", help="file to write")
    sub.add_argument("--deck", required=True, metavar="NAME", help="deck to export (name or slug)")
    sub.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        help="output format (default: from OUT's extension: .apkg .tsv/.txt .csv .yaml .md)",
    )
    sub.add_argument("--force", action="store_true", help="overwrite OUT if it exists")

    sub = command("backup", run_backup, BACKUP_HELP)
    sub.add_argument("out", type=Path, metavar="OUT", help="backup file, or a folder for one")
    sub.add_argument("--force", action="store_true", help="overwrite OUT if it exists")

    sub = command("restore", run_restore, RESTORE_HELP)
    sub.add_argument("backup", type=Path, metavar="BACKUP", help="a file written by backup")

    sub = command("merge", run_merge, MERGE_HELP)
    sub.add_argument("other", type=Path, metavar="OTHER.db", help="the other trainer database")


def add_package_import_options(sub: argparse.ArgumentParser) -> None:
    """The ``import`` options that only Anki packages use."""
    sub.add_argument("--fields", type=fields_argument, metavar="TERM,DEF", help=FIELDS_HELP)
    sub.add_argument("--with-history", action="store_true", help=HISTORY_HELP)


def fields_argument(text: str) -> FieldChoice:
    from trainer.interop.anki_import import parse_fields

    try:
        return parse_fields(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def is_package(path: Path) -> bool:
    return path.suffix.lower() in PACKAGE_SUFFIXES


# ------------------------------------------------------------------ handlers


def _database_path(args: argparse.Namespace) -> Path:
    from trainer.app import locations

    return locations.database_path(getattr(args, "db", None))


def _now() -> Any:
    import datetime as dt

    from trainer.app.trainer import clock_from_environment

    return clock_from_environment(dt.UTC).now()


def run_package_import(args: argparse.Namespace) -> int:
    """The ``import`` command for ``.apkg``/``.colpkg`` files (``--out`` is a folder)."""
    from trainer.cli.common import open_trainer
    from trainer.interop import anki_import

    trainer = open_trainer(args)
    try:
        outcome = anki_import.import_package(
            trainer,
            args.file,
            fields=getattr(args, "fields", None),
            with_history=getattr(args, "with_history", False),
            out_dir=getattr(args, "out", None),
            overwrite=getattr(args, "force", False),
            deck_name=getattr(args, "deck", None),
        )
    finally:
        trainer.close()
    for line in outcome.messages:
        say(line, error=True)
    for line in outcome.summary():
        say(line)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from trainer.cli.common import open_trainer
    from trainer.interop.export import export_deck

    trainer = open_trainer(args)
    try:
        outcome = export_deck(trainer, args.deck, args.format, args.out, overwrite=args.force)
    finally:
        trainer.close()
    say(f"wrote {outcome.path} ({outcome.cards} cards of deck {outcome.slug!r}, {outcome.format})")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    from trainer.interop.backup import backup_database

    outcome = backup_database(_database_path(args), args.out, now=_now(), overwrite=args.force)
    say(f"backed up to {outcome.path} ({outcome.reviews} reviews, {outcome.bytes} bytes)")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from trainer.interop.backup import restore_database

    outcome = restore_database(_database_path(args), args.backup, now=_now())
    if outcome.replaced:
        say(f"the previous database is kept in {outcome.replaced}")
    say(f"restored {outcome.database} from {args.backup} ({outcome.reviews} reviews)")
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from trainer.interop.backup import merge_file

    outcome = merge_file(_database_path(args), args.other)
    say(
        f"merged {args.other}: {outcome.reviews_added} reviews, {outcome.undos_added} undos, "
        f"{outcome.quiz_attempts_added} quiz results and {outcome.cards_added} cards added; "
        f"{outcome.states} card states rebuilt"
    )
    return 0
