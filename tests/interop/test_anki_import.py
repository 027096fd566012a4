"""Importing Anki packages: every layout, HTML, decks, tags, media, history."""

from __future__ import annotations

import datetime as dt
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import START
from tests.interop.anki_builders import (
    REVERSED,
    ModernCollection,
    ModernNote,
    genanki_package,
    stub_collection,
    write_zip,
    zstd,
)
from tests.interop.conftest import LEGACY, MODERN, Result, folder_snapshot, review_rows
from tests.storage.test_due_directions import wrongly_kept
from trainer.app.deckfile import read_deck_file
from trainer.app.settings import Settings
from trainer.app.trainer import Trainer, UserError
from trainer.core.clock import study_day
from trainer.core.model import Direction, Mode
from trainer.core.sm2 import SM2State
from trainer.interop.anki import read_package
from trainer.interop.anki_import import EASE_TO_GRADE, import_package, parse_fields, review_id

GLOSSARY = {
    "Gradient descent": (
        "Iteratively moves parameters against the gradient.\nStep size = learning rate.",
        ("basics", "optim"),
    ),
    "Overfitting": ("Fits noise in the training set & generalizes poorly <bad>.", ("basics",)),
    "Tokenizer": ("Splits text into tokens.\nExample: BPE", ()),
    "Attention": (
        "Weighted mixing of values by query\u2013key similarity. [image:attention.png]",
        ("transformers",),
    ),
}
OPTIMIZERS = {
    "Adam": (
        "Adaptive moment estimation: per-parameter step sizes from running averages of "
        "gradients and squares.",
        ("optim",),
    ),
    "Momentum": ("Accumulates a velocity vector to damp oscillations.", ("optim",)),
    "Weight decay": ("L2 penalty on weights, decoupled in AdamW.", ("optim", "regularization")),
}
#: The fixture's five answers: (trainer card, Anki button), in answer order.
FIXTURE_ANSWERS = [
    ("glossary-fixture/gradient descent", 3),
    ("glossary-fixture/overfitting", 3),
    ("glossary-fixture/tokenizer", 1),
    ("glossary-fixture/attention", 4),
    ("glossary-fixture-optimizers/adam", 3),
]

OpenTrainer = Callable[..., Trainer]


@pytest.fixture
def trainer(open_trainer: OpenTrainer, tmp_path: Path) -> Trainer:
    return open_trainer(tmp_path / "t.db", at=START)


