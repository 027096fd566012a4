"""Re-loading only the changed cards of a deck in trainer's form must equal a full load."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

import trainer.app.deckfile
from trainer.app import deckdelta
from trainer.app.deckdelta import changed_cards, changed_span, common_prefix, common_suffix
from trainer.app.deckedit import CardEdit
from trainer.app.deckfile import dump_deck_fast, parse_deck_text
from trainer.app.trainer import Trainer


def deck_text(size: int, *, tags_every: int = 3) -> str:
    cards = []
    for i in range(size):
        card: dict[str, object] = {"term": f"term {i}", "definition": f"meaning of term {i}"}
        if i % tags_every == 0:
            card["tags"] = ["even" if i % 2 == 0 else "odd"]
        cards.append(card)
    return dump_deck_fast({"name": "Delta deck", "cards": cards})


@pytest.mark.parametrize("seed", range(30))
def test_common_prefix_and_suffix_equal_the_naive_ones(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.choice((0, 1, 7, 70_000, 140_000))  # across the 64 KiB chunks
    a = bytes(rng.choice(b"ab\n") for _ in range(size))
    b = bytearray(a)
    for _ in range(rng.randint(0, 3)):
        if b:
            b[rng.randrange(len(b))] = ord("c")
    if rng.random() < 0.5:
        b[rng.randint(0, len(b)) : rng.randint(0, len(b))] = b"xy"
    b = bytes(b)
    naive = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    assert common_prefix(a, b) == naive
    limit = min(len(a), len(b)) - naive
    tail = 0
    while tail < limit and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    assert common_suffix(a, b, limit) == tail


def edited(text: str, old: str, new: str) -> bytes:
    assert text.count(old) == 1
    return text.replace(old, new).encode()


@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        ('"meaning of term 7"', '"a new meaning"', "term 7"),
        ('term: "term 0"\n', 'term: "TERM  0"\n', "TERM  0"),  # same identity and term
        ('"meaning of term 39"', '"x"', "term 39"),  # the last card
        (
            '"term 3"\n    definition: "meaning of term 3"\n    tags: ["odd"]\n',
            '"term 3"\n    definition: "meaning of term 3"\n',
            "term 3",
        ),
    ],
)
def test_changed_cards_hold_the_edited_one_as_a_full_load_reads_it(
    old: str, new: str, changed: str
) -> None:
    """The span may take in a neighbour (whole blocks around the change), never miss one."""
    text = deck_text(40)
    new_raw = edited(text, old, new)
    cards = changed_cards(text.encode(), new_raw, "d", "d.yaml")
    assert cards is not None and changed in [c.term for c in cards] and len(cards) <= 2
    full = {
        c.term: replace(c, line=None) for c in parse_deck_text(new_raw.decode(), "d", "d").cards
    }
    assert all(replace(card, line=None) == full[card.term] for card in cards)


def test_distant_changes_bring_every_card_between_them() -> None:
    text = deck_text(40)
    new = text.replace('"meaning of term 5"', '"five"').replace('"meaning of term 9"', '"nine"')
    cards = changed_cards(text.encode(), new.encode(), "d", "d.yaml")
    assert cards is not None
    assert [c.term for c in cards] == [f"term {i}" for i in range(5, 10)]
    full = {c.term: replace(c, line=None) for c in parse_deck_text(new, "d", "d.yaml").cards}
    assert all(replace(card, line=None) == full[card.term] for card in cards)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace('name: "Delta deck"', 'name: "Renamed"'),  # the header
        lambda t: t.replace('term: "term 4"', 'term: "term four"'),  # a rename
        lambda t: t.replace('  - term: "term 4"\n    definition: "meaning of term 4"\n', ""),
        lambda t: t + '  - term: "added"\n    definition: "new"\n',  # an added card
        lambda t: t.replace('"meaning of term 4"', "plain yaml"),  # not trainer's form
        lambda t: t.replace('term: "term 4"', 'term: "term 5"'),  # a duplicate
        lambda t: t.replace('definition: "meaning of term 4"', 'definition: ""'),  # invalid
        lambda t: t.replace('"meaning of term 4"', '"caf\\u00e9 \\ud800"'),  # a lone surrogate
        lambda t: t,  # nothing changed
    ],
)
def test_changes_a_card_diff_cannot_load_need_the_whole_file(
    change: Callable[[str], str],
) -> None:
    text = deck_text(12)
    assert changed_cards(text.encode(), change(text).encode(), "d", "d.yaml") is None


def test_a_span_is_whole_card_blocks() -> None:
    text = deck_text(10)
    new = text.replace('"meaning of term 3"', '"meaning of term 33"')
    span = changed_span(text.encode(), new.encode())
    assert span is not None
    old_block = text.encode()[span.start : span.old_end].decode()
    assert old_block.startswith("  - ") and old_block.endswith("\n")
    assert 'term: "term 3"' in old_block


# ------------------------------------------------------------------ through Trainer


@pytest.fixture
def big_deck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A deck in trainer's form, with copies kept however small it is."""
    monkeypatch.setattr(deckdelta, "MIN_CACHED_BYTES", 0)
    folder = tmp_path / "delta-decks"
    folder.mkdir()
    (folder / "delta.yaml").write_text(deck_text(30), encoding="utf-8")
    return folder


