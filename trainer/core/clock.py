"""Time as the rest of the program sees it.

The program never calls ``datetime.now()`` outside this module's
``SystemClock``: every other piece receives a clock (or a ``now``) so tests and
the ``TRAINER_NOW`` override can move time freely. Instants are always aware
UTC datetimes; *study days* are local calendar days that start at the rollover
hour, so an answer given at 01:30 still belongs to the evening before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

DEFAULT_ROLLOVER_HOUR = 4


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass
class FixedClock:
    """A clock that only moves when told to: for tests and ``TRAINER_NOW``."""

    instant: dt.datetime

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self.instant = self.instant.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self.instant

    def advance(self, **delta: float) -> None:
        self.instant += dt.timedelta(**delta)


def study_day(
    instant: dt.datetime, tz: dt.tzinfo, rollover_hour: int = DEFAULT_ROLLOVER_HOUR
) -> dt.date:
    """The local study day an instant belongs to.

    The day starts at ``rollover_hour`` local time rather than midnight, so a
    late-night session counts for the day the learner is still living in.
    """
    if not 0 <= rollover_hour <= 23:
        raise ValueError(f"rollover hour must be 0-23, got {rollover_hour}")
    local = instant.astimezone(tz)
    return (local - dt.timedelta(hours=rollover_hour)).date()


def day_start(
    day: dt.date, tz: dt.tzinfo, rollover_hour: int = DEFAULT_ROLLOVER_HOUR
) -> dt.datetime:
    """The UTC instant at which a study day begins (inverse of ``study_day``)."""
    local = dt.datetime.combine(day, dt.time(rollover_hour), tzinfo=tz)
    return local.astimezone(dt.UTC)


def parse_instant(text: str, tz: dt.tzinfo) -> dt.datetime:
    """Parse an ISO timestamp; a naive one is read as local time in ``tz``."""
    value = dt.datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(dt.UTC)
