"""SM-2 exactly as the README states it, checked against hand-worked sequences.

Every expected number below was worked out by hand from the rules in the README,
not computed with the code under test:

- q >= 3: I(1) = 1, I(2) = 6, I(n) = ceil(I(n-1) * EF) with EF taken *before*
  this answer's update; then EF' = EF + (0.1 - (5-q)(0.08 + (5-q)0.02)), >= 1.3;
  then n += 1.
- q < 3: n = 0, interval 1, EF unchanged, a lapse if n >= 1 before.
- due = answer day + interval; interval capped at 36,500 days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.core.sm2 import Grade, SM2State, review

DAY0 = dt.date(2026, 3, 4)
EF_TOLERANCE = 1e-9


def run(grades: list[int], start: dt.date = DAY0) -> list[SM2State]:
    """Answer each grade on the day the card falls due (the first on ``start``)."""
    state = SM2State()
    day = start
    states = []
    for grade in grades:
        state = review(state, grade, day)
        states.append(state)
        assert state.due is not None
        day = state.due
    return states


# ------------------------------------------------------------ golden sequences
GOLDEN = [
    pytest.param(
        [5, 5, 5, 5, 5],
        [1, 6, 17, 48, 140],  # 6*2.7=16.2 -> 17; 17*2.8=47.6 -> 48; 48*2.9=139.2 -> 140
        [2.6, 2.7, 2.8, 2.9, 3.0],
        id="all-perfect",
    ),
    pytest.param(
        [4, 4, 4, 4, 4],
        [1, 6, 15, 38, 95],  # EF stays 2.5: 6*2.5=15; 15*2.5=37.5 -> 38; 38*2.5=95
        [2.5, 2.5, 2.5, 2.5, 2.5],
        id="all-hesitant",
    ),
    pytest.param(
        [3, 3, 3, 3],
        [1, 6, 14, 30],  # EF before 3rd is 2.22: 13.32 -> 14; before 4th 2.08: 29.12 -> 30
        [2.36, 2.22, 2.08, 1.94],
        id="all-hard",
    ),
    pytest.param(
        [5, 3, 4, 3],
        [1, 6, 15, 37],  # 6*2.46=14.76 -> 15; 15*2.46=36.9 -> 37
        [2.6, 2.46, 2.46, 2.32],
        id="mixed-passing",
    ),
    pytest.param(
        [5, 5, 1, 5, 5, 5],
        [1, 6, 1, 1, 6, 18],  # lapse: EF stays 2.7; restart 1, 6, then 6*2.9=17.4 -> 18
        [2.6, 2.7, 2.7, 2.8, 2.9, 3.0],
        id="lapse-then-relearn",
    ),
    pytest.param(
        [3] * 10,
        # EF before answer k is the EF after answer k-1:
        # 6*2.22=13.32->14; 14*2.08=29.12->30; 30*1.94=58.2->59; 59*1.80=106.2->107;
        # 107*1.66=177.62->178; 178*1.52=270.56->271; 271*1.38=373.98->374; 374*1.3=486.2->487
        [1, 6, 14, 30, 59, 107, 178, 271, 374, 487],
        [2.36, 2.22, 2.08, 1.94, 1.80, 1.66, 1.52, 1.38, 1.3, 1.3],  # 1.24 floored to 1.3
        id="easiness-floor",
    ),
]


@pytest.mark.parametrize(("grades", "intervals", "easiness"), GOLDEN)
def test_golden_sequences(grades: list[int], intervals: list[int], easiness: list[float]) -> None:
    states = run(grades)
    assert [s.interval for s in states] == intervals
    assert [s.easiness for s in states] == pytest.approx(easiness, abs=EF_TOLERANCE)


def test_all_perfect_sequence_dates_and_repetitions() -> None:
    states = run([5, 5, 5, 5])
    assert [s.due for s in states] == [
        dt.date(2026, 3, 5),  # +1
        dt.date(2026, 3, 11),  # +6
        dt.date(2026, 3, 28),  # +17
        dt.date(2026, 5, 15),  # +48
    ]
    assert [s.repetitions for s in states] == [1, 2, 3, 4]
    assert all(s.lapses == 0 for s in states)


@pytest.mark.parametrize(
    ("grade", "easiness"),
    [
        (5, 2.6),  # +0.10
        (4, 2.5),  # +0.00
        (3, 2.36),  # -0.14
    ],
    ids=["q5", "q4", "q3"],
)
def test_easiness_update_per_grade_from_new(grade: int, easiness: float) -> None:
    state = review(SM2State(), grade, DAY0)
    assert state.easiness == pytest.approx(easiness, abs=EF_TOLERANCE)
    assert (state.repetitions, state.interval, state.due) == (1, 1, DAY0 + dt.timedelta(days=1))


# --------------------------------------------------------------- failed recall
@pytest.mark.parametrize("grade", [0, 1, 2], ids=["q0", "q1", "q2"])
def test_failure_resets_repetitions_keeps_easiness_and_counts_a_lapse(grade: int) -> None:
    before = SM2State(repetitions=4, easiness=2.18, interval=40, due=DAY0, lapses=2)
    after = review(before, grade, DAY0)
    assert after.repetitions == 0
    assert after.interval == 1
    assert after.due == DAY0 + dt.timedelta(days=1)
    assert after.easiness == 2.18
    assert after.lapses == 3


@pytest.mark.parametrize(
    ("repetitions", "lapses_after"),
    [(0, 0), (1, 1), (7, 1)],
    ids=["new-or-reset-no-lapse", "one-repetition-lapse", "mature-lapse"],
)
def test_lapse_counted_only_if_item_had_a_repetition(repetitions: int, lapses_after: int) -> None:
    state = SM2State(repetitions=repetitions, interval=1 if repetitions else 0)
    assert review(state, 1, DAY0).lapses == lapses_after


def test_repeated_failures_on_a_reset_item_count_one_lapse() -> None:
    states = run([5, 0, 0, 2])
    assert [s.lapses for s in states] == [0, 1, 1, 1]
    assert [s.repetitions for s in states] == [1, 0, 0, 0]


def test_failure_on_a_new_item_schedules_it_for_tomorrow() -> None:
    after = review(SM2State(), 0, DAY0)
    assert after == SM2State(repetitions=0, easiness=2.5, interval=1, due=DAY0 + dt.timedelta(1))


# ----------------------------------------------------------------- due and cap
def test_due_counts_from_the_answer_day_not_the_old_due_day() -> None:
    overdue = SM2State(repetitions=2, easiness=2.5, interval=6, due=dt.date(2026, 2, 1))
    after = review(overdue, 4, DAY0)
    assert after.interval == 15
    assert after.due == DAY0 + dt.timedelta(days=15)


@pytest.mark.parametrize(
    ("interval", "easiness"),
    [(30_000, 2.5), (36_500, 1.3), (36_499, 3.0)],
    ids=["would-be-75000", "at-cap-minimum-ef", "just-below-cap"],
)
def test_interval_is_capped_at_36500_days(interval: int, easiness: float) -> None:
    state = SM2State(repetitions=9, easiness=easiness, interval=interval, due=DAY0)
    after = review(state, 5, DAY0)
    assert after.interval == 36_500
    assert after.due == DAY0 + dt.timedelta(days=36_500)


def test_capped_interval_works_near_the_end_of_the_calendar_range() -> None:
    state = SM2State(repetitions=20, easiness=2.5, interval=36_500, due=dt.date(2100, 1, 1))
    assert review(state, 5, dt.date(2100, 1, 1)).due == dt.date(2100, 1, 1) + dt.timedelta(36_500)


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "quality",
    [-1, 6, 2.5, True, False, "3", None, 3.0],
    ids=["minus-one", "six", "float", "true", "false", "string", "none", "integral-float"],
)
def test_invalid_quality_is_refused(quality: object) -> None:
    with pytest.raises(ValueError, match="quality"):
        review(SM2State(), quality, DAY0)  # type: ignore[arg-type]


def test_grade_enum_is_accepted_as_its_integer() -> None:
    assert review(SM2State(), Grade.PERFECT, DAY0) == review(SM2State(), 5, DAY0)
    assert [int(g) for g in Grade] == [0, 1, 2, 3, 4, 5]


# --------------------------------------------------------------- immutability
@pytest.mark.parametrize("grade", [0, 3, 5], ids=["fail", "pass-hard", "perfect"])
def test_review_returns_a_new_state_and_leaves_the_input_alone(grade: int) -> None:
    before = SM2State(repetitions=3, easiness=2.2, interval=14, due=DAY0, lapses=1)
    snapshot = dataclasses.astuple(before)
    after = review(before, grade, DAY0)
    assert after is not before
    assert dataclasses.astuple(before) == snapshot


# ------------------------------------------------------------------ round trip
def test_to_dict_is_plain_data() -> None:
    state = SM2State(repetitions=2, easiness=2.6, interval=6, due=dt.date(2026, 3, 11), lapses=1)
    assert state.to_dict() == {
        "repetitions": 2,
        "easiness": 2.6,
        "interval": 6,
        "due": "2026-03-11",
        "lapses": 1,
    }
    assert SM2State().to_dict()["due"] is None


states = st.builds(
    SM2State,
    repetitions=st.integers(0, 1000),
    easiness=st.floats(1.3, 10.0, allow_nan=False),
    interval=st.integers(0, 36_500),
    due=st.none() | st.dates(dt.date(1970, 1, 1), dt.date(9999, 12, 31)),
    lapses=st.integers(0, 1000),
)


@given(states)
def test_from_dict_inverts_to_dict(state: SM2State) -> None:
    assert SM2State.from_dict(state.to_dict()) == state


# ------------------------------------------------------------------ invariants
grades = st.integers(0, 5)
passing_recall = st.integers(4, 5)
#: states the scheduler can actually reach: any history of answers from new
reachable_states = st.lists(grades, max_size=25).map(lambda g: run(g)[-1] if g else SM2State())


@given(st.lists(grades, min_size=1, max_size=60))
def test_easiness_never_drops_below_1_3(sequence: list[int]) -> None:
    assert all(s.easiness >= 1.3 for s in run(sequence))


@given(
    st.lists(grades, max_size=20),
    st.lists(passing_recall, min_size=1, max_size=30),
)
def test_intervals_never_shrink_on_grades_4_and_5(prefix: list[int], suffix: list[int]) -> None:
    history = run(prefix) if prefix else []
    state = history[-1] if history else SM2State()
    day = state.due or DAY0
    previous = state.interval
    for grade in suffix:
        state = review(state, grade, day)
        assert state.interval >= previous
        assert state.interval <= 36_500
        previous = state.interval
        assert state.due is not None
        day = state.due


@given(states, st.integers(0, 2), st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)))
def test_failing_grade_always_gives_interval_1_and_zero_repetitions(
    state: SM2State, grade: int, today: dt.date
) -> None:
    after = review(state, grade, today)
    assert (after.repetitions, after.interval) == (0, 1)
    assert after.due == today + dt.timedelta(days=1)
    assert after.easiness == state.easiness
    assert after.lapses == state.lapses + (1 if state.repetitions >= 1 else 0)


@given(reachable_states, st.integers(3, 5), st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)))
def test_passing_grade_increments_repetitions_and_due_matches_interval(
    state: SM2State, grade: int, today: dt.date
) -> None:
    after = review(state, grade, today)
    assert after.repetitions == state.repetitions + 1
    assert after.lapses == state.lapses
    assert 1 <= after.interval <= 36_500
    assert after.due == today + dt.timedelta(days=after.interval)


@given(
    repetitions=st.integers(0, 30),
    easiness=st.floats(1.3, 4.0),
    interval=st.integers(0, 40_000),
    lapses=st.integers(0, 20),
    quality=st.integers(0, 5),
    day=st.integers(0, 3000),
)
def test_plain_state_review_matches_the_field_by_field_replace(
    repetitions: int, easiness: float, interval: int, lapses: int, quality: int, day: int
) -> None:
    """A plain SM2State is rebuilt directly (fast); a subclass (FSRS's state) goes
    through ``dataclasses.replace``: both give the same SM-2 fields."""
    from trainer.core.memory import FSRSState

    today = dt.date(2020, 1, 1) + dt.timedelta(days=day)
    plain = SM2State(repetitions, easiness, interval, today, lapses)
    extended = FSRSState(repetitions, easiness, interval, today, lapses, 5.0, 6.0)
    after = review(plain, quality, today)
    other = review(extended, quality, today)
    assert type(after) is SM2State and type(other) is FSRSState
    assert dataclasses.astuple(after) == dataclasses.astuple(other)[:5]
    assert (other.stability, other.difficulty) == (5.0, 6.0)
