"""Writing one deck out for other programs and for people.

The cards come from the database (what the trainer studies: active cards, the
directions in force including settings overrides), except ``yaml``, which is
the deck file itself, byte for byte, when it exists.

- ``apkg``: an Anki package made with genanki, then given schedules. A card
  imported from Anki goes back as its own note (GUID, note type, fields). Other
  cards use one trainer note type per deck (fields Term, Definition, Example,
  Aliases, Forward, Reverse; two templates that ask only when their flag field
  is set, so changing directions never changes the note type), and cloze
  entries a trainer Cloze note type. Deck and note-type ids are derived from
  the slug, note GUIDs from the card identity (base91 of 64 bits, as Anki and
  genanki write them), note modification times are the cards' last changes
  (Anki's own for an imported note unchanged here): exporting again and
  importing into Anki updates exactly the changed notes and duplicates none.
  Each scheduled card carries its due day, interval, ease, repetitions and
  lapses, and the review log goes along. Text is HTML-escaped and line breaks
  become ``<br>``; HTML has no tabs or runs of spaces, so those read back (in
  Anki and through ``trainer import``) as one space. The collection is built
  with genanki's ``write_to_db`` in a temporary folder of ours and zipped here
  (``write_to_file`` leaves its temporary database behind).
- ``tsv``: Anki's plain-text import format: ``#separator:tab``,
  ``#html:false``, ``#notetype``, ``#deck``, ``#tags column:3`` and
  ``#columns:Front<TAB>Back<TAB>Tags`` (Anki reads the column names with the
  file's separator and maps them onto the note type's fields by name), then
  one note per row, quoted where a field holds a tab, a quote, a line break or
  starts with ``#``. A deck that needs several note types (cards with their
  own directions) or has cloze entries (whose fields are not Front and Back)
  names each row's instead: ``#notetype column:1``, ``#tags column:4``,
  ``#columns:Note type<TAB>Front<TAB>Back<TAB>Tags``, with one Cloze note
  (text, extra) per cloze entry.
- ``csv``: a header ``term,definition,aliases,tags,example`` (aliases joined by
  ``; ``, tags by spaces), which ``trainer import`` reads back.
- ``md``: a Markdown definition list, ``**Term**: definition``.

Every format is written to a temporary file beside the target and renamed into
place, so an interrupted export never leaves half a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.core.model import SCHEDULING_MODES, Card, Deck, Direction, ReviewRecord
from trainer.core.sm2 import SM2State
from trainer.core.text import one_line
from trainer.errors import os_error
from trainer.interop.anki_notes import anki_deck_name, card_digest, note_guid
from trainer.interop.html import html_to_text, plain_field, text_to_html
from trainer.storage.anki_records import (
    NoteRecord,
    NotetypeRecord,
    card_changes,
    deck_changed_at,
    deck_reviews,
    deck_states,
    note_records,
    notetypes,
)

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
    written = _deck_file(row.path, slug)
    in_file = {card.id_in(slug): card for card in written.cards} if written else {}
    cards = tuple(
        replace(
            card.card,
            guid=in_file[card.id].guid,
            cloze=in_file[card.id].cloze,
            cloze_number=in_file[card.id].cloze_number,
            directions=in_file[card.id].directions,
        )
        if card.id in in_file
        else card.card
        for card in stored
    )
    directions = trainer.deck_directions().get(slug, (Direction.FORWARD,))
    deck = Deck(
        slug=slug,
        name=row.name,
        cards=cards,
        description=row.description,
        source=row.source,
        directions=tuple(directions),
        tags=written.tags if written else (),
    )
    return deck, row.path, tuple(card.id for card in stored)


def _deck_file(path: str, slug: str) -> Deck | None:
    """The deck file as written (for what the database does not hold: deck tags, GUIDs)."""
    from trainer.app.deckfile import read_deck_file
    from trainer.core.deck import DeckError

    if not path:
        return None
    try:
        return read_deck_file(Path(path), slug)
    except DeckError:
        return None


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
        extras = export_extras(trainer, deck, ids)
        write_apkg(deck, out, timestamp=trainer.now().timestamp(), ids=ids, extras=extras)
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


def _anki_tags(card: Card, deck: Deck | None = None) -> str:
    tags = (*card.tags, *(deck.tags if deck else ()))
    return " ".join(dict.fromkeys(tag.replace(" ", "_") for tag in tags))


def _tsv_field(text: str) -> str:
    """One TSV field as Anki's reader takes it back.

    Quoted when it holds a tab, a quote or a line break, and also when it
    starts with ``#``: Anki reads a line starting with ``#`` as a comment (or a
    header) and would drop the note.
    """
    if text.startswith("#") or any(c in text for c in '\t"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _tsv_notes(deck: Deck) -> list[tuple[str, str, str, str]]:
    """Each note of the deck as (Anki note type, first field, second field, tags).

    A card studied both ways is a "Basic (and reversed card)" note, others
    "Basic" ones; a cloze entry is one "Cloze" note (text, extra) for all its gaps.
    """
    notes: list[tuple[str, str, str, str]] = []
    seen: set[tuple[str, str | None, str | None]] = set()
    for card in deck.cards:
        if card.cloze is not None:
            entry = (card.cloze, card.key, card.guid)
            if entry not in seen:
                seen.add(entry)
                notes.append(("Cloze", card.cloze, card.example or "", _anki_tags(card, deck)))
            continue
        reverse = Direction.REVERSE in (card.directions or deck.directions)
        notetype = "Basic (and reversed card)" if reverse else "Basic"
        notes.append((notetype, card.term, card.definition, _anki_tags(card, deck)))
    return notes


def render_tsv(deck: Deck) -> str:
    """Anki's text format: one note type in the header, or, when the deck needs
    several (cards with their own directions) or has cloze entries, one per row."""
    notes = _tsv_notes(deck)
    notetypes = {note[0] for note in notes}
    # Anki maps named columns onto a header note type's fields by name, and a
    # Cloze note's are not Front and Back: its rows always name their type
    one_type = len(notetypes) <= 1 and "Cloze" not in notetypes
    lines = ["#separator:tab", "#html:false"]
    if one_type:
        reverse = Direction.REVERSE in deck.directions
        notetype = notetypes.pop() if notetypes else "Basic"
        if not notes and reverse:
            notetype = "Basic (and reversed card)"
        lines.append(f"#notetype:{notetype}")
    else:
        lines.append("#notetype column:1")
    lines.append(f"#deck:{one_line(anki_deck_name(deck.name))}")
    if one_type:
        lines += ["#tags column:3", "#columns:Front\tBack\tTags"]
        rows = [note[1:] for note in notes]
    else:
        lines += ["#tags column:4", "#columns:Note type\tFront\tBack\tTags"]
        rows = list(notes)
    for row in rows:
        lines.append("\t".join(_tsv_field(value) for value in row))
    return "\n".join(lines) + "\n"


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


#: The id of the deck every Anki collection (and every genanki package) has, "Default".
ANKI_DEFAULT_DECK_ID = 1


def anki_deck_id(anki_name: str, slug: str) -> int:
    """The package's id for a deck: Anki's own for "Default" (in any case), else a stable one.

    A package holding genanki's "Default" beside a second deck of that name made
    Anki rename the second "Default_", so the cards left the deck they came from.
    """
    if anki_name.casefold() == "default":  # Anki compares deck names without case
        return ANKI_DEFAULT_DECK_ID
    return stable_anki_id("deck", slug)


#: The fields of trainer's own note type. ``Forward``/``Reverse`` hold "y" for each
#: direction the deck studies, and each template asks its question only then: so
#: changing a deck's directions changes notes' fields, never the note type.
TRAINER_FIELDS = ("Term", "Definition", "Example", "Aliases", "Forward", "Reverse")
TRAINER_TEMPLATES = (
    (
        "Term → Definition",
        "{{#Forward}}{{Term}}{{/Forward}}",
        "{{FrontSide}}<hr id=answer>{{Definition}}"
        '{{#Example}}<div class="example">{{Example}}</div>{{/Example}}',
    ),
    (
        "Definition → Term",
        "{{#Reverse}}{{Definition}}{{/Reverse}}",
        "{{FrontSide}}<hr id=answer>{{Term}}{{#Aliases}}<div>({{Aliases}})</div>{{/Aliases}}",
    ),
)
#: Anki's answer buttons for trainer's grades (0-2 fail, 3 Hard, 4 Good, 5 Easy).
GRADE_TO_EASE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4}


@dataclass(frozen=True)
class ApkgExtras:
    """What an export adds to a deck's cards: identities, times, schedules, history."""

    #: the trainer card id of each card, in deck order
    ids: tuple[str, ...]
    #: Anki note GUIDs of imported cards, by card id
    guids: Mapping[str, str] = field(default_factory=dict)
    #: the last imported version of notes, by GUID, and their note types
    records: Mapping[str, NoteRecord] = field(default_factory=dict)
    notetypes: Mapping[int, NotetypeRecord] = field(default_factory=dict)
    #: when each card last changed
    changed: Mapping[str, dt.datetime] = field(default_factory=dict)
    deck_changed: dt.datetime | None = None
    states: Mapping[tuple[str, str], SM2State] = field(default_factory=dict)
    reviews: Sequence[ReviewRecord] = ()
    today: dt.date | None = None
    #: the moment a study day starts on ``today`` (Anki's collection creation time of day)
    day_start: dt.datetime | None = None


