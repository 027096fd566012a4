"""trainer's Anki packages judged by Anki's own backend (PyPI ``anki``, the optional extra).

Anki's clock is the real one while trainer's is fixed: due days are compared as
calendar days, which Anki's importer keeps (it shifts review cards' due days by
how far the two collections' day counts differ).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import START
from tests.interop.conftest import MODERN
from trainer.app.trainer import Trainer
from trainer.core.clock import FixedClock, study_day
from trainer.core.model import Direction, Mode
from trainer.interop.anki_import import import_package
from trainer.interop.export import export_deck
from trainer.interop.html import html_to_text

anki_collection = pytest.importorskip(
    "anki.collection", reason="Anki's backend (pip install 'trainer[anki]') is not installed"
)

OpenTrainer = Callable[..., Trainer]

TWO_WAY = """\
name: Parent / Child
tags: [unit]
directions: [forward, reverse]
cards:
  - term: alpha
    definition: the first letter
  - term: beta
    definition: the second letter
  - term: gamma
    definition: "#3, the third letter"
"""


@pytest.fixture
def collections(tmp_path: Path) -> Iterator[Callable[[str], Any]]:
    opened: list[Any] = []

    def make(name: str) -> Any:
        folder = tmp_path / "anki" / name
        folder.mkdir(parents=True)
        collection = anki_collection.Collection(str(folder / "collection.anki2"))
        opened.append(collection)
        return collection

    yield make
    for collection in opened:
        collection.close()


def anki_import(collection: Any, package: Path) -> Any:
    request = anki_collection.ImportAnkiPackageRequest(
        package_path=str(package),
        options=anki_collection.ImportAnkiPackageOptions(with_scheduling=True),
    )
    return collection.import_anki_package(request).log


def clock(trainer: Trainer) -> FixedClock:
    assert isinstance(trainer.clock, FixedClock)
    return trainer.clock


@pytest.fixture
def two_way(open_trainer: OpenTrainer, tmp_path: Path) -> Trainer:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "parent-child.yaml").write_text(TWO_WAY, encoding="utf-8")
    return open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])


def test_schedules_and_history_travel_to_anki(two_way: Trainer, collections: Any) -> None:
    """Every card trainer scheduled is due in Anki on trainer's day; the log goes along."""
    for grade, direction in (
        (4, Direction.FORWARD),
        (5, Direction.REVERSE),
        (1, Direction.FORWARD),
    ):
        two_way.record_answer("parent-child/alpha", direction, grade, Mode.STUDY)
        clock(two_way).advance(days=1)
    two_way.record_answer("parent-child/beta", Direction.FORWARD, 5, Mode.STUDY)
    two_way.record_answer("parent-child/beta", Direction.FORWARD, 2, Mode.DRILL)
    out = two_way.user_decks.parent / "out.apkg"
    export_deck(two_way, "parent-child", "apkg", out)
    collection = collections("fresh")
    log = anki_import(collection, out)
    assert len(log.new) == 3
    assert collection.card_count() == 6  # both directions of three notes
    assert collection.decks.by_name("Parent::Child") is not None
    states = two_way.store.cached_states()
    assert len(states) == 3
    anki_today = study_day(dt.datetime.now(dt.UTC), dt.UTC, 4)
    seen = 0
    for card_id in collection.find_cards(""):
        card = collection.get_card(card_id)
        note = card.note()
        term = note["Term"]
        direction = "forward" if card.ord == 0 else "reverse"
        state = states.get((f"parent-child/{term}", direction))
        assert "unit" in note.tags
        if state is None:
            assert card.type == 0  # new in both
            continue
        seen += 1
        assert card.type == 2
        assert card.ivl == max(state.interval, 1)
        assert card.factor == round(state.easiness * 1000)
        assert state.due is not None
        # the same calendar day in both programs (trainer's clock is fixed in March)
        assert anki_today + dt.timedelta(days=card.due - collection.sched.today) == state.due
    assert seen == 3
    assert collection.db.scalar("select count() from revlog") == 5
    assert collection.db.list("select ease from revlog order by id") == [3, 4, 1, 4, 1]