def cards_of(trainer: Trainer, slug: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {
        stored.card.term: (stored.card.definition, stored.card.tags)
        for stored in trainer.store.cards(deck=slug)
        if not stored.retired
    }


# ------------------------------------------------------------ real fixtures


@pytest.mark.parametrize(
    ("package", "member"),
    [(MODERN, "collection.anki21b"), (LEGACY, "collection.anki21")],
    ids=["modern", "legacy"],
)
def test_real_packages_import_exactly(
    trainer: Trainer, package: Path, member: str, tmp_path: Path
) -> None:
    outcome = import_package(trainer, package)
    assert outcome.member == member  # the newest real collection, never the stub
    assert [(d.slug, d.name, d.cards) for d in outcome.decks] == [
        ("glossary-fixture", "Glossary Fixture", 4),
        ("glossary-fixture-optimizers", "Glossary Fixture / Optimizers", 3),
    ]
    assert cards_of(trainer, "glossary-fixture") == GLOSSARY
    assert cards_of(trainer, "glossary-fixture-optimizers") == OPTIMIZERS
    assert list(cards_of(trainer, "glossary-fixture")) == list(GLOSSARY)  # Anki's note order
    media = [line for line in outcome.messages if "media" in line]
    assert media == [f"{package}: Glossary Fixture: 'Attention': media not imported: attention.png"]
    assert trainer.store.count_reviews() == 0  # history only on request
    directions = {row.slug: row.directions for row in trainer.decks()}
    assert directions["glossary-fixture"] == (Direction.FORWARD,)
    assert directions["glossary-fixture-optimizers"] == (Direction.FORWARD, Direction.REVERSE)
    deck_file = trainer.user_decks / "glossary-fixture-optimizers.yaml"
    assert read_deck_file(deck_file).name == "Glossary Fixture / Optimizers"


def test_both_fixture_layouts_read_the_same_collection() -> None:
    modern, legacy = read_package(MODERN), read_package(LEGACY)
    assert (modern.member, modern.schema) == ("collection.anki21b", 18)
    assert (legacy.member, legacy.schema) == ("collection.anki21", 11)
    assert modern.notes == legacy.notes
    assert modern.cards == legacy.cards
    assert modern.revlog == legacy.revlog
    assert len(modern.notes) == 7 and len(modern.cards) == 9 and len(modern.revlog) == 5
    assert dict(modern.decks) == dict(legacy.decks)


def test_without_history_cards_are_read_without_their_schedules() -> None:
    full, places = read_package(MODERN), read_package(MODERN, with_history=False)
    assert places.notes == full.notes and places.revlog == ()
    assert [card[:4] for card in places.cards] == [card[:4] for card in full.cards]
    assert any(card.interval for card in full.cards)
    assert all(card[4:] == (0,) * 7 for card in places.cards)


@pytest.mark.parametrize("package", [MODERN, LEGACY], ids=["modern", "legacy"])
def test_history_maps_the_revlog_onto_the_review_log(trainer: Trainer, package: Path) -> None:
    outcome = import_package(trainer, package, with_history=True)
    assert (outcome.reviews_added, outcome.reviews_present, outcome.reviews_skipped) == (5, 0, 0)
    reviews = list(trainer.store.all_reviews())
    assert [(r.card_id, r.grade) for r in reviews] == [
        (card, EASE_TO_GRADE[ease]) for card, ease in FIXTURE_ANSWERS
    ]
    assert [r.grade for r in reviews] == [4, 4, 1, 5, 4]
    assert {r.direction for r in reviews} == {Direction.FORWARD}
    assert {r.mode for r in reviews} == {Mode.STUDY}
    first = reviews[0]
    assert first.answered_at == dt.datetime(2026, 11, 23, 16, 58, 46, 158000, tzinfo=dt.UTC)
    assert first.day == dt.date(2026, 11, 23)
    collection = read_package(package)
    guid = {note.id: note.guid for note in collection.notes}
    by_card = {card.id: card for card in collection.cards}
    expected_ids = [
        review_id(guid[by_card[row.card_id].note_id], by_card[row.card_id].ord, row.id)
        for row in collection.revlog
    ]
    assert [r.id for r in reviews] == expected_ids
    assert all(uuid.UUID(hex=r.id).version == 5 for r in reviews)
    states = trainer.store.cached_states()
    assert len(states) == 5
    assert wrongly_kept(trainer.store.conn) == []  # the cards' due directions (m019)
    assert states[("glossary-fixture/tokenizer", "forward")] == SM2State(
        repetitions=0, easiness=2.5, interval=1, due=dt.date(2026, 11, 24), lapses=0
    )
    # last answered in Anki, a review card there: Anki's due day (crt 2026-11-23 + 4),
    # interval and ease win over the replay's SM-2 (which gives 1 day, 2.6)
    assert states[("glossary-fixture/attention", "forward")] == SM2State(
        repetitions=1, easiness=2.5, interval=4, due=dt.date(2026, 11, 27), lapses=0
    )


def test_importing_twice_adds_no_reviews(trainer: Trainer, tmp_path: Path) -> None:
    import_package(trainer, MODERN, with_history=True)
    before = review_rows(tmp_path / "t.db")
    states = trainer.store.cached_states()
    again = import_package(trainer, MODERN, with_history=True)
    assert [d.written for d in again.decks] == [False, False]  # same decks: nothing rewritten
    assert (again.reviews_added, again.reviews_present) == (0, 5)
    # the other layout of the same collection maps onto the same review ids
    legacy = import_package(trainer, LEGACY, with_history=True)
    assert (legacy.reviews_added, legacy.reviews_present) == (0, 5)
    assert review_rows(tmp_path / "t.db") == before
    assert trainer.store.cached_states() == states


def test_cli_import_with_history_twice(cli: Callable[..., Result], home: Path, monkeypatch) -> None:
    monkeypatch.setenv("TRAINER_NOW", "2026-12-01T09:00:00+00:00")
    first = cli("import", str(MODERN), "--with-history")
    assert first.code == 0, first.err
    assert first.out.splitlines() == [
        f"wrote {home / 'decks' / 'glossary-fixture.yaml'} (4 cards) as deck 'glossary-fixture'",
        f"wrote {home / 'decks' / 'glossary-fixture-optimizers.yaml'} (3 cards) as deck "
        "'glossary-fixture-optimizers'",
        "history: 5 reviews added, 0 already present, 0 skipped",
    ]
    assert "media not imported: attention.png" in first.err
    second = cli("import", str(MODERN), "--with-history")
    assert second.code == 0, second.err
    assert second.out.splitlines()[-1] == "history: 0 reviews added, 5 already present, 0 skipped"
    assert len(review_rows(home / "trainer.db")) == 5


# ------------------------------------------------------- packages made here


def test_genanki_package_with_a_single_anki2_collection(trainer: Trainer, tmp_path: Path) -> None:
    package = genanki_package(
        tmp_path / "made.apkg",
        {
            "Languages::Spanish": [
                ("hola", "hello<br>(greeting)", ["es", "greetings"]),
                ("&iquest;qu&eacute;?", "what?", []),
            ],
            "Languages::French": [("<b>bonjour</b>", "good&nbsp;day", ["fr"])],
        },
    )
    with zipfile.ZipFile(package) as archive:
        assert [n for n in archive.namelist() if n.startswith("collection")] == ["collection.anki2"]
    outcome = import_package(trainer, package)
    assert outcome.member == "collection.anki2"
    assert [(d.slug, d.name, d.cards) for d in outcome.decks] == [
        ("languages-spanish", "Languages / Spanish", 2),
        ("languages-french", "Languages / French", 1),
    ]
    assert cards_of(trainer, "languages-spanish") == {
        "hola": ("hello\n(greeting)", ("es", "greetings")),
        "\u00bfqu\u00e9?": ("what?", ()),
    }
    assert cards_of(trainer, "languages-french") == {"bonjour": ("good day", ("fr",))}


def test_fields_option_picks_other_fields(trainer: Trainer, tmp_path: Path) -> None:
    package = genanki_package(tmp_path / "swap.apkg", {"Words": [("front", "back", [])]})
    import_package(trainer, package, fields="2,1")
    assert cards_of(trainer, "words") == {"back": ("front", ())}
    import_package(trainer, package, fields=("Front", "Back"), overwrite=True)
    assert cards_of(trainer, "words") == {"front": ("back", ())}


def test_fields_that_no_note_has_are_refused(trainer: Trainer, tmp_path: Path) -> None:
    package = genanki_package(tmp_path / "p.apkg", {"Words": [("front", "back", [])]})
    with pytest.raises(UserError, match="no note has a usable term"):
        import_package(trainer, package, fields=(1, 3))
    assert not (trainer.user_decks / "words.yaml").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,2", (1, 2)), ("2, 1", (2, 1)), ("Front,Back", ("Front", "Back")), ("3,Back", (3, "Back"))],
)
def test_parse_fields(text: str, expected: tuple[object, object]) -> None:
    assert parse_fields(text) == expected


