"""Reading part of the log for the scheduler figures gives what reading all of it would.

The scheduler check and the load forecast work on a sample of card directions
on a long log; these read only the sample's histories, states and a capped
count, each compared here with the whole log read and filtered in Python.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.app import scheduler_check
from trainer.app.trainer import Trainer
from trainer.core.calibration import judged_answers
from trainer.core.clock import FixedClock
from trainer.core.model import Direction, Mode

MORE = "name: More\ndirections: [forward, reverse]\ncards:\n" + "".join(
    f"  - term: Word{n}\n    definition: Meaning number {n}.\n" for n in range(12)
)


@pytest.fixture
def studied(deck_dir: Path, make_trainer: Callable[..., Trainer], clock: FixedClock) -> Trainer:
    (deck_dir / "more.yaml").write_text(MORE, encoding="utf-8")
    trainer = make_trainer()
    rng = random.Random(3)
    cards = [card.id for card in trainer.store.cards()]
    for day in range(40):
        clock.advance(days=1)
        for card in rng.sample(cards, 6):
            direction = rng.choice([Direction.FORWARD, Direction.REVERSE])
            mode = rng.choice([Mode.STUDY, Mode.STUDY, Mode.DRILL, Mode.QUIZ])
            record = trainer.record_answer(card, direction, rng.randint(0, 5), mode, 900)
            clock.advance(minutes=1)
            if day % 7 == 3 and mode is Mode.STUDY:
                trainer.undo(record.id)
    return trainer


def test_histories_of_some_keys_are_those_of_the_whole_log(studied: Trainer) -> None:
    whole = studied.store.scheduling_answers()
    keys = studied.store.answered_keys()
    assert len(keys) > 10 and keys == sorted(keys)
    chosen = random.Random(5).sample(keys, 9)
    part = studied.store.scheduling_answers(keys=chosen)
    assert part == {key: whole[key] for key in chosen if key in whole}
    assert studied.store.scheduling_answers(keys=[]) == {}


def test_answered_keys_of_a_deck(studied: Trainer) -> None:
    everything = studied.store.answered_keys()
    assert studied.store.answered_keys(["more"]) == [
        k for k in everything if k[0].startswith("more/")
    ]


def test_states_of_some_keys_are_the_cached_ones(studied: Trainer) -> None:
    cached = studied.store.cached_states()
    keys = studied.store.answered_keys()[::3]
    assert studied.store.states_of(keys) == {
        (card, str(direction)): cached[(card, str(direction))] for card, direction in keys
    }


@pytest.mark.parametrize("cap", [0, 1, 5, 10_000])
def test_learnable_answers_counts_up_to_the_cap(studied: Trainer, cap: int) -> None:
    every = len(judged_answers(studied.store.scheduling_answers()))
    assert every > 5
    assert studied.store.learnable_answers(cap) == min(cap, every)


def test_the_check_samples_whole_histories_of_answered_directions(
    studied: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = studied.store.scheduling_answers(["more"])
    assert scheduler_check._check_histories(studied, ["more"]) == whole  # few: all of them
    monkeypatch.setattr(scheduler_check, "CHECK_SAMPLE", 7)
    sampled = scheduler_check._check_histories(studied, ["more"])
    assert 0 < len(sampled) <= 7
    assert all(sampled[key] == whole[key] for key in sampled)
    assert sampled == scheduler_check._check_histories(studied, ["more"])  # seeded


def test_studied_keys_leave_out_retired_suspended_and_unknown_cards(studied: Trainer) -> None:
    store = studied.store
    keys = store.answered_keys(["more"])
    retired, suspended = keys[0][0], keys[-1][0]
    store.conn.execute("UPDATE cards SET retired = 1 WHERE id = ?", [retired])
    store.set_suspended(suspended, True)
    store.conn.execute(
        "INSERT INTO card_state (card_id, direction, repetitions, easiness, interval, due, lapses)"
        " VALUES ('more/no-such-card', 'forward', 1, 2.5, 1, '2026-03-20', 0)"
    )
    directions = studied.deck_directions()
    active = {card.id for card in store.cards() if not card.retired and not card.suspended}
    want = sorted(
        (card, direction)
        for card, direction in store.answered_keys()
        if card in active and direction in directions[card.split("/")[0]]
    )
    assert store.studied_keys(directions, None) == want
    assert store.studied_keys(directions, ["more"]) == [k for k in want if k[0].startswith("more")]


@pytest.mark.parametrize("at_most", [0, 3, 20, 1000])
def test_new_directions_are_counted_up_to_a_cap(
    studied: Trainer, deck_dir: Path, at_most: int
) -> None:
    (deck_dir / "fresh.yaml").write_text(MORE.replace("More", "Fresh"), encoding="utf-8")
    studied.sync_decks()
    studied.store.set_suspended("fresh/word3", True)
    directions = studied.deck_directions()
    answered = set(studied.store.answered_keys())
    new = [
        (card.id, direction)
        for card in studied.store.cards()
        if not card.retired and not card.suspended
        for direction in directions[card.deck]
        if (card.id, direction) not in answered
    ]
    assert len(new) > 3
    assert studied.store.count_new(directions, None, at_most) == min(at_most, len(new))


def test_a_log_of_long_histories_is_sampled_by_answers(
    studied: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = studied.store.scheduling_answers()
    total = sum(len(history) for history in whole.values())
    monkeypatch.setattr(scheduler_check, "CHECK_ANSWERS", total // 4)
    sampled = scheduler_check._check_histories(studied, None)
    read = sum(len(history) for history in sampled.values())
    assert total // 4 <= read < total // 2
    assert all(sampled[key] == whole[key] for key in sampled)


@pytest.mark.parametrize("size", [0, 1, 2, 5, 6, 7, 100, 5000])
@pytest.mark.parametrize("seed", [20, 21, 99])
def test_seeded_order_is_the_whole_seeded_sample_drawn_lazily(size: int, seed: int) -> None:
    items = [(f"deck/{n:05d}", Direction.FORWARD) for n in range(size)]
    shuffled = random.Random(seed).sample(items, len(items))
    assert list(scheduler_check.seeded_order(items, seed)) == shuffled
    first = list(itertools.islice(scheduler_check.seeded_order(items, seed), size // 3))
    assert first == shuffled[: size // 3]
    assert items == [(f"deck/{n:05d}", Direction.FORWARD) for n in range(size)]  # left as it was


def _rowids(trainer: Trainer) -> list[int]:
    return list(range(1, trainer.store.state_rowid_span() + 3))  # and two past the end


def test_answered_at_rowids_and_their_count_are_the_listed_keys(studied: Trainer) -> None:
    store = studied.store
    for decks in (None, ["more"], ["more", "nothing-here"]):
        found = store.answered_at(_rowids(studied), decks)
        assert sorted(found.values()) == store.answered_keys(decks)
        assert store.count_answered(decks) == len(store.answered_keys(decks))
    some = _rowids(studied)[::4]
    assert set(store.answered_at(some)) <= set(some)


def test_studied_at_rowids_are_the_studied_keys(studied: Trainer) -> None:
    store = studied.store
    store.conn.execute("UPDATE cards SET retired = 1 WHERE id = ?", [store.answered_keys()[0][0]])
    store.set_suspended(store.answered_keys()[-1][0], True)
    store.conn.execute(
        "INSERT INTO card_state (card_id, direction, repetitions, easiness, interval, due, lapses)"
        " VALUES ('more/no-such-card', 'forward', 1, 2.5, 1, '2026-03-20', 0)"
    )
    directions = studied.deck_directions()
    for decks in (None, ["more"]):
        found = store.studied_at(_rowids(studied), directions, decks)
        assert sorted(found.values()) == store.studied_keys(directions, decks)
    assert len(store.studied_keys(directions, None)) < store.count_answered()


def test_drawn_keys_are_a_seeded_permutation_of_the_population(studied: Trainer) -> None:
    store = studied.store
    span = store.state_rowid_span()

    def drawn(seed: int, step: int) -> tuple[list[tuple[str, Direction]], int]:
        source = scheduler_check._DrawnKeys(
            lambda rowids: store.answered_at(rowids, ["more"]), span, seed
        )
        keys: list[tuple[str, Direction]] = []
        while chunk := source.take(step):
            assert len(chunk) <= step
            keys += chunk
        return keys, source.population()

    keys, population = drawn(21, 3)
    assert sorted(keys) == store.answered_keys(["more"]) and len(set(keys)) == len(keys)
    assert population == len(keys)  # every rowid drawn: exact
    assert drawn(21, 3) == (keys, population)  # seeded
    assert drawn(22, 3)[0] != keys
    assert drawn(21, 7) == (keys, population)  # one stream of draws, however taken


def test_a_partial_draw_estimates_the_population_from_its_hits(studied: Trainer) -> None:
    store = studied.store
    span = store.state_rowid_span()
    source = scheduler_check._DrawnKeys(lambda rowids: store.answered_at(rowids, ["more"]), span, 4)
    taken = source.take(5)
    drawn = len(source._drawn)
    assert len(taken) == 5 and drawn < span
    assert source.population() == round(5 * span / drawn)


def test_the_forecast_of_a_sampled_log_samples_studied_directions_by_rowid(
    studied: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = studied.store
    directions = studied.deck_directions()
    studied_keys = store.studied_keys(directions, None)
    listed = scheduler_check._studied_source(studied, None)
    assert isinstance(listed, scheduler_check._ListedKeys)  # few: all, as listed
    assert listed.population() == len(studied_keys)
    monkeypatch.setattr(scheduler_check, "FORECAST_SAMPLE", 5)
    source = scheduler_check._studied_source(studied, None)
    assert isinstance(source, scheduler_check._DrawnKeys)
    sample, histories = scheduler_check._sampled_histories(studied, source, 5, 10**6)
    whole = store.scheduling_answers()
    assert len(sample) == 5 and set(sample) <= set(studied_keys)
    assert all(histories[key] == whole[key] for key in sample if key in whole)
    forecast = scheduler_check.load_forecast(studied)
    assert forecast == scheduler_check.load_forecast(studied)  # seeded


def test_the_forecast_reads_only_histories_the_check_has_not(
    studied: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler_check, "CHECK_SAMPLE", 8)
    monkeypatch.setattr(scheduler_check, "FORECAST_SAMPLE", 6)
    store = studied.store
    reader = scheduler_check.HistoryReader(store)
    read: list[tuple[str, Direction]] = []
    real = store.scheduling_answers

    def counted(decks: object = None, keys: list[tuple[str, Direction]] | None = None) -> object:
        read.extend(keys or [])
        return real(keys=keys)

    monkeypatch.setattr(store, "scheduling_answers", counted)
    assert scheduler_check.check(studied, reader=reader) == scheduler_check.check(studied)
    read.clear()
    forecast = scheduler_check.load_forecast(studied, reader=reader)
    assert read == []  # the same draws: its sample's histories are read already
    assert forecast == scheduler_check.load_forecast(studied)
    assert read  # without the reader it reads them
    mine = scheduler_check.HistoryReader(store)
    keys = store.answered_keys()[:5]
    assert mine(keys) == real(keys=keys) and mine(keys[::-1]) == real(keys=keys)


def test_reviews_are_counted_up_to_a_cap(studied: Trainer) -> None:
    store = studied.store
    total = store.count_reviews()
    assert total > 3
    assert store.count_reviews(3) == 3
    assert store.count_reviews(total + 5) == total == store.count_reviews(total)
    assert store.count_reviews(0) == 0