def test_round_trip_into_the_source_collection_updates_and_adds_nothing(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    source = collections("source")
    anki_import(source, MODERN)
    notes, cards = source.note_count(), source.card_count()
    notetypes = len(source.models.all_names_and_ids())
    trainer = open_trainer(tmp_path / "t.db", at=START)
    import_package(trainer, MODERN, with_history=True)
    clock(trainer).advance(days=400)  # past the fixture's (real) modification times
    edited = trainer.user_decks / "glossary-fixture.yaml"
    text = edited.read_text(encoding="utf-8")
    first = text.index('definition: "') + len('definition: "')
    edited.write_text(text[:first] + "EDITED " + text[first:], encoding="utf-8")
    trainer.sync_decks()
    for slug in ("glossary-fixture", "glossary-fixture-optimizers"):
        out = tmp_path / f"{slug}.apkg"
        export_deck(trainer, slug, "apkg", out)
        log = anki_import(source, out)
        assert len(log.new) == 0
        assert len(log.conflicting) == 0
        if slug == "glossary-fixture":
            assert len(log.updated) == 1  # the one edited card, and only it
    assert (source.note_count(), source.card_count()) == (notes, cards)
    assert len(source.models.all_names_and_ids()) == notetypes
    fields = [source.get_note(nid).fields for nid in source.find_notes("")]
    assert sum("EDITED" in value for note in fields for value in note) == 1


def test_changing_directions_updates_notes_without_a_new_note_type(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    deck_file = decks / "words.yaml"
    deck_file.write_text(TWO_WAY.replace("directions: [forward, reverse]\n", ""), "utf-8")
    trainer = open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])
    collection = collections("target")
    export_deck(trainer, "words", "apkg", tmp_path / "one.apkg")
    anki_import(collection, tmp_path / "one.apkg")
    assert collection.card_count() == 3
    types = len(collection.models.all_names_and_ids())
    clock(trainer).advance(days=1)
    deck_file.write_text(TWO_WAY, "utf-8")
    trainer.sync_decks()
    export_deck(trainer, "words", "apkg", tmp_path / "two.apkg")
    log = anki_import(collection, tmp_path / "two.apkg")
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 3, 0)
    assert len(collection.models.all_names_and_ids()) == types
    assert collection.card_count() == 6


def test_re_export_after_an_edit_updates_the_note(
    two_way: Trainer, collections: Any, tmp_path: Path
) -> None:
    collection = collections("target")
    export_deck(two_way, "parent-child", "apkg", tmp_path / "one.apkg")
    anki_import(collection, tmp_path / "one.apkg")
    clock(two_way).advance(seconds=5)
    deck_file = two_way.user_decks.parent / "decks" / "parent-child.yaml"
    deck_file.write_text(TWO_WAY.replace("the second letter", "B"), "utf-8")
    two_way.sync_decks()
    export_deck(two_way, "parent-child", "apkg", tmp_path / "two.apkg")
    log = anki_import(collection, tmp_path / "two.apkg")
    assert (len(log.new), len(log.updated), len(log.duplicate)) == (0, 1, 2)


def test_a_tsv_field_starting_with_a_hash_reaches_anki(tmp_path: Path) -> None:
    from trainer.core.model import Card, Deck
    from trainer.interop.export import render_tsv

    cards = (Card("#gamma", "# not a comment"), Card("alpha", "first"), Card("beta", "#2"))
    out = tmp_path / "deck.txt"
    out.write_text(render_tsv(Deck("d", "Top / Sub", cards, tags=("t",))), "utf-8")
    collection = anki_collection.Collection(str(tmp_path / "tsv.anki2"))
    try:
        metadata = collection.get_csv_metadata(path=str(out), delimiter=None)
        collection.import_csv(anki_collection.ImportCsvRequest(path=str(out), metadata=metadata))
        notes = [collection.get_note(n) for n in collection.find_notes("")]
        assert sorted((n["Front"], n["Back"]) for n in notes) == sorted(
            (c.term, c.definition) for c in cards
        )
        assert all(n.tags == ["t"] for n in notes)
        assert collection.decks.by_name("Top::Sub") is not None
    finally:
        collection.close()


def test_anki_nesting_comes_back_to_the_same_deck(two_way: Trainer, tmp_path: Path) -> None:
    out = tmp_path / "pc.apkg"
    export_deck(two_way, "parent-child", "apkg", out)
    outcome = import_package(two_way, out)
    assert [(d.slug, d.name) for d in outcome.decks] == [("parent-child", "Parent / Child")]
    assert [row.slug for row in two_way.decks()] == ["parent-child"]


