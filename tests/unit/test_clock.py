"""Study days, the rollover hour, time zones and the fixed clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.core.clock import FixedClock, day_start, parse_instant, study_day

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # half-hour DST shift


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("instant", "tz", "expected"),
    [
        (utc(2026, 3, 4, 1, 30), UTC, dt.date(2026, 3, 3)),
        (utc(2026, 3, 4, 3, 59, 59, 999_999), UTC, dt.date(2026, 3, 3)),
        (utc(2026, 3, 4, 4, 0), UTC, dt.date(2026, 3, 4)),
        (utc(2026, 3, 4, 23, 59), UTC, dt.date(2026, 3, 4)),
        (utc(2026, 3, 5, 0, 0), UTC, dt.date(2026, 3, 4)),
        # 2026-03-04 01:30 in Tokyo is 2026-03-03 16:30 UTC
        (utc(2026, 3, 3, 16, 30), TOKYO, dt.date(2026, 3, 3)),
        (utc(2026, 3, 3, 19, 0), TOKYO, dt.date(2026, 3, 4)),  # 04:00 JST
        # New York, spring forward on 2026-03-08 at 02:00 EST -> 03:00 EDT
        (utc(2026, 3, 8, 6, 30), NEW_YORK, dt.date(2026, 3, 7)),  # 01:30 EST
        (utc(2026, 3, 8, 7, 59), NEW_YORK, dt.date(2026, 3, 7)),  # 03:59 EDT
        (utc(2026, 3, 8, 8, 0), NEW_YORK, dt.date(2026, 3, 8)),  # 04:00 EDT
        (utc(2026, 3, 7, 9, 0), NEW_YORK, dt.date(2026, 3, 7)),  # 04:00 EST the day before
        # New York, fall back on 2026-11-01 at 02:00 EDT -> 01:00 EST
        (utc(2026, 11, 1, 5, 30), NEW_YORK, dt.date(2026, 10, 31)),  # 01:30 EDT
        (utc(2026, 11, 1, 6, 30), NEW_YORK, dt.date(2026, 10, 31)),  # 01:30 EST (repeat)
        (utc(2026, 11, 1, 8, 59), NEW_YORK, dt.date(2026, 10, 31)),  # 03:59 EST
        (utc(2026, 11, 1, 9, 0), NEW_YORK, dt.date(2026, 11, 1)),  # 04:00 EST
    ],
    ids=[
        "utc-0130-previous-day",
        "utc-just-before-rollover",
        "utc-0400-exactly-new-day",
        "utc-late-evening",
        "utc-midnight-still-evening-before",
        "tokyo-0130-previous-day",
        "tokyo-0400-new-day",
        "ny-spring-0130-est",
        "ny-spring-0359-edt",
        "ny-spring-0400-edt",
        "ny-day-before-spring-0400-est",
        "ny-fall-0130-edt",
        "ny-fall-0130-est-repeat",
        "ny-fall-0359-est",
        "ny-fall-0400-est",
    ],
)
def test_study_day_with_default_rollover(
    instant: dt.datetime, tz: dt.tzinfo, expected: dt.date
) -> None:
    assert study_day(instant, tz) == expected


@pytest.mark.parametrize(
    ("rollover", "expected"),
    [(0, dt.date(2026, 3, 4)), (1, dt.date(2026, 3, 4)), (2, dt.date(2026, 3, 3))],
    ids=["midnight", "one", "two"],
)
def test_rollover_hour_moves_the_day_boundary(rollover: int, expected: dt.date) -> None:
    assert study_day(utc(2026, 3, 4, 1, 30), UTC, rollover) == expected


@pytest.mark.parametrize("rollover", [-1, 24, 99], ids=["negative", "24", "99"])
def test_rollover_hour_out_of_range_is_refused(rollover: int) -> None:
    with pytest.raises(ValueError, match="rollover"):
        study_day(utc(2026, 3, 4, 9), UTC, rollover)


@pytest.mark.parametrize(
    ("day", "tz", "expected"),
    [
        (dt.date(2026, 3, 4), UTC, utc(2026, 3, 4, 4)),
        (dt.date(2026, 3, 7), NEW_YORK, utc(2026, 3, 7, 9)),  # 04:00 EST
        (dt.date(2026, 3, 8), NEW_YORK, utc(2026, 3, 8, 8)),  # 04:00 EDT
        (dt.date(2026, 11, 1), NEW_YORK, utc(2026, 11, 1, 9)),  # 04:00 EST
        (dt.date(2026, 3, 4), TOKYO, utc(2026, 3, 3, 19)),
    ],
    ids=["utc", "ny-before-dst", "ny-dst-day", "ny-fall-back-day", "tokyo"],
)
def test_day_start_is_the_rollover_instant_in_utc(
    day: dt.date, tz: dt.tzinfo, expected: dt.datetime
) -> None:
    start = day_start(day, tz)
    assert start == expected
    assert start.utcoffset() == dt.timedelta(0)


@given(
    day=st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)),
    tz=st.sampled_from([UTC, NEW_YORK, TOKYO, LORD_HOWE, ZoneInfo("Europe/Berlin")]),
    rollover=st.integers(0, 23),
)
def test_day_start_inverts_study_day(day: dt.date, tz: dt.tzinfo, rollover: int) -> None:
    start = day_start(day, tz, rollover)
    assert study_day(start, tz, rollover) == day
    assert study_day(start - dt.timedelta(microseconds=1), tz, rollover) == day - dt.timedelta(1)


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2026-03-04T09:00", UTC, utc(2026, 3, 4, 9)),
        ("2026-03-04T09:00", NEW_YORK, utc(2026, 3, 4, 14)),  # naive = local EST
        ("2026-07-04T09:00", NEW_YORK, utc(2026, 7, 4, 13)),  # naive = local EDT
        ("2026-03-04T09:00+01:00", NEW_YORK, utc(2026, 3, 4, 8)),  # aware ignores tz
        ("2026-03-04T09:00Z", TOKYO, utc(2026, 3, 4, 9)),
        ("  2026-03-04 09:00:30  ", UTC, utc(2026, 3, 4, 9, 0, 30)),
        ("2026-03-04", TOKYO, utc(2026, 3, 3, 15)),  # a date alone is local midnight
    ],
    ids=["naive-utc", "naive-ny-winter", "naive-ny-summer", "aware", "zulu", "spaces", "date"],
)
def test_parse_instant(text: str, tz: dt.tzinfo, expected: dt.datetime) -> None:
    value = parse_instant(text, tz)
    assert value == expected
    assert value.tzinfo is UTC


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01T00:00", "09:00"])
def test_parse_instant_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text, UTC)


def test_fixed_clock_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(dt.datetime(2026, 3, 4, 9, 0))


def test_fixed_clock_normalizes_to_utc_and_moves_only_when_told() -> None:
    clock = FixedClock(dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    assert clock.now() == utc(2026, 3, 4, 9)
    assert clock.now().tzinfo is UTC
    assert clock.now() == clock.now()
    clock.advance(days=1, hours=2)
    assert clock.now() == utc(2026, 3, 5, 11)
