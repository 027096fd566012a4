"""``import``: a glossary document or an Anki package into YAML decks."""

from __future__ import annotations

import argparse
from pathlib import Path

from trainer.cli.common import Command, open_trainer, say
from trainer.cli.transfer import add_package_import_options, is_package
from trainer.errors import EXIT_OK, UserError


def register(command: Command) -> None:
    sub = command(
        "import",
        run_import,
        "turn a glossary document, or an Anki package (.apkg, .colpkg), into YAML decks",
    )
    sub.add_argument(
        "file",
        type=Path,
        help="glossary: TSV/CSV table, Term/Definition blocks, Markdown; "
        "or an Anki package: .apkg or .colpkg",
    )
    sub.add_argument(
        "--deck",
        metavar="NAME",
        help="deck name (default: from the file name; Anki packages: one deck per Anki deck)",
    )
    sub.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="deck file to write (Anki packages: the folder for the deck files)",
    )
    sub.add_argument(
        "--format", choices=["tsv", "csv", "blocks", "markdown"], help="skip format detection"
    )
    sub.add_argument(
        "--missing-terms",
        choices=["flag", "refuse"],
        default="flag",
        help="definitions with no recoverable term: write them flagged for you to fill "
        "in (flag, the default; skipped in study until filled) or refuse the import",
    )
    sub.add_argument("--force", action="store_true", help="overwrite an existing deck file")
    add_package_import_options(sub)


def run_import(args: argparse.Namespace) -> int:
    if is_package(args.file):
        from trainer.cli.transfer import run_package_import

        return run_package_import(args)
    if args.fields or args.with_history:
        raise UserError("--fields and --with-history apply to Anki packages (.apkg, .colpkg)")
    from trainer.interop.glossary import import_glossary

    with open_trainer(args) as trainer:
        outcome = import_glossary(
            trainer,
            args.file,
            deck_name=args.deck,
            out=args.out,
            fmt=args.format,
            refuse_missing_terms=args.missing_terms == "refuse",
            overwrite=args.force,
        )
    for line in outcome.messages:
        say(line, error=True)
    say(f"wrote {outcome.path} ({outcome.cards} cards) as deck {outcome.slug!r}")
    say(
        f"{outcome.self_naming} of {outcome.cards} definitions name their own term "
        "(questions show the name as a blank)"
    )
    return EXIT_OK
