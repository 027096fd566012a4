"""A real process that answers cards through the application layer until told to stop.

Used by the kill and concurrency tests, which need a second process, not a
thread: only a process can be killed with SIGKILL mid-transaction, and only
separate processes exercise SQLite's file locks. Protocol on stdout, one line
each, flushed at once: ``ready`` once the database is open and the decks are
synced; ``A <review id>`` after an answer is committed; ``U <review id>`` after
an undo is committed; ``done`` at a clean finish. A line printed is an
acknowledgement: that write must survive anything that happens afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="driver")
    parser.add_argument("db", type=Path)
    parser.add_argument("deck_dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=0, help="answers to give (0: until killed)")
    parser.add_argument("--seconds", type=float, default=0.0, help="answer for this long")
    parser.add_argument("--undo-rate", type=float, default=0.0, help="undo this share of answers")
    parser.add_argument("--cards", type=int, default=0, help="use only the first N card sides")
    parser.add_argument("--start-at", type=float, default=0.0, help="wait for this time.time()")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from trainer.app.settings import Settings
    from trainer.app.trainer import Trainer
    from trainer.core.model import Mode

    rng = random.Random(args.seed)
    trainer = Trainer.open(args.db, settings=Settings(), tz=dt.UTC, deck_dirs=[args.deck_dir])
    try:
        report = trainer.sync_decks()
        if report.errors:
            print(f"deck errors: {report.errors}", file=sys.stderr)
            return 1
        sides = [(s.card_id, s.direction) for s in trainer.statuses()]
        if args.cards:
            sides = sides[: args.cards]
        print("ready", flush=True)
        while time.time() < args.start_at:  # lets two drivers start their loops together
            time.sleep(0.001)
        modes = [Mode.STUDY] * 8 + [Mode.DRILL, Mode.QUIZ]
        deadline = time.monotonic() + args.seconds if args.seconds else None
        answered = 0
        while True:
            if args.count and answered >= args.count:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            card, direction = rng.choice(sides)
            grade = rng.randint(0, 5)
            record = trainer.record_answer(
                card, direction, grade, rng.choice(modes), rng.randint(300, 9000)
            )
            print("A", record.id, flush=True)
            answered += 1
            if args.undo_rate and rng.random() < args.undo_rate:
                trainer.undo(record.id)
                print("U", record.id, flush=True)
    finally:
        trainer.close()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
