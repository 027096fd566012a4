"""``config``: show or change settings."""

from __future__ import annotations

import argparse
import json
from typing import Any

from trainer.cli.common import Command, say
from trainer.errors import EXIT_OK, UserError


def register(command: Command) -> None:
    sub = command("config", run_config, "show or change settings")
    sub.add_argument("key", nargs="?", help="setting name, or decks.<slug>.directions")
    sub.add_argument("value", nargs="?", help="new value (directions: forward, reverse or both)")


def run_config(args: argparse.Namespace) -> int:
    from trainer.app import locations
    from trainer.app.settings import change_setting, load_settings, save_settings, settings_to_data

    path = locations.settings_path()
    settings = load_settings(path)
    if args.key is None:
        say(f"# {path}")
        for key, value in flatten(settings_to_data(settings)):
            print(f"{key} = {json.dumps(value)}")
        return EXIT_OK
    if args.value is None:
        data = dict(flatten(settings_to_data(settings)))
        if args.key not in data:
            raise UserError(f"unknown setting {args.key!r} (known: {', '.join(data)})")
        print(json.dumps(data[args.key]))
        return EXIT_OK
    updated = change_setting(settings, args.key, args.value)
    save_settings(updated, path)
    say(f"{args.key} set in {path}")
    if args.key in SCHEDULER_KEYS:
        replay_states(args)
    return EXIT_OK


#: Settings that change the schedule: the log is replayed through the new one at once.
SCHEDULER_KEYS = ("scheduler", "desired_retention")


def replay_states(args: argparse.Namespace) -> None:
    """Open the database under the new settings, which replays the log when the cached
    states come from another scheduler, and say so."""
    from trainer.app.trainer import Trainer

    with Trainer.open(getattr(args, "db", None)) as trainer:
        replayed = trainer.replayed_on_open
        name = "FSRS" if trainer.settings.scheduler == "fsrs" else "SM-2"
    if replayed is not None:
        print(f"Replayed the review log through {name}: {replayed} card states.")


def flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            items += flatten(value, f"{prefix}{key}.")
        else:
            items.append((f"{prefix}{key}", value))
    return items
