"""A study session advances its queue after an answer instead of building it again;
whatever happens, what it shows equals the queue built from the database."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from trainer.app.session import StudySession
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.model import Direction, Mode


def deck_text(name: str, count: int, directions: str | None) -> str:
    lines = [f"name: {name}"]
    if directions:
        lines.append(f"directions: [{directions}]")
    lines.append("cards:")
    for i in range(count):
        lines += [f"  - term: {name} term {i}", f"    definition: {name} definition {i}"]
    return "\n".join(lines) + "\n"


def write_three_decks(folder: Path, one: int, two: int, three: int) -> None:
    """Decks studied forward only, both ways, and reverse only, of these sizes."""
    folder.mkdir()
    (folder / "one.yaml").write_text(deck_text("one", one, None), encoding="utf-8")
    (folder / "two.yaml").write_text(deck_text("two", two, "forward, reverse"), encoding="utf-8")
    (folder / "three.yaml").write_text(deck_text("three", three, "reverse"), encoding="utf-8")


def counting_rebuilds(trainer: Trainer) -> list[int]:
    """Count the session's full builds of the queue (to see the advance is used)."""
    calls = [0]
    build = trainer.queue_plan

    def counted(decks=None):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return build(decks)

    trainer.queue_plan = counted  # type: ignore[method-assign]
    return calls


@pytest.mark.parametrize("seed", range(8))
def test_the_advanced_queue_equals_a_rebuild(make_trainer, clock, tmp_path: Path, seed):
    rng = random.Random(seed)
    folder = tmp_path / f"decks{seed}"
    write_three_decks(folder, 30, 20, 8)
    settings = Settings(
        new_per_day=rng.randint(1, 15),
        reviews_per_day=rng.randint(1, 40),
        leech_lapses=rng.choice([2, 3, 8]),
        leech_action=rng.choice(["mark", "suspend"]),
        scheduler=rng.choice(["sm2", "sm2", "fsrs"]),
    )
    trainer = make_trainer(settings=settings, deck_dirs=[folder])
    cards = [(s.card_id, s.direction) for s in trainer.statuses()]
    rebuilds = counting_rebuilds(trainer)
    answers = rebuilt = 0
    for _day in range(10):
        decks = rng.choice([None, ["one"], ["two", "three"]])
        session = StudySession(trainer, decks)
        for _ in range(rng.randint(5, 40)):
            if session.current() is None:
                break
            clock.advance(seconds=rng.randint(1, 30))
            roll = rng.random()
            if roll < 0.08 and session.can_undo:
                session.undo()
                # the undone card comes first; the rest is the rebuilt queue
                assert sorted(session._queue, key=repr) == sorted(trainer.queue(decks), key=repr)
                continue
            if roll < 0.12:  # written behind the session's back: it must notice
                card, _ = rng.choice(cards)
                trainer.set_suspended(card, rng.random() < 0.5)
            elif roll < 0.15:  # another process answers a card
                other = trainer.open_reader()
                assert other is not None
                card, direction = rng.choice(cards)
                other.record_answer(card, direction, rng.randint(0, 5), rng.choice(list(Mode)))
                other.close()
            if session.current() is None:
                break
            before = rebuilds[0]
            session.answer(rng.choice([0, 1, 2, 3, 3, 4, 4, 5, 5, 5]), 2000)
            answers += 1
            rebuilt += rebuilds[0] - before
            assert session._queue == trainer.queue(decks)
            counts = session.counts
            assert counts.total == len(trainer.queue(decks))
        clock.advance(days=rng.choice([1, 1, 2]), hours=rng.choice([0, 23]))
    assert Direction.REVERSE in {d for _, d in cards}
    # most answers advanced the plan; a rebuild for each would make this equal
    assert rebuilt < answers / 2


def test_the_log_is_copied_into_the_database_when_idle_not_on_an_answer(trainer: Trainer):
    from trainer.app.trainer import DEFERRED_CHECKPOINT_PAGES, IDLE_CHECKPOINT_ANSWERS

    trainer.defer_checkpoints()
    conn = trainer.store.conn
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the schema and cards in the file
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == DEFERRED_CHECKPOINT_PAGES
    cards = [(s.card_id, s.direction) for s in trainer.statuses()]
    for i in range(IDLE_CHECKPOINT_ANSWERS - 1):
        trainer.record_answer(*cards[i % len(cards)], 5, Mode.STUDY)
        assert trainer.idle_job() is None
    trainer.record_answer(*cards[0], 5, Mode.STUDY)
    path = conn.execute("PRAGMA database_list").fetchone()[2]

    def in_database_file() -> int:
        """Reviews in the database file itself (``immutable`` reads no log)."""
        file = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return file.execute("SELECT count(*) FROM reviews").fetchone()[0]
        finally:
            file.close()

    assert in_database_file() == 0  # committed, but still in the log
    job = trainer.idle_job()
    assert job is not None
    job()  # on a connection of its own, as in the app's thread
    assert in_database_file() == IDLE_CHECKPOINT_ANSWERS
    assert trainer.idle_job() is None
