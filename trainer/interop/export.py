"""Writing one deck out for other programs and for people.

The cards come from the database (what the trainer studies: active cards, the
directions in force including settings overrides), except ``yaml``, which is
the deck file itself, byte for byte, when it exists.

- ``apkg``: an Anki package made with genanki. The note type has the fields
  Term, Definition, Example and Aliases and one card template per direction the
  deck studies (Term → Definition, Definition → Term). Deck and note-type ids
  are derived from the slug (and the template set), and note GUIDs from the
  card identity, so exporting again and re-importing into Anki updates the
  notes instead of duplicating them. Text is HTML-escaped and line breaks
  become ``<br>``; HTML has no tabs or runs of spaces, so those read back (in
  Anki and through ``trainer import``) as one space. The collection is built
  with genanki's ``write_to_db`` in a temporary folder of ours and zipped here
  (``write_to_file`` leaves its temporary database behind).
- ``tsv``: Anki's plain-text import format: ``#separator:tab``,
  ``#html:false``, ``#notetype``, ``#deck``, ``#tags column:3`` and
  ``#columns:Front<TAB>Back<TAB>Tags`` (Anki reads the column names with the
  file's separator and maps them onto the note type's fields by name), then one
  note per row, quoted where a field holds a tab, a quote or a line break.
- ``csv``: a header ``term,definition,aliases,tags,example`` (aliases joined by
  ``; ``, tags by spaces), which ``trainer import`` reads back.
- ``md``: a Markdown definition list, ``**Term**: definition``.

Every format is written to a temporary file beside the target and renamed into
place, so an interrupted export never leaves half a file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.core.model import Card, Deck, Direction
from trainer.core.text import one_line
from trainer.errors import os_error

if TYPE_CHECKING:
    from trainer.app.trainer import Trainer

__all__ = [
    "FORMATS",
    "ExportOutcome",
    "export_deck",
    "format_for",
    "render_csv",
    "render_markdown",
    "render_tsv",
    "stable_anki_id",
    "write_apkg",
]

FORMATS = ("apkg", "tsv", "csv", "yaml", "md")
SUFFIXES = {
    ".apkg": "apkg",
    ".tsv": "tsv",
    ".txt": "tsv",
    ".csv": "csv",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".md": "md",
    ".markdown": "md",
}
MODEL_CSS = """.card {
  font-family: sans-serif;
  font-size: 20px;
  text-align: center;
}
.example { font-style: italic; }
"""


@dataclass(frozen=True)
class ExportOutcome:
    path: Path
    format: str
    slug: str
    cards: int


def format_for(path: Path, explicit: str | None) -> str:
    """The explicit format, else the one the file name implies."""
    from trainer.app.trainer import UserError

    if explicit:
        return explicit
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise UserError(
            f"{path}: cannot tell the format from the file name; use --format "
            f"({', '.join(FORMATS)})"
        )
    return found


def load_deck(trainer: Trainer, name: str) -> tuple[Deck, str, tuple[str, ...]]:
    """The deck as the trainer studies it, its deck file's path, and its card ids."""
    slug = (trainer.resolve_decks([name]) or [name])[0]
    row = next(row for row in trainer.decks() if row.slug == slug)
    stored = [card for card in trainer.store.cards(deck=slug) if not card.retired]
    cards = tuple(card.card for card in stored)
    directions = trainer.deck_directions().get(slug, (Direction.FORWARD,))
    deck = Deck(
        slug=slug,
        name=row.name,
        cards=cards,
        description=row.description,
        source=row.source,
        directions=tuple(directions),
    )
    return deck, row.path, tuple(card.id for card in stored)


def export_deck(
    trainer: Trainer, name: str, fmt: str | None, out: Path, *, overwrite: bool = False
) -> ExportOutcome:
    from trainer.app.trainer import UserError

    fmt = format_for(out, fmt)
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r} (formats: {', '.join(FORMATS)})")
    if out.is_dir():
        raise UserError(f"{out}: is a folder; give a file name")
    if out.exists() and not overwrite:
        raise UserError(f"{out}: already exists (use --force to replace it)")
    deck, deck_path, ids = load_deck(trainer, name)
    if not deck.cards:
        raise UserError(f"deck {deck.slug!r} has no active cards; nothing to export")
    if fmt == "apkg":
        write_apkg(deck, out, timestamp=trainer.now().timestamp(), ids=ids)
    elif fmt == "yaml":
        _write_atomically(out, _deck_file_bytes(deck, deck_path))
    else:
        render = {"tsv": render_tsv, "csv": render_csv, "md": render_markdown}[fmt]
        _write_atomically(out, render(deck).encode("utf-8"))
    return ExportOutcome(out, fmt, deck.slug, len(deck.cards))


def _deck_file_bytes(deck: Deck, deck_path: str) -> bytes:
    from trainer.app.deckfile import dump_deck

    if deck_path:
        try:
            return Path(deck_path).read_bytes()
        except OSError:
            pass
    return dump_deck(deck).encode("utf-8")


