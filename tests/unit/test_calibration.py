"""The scheduler check's figures: log loss, AUC, calibration, and which answers are judged."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.core.calibration import (
    auc,
    calibration,
    card_histories,
    judged_answers,
    log_loss,
    score,
    split_day,
)
from trainer.core.memory import rating_of_grade, sm2_implied_recall
from trainer.core.model import Direction, Mode, ReviewRecord
from trainer.core.sm2 import SM2State

DAY = dt.date(2026, 3, 2)


def test_log_loss_by_hand() -> None:
    assert log_loss([0.9, 0.9], [True, False]) == pytest.approx(
        -(math.log(0.9) + math.log(0.1)) / 2
    )
    assert log_loss([], []) is None
    # a certain miss costs a large but finite loss
    assert 10 < log_loss([1.0], [False]) < 20  # type: ignore[operator]


def pairwise_auc(predictions: list[float], outcomes: list[bool]) -> float:
    """The definition: the share of (recalled, forgotten) pairs ranked right, ties half."""
    pairs = [
        (p, q)
        for (p, a), (q, b) in itertools.product(zip(predictions, outcomes, strict=True), repeat=2)
        if a and not b
    ]
    return sum(1.0 if p > q else 0.5 if p == q else 0.0 for p, q in pairs) / len(pairs)


@given(
    st.lists(
        st.tuples(st.sampled_from([0.1, 0.3, 0.5, 0.7, 0.9]), st.booleans()),
        min_size=2,
        max_size=40,
    )
)
def test_auc_is_the_share_of_pairs_ranked_right(points: list[tuple[float, bool]]) -> None:
    predictions = [p for p, _ in points]
    outcomes = [o for _, o in points]
    if all(outcomes) or not any(outcomes):
        assert auc(predictions, outcomes) is None
    else:
        assert auc(predictions, outcomes) == pytest.approx(pairwise_auc(predictions, outcomes))


def test_auc_of_a_perfect_a_reversed_and_a_constant_ranking() -> None:
    assert auc([0.2, 0.8], [False, True]) == 1.0
    assert auc([0.8, 0.2], [False, True]) == 0.0
    assert auc([0.5, 0.5, 0.5], [False, True, True]) == 0.5


def test_calibration_bins_hold_every_answer_and_their_rates() -> None:
    bins = calibration([0.05, 0.15, 0.12, 0.95, 1.0], [False, True, False, True, True])
    assert [(b.low, b.reviews) for b in bins] == [(0.0, 1), (0.1, 2), (0.9, 2)]
    assert bins[1].predicted == pytest.approx(0.135)
    assert bins[1].actual == 0.5
    assert bins[2].actual == 1.0


def test_a_calibrated_predictor_scores_better_than_a_wrong_one() -> None:
    rng = random.Random(3)
    truth = [rng.uniform(0.3, 1.0) for _ in range(4000)]
    outcomes = [rng.random() < p for p in truth]
    good, bad = score(truth, outcomes), score([0.99] * len(truth), outcomes)
    assert good.log_loss < bad.log_loss  # type: ignore[operator]
    assert good.auc > 0.6 and bad.auc == 0.5  # type: ignore[operator]
    for b in good.calibration:
        if b.reviews > 200:
            assert abs(b.actual - b.predicted) < 0.06
    assert good.to_dict()["reviews"] == 4000


def record(card: str, day: int, grade: int, mode: Mode = Mode.STUDY) -> ReviewRecord:
    at = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC) + dt.timedelta(days=day)
    return ReviewRecord(
        f"{card}-{day}-{mode}", card, Direction.FORWARD, at, at.date(), grade, mode, None,
        SM2State(), SM2State(),
    )  # fmt: skip


def test_judged_answers_skip_first_answers_drills_and_same_day_answers() -> None:
    log = [
        record("a", 0, 4),
        record("a", 0, 4, Mode.DRILL),
        record("a", 0, 5, Mode.QUIZ),  # a second scheduling answer the same day
        record("b", 1, 1),
        record("a", 3, 2),
        record("b", 2, 4),
    ]
    judged = judged_answers(card_histories(sorted(log, key=lambda r: r.answered_at)))
    assert [(a.key[0], a.day, a.elapsed_days, a.recalled) for a in judged] == [
        ("b", DAY + dt.timedelta(days=2), 1, True),
        ("a", DAY + dt.timedelta(days=3), 3, False),
    ]
    assert judged[1].index == 2  # its place among the card's scheduling answers


def test_the_split_keeps_whole_days_on_each_side() -> None:
    log = [record(f"c{i}", 0, 4) for i in range(6)]
    log += [record(f"c{i}", 1 + i // 2, 4) for i in range(6)]
    judged = judged_answers(card_histories(log))
    cut = split_day(judged)
    assert cut == DAY + dt.timedelta(days=3)
    assert split_day([]) is None


def test_grades_map_onto_fsrs_ratings() -> None:
    assert [rating_of_grade(g) for g in range(6)] == [1, 1, 1, 2, 3, 4]
    for bad in (-1, 6, True, 2.5):
        with pytest.raises(ValueError):
            rating_of_grade(bad)  # type: ignore[arg-type]


def test_sm2s_implied_recall_is_ninety_percent_on_time() -> None:
    assert sm2_implied_recall(10, 10) == pytest.approx(0.9)
    assert sm2_implied_recall(20, 10) == pytest.approx(0.81)
    assert sm2_implied_recall(0, 10) == 1.0
    assert sm2_implied_recall(3, 0) == pytest.approx(0.9**3)  # an interval is at least a day


def test_sm2_intervals_are_those_a_replay_gives() -> None:
    from trainer.core.sm2 import SM2, intervals

    rng = random.Random(4)
    sm2 = SM2()
    for _ in range(200):
        grades = [rng.choice((0, 1, 2, 3, 4, 4, 5, 5)) for _ in range(rng.randint(0, 30))]
        state, day, replayed = sm2.new_state(), dt.date(2026, 1, 1), []
        for grade in grades:
            state = sm2.review(state, grade, day)
            replayed.append(state.interval)
            day = state.due
        assert list(intervals(grades)) == replayed
    with pytest.raises(ValueError):
        list(intervals([4, 6]))