@pytest.fixture
def full_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = trainer.app.deckfile.parse_deck_text_form

    def counting(text: str, slug: str, source: str):  # type: ignore[no-untyped-def]
        calls.append(slug)
        return original(text, slug, source)

    monkeypatch.setattr(trainer.app.deckfile, "parse_deck_text_form", counting)
    return calls


def stored_cards(trainer_: Trainer) -> list[tuple[object, ...]]:
    return [
        (c.id, c.card.term, c.card.definition, c.card.aliases, c.card.tags, c.card.example)
        for c in trainer_.store.cards(deck="delta")
        if not c.retired
    ]


def loaded_from_file(path: Path) -> list[tuple[object, ...]]:
    deck = parse_deck_text(path.read_text(encoding="utf-8"), "delta", str(path))
    return [
        (c.id_in("delta"), c.term, c.definition, c.aliases, c.tags, c.example) for c in deck.cards
    ]


def test_a_hand_edit_loads_only_the_changed_card(
    make_trainer: Callable[..., Trainer], big_deck: Path, full_loads: list[str]
) -> None:
    trainer_ = make_trainer(deck_dirs=[big_deck])
    assert full_loads == ["delta"]
    path = big_deck / "delta.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('"meaning of term 8"', '"meaning of term 8, edited by hand"').replace(
            '  - term: "term 20"\n    definition: "meaning of term 20"\n',
            '  - term: "term 20"\n    definition: "twenty"\n    aliases: ["xx"]\n',
        ),
        encoding="utf-8",
    )
    assert trainer_.sync_decks().parsed == ["delta"]
    assert full_loads == ["delta"]  # the changed blocks only
    assert stored_cards(trainer_) == loaded_from_file(path)
    assert trainer_.sync_decks().parsed == []  # the new signature was recorded


def test_a_rename_by_hand_loads_the_whole_file(
    make_trainer: Callable[..., Trainer], big_deck: Path, full_loads: list[str]
) -> None:
    trainer_ = make_trainer(deck_dirs=[big_deck])
    path = big_deck / "delta.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('term: "term 8"', 'term: "term eight"'),
        encoding="utf-8",
    )
    assert trainer_.sync_decks().parsed == ["delta"]
    assert full_loads == ["delta", "delta"]
    assert [c for c in stored_cards(trainer_)] == loaded_from_file(path)


def test_a_broken_hand_edit_is_reported_like_before(
    make_trainer: Callable[..., Trainer], big_deck: Path
) -> None:
    trainer_ = make_trainer(deck_dirs=[big_deck])
    before = stored_cards(trainer_)
    path = big_deck / "delta.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"meaning of term 8"', '"unclosed'),
        encoding="utf-8",
    )
    report = trainer_.sync_decks()
    assert report.parsed == [] and len(report.errors) == 1
    assert stored_cards(trainer_) == before


def test_without_its_copy_a_changed_deck_is_loaded_whole(
    make_trainer: Callable[..., Trainer], big_deck: Path, full_loads: list[str]
) -> None:
    trainer_ = make_trainer(deck_dirs=[big_deck])
    deckdelta.settle(trainer_.deck_copies, "delta")  # its own file, no longer a link
    for copy in trainer_.deck_copies.iterdir():
        copy.write_bytes(b"stale")  # wrong size: not trusted
    path = big_deck / "delta.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"meaning of term 2"', '"two"'), encoding="utf-8"
    )
    assert trainer_.sync_decks().parsed == ["delta"]
    assert full_loads == ["delta", "delta"]
    assert stored_cards(trainer_) == loaded_from_file(path)


