"""Hostile deck files by name and kind: odd names, special files, symlinks, remembered refusals.

Each gets one clean line naming it (escaped), the other decks keep working,
and nothing stored is lost.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.reliability.corpus import GOOD_DECK
from tests.reliability.support import dump, run_cli
from trainer.app import files
from trainer.app.deckedit import CardEdit
from trainer.app.files import FileRefused, read_bounded, write_atomically
from trainer.app.trainer import Trainer

NOW = "2026-03-04T09:00:00+00:00"


@pytest.fixture
def decks(isolated_user_area: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRAINER_NOW", NOW)
    folder = isolated_user_area / "decks"
    folder.mkdir(parents=True)
    (folder / "good.yaml").write_text(GOOD_DECK, encoding="utf-8")
    return folder


def warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("trainer: warning:")]


def assert_clean(err: str) -> None:
    assert "Traceback" not in err and "internal error" not in err, err
    assert "\x1b" not in err and "\x07" not in err, err


@pytest.mark.parametrize(
    "name",
    [
        os.fsencode("caf") + b"\xe9.yaml",  # Latin-1, not UTF-8
        b"two\nlines.yaml",
        b"title\x1b]0;pwned\x07.yaml",
        b"clear\x1b[2J.yaml",
    ],
    ids=["latin1", "newline", "osc-title", "clear-screen"],
)
@pytest.mark.parametrize("command", [["due"], ["decks"], ["stats"], ["search", "alpha"]])
def test_odd_deck_file_names_are_skipped_in_one_escaped_line(
    decks: Path, name: bytes, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    os.close(os.open(os.path.join(os.fsencode(decks), name), os.O_CREAT | os.O_WRONLY))
    with open(os.path.join(os.fsencode(decks), name), "wb") as handle:
        handle.write(GOOD_DECK.encode())
    outcome = run_cli(capsys, *command)
    assert_clean(outcome.err)
    lines = warnings(outcome.err)
    assert len(lines) == 1 and len(outcome.err.splitlines()) == 1, outcome.err
    assert "file name is not valid UTF-8" in lines[0]
    assert outcome.code == 1
    decks_out = run_cli(capsys, "decks", "--json")
    assert '"good"' in decks_out.out


def test_special_files_get_one_line_and_the_other_decks_work(
    decks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(decks / "pipe.yaml")
    (decks / "zero.yaml").symlink_to("/dev/zero")
    (decks / "folder.yaml").mkdir()
    (decks / "dangling.yaml").symlink_to(decks / "nowhere.yaml")
    (decks / "linked.yaml").symlink_to(decks / "good.yaml")
    outcome = run_cli(capsys, "decks", "--json")
    assert_clean(outcome.err)
    lines = sorted(warnings(outcome.err))
    assert len(lines) == 4, outcome.err
    assert "dangling.yaml: cannot read" in lines[0]
    assert "folder.yaml: a directory" in lines[1]
    assert "pipe.yaml: a named pipe" in lines[2]
    assert "zero.yaml: a device" in lines[3]
    assert '"linked"' in outcome.out and '"good"' in outcome.out


def test_read_bounded_refuses_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.tsv"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(FileRefused, match="too large"):
        read_bounded(big, 1000)
    assert read_bounded(big, 2000) == b"x" * 2000
    with pytest.raises(FileRefused, match="a device"):
        read_bounded(Path("/dev/zero"), 1000)


def test_a_refused_deck_is_not_parsed_again_until_it_changes(
    decks: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.app import deckfile

    bad = decks / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    first = run_cli(capsys, "due")
    assert "YAML syntax error" in first.err
    calls: list[str] = []
    real = deckfile.parse_deck_text_form  # what a sync parses a changed deck with
    monkeypatch.setattr(deckfile, "parse_deck_text_form", lambda *a: calls.append(a[2]) or real(*a))
    again = run_cli(capsys, "due")
    assert warnings(again.err) == warnings(first.err)
    assert calls == []
    os.utime(bad, ns=(1, 1))  # touched, same bytes: hashed, still not parsed
    assert warnings(run_cli(capsys, "due").err) == warnings(first.err)
    assert calls == []
    bad.write_text(GOOD_DECK, encoding="utf-8")
    fixed = run_cli(capsys, "due")
    assert fixed.code == 0 and fixed.err == "", fixed
    assert calls == [str(bad)]


def test_yml_hiding_yaml_is_said(decks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (decks / "greek.yaml").write_text(GOOD_DECK, encoding="utf-8")
    (decks / "greek.yml").write_text(GOOD_DECK.replace("Good deck", "Other"), encoding="utf-8")
    outcome = run_cli(capsys, "decks")
    (line,) = warnings(outcome.err)
    assert "greek.yaml: hidden by greek.yml" in line


# -------------------------------------------------------------- atomic writes
def test_an_atomic_write_goes_through_a_symlink(tmp_path: Path) -> None:
    synced = tmp_path / "sync"
    synced.mkdir()
    original = synced / "deck.yaml"
    original.write_text("old", encoding="utf-8")
    link = tmp_path / "deck.yaml"
    link.symlink_to(original)
    write_atomically(link, "new")
    assert link.is_symlink()
    assert original.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in synced.iterdir()) == ["deck.yaml"]


def test_an_atomic_write_never_follows_a_planted_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    target = tmp_path / "out.yaml"
    names = iter(["aaaa", "bbbb"])
    monkeypatch.setattr("secrets.token_hex", lambda _n: next(names))
    (tmp_path / ".out.yaml.aaaa.tmp").symlink_to(victim)  # planted at the first name tried
    write_atomically(target, "data")
    assert target.read_text(encoding="utf-8") == "data"
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert (tmp_path / ".out.yaml.aaaa.tmp").is_symlink()


def test_an_atomic_write_can_give_the_new_file_a_second_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "deck.yaml"
    target.write_text("old", encoding="utf-8")
    kept = tmp_path / "kept.yaml"
    assert write_atomically(target, "new", also=kept)
    assert kept.samefile(target) and kept.read_text(encoding="utf-8") == "new"
    # the rename fails: the second name goes too, the target keeps its text
    again = tmp_path / "again.yaml"
    monkeypatch.setattr(os, "replace", lambda *_: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(OSError):
        write_atomically(target, "newer", also=again)
    assert not again.exists() and target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.yaml", "kept.yaml"]


def test_an_atomic_write_without_hard_links_still_writes(tmp_path: Path) -> None:
    target = tmp_path / "deck.yaml"
    taken = tmp_path / "taken.yaml"
    taken.write_text("someone else's", encoding="utf-8")
    assert not write_atomically(target, "new", also=taken)  # the name exists: no link
    assert target.read_text(encoding="utf-8") == "new"
    assert taken.read_text(encoding="utf-8") == "someone else's"


def test_editing_a_card_in_a_linked_deck_changes_the_original(
    decks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    synced = tmp_path / "sync"
    synced.mkdir()
    shutil.move(decks / "good.yaml", synced / "good.yaml")
    (decks / "good.yaml").symlink_to(synced / "good.yaml")
    db = decks.parent / "trainer.db"
    assert run_cli(capsys, "decks").code == 0
    before = dump(db)["reviews"]
    with Trainer.open(db) as trainer:
        trainer.edit_card("good/alpha", CardEdit("Alpha", "The first Greek letter."))
    assert (decks / "good.yaml").is_symlink()
    assert "first Greek letter" in (synced / "good.yaml").read_text(encoding="utf-8")
    assert dump(db)["reviews"] == before


def test_shown_escapes_everything(tmp_path: Path) -> None:
    assert files.shown("a\nb\x1b[2J") == "a\u2424b\u241b[2J"
    assert files.shown(os.fsdecode(b"caf\xe9")) == "caf\\udce9"


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_special_files_given_to_import_and_as_settings_are_one_line(
    kind: str,
    decks: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    special = tmp_path / "special.tsv"
    if kind == "fifo":
        os.mkfifo(special)
    elif kind == "dev-zero":
        special.symlink_to("/dev/zero")
    else:
        special.mkdir()
    db = decks.parent / "trainer.db"
    assert run_cli(capsys, "decks").code == 0
    before = dump(db)
    outcome = run_cli(capsys, "import", str(special))
    assert outcome.code == 1
    assert outcome.err.splitlines() == [outcome.err.strip()], outcome.err
    assert outcome.err.startswith(f"trainer: {special}: ") and "not read" in outcome.err
    assert dump(db) == before
    assert sorted(p.name for p in decks.iterdir()) == ["good.yaml"]
    monkeypatch.setenv("TRAINER_CONFIG", str(special))
    configured = run_cli(capsys, "due")
    assert configured.code == 1
    assert configured.err.startswith(f"trainer: {special}: ") and "not read" in configured.err


def test_a_glossary_named_like_a_bundled_deck_needs_force(
    decks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    bundled = json.loads(run_cli(capsys, "decks", "--json").out)
    named = next(row for row in bundled if row["deck"] != "good")
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text("Term\tDefinition\nAlpha\tFirst.\n", encoding="utf-8")
    db = decks.parent / "trainer.db"
    before = dump(db)
    refused = run_cli(capsys, "import", str(glossary), "--deck", named["name"].upper())
    assert refused.code == 1 and len(refused.err.splitlines()) == 1, refused
    assert f"already exists as {named['deck']!r}" in refused.err and "--force" in refused.err
    assert dump(db) == before
    assert sorted(p.name for p in decks.iterdir()) == ["good.yaml"]
    forced = run_cli(capsys, "import", str(glossary), "--deck", named["name"].upper(), "--force")
    assert forced.code == 0, forced
