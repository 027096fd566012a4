"""Hostile Anki packages: views, endless queries, huge notes, name clashes, escape codes.

Each is refused in one line naming the package, leaves no deck file behind and
the database as it was; the memory a refusal takes is measured in a real
process (its peak resident size), since the attack is on memory and disk, not on logic.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.interop.anki_builders import ModernCollection, ModernNote, write_zip, zstd
from tests.reliability.support import dump, run_cli
from trainer.interop.anki import Limits, PackageError, read_package

NOW = "2026-03-04T09:00:00+00:00"
#: what a refused hostile package may cost the process, in MiB (an idle trainer is ~60)
PEAK_MIB = 350


def collection(folder: Path, notes: list[ModernNote] | None = None) -> bytes:
    return ModernCollection(
        decks={1: "Greek"},
        notes=notes or [ModernNote(1, ["Alpha", "First letter"], 1)],
    ).sqlite_bytes(folder)


def rewritten(folder: Path, script: str, notes: list[ModernNote] | None = None) -> bytes:
    """A collection changed by ``script`` (run with every guard off, as an attacker would)."""
    path = folder / "hostile.sqlite"
    path.write_bytes(collection(folder, notes))
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.commit()
    conn.close()
    data = path.read_bytes()
    path.unlink()
    return data


def package(path: Path, data: bytes) -> Path:
    return write_zip(path, {"collection.anki21b": zstd(data), "media": zstd(b"")})


def endless_notes_view(path: Path) -> None:
    package(
        path,
        rewritten(
            path.parent,
            "DROP TABLE notes; CREATE VIEW notes AS WITH RECURSIVE r(i) AS "
            "(SELECT 1 UNION ALL SELECT i + 1 FROM r) "
            "SELECT i AS id, 'g' || i AS guid, 1 AS mid, '' AS tags, "
            "'t' || i || char(31) || 'd' AS flds FROM r;",
        ),
    )


def huge_cards_view(path: Path) -> None:
    package(
        path,
        rewritten(
            path.parent,
            "DROP TABLE cards; CREATE VIEW cards AS WITH RECURSIVE r(i) AS "
            "(SELECT 1 UNION ALL SELECT i + 1 FROM r LIMIT 100000000) "
            "SELECT i AS id, 1 AS nid, 1 AS did, 0 AS odid, 0 AS ord FROM r;",
        ),
    )


def revlog_view(path: Path) -> None:
    package(
        path,
        rewritten(
            path.parent,
            "DROP TABLE revlog; CREATE VIEW revlog AS WITH RECURSIVE r(i) AS "
            "(SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT i AS id, 1 AS cid, 3 AS ease, "
            "1 AS ivl, 0 AS lastIvl, 2500 AS factor, 1 AS time, 1 AS type FROM r;",
        ),
    )


def noise(size: int, seed: int) -> str:
    """Text that compresses about 2:1, like real prose: no zstd-bomb ratio to trip on."""
    return random.Random(seed).randbytes(size // 2).hex()


def huge_note(path: Path) -> None:
    """One note of 3 MB of text (the report's was 75 MB: the same refusal, cheaper)."""
    notes = [ModernNote(1, ["Alpha", noise(3 << 20, 1)], 1)]
    package(path, collection(path.parent, notes))


def unpacks_large(path: Path) -> None:
    """120 MB of note text in notes under 1 MB each: more than any deck file may hold."""
    notes = [ModernNote(n, [f"Term {n}", noise(900_000, n)], 1) for n in range(1, 135)]
    package(path, collection(path.parent, notes))


HOSTILE: dict[str, tuple[Callable[[Path], None], str]] = {
    "endless-notes-view": (endless_notes_view, "'notes' in the collection is a view"),
    "huge-cards-view": (huge_cards_view, "'cards' in the collection is a view"),
    "revlog-view": (revlog_view, "'revlog' in the collection is a view"),
    "huge-note": (huge_note, "too large to import"),
    "unpacks-large": (unpacks_large, "the notes hold more than"),
}


@pytest.fixture
def home(isolated_user_area: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRAINER_NOW", NOW)
    return isolated_user_area


def snapshot(home: Path) -> tuple[object, ...]:
    decks = home / "decks"
    files = sorted(p.name for p in decks.iterdir()) if decks.exists() else []
    return dump(home / "trainer.db"), files


@pytest.mark.parametrize(("make", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_packages_are_refused_in_one_line_leaving_nothing(
    make: Callable[[Path], None],
    message: str,
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(capsys, "decks").code == 0
    before = snapshot(home)
    path = tmp_path / "hostile.apkg"
    make(path)
    outcome = run_cli(capsys, "import", str(path), "--with-history", "--force")
    assert outcome.code == 1, outcome
    assert outcome.err_lines == [outcome.err.strip()], outcome.err
    assert outcome.err.startswith(f"trainer: {path}: ") and message in outcome.err, outcome.err
    assert snapshot(home) == before


@pytest.mark.parametrize("name", ["endless-notes-view", "huge-cards-view", "unpacks-large"])
def test_a_refused_package_stays_within_a_few_hundred_megabytes(
    name: str, home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "hostile.apkg"
    HOSTILE[name][0](path)
    script = textwrap.dedent(
        f"""
        import json, re, resource
        from trainer.cli import main
        code = main(["import", {str(path)!r}, "--with-history", "--force"])
        # ru_maxrss survives exec on Linux (it would count the forking test process);
        # VmHWM belongs to this program's own memory map
        status = open("/proc/self/status").read()
        found = re.search(r"VmHWM:\\s+(\\d+) kB", status)
        peak = int(found.group(1)) if found else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"code": code, "peak_mib": peak // 1024}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 1, done.stderr
    assert result["peak_mib"] < PEAK_MIB, (name, result)


def test_budgets_stop_large_and_slow_collections(tmp_path: Path) -> None:
    notes = [ModernNote(n, [f"t{n}", "d"], 1) for n in range(1, 30)]
    path = package(tmp_path / "many.apkg", collection(tmp_path, notes))
    assert len(read_package(path).notes) == 29
    with pytest.raises(PackageError, match="more than 10 notes"):
        read_package(path, Limits(notes=10))
    with pytest.raises(PackageError, match="more than 10 cards"):
        read_package(path, Limits(cards=10))
    with pytest.raises(PackageError, match="took longer than 0 seconds"):
        read_package(path, Limits(seconds=0))
    with pytest.raises(PackageError, match="characters"):
        read_package(path, Limits(text_chars=50))


def test_values_of_unexpected_types_are_converted_or_refused(tmp_path: Path) -> None:
    """Rows whose values are not of Anki's own types take the checked path: numbers
    stored as reals read as before, odd text still counts, nonsense is refused."""
    notes = [ModernNote(n, [f"t{n}", "d"], 1) for n in range(1, 4)]
    plain = read_package(package(tmp_path / "plain.apkg", collection(tmp_path, notes)))
    reals = rewritten(
        tmp_path,
        "UPDATE notes SET mod = mod + 0.5 WHERE id = 1; UPDATE cards SET due = due + 0.25;",
        notes,
    )
    converted = read_package(package(tmp_path / "reals.apkg", reals))
    assert (converted.notes, converted.cards) == (plain.notes, plain.cards)
    blob = rewritten(tmp_path, "UPDATE notes SET tags = CAST('x y' AS BLOB) WHERE id = 2;", notes)
    assert len(read_package(package(tmp_path / "blob.apkg", blob)).notes) == 3
    with pytest.raises(PackageError, match="characters"):
        read_package(package(tmp_path / "blob.apkg", blob), Limits(text_chars=20))
    nonsense = rewritten(tmp_path, "UPDATE cards SET ivl = 'soon' WHERE nid = 3;", notes)
    with pytest.raises(PackageError, match="unexpected shape"):
        read_package(package(tmp_path / "nonsense.apkg", nonsense))


def test_the_heap_limit_is_put_back(tmp_path: Path) -> None:
    conn = sqlite3.connect(":memory:")
    before = conn.execute("PRAGMA hard_heap_limit").fetchone()[0]
    path = package(tmp_path / "ok.apkg", collection(tmp_path))
    read_package(path)
    with pytest.raises(PackageError):
        read_package(path, Limits(seconds=0))
    assert conn.execute("PRAGMA hard_heap_limit").fetchone()[0] == before


@pytest.mark.parametrize("clash", ["slug", "name"])
def test_an_anki_deck_never_replaces_a_bundled_deck_without_force(
    clash: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = json.loads(run_cli(capsys, "decks", "--json").out)
    bundled = listed[0]
    # "Fine-tuning course" has the bundled deck's file name; its own name clashes too
    anki_name = (
        bundled["deck"].replace("-", " ").capitalize() if clash == "slug" else bundled["name"]
    )
    before = snapshot(home)
    data = ModernCollection(
        decks={1: anki_name}, notes=[ModernNote(1, ["Alpha", "First"], 1)]
    ).sqlite_bytes(tmp_path)
    path = package(tmp_path / "clash.apkg", data)
    outcome = run_cli(capsys, "import", str(path), "--with-history")
    assert outcome.code == 1, outcome
    assert len(outcome.err_lines) == 1 and "--force" in outcome.err
    assert repr(bundled["deck"]) in outcome.err
    assert snapshot(home) == before
    forced = run_cli(capsys, "import", str(path), "--force")
    assert forced.code == 0, forced
    after = {row["deck"]: row for row in json.loads(run_cli(capsys, "decks", "--json").out)}
    # An Anki deck is the trainer deck of the same name (so a round trip comes back to
    # the deck it left): --force replaces it, by file name or by display name alike.
    assert after[bundled["deck"]]["cards"] == 1


def test_deck_names_and_file_names_are_printed_escaped(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    title = "\x1b]0;pwned\x07Evil\x1b[2J\ntrainer: forged line"
    data = ModernCollection(
        decks={1: title},
        notes=[
            ModernNote(1, ["Alpha", "First"], 1),
            ModernNote(2, ["", "no term <img src='x\x1b[2J.png'>"], 1),
        ],
    ).sqlite_bytes(tmp_path)
    folder = tmp_path / "odd\nname\x1b[31m"
    folder.mkdir()
    path = package(folder / "pkg.apkg", data)
    outcome = run_cli(capsys, "import", str(path))
    assert outcome.code == 0, outcome
    for stream in (outcome.out, outcome.err):
        assert "\x1b" not in stream and "\x07" not in stream
        assert not any(line.startswith("trainer: forged") for line in stream.splitlines())
    assert len(outcome.out.splitlines()) == 1


def test_a_review_log_of_unexpected_types_reads_as_before(tmp_path: Path) -> None:
    """Review log rows with reals where Anki writes integers take the converting path."""
    import zipfile

    from tests.interop.conftest import LEGACY

    with zipfile.ZipFile(LEGACY) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    database = tmp_path / "legacy.sqlite"
    database.write_bytes(members["collection.anki21"])
    conn = sqlite3.connect(database)
    conn.execute("UPDATE revlog SET time = time + 0.5, factor = factor + 0.25")
    conn.commit()
    conn.close()
    members["collection.anki21"] = database.read_bytes()
    odd = read_package(write_zip(tmp_path / "odd.apkg", members))
    assert odd.revlog == read_package(LEGACY).revlog and len(odd.revlog) == 5
