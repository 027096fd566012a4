"""User settings: a small TOML file the user may edit or change through ``trainer config``.

Unknown keys are refused with the file and key named, so a typo never silently
does nothing. Per-deck directions live in a ``[decks.<slug>]`` table and
override the deck file's own ``directions``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from trainer.core.model import Direction
from trainer.errors import TrainerError


class SettingsError(TrainerError, ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    new_per_day: int = 20
    reviews_per_day: int = 200
    rollover_hour: int = 4
    timezone: str = ""
    leech_lapses: int = 8
    leech_action: str = "mark"
    #: "sm2" (the default) or "fsrs"; switching replays the review log
    scheduler: str = "sm2"
    #: FSRS schedules each review for the day recall is expected to fall to this
    desired_retention: float = 0.9
    #: the grade ``enter``/``space`` give after reveal, as Anki's "Good"
    default_grade: int = 4
    #: once one direction of a card is answered in study, the other waits for another day
    bury_siblings: bool = True
    deck_directions: Mapping[str, tuple[Direction, ...]] = field(default_factory=dict)


SCALAR_LIMITS: dict[str, tuple[int, int]] = {
    "new_per_day": (0, 10_000),
    "reviews_per_day": (0, 100_000),
    "rollover_hour": (0, 23),
    "leech_lapses": (1, 1000),
    "default_grade": (0, 5),
}
#: a settings file is a few lines; a larger one is not a settings file
MAX_SETTINGS_BYTES = 4 * 1024 * 1024
LEECH_ACTIONS = ("mark", "suspend")
SCHEDULERS = ("sm2", "fsrs")
RETENTION_LIMITS = (0.70, 0.97)
SCALAR_KEYS = (
    *SCALAR_LIMITS,
    "timezone",
    "leech_action",
    "scheduler",
    "desired_retention",
    "bury_siblings",
)
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def load_settings(path: Path) -> Settings:
    from trainer.app.files import FileRefused, read_bounded, shown

    if not path.exists() and not path.is_symlink():
        return Settings()
    where = shown(path)
    try:
        data = tomllib.loads(
            read_bounded(path, MAX_SETTINGS_BYTES, "settings file").decode("utf-8-sig")
        )
    except FileRefused as error:
        raise SettingsError(str(error)) from None
    except UnicodeDecodeError:
        raise SettingsError(f"{where}: not valid UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{where}: {error}") from None
    except RecursionError:  # tomllib reads nested arrays and tables recursively
        raise SettingsError(f"{where}: not a settings file (nested too deeply)") from None
    return settings_from_data(data, where)


def settings_from_data(data: Mapping[str, Any], source: str) -> Settings:
    settings = Settings()
    for key, value in data.items():
        if key == "decks":
            settings = replace(settings, deck_directions=_deck_directions(value, source))
        elif key in SCALAR_KEYS:
            settings = replace(settings, **{key: parse_value(key, value, source)})
        else:
            raise SettingsError(f"{source}: unknown setting {key!r}")
    return settings


def parse_value(key: str, value: Any, source: str = "setting") -> Any:
    """Check one scalar setting; accepts strings from the command line too."""
    if key == "timezone":
        return _timezone(str(value), source)
    if key == "bury_siblings":
        return _boolean(key, value, source)
    if key == "leech_action":
        if value not in LEECH_ACTIONS:
            raise SettingsError(f"{source}: leech_action must be mark or suspend, got {value!r}")
        return value
    if key == "scheduler":
        if value not in SCHEDULERS:
            raise SettingsError(f"{source}: scheduler must be sm2 or fsrs, got {value!r}")
        return value
    if key == "desired_retention":
        return _retention(value, source)
    if key not in SCALAR_LIMITS:
        known = ", ".join([*SCALAR_KEYS, "decks.<slug>.directions"])
        raise SettingsError(f"{source}: unknown setting {key!r} (known: {known})")
    low, high = SCALAR_LIMITS[key]
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        number = int(value)
    if number is None or not low <= number <= high:
        raise SettingsError(f"{source}: {key} must be a whole number {low}-{high}, got {value!r}")
    return number


def _retention(value: Any, source: str) -> float:
    """A share of answers to be recalled, 0.70-0.97, as a number or a numeric string."""
    low, high = RETENTION_LIMITS
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(value, str):
        numeric = re.fullmatch(r"\s*[0-9]*\.?[0-9]+\s*", value) is not None
    number = float(value) if numeric else None
    if number is None or not low <= number <= high:
        raise SettingsError(
            f"{source}: desired_retention must be a number {low:.2f}-{high:.2f}, got {value!r}"
        )
    return round(number, 4)


def _boolean(key: str, value: Any, source: str) -> bool:
    """A TOML boolean, or on the command line true/false, yes/no, on/off, 1/0."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError(f"{source}: {key} must be true or false, got {value!r}")


def _timezone(name: str, source: str) -> str:
    if not name:
        return ""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SettingsError(f"{source}: unknown timezone {name!r}") from None
    return name


def parse_directions(value: Any, source: str) -> tuple[Direction, ...]:
    names = [value] if isinstance(value, str) else value
    if isinstance(names, str) or not isinstance(names, list) or not names:
        names = None
    try:
        if names is None:
            raise ValueError
        if len(names) == 1 and names[0] == "both":
            return (Direction.FORWARD, Direction.REVERSE)
        return tuple(dict.fromkeys(Direction(str(n).strip()) for n in names))
    except ValueError:
        raise SettingsError(
            f"{source}: directions must be forward, reverse or both, got {value!r}"
        ) from None


def _deck_directions(value: Any, source: str) -> dict[str, tuple[Direction, ...]]:
    if not isinstance(value, Mapping):
        raise SettingsError(f"{source}: [decks] must be a table of deck settings")
    result: dict[str, tuple[Direction, ...]] = {}
    for slug, table in value.items():
        if not isinstance(table, Mapping) or set(table) - {"directions"}:
            raise SettingsError(f"{source}: [decks.{slug}] may only set 'directions'")
        if "directions" in table:
            result[slug] = parse_directions(table["directions"], f"{source}: decks.{slug}")
    return result


def settings_to_data(settings: Settings) -> dict[str, Any]:
    data: dict[str, Any] = {
        f.name: getattr(settings, f.name) for f in fields(settings) if f.name in SCALAR_KEYS
    }
    if settings.deck_directions:
        data["decks"] = {
            slug: {"directions": [str(d) for d in directions]}
            for slug, directions in sorted(settings.deck_directions.items())
        }
    return data


def save_settings(settings: Settings, path: Path) -> None:
    import tomli_w

    from trainer.app.files import write_atomically

    write_atomically(path, tomli_w.dumps(settings_to_data(settings)))


def change_setting(settings: Settings, key: str, value: str) -> Settings:
    """Apply ``trainer config KEY VALUE``; the key is checked before anything is saved."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "decks" and parts[2] == "directions":
        directions = parse_directions(
            [v.strip() for v in value.split(",")] if "," in value else value, key
        )
        return replace(settings, deck_directions={**settings.deck_directions, parts[1]: directions})
    return replace(settings, **{key: parse_value(key, value, key)})