@pytest.mark.parametrize("text", ["1", "1,2,3", "0,1", "1,1", ",2", ""])
def test_parse_fields_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_fields(text)


def test_anki21b_collection_built_from_sqlite_and_zstd(trainer: Trainer, tmp_path: Path) -> None:
    collection = ModernCollection(
        decks={1: "Default", 10: "Biology::Cells", 11: "Biology", 99: "Filtered"},
        notes=[
            ModernNote(
                100, ["Mitochondrion", "Makes ATP.<div>The powerhouse.</div>"], 10, tags=["cell"]
            ),
            ModernNote(101, ["Ribosome", "Builds proteins &amp; more."], 10, cards=[(201, 0, 99)]),
            ModernNote(102, ["Cell", "Smallest unit of life."], 11),
        ],
    )
    package = collection.package(tmp_path / "bio.apkg")
    outcome = import_package(trainer, package)
    assert outcome.member == "collection.anki21b"
    assert [(d.slug, d.name, d.cards) for d in outcome.decks] == [
        ("biology-cells", "Biology / Cells", 2),
        ("biology", "Biology", 1),
    ]
    assert cards_of(trainer, "biology-cells") == {
        "Mitochondrion": ("Makes ATP.\nThe powerhouse.", ("cell",)),
        "Ribosome": ("Builds proteins & more.", ()),  # in a filtered deck: its home deck counts
    }


