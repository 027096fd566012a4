"""``serve``: the same app in a web browser; the server itself is ``trainer.web``."""

from __future__ import annotations

import argparse

from trainer.cli.common import Command
from trainer.errors import EXIT_OK
from trainer.web import DEFAULT_HOST, DEFAULT_PORT

HELP = (
    "serve the trainer in a web browser (each tab runs its own trainer on this database); "
    "listens on 127.0.0.1 unless --host says otherwise"
)


def register(command: Command) -> None:
    sub = command("serve", run_serve, HELP)
    add_arguments(sub)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        metavar="ADDRESS",
        help=f"address to listen on ({DEFAULT_HOST}: this machine only; "
        "0.0.0.0: every network, with no login)",
    )
    parser.add_argument(
        "--port", default=str(DEFAULT_PORT), metavar="N", help=f"port ({DEFAULT_PORT})"
    )


def run_serve(args: argparse.Namespace) -> int:
    from trainer.web import serve, valid_port

    serve(getattr(args, "db", None), args.host, valid_port(args.port))
    return EXIT_OK
