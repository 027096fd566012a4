"""Quizzes over large collections load samples; they must still ask what a full load would."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.app import quiz_run
from trainer.app.quiz_run import NothingToQuiz, QuizOptions, QuizRun
from trainer.app.trainer import Trainer
from trainer.core.model import Mode


def write_deck(folder: Path, slug: str, size: int) -> None:
    lines = [f"name: {slug}", "cards:"]
    for i in range(size):
        lines += [f"  - term: {slug} term {i}", f"    definition: {slug} meaning number {i}"]
    (folder / f"{slug}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def big(make_trainer: Callable[..., Trainer], tmp_path: Path) -> Trainer:
    folder = tmp_path / "big-decks"
    folder.mkdir()
    write_deck(folder, "alpha", 300)
    write_deck(folder, "beta", 40)
    write_deck(folder, "gamma", 3)
    trainer = make_trainer(deck_dirs=[folder])
    conn = trainer.store.conn
    conn.execute("UPDATE cards SET suspended = 1 WHERE deck = 'alpha' AND position % 7 = 0")
    conn.execute("UPDATE cards SET retired = 1 WHERE deck = 'beta' AND position % 5 = 0")
    return trainer


def active_ids(trainer: Trainer, decks: set[str] | None) -> set[str]:
    return {
        c.id
        for c in trainer.store.cards()
        if not (c.retired or c.suspended) and (decks is None or c.deck in decks)
    }


@pytest.mark.parametrize("decks", [None, ["alpha"], ["beta"], ["gamma"], ["beta", "gamma"]])
@pytest.mark.parametrize("count", [1, 5, 30, 1000])
def test_samples_are_distinct_active_cards_of_the_decks(
    big: Trainer, decks: list[str] | None, count: int
) -> None:
    wanted = active_ids(big, set(decks) if decks is not None else None)
    picked = big.store.sample_active_card_ids(decks, count, random.Random(3))
    assert len(picked) == len(set(picked)) == min(count, len(wanted))
    assert set(picked) <= wanted
    again = big.store.sample_active_card_ids(decks, count, random.Random(3))
    assert again == picked  # the seed decides


def test_samples_of_a_large_deck_cover_it_evenly(big: Trainer) -> None:
    """Rejection sampling over rowids: every active card about equally often."""
    wanted = active_ids(big, {"alpha"})
    seen: Counter[str] = Counter()
    rng = random.Random(11)
    for _ in range(400):
        seen.update(big.store.sample_active_card_ids(["alpha"], 10, rng))
    assert set(seen) == wanted  # 4000 draws over ~257 cards reach every one
    mean = 4000 / len(wanted)
    assert max(seen.values()) < 2.5 * mean and min(seen.values()) > mean / 4


def test_no_sample_from_nothing(big: Trainer) -> None:
    assert big.store.sample_active_card_ids([], 5, random.Random(1)) == []
    assert big.store.sample_active_card_ids(["alpha"], 0, random.Random(1)) == []
    assert big.store.sample_active_card_ids(["nosuch"], 5, random.Random(1)) == []


def test_active_cards_exceed_counts_only_active_cards(big: Trainer) -> None:
    active = len(active_ids(big, None))
    assert big.store.active_cards_exceed(active - 1)
    assert not big.store.active_cards_exceed(active)


@pytest.fixture
def sampled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the 343-card collection count as large, so quizzes take the sampled path."""
    monkeypatch.setattr(quiz_run, "LOAD_ALL_LIMIT", 50)
    monkeypatch.setattr(quiz_run, "POOL_SAMPLE", 20)


@pytest.mark.usefixtures("sampled")
@pytest.mark.parametrize("decks", [None, ["alpha"], ["beta", "gamma"]])
def test_a_sampled_deck_quiz_asks_active_cards_of_the_decks(
    big: Trainer, decks: list[str] | None
) -> None:
    wanted = active_ids(big, set(decks) if decks is not None else None)
    run = QuizRun.start(big, QuizOptions(decks=decks, questions=10, choices=4, seed=5))
    assert len(run.questions) == 10
    assert {q.card_id for q in run.questions} <= wanted
    cards = {c.id: c.card for c in big.store.cards()}
    for question in run.questions:
        assert len(set(question.options)) == 4
        # the right option is the asked card's definition (its own term shown as a blank)
        assert question.option_card_ids[question.answer_index] == question.card_id
        assert cards[question.card_id].definition.endswith(
            question.options[question.answer_index].split("_____")[-1]
        )
        assert set(question.option_card_ids) <= active_ids(big, None)
    expected = sorted(decks) if decks is not None else ["alpha", "beta", "gamma"]
    assert sorted(run.decks) == expected
    again = QuizRun.start(big, QuizOptions(decks=decks, questions=10, choices=4, seed=5))
    assert again.questions == run.questions  # a seed asks the same quiz again


@pytest.mark.usefixtures("sampled")
def test_a_sampled_quiz_without_a_seed_keeps_the_one_it_drew(big: Trainer) -> None:
    run = QuizRun.start(big, QuizOptions(questions=5))
    again = QuizRun.start(big, QuizOptions(questions=5, seed=run.seed))
    assert again.questions == run.questions


@pytest.mark.usefixtures("sampled")
@pytest.mark.parametrize("source", ["weakest", "due-soon"])
def test_sampled_weakest_and_due_soon_ask_the_same_cards_as_a_full_load(
    big: Trainer, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(2)
    cards = sorted(active_ids(big, None))
    for _ in range(3):
        for card in rng.sample(cards, 30):
            big.record_answer(card, big.deck_directions()[card.split("/")[0]][0], 1, Mode.STUDY)
        big.clock.advance(days=1)  # type: ignore[attr-defined]
    options = QuizOptions(questions=8, choices=3, source=source, seed=9)
    asked = {q.card_id for q in QuizRun.start(big, options).questions}
    monkeypatch.setattr(quiz_run, "LOAD_ALL_LIMIT", 10_000)
    assert asked == {q.card_id for q in QuizRun.start(big, options).questions}


@pytest.mark.usefixtures("sampled")
def test_a_sampled_weakest_quiz_with_nothing_studied_says_so(big: Trainer) -> None:
    with pytest.raises(NothingToQuiz, match="nothing has been studied"):
        QuizRun.start(big, QuizOptions(source="weakest"))