def test_source_fixture_is_untouched(tmp_path: Path) -> None:
    """The fixtures are read, never written (Anki opens a copy)."""
    copy = tmp_path / "m.apkg"
    shutil.copy(MODERN, copy)
    assert copy.read_bytes() == MODERN.read_bytes()


CLOZE_DECK = """\
name: History
cards:
  - cloze: "The battle of {{c1::Hastings::place}} was in {{c2::1066}}."
    extra: "Normans"
  - term: Harold
    definition: the last Anglo-Saxon king
"""


def test_cloze_cards_export_as_anki_cloze_notes(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "history.yaml").write_text(CLOZE_DECK, "utf-8")
    trainer = open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])
    studied = [s.card_id for s in trainer.statuses()]
    assert len(studied) == 3  # two gaps and one basic card
    trainer.record_answer(studied[1], Direction.FORWARD, 4, Mode.STUDY)  # gap 2
    export_deck(trainer, "history", "apkg", tmp_path / "h.apkg")
    collection = collections("target")
    log = anki_import(collection, tmp_path / "h.apkg")
    assert len(log.new) == 2
    cards = {}
    for card_id in collection.find_cards("note:*cloze*"):
        card = collection.get_card(card_id)
        cards[card.ord] = card
    assert sorted(cards) == [0, 1]
    shown = {ord_: html_to_text(card.question()).text for ord_, card in cards.items()}
    assert shown[0] == "The battle of [place] was in 1066."
    assert shown[1] == "The battle of Hastings was in [...]."
    assert "Normans" in html_to_text(cards[0].answer()).text
    assert cards[1].type == 2 and cards[0].type == 0  # gap 2's schedule went along


def test_anki_cloze_notes_import_as_cloze_cards_and_go_back(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    source = collections("source")
    cloze_type = source.models.by_name("Cloze")
    note = source.new_note(cloze_type)
    note["Text"] = "{{c1::Paris}} is the capital of {{c2::France}}"
    note["Back Extra"] = "since 508"
    source.add_note(note, source.decks.id("Geo"))
    basic = source.new_note(source.models.by_name("Basic"))
    basic["Front"], basic["Back"] = "Rome", "capital of Italy"
    source.add_note(basic, source.decks.id("Geo"))
    package = tmp_path / "geo.apkg"
    source.export_anki_package(
        out_path=str(package), options=anki_collection.ExportAnkiPackageOptions(), limit=None
    )
    trainer = open_trainer(tmp_path / "t.db", at=START)
    outcome = import_package(trainer, package)
    assert [(d.slug, d.cards) for d in outcome.decks] == [("geo", 3)]
    text = (trainer.user_decks / "geo.yaml").read_text(encoding="utf-8")
    assert 'cloze: "{{c1::Paris}} is the capital of {{c2::France}}"' in text
    assert 'extra: "since 508"' in text
    terms = sorted(card.card.term for card in trainer.store.cards(deck="geo"))
    assert terms == sorted(["Rome", "[…] is the capital of France", "Paris is the capital of […]"])
    assert len(source.find_cards("")) == 3  # Anki's count, kept
    export_deck(trainer, "geo", "apkg", tmp_path / "back.apkg")
    log = anki_import(source, tmp_path / "back.apkg")
    assert (len(log.new), len(log.conflicting)) == (0, 0)
    assert (source.note_count(), source.card_count()) == (2, 3)


def test_per_card_directions_give_anki_the_same_cards(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    from tests.interop.test_card_directions import MIXED

    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "mixed.yaml").write_text(MIXED, "utf-8")
    trainer = open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])
    export_deck(trainer, "mixed", "apkg", tmp_path / "m.apkg")
    collection = collections("target")
    anki_import(collection, tmp_path / "m.apkg")
    assert collection.card_count() == len(trainer.statuses()) == 6
    shown = sorted(
        html_to_text(collection.get_card(c).question()).text for c in collection.find_cards("")
    )
    assert shown == sorted(
        html_to_text(text).text
        for text in (
            "both",
            "studied both ways, as the deck",
            "one way",
            "only reverse",
            "a [...] and another",
            "a gap and [...]",
        )
    )