def test_a_package_with_only_the_stub_is_refused(trainer: Trainer, tmp_path: Path) -> None:
    package = write_zip(tmp_path / "stub.apkg", {"collection.anki2": stub_collection()})
    with pytest.raises(UserError, match="placeholder"):
        import_package(trainer, package)
    assert folder_snapshot(trainer.user_decks) == {}


def test_anki21_wins_over_anki2_when_both_are_real(trainer: Trainer, tmp_path: Path) -> None:
    old = genanki_package(tmp_path / "old.apkg", {"Deck": [("old", "from anki2", [])]})
    new = genanki_package(tmp_path / "new.apkg", {"Deck": [("new", "from anki21", [])]})
    with zipfile.ZipFile(old) as a, zipfile.ZipFile(new) as b:
        members = {"collection.anki2": a.read("collection.anki2")}
        members["collection.anki21"] = b.read("collection.anki2")
    package = write_zip(tmp_path / "both.apkg", members)
    outcome = import_package(trainer, package)
    assert outcome.member == "collection.anki21"
    assert cards_of(trainer, "deck") == {"new": ("from anki21", ())}


def test_colpkg_is_read_like_apkg(trainer: Trainer, tmp_path: Path) -> None:
    with zipfile.ZipFile(MODERN) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    package = write_zip(tmp_path / "whole.colpkg", members)
    outcome = import_package(trainer, package)
    assert sum(d.cards for d in outcome.decks) == 7


def test_duplicates_and_empty_notes_are_skipped_and_reported(
    trainer: Trainer, tmp_path: Path
) -> None:
    package = genanki_package(
        tmp_path / "messy.apkg",
        {
            "Messy": [
                ("Term", "first", []),
                ("term ", "second", []),
                ("<br>", "no term", []),
                ("No definition", "<div></div>", []),
                ("Fine", "ok", []),
            ]
        },
    )
    outcome = import_package(trainer, package)
    assert cards_of(trainer, "messy") == {"Term": ("first", ()), "Fine": ("ok", ())}
    text = "\n".join(outcome.messages)
    assert "duplicate term 'term'" in text
    assert "has no term (no term); skipped" in text
    assert "has no definition (No definition); skipped" in text


def test_deck_option_gathers_every_anki_deck_into_one(trainer: Trainer) -> None:
    outcome = import_package(trainer, MODERN, deck_name="ML words")
    assert [(d.slug, d.name, d.cards) for d in outcome.decks] == [("ml-words", "ML words", 7)]


def test_an_existing_different_deck_file_needs_overwrite(trainer: Trainer, tmp_path: Path) -> None:
    trainer.user_decks.mkdir(parents=True)
    mine = trainer.user_decks / "glossary-fixture.yaml"
    mine.write_text("name: Mine\ncards:\n  - term: x\n    definition: y\n", encoding="utf-8")
    before = folder_snapshot(trainer.user_decks)
    with pytest.raises(UserError, match="already exists"):
        import_package(trainer, MODERN)
    assert folder_snapshot(trainer.user_decks) == before  # not even the other deck was written
    import_package(trainer, MODERN, overwrite=True)
    assert cards_of(trainer, "glossary-fixture") == GLOSSARY


def test_out_dir_puts_the_decks_elsewhere(trainer: Trainer, tmp_path: Path) -> None:
    outcome = import_package(trainer, MODERN, out_dir=tmp_path / "elsewhere")
    assert {d.path.parent for d in outcome.decks} == {tmp_path / "elsewhere"}
    trainer.sync_decks()  # decks outside the deck folders stay known
    assert {row.slug for row in trainer.decks()} >= {"glossary-fixture"}


