"""``stats``: progress figures as a report or JSON."""

from __future__ import annotations

import argparse

from trainer.cli.common import Command, open_trainer, positive_int, print_json
from trainer.core.text import visible
from trainer.errors import EXIT_OK


def register(command: Command) -> None:
    sub = command("stats", run_stats, "print progress statistics")
    sub.add_argument("--deck", action="append", metavar="NAME", help="only this deck (repeatable)")
    sub.add_argument("--days", type=positive_int, default=30, metavar="N", help="window (30)")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")


def run_stats(args: argparse.Namespace) -> int:
    from trainer.app.progress import card_terms

    with open_trainer(args) as trainer:
        decks = trainer.resolve_decks(args.deck)
        report = trainer.progress(decks, days=args.days)
        terms = card_terms(trainer, report.hardest)
        leeches = trainer.leeches(decks)
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
    from trainer.cli.report import render_report

    render_report(report, terms=terms)
    if leeches:
        names = ", ".join(visible(term) for _, term, _ in leeches)
        print(f"Leeches ({len(leeches)}): {names}")
    return EXIT_OK