def export_extras(trainer: Trainer, deck: Deck, ids: tuple[str, ...]) -> ApkgExtras:
    """Everything the database knows about a deck that an Anki package can carry."""
    from trainer.core.clock import study_day

    conn = trainer.store.conn
    records = note_records(conn, deck=deck.slug)
    guids = {record.card_id: record.guid for record in records.values()}
    guids.update({card.id_in(deck.slug): card.guid for card in deck.cards if card.guid})
    now = trainer.now()
    rollover = trainer.settings.rollover_hour
    today = study_day(now, trainer.tz, rollover)
    local = now.astimezone(trainer.tz)
    start = local.replace(hour=rollover, minute=0, second=0, microsecond=0)
    if start > local:
        start -= dt.timedelta(days=1)
    return ApkgExtras(
        ids=ids,
        guids=guids,
        records=records,
        notetypes=notetypes(conn, {r.notetype_id for r in records.values() if r.notetype_id}),
        changed=card_changes(conn, deck.slug),
        deck_changed=deck_changed_at(conn, deck.slug),
        states=deck_states(conn, deck.slug),
        reviews=deck_reviews(conn, deck.slug),
        today=today,
        day_start=start,
    )


def write_apkg(
    deck: Deck,
    out: Path,
    *,
    timestamp: float,
    ids: tuple[str, ...] | None = None,
    extras: ApkgExtras | None = None,
) -> None:
    """Write ``deck`` as an Anki package: notes with genanki, then schedules and history.

    A card imported from Anki goes back as its own note (same GUID, note type
    and fields, the studied fields replaced only if edited here); others use
    trainer's note type. Each note's modification time is its card's last
    change (Anki's own if unchanged since its import), so Anki updates exactly
    the notes that changed.
    """
    import itertools
    import sqlite3
    import tempfile
    import zipfile

    import genanki

    extras = extras or ApkgExtras(ids=ids or tuple(card.id_in(deck.slug) for card in deck.cards))
    anki_name = anki_deck_name(deck.name)
    anki_deck = genanki.Deck(anki_deck_id(anki_name, deck.slug), anki_name, deck.description)
    models: dict[int, genanki.Model] = {}
    note_meta: dict[str, tuple[int, dict[int, tuple[str, Direction]]]] = {}
    for group in _notes_of(deck, extras):
        note, cards = _note_for(deck, group, extras, models)
        anki_deck.add_note(note)
        note_meta[note.guid] = (_note_mod(deck, group, note.guid, extras, timestamp), cards)
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
                _add_schedules(conn, note_meta, extras)
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


