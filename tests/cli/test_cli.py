"""The ``trainer`` command, run in-process through ``main`` and, for a few, as a real process.

Every test runs in its own TRAINER_HOME (see ``tests/conftest.py``); simulated
days come from TRAINER_NOW, and the time zone is pinned through the settings
file wherever the study day matters.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_DECKS, REPO, SMALL_DECK
from tests.support import Result
from trainer.app.deckfile import read_deck_file
from trainer.app.settings import load_settings
from trainer.app.trainer import Trainer
from trainer.cli import main
from trainer.core.model import Direction, Mode

DAY1 = "2026-03-04T09:00:00+00:00"
DAY2 = "2026-03-05T09:00:00+00:00"
BUNDLED_COUNTS = [13, 31]


@pytest.fixture
def home(isolated_user_area: Path) -> Path:
    return isolated_user_area


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def utc_home(home: Path) -> Path:
    """Pin the study day's time zone so TRAINER_NOW means the same day everywhere."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text('timezone = "UTC"\n', encoding="utf-8")
    return home


@pytest.fixture
def small_deck(home: Path) -> Path:
    path = home / "decks" / "small.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SMALL_DECK, encoding="utf-8")
    return path


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Trainer]]:
    """Open the application as the CLI does, at a given simulated instant."""
    opened: list[Trainer] = []

    def at(now: str) -> Trainer:
        monkeypatch.setenv("TRAINER_NOW", now)
        trainer = Trainer.open()
        trainer.sync_decks()
        opened.append(trainer)
        return trainer

    yield at
    for trainer in opened:
        trainer.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def by_slug(rows: list[dict]) -> dict[str, dict]:
    return {row["deck"]: row for row in rows}


