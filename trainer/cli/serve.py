"""``serve``: the same app in a web browser; the server itself is ``trainer.web``."""

from __future__ import annotations

import argparse

from trainer.cli.common import Command
from trainer.errors import EXIT_OK
from trainer.web import DEFAULT_HOST, DEFAULT_MAX_SESSIONS, DEFAULT_PORT

HELP = (
    "serve the trainer in a web browser (each tab runs its own trainer on this database); "
    "listens on 127.0.0.1 unless --host says otherwise. The address it prints carries a "
    "random token: only a browser given it (once, then a cookie keeps it) can use the app"
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
        "0.0.0.0: every network; the token is the only login)",
    )
    parser.add_argument(
        "--port", default=str(DEFAULT_PORT), metavar="N", help=f"port ({DEFAULT_PORT})"
    )
    parser.add_argument(
        "--max-sessions",
        default=str(DEFAULT_MAX_SESSIONS),
        metavar="N",
        help=f"browser tabs open at once, each its own trainer process ({DEFAULT_MAX_SESSIONS})",
    )


def run_serve(args: argparse.Namespace) -> int:
    from trainer.web import serve, valid_max_sessions, valid_port

    serve(
        getattr(args, "db", None),
        args.host,
        valid_port(args.port),
        max_sessions=valid_max_sessions(args.max_sessions),
    )
    return EXIT_OK
