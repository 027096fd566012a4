"""The settings file: round trips, refusals that name the file, per-deck directions."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from trainer.app import locations
from trainer.app.settings import (
    Settings,
    SettingsError,
    change_setting,
    load_settings,
    save_settings,
)
from trainer.app.trainer import Trainer
from trainer.core.model import Direction
from trainer.core.queue import QueueKind

FWD = Direction.FORWARD
REV = Direction.REVERSE


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "settings.toml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message


def test_a_missing_file_means_the_defaults(path: Path) -> None:
    assert load_settings(path) == Settings()
    assert Settings() == Settings(new_per_day=20, reviews_per_day=200, rollover_hour=4, timezone="")


@pytest.mark.parametrize(
    "settings",
    [
        Settings(),
        Settings(new_per_day=0, reviews_per_day=100_000, rollover_hour=23, timezone="Asia/Tokyo"),
        Settings(
            new_per_day=7,
            deck_directions={"small": (REV,), "big-deck": (FWD, REV), "other": (REV, FWD)},
        ),
    ],
    ids=["defaults", "edges", "per-deck-directions"],
)
def test_save_then_load_round_trips(path: Path, settings: Settings) -> None:
    save_settings(settings, path)
    assert load_settings(path) == settings
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]  # no temp left


def test_the_saved_file_is_plain_toml(path: Path) -> None:
    save_settings(Settings(new_per_day=3, deck_directions={"small": (FWD, REV)}), path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["new_per_day"] == 3
    assert data["decks"] == {"small": {"directions": ["forward", "reverse"]}}


def test_a_hand_written_file_loads(path: Path) -> None:
    write(
        path,
        "new_per_day = 10\nrollover_hour = 0\ntimezone = 'Europe/Berlin'\n\n"
        "[decks.small]\ndirections = 'both'\n\n[decks.other]\ndirections = ['reverse']\n",
    )
    assert load_settings(path) == Settings(
        new_per_day=10,
        rollover_hour=0,
        timezone="Europe/Berlin",
        deck_directions={"small": (FWD, REV), "other": (REV,)},
    )


def test_a_bom_is_accepted(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbfnew_per_day = 3\n")
    assert load_settings(path).new_per_day == 3


# --------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("colour = 'blue'\n", "'colour'"),
        ("new_per_dya = 5\n", "'new_per_dya'"),
        ("[deck.small]\ndirections = 'both'\n", "'deck'"),
    ],
    ids=["unknown", "typo", "misspelt-table"],
)
def test_unknown_keys_are_refused_naming_the_file_and_key(
    path: Path, text: str, named: str
) -> None:
    assert named in refusal(write(path, text))


@pytest.mark.parametrize(
    "text",
    [
        "new_per_day = -1\n",
        "new_per_day = 10001\n",
        "reviews_per_day = 100001\n",
        "rollover_hour = 24\n",
        "rollover_hour = -1\n",
        "new_per_day = true\n",
        "new_per_day = 'many'\n",
        "new_per_day = 2.5\n",
        "rollover_hour = [4]\n",
    ],
    ids=[
        "new-negative",
        "new-too-many",
        "reviews-too-many",
        "hour-24",
        "hour-negative",
        "boolean",
        "word",
        "fraction",
        "list",
    ],
)
def test_out_of_range_and_wrong_type_values_are_refused(path: Path, text: str) -> None:
    key = text.split(" =")[0]
    message = refusal(write(path, text))
    assert key in message
    assert "whole number" in message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("new_per_day = \n", "line 1"),
        ("new_per_day = 5\nnew_per_day = 6\n", "line 2"),
        ("rollover_hour = 4\n[decks\n", "line 2"),
        ("x = 'unterminated\n", "end of document"),
    ],
    ids=["missing-value", "duplicate-key", "unclosed-table", "unterminated-string"],
)
def test_bad_toml_is_refused_with_the_file_and_where(path: Path, text: str, where: str) -> None:
    assert where in refusal(write(path, text))


def test_non_utf8_is_refused_with_the_file(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"timezone = 'Caf\xe9'\n")
    assert "UTF-8" in refusal(path)


@pytest.mark.parametrize(
    ("zone", "ok"),
    [
        ("UTC", True),
        ("America/New_York", True),
        ("", True),
        ("Mars/Olympus_Mons", False),
        ("../../etc/passwd", False),
        ("/etc/localtime", False),
        ("EST5EDT,M3.2.0,M11.1.0", False),
    ],
    ids=["utc", "new-york", "empty-means-local", "unknown", "traversal", "absolute", "posix-rule"],
)
def test_timezone_must_be_a_known_zone(path: Path, zone: str, ok: bool) -> None:
    write(path, f"timezone = {zone!r}\n")
    if ok:
        assert load_settings(path).timezone == zone
    else:
        assert repr(zone) in refusal(path)


# ------------------------------------------------------------ per-deck directions
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("'forward'", (FWD,)),
        ("'reverse'", (REV,)),
        ("'both'", (FWD, REV)),
        ("['both']", (FWD, REV)),
        ("['reverse', 'forward']", (REV, FWD)),
        ("['forward', 'forward']", (FWD,)),
    ],
    ids=["forward", "reverse", "both", "both-in-list", "ordered", "deduplicated"],
)
def test_per_deck_directions(path: Path, value: str, expected: tuple[Direction, ...]) -> None:
    write(path, f"[decks.small]\ndirections = {value}\n")
    assert load_settings(path).deck_directions == {"small": expected}


@pytest.mark.parametrize(
    "text",
    [
        "[decks.small]\ndirections = 'sideways'\n",
        "[decks.small]\ndirections = []\n",
        "[decks.small]\ndirections = 3\n",
        "[decks.small]\ndirections = ['forward', 'both']\n",
        "[decks.small]\nnew_per_day = 3\n",
        "decks = 5\n",
        "[decks]\nsmall = 'both'\n",
    ],
    ids=[
        "unknown-direction",
        "empty-list",
        "number",
        "both-mixed-in",
        "other-deck-setting",
        "decks-not-a-table",
        "deck-not-a-table",
    ],
)
def test_bad_deck_settings_are_refused(path: Path, text: str) -> None:
    message = refusal(write(path, text))
    assert "decks" in message


def test_per_deck_directions_change_what_is_studied(
    make_trainer: Callable[..., Trainer],
) -> None:
    settings = Settings(deck_directions={"small": (FWD, REV), "absent": (REV,)})
    both = make_trainer(replace(settings, bury_siblings=False))
    queue = both.queue()
    assert [(e.card_id, e.direction) for e in queue] == [
        ("small/alpha", FWD),
        ("small/beta", FWD),
        ("small/alpha", REV),
        ("small/beta", REV),
        ("small/gamma", FWD),
        ("small/gamma", REV),
    ]  # siblings never back to back while another card waits
    assert all(e.kind is QueueKind.NEW for e in queue)
    buried = make_trainer(settings).queue()  # by default one direction of a card a day
    assert [(e.card_id, e.direction) for e in buried] == [
        ("small/alpha", FWD),
        ("small/beta", FWD),
        ("small/gamma", FWD),
    ]
    reverse_only = make_trainer(Settings(deck_directions={"small": (REV,)}))
    assert {e.direction for e in reverse_only.queue()} == {REV}


# ------------------------------------------------------------ change_setting (CLI)
@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("new_per_day", "7", Settings(new_per_day=7)),
        ("reviews_per_day", "0", Settings(reviews_per_day=0)),
        ("rollover_hour", " 3 ", Settings(rollover_hour=3)),
        ("timezone", "Europe/Berlin", Settings(timezone="Europe/Berlin")),
        ("timezone", "", Settings(timezone="")),
        ("decks.small.directions", "both", Settings(deck_directions={"small": (FWD, REV)})),
        (
            "decks.small.directions",
            "reverse, forward",
            Settings(deck_directions={"small": (REV, FWD)}),
        ),
    ],
    ids=["new", "reviews-zero", "hour-spaces", "zone", "zone-cleared", "both", "comma-list"],
)
def test_change_setting(key: str, value: str, expected: Settings) -> None:
    assert change_setting(Settings(), key, value) == expected


def test_change_setting_keeps_other_decks() -> None:
    start = Settings(deck_directions={"a": (REV,)})
    changed = change_setting(start, "decks.b.directions", "both")
    assert changed.deck_directions == {"a": (REV,), "b": (FWD, REV)}
    assert start.deck_directions == {"a": (REV,)}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("colour", "blue"),
        ("deck_directions", "both"),
        ("decks.small", "both"),
        ("new_per_day", "2.5"),
        ("new_per_day", "seven"),
        ("rollover_hour", "24"),
        ("timezone", "Nowhere/Special"),
        ("decks.small.directions", "up"),
    ],
    ids=[
        "unknown",
        "internal-field",
        "incomplete-deck-key",
        "fraction",
        "word",
        "hour-24",
        "zone",
        "direction",
    ],
)
def test_change_setting_refuses(key: str, value: str) -> None:
    with pytest.raises(SettingsError):
        change_setting(Settings(), key, value)


# -------------------------------------------------------------------- locations
def test_settings_path_follows_trainer_home_and_trainer_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_user_area: Path
) -> None:
    assert locations.settings_path() == isolated_user_area / "settings.toml"
    monkeypatch.setenv("TRAINER_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert locations.settings_path() == tmp_path / "elsewhere.toml"