# ------------------------------------------------------------------------ decks
def test_decks_lists_the_bundled_decks(cli: Callable[..., Result]) -> None:
    result = cli("decks", "--json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert sorted(row["cards"] for row in rows) == BUNDLED_COUNTS
    assert {row["deck"] for row in rows} == {p.stem for p in BUNDLED_DECKS.glob("*.yaml")}

    table = cli("decks")
    assert table.code == 0
    assert table.err == ""
    assert table.out.splitlines()[0].split() == ["deck", "cards", "new", "due", "learning"]
    for row in rows:
        pattern = rf"^{re.escape(row['name'])}\s+{row['cards']}\s+{row['cards']}\s+0\s+0$"
        assert re.search(pattern, table.out, re.MULTILINE), table.out


def test_decks_json_structure(cli: Callable[..., Result], small_deck: Path) -> None:
    rows = by_slug(json.loads(cli("decks", "--json").out))
    assert rows["small"] == {
        "deck": "small",
        "name": "Small deck",
        "cards": 3,
        "new": 3,
        "due": 0,
        "learning": 0,
        "directions": ["forward"],
    }


def test_a_bad_user_deck_is_a_warning_and_the_others_still_list(
    cli: Callable[..., Result], small_deck: Path
) -> None:
    broken = small_deck.with_name("broken.yaml")
    broken.write_text(
        "name: Broken\ncards:\n  - term: Alpha\n  - term: Beta\n    definition: b\n",
        encoding="utf-8",
    )
    result = cli("decks")
    assert result.code == 1  # said on stderr, and in the exit status
    assert "Traceback" not in result.err
    warnings = result.err.strip().splitlines()
    assert len(warnings) == 1
    assert "warning" in warnings[0]
    assert f"{broken}:3:" in warnings[0]
    assert "Small deck" in result.out
    assert "Broken" not in result.out
    assert sorted(r["cards"] for r in json.loads(cli("decks", "--json").out)) == [3, 13, 31]


# -------------------------------------------------------------------------- due
def test_due_json_counts_on_simulated_days(
    cli: Callable[..., Result],
    utc_home: Path,
    small_deck: Path,
    service: Callable[[str], Trainer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trainer = service(DAY1)
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    trainer.record_answer("small/beta", Direction.FORWARD, 1, Mode.STUDY)

    monkeypatch.setenv("TRAINER_NOW", DAY1)
    today = json.loads(cli("due", "--json").out)
    assert set(today) == {"day", "decks", "due", "new", "drill"}
    assert today["day"] == "2026-03-04"
    assert today["due"] == 0
    for row in today["decks"]:
        assert set(row) == {"deck", "name", "due", "new", "drill"}
    assert by_slug(today["decks"])["small"] == {
        "deck": "small",
        "name": "Small deck",
        "due": 0,
        "new": 1,
        "drill": 1,  # beta, graded 1 today
    }

    monkeypatch.setenv("TRAINER_NOW", DAY2)
    tomorrow = json.loads(cli("due", "--json").out)
    assert tomorrow["day"] == "2026-03-05"
    assert by_slug(tomorrow["decks"])["small"]["due"] == 2
    assert by_slug(tomorrow["decks"])["small"]["new"] == 1
    assert tomorrow["due"] == 2

    text = cli("due")
    assert text.code == 0
    assert "Small deck: 2 due, 1 new" in text.out.splitlines()
    # 1 new in the small deck + 13 + 31 bundled, within the global allowance of 20
    assert text.out.splitlines()[-1] == "total: 2 due, 20 new"
    assert tomorrow["new"] == 20


def test_due_new_count_is_what_todays_queue_still_offers(
    cli: Callable[..., Result],
    utc_home: Path,
    small_deck: Path,
    service: Callable[[str], Trainer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With 2 new cards a day and one already studied, one new card is left today."""
    assert cli("config", "new_per_day", "2").code == 0
    trainer = service(DAY1)
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    offered = [e for e in trainer.queue() if e.kind == "new"]
    assert len(offered) == 1

    monkeypatch.setenv("TRAINER_NOW", DAY1)
    data = json.loads(cli("due", "--json").out)
    rows = by_slug(data["decks"])
    # the rows are today's queue of all decks, split by deck: they add up to the total
    for slug, row in rows.items():
        assert row["new"] == sum(1 for e in offered if e.card_id.startswith(f"{slug}/"))
    assert sum(row["new"] for row in rows.values()) == data["new"] == 1


def test_rebuild_reports_the_replayed_card_directions(
    cli: Callable[..., Result], small_deck: Path, service: Callable[[str], Trainer]
) -> None:
    trainer = service(DAY1)
    trainer.record_answer("small/alpha", Direction.FORWARD, 5, Mode.STUDY)
    trainer.record_answer("small/beta", Direction.FORWARD, 3, Mode.STUDY)
    before = trainer.store.cached_states()
    trainer.close()
    result = cli("rebuild")
    assert result.code == 0
    assert "rebuilt the state of 2 card directions" in result.out
    again = service(DAY1)
    assert again.store.cached_states() == before


# ---------------------------------------------------------------- database path
@pytest.mark.parametrize(
    "how",
    ["global-option", "command-option", "environment", "option-beats-environment"],
)
def test_the_database_file_can_be_chosen(
    cli: Callable[..., Result],
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    chosen = tmp_path / "elsewhere" / "mine.db"
    decoy = tmp_path / "decoy" / "env.db"
    if how == "global-option":
        result = cli("--db", str(chosen), "decks")
    elif how == "command-option":
        result = cli("decks", "--db", str(chosen))
    elif how == "environment":
        monkeypatch.setenv("TRAINER_DB", str(chosen))
        result = cli("decks")
    else:
        monkeypatch.setenv("TRAINER_DB", str(decoy))
        result = cli("--db", str(chosen), "decks")
    assert result.code == 0, result.err
    assert chosen.is_file()
    assert not (home / "trainer.db").exists()
    assert not decoy.exists()


def test_user_decks_live_beside_the_chosen_database(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    db = tmp_path / "elsewhere" / "mine.db"
    (db.parent / "decks").mkdir(parents=True)
    (db.parent / "decks" / "small.yaml").write_text(SMALL_DECK, encoding="utf-8")
    rows = by_slug(json.loads(cli("--db", str(db), "decks", "--json").out))
    assert rows["small"]["cards"] == 3


# ---------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("value", ["yesterday", "2026-13-45T09:00", "9am"])
def test_an_invalid_trainer_now_is_a_one_line_error(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TRAINER_NOW", value)
    line = cli("due").one_line_error()
    assert "TRAINER_NOW" in line
    assert repr(value) in line


def test_a_corrupt_database_is_a_one_line_error_and_left_alone(
    cli: Callable[..., Result], home: Path
) -> None:
    db = home / "trainer.db"
    home.mkdir(parents=True, exist_ok=True)
    db.write_bytes(bytes(range(256)) * 64)
    before = sha(db)
    line = cli("decks").one_line_error()
    assert str(db) in line
    assert "not a trainer database" in line
    assert sha(db) == before


def test_a_broken_settings_file_is_a_one_line_error_naming_it(
    cli: Callable[..., Result], home: Path
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "settings.toml"
    settings.write_text("new_per_day = \n", encoding="utf-8")
    line = cli("decks").one_line_error()
    assert str(settings) in line


# ----------------------------------------------------------------------- import
TSV = "Term\tDefinition\nAlpha\tThe first letter.\nBeta\tThe second letter.\n"

BLOCKS_WITH_A_LOST_TERM = """\
Alpha
Definition
The first letter of the Greek alphabet.
Definition
something whose name was lost in the scan.
Gamma
Definition
The third letter of the Greek alphabet.
"""


def test_import_tsv_writes_a_yaml_deck_that_decks_lists(
    cli: Callable[..., Result], home: Path, tmp_path: Path
) -> None:
    source = tmp_path / "greek.tsv"
    source.write_text(TSV, encoding="utf-8")
    result = cli("import", str(source))
    assert result.code == 0, result.err
    written = home / "decks" / "greek.yaml"
    assert str(written) in result.out
    deck = read_deck_file(written)
    assert [(c.term, c.definition) for c in deck.cards] == [
        ("Alpha", "The first letter."),
        ("Beta", "The second letter."),
    ]
    rows = by_slug(json.loads(cli("decks", "--json").out))
    assert rows["greek"]["cards"] == 2
    assert rows["greek"]["new"] == 2


def test_import_refusing_missing_terms_writes_nothing(
    cli: Callable[..., Result], home: Path, tmp_path: Path
) -> None:
    source = tmp_path / "letters.txt"
    source.write_text(BLOCKS_WITH_A_LOST_TERM, encoding="utf-8")
    result = cli("import", str(source), "--format", "blocks", "--missing-terms", "refuse")
    message = result.one_line_error()
    assert str(source) in message
    assert re.search(r"\b[45]\b", message), message
    assert not (home / "decks" / "letters.yaml").exists()
    assert "letters" not in by_slug(json.loads(cli("decks", "--json").out))


def test_import_flags_missing_terms_as_drafts_by_default(
    cli: Callable[..., Result], home: Path, tmp_path: Path
) -> None:
    source = tmp_path / "letters.txt"
    source.write_text(BLOCKS_WITH_A_LOST_TERM, encoding="utf-8")
    result = cli("import", str(source), "--format", "blocks")
    assert result.code == 0, result.err
    assert re.search(rf"{re.escape(str(source))}:[45]: no term", result.out + result.err)
    written = home / "decks" / "letters.yaml"
    assert "missing_term: true" in written.read_text(encoding="utf-8")
    deck = read_deck_file(written)
    assert [c.term for c in deck.cards] == ["Alpha", "Gamma"]
    assert len(deck.drafts) == 1
    assert by_slug(json.loads(cli("decks", "--json").out))["letters"]["cards"] == 2


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("absent.tsv", None, "cannot read"),
        ("image.tsv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
        ("empty.tsv", b"", "empty"),
        ("latin1.tsv", b"Term\tDefinition\nCaf\xe9\tcoffee\n", "UTF-8"),
    ],
    ids=["nonexistent", "binary", "empty", "not-utf8"],
)
def test_import_of_an_unreadable_file_is_a_one_line_error(
    cli: Callable[..., Result],
    home: Path,
    tmp_path: Path,
    name: str,
    content: bytes | None,
    expected: str,
) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    line = cli("import", str(source)).one_line_error()
    assert str(source) in line
    assert expected in line
    assert list((home / "decks").glob("*.yaml")) == []


def test_import_does_not_overwrite_without_force(
    cli: Callable[..., Result], home: Path, tmp_path: Path
) -> None:
    source = tmp_path / "greek.tsv"
    source.write_text(TSV, encoding="utf-8")
    assert cli("import", str(source)).code == 0
    written = home / "decks" / "greek.yaml"
    first = written.read_bytes()

    source.write_text(TSV + "Gamma\tThe third letter.\n", encoding="utf-8")
    line = cli("import", str(source)).one_line_error()
    assert str(written) in line
    assert "--force" in line
    assert written.read_bytes() == first

    assert cli("import", str(source), "--force").code == 0
    assert len(read_deck_file(written).cards) == 3
    assert by_slug(json.loads(cli("decks", "--json").out))["greek"]["cards"] == 3


# ----------------------------------------------------------------------- config
def test_config_shows_the_defaults(cli: Callable[..., Result], home: Path) -> None:
    result = cli("config")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == f"# {home / 'settings.toml'}"
    assert set(lines[1:]) == {
        "new_per_day = 20",
        "reviews_per_day = 200",
        "rollover_hour = 4",
        'timezone = ""',
        "leech_lapses = 8",
        'leech_action = "mark"',
        'scheduler = "sm2"',
        "desired_retention = 0.9",
        "default_grade = 4",
        "bury_siblings = true",
    }


def test_config_sets_and_reads_back_a_value(cli: Callable[..., Result], home: Path) -> None:
    result = cli("config", "new_per_day", "5")
    assert result.code == 0, result.err
    assert load_settings(home / "settings.toml").new_per_day == 5
    assert cli("config", "new_per_day").out.strip() == "5"
    assert "new_per_day = 5" in cli("config").out.splitlines()


def test_config_per_deck_directions_reach_the_deck_list(
    cli: Callable[..., Result], small_deck: Path
) -> None:
    assert cli("config", "decks.small.directions", "both").code == 0
    assert json.loads(cli("config", "decks.small.directions").out) == ["forward", "reverse"]
    row = by_slug(json.loads(cli("decks", "--json").out))["small"]
    assert row["directions"] == ["forward", "reverse"]
    assert (row["cards"], row["new"]) == (3, 6)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("new_per_day", "lots"),
        ("new_per_day", "-1"),
        ("new_per_day", "2.5"),
        ("rollover_hour", "24"),
        ("timezone", "Mars/Olympus_Mons"),
        ("decks.small.directions", "sideways"),
    ],
    ids=["not-a-number", "negative", "fraction", "hour-24", "unknown-zone", "bad-direction"],
)
def test_config_refuses_an_invalid_value_and_saves_nothing(
    cli: Callable[..., Result], home: Path, key: str, value: str
) -> None:
    line = cli("config", key, value).one_line_error()
    assert value in line
    assert not (home / "settings.toml").exists()


@pytest.mark.parametrize("args", [("colour", "blue"), ("colour",)], ids=["set", "show"])
def test_config_refuses_an_unknown_key(
    cli: Callable[..., Result], home: Path, args: tuple[str, ...]
) -> None:
    line = cli("config", *args).one_line_error()
    assert "unknown setting 'colour'" in line
    assert not (home / "settings.toml").exists()


# ------------------------------------------------------------------------- help
HELP_OPTIONS = {
    "home": ["--db"],
    "decks": ["--json", "--db"],
    "due": ["--json", "--db"],
    "stats": ["--deck", "--days", "--json"],
    "import": ["file", "--deck", "--out", "--format", "--missing-terms", "--force"],
    "study": ["--deck"],
    "config": ["key", "value", "decks.<slug>.directions"],
    "rebuild": ["--db"],
    "quiz": ["--deck", "--questions", "--choices", "--direction", "--source", "--seed"],
}


@pytest.mark.parametrize(("command", "options"), HELP_OPTIONS.items(), ids=list(HELP_OPTIONS))
def test_every_command_has_help_naming_its_options(
    capsys: pytest.CaptureFixture[str], command: str, options: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: trainer {command}")
    for option in options:
        assert option in out, option


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in HELP_OPTIONS:
        assert re.search(rf"^\s+{command}\s", out, re.MULTILINE), command
    assert "TRAINER_DB" in out and "TRAINER_NOW" in out


@pytest.mark.parametrize(
    "args",
    [["import"], ["stats", "--days", "0"], ["quiz", "--questions", "x"], ["frobnicate"]],
    ids=["missing-file", "zero-days", "not-a-number", "unknown-command"],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert "usage: trainer" in capsys.readouterr().err


# ------------------------------------------------------------------ real process
def run_process(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRAINER_")}
    environment.update(TRAINER_HOME=str(home), **env)
    return subprocess.run(
        [sys.executable, "-m", "trainer", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def test_python_m_trainer_help(tmp_path: Path) -> None:
    done = run_process(tmp_path / "home", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: trainer")
    assert not (tmp_path / "home").exists()  # help touches no files


def test_python_m_trainer_decks(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run_process(home, "decks")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    counts = sorted(int(line.split()[-4]) for line in done.stdout.splitlines()[1:])
    assert counts == BUNDLED_COUNTS
    assert (home / "trainer.db").is_file()


def test_python_m_trainer_error_exit_status(tmp_path: Path) -> None:
    done = run_process(tmp_path / "home", "due", TRAINER_NOW="not-a-time")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "trainer: TRAINER_NOW: not an ISO timestamp: 'not-a-time'"
    ]


def test_due_shows_the_drills_pending_today(
    cli: Callable[..., Result],
    utc_home: Path,
    small_deck: Path,
    service: Callable[[str], Trainer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trainer = service(DAY1)
    trainer.record_answer("small/alpha", Direction.FORWARD, 1, Mode.STUDY)
    drills = [e for e in trainer.queue() if e.kind == "drill"]
    monkeypatch.setenv("TRAINER_NOW", DAY1)
    data = json.loads(cli("due", "--json").out)
    assert data["drill"] == len(drills) == 1
    assert by_slug(data["decks"])["small"]["drill"] == 1
    assert "Small deck: 0 due, 2 new, 1 drill" in cli("due").out.splitlines()
