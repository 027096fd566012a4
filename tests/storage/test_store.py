"""The store: atomic answers, undo, replay, and deck syncing that keeps history."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

import trainer.app.deckfile
from tests.conftest import START
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock
from trainer.core.model import Direction, Mode, ReviewRecord
from trainer.core.sm2 import SM2State, review
from trainer.storage.store import Store

FWD = Direction.FORWARD
REV = Direction.REVERSE
ALPHA, BETA, GAMMA = "small/alpha", "small/beta", "small/gamma"


def instant(text: str) -> dt.datetime:
    """Stored timestamps are ISO text; compare them as instants, not as spellings."""
    value = dt.datetime.fromisoformat(text)
    assert value.tzinfo is not None, text
    return value


def reviews_count(store: Store) -> int:
    return store.db.execute("SELECT count(*) FROM reviews").fetchone()[0]


def state_row(store: Store, card: str, direction: Direction = FWD) -> dict | None:
    rows = list(
        store.db["card_state"].rows_where("card_id = ? AND direction = ?", [card, str(direction)])
    )
    return rows[0] if rows else None


def make_record(
    review_id: str,
    before: SM2State,
    grade: int,
    at: dt.datetime,
    mode: Mode = Mode.STUDY,
    card: str = ALPHA,
) -> ReviewRecord:
    day = at.date()
    after = review(before, grade, day) if mode is not Mode.DRILL else before
    return ReviewRecord(review_id, card, FWD, at, day, grade, mode, 1500, before, after)


# ----------------------------------------------------------------- record_review
def test_record_review_writes_the_log_row_and_the_state(trainer: Trainer) -> None:
    record = trainer.record_answer(ALPHA, FWD, 4, Mode.STUDY, response_ms=2300)
    row = trainer.store.db["reviews"].get(record.id)
    assert row["card_id"] == ALPHA
    assert row["direction"] == "forward"
    assert instant(row["answered_at"]) == START
    assert row["day"] == "2026-03-04"
    assert (row["grade"], row["mode"], row["response_ms"]) == (4, "study", 2300)
    assert (row["prev_repetitions"], row["prev_due"]) == (0, None)
    assert (row["repetitions"], row["interval"], row["due"]) == (1, 1, "2026-03-05")
    assert trainer.store.review(record.id) == record

    state = state_row(trainer.store, ALPHA)
    assert state is not None
    assert (state["repetitions"], state["interval"], state["due"]) == (1, 1, "2026-03-05")
    assert instant(state["last_review"]) == START


def test_record_review_is_all_or_nothing(trainer: Trainer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(trainer.store, "_put_state", broken)
    with pytest.raises(RuntimeError, match="disk pulled out"):
        trainer.record_answer(ALPHA, FWD, 5, Mode.STUDY)
    assert reviews_count(trainer.store) == 0
    assert state_row(trainer.store, ALPHA) is None
    assert not trainer.store.db.conn.in_transaction


def test_a_drill_is_logged_without_touching_the_state(trainer: Trainer) -> None:
    trainer.record_answer(ALPHA, FWD, 1, Mode.STUDY)
    before = state_row(trainer.store, ALPHA)
    trainer.record_answer(ALPHA, FWD, 5, Mode.DRILL)
    assert reviews_count(trainer.store) == 2
    assert state_row(trainer.store, ALPHA) == before


# ------------------------------------------------------------------------- undo
def test_undo_of_a_new_cards_answer_leaves_no_state(trainer: Trainer) -> None:
    record = trainer.record_answer(ALPHA, FWD, 5, Mode.STUDY)
    undone = trainer.undo(record.id)
    assert undone == record
    assert reviews_count(trainer.store) == 1  # the log row stays
    assert instant(trainer.store.db["review_undos"].get(record.id)["undone_at"]) == START
    assert trainer.store.is_undone(record.id)
    assert state_row(trainer.store, ALPHA) is None
    assert trainer.store.state_of(ALPHA, FWD) == SM2State()
    assert trainer.store.reviews_on(dt.date(2026, 3, 4)) == []


def test_undo_restores_the_previous_state_and_its_review_time(
    trainer: Trainer, clock: FixedClock
) -> None:
    first = trainer.record_answer(ALPHA, FWD, 5, Mode.STUDY)
    clock.advance(days=1)
    second = trainer.record_answer(ALPHA, FWD, 3, Mode.STUDY)
    assert second.before == first.after
    trainer.undo(second.id)
    assert trainer.store.state_of(ALPHA, FWD) == first.after
    assert instant(state_row(trainer.store, ALPHA)["last_review"]) == first.answered_at
    assert reviews_count(trainer.store) == 2
    assert not trainer.store.is_undone(first.id)


def test_undo_of_a_drill_changes_no_state(trainer: Trainer) -> None:
    trainer.record_answer(ALPHA, FWD, 2, Mode.STUDY)
    before = state_row(trainer.store, ALPHA)
    drill = trainer.record_answer(ALPHA, FWD, 4, Mode.DRILL)
    trainer.undo(drill.id)
    assert state_row(trainer.store, ALPHA) == before


def test_undo_of_an_unknown_review_writes_nothing(trainer: Trainer) -> None:
    with pytest.raises(KeyError):
        trainer.undo("no-such-review")
    assert trainer.store.db["review_undos"].count == 0


# ----------------------------------------------------------------------- replay
def test_rebuild_agrees_with_the_cached_state_after_a_mixed_history(
    make_trainer: Callable[..., Trainer], clock: FixedClock
) -> None:
    from trainer.app.settings import Settings

    trainer = make_trainer(Settings(deck_directions={"small": (FWD, REV)}))
    answer = trainer.record_answer
    # day 1: new cards, a failure drilled to a pass, an answer undone
    answer(ALPHA, FWD, 5, Mode.STUDY)
    answer(BETA, FWD, 2, Mode.STUDY)
    clock.advance(minutes=1)
    answer(BETA, FWD, 3, Mode.DRILL)
    answer(BETA, FWD, 4, Mode.DRILL)
    undone = answer(GAMMA, FWD, 5, Mode.STUDY)
    trainer.undo(undone.id)
    answer(GAMMA, REV, 4, Mode.STUDY)
    # day 2: reviews, a lapse, a quiz answer
    clock.advance(days=1)
    answer(ALPHA, FWD, 5, Mode.STUDY)
    answer(BETA, FWD, 1, Mode.STUDY)
    answer(GAMMA, REV, 2, Mode.QUIZ)
    clock.advance(minutes=5)
    answer(BETA, FWD, 5, Mode.DRILL)
    last = answer(ALPHA, FWD, 0, Mode.QUIZ)
    trainer.undo(last.id)
    # day 8
    clock.advance(days=6)
    answer(ALPHA, FWD, 4, Mode.STUDY)
    answer(GAMMA, FWD, 3, Mode.STUDY)

    cached = trainer.store.cached_states()
    cached_rows = sorted(trainer.store.db["card_state"].rows, key=lambda r: tuple(r.values()))
    assert trainer.rebuild() == len(cached) == 4
    assert trainer.store.cached_states() == cached
    rebuilt_rows = sorted(trainer.store.db["card_state"].rows, key=lambda r: tuple(r.values()))
    assert rebuilt_rows == cached_rows
    assert cached[(ALPHA, "forward")].repetitions == 3
    assert (cached[(BETA, "forward")].repetitions, cached[(BETA, "forward")].lapses) == (0, 0)
    assert cached[(GAMMA, "forward")].repetitions == 1
    assert cached[(GAMMA, "reverse")].lapses == 1


def test_rebuild_replays_answers_given_in_the_same_instant_in_the_order_given(
    trainer: Trainer,
) -> None:
    """A fixed clock (TRAINER_NOW) can stamp several answers with one instant.

    The log's insertion order is the order they were given; the replay must not
    reorder them by their random ids.
    """
    at = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)
    first = make_record("ffff-second-by-id", SM2State(), 5, at)
    second = make_record("0000-first-by-id", first.after, 1, at)
    trainer.store.record_review(first)
    trainer.store.record_review(second)
    cached = trainer.store.cached_states()
    assert cached[(ALPHA, "forward")] == second.after
    trainer.rebuild()
    assert trainer.store.cached_states() == cached


def test_rebuild_on_an_empty_log_clears_stray_state(trainer: Trainer) -> None:
    trainer.store.db["card_state"].insert(
        {"card_id": ALPHA, "direction": "forward", "repetitions": 9, "due": "2026-01-01"}
    )
    assert trainer.rebuild() == 0
    assert trainer.store.cached_states() == {}


# -------------------------------------------------------------------- deck sync
def rewrite(path: Path, text: str) -> None:
    """Write and move the mtime forward, so a same-second edit is still seen."""
    stat = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


EDITED = """\
name: Small deck
description: Three cards for tests.
cards:
  - term: Gamma
    definition: The third letter of the Greek alphabet.
  - term: alpha
    definition: alpha, the letter that starts it all (edited).
