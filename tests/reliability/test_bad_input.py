"""Every entry point that reads a user's file, run over a corpus of hostile and broken ones.

Deck files (in the user decks folder, then ``trainer decks``), glossaries
(``trainer import``, detected and forced formats), the settings file
(``TRAINER_CONFIG``) and the database itself (``--db``). A file that is fine
must load, with markup and escape codes kept as literal text; a broken one
gets one line naming the file and what is wrong, never a traceback; and the
database is left exactly as it was. The CLI runs in this process (``main``)
except for a few real subprocesses at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.reliability import corpus
from tests.reliability.support import (
    Outcome,
    assert_one_line_error,
    dump,
    integrity,
    run_cli,
    run_cli_process,
    sha256,
)
from trainer.app import deckfile, locations
from trainer.app.deckfile import read_deck_file
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import Mode

NOW = "2026-03-04T09:00:00+00:00"
FORMATS = [None, "tsv", "csv", "blocks", "markdown"]


# ------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def baseline_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the bundled decks and some history, built once and copied per test."""
    db = tmp_path_factory.mktemp("baseline") / "trainer.db"
    trainer = Trainer.open(
        db,
        clock=FixedClock(dt.datetime.fromisoformat(NOW)),
        settings=Settings(),
        tz=dt.UTC,
        deck_dirs=[locations.bundled_decks_dir(), locations.user_decks_dir(db)],
    )
    try:
        trainer.sync_decks()
        for grade, side in enumerate(trainer.statuses()[:6]):
            trainer.record_answer(side.card_id, side.direction, grade, Mode.STUDY)
        trainer.undo(trainer.record_answer(side.card_id, side.direction, 1, Mode.STUDY).id)
    finally:
        trainer.close()
    assert not db.with_name("trainer.db-wal").exists()  # one self-contained file to copy
    return db


@pytest.fixture(scope="session")
def fifty_megabytes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "fifty.yaml"
    path.write_bytes(corpus.deck_of_size(50 * 1024 * 1024))
    return path


@pytest.fixture(scope="session")
def fifty_megabyte_glossary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "fifty.tsv"
    definition = "spaced repetition " * 1_400
    rows = "".join(f"Term {n}\t{definition}\n" for n in range(2_000))
    path.write_text(f"Term\tDefinition\n{rows}", encoding="utf-8")
    return path


