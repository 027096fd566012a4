"""The ``trainer`` command: the TUI with no arguments, scriptable jobs otherwise.

Every failure a user can cause ends in one line on stderr naming the file,
line or value, and a non-zero exit; no traceback reaches the terminal. Textual
is imported only by the commands that open the TUI, so ``trainer due`` stays
fast enough for a shell prompt.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer import __version__
from trainer.core.text import count_text, visible
from trainer.interop.commands import add_package_import_options, is_package
from trainer.interop.commands import register as register_interop_commands
from trainer.web import register as register_serve_command

if TYPE_CHECKING:
    from trainer.service import Trainer

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

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


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = getattr(args, "handler", run_home)
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
        print(f"trainer: {visible(describe_error(error))}", file=sys.stderr)
        return EXIT_ERROR


def describe_error(error: Exception) -> str:
    from trainer.config import SettingsError
    from trainer.core.deck import DeckError
    from trainer.deckedit import DeckEditError
    from trainer.service import UserError
    from trainer.storage import DatabaseError

    known = (UserError, DatabaseError, DeckError, SettingsError, CliError, DeckEditError)
    if isinstance(error, known):
        return str(error)
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}"
    import sqlite3

    if isinstance(error, sqlite3.Error):
        return f"database error: {error}"
    return f"internal error ({type(error).__name__}): {error}"


# --------------------------------------------------------------------- parser
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

    command("home", run_home, "open the home screen (the default)")

    sub = command("decks", run_decks, "list decks with card, new, due and learning counts")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")

    sub = command("due", run_due, "print what is due today per deck (fast; for shell prompts)")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")
    sub.epilog = (
        "Each deck's numbers are what studying that deck alone would offer today;\n"
        "the total is today's queue over all decks. The daily limits are shared,\n"
        "so the decks' numbers can add up to more than the total."
    )

    sub = command("stats", run_stats, "print progress statistics")
    sub.add_argument("--deck", action="append", metavar="NAME", help="only this deck (repeatable)")
    sub.add_argument("--days", type=positive_int, default=30, metavar="N", help="window (30)")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")

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

    sub = command("study", run_study, "start a study session in the TUI")
    sub.add_argument("--deck", action="append", metavar="NAME", help="only this deck (repeatable)")

    sub = command("config", run_config, "show or change settings")
    sub.add_argument("key", nargs="?", help="setting name, or decks.<slug>.directions")
    sub.add_argument("value", nargs="?", help="new value (directions: forward, reverse or both)")

    command("rebuild", run_rebuild, "recompute every card's state by replaying the review log")

    sub = command("search", run_search, "find cards by words in terms, definitions, aliases, tags")
    sub.add_argument("query", help="words; each matches as a prefix (all must match)")
    sub.add_argument("--deck", action="append", metavar="NAME", help="only this deck (repeatable)")
    sub.add_argument("--limit", type=positive_int, default=50, metavar="N", help="(50)")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")

    for name, text in (
        ("suspend", "keep a card out of study and quizzes (its history is kept)"),
        ("unsuspend", "bring a suspended card back into study and quizzes"),
        ("edit", "open the card's deck file in $EDITOR at the card's line"),
    ):
        sub = command(name, run_card_command, text)
        sub.add_argument("term", help="the card's term or alias")
        sub.add_argument("--deck", action="append", metavar="NAME", help="the card's deck")
    add_quiz_command(command)
    register_interop_commands(command)
    register_serve_command(command)
    return parser


def add_quiz_command(command: Callable[..., Any]) -> None:
    sub = command(
        "quiz",
        run_quiz,
        "take a multiple-choice quiz in the TUI. A wrong answer on a card you have already "
        "studied is also logged as a review (grade 2, mode quiz): the card is drilled again "
        "today and comes back tomorrow; right answers and never-studied cards leave the "
        "schedule alone.",
    )
    sub.add_argument("--deck", action="append", metavar="NAME", help="quiz this deck (repeatable)")
    sub.add_argument("--questions", type=positive_int, default=10, metavar="N", help="(10)")
    sub.add_argument("--choices", type=choices_int, default=4, metavar="K", help="2-9 (4)")
    sub.add_argument(
        "--direction",
        choices=["term", "definition", "mixed"],
        default="term",
        help="term: pick the definition of a term; definition: pick the term; mixed",
    )
    sub.add_argument(
        "--source",
        choices=["deck", "weakest", "due-soon"],
        default="deck",
        help="which cards: the whole deck, your weakest cards, or cards due soon",
    )
    sub.add_argument("--seed", type=seed_int, metavar="S", help="same seed, same quiz")


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
    return value


# ------------------------------------------------------------------- helpers
def open_trainer(args: argparse.Namespace) -> Trainer:
    from trainer.service import Trainer

    trainer = Trainer.open(getattr(args, "db", None))
    report = trainer.sync_decks()
    args.deck_problems = [f"{visible(str(error))} (deck skipped)" for error in report.errors]
    for problem in args.deck_problems:
        print(f"trainer: warning: {problem}", file=sys.stderr)
    return trainer


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


# ------------------------------------------------------------------ commands
def run_home(args: argparse.Namespace) -> int:
    return run_tui(args, start="home")


def run_study(args: argparse.Namespace) -> int:
    return run_tui(args, start="study")


def run_quiz(args: argparse.Namespace) -> int:
    return run_tui(args, start="quiz")


def run_tui(args: argparse.Namespace, start: str) -> int:
    trainer = open_trainer(args)
    try:
        decks = trainer.resolve_decks(getattr(args, "deck", None))
        from trainer.tui.app import TrainerApp, launch_options

        app = TrainerApp(trainer, **launch_options(start, decks, args))
        app.startup_warnings = list(args.deck_problems)
        app.run()
        return app.return_code or EXIT_OK
    finally:
        trainer.close()


def run_decks(args: argparse.Namespace) -> int:
    trainer = open_trainer(args)
    try:
        summaries = trainer.deck_summaries()
    finally:
        trainer.close()
    if args.json:
        print_json([summary_dict(s) for s in summaries])
        return EXIT_OK
    if not summaries:
        print("No decks yet. Add one with: trainer import FILE")
        return EXIT_OK
    names = [visible(s.name) for s in summaries]
    width = max(len(name) for name in names)
    print(f"{'deck':<{width}}  {'cards':>5}  {'new':>5}  {'due':>5}  {'learning':>8}")
    for name, s in zip(names, summaries, strict=True):
        print(f"{name:<{width}}  {s.cards:>5}  {s.new:>5}  {s.due:>5}  {s.learning:>8}")
    return EXIT_OK


def summary_dict(summary: Any) -> dict[str, Any]:
    return {
        "deck": summary.slug,
        "name": summary.name,
        "cards": summary.cards,
        "new": summary.new,
        "due": summary.due,
        "learning": summary.learning,
        "directions": [str(d) for d in summary.directions],
    }


def run_due(args: argparse.Namespace) -> int:
    from trainer.core.queue import QueueKind

    trainer = open_trainer(args)
    try:
        today = trainer.today()
        summary = trainer.due_summary()
        queue = trainer.queue()
    finally:
        trainer.close()
    rows = [{"deck": d.slug, "name": d.name, "due": due, "new": new} for d, due, new in summary]
    due = sum(1 for e in queue if e.kind is QueueKind.REVIEW)
    new = sum(1 for e in queue if e.kind is QueueKind.NEW)
    if args.json:
        print_json({"day": today.isoformat(), "decks": rows, "due": due, "new": new})
        return EXIT_OK
    for row in rows:
        print(f"{visible(row['name'])}: {row['due']} due, {row['new']} new")
    print(f"total: {due} due, {new} new")
    return EXIT_OK


def run_stats(args: argparse.Namespace) -> int:
    from trainer.progress import card_terms

    trainer = open_trainer(args)
    try:
        decks = trainer.resolve_decks(args.deck)
        report = trainer.progress(decks, days=args.days)
        terms = card_terms(trainer, report.hardest)
        leeches = trainer.store.leeches(decks)
    finally:
        trainer.close()
    if args.json:
        data = report.to_dict()
        for card in data.get("hardest", []):
            card["term"] = terms.get(card["card_id"])
        data["leeches"] = [
            {"card_id": card_id, "term": term, "suspended": suspended}
            for card_id, term, suspended in leeches
        ]
        print_json(data)
        return EXIT_OK
    from trainer.report import render_report

    render_report(report, terms=terms)
    if leeches:
        names = ", ".join(visible(term) for _, term, _ in leeches)
        print(f"Leeches ({len(leeches)}): {names}")
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    if is_package(args.file):
        from trainer.interop.commands import run_package_import

        return run_package_import(args)
    if args.fields or args.with_history:
        raise CliError("--fields and --with-history apply to Anki packages (.apkg, .colpkg)")
    trainer = open_trainer(args)
    try:
        outcome = trainer.import_glossary(
            args.file,
            deck_name=args.deck,
            out=args.out,
            fmt=args.format,
            refuse_missing_terms=args.missing_terms == "refuse",
            overwrite=args.force,
        )
    finally:
        trainer.close()
    for line in outcome.messages:
        print(line, file=sys.stderr)
    print(f"wrote {outcome.path} ({outcome.cards} cards) as deck {visible(outcome.slug)!r}")
    return EXIT_OK


def run_config(args: argparse.Namespace) -> int:
    from trainer import locations
    from trainer.config import change_setting, load_settings, save_settings, settings_to_data

    path = locations.settings_path()
    settings = load_settings(path)
    if args.key is None:
        print(f"# {path}")
        for key, value in flatten(settings_to_data(settings)):
            print(f"{key} = {json.dumps(value)}")
        return EXIT_OK
    if args.value is None:
        data = dict(flatten(settings_to_data(settings)))
        if args.key not in data:
            raise CliError(f"unknown setting {args.key!r} (known: {', '.join(data)})")
        print(json.dumps(data[args.key]))
        return EXIT_OK
    updated = change_setting(settings, args.key, args.value)
    save_settings(updated, path)
    print(f"{args.key} set in {path}")
    return EXIT_OK


def flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            items += flatten(value, f"{prefix}{key}.")
        else:
            items.append((f"{prefix}{key}", value))
    return items


def run_search(args: argparse.Namespace) -> int:
    trainer = open_trainer(args)
    try:
        decks = trainer.resolve_decks(args.deck)
        rows, total = trainer.browse(args.query, decks, limit=args.limit)
    finally:
        trainer.close()
    if args.json:
        print_json({"total": total, "cards": [browse_dict(row) for row in rows]})
        return EXIT_OK
    for row in rows:
        flags = "".join(f" [{flag}]" for flag in ("suspended", "leech") if getattr(row, flag))
        print(f"{visible(row.card_id)}{flags}: {visible(row.definition)}")
    shown = f" (showing {len(rows)})" if total > len(rows) else ""
    print(f"{count_text(total, 'card')} found{shown}")
    return EXIT_OK


def browse_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.card_id,
        "deck": row.deck,
        "term": row.term,
        "definition": row.definition,
        "state": row.state,
        "due": row.due.isoformat() if row.due else None,
        "interval": row.interval,
        "easiness": row.easiness,
        "lapses": row.lapses,
        "suspended": row.suspended,
        "leech": row.leech,
    }


def run_card_command(args: argparse.Namespace) -> int:
    trainer = open_trainer(args)
    try:
        card = trainer.find_card(args.term, trainer.resolve_decks(args.deck))
        if args.command_name == "edit":
            path = trainer.editable_deck_path(card.deck)
        else:
            trainer.set_suspended(card.id, args.command_name == "suspend")
    finally:
        trainer.close()
    if args.command_name == "edit":
        return open_editor(path, card.id.split("/", 1)[1])
    print(f"{args.command_name}ed: {visible(card.id)}")
    return EXIT_OK


def open_editor(path: Path, identity: str) -> int:
    """Run $EDITOR (or $VISUAL, or vi) at the card's line; +N works in vi, nano, emacs."""
    import os
    import shlex
    import subprocess

    from trainer.deckedit import card_line

    line = card_line(path, identity)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        command = [*shlex.split(editor), f"+{line}", str(path)]
    except ValueError as error:
        raise CliError(f"cannot read the editor command {editor!r}: {error}") from None
    try:
        return subprocess.call(command)
    except OSError as error:
        raise CliError(f"cannot run editor {editor!r}: {error.strerror}") from None


def run_rebuild(args: argparse.Namespace) -> int:
    trainer = open_trainer(args)
    try:
        count = trainer.store.rebuild_card_state()
    finally:
        trainer.close()
    print(f"rebuilt the state of {count} card directions from the review log")
    return EXIT_OK
