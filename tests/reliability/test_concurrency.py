"""Two real processes on one database: they wait for each other and lose nothing.

Each test starts on a database file that does not exist yet, so the processes
also race to create and migrate it, which is when a careless open fails.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.support import (
    DECK_BOTH_WAYS,
    assert_cache_matches_log,
    broken_chain_links,
    driver_command,
    integrity,
    review_ids,
    run_cli_process,
)


@pytest.fixture
def place(tmp_path: Path) -> tuple[Path, Path]:
    """(database path, its user decks folder holding the test deck); no database yet."""
    db = tmp_path / "data" / "trainer.db"
    decks = db.parent / "decks"
    decks.mkdir(parents=True)
    (decks / "crash.yaml").write_text(DECK_BOTH_WAYS, encoding="utf-8")
    return db, decks


@dataclass
class Writer:
    process: subprocess.Popen[bytes]
    out: Path
    err: Path


def start_writer(db: Path, decks: Path, *options: str) -> Writer:
    """A driver process; its output goes to files, so a full pipe can never stall it."""
    name = f"writer-{uuid.uuid4().hex[:8]}"
    out, err = db.parent / f"{name}.out", db.parent / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            driver_command(db, decks, *options), stdout=stdout, stderr=stderr
        )
    return Writer(process, out, err)


def finish(writer: Writer) -> list[str]:
    """Wait for a driver; it must end cleanly. Returns its acknowledged review ids."""
    try:
        writer.process.wait(timeout=120)
    finally:
        if writer.process.poll() is None:
            writer.process.kill()
            writer.process.wait()
    err = writer.err.read_text()
    assert writer.process.returncode == 0, err
    assert err == "", err
    lines = writer.out.read_text().splitlines()
    assert lines[0] == "ready" and lines[-1] == "done", lines[:3] + lines[-3:]
    return [line.split()[1] for line in lines if line.startswith("A ")]


def reader_commands() -> list[list[str]]:
    commands = [["due", "--json"], ["decks", "--json"]]
    if importlib.util.find_spec("trainer.app.progress") is not None:
        commands.append(["stats", "--json"])
    return commands


def test_a_writer_and_a_reader_loop_never_see_a_locked_database(
    place: tuple[Path, Path], tmp_path: Path
) -> None:
    db, decks = place
    writer = start_writer(db, decks, "--seconds", "2.5", "--undo-rate", "0.05", "--seed", "7")
    readers = 0
    commands = reader_commands()
    deadline = time.monotonic() + 60
    while (writer.process.poll() is None or readers < 4) and time.monotonic() < deadline:
        command = commands[readers % len(commands)]
        outcome = run_cli_process("--db", str(db), *command)
        assert outcome.code == 0, (command, outcome.err)
        assert outcome.err == "", (command, outcome.err)
        json.loads(outcome.out)
        readers += 1
    acknowledged = finish(writer)

    assert readers >= 4
    assert len(acknowledged) > 100
    assert integrity(db) == "ok"
    reviews, _ = review_ids(db)
    assert set(acknowledged) == reviews
    assert broken_chain_links(db) == 0
    assert_cache_matches_log(db, tmp_path)


def test_two_writers_at_once_lose_no_answer(place: tuple[Path, Path]) -> None:
    db, decks = place
    start_at = str(time.time() + 1.0)
    writers = [
        start_writer(db, decks, "--count", "400", "--seed", str(seed), "--start-at", start_at)
        for seed in (1, 2)
    ]
    acknowledged = [finish(writer) for writer in writers]

    assert [len(ids) for ids in acknowledged] == [400, 400]
    assert integrity(db) == "ok"
    reviews, _ = review_ids(db)
    assert reviews == set(acknowledged[0]) | set(acknowledged[1])
    assert len(reviews) == 800


def test_two_writers_on_the_same_card_keep_the_cache_equal_to_the_log(
    place: tuple[Path, Path], tmp_path: Path
) -> None:
    """Two sessions answering the same card (two terminals left open on one deck).

    Each answer's SM-2 step must start from the state the previous *committed*
    answer left, or the cached schedule drifts from the log and every later
    due date is computed from a state that never existed.
    """
    db, decks = place
    # Create the database first so both writers start answering at the same moment.
    finish(start_writer(db, decks, "--count", "1"))
    start_at = str(time.time() + 1.0)
    writers = [
        start_writer(db, decks, "--seconds", "0.6", "--cards", "1", "--start-at", start_at)
        for _ in range(2)
    ]
    for writer in writers:
        finish(writer)
    assert integrity(db) == "ok"
    assert broken_chain_links(db) == 0, "answers computed from a state already overwritten"
    assert_cache_matches_log(db, tmp_path)
