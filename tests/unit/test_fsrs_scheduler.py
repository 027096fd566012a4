"""FSRS behind the scheduler protocol: deterministic, day-based, fitted to the learner."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import fsrs
import pytest

from trainer.app.fsrs_scheduler import (
    DEFAULT_PARAMETERS,
    MIN_REVIEWS_TO_FIT,
    FSRSScheduler,
    _instant,
    fit_parameters,
)
from trainer.app.quiz_run import QuizOptions, QuizRun
from trainer.app.settings import Settings, SettingsError, change_setting, settings_from_data
from trainer.app.trainer import Trainer
from trainer.core.calibration import card_histories
from trainer.core.clock import FixedClock
from trainer.core.load_forecast import simulate_load
from trainer.core.memory import FSRSState
from trainer.core.model import Direction, Mode, ReviewRecord
from trainer.core.replay import replay
from trainer.core.scheduler import Phase
from trainer.core.sm2 import SM2, SM2State

F = Direction.FORWARD
DAY = dt.date(2026, 1, 5)


def test_a_first_answer_schedules_whole_days_from_the_initial_stability() -> None:
    scheduler = FSRSScheduler()
    for grade, rating in ((1, 1), (3, 2), (4, 3), (5, 4)):
        state = scheduler.review(scheduler.new_state(), grade, DAY)
        assert state.stability == pytest.approx(DEFAULT_PARAMETERS[rating - 1])
        assert state.interval >= 1
        assert state.due == DAY + dt.timedelta(days=state.interval)


def test_recall_on_the_due_day_is_the_desired_retention() -> None:
    for retention in (0.7, 0.8, 0.9, 0.97):
        scheduler = FSRSScheduler(desired_retention=retention)
        state = scheduler.new_state()
        day = DAY
        for _ in range(3):  # before the intervals reach the 100-year cap
            state = scheduler.review(state, 4, day)
            day = state.due
        # intervals are whole days, so the recall on the due day is close, not exact
        assert scheduler.recall(state, state.due) == pytest.approx(retention, abs=0.01)
    assert FSRSScheduler().recall(FSRSState(), DAY) is None


def test_a_lower_retention_schedules_longer_intervals() -> None:
    def interval(retention: float) -> int:
        scheduler = FSRSScheduler(desired_retention=retention)
        state = scheduler.review(scheduler.new_state(), 4, DAY)
        return scheduler.review(state, 4, state.due).interval

    assert interval(0.7) > interval(0.9) > interval(0.97)


def test_counts_follow_sm2s_rules_so_phases_and_leeches_match() -> None:
    fsrs_scheduler, sm2 = FSRSScheduler(), SM2()
    a, b = fsrs_scheduler.new_state(), sm2.new_state()
    day = DAY
    for grade in (4, 5, 4, 1, 3, 4, 0, 0, 4):
        a = fsrs_scheduler.review(a, grade, day)
        b = sm2.review(b, grade, day)
        assert (a.repetitions, a.lapses, a.easiness) == (b.repetitions, b.lapses, b.easiness)
        day = max(a.due, b.due)  # type: ignore[type-var]
    assert fsrs_scheduler.phase(FSRSState()) is Phase.NEW
    assert fsrs_scheduler.phase(a) is sm2.phase(replace(b, interval=a.interval))


def answers(seed: int, cards: int = 40, days: int = 200) -> list[ReviewRecord]:
    """A log with drills and same-day answers mixed in, in time order."""
    rng = random.Random(seed)
    log = []
    start = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    for card in range(cards):
        day = rng.randrange(20)
        while day < days:
            at = start + dt.timedelta(days=day, minutes=card)
            grade = rng.choice((1, 3, 4, 4, 4, 5))
            log.append(_record(f"d/{card}", at, grade, Mode.STUDY))
            if grade < 3:  # a drill the same day, and sometimes a quiz as well
                log.append(_record(f"d/{card}", at + dt.timedelta(minutes=5), 4, Mode.DRILL))
            if rng.random() < 0.1:
                log.append(_record(f"d/{card}", at + dt.timedelta(minutes=9), 2, Mode.QUIZ))
            day += rng.choice((1, 2, 3, 5, 8, 13))
    return sorted(log, key=lambda r: r.answered_at)


def _record(card: str, at: dt.datetime, grade: int, mode: Mode) -> ReviewRecord:
    return ReviewRecord(
        f"{card}@{at.isoformat()}{mode}", card, F, at, at.date(), grade, mode, None,
        SM2State(), SM2State(),
    )  # fmt: skip


def test_replays_are_deterministic_and_drills_never_move_a_state() -> None:
    log = answers(1)
    first = replay(FSRSScheduler(), log)
    assert first == replay(FSRSScheduler(), log)
    without_drills = [r for r in log if r.mode is not Mode.DRILL]
    assert replay(FSRSScheduler(), without_drills) == first


def test_a_day_of_only_same_day_answers_does_not_crash() -> None:
    at = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    log = [
        _record("d/x", at, 1, Mode.STUDY),
        _record("d/x", at + dt.timedelta(minutes=1), 4, Mode.DRILL),
        _record("d/x", at + dt.timedelta(minutes=2), 2, Mode.QUIZ),
        _record("d/x", at + dt.timedelta(minutes=3), 5, Mode.QUIZ),
    ]
    state = replay(FSRSScheduler(), log)[("d/x", F)].state
    assert state.due > at.date() and state.stability > 0
    assert fit_parameters(card_histories(log)).fitted is False  # nothing to learn from


def test_too_few_answers_keep_the_defaults_and_say_why() -> None:
    fit = fit_parameters(card_histories(answers(2, cards=5, days=60)))
    assert not fit.fitted
    assert fit.parameters == DEFAULT_PARAMETERS
    assert f"fewer than {MIN_REVIEWS_TO_FIT}" in fit.reason


def test_a_fit_to_a_learners_log_is_within_py_fsrs_bounds_and_used() -> None:
    log = answers(3, cards=80, days=300)
    fit = fit_parameters(card_histories(log))
    assert fit.fitted and fit.reviews >= MIN_REVIEWS_TO_FIT
    assert fit.parameters != DEFAULT_PARAMETERS
    fsrs.Scheduler(parameters=fit.parameters)  # py-fsrs checks every bound
    assert fit_parameters(card_histories(log)) == fit  # the optimizer is seeded
    # fitted only on what came before a day: the later answers change nothing
    cut = dt.date(2026, 6, 1)
    assert fit_parameters(card_histories(log), before=cut) == fit_parameters(
        card_histories([r for r in log if r.day < cut]), before=cut
    )


def test_an_sm2_state_met_by_fsrs_gets_a_memory_state_from_its_ease_and_interval() -> None:
    state = SM2State(repetitions=4, easiness=2.5, interval=30, due=DAY, lapses=0)
    after = FSRSScheduler().review(state, 4, DAY)
    assert after.interval > 30 and after.stability > 30  # type: ignore[operator]


def test_sm2_reads_only_the_sm2_part_of_an_fsrs_state() -> None:
    fsrs_state = FSRSScheduler().review(FSRSState(), 4, DAY)
    after = SM2().review(fsrs_state, 4, DAY + dt.timedelta(days=1))
    assert type(after) is SM2State


def test_the_forecast_is_seeded_and_counts_what_falls_due() -> None:
    scheduler = FSRSScheduler()
    log = answers(4)
    states = [r.state for r in replay(scheduler, log).values()]
    today = dt.date(2026, 7, 20)

    def recall(state: FSRSState, day: dt.date) -> float:
        return scheduler.recall(state, day) or 0.0

    run = lambda **kw: simulate_load(  # noqa: E731
        [(s, s) for s in states], scheduler, scheduler, recall, today, 30, **kw
    )
    loads = run()
    assert loads == run() and len(loads) == 30
    overdue = sum(1 for s in states if s.due <= today)
    assert loads[0] == overdue
    assert sum(run(new_cards=50, new_per_day=10)) > sum(loads)
    # SM-2 on the same learner: states from the same log, luck from the same seed
    sm2 = SM2()
    pairs = [(replay(sm2, log)[key].state, r.state) for key, r in replay(scheduler, log).items()]
    sm2_loads = simulate_load(pairs, sm2, scheduler, recall, today, 30)
    assert len(sm2_loads) == 30 and sm2_loads != loads


# --------------------------------------------------------------------------- settings


def test_settings_choose_the_scheduler_and_the_retention() -> None:
    settings = settings_from_data({"scheduler": "fsrs", "desired_retention": 0.85}, "s.toml")
    assert (settings.scheduler, settings.desired_retention) == ("fsrs", 0.85)
    assert (Settings().scheduler, Settings().desired_retention) == ("sm2", 0.9)
    assert change_setting(Settings(), "desired_retention", "0.7").desired_retention == 0.7
    for key, value in (
        ("scheduler", "anki"),
        ("desired_retention", "0.98"),
        ("desired_retention", "0.5"),
        ("desired_retention", "nan"),
        ("desired_retention", "ninety"),
    ):
        with pytest.raises(SettingsError, match=key):
            change_setting(Settings(), key, value)
    with pytest.raises(SettingsError, match="desired_retention"):
        settings_from_data({"desired_retention": True}, "s.toml")


# --------------------------------------------------------------------------- the trainer


def study_days(trainer: Trainer, clock: FixedClock, days: int) -> None:
    for day in range(days):
        for entry in trainer.queue():
            # each card its own days of forgetting, so their histories differ
            grade = 1 if (day + ord(entry.card_id[6])) % 7 == 0 else 4
            trainer.record_answer(entry.card_id, entry.direction, grade, Mode.STUDY)
            if grade < 3:
                trainer.record_answer(entry.card_id, entry.direction, 4, Mode.DRILL)
        clock.advance(days=1)


def test_switching_replays_the_log_both_ways(
    make_trainer: Callable[..., Trainer], clock: FixedClock
) -> None:
    trainer = make_trainer()
    study_days(trainer, clock, 12)
    sm2_states = trainer.store.cached_states()
    assert trainer.use_scheduler(Settings(scheduler="fsrs")) == len(sm2_states)
    fsrs_states = trainer.store.cached_states()
    assert all(isinstance(s, FSRSState) for s in fsrs_states.values())
    assert trainer.use_scheduler(Settings(scheduler="fsrs")) is None  # nothing changed
    assert trainer.use_scheduler(Settings(scheduler="fsrs", desired_retention=0.8)) is not None
    assert trainer.use_scheduler(Settings(scheduler="sm2")) == len(sm2_states)
    assert trainer.store.cached_states() == sm2_states
    trainer.use_scheduler(Settings(scheduler="fsrs"))
    assert trainer.store.cached_states() == fsrs_states


def test_opening_under_another_setting_replays_once(
    make_trainer: Callable[..., Trainer], clock: FixedClock
) -> None:
    trainer = make_trainer()
    study_days(trainer, clock, 5)
    trainer.close()
    reopened = make_trainer(Settings(scheduler="fsrs"))
    assert reopened.replayed_on_open == 3
    assert all(isinstance(s, FSRSState) for s in reopened.store.cached_states().values())
    reopened.close()
    assert make_trainer(Settings(scheduler="fsrs")).replayed_on_open is None


def test_answers_under_fsrs_match_a_replay_and_undo_restores_the_memory_state(
    make_trainer: Callable[..., Trainer], clock: FixedClock
) -> None:
    trainer = make_trainer(Settings(scheduler="fsrs"))
    study_days(trainer, clock, 20)
    recorded = trainer.store.cached_states()
    trainer.rebuild()
    assert trainer.store.cached_states() == recorded
    key = ("small/beta", "forward")
    record = trainer.record_answer("small/beta", F, 1, Mode.STUDY)
    assert trainer.store.cached_states()[key] != recorded[key]
    trainer.undo(record.id)
    assert trainer.store.cached_states()[key] == recorded[key]


def test_browse_shows_fsrs_recall_and_the_weakest_are_the_least_likely_recalled(
    make_trainer: Callable[..., Trainer], clock: FixedClock
) -> None:
    trainer = make_trainer(Settings(scheduler="fsrs"))
    study_days(trainer, clock, 9)
    rows, _ = trainer.browse()
    recall = {row.card_id: row.recall for row in rows}
    assert all(p is not None and 0 < p <= 1 for p in recall.values())
    assert len(set(recall.values())) == 3  # distinct, so the order is a real test
    expected = sorted(recall, key=lambda card: recall[card])[:2]
    run = QuizRun.start(trainer, QuizOptions(source="weakest", questions=2, seed=1))
    assert [item.card_id for item in run.items] == expected
    sm2 = make_trainer(Settings())
    assert all(row.recall is None for row in sm2.browse()[0])


# --------------------------------------------------------------------------- the Rust batch


def test_the_rust_batch_predicts_what_py_fsrs_replays() -> None:
    """The check and the forecast read memory states from fsrs-rs in one batch; they
    must be the states py-fsrs schedules with."""
    from trainer.app.fsrs_scheduler import memory_states, recall_before
    from trainer.core.calibration import judged_answers

    log = answers(6, cards=30, days=150)
    histories = card_histories(log)
    scheduler = FSRSScheduler(desired_retention=0.85)
    judged = judged_answers(histories)
    predicted = recall_before(scheduler.parameters, histories, judged)
    for answer in judged:
        state = scheduler.new_state()
        for day, grade in histories[answer.key][: answer.index]:
            state = scheduler.review(state, grade, day)
        expected = scheduler.recall(state, answer.day)
        assert predicted[(answer.key, answer.index)] == pytest.approx(expected, rel=1e-4)
    replayed = {key: r.state for key, r in replay(scheduler, log).items()}
    batch = memory_states(scheduler, histories, replayed)
    for key, state in replayed.items():
        assert batch[key].stability == pytest.approx(state.stability, rel=1e-4)
        assert abs(batch[key].interval - state.interval) <= 1  # float32 rounding at .5
        assert (batch[key].repetitions, batch[key].lapses) == (state.repetitions, state.lapses)


def test_the_report_is_kept_until_the_log_changes(
    make_trainer: Callable[..., Trainer], clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.app import scheduler_check

    trainer = make_trainer(Settings(scheduler="fsrs"))
    study_days(trainer, clock, 6)
    first = scheduler_check.scheduler_report(trainer)
    calls: list[int] = []
    real = scheduler_check.check

    def counted(*args: object, **kwargs: object) -> scheduler_check.SchedulerCheck:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scheduler_check, "check", counted)
    kept = scheduler_check.scheduler_report(trainer)
    assert calls == [] and kept.check.to_dict() == first.check.to_dict()
    assert kept.forecast == first.forecast
    trainer.record_answer("small/alpha", F, 4, Mode.QUIZ)
    scheduler_check.scheduler_report(trainer)
    assert calls == [1]
    scheduler_check.scheduler_report(trainer, ["small"])  # another deck filter: its own copy
    assert calls == [1, 1]


BOTH_WAYS = """\
name: Both ways
directions: [forward, reverse]
cards:
""" + "".join(f"  - term: Item {i}\n    definition: Meaning {i}.\n" for i in range(8))


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_limits_drills_directions_and_rollover_work_the_same_under_both(
    make_trainer: Callable[..., Trainer], clock: FixedClock, deck_dir: Path, scheduler: str
) -> None:
    (deck_dir / "both.yaml").write_text(BOTH_WAYS, encoding="utf-8")
    settings = Settings(scheduler=scheduler, new_per_day=3, reviews_per_day=4, rollover_hour=4)
    trainer = make_trainer(settings)
    clock.instant = dt.datetime(2026, 3, 4, 3, 30, tzinfo=dt.UTC)  # before the rollover
    assert trainer.today() == dt.date(2026, 3, 3)
    for day in range(15):
        queue = trainer.queue(["both"])
        kinds = [entry.kind.value for entry in queue]
        assert kinds.count("new") <= 3 and kinds.count("review") <= 4
        for entry in queue:
            if entry.kind.value == "drill":
                before = trainer.store.state_of(entry.card_id, entry.direction)
                trainer.record_answer(entry.card_id, entry.direction, 4, Mode.DRILL)
                assert trainer.store.state_of(entry.card_id, entry.direction) == before
                continue
            grade = 1 if (day + len(entry.card_id)) % 5 == 0 else 4
            record = trainer.record_answer(entry.card_id, entry.direction, grade, Mode.STUDY)
            assert record.day == trainer.today()
            assert record.after.due > record.day  # type: ignore[operator]
        assert trainer.queue(["both"]) == [
            e for e in trainer.queue(["both"]) if e.kind.value == "drill"
        ]
        clock.advance(days=1)
    states = trainer.store.cached_states()
    assert {direction for _, direction in states} == {"forward", "reverse"}
    expected = FSRSState if scheduler == "fsrs" else SM2State
    assert all(type(state) is expected for state in states.values())
    replayed = {
        (c, str(d)): r.state
        for (c, d), r in replay(trainer.scheduler, trainer.store.all_reviews()).items()
    }
    assert replayed == states


def random_scheduled_state(rng: random.Random, start: dt.date, lapses: int = 0) -> SM2State:
    """A card direction's state as a log leaves it: FSRS's four times in five (with
    its memory), else SM-2's (met by FSRS without one), due around ``start``."""
    interval = rng.randint(1, 400)
    due = start + dt.timedelta(days=rng.randint(-50, 400))
    if rng.random() < 0.8:
        return FSRSState(3, 2.5, interval, due, lapses, rng.uniform(0.1, 500), rng.uniform(1, 10))
    return SM2State(3, rng.uniform(1.3, 3.0), interval, due, 0)


@pytest.mark.parametrize("parameters", [None, "fitted"])
def test_recall_is_py_fsrs_retrievability_of_the_card(parameters: str | None) -> None:
    """``recall`` computes the forgetting curve itself: the same figure as py-fsrs
    on the card ``_card`` builds, for FSRS states and SM-2 states met without one."""
    rng = random.Random(8)
    chosen = None
    if parameters:
        chosen = [*DEFAULT_PARAMETERS[:20], 0.3]  # another decay
    scheduler = FSRSScheduler(chosen, desired_retention=0.85)
    start = dt.date(2026, 1, 1)
    for _ in range(300):
        state = random_scheduled_state(rng, start)
        today = start + dt.timedelta(days=rng.randint(-60, 800))
        card = scheduler._card(state)
        assert card is not None
        want = scheduler._fsrs.get_card_retrievability(card, _instant(today))
        assert scheduler.recall(state, today) == want
    assert scheduler.recall(FSRSState(), start) is None
