"""Exporting a deck: apkg, tsv, csv, yaml, md, and the round trips back in."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import START
from tests.interop.conftest import Result, folder_snapshot
from trainer.app.trainer import Trainer, UserError
from trainer.core.glossary import parse_glossary
from trainer.core.model import Card, Deck, Direction
from trainer.interop.anki import read_package
from trainer.interop.anki_import import import_package
from trainer.interop.export import (
    export_deck,
    render_csv,
    render_markdown,
    render_tsv,
    stable_anki_id,
)
from trainer.interop.glossary import import_glossary

RICH_DECK = """\
name: Rich deck
description: Cards with everything.
tags: [demo]
directions: [forward, reverse]
cards:
  - term: Alpha
    definition: The first letter.
    aliases: [A, alef]
    tags: [greek, letters]
    example: Alpha males.
  - term: Less <than> & more
    definition: |-
      Two lines,
      with "quotes", a tab	here and [bold]markup[/bold].
    tags: [symbols]
  - term: Gamma
    definition: The third letter.
"""

OpenTrainer = Callable[..., Trainer]


@pytest.fixture
def rich(open_trainer: OpenTrainer, tmp_path: Path) -> Trainer:
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "rich.yaml").write_text(RICH_DECK, encoding="utf-8")
    return open_trainer(tmp_path / "t.db", at=START, deck_dirs=[decks])


def cards(trainer: Trainer, slug: str) -> list[Card]:
    return [
        Card(s.card.term, s.card.definition, s.card.aliases, s.card.tags, s.card.example)
        for s in trainer.store.cards(deck=slug)
        if not s.retired
    ]


def test_yaml_to_apkg_to_import_gives_the_same_cards(
    rich: Trainer, open_trainer: OpenTrainer, tmp_path: Path
) -> None:
    out = tmp_path / "rich.apkg"
    outcome = export_deck(rich, "Rich deck", None, out)
    assert (outcome.format, outcome.cards, outcome.slug) == ("apkg", 3, "rich")
    other = open_trainer(tmp_path / "other" / "t.db", at=START)
    imported = import_package(other, out)
    assert [(d.slug, d.name, d.cards) for d in imported.decks] == [("rich-deck", "Rich deck", 3)]
    # HTML has no tab: Anki shows it as a space, and that is what comes back; the
    # deck's tag rides on every note
    expected = [
        Card(c.term, c.definition.replace("\t", " "), c.aliases, (*c.tags, "demo"), c.example)
        for c in cards(rich, "rich")
    ]
    assert cards(other, "rich-deck") == expected
    assert expected != cards(rich, "rich")  # the one difference is that tab
    assert {row.slug: row.directions for row in other.decks()}["rich-deck"] == (
        Direction.FORWARD,
        Direction.REVERSE,
    )


def test_apkg_has_a_template_per_direction_and_stable_ids(rich: Trainer, tmp_path: Path) -> None:
    export_deck(rich, "rich", "apkg", tmp_path / "a.apkg")
    export_deck(rich, "rich", "apkg", tmp_path / "b.apkg")
    a, b = read_package(tmp_path / "a.apkg"), read_package(tmp_path / "b.apkg")
    assert a.member == "collection.anki2"
    (notetype,) = a.notetypes.values()
    assert notetype.fields == ("Term", "Definition", "Example", "Aliases", "Forward", "Reverse")
    assert notetype.templates == 2
    assert sorted(card.ord for card in a.cards) == [0, 0, 0, 1, 1, 1]
    assert notetype.id == stable_anki_id("model", "rich", "v2")
    assert stable_anki_id("deck", "rich") in a.decks
    assert a.decks[stable_anki_id("deck", "rich")] == "Rich deck"
    assert 1 << 30 <= notetype.id < 1 << 31
    assert a.notes == b.notes  # same GUIDs, ids and fields: re-importing into Anki updates
    assert a.notes[1].fields[:2] == (
        "Less &lt;than&gt; &amp; more",
        'Two lines,<br>with "quotes", a tab\there and [bold]markup[/bold].',
    )
    assert a.notes[0].tags == ("greek", "letters", "demo")


def test_a_forward_only_deck_has_one_card_per_note(trainer: Trainer, tmp_path: Path) -> None:
    """The note type is the same whatever the directions: a flag field asks for each card."""
    export_deck(trainer, "small", "apkg", tmp_path / "s.apkg")
    package = read_package(tmp_path / "s.apkg")
    (notetype,) = package.notetypes.values()
    assert notetype.templates == 2
    assert {card.ord for card in package.cards} == {0}
    assert len(package.cards) == len(package.notes)
    assert {note.fields[4:] for note in package.notes} == {("y", "")}


def test_tsv_is_ankis_text_format(rich: Trainer, tmp_path: Path) -> None:
    out = tmp_path / "rich.tsv"
    export_deck(rich, "rich", None, out)
    assert out.read_text(encoding="utf-8") == (
        "#separator:tab\n"
        "#html:false\n"
        "#notetype:Basic (and reversed card)\n"
        "#deck:Rich deck\n"
        "#tags column:3\n"
        "#columns:Front\tBack\tTags\n"
        "Alpha\tThe first letter.\tgreek letters demo\n"
        'Less <than> & more\t"Two lines,\nwith ""quotes"", a tab\there and [bold]markup[/bold]."'
        "\tsymbols demo\n"
        "Gamma\tThe third letter.\tdemo\n"
    )


def _rows(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    result = parse_glossary(text, "deck.tsv")
    return [(e.term, e.definition, e.tags) for e in result.entries]


def test_tsv_rows_read_back_through_the_glossary_importer(rich: Trainer, tmp_path: Path) -> None:
    """The rows themselves (quoting, line breaks, tabs) survive without the header lines."""
    text = render_tsv(Deck("rich", "Rich deck", tuple(cards(rich, "rich"))))
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    assert [(term, definition) for term, definition, _ in _rows(body)] == [
        (card.term, card.definition) for card in cards(rich, "rich")
    ]


@pytest.mark.parametrize("name", ["deck.tsv", "deck.txt"])  # .txt: what Anki itself writes
def test_tsv_round_trip_through_the_glossary_importer(rich: Trainer, name: str) -> None:
    text = render_tsv(Deck("rich", "Rich deck", tuple(cards(rich, "rich"))))
    result = parse_glossary(text, name)
    assert result.format == "tsv"
    assert [(e.term, e.definition, e.tags) for e in result.entries] == [
        (c.term, c.definition, c.tags) for c in cards(rich, "rich")
    ]


def test_csv_has_a_header_and_reads_back(rich: Trainer, tmp_path: Path) -> None:
    out = tmp_path / "rich.csv"
    export_deck(rich, "rich", "csv", out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["term", "definition", "aliases", "tags", "example"]
    assert rows[1] == ["Alpha", "The first letter.", "A; alef", "greek letters", "Alpha males."]
    result = parse_glossary(out.read_text(encoding="utf-8"), str(out))
    assert [(e.term, e.definition, e.aliases, e.tags) for e in result.entries] == [
        (c.term, c.definition, c.aliases, c.tags) for c in cards(rich, "rich")
    ]


def test_csv_round_trip_through_the_import_command(
    rich: Trainer, open_trainer: OpenTrainer, tmp_path: Path
) -> None:
    out = tmp_path / "rich-again.csv"
    export_deck(rich, "rich", "csv", out)
    other = open_trainer(tmp_path / "other" / "t.db", at=START)
    outcome = import_glossary(
        other, out, deck_name=None, out=None, fmt=None, refuse_missing_terms=True, overwrite=False
    )
    assert outcome.cards == 3
    expected = [Card(c.term, c.definition, c.aliases, c.tags) for c in cards(rich, "rich")]
    assert cards(other, outcome.slug) == expected  # all but the example, which csv import drops


def test_yaml_is_the_deck_file(rich: Trainer, tmp_path: Path) -> None:
    out = tmp_path / "copy.yaml"
    export_deck(rich, "Rich deck", "yaml", out)
    assert out.read_text(encoding="utf-8") == RICH_DECK


def test_markdown_definition_list(rich: Trainer, tmp_path: Path) -> None:
    out = tmp_path / "rich.md"
    export_deck(rich, "rich", "md", out)
    assert out.read_text(encoding="utf-8") == (
        "# Rich deck\n"
        "\n"
        "Cards with everything.\n"
        "\n"
        "**Alpha**: The first letter.\n"
        "\n"
        "**Less <than> & more**: Two lines,\n"
        '  with "quotes", a tab\there and [bold]markup[/bold].\n'
        "\n"
        "**Gamma**: The third letter.\n"
    )
    result = parse_glossary(out.read_text(encoding="utf-8"), str(out))
    assert [e.term for e in result.entries] == ["Alpha", "Less <than> & more", "Gamma"]


def test_render_functions_need_no_database() -> None:
    deck = Deck("d", "D", (Card("x", "y"),))
    assert render_csv(deck) == "term,definition,aliases,tags,example\nx,y,,,\n"
    assert render_markdown(deck) == "# D\n\n**x**: y\n"
    assert render_tsv(deck).endswith("#columns:Front\tBack\tTags\nx\ty\t\n")
    assert "#notetype:Basic\n" in render_tsv(deck)


def test_export_refuses_to_overwrite_and_unknown_decks(rich: Trainer, tmp_path: Path) -> None:
    out = tmp_path / "taken.csv"
    out.write_text("mine", encoding="utf-8")
    with pytest.raises(UserError, match="already exists"):
        export_deck(rich, "rich", "csv", out)
    assert out.read_text(encoding="utf-8") == "mine"
    export_deck(rich, "rich", "csv", out, overwrite=True)
    assert out.read_text(encoding="utf-8").startswith("term,")
    with pytest.raises(UserError, match="no deck named 'nope'"):
        export_deck(rich, "nope", "csv", tmp_path / "x.csv")
    with pytest.raises(UserError, match="cannot tell the format"):
        export_deck(rich, "rich", None, tmp_path / "x.bin")
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_command(cli: Callable[..., Result], home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "decks").mkdir()
    (home / "decks" / "rich.yaml").write_text(RICH_DECK, encoding="utf-8")
    out = tmp_path / "out.apkg"
    result = cli("export", "--deck", "Rich deck", str(out))
    assert result.code == 0, result.err
    assert result.out == f"wrote {out} (3 cards of deck 'rich', apkg)\n"
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["collection.anki2", "media"]
    before = folder_snapshot(tmp_path)
    again = cli("export", "--deck", "rich", "--format", "md", str(out))
    assert again.one_line_error() == f"trainer: {out}: already exists (use --force to replace it)"
    assert folder_snapshot(tmp_path) == before
    missing = cli("export", "--deck", "nope", str(tmp_path / "n.csv"))
    assert "no deck named 'nope'" in missing.one_line_error()
