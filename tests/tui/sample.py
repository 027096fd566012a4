"""Fixed sample data for looking at screens: ten days of study by a daily user.

Two decks with realistic names (one studied both ways), a third with a card
still waiting for its term, answers over ten days from a seeded generator, a
leech, a suspended card and a few quizzes. Everything comes from a fixed
clock, so snapshot tests render the same screen every time.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from trainer.app.settings import Settings
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import Mode

#: the day the screens are looked at: Thursday 12 March 2026, 09:00 UTC
SAMPLE_NOW = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC)
GREEK = """\
name: Greek letters and their sounds
directions: [forward, reverse]
cards:
"""
LETTERS = [
    ("Alpha", "The first letter of the Greek alphabet, sounded a as in father."),
    ("Beta", "The second letter, sounded v in modern Greek."),
    ("Gamma", "The third letter, a soft g before e and i."),
    ("Delta", "The fourth letter, th as in this."),
    ("Epsilon", "The fifth letter, a short e."),
    ("Zeta", "The sixth letter, sounded z."),
    ("Eta", "The seventh letter, sounded i in modern Greek."),
    ("Theta", "The eighth letter, th as in thin."),
]
TERMS = [
    ("Gradient descent", "Moving parameters a small step against the gradient of the loss."),
    ("Overfitting", "Fitting the training data so closely that new data is predicted worse."),
    ("Learning rate", "The size of each parameter update during training."),
    ("Regularization", "A penalty that discourages complex models to improve generalization."),
    ("Epoch", "One full pass over the training data."),
    ("Batch size", "How many examples are used for one parameter update."),
    ("Dropout", "Randomly zeroing activations during training to reduce overfitting."),
    ("Embedding", "A learned dense vector that represents a discrete item such as a word."),
    ("Attention", "Weighting the parts of an input by their relevance to each output."),
    ("Tokenizer", "The component that splits text into the units a model reads."),
]
DRAFTS = """\
name: Imported glossary
cards:
  - term: Softmax
    definition: Turns a vector of scores into probabilities that sum to one.
    tags: [functions]
  - term: ""
    missing_term: true
    definition: The function max(0, x), used between layers of a network.
"""


def write_decks(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    greek = GREEK + "".join(
        f"  - term: {term}\n    definition: {definition}\n    tags: [letters]\n"
        for term, definition in LETTERS
    )
    (folder / "greek.yaml").write_text(greek, encoding="utf-8")
    ml = "name: Machine learning terms\ncards:\n" + "".join(
        f"  - term: {term}\n    definition: {definition}\n" for term, definition in TERMS
    )
    (folder / "ml.yaml").write_text(ml, encoding="utf-8")
    (folder / "imported.yaml").write_text(DRAFTS, encoding="utf-8")


def sample_trainer(folder: Path, db: Path) -> Trainer:
    """A trainer on ten simulated days of study; its clock stops at ``SAMPLE_NOW``."""
    write_decks(folder)
    clock = FixedClock(SAMPLE_NOW - dt.timedelta(days=10))
    trainer = Trainer.open(
        db,
        clock=clock,
        settings=Settings(new_per_day=6, leech_lapses=3),
        tz=dt.UTC,
        deck_dirs=[folder],
    )
    trainer.sync_decks()
    rng = random.Random(16)
    for day in range(10):
        clock.instant = SAMPLE_NOW - dt.timedelta(days=10 - day)
        for entry in trainer.queue():
            grade = rng.choice((2, 3, 4, 4, 5, 5)) if entry.card_id != "ml/dropout" else 1
            mode = Mode.DRILL if entry.kind.value == "drill" else Mode.STUDY
            trainer.record_answer(entry.card_id, entry.direction, grade, mode, 3000)
            clock.advance(seconds=20)
        if day % 3 == 1:
            _quiz(trainer, clock.instant, day, rng)
    trainer.set_suspended("ml/epoch", True)
    clock.instant = SAMPLE_NOW
    return trainer


def _quiz(trainer: Trainer, at: dt.datetime, day: int, rng: random.Random) -> None:
    correct = rng.randint(4, 10)
    trainer.store.record_quiz_attempt(
        {
            "id": f"quiz-{day}",
            "started_at": at.isoformat(),
            "finished_at": (at + dt.timedelta(minutes=2)).isoformat(),
            "day": at.date().isoformat(),
            "decks": json.dumps(["ml"] if day % 2 else ["greek"]),
            "source": "deck",
            "direction": "term",
            "correct": correct,
            "total": 10,
            "seconds": 120.0,
            "questions": "[]",
        }
    )