@pytest.mark.parametrize(
    "edit",
    [
        CardEdit("term 5", "a fresh meaning", ("t5",), ("x", "y")),
        CardEdit("Term  5", "same card, new spelling"),
        CardEdit("term 5", 'quotes " and \\ backslashes, café'),
    ],
)
def test_editing_a_card_in_place_writes_what_a_full_edit_writes(
    make_trainer: Callable[..., Trainer],
    big_deck: Path,
    full_loads: list[str],
    tmp_path: Path,
    edit: CardEdit,
) -> None:
    trainer_ = make_trainer(deck_dirs=[big_deck])
    path = big_deck / "delta.yaml"
    original = path.read_text(encoding="utf-8")
    trainer_.edit_card("delta/term 5", edit)
    assert full_loads == ["delta"]  # no full load for the edit
    fast = path.read_text(encoding="utf-8")
    assert stored_cards(trainer_) == loaded_from_file(path)
    assert trainer_.sync_decks().parsed == []
    # the same edit through the whole-document path, on a copy without its kept text
    other = tmp_path / "slow"
    other.mkdir()
    (other / "delta.yaml").write_text(original, encoding="utf-8")
    slow_trainer = Trainer.open(
        tmp_path / "slow.db",
        clock=trainer_.clock,
        settings=trainer_.settings,
        tz=trainer_.tz,
        deck_dirs=[other],
    )
    slow_trainer.sync_decks()
    deckdelta.settle(
        slow_trainer.deck_copies, "delta"
    )  # the copy's own file is still being written
    for copy in slow_trainer.deck_copies.iterdir():
        copy.unlink()
    slow_trainer.edit_card("delta/term 5", edit)
    slow_trainer.close()
    assert (other / "delta.yaml").read_text(encoding="utf-8") == fast


def test_a_renaming_edit_takes_the_whole_document_path(
    make_trainer: Callable[..., Trainer], big_deck: Path, full_loads: list[str]
) -> None:
    trainer_ = make_trainer(deck_dirs=[big_deck])
    trainer_.edit_card("delta/term 5", CardEdit("term five", "renamed"))
    path = big_deck / "delta.yaml"
    assert 'id: "term 5"' in path.read_text(encoding="utf-8")
    assert stored_cards(trainer_) == loaded_from_file(path)
    assert trainer_.card("delta/term 5").card.term == "term five"


def test_an_edit_after_an_unloaded_hand_edit_keeps_both(
    make_trainer: Callable[..., Trainer], big_deck: Path
) -> None:
    trainer_ = make_trainer(deck_dirs=[big_deck])
    path = big_deck / "delta.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"meaning of term 2"', '"two"'), encoding="utf-8"
    )  # not yet loaded: the file no longer matches the recorded signature
    trainer_.edit_card("delta/term 9", CardEdit("term 9", "nine"))
    assert stored_cards(trainer_) == loaded_from_file(path)
    assert trainer_.card("delta/term 2").card.definition == "two"


def test_card_block_finds_exactly_one_term_line() -> None:
    text = deck_text(5).encode("utf-8")
    start, end = deckdelta.card_block(text, "term 3") or (0, 0)
    assert text[start:end].startswith(b'  - term: "term 3"\n')
    assert text[end:].startswith(b'  - term: "term 4"\n')
    assert deckdelta.card_block(text, "term 9") is None
    # the term line of a block whose first key is another one
    moved = text.replace(b'  - term: "term 2"\n    definition:', b"  - definition:", 1)
    moved = moved.replace(b'meaning of term 2"\n', b'meaning of term 2"\n    term: "term 2"\n', 1)
    assert deckdelta.card_block(moved, "term 2") is not None
    twice = text + b'  - term: "term 3"\n    definition: "again"\n'
    assert deckdelta.card_block(twice, "term 3") is None
    inside = text.replace(b'"meaning of term 1"', b'"x"\n    example: "term: \\"term 3\\""', 1)
    assert deckdelta.card_block(inside, "term 3") is not None  # not a term line


def test_write_remembered_keeps_a_copy_named_by_the_digest(tmp_path: Path) -> None:
    import hashlib

    from trainer.app.files import write_file

    folder = tmp_path / "copies"
    deck = tmp_path / "deck.yaml"
    big = b"x" * deckdelta.MIN_CACHED_BYTES
    pieces = (memoryview(big)[:10], b"middle", memoryview(big)[10:])
    sha = deckdelta.write_remembered(
        folder, "deck", pieces, lambda link: write_file(deck, pieces, link)
    )
    assert sha == hashlib.sha256(deck.read_bytes()).hexdigest()
    assert deckdelta.recall(folder, "deck", sha, deck.stat().st_size) == deck.read_bytes()
    assert [p.name for p in folder.iterdir()] == [f"deck.{sha}.yaml"]
    # settled (recall waits): the copy is a file of its own, not the deck's inode
    assert not deckdelta.copy_path(folder, "deck", sha).samefile(deck)

    def fail(link: Path | None) -> bool:
        raise OSError("disk full")

    with pytest.raises(OSError):
        deckdelta.write_remembered(folder, "deck", (b"other", big), fail)
    assert [p.name for p in folder.iterdir()] == [f"deck.{sha}.yaml"]  # the old copy stays
    small = deckdelta.write_remembered(folder, "deck", (b"small",), lambda link: False)
    assert small == hashlib.sha256(b"small").hexdigest()
    assert list(folder.iterdir()) == []  # none kept for it, and the older one goes