def test_history_days_use_the_trainer_time_zone_and_rollover(
    open_trainer: OpenTrainer, tmp_path: Path
) -> None:
    berlin = ZoneInfo("Europe/Berlin")

    def ms(*args: int) -> int:
        return int(dt.datetime(*args, tzinfo=berlin).timestamp() * 1000)

    collection = ModernCollection(
        decks={10: "Words"},
        notes=[
            ModernNote(1, ["one", "uno"], 10, notetype=2, cards=[(11, 0, 0), (12, 1, 0)]),
            ModernNote(2, ["two", "dos"], 10, notetype=2, cards=[(21, 0, 0), (22, 1, 0)]),
        ],
        revlog=[
            (ms(2026, 3, 1, 20, 0), 11, 1, 0),  # Again: learning step
            (ms(2026, 3, 1, 20, 10), 11, 3, 0),  # Good ten minutes later: same day → drill
            (ms(2026, 3, 2, 2, 30), 11, 3, 1),  # 02:30 is still March 1st (rollover 4) → drill
            (ms(2026, 3, 2, 9, 0), 11, 4, 1),  # the next study day
            (ms(2026, 3, 2, 9, 1), 12, 2, 0),  # the reverse card
            (ms(2026, 3, 2, 9, 2), 21, 0, 4),  # a manual reschedule: no answer
            (ms(2026, 3, 2, 9, 3), 999, 3, 1),  # a card the package does not have
        ],
    )
    package = collection.package(tmp_path / "words.apkg")
    trainer = open_trainer(
        tmp_path / "tz.db", at=START, settings=Settings(rollover_hour=4), tz=berlin
    )
    outcome = import_package(trainer, package, with_history=True)
    assert (outcome.reviews_added, outcome.reviews_skipped) == (5, 2)
    reviews = list(trainer.store.all_reviews())
    assert [(r.direction, r.day, r.grade, r.mode) for r in reviews] == [
        (Direction.FORWARD, dt.date(2026, 3, 1), 1, Mode.STUDY),
        (Direction.FORWARD, dt.date(2026, 3, 1), 4, Mode.DRILL),
        (Direction.FORWARD, dt.date(2026, 3, 1), 4, Mode.DRILL),
        (Direction.FORWARD, dt.date(2026, 3, 2), 5, Mode.STUDY),
        (Direction.REVERSE, dt.date(2026, 3, 2), 3, Mode.STUDY),
    ]
    assert all(r.day == study_day(r.answered_at, berlin, 4) for r in reviews)
    assert reviews[2].answered_at == dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)
    states = trainer.store.cached_states()
    assert states[("words/one", "forward")] == SM2State(
        repetitions=1, easiness=2.6, interval=1, due=dt.date(2026, 3, 3), lapses=0
    )
    assert states[("words/one", "reverse")].repetitions == 1
    assert {row.slug: row.directions for row in trainer.decks()}["words"] == (
        Direction.FORWARD,
        Direction.REVERSE,
    )


def test_history_merges_with_answers_already_given_here(trainer: Trainer, tmp_path: Path) -> None:
    collection = ModernCollection(
        decks={10: "Words"},
        notes=[ModernNote(1, ["one", "uno"], 10)],
        revlog=[(int(START.timestamp() * 1000) - 3_600_000, 1, 3, 0)],  # an hour before START
    )
    package = collection.package(tmp_path / "words.apkg")
    import_package(trainer, package)
    own = trainer.record_answer("words/one", Direction.FORWARD, 5, Mode.STUDY)
    outcome = import_package(trainer, package, with_history=True)
    assert outcome.reviews_added == 1
    imported = [r for r in trainer.store.all_reviews() if r.id != own.id]
    assert imported[0].mode is Mode.STUDY  # earlier than the trainer's own answer that day
    assert [r.id for r in trainer.store.all_reviews()] == [imported[0].id, own.id]
    # the replay puts the Anki answer first, so the trainer's answer is now the second one
    assert trainer.store.cached_states()[("words/one", "forward")].repetitions == 2


def test_reversed_genanki_model_studies_both_directions(trainer: Trainer, tmp_path: Path) -> None:
    package = genanki_package(tmp_path / "rev.apkg", {"Both": [("a", "b", [])]}, model=REVERSED)
    import_package(trainer, package)
    assert {row.slug: row.directions for row in trainer.decks()}["both"] == (
        Direction.FORWARD,
        Direction.REVERSE,
    )


