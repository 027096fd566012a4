"""The search index after a bulk write: out of date, said so in the database, and
rebuilt (triggers and all) by the first search or by the background job."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.storage.test_store import card_schema, write_big_deck
from trainer.app.trainer import Trainer
from trainer.storage import search_index
from trainer.storage.database import DatabaseError
from trainer.storage.store import BULK_SYNC_ROWS

COUNT = BULK_SYNC_ROWS + 10


def triggers(trainer: Trainer) -> set[str]:
    return {name for kind, name, _ in card_schema(trainer) if kind == "trigger"}


def indexed_rows(trainer: Trainer) -> int:
    """Rows the index holds (FTS5's own count of its documents)."""
    return trainer.store.conn.execute("SELECT count(*) FROM cards_fts_docsize").fetchone()[0]


@pytest.fixture
def bulk(make_trainer: Callable[..., Trainer], tmp_path: Path) -> tuple[Trainer, set[tuple]]:
    """A trainer whose last sync was a bulk one, and the card schema before it."""
    empty = make_trainer(deck_dirs=[])
    schema_before = card_schema(empty)
    empty.close()
    folder, _ = write_big_deck(tmp_path, COUNT)
    return make_trainer(deck_dirs=[folder]), schema_before


def test_a_bulk_sync_leaves_the_index_out_of_date_and_says_so(bulk: tuple) -> None:
    trainer, schema_before = bulk
    assert not trainer.store.search_index_current()
    assert triggers(trainer) == set()
    assert indexed_rows(trainer) == 0
    recorded = trainer.store.meta(search_index.PENDING_KEY)
    assert recorded is not None and "cards_fts" in recorded
    # every other index of cards is back
    indexes = {row for row in schema_before if row[0] == "index"}
    assert {row for row in card_schema(trainer) if row[0] == "index"} == indexes


def test_the_first_text_search_rebuilds_it_and_puts_the_triggers_back(bulk: tuple) -> None:
    trainer, schema_before = bulk
    rows, total = trainer.browse(f"zebra{COUNT - 1}")
    assert (total, rows[0].term) == (1, f"word{COUNT - 1}")
    assert trainer.store.search_index_current()
    assert card_schema(trainer) == schema_before
    assert trainer.store.meta(search_index.PENDING_KEY) is None
    config = dict(trainer.store.conn.execute("SELECT k, v FROM cards_fts_config"))
    assert config.get("hashsize") == search_index.FTS5_DEFAULT_BUFFER
    assert trainer.store.conn.execute("PRAGMA cache_size").fetchone()[0] == -2000


def test_browsing_without_text_leaves_the_rebuild_for_later(bulk: tuple) -> None:
    trainer, _ = bulk
    assert trainer.browse("", sort="due")[1] >= COUNT
    assert trainer.browse("is:new")[1] >= COUNT
    assert not trainer.store.search_index_current()


def test_a_tag_filter_also_rebuilds_it(bulk: tuple) -> None:
    trainer, _ = bulk
    assert trainer.browse("tag:nothing-has-this") == ([], 0)
    assert trainer.store.search_index_current()


def test_changes_made_while_out_of_date_are_found_after_the_rebuild(
    bulk: tuple, tmp_path: Path
) -> None:
    trainer, _ = bulk
    deck = tmp_path / "big" / "big.yaml"
    lines = deck.read_text(encoding="utf-8").splitlines()
    lines[3] = "    definition: a quokka now"  # word0's definition: a small sync
    deck.write_text("\n".join(lines) + "\n", encoding="utf-8")
    trainer.sync_decks()
    assert not trainer.store.search_index_current()  # no trigger wrote half an index
    assert [row.term for row in trainer.browse("quokka")[0]] == ["word0"]
    assert trainer.browse("zebra0")[1] == 0
    # and from now on the triggers keep it current
    lines[3] = "    definition: a wombat now"
    deck.write_text("\n".join(lines) + "\n", encoding="utf-8")
    trainer.sync_decks()
    assert [row.term for row in trainer.browse("wombat")[0]] == ["word0"]
    assert trainer.browse("quokka")[1] == 0


def test_a_second_bulk_sync_keeps_the_recorded_triggers(
    bulk: tuple, tmp_path: Path, make_trainer: Callable[..., Trainer]
) -> None:
    trainer, schema_before = bulk
    recorded = trainer.store.meta(search_index.PENDING_KEY)
    other = tmp_path / "other"
    other.mkdir()
    lines = ["name: Other", "cards:"]
    for i in range(COUNT):
        lines += [f"  - term: other{i}", f"    definition: another meaning {i}"]
    (other / "other.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    trainer.deck_dirs.append(other)
    trainer.sync_decks()
    assert trainer.store.meta(search_index.PENDING_KEY) == recorded
    assert trainer.browse("another")[1] == COUNT
    assert card_schema(trainer) == schema_before


def test_the_background_job_rebuilds_it_on_its_own_connection(bulk: tuple) -> None:
    trainer, schema_before = bulk
    job = trainer.search_index_job()
    assert job is not None
    worker = threading.Thread(target=job)
    worker.start()
    worker.join()
    assert trainer.store.search_index_current()
    assert card_schema(trainer) == schema_before
    assert (
        indexed_rows(trainer)
        == trainer.store.conn.execute("SELECT count(*) FROM cards").fetchone()[0]
    )
    assert trainer.search_index_job() is None
    assert trainer.store.bring_search_index_up_to_date() is False


def test_a_recorded_value_that_is_not_trigger_sql_is_refused(bulk: tuple) -> None:
    trainer, _ = bulk
    with trainer.store.write():
        trainer.store.conn.execute(
            "UPDATE meta SET value = ? WHERE key = ?",
            ['["DELETE FROM cards"]', search_index.PENDING_KEY],
        )
    with pytest.raises(DatabaseError, match="not a list of search index triggers"):
        trainer.browse("zebra1")
    assert trainer.store.conn.execute("SELECT count(*) FROM cards").fetchone()[0] >= COUNT
