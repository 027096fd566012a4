"""Registering the interop commands costs ``trainer due`` nothing heavy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("genanki", "zstandard", "zipfile", "sqlite3", "yaml", "sqlite_utils", "textual")


def test_the_commands_module_imports_only_argparse(tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "import trainer.interop.commands\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINER_")}
    env["TRAINER_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in json.loads(done.stdout.strip().splitlines()[-1])}
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_register_declares_the_four_commands() -> None:
    import argparse

    from trainer.interop.commands import register

    names: list[str] = []

    def command(name: str, handler: object, text: str) -> argparse.ArgumentParser:
        names.append(name)
        assert callable(handler) and text
        return argparse.ArgumentParser(prog=name)

    register(command)
    assert names == ["export", "backup", "restore", "merge"]