def test_zstd_of_the_real_fixture_roundtrips(tmp_path: Path) -> None:
    """The anki21b reader and a plain zstd frame agree (no content size in the frame)."""
    legacy = read_package(LEGACY)
    with zipfile.ZipFile(LEGACY) as archive:
        raw = archive.read("collection.anki21")
    import zstandard

    stream = zstandard.ZstdCompressor().compressobj()
    frame = stream.compress(raw) + stream.flush()  # streamed: the frame has no content size
    package = write_zip(
        tmp_path / "streamed.apkg",
        {"collection.anki21b": frame, "collection.anki2": stub_collection(), "media": zstd(b"")},
    )
    streamed = read_package(package)
    assert streamed.member == "collection.anki21b"
    assert streamed.notes == legacy.notes


def test_reimporting_a_newer_package_merges(trainer: Trainer, tmp_path: Path) -> None:
    """New notes are added, unedited cards take Anki's version, both-changed ones stay."""
    import genanki

    from tests.interop.anki_builders import BASIC

    def package(path: Path, notes: list[tuple[str, str, str]]) -> Path:
        deck = genanki.Deck(2_059_400_200, "Words")
        for front, back, guid in notes:
            deck.add_note(genanki.Note(model=BASIC, fields=[front, back], guid=guid))
        genanki.Package(deck).write_to_file(str(path), timestamp=1_700_000_000)
        return path

    first = [("one", "1", "g1"), ("two", "2", "g2"), ("three", "3", "g3")]
    import_package(trainer, package(tmp_path / "a.apkg", first))
    deck_file = trainer.user_decks / "words.yaml"
    assert deck_file.read_text(encoding="utf-8").count("guid:") == 3
    text = deck_file.read_text(encoding="utf-8").replace('"3"', '"three, edited here"')
    deck_file.write_text(text.replace('"2"', '"two, edited here"'), encoding="utf-8")
    trainer.sync_decks()
    newer = [("one", "uno", "g1"), ("two", "2", "g2"), ("three", "tres", "g3"), ("four", "4", "g4")]
    outcome = import_package(trainer, package(tmp_path / "b.apkg", newer))
    assert cards_of(trainer, "words") == {
        "one": ("uno", ()),  # unedited here: Anki's newer version
        "two": ("two, edited here", ()),  # edited only here: kept silently
        "three": ("three, edited here", ()),  # edited on both sides: kept, listed
        "four": ("4", ()),  # new in Anki: added
    }
    conflicts = [line for line in outcome.messages if "changed here and in Anki" in line]
    assert len(conflicts) == 1 and "'three'" in conflicts[0]
    import_package(trainer, package(tmp_path / "b.apkg", newer), overwrite=True)
    assert cards_of(trainer, "words")["three"] == ("tres", ())  # --force still replaces