def test_cloze_history_lands_on_its_gap(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    source = collections("source")
    note = source.new_note(source.models.by_name("Cloze"))
    note["Text"] = "{{c1::Paris}} is the capital of {{c2::France}}"
    source.add_note(note, source.decks.id("Geo"))
    second = next(source.get_card(c) for c in source.find_cards("") if source.get_card(c).ord == 1)
    second.start_timer()
    source.sched.answerCard(second, 3)
    package = tmp_path / "geo.apkg"
    source.export_anki_package(
        out_path=str(package),
        options=anki_collection.ExportAnkiPackageOptions(with_scheduling=True),
        limit=None,
    )
    trainer = open_trainer(tmp_path / "t.db", at=START)
    outcome = import_package(trainer, package, with_history=True)
    assert outcome.reviews_added == 1
    (review,) = trainer.store.all_reviews()
    assert (review.card_id, review.direction) == (
        "geo/paris is the capital of france #c2",
        Direction.FORWARD,
    )


def test_notes_kept_without_their_fields_go_back_unchanged(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    """A plain note keeps no copy of its fields; exporting rebuilds them byte for byte,
    so the round trip changes no note, and an edit still reaches Anki."""
    source = collections("source")
    basic = source.models.by_name("Basic")
    for front, back in (
        ("a > b", "greater than"),  # plain, though HTML would escape it
        ("<b>bold</b>", "a tag"),  # markup: its fields are kept
        ("x", "ex"),
    ):
        note = source.new_note(basic)
        note["Front"], note["Back"] = front, back
        source.add_note(note, source.decks.id("Plain"))
    package = tmp_path / "plain.apkg"
    source.export_anki_package(
        out_path=str(package), options=anki_collection.ExportAnkiPackageOptions(), limit=None
    )
    trainer = open_trainer(tmp_path / "t.db", at=START)
    import_package(trainer, package)
    kept = trainer.store.conn.execute(
        "SELECT count(*), count(fields) FROM anki_notes WHERE deck = 'plain'"
    ).fetchone()
    assert tuple(kept) == (3, 1)
    clock(trainer).advance(days=400)  # past Anki's (real) modification times
    export_deck(trainer, "plain", "apkg", tmp_path / "back.apkg")
    log = anki_import(source, tmp_path / "back.apkg")
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 0, 0)
    deck_file = trainer.user_decks / "plain.yaml"
    text = deck_file.read_text(encoding="utf-8")
    deck_file.write_text(text.replace('definition: "ex"', 'definition: "ex & more"'), "utf-8")
    trainer.sync_decks()
    export_deck(trainer, "plain", "apkg", tmp_path / "edited.apkg")
    log = anki_import(source, tmp_path / "edited.apkg")
    assert (len(log.new), len(log.updated)) == (0, 1)
    backs = {
        source.get_note(nid)["Front"]: source.get_note(nid)["Back"] for nid in source.find_notes("")
    }
    assert backs == {"a > b": "greater than", "<b>bold</b>": "a tag", "x": "ex &amp; more"}


@pytest.mark.parametrize("name", ["Default", "default"])
def test_a_deck_named_default_lands_in_ankis_default_deck(
    name: str, open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    """Every collection has a deck "Default" (id 1): a package naming another deck
    so made Anki rename it "Default_", so a round trip moved the cards."""
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "default.yaml").write_text(f"name: {name}\ncards:\n  - term: a\n    definition: b\n")
    trainer = open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])
    export_deck(trainer, "default", "apkg", tmp_path / "d.apkg")
    collection = collections("target")
    anki_import(collection, tmp_path / "d.apkg")
    names = sorted(deck.name for deck in collection.decks.all_names_and_ids())
    assert names == ["Default"]
    (card_id,) = collection.find_cards("")
    assert collection.get_card(card_id).did == 1


