"""A large Anki package imported by the real program: its deck file is made and
written by a child process (``BackgroundWrite``) while the cards go into the
database; the result must be what the one-process import leaves, and a failure
must still leave nothing."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import run_process
from tests.interop.anki_builders import genanki_package
from trainer.app.deckfile import read_deck_file
from trainer.storage.store import BULK_SYNC_ROWS

pytest.importorskip("genanki", reason="genanki (a test extra) builds the package")


@pytest.fixture(scope="module")
def large_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    notes = [(f"term {n}", f"what term {n} means", ()) for n in range(BULK_SYNC_ROWS + 10)]
    folder = tmp_path_factory.mktemp("package")
    return genanki_package(folder / "large.apkg", {"Large": notes})


def run_in_one_process(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real program with its children's work done in-process (as it is beside a
    running thread)."""
    script = (
        "import sys, threading; threading.active_count = lambda: 2; "
        "from trainer.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRAINER_")}
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env={**environment, "TRAINER_HOME": str(home)},
        timeout=120,
        check=False,
    )


def deck_row(home: Path) -> tuple[object, ...]:
    conn = sqlite3.connect(home / "trainer.db")
    try:
        return conn.execute(
            "SELECT path, size, mtime_ns, sha256, "
            "(SELECT count(*) FROM cards WHERE deck = 'large') FROM decks WHERE slug = 'large'"
        ).fetchone()
    finally:
        conn.close()


def test_the_deck_file_and_its_signature_match_what_one_process_writes(
    tmp_path: Path, large_package: Path
) -> None:
    forked, alone = tmp_path / "forked", tmp_path / "alone"
    done = run_process(forked, "import", str(large_package))
    assert done.returncode == 0, done.stderr
    single = run_in_one_process(alone, "import", str(large_package))
    assert single.returncode == 0, single.stderr
    deck_file = forked / "decks" / "large.yaml"
    assert deck_file.read_bytes() == (alone / "decks" / "large.yaml").read_bytes()
    path, size, mtime_ns, sha256, cards = deck_row(forked)
    status = deck_file.stat()
    assert (path, size, mtime_ns) == (str(deck_file), status.st_size, status.st_mtime_ns)
    assert sha256 == hashlib.sha256(deck_file.read_bytes()).hexdigest()
    assert cards == BULK_SYNC_ROWS + 10 == len(read_deck_file(deck_file).cards)
    copies = list((forked / "cache" / "decks").glob("large.*.yaml"))
    assert [copy.name for copy in copies] == [f"large.{sha256}.yaml"]
    # the next command finds the deck as it left it: nothing to load again
    status_line = run_process(forked, "decks")
    assert status_line.returncode == 0, status_line.stderr
    assert deck_row(forked) == (path, size, mtime_ns, sha256, cards)


def test_a_write_that_fails_in_the_child_leaves_nothing(
    tmp_path: Path, large_package: Path
) -> None:
    home = tmp_path / "home"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the deck folder should be")
    done = run_process(home, "import", str(large_package), "--out", str(blocker / "decks"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("trainer: ")
    assert "Traceback" not in done.stderr
    assert "not-a-folder" in done.stderr and "write" in done.stderr, done.stderr
    conn = sqlite3.connect(home / "trainer.db")
    try:
        assert conn.execute("SELECT count(*) FROM cards WHERE deck = 'large'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM anki_notes").fetchone() == (0,)
    finally:
        conn.close()


def glossary_rows(count: int) -> str:
    """A TSV glossary; every third definition names its own term."""
    lines = []
    for n in range(count):
        term = f"term {n}"
        named = f"a {term} is what it means" if n % 3 == 0 else f"what entry {n} means"
        lines.append(f"{term}\t{named}")
    return "\n".join(lines) + "\n"


def test_a_large_glossary_imports_the_same_in_child_processes(tmp_path: Path) -> None:
    """The deck file and the self-naming count come from children; the same result."""
    glossary = tmp_path / "large.tsv"
    glossary.write_text(glossary_rows(BULK_SYNC_ROWS + 10), encoding="utf-8")
    forked, alone = tmp_path / "forked", tmp_path / "alone"
    done = run_process(forked, "import", str(glossary))
    assert done.returncode == 0, done.stderr
    single = run_in_one_process(alone, "import", str(glossary))
    assert single.returncode == 0, single.stderr
    assert done.stdout.replace(str(forked), "HOME") == single.stdout.replace(str(alone), "HOME")
    assert f"{(BULK_SYNC_ROWS + 10 + 2) // 3} of {BULK_SYNC_ROWS + 10} definitions" in done.stdout
    deck_file = forked / "decks" / "large.yaml"
    assert deck_file.read_bytes() == (alone / "decks" / "large.yaml").read_bytes()
    path, size, _mtime, sha256, cards = deck_row(forked)
    assert (path, size) == (str(deck_file), deck_file.stat().st_size)
    assert sha256 == hashlib.sha256(deck_file.read_bytes()).hexdigest()
    assert cards == BULK_SYNC_ROWS + 10


def test_a_large_glossary_whose_file_cannot_be_written_leaves_nothing(tmp_path: Path) -> None:
    glossary = tmp_path / "large.tsv"
    glossary.write_text(glossary_rows(BULK_SYNC_ROWS + 10), encoding="utf-8")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the deck folder should be")
    home = tmp_path / "home"
    done = run_process(home, "import", str(glossary), "--out", str(blocker / "large.yaml"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "not-a-folder" in done.stderr, done.stderr
    assert deck_row(home) is None
