from trainer.core.model import Direction, Mode
from trainer.core.queue import QueueKind


def test_new_cards_are_queued_then_answered(trainer, clock):
    queue = trainer.queue()
    assert [e.kind for e in queue] == [QueueKind.NEW] * 3
    record = trainer.record_answer(queue[0].card_id, Direction.FORWARD, 5, Mode.STUDY)
    assert record.after.interval == 1
    assert len(trainer.queue()) == 2
    clock.advance(days=1)
    assert [e.card_id for e in trainer.queue() if e.kind is QueueKind.REVIEW] == [queue[0].card_id]
