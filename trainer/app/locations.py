"""Where the trainer keeps things, with environment overrides.

``TRAINER_HOME`` moves the whole user area (database, user decks, settings)
somewhere else, which is what the test suite does for every test; ``TRAINER_DB``
and ``--db`` move only the database. Defaults follow the platform's
conventions through platformdirs.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "trainer"


def _home_override() -> Path | None:
    value = os.environ.get("TRAINER_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    if (home := _home_override()) is not None:
        return home
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_dir() -> Path:
    if (home := _home_override()) is not None:
        return home
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def database_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    if value := os.environ.get("TRAINER_DB"):
        return Path(value).expanduser()
    return data_dir() / "trainer.db"


def user_decks_dir(db_path: Path) -> Path:
    """User decks live beside the database they belong to."""
    return db_path.parent / "decks"


def settings_path() -> Path:
    if value := os.environ.get("TRAINER_CONFIG"):
        return Path(value).expanduser()
    return config_dir() / "settings.toml"


def bundled_decks_dir() -> Path:
    """Decks shipped with the program: inside the wheel, or the repo's decks/."""
    package = Path(__file__).resolve().parent.parent  # trainer/
    installed = package / "bundled_decks"
    if installed.is_dir():
        return installed
    return package.parent / "decks"
