"""``decks``, ``due``, ``search``, ``suspend``, ``unsuspend``, ``edit`` and ``rebuild``:
the non-interactive card jobs for scripts and shell prompts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trainer.cli.common import Command, open_trainer, positive_int, print_json, visible
from trainer.core.deck import DeckError
from trainer.core.text import count_text
from trainer.errors import EXIT_ERROR, EXIT_OK, UserError, describe


def register(command: Command) -> None:
    sub = command("decks", run_decks, "list decks with card, new, due and learning counts")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")

    sub = command("due", run_due, "print what is due today per deck (fast; for shell prompts)")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")
    sub.epilog = (
        "Each deck's numbers are what studying that deck alone would offer today;\n"
        "the total is today's queue over all decks. The daily limits are shared,\n"
        "so the decks' numbers can add up to more than the total."
    )

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

    command("rebuild", run_rebuild, "recompute every card's state by replaying the review log")


def run_decks(args: argparse.Namespace) -> int:
    with open_trainer(args) as trainer:
        summaries = trainer.deck_summaries()
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
    """Today's queue of all decks, counted per deck: the numbers Home and study show."""
    with open_trainer(args) as trainer:
        today = trainer.today()
        counts = trainer.queue_counts()
        decks = trainer.decks()
    rows = []
    for deck in decks:
        row = counts.get(deck.slug)
        due, new, drill = (row.due, row.new, row.drill) if row else (0, 0, 0)
        rows.append({"deck": deck.slug, "name": deck.name, "due": due, "new": new, "drill": drill})
    totals = {key: sum(row[key] for row in rows) for key in ("due", "new", "drill")}
    if args.json:
        print_json({"day": today.isoformat(), "decks": rows, **totals})
        return EXIT_OK
    for row in rows:
        drills = f", {row['drill']} drill" if row["drill"] else ""
        print(f"{visible(row['name'])}: {row['due']} due, {row['new']} new{drills}")
    drills = f", {totals['drill']} drill" if totals["drill"] else ""
    print(f"total: {totals['due']} due, {totals['new']} new{drills}")
    return EXIT_OK


def run_search(args: argparse.Namespace) -> int:
    with open_trainer(args) as trainer:
        decks = trainer.resolve_decks(args.deck)
        rows, total = trainer.browse(args.query, decks, limit=args.limit)
    if args.json:
        print_json({"total": total, "cards": [browse_dict(row) for row in rows]})
        return EXIT_OK
    for row in rows:
        flags = "".join(f" [{flag}]" for flag in ("suspended", "leech") if getattr(row, flag))
        side = f" ({row.direction}, {row.state})" if row.direction else " (no term yet)"
        print(f"{visible(row.card_id)}{side}{flags}: {visible(row.definition)}")
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
        "direction": str(row.direction) if row.direction else None,
        "missing_term": row.missing_term,
    }


def run_card_command(args: argparse.Namespace) -> int:
    with open_trainer(args) as trainer:
        card = trainer.find_card(args.term, trainer.resolve_decks(args.deck))
        if args.command_name == "edit":
            path = trainer.editable_deck_path(card.deck)
        else:
            trainer.set_suspended(card.id, args.command_name == "suspend")
    if args.command_name == "edit":
        return open_editor(path, card.id.split("/", 1)[1])
    print(f"{args.command_name}ed: {visible(card.id)}")
    return EXIT_OK


def open_editor(path: Path, identity: str) -> int:
    """Run $EDITOR (or $VISUAL, or vi) at the card's line; +N works in vi, nano, emacs.

    When the editor exits the file is checked as every command would read it;
    on an error the one-line message is shown and, as ``crontab -e`` does, the
    user may reopen the file at the line named. Declining (or no terminal to
    ask on) exits 1, so a script notices the deck it left broken.
    """
    from trainer.app.deckedit import card_line

    line = card_line(path, identity)
    while True:
        status = run_editor(path, line)
        if status != EXIT_OK:
            return status
        problem = deck_problem(path)
        if problem is None:
            return EXIT_OK
        print(f"trainer: {describe(problem)}", file=sys.stderr)
        line = problem.line or 1
        if not ask_yes(f"reopen at line {line}? [Y/n] "):
            return EXIT_ERROR


def run_editor(path: Path, line: int) -> int:
    import os
    import shlex
    import subprocess

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        command = [*shlex.split(editor), f"+{line}", str(path)]
    except ValueError as error:
        raise UserError(f"cannot read the editor command {editor!r}: {error}") from None
    try:
        return subprocess.call(command)
    except OSError as error:
        raise UserError(f"cannot run editor {editor!r}: {error.strerror}") from None


def deck_problem(path: Path) -> DeckError | None:
    """What is wrong with the deck file now, read exactly as a sync reads it."""
    from trainer.app.deckfile import read_deck_file

    try:
        read_deck_file(path)
    except DeckError as error:
        return error
    except OSError as error:
        return DeckError(str(path), None, f"cannot read: {error.strerror}")
    return None


def ask_yes(question: str) -> bool:
    """Yes unless the answer starts with n; no when there is nobody to ask (not a
    terminal, or end of input)."""
    if not sys.stdin.isatty():
        return False
    print(question, end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    if not answer:
        return False
    return not answer.strip().lower().startswith("n")


def run_rebuild(args: argparse.Namespace) -> int:
    with open_trainer(args) as trainer:
        count = trainer.rebuild()
    print(f"rebuilt the state of {count} card directions from the review log")
    return EXIT_OK
