"""Helpers shared by the tests: the in-process CLI's result, a clean interpreter's modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    code: int
    out: str
    err: str

    def one_line_error(self) -> str:
        """The single stderr line of a failed command, checked to be just that."""
        assert self.code == 1, (self.code, self.out, self.err)
        assert "Traceback" not in self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("trainer: ")
        return lines[0]


def modules_after(code: str, tmp_path: Path) -> set[str]:
    """The top-level packages a fresh interpreter has loaded after running ``code``.

    A subprocess, because the test process has long since imported everything;
    TRAINER_* settings are dropped and the home is a temporary folder.
    """
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
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
    return {name.split(".")[0] for name in json.loads(done.stdout.strip().splitlines()[-1])}