"""

RESTORED = (
    EDITED
    + """\
  - term: Beta
    definition: The second letter, back again.
"""
)


def card_map(store: Store) -> dict[str, tuple[str, bool]]:
    return {c.id: (c.card.definition, c.retired) for c in store.cards(deck="small")}


def test_history_survives_editing_reordering_and_removing_cards(
    trainer: Trainer, deck_dir: Path, clock: FixedClock
) -> None:
    alpha = trainer.record_answer(ALPHA, FWD, 5, Mode.STUDY)
    beta = trainer.record_answer(BETA, FWD, 4, Mode.STUDY)
    clock.advance(days=1)

    rewrite(deck_dir / "small.yaml", EDITED)
    report = trainer.sync_decks()
    assert report.parsed == ["small"]
    assert report.errors == []
    assert card_map(trainer.store) == {
        ALPHA: ("alpha, the letter that starts it all (edited).", False),
        BETA: ("The second letter of the Greek alphabet.", True),
        GAMMA: ("The third letter of the Greek alphabet.", False),
    }
    assert [c.id for c in trainer.store.cards(deck="small")] == [GAMMA, ALPHA, BETA]
    assert reviews_count(trainer.store) == 2
    assert trainer.store.state_of(ALPHA, FWD) == alpha.after
    assert trainer.store.state_of(BETA, FWD) == beta.after
    assert BETA not in {e.card_id for e in trainer.queue()}
    assert trainer.decks()[0].cards == 2

    rewrite(deck_dir / "small.yaml", RESTORED)
    assert trainer.sync_decks().parsed == ["small"]
    assert card_map(trainer.store)[BETA] == ("The second letter, back again.", False)
    assert trainer.store.state_of(BETA, FWD) == beta.after
    assert ("small/beta", FWD) in {(e.card_id, e.direction) for e in trainer.queue()}
    assert trainer.decks()[0].cards == 3


def test_card_added_at_is_kept_across_edits(
    trainer: Trainer, deck_dir: Path, clock: FixedClock
) -> None:
    added = {row["id"]: row["added_at"] for row in trainer.store.db["cards"].rows}
    clock.advance(days=3)
    rewrite(deck_dir / "small.yaml", RESTORED)
    trainer.sync_decks()
    now = {row["id"]: row["added_at"] for row in trainer.store.db["cards"].rows}
    assert now[ALPHA] == added[ALPHA]
    assert instant(now[ALPHA]) == START
    assert now[BETA] == added[BETA]


def test_a_deleted_deck_file_retires_its_cards_and_keeps_the_reviews(
    trainer: Trainer, deck_dir: Path
) -> None:
    record = trainer.record_answer(ALPHA, FWD, 5, Mode.STUDY)
    text = (deck_dir / "small.yaml").read_text(encoding="utf-8")
    (deck_dir / "small.yaml").unlink()
    trainer.sync_decks()
    assert trainer.decks() == []
    assert all(retired for _, retired in card_map(trainer.store).values())
    assert trainer.queue() == []
    assert reviews_count(trainer.store) == 1

    (deck_dir / "small.yaml").write_text(text, encoding="utf-8")
    assert trainer.sync_decks().parsed == ["small"]
    assert not any(retired for _, retired in card_map(trainer.store).values())
    assert trainer.store.state_of(ALPHA, FWD) == record.after


def test_a_broken_edit_keeps_the_last_good_cards_until_fixed(
    trainer: Trainer, deck_dir: Path
) -> None:
    path = deck_dir / "small.yaml"
    good = path.read_text(encoding="utf-8")
    rewrite(path, good + "  - term: Delta\n")
    report = trainer.sync_decks()
    assert report.parsed == []
    assert [str(e) for e in report.errors] == [f"{path}:10: card 4 has no definition"]
    assert trainer.decks()[0].cards == 3
    assert not any(retired for _, retired in card_map(trainer.store).values())
    # the broken file is reported again on every sync until it is fixed
    assert len(trainer.sync_decks().errors) == 1
    rewrite(path, good + "  - term: Delta\n    definition: The fourth letter.\n")
    assert trainer.sync_decks().parsed == ["small"]
    assert trainer.decks()[0].cards == 4


# ------------------------------------------------------------- parse only changes
@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = trainer.app.deckfile.parse_deck_text_form

    def counting(text: str, slug: str, source: str):  # type: ignore[no-untyped-def]
        calls.append(slug)
        return original(text, slug, source)

    monkeypatch.setattr(trainer.app.deckfile, "parse_deck_text_form", counting)
    return calls


def test_unchanged_deck_files_are_not_parsed_again(
    trainer: Trainer, make_trainer: Callable[..., Trainer], parse_calls: list[str]
) -> None:
    assert trainer.sync_decks().parsed == []
    assert parse_calls == []
    make_trainer()  # another process opening the same database
    assert parse_calls == []


def test_a_touched_but_identical_file_is_not_parsed_again(
    trainer: Trainer, deck_dir: Path, parse_calls: list[str]
) -> None:
    path = deck_dir / "small.yaml"
    rewrite(path, path.read_text(encoding="utf-8"))
    assert trainer.sync_decks().parsed == []
    assert parse_calls == []
    signature = trainer.store.deck_signatures()["small"]
    assert signature.mtime_ns == path.stat().st_mtime_ns
    assert trainer.sync_decks().parsed == []
    assert parse_calls == []


def test_a_changed_file_is_parsed_once(
    trainer: Trainer, deck_dir: Path, parse_calls: list[str]
) -> None:
    rewrite(deck_dir / "small.yaml", RESTORED)
    trainer.sync_decks()
    trainer.sync_decks()
    assert parse_calls == ["small"]


def test_a_new_deck_file_is_picked_up(
    trainer: Trainer, deck_dir: Path, parse_calls: list[str]
) -> None:
    (deck_dir / "more.yaml").write_text(
        "name: More\ncards:\n  - term: Delta\n    definition: Fourth.\n", encoding="utf-8"
    )
    assert trainer.sync_decks().parsed == ["more"]
    assert parse_calls == ["more"]
    assert sorted((d.slug, d.cards) for d in trainer.decks()) == [("more", 1), ("small", 3)]


def test_record_and_list_quiz_attempts(trainer: Trainer) -> None:
    attempt = {
        "id": "q1",
        "started_at": "2026-03-04T09:00:00+00:00",
        "finished_at": "2026-03-04T09:05:00+00:00",
        "day": "2026-03-04",
        "decks": '["small"]',
        "source": "deck",
        "direction": "term",
        "correct": 2,
        "total": 3,
        "seconds": 300.0,
        "questions": "[]",
        "seed": 12345,
    }
    trainer.store.record_quiz_attempt(attempt)
    assert trainer.store.quiz_attempts() == [attempt]


def test_study_days_leave_out_a_day_whose_only_answers_were_undone(trainer: Trainer, clock) -> None:
    first = trainer.record_answer("small/alpha", Direction.FORWARD, 4, Mode.STUDY)
    trainer.undo(first.id)
    clock.advance(days=1)
    kept = trainer.record_answer("small/beta", Direction.FORWARD, 4, Mode.STUDY)
    undone = trainer.record_answer("small/gamma", Direction.FORWARD, 4, Mode.STUDY)
    trainer.undo(undone.id)
    assert trainer.store.study_days() == [kept.day]


def test_a_large_deck_is_indexed_for_search_in_one_pass(
    make_trainer: Callable[..., Trainer], tmp_path: Path
) -> None:
    from trainer.storage.store import BULK_SYNC_ROWS

    empty = make_trainer(deck_dirs=[])
    schema_before = card_schema(empty)
    empty.close()
    count = BULK_SYNC_ROWS + 10
    folder, lines = write_big_deck(tmp_path, count)
    trainer = make_trainer(deck_dirs=[folder])
    rows, total = trainer.browse(f"zebra{count - 1}")
    assert (total, rows[0].term) == (1, f"word{count - 1}")
    assert trainer.browse("meaning")[1] == count
    # every index and trigger is back, and the bulk settings are undone
    assert card_schema(trainer) == schema_before
    assert {"cards_ai", "cards_ad", "cards_au"} <= {name for _, name, _ in schema_before}
    config = dict(trainer.store.conn.execute("SELECT k, v FROM cards_fts_config"))
    assert config.get("hashsize", 1024 * 1024) == 1024 * 1024
    assert trainer.store.conn.execute("PRAGMA cache_size").fetchone()[0] == -2000
    # a later small change goes through the restored triggers
    (folder / "big.yaml").write_text(
        "\n".join([*lines[:4], "  - term: extra", "    definition: quokka"]) + "\n",
        encoding="utf-8",
    )
    trainer.sync_decks()
    assert [r.term for r in trainer.browse("quokka")[0]] == ["extra"]
    assert trainer.browse("meaning")[1] == 1  # retired cards leave the results


def write_big_deck(tmp_path: Path, count: int) -> tuple[Path, list[str]]:
    folder = tmp_path / "big"
    folder.mkdir(exist_ok=True)
    lines = ["name: Big", "cards:"]
    for i in range(count):
        lines += [f"  - term: word{i}", f"    definition: meaning number {i} zebra{i}"]
    (folder / "big.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder, lines


def card_schema(trainer: Trainer) -> set[tuple[str, str, str]]:
    """The indexes and triggers on cards, with their SQL."""
    return set(
        trainer.store.conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'cards' "
            "AND type IN ('index', 'trigger')"
        )
    )


def test_a_large_sync_that_fails_leaves_the_cards_and_their_indexes_as_they_were(
    trainer: Trainer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.storage.store import BULK_SYNC_ROWS

    before = card_schema(trainer), trainer.store.conn.execute("SELECT * FROM cards").fetchall()
    found = trainer.browse("alpha")
    assert found[1] >= 1
    folder, _ = write_big_deck(tmp_path, BULK_SYNC_ROWS)
    trainer.deck_dirs.append(folder)
    insert = Store._insert_cards  # a new deck's rows: no upsert needed

    def insert_then_fail(store: Store, rows: Sequence[tuple[object, ...]]) -> None:
        insert(store, rows)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "_insert_cards", insert_then_fail)
    with pytest.raises(sqlite3.OperationalError):
        trainer.sync_decks()
    after = card_schema(trainer), trainer.store.conn.execute("SELECT * FROM cards").fetchall()
    assert after == before
    assert trainer.store.conn.execute("PRAGMA cache_size").fetchone()[0] == -2000
    assert journal_settings(trainer.store.conn) == ("wal", 1)  # put back
    assert trainer.browse("alpha") == found  # the search index is whole


def test_one_change_in_a_large_deck_writes_one_row_and_keeps_the_rest(
    make_trainer: Callable[..., Trainer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.storage.store import BULK_SYNC_ROWS

    folder, lines = write_big_deck(tmp_path, BULK_SYNC_ROWS + 10)
    trainer = make_trainer(deck_dirs=[folder])
    trainer.store.conn.execute("UPDATE cards SET suspended = 1 WHERE id = 'big/word7'")
    before = dict(trainer.store.conn.execute("SELECT id, added_at FROM cards"))
    lines[3] = "    definition: a wombat now"  # word0's definition
    lines[5] = "    definition: still the same"  # and word1's
    last = len(lines) // 2 - 2
    del lines[-2:]  # the last card leaves the deck (no other card moves up)
    (folder / "big.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def no_bulk(store: Store) -> None:
        raise AssertionError("three changed cards must not rebuild every index")

    monkeypatch.setattr(Store, "_bulk_card_writes", no_bulk)
    trainer.clock.advance(days=1)  # type: ignore[attr-defined]  # a re-add would show
    report = trainer.sync_decks()
    assert report.parsed == ["big"]
    assert [r.term for r in trainer.browse("wombat")[0]] == ["word0"]
    assert trainer.browse("zebra0")[1] == 0  # the old words are out of the index
    assert trainer.browse(f"zebra{last}")[1] == 0  # retired
    assert trainer.browse(f"zebra{last - 1}")[1] == 1
    after = dict(trainer.store.conn.execute("SELECT id, added_at FROM cards"))
    assert after == before  # nobody was re-added
    suspended = trainer.store.conn.execute("SELECT suspended FROM cards WHERE id = 'big/word7'")
    assert suspended.fetchone()[0] == 1


def test_upcoming_skips_suspended_cards_other_decks_and_unstudied_directions(
    make_trainer: Callable[..., Trainer], deck_dir: Path
) -> None:
    (deck_dir / "other.yaml").write_text(
        "name: Other\ndirections: [forward]\ncards:\n  - term: Delta\n    definition: fourth\n",
        encoding="utf-8",
    )
    trainer = make_trainer()
    today = trainer.today()
    for card in ("small/alpha", "small/beta", "small/gamma", "other/delta"):
        trainer.record_answer(card, Direction.FORWARD, 4, Mode.STUDY)
    trainer.record_answer("small/gamma", Direction.REVERSE, 4, Mode.STUDY)

    def due_in(card: str, direction: str, days: int) -> None:
        trainer.store.conn.execute(
            "UPDATE card_state SET due = ? WHERE card_id = ? AND direction = ?",
            [(today + dt.timedelta(days=days)).isoformat(), card, direction],
        )

    due_in("small/alpha", "forward", 1)  # suspended below: not counted
    due_in("other/delta", "forward", 2)  # another deck
    due_in("small/gamma", "reverse", 3)  # a direction small does not study
    due_in("small/beta", "forward", 5)
    due_in("small/gamma", "forward", 5)
    trainer.store.conn.execute("UPDATE cards SET suspended = 1 WHERE id = 'small/alpha'")
    assert trainer.upcoming(["small"]) == (today + dt.timedelta(days=5), 0)
    assert trainer.upcoming(None) == (today + dt.timedelta(days=2), 0)
    trainer.store.conn.execute("UPDATE cards SET suspended = 0 WHERE id = 'small/alpha'")
    assert trainer.upcoming(["small"]) == (today + dt.timedelta(days=1), 1)


def journal_settings(conn: sqlite3.Connection) -> tuple[str, int]:
    """The journal mode and ``synchronous`` level (1 is NORMAL)."""
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    return mode, conn.execute("PRAGMA synchronous").fetchone()[0]


def journal_spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """The journal settings each insert of new cards ran under, as it runs."""
    seen: list[tuple[str, int]] = []
    insert = Store._insert_cards

    def insert_and_look(store: Store, rows: Sequence[tuple[object, ...]]) -> None:
        seen.append(journal_settings(store.conn))
        insert(store, rows)

    monkeypatch.setattr(Store, "_insert_cards", insert_and_look)
    return seen


def test_a_large_new_deck_is_written_once_then_the_log_is_back(
    trainer: Trainer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.storage.store import BULK_SYNC_ROWS

    seen = journal_spy(monkeypatch)
    folder, _ = write_big_deck(tmp_path, BULK_SYNC_ROWS)
    trainer.deck_dirs.append(folder)
    trainer.sync_decks()
    assert seen == [("delete", 2)]  # a rollback journal, synchronous FULL
    assert journal_settings(trainer.store.conn) == ("wal", 1)
    assert trainer.store.conn.execute("SELECT count(*) FROM cards WHERE deck = 'big'").fetchone()
    assert trainer.store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not (tmp_path / "trainer.db-journal").exists()


def test_a_large_new_deck_goes_through_the_log_while_another_connection_is_open(
    trainer: Trainer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trainer.storage.store import BULK_SYNC_ROWS

    other = sqlite3.connect(tmp_path / "trainer.db")
    other.execute("SELECT count(*) FROM cards").fetchone()  # joins the log's shared state
    seen = journal_spy(monkeypatch)
    folder, _ = write_big_deck(tmp_path, BULK_SYNC_ROWS)
    trainer.deck_dirs.append(folder)
    trainer.sync_decks()  # no wait for the other connection: the usual path
    assert seen == [("wal", 1)]
    assert other.execute("SELECT count(*) FROM cards WHERE deck = 'big'").fetchone() == (
        BULK_SYNC_ROWS,
    )
    other.close()


CRASH_IN_A_LARGE_SYNC = """
import os, sys
from pathlib import Path
from trainer.app.trainer import Trainer
from trainer.storage.store import Store