def test_without_hard_links_the_copy_is_written_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "copies"
    deck = tmp_path / "deck.yaml"
    big = b"y" * deckdelta.MIN_CACHED_BYTES

    def write_unlinked(link: Path | None) -> bool:
        deck.write_bytes(big)
        return False

    sha = deckdelta.write_remembered(folder, "deck", (big,), write_unlinked)
    assert deckdelta.copy_path(folder, "deck", sha).read_bytes() == big
    assert [p.name for p in folder.iterdir()] == [f"deck.{sha}.yaml"]


def test_a_linked_copy_is_used_only_while_it_matches_its_digest(tmp_path: Path) -> None:
    """An editor that writes the deck file in place writes the linked copy too."""
    import hashlib
    import os

    folder = tmp_path / "copies"
    folder.mkdir()
    deck = tmp_path / "deck.yaml"
    deck.write_bytes(b"a" * 1000)
    sha = hashlib.sha256(deck.read_bytes()).hexdigest()
    os.link(deck, deckdelta.linked_path(folder, "deck", sha))
    assert deckdelta.kept_copy(folder, "deck", sha) == deckdelta.linked_path(folder, "deck", sha)
    assert deckdelta.recall(folder, "deck", sha, 1000) == b"a" * 1000
    with deck.open("r+b") as in_place:  # same size, other bytes
        in_place.write(b"b")
    assert deckdelta.recall(folder, "deck", sha, 1000) is None


def test_a_hand_edit_in_place_after_an_edit_loads_only_the_changed_card(
    make_trainer: Callable[..., Trainer], big_deck: Path, full_loads: list[str]
) -> None:
    """The edit's copy is a link at first; written in place, the deck must still
    be compared with the text trainer wrote, not with itself."""
    trainer_ = make_trainer(deck_dirs=[big_deck])
    trainer_.edit_card("delta/term 5", CardEdit("term 5", "five"))
    path = big_deck / "delta.yaml"
    text = path.read_text(encoding="utf-8")
    with path.open("r+", encoding="utf-8") as in_place:
        in_place.write(text.replace('"meaning of term 9"', '"nine"'))
        in_place.truncate()
    assert trainer_.sync_decks().parsed == ["delta"]
    assert full_loads == ["delta"]
    assert stored_cards(trainer_) == loaded_from_file(path)
    assert trainer_.card("delta/term 9").card.definition == "nine"


def test_a_loaded_deck_is_kept_as_a_link_then_as_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib
    import os

    folder = tmp_path / "copies"
    deck = tmp_path / "deck.yaml"
    raw = b"z" * deckdelta.MIN_CACHED_BYTES
    deck.write_bytes(raw)
    sha = hashlib.sha256(raw).hexdigest()
    deckdelta.remember_file(folder, "deck", sha, raw, deck)
    with deck.open("r+b") as in_place:  # the deck changes in place, link or not
        in_place.write(b"q")
    assert deckdelta.recall(folder, "deck", sha, len(raw)) == raw
    assert [p.name for p in folder.iterdir()] == [f"deck.{sha}.yaml"]
    assert not deckdelta.copy_path(folder, "deck", sha).samefile(deck)

    def no_links(*_args: object, **_kwargs: object) -> None:
        raise OSError("no hard links here")

    monkeypatch.setattr(os, "link", no_links)
    other = b"w" * deckdelta.MIN_CACHED_BYTES
    other_sha = hashlib.sha256(other).hexdigest()
    deckdelta.remember_file(folder, "deck", other_sha, other, deck)
    assert [p.name for p in folder.iterdir()] == [f"deck.{other_sha}.yaml"]  # written at once
    assert deckdelta.copy_path(folder, "deck", other_sha).read_bytes() == other


def test_settle_all_leaves_no_copy_thread_running(tmp_path: Path) -> None:
    """Before an import forks its children, every copy being written is finished."""
    import hashlib

    raw = b"y" * deckdelta.MIN_CACHED_BYTES
    sha = hashlib.sha256(raw).hexdigest()
    for slug in ("one", "two"):
        deck = tmp_path / f"{slug}.yaml"
        deck.write_bytes(raw)
        deckdelta.remember_file(tmp_path / "copies", slug, sha, raw, deck)
    deckdelta.settle_all()
    assert not deckdelta._pending  # every copy thread joined
    names = sorted(p.name for p in (tmp_path / "copies").iterdir())
    assert names == [f"one.{sha}.yaml", f"two.{sha}.yaml"]