def test_an_import_never_parses_back_the_decks_it_writes(
    trainer: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decks written are synced from the Deck built; YAML is read only for merges."""
    import trainer.app.deckfile as deckfile

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a deck file was parsed during the import")

    monkeypatch.setattr(deckfile, "parse_deck_text", refuse)
    monkeypatch.setattr(deckfile, "read_deck_file", refuse)
    monkeypatch.setattr(deckfile, "read_canonical", refuse)
    outcome = import_package(trainer, MODERN, with_history=True)
    assert sum(deck.cards for deck in outcome.decks) == 7
    monkeypatch.undo()
    trainer.sync_decks()  # and what was synced is what the files say
    for deck in outcome.decks:
        written = deckfile.read_deck_file(deck.path)
        assert {c.id_in(deck.slug) for c in written.cards} == {
            s.id for s in trainer.store.cards(deck=deck.slug) if not s.retired
        }


def test_a_planned_card_is_the_card_the_model_builds() -> None:
    """The importer builds standard cards without ``Card.__init__``: the same card."""
    from trainer.core.model import Card
    from trainer.interop.anki_import import _basic_card

    made = _basic_card("Alpha", "first", ("a",), ("greek",), "ex", "g1", "alpha")
    model = Card("Alpha", "first", ("a",), ("greek",), "ex", guid="g1")
    assert made == model and repr(made) == repr(model) and hash(made) == hash(model)
    assert made.identity == model.identity and made.id_in("d") == "d/alpha"


def test_an_import_failing_at_its_last_write_leaves_nothing(
    trainer: Trainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cards, note records and history are one transaction; the deck files go back too."""
    import trainer.interop.anki_import as anki_import

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    conn = trainer.store.conn

    def counts() -> list[int]:
        tables = ("cards", "anki_notes", "reviews")
        return [conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables]

    before = folder_snapshot(trainer.user_decks), counts()
    monkeypatch.setattr(anki_import, "save_notetypes", fail)
    with pytest.raises(OSError, match="disk full"):
        import_package(trainer, MODERN, with_history=True)
    assert not conn.in_transaction
    assert (folder_snapshot(trainer.user_decks), counts()) == before


def test_placed_records_name_the_cards_their_notes_became() -> None:
    """Records of a deck built as planned are placed from the plan: the same records
    as asking the deck's cards (a cloze note's names its last gap, as before)."""
    from trainer.interop.anki import AnkiCard, AnkiCollection, AnkiNote, Notetype
    from trainer.interop.anki_import import _deck_of, _placed, _plan

    basic = Notetype(1, "Basic (and reversed card)", ("Front", "Back"), 2)
    cloze = Notetype(2, "Cloze", ("Text", "Back Extra"), 1, kind=1)
    notes = (
        AnkiNote(1, "ga", 1, ("alpha", "first"), ()),
        AnkiNote(2, "gc", 2, ("{{c1::x}} and {{c2::y}}", ""), ()),
        AnkiNote(3, "gb", 1, ("beta", "second"), ()),
    )
    cards = (
        AnkiCard(10, 1, 1, 0),
        AnkiCard(11, 1, 1, 1),
        AnkiCard(20, 2, 1, 0),
        AnkiCard(21, 2, 1, 1),
        AnkiCard(30, 3, 1, 0),
    )
    collection = AnkiCollection(
        "collection.anki2", 11, {1: "Greek"}, {1: basic, 2: cloze}, notes, cards
    )
    (planned,) = _plan(collection, (1, 2), None, "test.apkg").decks
    deck = _deck_of(planned, "test.apkg")
    placed = _placed(deck, planned.records, merged=False)
    assert placed == _placed(deck, planned.records, merged=True)
    assert {record.guid: record.card_id for record in placed} == {
        "ga": "greek/alpha",
        "gc": "greek/x and y #c2",
        "gb": "greek/beta",
    }


def test_a_card_without_its_derived_guid_is_the_replaced_card() -> None:
    from dataclasses import replace

    from trainer.core.model import Card
    from trainer.interop.anki_import import _without_guid

    card = Card("Alpha", "first", ("a",), ("greek",), "ex", guid="g1")
    assert card.identity == "alpha"
    copy = _without_guid(card)
    assert copy == replace(card, guid=None) and repr(copy) == repr(replace(card, guid=None))
    assert copy.identity == "alpha" and card.guid == "g1"


def test_a_large_new_package_is_written_through_a_rollback_journal_then_the_log_is_back(
    trainer: Trainer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its cards, note records and history are one transaction, opened in rollback
    mode so the new pages reach the file once (as a large glossary import's do)."""
    from trainer.storage.store import BULK_SYNC_ROWS, Store

    notes = [(f"term {i}", f"meaning {i}", []) for i in range(BULK_SYNC_ROWS)]
    package = genanki_package(tmp_path / "big.apkg", {"Big": notes})
    seen: list[str] = []
    insert = Store._insert_cards

    def insert_and_look(store: Store, rows) -> None:  # type: ignore[no-untyped-def]
        seen.append(store.conn.execute("PRAGMA journal_mode").fetchone()[0])
        insert(store, rows)

    monkeypatch.setattr(Store, "_insert_cards", insert_and_look)
    outcome = import_package(trainer, package)
    assert [deck.cards for deck in outcome.decks] == [BULK_SYNC_ROWS]
    assert seen == ["delete"]
    conn = trainer.store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT count(*) FROM anki_notes").fetchone()[0] == BULK_SYNC_ROWS
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


TAGGED_DECK = """\
name: Lang / Own
tags: [mine, two words]
cards:
  - term: alpha
    definition: first
  - term: beta
    definition: second
    tags: [own]
"""


def test_a_decks_own_package_comes_back_without_conflicts(
    open_trainer: OpenTrainer, tmp_path: Path
) -> None:
    """The export puts the deck's tags on every note; read back, they made every
    card differ from the deck's, each listed as changed here and in Anki."""
    from trainer.interop.export import export_deck

    decks = tmp_path / "decks"
    decks.mkdir()
    deck_file = decks / "own.yaml"
    deck_file.write_text(TAGGED_DECK, encoding="utf-8")
    trainer = open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])
    export_deck(trainer, "own", "apkg", tmp_path / "own.apkg")
    outcome = import_package(trainer, tmp_path / "own.apkg", out_dir=decks)
    assert outcome.messages == ()
    deck = read_deck_file(deck_file, "own")
    assert deck.tags == ("mine", "two words")
    assert [(c.term, c.definition, c.tags) for c in deck.cards] == [
        ("alpha", "first", ()),
        ("beta", "second", ("own",)),
    ]
    # edited in Anki: taken, without the deck's tags copied onto the card
    text = TAGGED_DECK.replace("definition: first", "definition: first letter")
    deck_file.write_text(text, encoding="utf-8")
    trainer.sync_decks()
    export_deck(trainer, "own", "apkg", tmp_path / "edited.apkg")
    deck_file.write_text(TAGGED_DECK, encoding="utf-8")
    trainer.sync_decks()
    outcome = import_package(trainer, tmp_path / "edited.apkg", out_dir=decks)
    assert outcome.messages == ()
    assert cards_of(trainer, "own")["alpha"] == ("first letter", ())
    assert cards_of(trainer, "own")["beta"] == ("second", ("own",))


TWO_WAY_CLOZE = """\
name: Both ways
directions: [forward, reverse]
cards:
  - cloze: "The battle of {{c1::Hastings}} was in {{c2::1066}}."
  - term: Harold
    definition: the last Anglo-Saxon king
  - term: Edith
    definition: his wife
"""


def test_gaps_of_a_deck_studied_both_ways_stay_forward_on_import(
    open_trainer: OpenTrainer, tmp_path: Path
) -> None:
    """An imported deck studying both ways gave its cloze gaps a reverse card too
    (seven cards where Anki has five); a gap is studied forward only."""
    from trainer.interop.export import export_deck

    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "both.yaml").write_text(TWO_WAY_CLOZE, encoding="utf-8")
    source = open_trainer(tmp_path / "a.db", at=START, deck_dirs=[decks])
    assert len(source.statuses()) == 6
    export_deck(source, "both", "apkg", tmp_path / "both.apkg")
    other = tmp_path / "other"  # another device: its own database and decks folder
    other.mkdir()
    trainer = open_trainer(other / "b.db", at=START)
    import_package(trainer, tmp_path / "both.apkg")
    studied = sorted((s.card_id.split("/")[1], str(s.direction)) for s in trainer.statuses())
    assert studied == sorted((s.card_id.split("/")[1], str(s.direction)) for s in source.statuses())
    trainer.close()
    reopened = open_trainer(other / "b.db", at=START)  # and as read back from its file
    assert len(reopened.statuses()) == 6


def test_a_cloze_decks_own_package_comes_back_as_the_same_notes(
    open_trainer: OpenTrainer, tmp_path: Path
) -> None:
    """The export names a cloze entry's note by the entry, the merge named it by its
    first gap: the note seemed new, and was skipped as taking its own cards' terms."""
    from trainer.interop.export import export_deck

    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "both.yaml").write_text(TWO_WAY_CLOZE, encoding="utf-8")
    trainer = open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])
    export_deck(trainer, "both", "apkg", tmp_path / "both.apkg")
    outcome = import_package(trainer, tmp_path / "both.apkg", out_dir=decks)
    assert outcome.messages == ()
    assert len(trainer.statuses()) == 6