@pytest.fixture
def db(isolated_user_area: Path, baseline_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's default database (a copy of the baseline) and an empty user decks folder."""
    monkeypatch.setenv("TRAINER_NOW", NOW)
    isolated_user_area.mkdir(parents=True, exist_ok=True)
    target = isolated_user_area / "trainer.db"
    shutil.copyfile(baseline_db, target)
    (isolated_user_area / "decks").mkdir()
    return target


def listed_decks(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    outcome = run_cli(capsys, "decks", "--json")
    assert outcome.code == expected_status(outcome), outcome.err
    return {row["deck"]: row for row in json.loads(outcome.out)}


def stored_terms(db: Path, deck: str) -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT term, definition FROM cards WHERE deck = ? AND retired = 0 ORDER BY position",
            [deck],
        ).fetchall()
    finally:
        conn.close()
    return dict(rows)


def expected_status(outcome: Outcome) -> int:
    """Commands do their work with the good decks and exit 1 when one was skipped."""
    return 1 if "(deck skipped)" in outcome.err else 0


def assert_deck_warning(outcome: Outcome, path: Path, fragment: str) -> None:
    """A broken deck file: one line naming the file and the problem, a non-zero exit;
    the command still works with the other decks."""
    assert outcome.code == 1, outcome
    assert "Traceback" not in outcome.err
    assert len(outcome.err_lines) == 1, outcome.err
    line = outcome.err_lines[0]
    assert line.startswith(f"trainer: warning: {path}"), line
    assert line.endswith("(deck skipped)"), line
    assert fragment.lower() in line.lower(), (fragment, line)


# ----------------------------------------------------------------- deck files
@pytest.mark.parametrize("entry", corpus.DECKS, ids=lambda e: e.name)
def test_deck_file_corpus(
    entry: corpus.Entry, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = db.parent / "decks" / f"{entry.name}.yaml"
    path.write_bytes(entry.make(tmp_path))
    before = dump(db)
    outcome = run_cli(capsys, "decks")
    if entry.error is not None:
        assert_deck_warning(outcome, path, entry.error)
        assert dump(db) == before
        assert entry.name not in listed_decks(capsys)
    else:
        assert outcome.code == 0 and outcome.err == "", outcome
        assert entry.name in listed_decks(capsys)
        assert dump(db)["reviews"] == before["reviews"]
    assert not (tmp_path / "PWNED").exists()
    due = run_cli(capsys, "due", "--json")
    assert due.code == (0 if entry.error is None else 1), due.err


def test_markup_and_escapes_are_stored_literally(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (db.parent / "decks" / "hostile.yaml").write_text(corpus.HOSTILE_TEXT_DECK, encoding="utf-8")
    assert run_cli(capsys, "decks").code == 0
    assert stored_terms(db, "hostile") == corpus.HOSTILE_TERMS


def test_a_broken_edit_keeps_the_last_good_copy_and_its_history(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = db.parent / "decks" / "mine.yaml"
    path.write_text(corpus.GOOD_DECK, encoding="utf-8")
    assert run_cli(capsys, "decks").code == 0
    trainer = Trainer.open(db)
    try:
        trainer.record_answer("mine/alpha", "forward", 4, Mode.STUDY)
    finally:
        trainer.close()
    before = dump(db)
    for entry in corpus.DECKS:
        if entry.error is None:
            continue
        path.write_bytes(entry.make(tmp_path))
        assert_deck_warning(run_cli(capsys, "decks"), path, entry.error)
        assert dump(db) == before, entry.name
        assert listed_decks(capsys)["mine"]["cards"] == 2
    path.write_text(corpus.GOOD_DECK.replace("first letter", "first Greek letter"), "utf-8")
    assert run_cli(capsys, "decks").code == 0
    assert stored_terms(db, "mine")["Alpha"] == "The first Greek letter."
    assert dump(db)["reviews"] == before["reviews"]


def test_a_fifty_megabyte_deck_loads(
    db: Path, fifty_megabytes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fifty_megabytes.stat().st_size < deckfile.MAX_DECK_BYTES  # under the limit: loads
    shutil.copyfile(fifty_megabytes, db.parent / "decks" / "fifty.yaml")
    outcome = run_cli(capsys, "decks")
    assert outcome.code == 0 and outcome.err == "", outcome.err
    assert listed_decks(capsys)["fifty"]["cards"] == 2_000
    assert integrity(db) == "ok"


def test_a_fifty_megabyte_glossary_imports(
    db: Path, fifty_megabyte_glossary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fifty_megabyte_glossary.stat().st_size > 50_000_000
    outcome = run_cli(capsys, "import", str(fifty_megabyte_glossary))
    assert outcome.code == 0 and outcome.err == "", outcome.err
    assert listed_decks(capsys)["fifty"]["cards"] == 2_000


def test_files_over_the_size_limit_are_refused_before_parsing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deckfile, "MAX_DECK_BYTES", 512 * 1024)
    big = corpus.mb_definition(tmp_path)
    deck = db.parent / "decks" / "big.yaml"
    deck.write_bytes(big)
    before = dump(db)
    assert_deck_warning(run_cli(capsys, "decks"), deck, "too large")
    deck.unlink()
    glossary = tmp_path / "big.md"
    glossary.write_bytes(b"**Big**: " + big)
    assert_one_line_error(run_cli(capsys, "import", str(glossary)), str(glossary), "too large")
    assert dump(db) == before


# ----------------------------------------------------------------- glossaries
@pytest.mark.parametrize("entry", corpus.GLOSSARIES, ids=lambda e: e.name)
def test_import_corpus(
    entry: corpus.Entry, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / f"{entry.name}{entry.suffix}"
    source.write_bytes(entry.make(tmp_path))
    for fmt in FORMATS:
        name = f"{entry.name} {fmt or 'auto'}"
        slug = name.replace(" ", "-")
        args = ["import", str(source), "--deck", name] + (["--format", fmt] if fmt else [])
        before = dump(db)
        outcome = run_cli(capsys, *args)
        written = db.parent / "decks" / f"{slug}.yaml"
        if fmt is None:  # detection must reach the expected result
            assert (outcome.code != 0) == (entry.error is not None), (fmt, outcome)
        if outcome.code != 0:
            line = assert_one_line_error(outcome, str(source))
            if fmt is None:
                assert entry.error is not None and entry.error.lower() in line.lower(), line
            assert dump(db) == before, fmt
            assert not written.exists(), fmt
            continue
        assert outcome.code == 0, outcome
        assert "Traceback" not in outcome.err
        assert all(line.startswith(str(source)) for line in outcome.err_lines), outcome.err
        deck = read_deck_file(written)  # what import wrote is a valid deck file ...
        assert stored_terms(db, slug) == {c.term: c.definition for c in deck.cards}  # ... stored
        assert dump(db)["reviews"] == before["reviews"]
        if entry.name == "markup-and-ansi" and fmt in (None, "tsv"):
            assert stored_terms(db, slug) == corpus.HOSTILE_TERMS
    assert not (tmp_path / "PWNED").exists()


# ------------------------------------------------------------------- settings
@pytest.mark.parametrize("entry", corpus.SETTINGS, ids=lambda e: e.name)
def test_settings_file_corpus(
    entry: corpus.Entry,
    db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "config" / "settings.toml"
    path.parent.mkdir()
    path.write_bytes(entry.make(tmp_path))
    monkeypatch.setenv("TRAINER_CONFIG", str(path))
    before = dump(db)
    for command in (["decks"], ["due", "--json"]):
        outcome = run_cli(capsys, *command)
        if entry.error is None:
            assert outcome.code == 0 and outcome.err == "", outcome
        else:
            assert_one_line_error(outcome, str(path), entry.error)
    assert dump(db) == before


def test_a_folder_where_the_settings_file_should_be(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINER_CONFIG", str(tmp_path))
    assert_one_line_error(
        run_cli(capsys, "decks"), str(tmp_path), "a directory, not a settings file"
    )


# ------------------------------------------------------------------- database
def corrupt_copies(good: Path, folder: Path) -> dict[str, Path]:
    """Damaged databases of several kinds, each from a copy of a good one."""
    rng = random.Random(99)
    data = good.read_bytes()
    page = int.from_bytes(data[16:18], "big") or 65536
    pages = len(data) // page
    made: dict[str, bytes] = {
        "random-bytes": bytes(rng.randrange(256) for _ in range(64 * 1024)),
        "text-file": b"trainer database? no, a shopping list\n" * 100,
        "zeroed-header": bytes(100) + data[100:],
        "first-page-only": data[:page],
        "truncated-half": data[: (pages // 2) * page],
        "garbage-pages": data[: 2 * page]
        + bytes(rng.randrange(256) for _ in range(len(data) - 2 * page)),
    }
    folder.mkdir()
    paths = {}
    for name, content in made.items():
        paths[name] = folder / f"{name}.db"
        paths[name].write_bytes(content)
    return paths


@pytest.mark.parametrize(
    "case",
    [
        "random-bytes",
        "text-file",
        "zeroed-header",
        "first-page-only",
        "truncated-half",
        "garbage-pages",
    ],
)
def test_a_corrupt_database_file_is_one_line_and_left_untouched(
    case: str, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corrupt_copies(db, tmp_path / "corrupt")[case]
    before = sha256(path)
    for command in (["decks"], ["due", "--json"], ["rebuild"], ["stats", "--json"]):
        line = assert_one_line_error(run_cli(capsys, "--db", str(path), *command))
        assert any(word in line for word in ("corrupt", "malformed", "not a trainer database")), (
            command,
            line,
        )
        assert sha256(path) == before, command


def test_an_empty_file_becomes_a_database_and_a_garbage_wal_is_ignored(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert run_cli(capsys, "--db", str(empty), "decks").code == 0
    before = dump(db)
    db.with_name("trainer.db-wal").write_bytes(random.Random(5).randbytes(40_000))
    outcome = run_cli(capsys, "due", "--json")
    assert outcome.code == 0, outcome.err
    assert dump(db) == before


# ------------------------------------------------------------ real processes
def prepare(setup: str, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if setup == "deck":
        (db.parent / "decks" / "evil.yaml").write_bytes(corpus.python_object_tag(tmp_path))
    elif setup == "glossary":
        (tmp_path / "binary.tsv").write_bytes(corpus.seeded_bytes(5000, 8, nul=True))
    elif setup == "database":
        (tmp_path / "corrupt.db").write_bytes(b"SQLite format 3\x00" * 512)
    elif setup == "settings":
        (tmp_path / "s.toml").write_bytes(b"\xff\xfe[[[\n")
        monkeypatch.setenv("TRAINER_CONFIG", str(tmp_path / "s.toml"))


@pytest.mark.parametrize(
    ("setup", "command"),
    [
        ("deck", ["decks"]),
        ("glossary", ["import", "{tmp}/binary.tsv"]),
        ("database", ["--db", "{tmp}/corrupt.db", "due"]),
        ("settings", ["decks"]),
    ],
)
def test_as_a_real_process(
    setup: str, command: list[str], db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(setup, db, tmp_path, monkeypatch)
    before = dump(db)
    outcome = run_cli_process(*(part.format(tmp=tmp_path) for part in command))
    assert "Traceback" not in outcome.err
    if setup == "deck":  # a broken deck is skipped with a warning; the command goes on
        assert_deck_warning(outcome, db.parent / "decks" / "evil.yaml", "python/object")
        assert not (tmp_path / "PWNED").exists()
    else:
        assert_one_line_error(outcome)
    assert dump(db) == before


# ------------------------------------------------------------------- terminal
ANSI_NAMED_DECK = r"""name: "\e[2J\e[31mPainted deck"
cards:
  - term: "\e[5mBlink"
    definition: "\e]0;new window title\a"
"""


def test_no_raw_escape_code_reaches_the_terminal(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deck text is shown as text on every output, not only in the TUI: an ESC from a
    deck or a glossary must never be written raw to stdout or stderr."""
    (db.parent / "decks" / "painted.yaml").write_text(ANSI_NAMED_DECK, encoding="utf-8")
    assert run_cli(capsys, "decks", "--json").code == 0
    trainer = Trainer.open(db)
    try:
        trainer.record_answer("painted/\x1b[5mblink", "forward", 2, Mode.STUDY)
    finally:
        trainer.close()
    glossary = tmp_path / "orphans.md"
    glossary.write_text(
        "**Plain**: fine.\n\n: \x1b[2J orphan definition with no term\n", encoding="utf-8"
    )
    leaks = []
    for command in (["decks"], ["due"], ["stats"], ["import", str(glossary)]):
        outcome = run_cli(capsys, *command)
        assert outcome.code == 0, (command, outcome.err)
        if "\x1b" in outcome.out + outcome.err:
            leaks.append(" ".join(command[:1]))
    assert leaks == [], f"raw ESC written by: {leaks}"