def _notes_of(deck: Deck, extras: ApkgExtras) -> list[list[tuple[Card, str]]]:
    """The deck's cards grouped into notes: one per card, one per cloze entry."""
    groups: list[list[tuple[Card, str]]] = []
    by_cloze: dict[tuple[str, str | None, str | None], list[tuple[Card, str]]] = {}
    for card, identity in zip(deck.cards, extras.ids, strict=True):
        if card.cloze is None:
            groups.append([(card, identity)])
            continue
        key = (card.cloze, card.key, card.guid)
        if key not in by_cloze:
            by_cloze[key] = []
            groups.append(by_cloze[key])
        by_cloze[key].append((card, identity))
    return groups


def _note_guid(group: list[tuple[Card, str]], extras: ApkgExtras) -> str:
    card, identity = group[0]
    if card.cloze is not None:  # named by the entry, not by one of its gaps
        identity = identity.rsplit(" #c", 1)[0]
    return extras.guids.get(group[0][1]) or card.guid or note_guid("trainer", identity)


def _with_fields_of(record: NoteRecord, card: Card, count: int) -> NoteRecord:
    """The record with the fields it did not keep: a note whose fields were only its
    card's term and definition as plain text is recorded without them (see the
    importer), and they are the card's, each as Anki's field held it."""
    at_term, at_definition = record.term_field, record.definition_field
    if (
        card.cloze is not None
        or at_term is None
        or at_definition is None
        or at_term == at_definition
        or max(at_term, at_definition) >= count
    ):
        return record
    values = [""] * count
    values[at_term] = _as_field(card.term)
    values[at_definition] = _as_field(card.definition)
    return record._replace(fields=tuple(values))