def test_a_note_unchanged_in_trainer_goes_back_with_ankis_modification_time(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    """An edit made in Anki after the package was written survives the round trip:
    the notes trainer did not change go back as old as Anki made them, so Anki
    neither updates them nor takes back its edit."""
    source = collections("source")
    for front, back in (("a", "first"), ("b", "second")):
        note = source.new_note(source.models.by_name("Basic"))
        note["Front"], note["Back"] = front, back
        source.add_note(note, source.decks.id("Words"))
    cloze = source.new_note(source.models.by_name("Cloze"))
    cloze["Text"] = "{{c1::Paris}} is in {{c2::France}}"
    source.add_note(cloze, source.decks.id("Words"))
    package = tmp_path / "words.apkg"
    source.export_anki_package(
        out_path=str(package), options=anki_collection.ExportAnkiPackageOptions(), limit=None
    )
    for nid in source.find_notes(""):
        note = source.get_note(nid)
        if note.note_type()["type"] == 1:
            note["Back Extra"] = "edited in Anki"
        elif note["Front"] == "a":
            note["Back"] = "first, edited in Anki"
        else:
            continue
        source.update_note(note)
    trainer = open_trainer(tmp_path / "t.db", at=START)
    clock(trainer).advance(days=400)  # trainer's import comes after Anki's edits
    import_package(trainer, package)
    clock(trainer).advance(days=1)
    deck_file = trainer.user_decks / "words.yaml"
    text = deck_file.read_text(encoding="utf-8")
    deck_file.write_text(text.replace('"second"', '"second, edited in trainer"'), "utf-8")
    trainer.sync_decks()
    export_deck(trainer, "words", "apkg", tmp_path / "back.apkg")
    log = anki_import(source, tmp_path / "back.apkg")
    assert (len(log.new), len(log.updated)) == (0, 1)  # only trainer's edit
    values = sorted(tuple(source.get_note(nid).fields) for nid in source.find_notes(""))
    assert values == [
        ("a", "first, edited in Anki"),
        ("b", "second, edited in trainer"),
        ("{{c1::Paris}} is in {{c2::France}}", "edited in Anki"),
    ]


MIXED_TYPES = """\
name: Top / Mixed
directions: [forward, reverse]
tags: [unit]
cards:
  - term: both
    definition: studied both ways, as the deck
  - term: one way
    definition: "#1, only forward"
    directions: [forward]
  - cloze: "a {{c1::gap}} and {{c2::another::hint}}"
    extra: the extra
"""


def test_a_tsv_export_gives_anki_the_same_notes_and_cards(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    """Per-card directions and cloze entries need a note type per row: the text
    format made every row the deck's type, a Basic note per cloze gap."""
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "mixed.yaml").write_text(MIXED_TYPES, "utf-8")
    trainer = open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])
    out = tmp_path / "mixed.txt"
    export_deck(trainer, "mixed", "tsv", out)
    collection = collections("target")
    metadata = collection.get_csv_metadata(path=str(out), delimiter=None)
    collection.import_csv(anki_collection.ImportCsvRequest(path=str(out), metadata=metadata))
    notes = [collection.get_note(nid) for nid in collection.find_notes("")]
    assert sorted((note.note_type()["name"], *note.fields) for note in notes) == [
        ("Basic", "one way", "#1, only forward"),
        ("Basic (and reversed card)", "both", "studied both ways, as the deck"),
        ("Cloze", "a {{c1::gap}} and {{c2::another::hint}}", "the extra"),
    ]
    assert collection.card_count() == len(trainer.statuses()) == 5
    assert all(note.tags == ["unit"] for note in notes)
    assert collection.decks.by_name("Top::Mixed") is not None


def test_a_tsv_export_of_cloze_entries_keeps_their_extra(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "gaps.yaml").write_text(
        'name: Gaps\ncards:\n  - cloze: "{{c1::Paris}} is in {{c2::France}}"\n    extra: capital\n'
    )
    trainer = open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])
    out = tmp_path / "gaps.txt"
    export_deck(trainer, "gaps", "tsv", out)
    collection = collections("target")
    metadata = collection.get_csv_metadata(path=str(out), delimiter=None)
    collection.import_csv(anki_collection.ImportCsvRequest(path=str(out), metadata=metadata))
    (note_id,) = collection.find_notes("")
    note = collection.get_note(note_id)
    assert (note.note_type()["name"], *note.fields) == (
        "Cloze",
        "{{c1::Paris}} is in {{c2::France}}",
        "capital",
    )
    assert collection.card_count() == 2


