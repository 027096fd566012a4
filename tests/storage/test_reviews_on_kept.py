"""Today's answers are kept between calls and only new rows read; they must stay exact."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from trainer.app.trainer import Trainer
from trainer.core.model import Direction, Mode
from trainer.storage import Store, open_connection


def fresh_view(trainer: Trainer, day: dt.date) -> list[object]:
    """The same day read by a new Store on the same file: nothing kept."""
    path = trainer.store.conn.execute("PRAGMA database_list").fetchone()[2]
    other = Store(open_connection(path))
    try:
        return list(other.reviews_on(day))
    finally:
        other.close()


def test_kept_answers_follow_answers_undos_other_writers_and_days(
    make_trainer: Callable[..., Trainer],
) -> None:
    trainer = make_trainer()
    other = make_trainer()  # a second process on the same database
    day = trainer.today()
    cards = [c.id for c in trainer.store.cards()]

    def check() -> None:
        assert trainer.store.reviews_on(trainer.today()) == fresh_view(trainer, trainer.today())

    check()
    first = trainer.record_answer(cards[0], Direction.FORWARD, 2, Mode.STUDY)
    check()
    trainer.record_answer(cards[1], Direction.FORWARD, 5, Mode.STUDY)
    check()
    other.record_answer(cards[2], Direction.FORWARD, 4, Mode.STUDY)
    check()
    trainer.undo(first.id)
    check()
    assert first.id not in {r.id for r in trainer.store.reviews_on(day)}
    # an answer stamped before the last kept one (a clock set back, a merge)
    other.clock.advance(seconds=-3600)  # type: ignore[attr-defined]
    other.record_answer(cards[0], Direction.FORWARD, 3, Mode.DRILL)
    check()
    trainer.clock.advance(days=1)  # type: ignore[attr-defined]
    check()
    assert trainer.store.reviews_on(day) == fresh_view(trainer, day)
    trainer.record_answer(cards[1], Direction.FORWARD, 4, Mode.STUDY)
    check()
    assert len(trainer.store.reviews_on(trainer.today())) == 1