def _as_field(text: str) -> str:
    """Text as an Anki field: as it is when Anki shows it unchanged, else as HTML."""
    return text if plain_field(text) == text else text_to_html(text)


def _note_for(
    deck: Deck,
    group: list[tuple[Card, str]],
    extras: ApkgExtras,
    models: dict[int, Any],
) -> tuple[Any, dict[int, tuple[str, Direction]]]:
    """A genanki note for one card (or cloze entry), and the trainer card and direction
    each of its template ordinals studies."""
    import genanki

    card, identity = group[0]
    tags = list(dict.fromkeys(tag.replace(" ", "_") for tag in (*card.tags, *deck.tags)))
    guid = _note_guid(group, extras)
    record = extras.records.get(guid)
    notetype = extras.notetypes.get(record.notetype_id or 0) if record else None
    if record and notetype and not record.fields:
        record = _with_fields_of(record, card, len(notetype.fields))
    if record and notetype and len(record.fields) == len(notetype.fields):
        model = models.get(notetype.id)
        if model is None:
            model = models[notetype.id] = genanki.Model(
                notetype.id,
                notetype.name,
                fields=[{"name": name} for name in notetype.fields],
                templates=[{"name": n, "qfmt": q, "afmt": a} for n, q, a in notetype.templates],
                css=notetype.css,
                model_type=genanki.Model.CLOZE if notetype.kind == 1 else genanki.Model.FRONT_BACK,
            )
        values = list(record.fields)
        if card_digest(card) != record.digest:
            edits = (
                ((record.term_field, card.cloze),)
                if card.cloze is not None
                else ((record.term_field, card.term), (record.definition_field, card.definition))
            )
            for at, text in edits:
                if at is not None and at < len(values) and html_to_text(values[at]).text != text:
                    values[at] = text_to_html(text or "")
        note = genanki.Note(model=model, fields=values, tags=tags, guid=guid)
        if notetype.kind == 1:
            return note, _cloze_ords(group)
        reverse = len(notetype.templates) >= 2
        ords = {0: (identity, Direction.FORWARD)}
        if reverse:
            ords[1] = (identity, Direction.REVERSE)
        return note, ords
    if card.cloze is not None:
        model_id = stable_anki_id("cloze model", deck.slug, "v1")
        model = models.get(model_id)
        if model is None:
            model = models[model_id] = genanki.Model(
                model_id,
                f"trainer cloze: {anki_deck_name(deck.name)}",
                fields=[{"name": "Text"}, {"name": "Back Extra"}],
                templates=[
                    {
                        "name": "Cloze",
                        "qfmt": "{{cloze:Text}}",
                        "afmt": "{{cloze:Text}}<br>{{Back Extra}}",
                    }
                ],
                css=MODEL_CSS,
                model_type=genanki.Model.CLOZE,
            )
        values = [text_to_html(card.cloze), text_to_html(card.example or "")]
        note = genanki.Note(model=model, fields=values, tags=tags, guid=guid)
        return note, _cloze_ords(group)
    model_id = stable_anki_id("model", deck.slug, "v2")
    model = models.get(model_id)
    if model is None:
        model = models[model_id] = genanki.Model(
            model_id,
            f"trainer: {anki_deck_name(deck.name)}",
            fields=[{"name": name} for name in TRAINER_FIELDS],
            templates=[{"name": n, "qfmt": q, "afmt": a} for n, q, a in TRAINER_TEMPLATES],
            css=MODEL_CSS,
        )
    values = [
        text_to_html(card.term),
        text_to_html(card.definition),
        text_to_html(card.example or ""),
        text_to_html("; ".join(card.aliases)),
        "y" if Direction.FORWARD in (card.directions or deck.directions) else "",
        "y" if Direction.REVERSE in (card.directions or deck.directions) else "",
    ]
    note = genanki.Note(model=model, fields=values, tags=tags, guid=guid)
    return note, {0: (identity, Direction.FORWARD), 1: (identity, Direction.REVERSE)}


def _cloze_ords(group: list[tuple[Card, str]]) -> dict[int, tuple[str, Direction]]:
    """Anki's card for gap N is template ordinal N - 1; trainer studies a gap forward."""
    return {(card.cloze_number or 1) - 1: (identity, Direction.FORWARD) for card, identity in group}