def _answered_package(collections: Any, name: str, tmp_path: Path) -> tuple[Path, int]:
    """A package of one Basic note answered Easy in Anki; its interval in Anki."""
    source = collections(name)
    note = source.new_note(source.models.by_name("Basic"))
    note["Front"], note["Back"] = f"{name} term", f"{name} definition"
    source.add_note(note, source.decks.id(name.title()))
    card = source.get_card(source.find_cards("")[0])
    card.start_timer()
    source.sched.answerCard(card, 4)
    package = tmp_path / f"{name}.apkg"
    source.export_anki_package(
        out_path=str(package),
        options=anki_collection.ExportAnkiPackageOptions(with_scheduling=True),
        limit=None,
    )
    return package, source.get_card(card.id).ivl


def test_importing_another_history_keeps_ankis_due_dates_of_the_first(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    """Each import with history replayed the whole log, so a second package's
    import gave the first package's cards trainer's intervals instead of Anki's."""
    first, first_interval = _answered_package(collections, "one", tmp_path)
    second, second_interval = _answered_package(collections, "two", tmp_path)
    trainer = open_trainer(tmp_path / "t.db", at=dt.datetime.now(dt.UTC))
    import_package(trainer, first, with_history=True)
    kept = trainer.store.cached_states()[("one/one term", Direction.FORWARD)]
    assert kept.interval == first_interval > 1  # Anki's Easy, not SM-2's first day
    import_package(trainer, second, with_history=True)
    states = trainer.store.cached_states()
    assert states[("one/one term", Direction.FORWARD)] == kept
    assert states[("two/two term", Direction.FORWARD)].interval == second_interval


def test_ankis_due_dates_are_part_of_what_the_log_says(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    """Anki's due dates were put on the cached states only: ``trainer check`` then
    called them damaged right after the import, and ``trainer rebuild`` (which it
    recommends) replaced them, and the states trainer's later answers had grown
    from, with SM-2's."""
    from trainer.interop.check import check_database

    package, interval = _answered_package(collections, "one", tmp_path)
    trainer = open_trainer(tmp_path / "t.db", at=dt.datetime.now(dt.UTC))
    import_package(trainer, package, with_history=True)
    key = ("one/one term", Direction.FORWARD)
    imported = trainer.store.cached_states()[key]
    assert imported.interval == interval > 1
    outcome = check_database(tmp_path / "t.db", now=trainer.now(), settings=trainer.settings)
    assert outcome.result.state_mismatches == 0, outcome.lines
    trainer.rebuild()
    assert trainer.store.cached_states()[key] == imported
    clock(trainer).advance(days=interval)
    trainer.record_answer(key[0], key[1], 3, Mode.STUDY)
    answered = trainer.store.cached_states()[key]
    assert answered.interval > 1
    trainer.rebuild()
    assert trainer.store.cached_states()[key] == answered


def test_an_anki_due_date_set_by_a_second_answer_of_a_day_is_kept_too(
    open_trainer: OpenTrainer, collections: Any, tmp_path: Path
) -> None:
    """Anki's second answer of a day is a drill here: its due date was kept at import
    but not by a replay, so ``trainer check`` found it differing and a rebuild lost it."""
    from trainer.interop.check import check_database

    source = collections("source")
    note = source.new_note(source.models.by_name("Basic"))
    note["Front"], note["Back"] = "twice", "answered twice today"
    source.add_note(note, source.decks.id("Days"))
    for ease in (4, 3):
        card = source.get_card(source.find_cards("")[0])
        card.start_timer()
        source.sched.answerCard(card, ease)
    package = tmp_path / "days.apkg"
    source.export_anki_package(
        out_path=str(package),
        options=anki_collection.ExportAnkiPackageOptions(with_scheduling=True),
        limit=None,
    )
    interval = source.get_card(source.find_cards("")[0]).ivl
    trainer = open_trainer(tmp_path / "t.db", at=dt.datetime.now(dt.UTC))
    import_package(trainer, package, with_history=True)
    key = ("days/twice", Direction.FORWARD)
    imported = trainer.store.cached_states()[key]
    assert imported.interval == interval
    outcome = check_database(tmp_path / "t.db", now=trainer.now(), settings=trainer.settings)
    assert outcome.result.state_mismatches == 0, outcome.lines
    trainer.rebuild()
    assert trainer.store.cached_states()[key] == imported
