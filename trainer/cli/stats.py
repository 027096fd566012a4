"""``stats``: progress figures as a report or JSON; ``optimize``: fit FSRS to the log."""

from __future__ import annotations

import argparse

from trainer.cli.common import Command, open_trainer, positive_int, print_json, visible
from trainer.errors import EXIT_OK


def register(command: Command) -> None:
    sub = command("stats", run_stats, "print progress statistics")
    sub.add_argument("--deck", action="append", metavar="NAME", help="only this deck (repeatable)")
    sub.add_argument("--days", type=positive_int, default=30, metavar="N", help="window (30)")
    sub.add_argument("--json", action="store_true", help="print JSON for scripts")
    command(
        "optimize",
        run_optimize,
        "fit FSRS's parameters to your review log (used when the scheduler is fsrs)",
    )


def run_stats(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from trainer.app.progress import card_terms
    from trainer.app.scheduler_check import compute_scheduler_report

    with open_trainer(args) as trainer, ThreadPoolExecutor(1) as pool:
        decks = trainer.resolve_decks(args.deck)
        # The scheduler check and forecast (when the log changed since they were
        # kept, most of the command's time) on a connection of their own, while
        # this one reads the rest: their queries and these overlap.
        pending = pool.submit(compute_scheduler_report, trainer, decks)
        report = trainer.progress(decks, days=args.days)
        terms = card_terms(trainer, report.hardest)
        leeches = trainer.leeches(decks)
        schedulers, keep = pending.result()
        if keep is not None:  # kept until the log changes: the next run reads it
            trainer.keep_meta(*keep)
        scheduler_check, forecast = schedulers.check, schedulers.forecast
        scheduler = trainer.settings.scheduler
    if args.json:
        data = report.to_dict()
        for card in data.get("hardest", []):
            card["term"] = terms.get(card["card_id"])
        data["leeches"] = [
            {"card_id": card_id, "term": term, "suspended": suspended}
            for card_id, term, suspended in leeches
        ]
        data["scheduler"] = scheduler
        data["scheduler_check"] = scheduler_check.to_dict()
        data["scheduler_forecast"] = forecast.to_dict()
        print_json(data)
        return EXIT_OK
    from trainer.cli.report import render_report, render_scheduler_check

    render_report(report, terms=terms)
    if leeches:
        names = ", ".join(visible(term) for _, term, _ in leeches)
        print(f"Leeches ({len(leeches)}): {names}")
    render_scheduler_check(scheduler, scheduler_check, forecast)
    return EXIT_OK


def run_optimize(args: argparse.Namespace) -> int:
    from trainer.app.scheduler_check import optimize

    with open_trainer(args) as trainer:
        fit = optimize(trainer)
        scheduler = trainer.settings.scheduler
    if not fit.fitted:
        print(f"Not fitted: {fit.reason}.")
        return EXIT_OK
    print(f"FSRS parameters {fit.reason}; kept in the database.")
    if scheduler == "fsrs":
        print("Card states replayed with them.")
    else:
        print("They take effect with: trainer config scheduler fsrs")
    return EXIT_OK