def _write_atomically(path: Path, data: bytes) -> None:
    from trainer.app.files import write_atomically

    try:
        write_atomically(path, data)
    except OSError as error:
        raise os_error(error, path, "write") from None


# ------------------------------------------------------------------ text forms


def _anki_tags(card: Card) -> str:
    return " ".join(tag.replace(" ", "_") for tag in card.tags)


def render_tsv(deck: Deck) -> str:
    reverse = Direction.REVERSE in deck.directions
    notetype = "Basic (and reversed card)" if reverse else "Basic"
    buffer = io.StringIO()
    buffer.write("#separator:tab\n#html:false\n")
    buffer.write(f"#notetype:{notetype}\n")
    buffer.write(f"#deck:{one_line(deck.name)}\n")
    buffer.write("#tags column:3\n")
    buffer.write("#columns:Front\tBack\tTags\n")
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for card in deck.cards:
        writer.writerow([card.term, card.definition, _anki_tags(card)])
    return buffer.getvalue()


def render_csv(deck: Deck) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["term", "definition", "aliases", "tags", "example"])
    for card in deck.cards:
        writer.writerow(
            [
                card.term,
                card.definition,
                "; ".join(card.aliases),
                " ".join(tag.replace(" ", "_") for tag in card.tags),
                card.example or "",
            ]
        )
    return buffer.getvalue()


def render_markdown(deck: Deck) -> str:
    lines = [f"# {one_line(deck.name)}", ""]
    if deck.description:
        lines += [deck.description, ""]
    for card in deck.cards:
        definition = "\n  ".join(line for line in card.definition.splitlines() if line.strip())
        lines += [f"**{one_line(card.term)}**: {definition}", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------ apkg


def stable_anki_id(*parts: str) -> int:
    """An id in genanki's recommended range [2**30, 2**31), the same for the same parts."""
    digest = hashlib.sha256("\x1f".join(("trainer", *parts)).encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


def write_apkg(
    deck: Deck, out: Path, *, timestamp: float, ids: tuple[str, ...] | None = None
) -> None:
    """Write ``deck`` as an Anki package with genanki.

    ``ids`` are the cards' trainer ids (by default derived from the deck), from
    which the note GUIDs are made.
    """
    import itertools
    import sqlite3
    import tempfile
    import zipfile

    import genanki

    from trainer.interop.html import text_to_html

    directions = [d for d in (Direction.FORWARD, Direction.REVERSE) if d in deck.directions]
    templates = []
    if Direction.FORWARD in directions:
        templates.append(
            {
                "name": "Term → Definition",
                "qfmt": "{{Term}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Definition}}"
                '{{#Example}}<div class="example">{{Example}}</div>{{/Example}}',
            }
        )
    if Direction.REVERSE in directions:
        templates.append(
            {
                "name": "Definition → Term",
                "qfmt": "{{Definition}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Term}}"
                "{{#Aliases}}<div>({{Aliases}})</div>{{/Aliases}}",
            }
        )
    model = genanki.Model(
        stable_anki_id("model", deck.slug, *map(str, directions)),
        f"trainer: {deck.name}",
        fields=[{"name": "Term"}, {"name": "Definition"}, {"name": "Example"}, {"name": "Aliases"}],
        templates=templates,
        css=MODEL_CSS,
    )
    anki_deck = genanki.Deck(stable_anki_id("deck", deck.slug), deck.name, deck.description)
    for card, identity in zip(
        deck.cards, ids or [card.id_in(deck.slug) for card in deck.cards], strict=True
    ):
        anki_deck.add_note(
            genanki.Note(
                model=model,
                fields=[
                    text_to_html(card.term),
                    text_to_html(card.definition),
                    text_to_html(card.example or ""),
                    text_to_html("; ".join(card.aliases)),
                ],
                tags=[tag.replace(" ", "_") for tag in card.tags],
                guid=genanki.guid_for("trainer", identity),
            )
        )
    package = genanki.Package(anki_deck)
    from trainer.app.files import write_atomically

    try:
        with tempfile.TemporaryDirectory(prefix="trainer-apkg-") as scratch:
            database = Path(scratch) / "collection.anki2"
            conn = sqlite3.connect(database)
            try:
                package.write_to_db(
                    conn.cursor(), timestamp, itertools.count(int(timestamp * 1000))
                )
                conn.commit()
            finally:
                conn.close()
            # built in the private scratch folder, then written like every user file:
            # a fresh exclusive temporary beside OUT (through a symlink to its target)
            built = Path(scratch) / "package.apkg"
            with zipfile.ZipFile(built, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.write(database, "collection.anki2")
                archive.writestr("media", "{}")
            write_atomically(out, built.read_bytes())
    except OSError as error:
        raise os_error(error, out, "write") from None