def _note_mod(
    deck: Deck, group: list[tuple[Card, str]], guid: str, extras: ApkgExtras, fallback: float
) -> int:
    """A note's modification time: Anki's own for a note trainer has not changed
    since its import (its card as imported, no tag of the deck's added), so Anki
    keeps its copy, edits made there since included; else its cards' last change."""
    record = extras.records.get(guid)
    card = group[0][0]
    if (
        record is not None
        and record.mod > 0
        and (record.notetype_id or 0) in extras.notetypes  # goes back as its own note
        and card_digest(card) == record.digest
        and set(deck.tags) <= set(card.tags)
    ):
        return record.mod
    return max(_mod_time(identity, extras, fallback) for _, identity in group)


def _mod_time(identity: str, extras: ApkgExtras, fallback: float) -> int:
    """A note's modification time: its card's last change, or the deck's directions'."""
    times = [t for t in (extras.changed.get(identity), extras.deck_changed) if t is not None]
    return int(max(times).timestamp()) if times else int(fallback)


def _add_schedules(
    conn: sqlite3.Connection,
    notes: Mapping[str, tuple[int, dict[int, tuple[str, Direction]]]],
    extras: ApkgExtras,
) -> None:
    """Note times, each scheduled card's state and the review log, onto genanki's collection.

    Anki counts a review card's due day from the collection's creation day, and
    shifts it on import by how far the two collections' days differ; the
    creation time is put at the start of a study day before every date used,
    so every due day is a positive count of days.
    """
    rows = conn.execute(
        "SELECT n.guid, c.id, c.ord FROM cards c JOIN notes n ON n.id = c.nid"
    ).fetchall()
    for guid, (mod, _ords) in notes.items():
        conn.execute("UPDATE notes SET mod = ? WHERE guid = ?", [mod, guid])
    if extras.today is None or extras.day_start is None:
        return
    dates = [state.due for state in extras.states.values() if state.due]
    dates += [review.day for review in extras.reviews]
    first = min([extras.today, *dates]) - dt.timedelta(days=1)
    created = extras.day_start - dt.timedelta(days=(extras.today - first).days)
    conf = json.loads(conn.execute("SELECT conf FROM col").fetchone()[0])
    conf["schedVer"] = 2  # else Anki reads the log's learning answers with v1's three buttons
    conn.execute("UPDATE col SET crt = ?, conf = ?", [int(created.timestamp()), json.dumps(conf)])
    scheduling = {}
    for review in extras.reviews:
        if review.mode in SCHEDULING_MODES:
            key = (review.card_id, str(review.direction))
            scheduling[key] = scheduling.get(key, 0) + 1
    anki_card: dict[tuple[str, str], int] = {}
    for guid, card, ord_ in rows:
        studied = notes[guid][1].get(ord_)
        if studied is None:
            continue
        identity, direction = studied
        key = (identity, str(direction))
        anki_card[key] = card
        state = extras.states.get(key)
        if state is None or state.due is None:
            continue
        conn.execute(
            """UPDATE cards SET type = 2, queue = 2, due = ?, ivl = ?, factor = ?, reps = ?,
                   lapses = ? WHERE id = ?""",
            [
                (state.due - first).days,
                max(state.interval, 1),
                round(state.easiness * 1000),
                scheduling.get(key, state.repetitions),
                state.lapses,
                card,
            ],
        )
    _add_revlog(conn, extras.reviews, anki_card)


def _add_revlog(
    conn: sqlite3.Connection,
    reviews: Sequence[ReviewRecord],
    anki_card: Mapping[tuple[str, str], int],
) -> None:
    """trainer's answers as Anki review log rows: ids are answer times in milliseconds."""
    used: set[int] = set()
    rows = []
    for review in reviews:
        card = anki_card.get((review.card_id, str(review.direction)))
        if card is None:
            continue
        stamp = int(review.answered_at.timestamp() * 1000)
        while stamp in used:
            stamp += 1
        used.add(stamp)
        if review.mode not in SCHEDULING_MODES:
            kind = 3  # a drill moves nothing, like Anki's cramming
        elif review.before.repetitions == 0 and review.before.interval == 0:
            kind = 0
        else:
            kind = 1
        rows.append(
            (
                stamp,
                card,
                -1,
                GRADE_TO_EASE.get(review.grade, 1),
                review.after.interval,
                review.before.interval,
                round(review.after.easiness * 1000),
                min(review.response_ms or 0, 60_000),
                kind,
            )
        )
    conn.executemany(
        "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
