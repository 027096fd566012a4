"""Registering the interop commands costs ``trainer due`` nothing heavy."""

from __future__ import annotations

from pathlib import Path

from tests.support import modules_after

HEAVY = ("genanki", "zstandard", "zipfile", "sqlite3", "yaml", "sqlite_utils", "textual")


def test_the_commands_module_imports_only_argparse(tmp_path: Path) -> None:
    loaded = modules_after("import trainer.cli.transfer", tmp_path)
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_register_declares_the_four_commands() -> None:
    import argparse

    from trainer.cli.transfer import register

    names: list[str] = []

    def command(name: str, handler: object, text: str) -> argparse.ArgumentParser:
        names.append(name)
        assert callable(handler) and text
        return argparse.ArgumentParser(prog=name)

    register(command)
    assert names == ["export", "backup", "restore", "merge"]
