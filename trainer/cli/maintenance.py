"""``check``: is the database sound, and a repaired copy when it is not."""

from __future__ import annotations

import argparse
from pathlib import Path

from trainer.cli.common import Command, say
from trainer.errors import EXIT_ERROR, EXIT_OK

HELP = (
    "check the database like Anki's Check Database: the file's integrity, a write-ahead log "
    "that belongs to another copy, and card states against the review log. Changes nothing; "
    "--repair writes a repaired copy from every readable row (the review log first) and keeps "
    "the original"
)


def register(command: Command) -> None:
    sub = command("check", run_check, HELP)
    sub.add_argument(
        "--repair", action="store_true", help="write a repaired copy beside the database"
    )
    sub.add_argument(
        "--out", type=Path, metavar="PATH", help="where to write the repaired copy (--repair)"
    )


def run_check(args: argparse.Namespace) -> int:
    import datetime as dt

    from trainer.app import locations
    from trainer.app.settings import SettingsError, load_settings
    from trainer.errors import UserError
    from trainer.interop.check import check_database

    if args.out and not args.repair:
        raise UserError("--out is where --repair writes its copy; add --repair")
    database = locations.database_path(getattr(args, "db", None))
    try:
        settings = load_settings(locations.settings_path())
    except SettingsError as error:
        raise UserError(str(error)) from None
    outcome = check_database(
        database,
        repair_to=args.out,
        do_repair=args.repair,
        now=dt.datetime.now(dt.UTC),
        settings=settings,
    )
    for line in outcome.lines:
        say(line)
    return EXIT_OK if outcome.ok else EXIT_ERROR
