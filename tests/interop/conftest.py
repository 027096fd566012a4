"""Helpers for the interop tests: a CLI built like ``trainer.cli``'s, and snapshots.

Until the lead wires ``register`` into ``trainer.cli.build_parser``, the
commands are exercised through a parser made here with a ``command`` helper
that mirrors the real one (a subparser with ``--db``, a handler, errors printed
as one line through ``trainer.errors.describe``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.support import Result
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.cli.transfer import add_package_import_options, register, run_package_import
from trainer.core.clock import FixedClock
from trainer.errors import describe as describe_error

ANKI_FIXTURES = REPO / "tests" / "fixtures" / "anki"
MODERN = ANKI_FIXTURES / "glossary-modern.apkg"
LEGACY = ANKI_FIXTURES / "glossary-legacy.apkg"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trainer")
    parser.add_argument("--db", metavar="PATH")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], text: str) -> Any:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS)
        sub.set_defaults(handler=handler)
        return sub

    register(command)
    sub = command("import", run_package_import, "import an Anki package")
    sub.add_argument("file", type=Path)
    sub.add_argument("--deck", metavar="NAME")
    sub.add_argument("--out", type=Path)
    sub.add_argument("--force", action="store_true")
    add_package_import_options(sub)
    return parser


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run a command in-process the way ``trainer.cli.main`` does."""

    def run(*argv: str) -> Result:
        capsys.readouterr()
        args = build_parser().parse_args(list(argv))
        try:
            code = args.handler(args)
        except Exception as error:
            print(f"trainer: {describe_error(error)}", file=sys.stderr)
            code = 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def home(isolated_user_area: Path) -> Path:
    return isolated_user_area


@pytest.fixture
def open_trainer(tmp_path: Path) -> Iterator[Callable[..., Trainer]]:
    """Trainers on databases of their own, each with its own fixed clock and deck folders."""
    opened: list[Trainer] = []

    def factory(
        db: Path,
        *,
        at: dt.datetime,
        deck_dirs: list[Path] | None = None,
        settings: Settings | None = None,
        tz: dt.tzinfo = dt.UTC,
    ) -> Trainer:
        trainer = Trainer.open(
            db,
            clock=FixedClock(at),
            settings=settings or Settings(),
            tz=tz,
            deck_dirs=deck_dirs if deck_dirs is not None else [db.parent / "decks"],
        )
        trainer.sync_decks()
        opened.append(trainer)
        return trainer

    yield factory
    for trainer in opened:
        trainer.close()


def database_dump(path: Path) -> list[str]:
    """Every row and schema statement of a database, for "nothing changed" checks."""
    conn = sqlite3.connect(str(path))
    try:
        return sorted(conn.iterdump())
    finally:
        conn.close()


def folder_snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def review_rows(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute("SELECT * FROM reviews ORDER BY id").fetchall()
    finally:
        conn.close()
