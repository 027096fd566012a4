"""What an import tells the user and writes, pinned exactly, and the GC it pauses.

The expected messages and deck file are the output of the implementation
before the large-import speed-ups; they must not change.
"""

from __future__ import annotations

import gc
import hashlib
import threading
from pathlib import Path

import pytest
import yaml

from trainer.app.trainer import Trainer, UserError
from trainer.core.glossary import parse_glossary
from trainer.interop.glossary import glossary_to_deck, import_glossary, import_messages

GLOSSARY = (
    "Term\tDefinition\tAliases\tTags\n"
    "Learning Rate\tThe step size of each update.\tLR; step size\tbasics, training\n"
    "learning  rate\tA second sense, kept for a human to resolve.\t\t\n"
    "\tDirect Preference Optimization, a way to tune on pairs.\t\t\n"
    "\tOne full pass through the training data.\t\t\n"
    "Epoch\tOne full pass through the training data.\t\t\n"
    "\tA fine-tuning method that nobody named.\t\t\n"
    # "LEARNING RATE" in fullwidth letters, with a no-break space
    + "".join(chr(ord(char) + 0xFEE0) for char in "LEARNING")
    + "\u00a0RATE\tA third sense, in full width.\t\t\n"
)
#: A quote sends the table through the csv module instead of the plain split.
QUOTE_ROW = 'Quote\tSays "hi" with a back\\slash.\t\t\n'

MESSAGES = [
    "g.tsv:4: term 'Direct Preference Optimization' recovered from definition",
    "g.tsv:7: no term for: A fine-tuning method that nobody named.",
    "g.tsv: duplicate term 'learning rate' on lines 2, 3, 8 (first kept)",
]
CARDS = [
    {
        "term": "Learning Rate",
        "definition": "The step size of each update.",
        "aliases": ["LR", "step size"],
        "tags": ["basics", "training"],
    },
    {
        "term": "Direct Preference Optimization",
        "definition": "Direct Preference Optimization, a way to tune on pairs.",
    },
    {"term": "Epoch", "definition": "One full pass through the training data."},
]
QUOTE_CARD = {"term": "Quote", "definition": 'Says "hi" with a back\\slash.'}
DRAFT = {"term": "", "missing_term": True, "definition": "A fine-tuning method that nobody named."}
SOURCE_NOTE = (
    "Imported by trainer from g.tsv (tsv layout). "
    "1 cards have no term yet (missing_term: true): fill them in."
)


@pytest.mark.parametrize(
    ("text", "cards"),
    [(GLOSSARY, CARDS), (GLOSSARY + QUOTE_ROW, [*CARDS, QUOTE_CARD])],
    ids=["plain table", "quoted table"],
)
def test_messages_and_deck_file_are_pinned(text: str, cards: list[dict[str, object]]) -> None:
    result = parse_glossary(text, "g.tsv")
    deck, document = glossary_to_deck(result, "g", "G", "g.tsv")

    assert import_messages(result, "g.tsv") == MESSAGES
    assert yaml.safe_load(document) == {
        "name": "G",
        "source": SOURCE_NOTE,
        "cards": [*cards, DRAFT],
    }
    assert [card.id_in("g") for card in deck.cards] == [
        f"g/{card['term']}".lower() for card in cards
    ]


def glossary_file(tmp_path: Path, text: str = GLOSSARY) -> Path:
    path = tmp_path / "glossary.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def run_import(trainer: Trainer, file: Path) -> None:
    import_glossary(
        trainer,
        file,
        deck_name=None,
        out=None,
        fmt=None,
        refuse_missing_terms=True,
        overwrite=False,
    )


@pytest.mark.usefixtures("collector_state")
def test_an_import_turns_the_collector_back_on(trainer: Trainer, tmp_path: Path) -> None:
    gc.enable()
    with pytest.raises(UserError, match="definitions have no term"):
        run_import(trainer, glossary_file(tmp_path))
    assert gc.isenabled()

    run_import(trainer, glossary_file(tmp_path, "Alpha\tThe first letter.\n"))
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_state")
def test_an_import_leaves_a_paused_collector_paused(trainer: Trainer, tmp_path: Path) -> None:
    gc.disable()
    run_import(trainer, glossary_file(tmp_path, "Alpha\tThe first letter.\n"))
    assert not gc.isenabled()


def test_a_failed_load_puts_the_file_back_and_is_the_error_the_user_reads(
    trainer: Trainer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deck under BULK_SYNC_ROWS cards is written, loaded and counted here (a large
    one in child processes: tests/interop/test_large_import_process.py)."""
    counted: list[bool] = []

    def count(deck: object) -> int:
        counted.append(True)
        return 0

    def refuse(path: Path, deck: object = None, written: object = None) -> None:
        raise UserError("cannot load")

    monkeypatch.setattr("trainer.interop.glossary.count_self_naming", count)
    monkeypatch.setattr(trainer, "sync_deck_file", refuse)
    threads = threading.active_count()
    with pytest.raises(UserError, match="cannot load"):
        run_import(trainer, glossary_file(tmp_path, "Alpha\tThe first letter.\n"))
    assert counted == []
    assert threading.active_count() == threads
    assert not (trainer.user_decks / "glossary.yaml").exists()


def test_an_error_of_the_count_reaches_the_caller(
    trainer: Trainer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(deck: object) -> int:
        raise RuntimeError("count failed")

    monkeypatch.setattr("trainer.interop.glossary.count_self_naming", fail)
    with pytest.raises(RuntimeError, match="count failed"):
        run_import(trainer, glossary_file(tmp_path, "Alpha\tThe first letter.\n"))


def test_the_count_of_self_naming_definitions(trainer: Trainer, tmp_path: Path) -> None:
    text = "Epoch\tOne full pass.\nLearning Rate\tThe learning rate sets the step.\n"
    outcome = import_glossary(trainer, glossary_file(tmp_path, text), out=None)
    assert (outcome.cards, outcome.self_naming) == (2, 1)


def test_the_stored_signature_is_the_written_file(trainer: Trainer, tmp_path: Path) -> None:
    """The import hands the text it wrote to the load instead of reading it back:
    the database must still describe the file's bytes."""
    text = "Alpha\tThe first letter.\nBeta\tThe second, with ü.\n" * 3
    outcome = import_glossary(trainer, glossary_file(tmp_path, text), out=None, overwrite=True)
    signature = trainer.store.deck_signatures()[outcome.slug]
    raw = outcome.path.read_bytes()
    stat = outcome.path.stat()
    assert (signature.sha256, signature.size) == (hashlib.sha256(raw).hexdigest(), len(raw))
    assert signature.mtime_ns == stat.st_mtime_ns