insert = Store._insert_cards


def insert_and_die(store, rows):
    store.conn.execute("PRAGMA cache_size = 10")  # changed pages reach the file
    insert(store, rows)
    os._exit(3)  # a crash before the commit, the journal beside the database


Store._insert_cards = insert_and_die
trainer = Trainer.open(Path(sys.argv[1]), deck_dirs=[Path(sys.argv[2])])
trainer.sync_decks()
"""


def test_a_crash_in_a_large_new_deck_is_rolled_back_at_the_next_open(
    trainer: Trainer, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from trainer.storage.store import BULK_SYNC_ROWS

    db = tmp_path / "trainer.db"
    before = trainer.store.conn.execute("SELECT * FROM cards ORDER BY id").fetchall()
    trainer.close()
    folder, _ = write_big_deck(tmp_path, BULK_SYNC_ROWS)
    env = {**os.environ, "TRAINER_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-c", CRASH_IN_A_LARGE_SYNC, str(db), str(folder)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3, done.stderr
    journal = tmp_path / "trainer.db-journal"
    assert journal.stat().st_size > 0  # hot: the next open must play it back
    reopened = Trainer.open(db, deck_dirs=[])
    try:
        conn = reopened.store.conn
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT * FROM cards ORDER BY id").fetchall() == before
        assert journal_settings(conn) == ("wal", 1)
    finally:
        reopened.close()
