"""The core stays headless and the CLI stays fast: checked in fresh interpreters.

Each check runs in a subprocess because this test process has long since
imported everything; only a clean interpreter shows what an import pulls in.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest

import trainer.core
from tests.support import modules_after

HEAVY = ("textual", "yaml", "sqlite_utils")
CORE_MODULES = sorted(
    f"trainer.core.{info.name}" for info in pkgutil.iter_modules(trainer.core.__path__)
)


def loaded_after(code: str, tmp_path: Path) -> set[str]:
    """Which of the heavy packages are in sys.modules after running ``code``."""
    return modules_after(code, tmp_path) & set(HEAVY)


def test_the_core_package_has_the_expected_modules() -> None:
    for name in ("clock", "deck", "model", "queue", "sm2"):
        assert f"trainer.core.{name}" in CORE_MODULES


@pytest.mark.parametrize("module", ["trainer.core", *CORE_MODULES, "trainer.core.sm2"])
def test_core_modules_import_no_ui_yaml_or_database(module: str, tmp_path: Path) -> None:
    assert loaded_after(f"import {module}", tmp_path) == set()


def test_importing_the_cli_does_not_import_textual(tmp_path: Path) -> None:
    heavy = loaded_after("import trainer.cli", tmp_path)
    assert not {name for name in heavy if name.split(".")[0] == "textual"}


@pytest.mark.parametrize("command", [["due"], ["due", "--json"], ["decks"]])
def test_scripting_commands_never_load_textual(command: list[str], tmp_path: Path) -> None:
    code = (
        "import contextlib, io\n"
        "from trainer.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main({command!r}) == 0\n"
    )
    heavy = loaded_after(code, tmp_path)
    assert not {name for name in heavy if name.split(".")[0] == "textual"}


@pytest.mark.parametrize("command", [["due", "--json"], ["stats", "--json"], ["decks"]])
def test_read_only_commands_on_a_current_database_parse_no_yaml_and_skip_sqlite_utils(
    command: list[str], tmp_path: Path
) -> None:
    """Reading needs only sqlite3, from the first run on.

    The first run creates the database (from one script, with no sqlite-utils
    since ``trainer.storage.fresh_schema``) and loads the bundled decks, which
    come already parsed (``trainer.app.bundled_forms``): no YAML either. The
    second run, on a current database, loads nothing the first did not.
    """
    code = (
        "import contextlib, io\n"
        "from trainer.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main({command!r}) == 0\n"
    )
    first = {m.split(".")[0] for m in loaded_after(code, tmp_path)}
    assert not first & {"yaml", "sqlite_utils"}
    assert loaded_after(code, tmp_path) == set()
