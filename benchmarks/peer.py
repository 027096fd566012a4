"""Anki as a peer: its backend measured on the same data, in the same run.

``python -m benchmarks --peer anki`` makes a virtualenv under
``benchmarks/data/anki-venv`` on first use (``pip install anki``, the PyPI
package of Anki's Rust backend) and drives ``benchmarks/anki_peer.py`` inside
it. The collection is built once per (N, R, seed) from trainer's own generated
database and cached beside it. Where the venv cannot be made (no network, no
wheel for this platform) the peer is skipped with one line saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.generate import CACHE_DIR, DATA_DIR, TODAY

VENV = DATA_DIR / "anki-venv"
SCRIPT = Path(__file__).resolve().with_name("anki_peer.py")


class PeerUnavailable(RuntimeError):
    """The peer cannot run here; the message says why."""


def _python() -> Path:
    return VENV / "bin" / "python"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["TZ"] = "UTC"
    return env


def ensure_anki() -> str:
    """The installed anki version, installing it into its own venv on first use."""
    python = _python()
    probe = [str(python), "-c", "import anki.buildinfo as b; print(b.version)"]
    if python.exists():
        done = subprocess.run(probe, capture_output=True, text=True, env=_env())
        if done.returncode == 0:
            return done.stdout.strip()
    print(f"  installing anki into {VENV} (once)", file=sys.stderr, flush=True)
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(VENV)],
        [str(python), "-m", "pip", "install", "-q", "anki"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
            raise PeerUnavailable(f"cannot install anki ({' '.join(step[-2:])}): {last}")
    done = subprocess.run(probe, capture_output=True, text=True, env=_env())
    if done.returncode != 0:
        raise PeerUnavailable(f"anki installed but does not import: {done.stderr.strip()[-200:]}")
    return done.stdout.strip()


def run(job: str, *args: object) -> tuple[float, dict]:
    """Wall time of one peer process and its JSON line."""
    # -P: not the script's folder first on sys.path, where benchmarks/anki.py
    # (the package-import benchmark) would shadow the anki package
    command = [str(_python()), "-P", str(SCRIPT), job, *map(str, args)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=_env())
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        lines = (done.stderr.strip() or "no output").splitlines()
        raise RuntimeError(f"anki {job}: exit {done.returncode}: {lines[-1][:200]}")
    return elapsed, json.loads(done.stdout.strip().splitlines()[-1])


def headed_copy(tsv: Path, out: Path) -> Path:
    """The TSV with Anki's file headers instead of its column line (preparation, not timed)."""
    body = tsv.read_text(encoding="utf-8").split("\n", 1)
    head = "#separator:Tab\n#html:false\n#notetype:Basic\n#deck:Default\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(head + (body[1] if len(body) > 1 else ""), encoding="utf-8")
    return out


def collection(db_folder: Path, tsv: Path, work: Path) -> Path:
    """A working copy of the Anki collection matching trainer's database in ``db_folder``."""
    cached = CACHE_DIR / f"anki-{db_folder.name}.anki2"
    if not cached.exists():
        started = time.perf_counter()
        building = cached.with_name(cached.name + ".building")
        for stale in (building, building.with_name(building.name + "-wal")):
            stale.unlink(missing_ok=True)
        _, made = run("build", db_folder / "trainer.db", tsv, building, TODAY.isoformat())
        building.rename(cached)
        print(
            f"  built Anki collection {cached.name}: {made} in "
            f"{time.perf_counter() - started:.0f}s",
            file=sys.stderr,
            flush=True,
        )
    work.mkdir(parents=True, exist_ok=True)
    target = work / "collection.anki2"
    for old in work.glob("collection.anki2*"):
        old.unlink()
    shutil.copy2(cached, target)
    return target


def median_process(job: str, path: Path, runs: int) -> float:
    run(job, path)  # warm-up, like trainer's whole-process figures
    return statistics.median(run(job, path)[0] for _ in range(runs))


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
