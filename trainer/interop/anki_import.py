"""Turning an Anki package into YAML decks and, on request, review history.

Notes become cards: by default the first field is the term and the second the
definition (``--fields`` picks others, by 1-based position or by field name);
fields named ``Example`` and ``Aliases`` fill those card keys when present (the
packages ``trainer export`` writes have them). HTML becomes plain text
(``trainer.interop.html``); media is not copied but reported. Each Anki deck
becomes one deck file; ``Parent::Child`` reads "Parent / Child" with the slug
``parent-child`` (and a deck trainer exported comes back as itself). Every
card keeps its note's GUID (``guid:``), so exports update the same notes. A
deck studies the directions most of its notes have cards for (the second
template of a non-cloze note type, as in "Basic (and reversed card)", is the
reverse card); a card whose note has other cards keeps them as its own
``directions``, so trainer studies exactly Anki's cards. Cloze notes become
``cloze:`` entries, one card per gap number.

Importing into a deck file that holds notes of an earlier import merges (see
``_merge``); each note's imported version is recorded in the database.

History (``--with-history``) maps Anki's answer buttons onto SM-2 grades:

    Again (1) → 1    wrong, familiar once seen
    Hard  (2) → 3    right with serious difficulty
    Good  (3) → 4    right after hesitation
    Easy  (4) → 5    perfect

Rows without a button (manual reschedules, ease 0) are skipped. The card's
first template is the forward direction, the second the reverse one (cloze
cards are all forward). Anki's learning steps answer a card several times a
day; here only the first answer of a study day moves SM-2, so later answers the
same day are logged as ``drill``, exactly as the trainer logs its own same-day
re-asks. Study days use the trainer's time zone and rollover hour. Each review
id is a UUID derived from the note's GUID, the card's template and the revlog
id, so importing the same package twice adds nothing; the states of the
cards given answers are then replayed, and a card whose last answer came from
Anki gets Anki's due day, interval and ease, kept in ``anki_schedules`` so that
every later replay of the log puts them back.

Everything is read and checked before anything is written: a package that
cannot be read, or deck files that exist and differ (without ``overwrite``),
leave the database and the decks folder untouched. The decks' cards, the notes'
records and the history are then written in one transaction, and the deck files
put back if it fails.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.app.files import BackgroundWrite, restored_on_failure, shown, write_file
from trainer.core import cloze
from trainer.core.clock import study_day
from trainer.core.model import (
    SCHEDULING_MODES,
    Card,
    Deck,
    Direction,
    Mode,
    ReviewRecord,
    normalize_term,
    slugify,
)
from trainer.core.sm2 import SM2State
from trainer.core.text import excerpt, one_line
from trainer.interop.anki import (
    AnkiCard,
    AnkiCollection,
    AnkiNote,
    Limits,
    Notetype,
    read_package,
)
from trainer.interop.anki_notes import (
    anki_deck_name,
    bare_card_digest,
    card_digest,
    note_guid,
    trainer_deck_name,
)
from trainer.interop.html import html_to_text, plain_field
from trainer.storage.anki_records import (
    NoteRecord,
    NotetypeRecord,
    last_answers,
    note_records,
    save_note_records,
    save_notetypes,
    store_anki_schedules,
)
from trainer.storage.store import BULK_SYNC_ROWS

if TYPE_CHECKING:
    from trainer.app.trainer import Trainer

__all__ = [
    "EASE_TO_GRADE",
    "PackageImportOutcome",
    "import_package",
    "parse_fields",
]


#: Anki's answer buttons onto SM-2 grades (documented in the module docstring and the help).
EASE_TO_GRADE = {1: 1, 2: 3, 3: 4, 4: 5}

#: Namespace of the review ids derived from Anki revlog rows.
REVLOG_NAMESPACE = uuid.UUID("5d0c5c3e-8f3b-4a61-9d0e-2b7a4f1f6a11")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: revlog ids are answer times in epoch milliseconds; past the year 9000 a row is garbage
MAX_REVLOG_ID = int((dt.datetime(9000, 1, 1, tzinfo=dt.UTC) - EPOCH).total_seconds() * 1000)
MAX_LISTED = 20
#: Anki's note type kind for cloze notes
CLOZE_KIND = 1
#: a cloze gap is studied forward only, whatever its deck's directions
CLOZE_DIRECTIONS = (Direction.FORWARD,)

FieldRef = int | str
FieldChoice = tuple[FieldRef, FieldRef]


def _excerpt(text: str) -> str:
    """A field's text shortened for a one-line message."""
    return excerpt(text, 40)


def parse_fields(text: str) -> FieldChoice:
    """``"1,2"`` or ``"Front,Back"``: the term and definition fields (1-based or by name)."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"expected TERM,DEFINITION such as 1,2 or Front,Back; got {text!r}")
    refs: list[FieldRef] = []
    for part in parts:
        if part.isdigit():
            if int(part) < 1:
                raise ValueError(f"field numbers start at 1; got {text!r}")
            refs.append(int(part))
        else:
            refs.append(part)
    if refs[0] == refs[1]:
        raise ValueError(f"term and definition must be different fields; got {text!r}")
    return refs[0], refs[1]


@dataclass(frozen=True)
class ImportedDeck:
    slug: str
    name: str
    anki_name: str
    path: Path
    cards: int
    written: bool


@dataclass(frozen=True)
class PackageImportOutcome:
    member: str
    decks: tuple[ImportedDeck, ...]
    reviews_added: int = 0
    reviews_present: int = 0
    reviews_skipped: int = 0
    messages: tuple[str, ...] = ()

    def summary(self) -> list[str]:
        lines = []
        for deck in self.decks:
            verb = "wrote" if deck.written else "unchanged"
            lines.append(f"{verb} {deck.path} ({deck.cards} cards) as deck {deck.slug!r}")
        if self.reviews_added or self.reviews_present or self.reviews_skipped:
            lines.append(
                f"history: {self.reviews_added} reviews added, {self.reviews_present} already "
                f"present, {self.reviews_skipped} skipped"
            )
        return lines


# ------------------------------------------------------------------ planning


@dataclass
class _Mapped:
    """Where an Anki card's history goes: a trainer card and a direction."""

    card_id: str
    direction: Direction
    guid: str
    ord: int
    card: AnkiCard | None = None
    cloze: bool = False


@dataclass
class _DeckPlan:
    anki_name: str
    name: str
    slug: str = ""
    cards: list[Card] = field(default_factory=list)
    #: normalized terms already taken, for duplicate detection
    terms: set[str] = field(default_factory=set)
    #: per card, the directions its note has cards for (None for cloze cards)
    note_directions: list[tuple[Direction, ...] | None] = field(default_factory=list)
    #: the last imported version of each note, by GUID; until the deck is placed,
    #: its card_id holds the identity of the card it became (see ``_placed``)
    records: dict[str, NoteRecord] = field(default_factory=dict)


@dataclass
class _Plan:
    decks: list[_DeckPlan]
    mapped: dict[int, _Mapped]
    messages: list[str]
    #: GUIDs of notes with trainer's fields, which may be derived from their card's identity
    derivable: set[str] = field(default_factory=set)


def _field_index(notetype: Notetype, ref: FieldRef) -> int | None:
    if isinstance(ref, int):
        return ref - 1 if ref <= len(notetype.fields) else None
    wanted = ref.casefold()
    return next((i for i, name in enumerate(notetype.fields) if name.casefold() == wanted), None)


@functools.cache
def _directions_of(templates: int, ords: tuple[int, ...]) -> tuple[Direction, ...]:
    """The directions of the cards a note has (template ordinals ``ords``): its second
    template is the reverse card."""
    reverse = 1 in ords and templates >= 2
    forward = any(ord_ != 1 for ord_ in ords) or not reverse
    return tuple(
        direction
        for direction, present in ((Direction.FORWARD, forward), (Direction.REVERSE, reverse))
        if present
    )


def _deck_for(
    decks: dict[str, _DeckPlan],
    anki_deck: str,
    deck_name: str | None,
    known: Mapping[str, tuple[str, str]],
) -> _DeckPlan:
    """The planned trainer deck for a note in ``anki_deck`` (``deck_name`` gathers all)."""
    plan_name = deck_name or anki_deck
    deck = decks.get(plan_name)
    if deck is None:
        slug, name = known.get(anki_deck, ("", deck_name or _readable(anki_deck)))
        deck = decks[plan_name] = _DeckPlan(
            anki_name=anki_deck, name=deck_name or name, slug="" if deck_name else slug
        )
    return deck


def _plan_cloze(
    deck: _DeckPlan,
    note: AnkiNote,
    notetype: Notetype,
    messages: list[str],
    media: list[str],
    source: str,
) -> dict[int, str]:
    """A Cloze note as a cloze entry (one card per gap number); its identities by number.

    The text is the field named Text (else the first), the extra shown with the
    answer the field named Back Extra (else the second).
    """
    names = [name.casefold() for name in notetype.fields]
    text_at = names.index("text") if "text" in names else 0
    extra_at = names.index("back extra") if "back extra" in names else 1
    values = list(note.fields) + [""] * (len(notetype.fields) - len(note.fields))
    text = html_to_text(values[text_at]) if text_at < len(values) else html_to_text("")
    extra = html_to_text(values[extra_at]) if extra_at < len(values) else html_to_text("")
    where = f"{source}: {deck.name}"
    for name in (*text.media, *extra.media):
        media.append(f"{where}: note {note.id}: media not imported: {name}")
    numbers = cloze.numbers(text.text)
    if not numbers:
        shown = _excerpt(text.text or "(empty)")
        messages.append(f"{where}: cloze note {note.id} has no gap ({shown}); skipped")
        return {}
    cards = [
        Card(
            term=cloze.question(text.text, number),
            definition=cloze.reveal(text.text, number),
            tags=tuple(dict.fromkeys(note.tags)),
            example=extra.text or None,
            guid=note.guid,
            cloze=text.text,
            cloze_number=number,
            directions=CLOZE_DIRECTIONS,  # as a deck file's gap reads: never its deck's
        )
        for number in numbers
    ]
    keys = [normalize_term(card.term) for card in cards] + [card.identity for card in cards]
    if any(key in deck.terms for key in keys):
        messages.append(
            f"{where}: duplicate cloze {_excerpt(cloze.strip(text.text))!r} (note {note.id}); "
            "the first note is kept"
        )
        return {}
    deck.terms.update(keys)
    deck.cards.extend(cards)
    deck.note_directions.extend([None] * len(cards))  # a gap is studied forward
    deck.records[note.guid] = NoteRecord(
        guid=note.guid,
        deck="",
        card_id=cards[-1].identity,  # placed as the deck's card id once its slug is known
        digest=card_digest(cards[0]),
        notetype_id=notetype.id,
        fields=tuple(values),
        term_field=text_at,
        definition_field=None,
        ords=tuple(number - 1 for number in numbers),
        mod=note.mod,
    )
    return {card.cloze_number or 0: card.identity for card in cards}


def _layout(
    notetype: Notetype, fields: FieldChoice
) -> tuple[int | None, int | None, int | None, int | None]:
    """Where a note type keeps the term, the definition, ``Example`` and ``Aliases``."""
    term_at, definition_at = (_field_index(notetype, ref) for ref in fields)
    named = {
        name.casefold(): i
        for i, name in enumerate(notetype.fields)
        if i not in (term_at, definition_at)
    }
    return term_at, definition_at, named.get("example"), named.get("aliases")


def _readable(anki_name: str) -> str:
    return trainer_deck_name(anki_name)


def _cards_by_note(cards: Sequence[AnkiCard]) -> dict[int, list[tuple[int, int, int]]]:
    """Each note's cards as (template ordinal, deck id, card id)."""
    by_note: dict[int, list[tuple[int, int, int]]] = {}
    for card_id, note_id, deck_id, ord_, *_ in cards:
        found = by_note.get(note_id)
        if found is None:
            by_note[note_id] = [(ord_, deck_id, card_id)]
        else:
            found.append((ord_, deck_id, card_id))
    return by_note


def _plan_basic(
    deck: _DeckPlan,
    note: AnkiNote,
    notetype: Notetype,
    layout: tuple[int | None, ...],
    note_cards: Sequence[tuple[int, int, int]],
    messages: list[str],
    media: list[str],
    source: str,
) -> str | None:
    """A standard note as one card of ``deck``; its identity, or None when it is skipped."""
    term_at, definition_at, example_at, aliases_at = layout
    assert term_at is not None and definition_at is not None
    values = note.fields
    if len(values) < len(notetype.fields):
        values = (*values, *[""] * (len(notetype.fields) - len(values)))
    # most fields are plain text: no parser, and a plain term is already on one line
    term = plain_field(values[term_at])
    definition = plain_field(values[definition_at])
    if term is None or definition is None:
        term_text = html_to_text(values[term_at])
        definition_text = html_to_text(values[definition_at])
        term, definition = one_line(term_text.text), definition_text.text
        for name in (*term_text.media, *definition_text.media):
            media.append(
                f"{source}: {deck.name}: {term or '(no term)'!r}: media not imported: {name}"
            )
    if not term or not definition:
        missing = "term" if not term else "definition"
        shown = excerpt(definition or term or "(empty)", 40)
        messages.append(
            f"{source}: {deck.name}: note {note.id} has no {missing} ({shown}); skipped"
        )
        return None
    # a term on one line: for ASCII, normalizing is then lowering
    key = term.lower() if term.isascii() else normalize_term(term)
    if key in deck.terms:
        messages.append(
            f"{source}: {deck.name}: duplicate term {term!r} (note {note.id}); "
            "the first note is kept"
        )
        return None
    deck.terms.add(key)
    guid, tags = note.guid, note.tags
    if example_at is None and aliases_at is None and not tags:  # most notes of a large deck
        card = Card.plain(term, definition, (), (), key, guid=guid)
        digest = bare_card_digest(term, definition)
    else:
        card = _full_card(term, definition, key, values, example_at, aliases_at, tags, guid)
        digest = card_digest(card)
    deck.cards.append(card)
    ords = (note_cards[0][0],) if len(note_cards) == 1 else tuple(o for o, _, _ in note_cards)
    deck.note_directions.append(_directions_of(notetype.templates, ords))
    # a note that is just this card's term and definition keeps no copy of its
    # fields: export rebuilds them from the card (a third of the notes' bytes)
    kept = (
        ()
        if term is values[term_at]
        and definition is values[definition_at]
        and sum(map(len, values)) == len(term) + len(definition)
        else values
    )
    deck.records[guid] = _NEW_TUPLE(
        NoteRecord,
        (guid, "", key, digest, notetype.id, kept, term_at, definition_at, ords, note.mod),
    )
    return key


def _full_card(
    term: str,
    definition: str,
    key: str,
    values: Sequence[str],
    example_at: int | None,
    aliases_at: int | None,
    tags: Sequence[str],
    guid: str,
) -> Card:
    """The card of a note with tags, or whose note type has Example or Aliases fields."""
    example_field = values[example_at] if example_at is not None else ""
    example = html_to_text(example_field).text or None if example_field else None
    aliases_field = values[aliases_at] if aliases_at is not None else ""
    aliases = (
        tuple(
            alias
            for part in html_to_text(aliases_field).text.replace("\n", ";").split(";")
            if (alias := part.strip()) and normalize_term(alias) != key
        )
        if aliases_field
        else ()
    )
    return _basic_card(
        term,
        definition,
        tuple(dict.fromkeys(aliases)) if aliases else (),
        tuple(dict.fromkeys(tags)) if tags else (),
        example,
        guid,
        key,
    )


_NEW_TUPLE = tuple.__new__
_NEW_OBJECT = object.__new__


def _basic_card(
    term: str,
    definition: str,
    aliases: tuple[str, ...],
    tags: tuple[str, ...],
    example: str | None,
    guid: str,
    identity: str,
) -> Card:
    """The card ``Card(term, definition, aliases, tags, example, guid=guid)`` with its
    identity already known (the importer has just normalized the term), built as
    ``Card.plain`` builds one: the frozen dataclass's ``__init__`` was a tenth of
    planning a 100k-note import. A test checks the result equals the one ``Card``
    builds."""
    return Card.plain(term, definition, aliases, tags, identity, example=example, guid=guid)


def _plan(
    collection: AnkiCollection,
    fields: FieldChoice,
    deck_name: str | None,
    source: str,
    known: Mapping[str, tuple[str, str]] | None = None,
    *,
    targets: bool = True,
) -> _Plan:
    """Cards, decks and history targets for a collection.

    ``known`` maps Anki deck names to the (slug, name) of trainer decks that
    export to them, so a deck that went trainer → Anki → trainer comes back as
    itself. Without ``targets`` the history targets (one object per Anki card,
    only an import with history reads them) are left out.
    """
    known = known or {}
    messages: list[str] = []
    cards_by_note = _cards_by_note(collection.cards)
    decks: dict[str, _DeckPlan] = {}
    unusable: dict[str, int] = {}
    media: list[str] = []
    pending: list[tuple[_DeckPlan, AnkiNote, Notetype, str | dict[int, str]]] = []
    derivable: set[str] = set()
    notetypes, deck_names = collection.notetypes, collection.decks
    layouts = {notetype.id: _layout(notetype, fields) for notetype in notetypes.values()}
    trainer_shaped = {
        notetype.id
        for notetype in notetypes.values()
        if notetype.fields[:2] == ("Term", "Definition")
    }
    for note in collection.notes:
        notetype = notetypes.get(note.notetype_id)
        note_cards = cards_by_note.get(note.id)
        if notetype is None or not note_cards:
            reason = "unknown note type" if notetype is None else "no cards"
            unusable[reason] = unusable.get(reason, 0) + 1
            continue
        if len(note_cards) > 1:
            note_cards.sort()
        if notetype.kind == CLOZE_KIND:
            anki_deck = deck_names.get(note_cards[0][1], "Default")
            deck = _deck_for(decks, anki_deck, deck_name, known)
            keys = _plan_cloze(deck, note, notetype, messages, media, source)
            if keys:
                pending.append((deck, note, notetype, keys))
            continue
        layout = layouts[notetype.id]
        if layout[0] is None or layout[1] is None:
            wanted = ",".join(str(ref) for ref in fields)
            reason = f"note type {notetype.name!r} has no fields {wanted}"
            unusable[reason] = unusable.get(reason, 0) + 1
            continue
        anki_deck = deck_names.get(note_cards[0][1], "Default")
        deck = decks.get(deck_name or anki_deck) or _deck_for(decks, anki_deck, deck_name, known)
        key = _plan_basic(deck, note, notetype, layout, note_cards, messages, media, source)
        if key is not None:
            pending.append((deck, note, notetype, key))
            if notetype.id in trainer_shaped:
                derivable.add(note.guid)  # possibly a trainer export's: its GUID may be derived
    for reason, count in unusable.items():
        messages.append(f"{source}: {count} notes skipped: {reason}")
    if len(media) > MAX_LISTED:
        media = [*media[:MAX_LISTED], f"{source}: … and {len(media) - MAX_LISTED} more media files"]
    messages.extend(media)

    used: set[str] = {deck.slug for deck in decks.values() if deck.slug}
    for deck in decks.values():
        if deck.slug:
            continue
        base = slugify(deck.name)
        slug, counter = base, 2
        while slug in used:
            slug, counter = f"{base}-{counter}", counter + 1
        used.add(slug)
        deck.slug = slug
    mapped = _targets(pending, cards_by_note, collection) if targets else {}
    kept = [deck for deck in decks.values() if deck.cards]
    return _Plan(kept, mapped, messages, derivable)


def _targets(
    pending: Sequence[tuple[_DeckPlan, AnkiNote, Notetype, str | dict[int, str]]],
    cards_by_note: Mapping[int, Sequence[tuple[int, int, int]]],
    collection: AnkiCollection,
) -> dict[int, _Mapped]:
    """Where each Anki card's history goes, by Anki card id."""
    anki_cards = {card.id: card for card in collection.cards}
    mapped: dict[int, _Mapped] = {}
    for deck, note, notetype, key in pending:
        if isinstance(key, dict):  # a cloze note: template ordinal N studies gap N + 1
            for ord_, _deck_id, anki_card in cards_by_note[note.id]:
                if ord_ + 1 in key:
                    mapped[anki_card] = _Mapped(
                        f"{deck.slug}/{key[ord_ + 1]}",
                        Direction.FORWARD,
                        note.guid,
                        ord_,
                        anki_cards[anki_card],
                        cloze=True,
                    )
            continue
        card = f"{deck.slug}/{key}"
        for ord_, _deck_id, anki_card in cards_by_note[note.id]:
            reverse = ord_ == 1 and notetype.templates >= 2 and notetype.kind != CLOZE_KIND
            direction = Direction.REVERSE if reverse else Direction.FORWARD
            mapped[anki_card] = _Mapped(card, direction, note.guid, ord_, anki_cards[anki_card])
    return mapped


def _deck_of(plan: _DeckPlan, source_name: str) -> Deck:
    """The deck studies the directions most of its notes have cards for; a card whose
    note has other cards keeps them as its own ``directions``, so trainer studies
    exactly the cards Anki had."""
    sets = Counter(own for own in plan.note_directions if own is not None)
    directions = sets.most_common(1)[0][0] if sets else (Direction.FORWARD,)
    origin = f"Imported by trainer from {source_name} (Anki deck {plan.anki_name!r})."
    return Deck(
        slug=plan.slug,
        name=plan.name,
        cards=tuple(
            card if own is None or own == directions else replace(card, directions=own)
            for card, own in zip(plan.cards, plan.note_directions, strict=True)
        ),
        source=origin,
        directions=directions,
    )


# ------------------------------------------------------------------- history


def review_id(guid: str, ord_: int, revlog_id: int) -> str:
    """The trainer review id of one Anki revlog row: stable across imports."""
    return uuid.uuid5(REVLOG_NAMESPACE, f"anki-revlog:{guid}:{ord_}:{revlog_id}").hex


@dataclass(frozen=True)
class _Answer:
    id: str
    card_id: str
    direction: Direction
    answered_at: dt.datetime
    grade: int
    response_ms: int | None


def _answers(collection: AnkiCollection, mapped: dict[int, _Mapped]) -> tuple[list[_Answer], int]:
    answers: list[_Answer] = []
    skipped = 0
    for row in collection.revlog:
        target = mapped.get(row.card_id)
        grade = EASE_TO_GRADE.get(row.ease)
        if target is None or grade is None or not 0 < row.id < MAX_REVLOG_ID:
            skipped += 1
            continue
        answers.append(
            _Answer(
                id=review_id(target.guid, target.ord, row.id),
                card_id=target.card_id,
                direction=target.direction,
                answered_at=EPOCH + dt.timedelta(milliseconds=row.id),
                grade=grade,
                response_ms=row.time_ms if row.time_ms > 0 else None,
            )
        )
    return answers, skipped


def _new_records(trainer: Trainer, answers: Sequence[_Answer]) -> list[ReviewRecord]:
    """Review records for answers not yet logged, with modes and states from a replay."""
    store = trainer.store
    present = store.present_review_ids([answer.id for answer in answers])
    fresh = [answer for answer in answers if answer.id not in present]
    if not fresh:
        return []
    keys = {(answer.card_id, answer.direction) for answer in fresh}
    timeline: list[tuple[dt.datetime, int, object]] = [
        (record.answered_at, 0, record)
        for record in store.all_reviews()
        if (record.card_id, record.direction) in keys
    ]
    timeline += [(answer.answered_at, 1, answer) for answer in fresh]
    timeline.sort(key=lambda item: (item[0], item[1]))
    rollover = trainer.settings.rollover_hour
    scheduler = trainer.scheduler
    states: dict[tuple[str, Direction], SM2State] = {}
    scheduled_on: dict[tuple[str, Direction], dt.date] = {}
    records: list[ReviewRecord] = []
    for _, _, item in timeline:
        if isinstance(item, ReviewRecord):
            key = (item.card_id, item.direction)
            if item.mode in SCHEDULING_MODES:
                known = states.get(key, scheduler.new_state())
                states[key] = scheduler.review(known, item.grade, item.day)
                scheduled_on[key] = item.day
            continue
        assert isinstance(item, _Answer)
        key = (item.card_id, item.direction)
        day = study_day(item.answered_at, trainer.tz, rollover)
        before = states.get(key, scheduler.new_state())
        if scheduled_on.get(key) == day:
            mode, after = Mode.DRILL, before
        else:
            mode, after = Mode.STUDY, scheduler.review(before, item.grade, day)
            states[key] = after
            scheduled_on[key] = day
        records.append(
            ReviewRecord(
                id=item.id,
                card_id=item.card_id,
                direction=item.direction,
                answered_at=item.answered_at,
                day=day,
                grade=item.grade,
                mode=mode,
                response_ms=item.response_ms,
                before=before,
                after=after,
            )
        )
    return records


# -------------------------------------------------------------------- import


def import_package(
    trainer: Trainer,
    path: Path,
    *,
    fields: FieldChoice | str | None = None,
    with_history: bool = False,
    out_dir: Path | None = None,
    overwrite: bool = False,
    deck_name: str | None = None,
    limits: Limits | None = None,
) -> PackageImportOutcome:
    """Import an Anki package: one deck file per Anki deck, plus history on request.

    A deck file that already holds notes of an earlier import is merged with
    the package (see ``_merge``); ``overwrite`` replaces it instead. Python's
    cyclic collector is paused meanwhile: the import keeps every object it
    builds, so the collector would only re-scan them (a third of the time).
    """
    from trainer.interop.glossary import _collector_paused

    with _collector_paused():
        return _import_package(
            trainer,
            path,
            fields=fields,
            with_history=with_history,
            out_dir=out_dir,
            overwrite=overwrite,
            deck_name=deck_name,
            limits=limits,
        )


def _import_package(
    trainer: Trainer,
    path: Path,
    *,
    fields: FieldChoice | str | None,
    with_history: bool,
    out_dir: Path | None,
    overwrite: bool,
    deck_name: str | None,
    limits: Limits | None,
) -> PackageImportOutcome:
    from trainer.app.deckfile import deck_to_data, dump_deck_fast, dump_imported_deck
    from trainer.app.trainer import UserError
    from trainer.core.deck import DeckError, deck_from_data
    from trainer.interop.anki import DEFAULT_LIMITS, PackageError

    source = shown(path)
    if isinstance(fields, str):
        try:
            fields = parse_fields(fields)
        except ValueError as error:
            raise UserError(f"--fields: {error}") from None
    try:
        collection = read_package(path, limits or DEFAULT_LIMITS, with_history=with_history)
    except PackageError as error:
        raise UserError(f"{source}: {error}") from None
    known = {anki_deck_name(row.name): (row.slug, row.name) for row in trainer.decks()}
    plan = _plan(collection, fields or (1, 2), deck_name, source, known, targets=with_history)
    if not plan.decks:
        raise UserError(f"{source}: no note has a usable term and definition; nothing imported")
    folder = out_dir or trainer.user_decks
    known_paths = {row.slug: row.path for row in trainer.decks() if row.path}
    writes: list[tuple[Path, str, Deck, bool]] = []
    records: list[NoteRecord] = []
    for deck_plan in plan.decks:
        deck = _deck_of(deck_plan, path.name)
        existing_path = known_paths.get(deck.slug) if out_dir is None else None
        if existing_path and _is_bundled(Path(existing_path)):
            existing_path = None  # a bundled deck is overridden by a user deck, never written
        default_target = Path(os.path.abspath(folder / f"{deck.slug}.yaml"))
        target = Path(existing_path) if existing_path else default_target
        unchanged = merged = False
        if (target.exists() or target.is_symlink()) and not overwrite:
            existing = _merge(trainer, target, deck, deck_plan, plan.messages)
            if existing is None:
                raise UserError(f"{shown(target)}: already exists (use --force to replace it)")
            deck, merged = existing, True
        elif not overwrite:
            _refuse_taken_slug(trainer, deck.slug, deck.name, target)
        deck = _without_derived_guids(deck, plan.derivable)
        if merged:  # a hand-edited deck joined the package's cards: check what sync reads back
            data = deck_to_data(deck)
            try:
                deck = replace(deck_from_data(data, deck.slug, shown(target)), source=deck.source)
            except DeckError as error:
                raise UserError(f"{source}: cannot make a deck of it: {error}") from None
            text = dump_deck_fast(data)
        elif len(deck.cards) >= BULK_SYNC_ROWS and not (target.exists() or target.is_symlink()):
            # a large new deck file: made and written beside the database work
            writes.append((target, None, deck, True))
            records += _placed(deck, deck_plan.records, merged)
            continue
        else:  # the same text, written from the cards with no mapping per card
            text = dump_imported_deck(deck, ())
        _check_size(len(text.encode("utf-8")), source, deck)
        if target.exists():
            unchanged = _same_text(target, text)
        writes.append((target, text, deck, not unchanged))
        records += _placed(deck, deck_plan.records, merged)
    _retarget(plan, records)
    answers: list[_Answer] = []
    skipped = 0
    if with_history:
        answers, skipped = _answers(collection, plan.mapped)

    imported = []
    store = trainer.store
    added = 0
    # one transaction: the decks' cards, the notes' records and the history are
    # written together (one commit, and a failure anywhere leaves none of them);
    # large new decks through a rollback journal, so their pages are written once
    new_cards = sum(
        len(deck.cards) for _t, _x, deck, _w in writes if not store.has_cards(deck.slug)
    )
    with (
        restored_on_failure(target for target, _text, _deck, changed in writes if changed),
        store.written_once() if new_cards >= BULK_SYNC_ROWS else nullcontext(),
        store.write(),
        ExitStack() as background,
    ):
        if any(text is None for _target, text, _deck, _changed in writes):
            trainer.settle_deck_copies()  # no copy thread may run beside a fork
        being_written = {
            target: background.enter_context(
                BackgroundWrite.start(
                    target,
                    partial(_deck_bytes, deck, source),
                    trainer.keep_deck_copy(target),
                )
            )
            for target, text, deck, _changed in writes
            if text is None
        }
        for target, text, _deck, changed in writes:
            if changed and text is not None:
                write_file(target, text)
        for target, text, deck, written in writes:
            if target in being_written:
                trainer.sync_deck_being_written(being_written[target], deck)
            else:  # the deck just built and its text: no read or parse back
                trainer.sync_deck_file(target, deck, written=text)
            imported.append(
                ImportedDeck(
                    deck.slug,
                    deck.name,
                    _anki_name(plan, deck.slug),
                    target,
                    len(deck.cards),
                    written,
                )
            )
        save_note_records(store.conn, records, trainer.now())
        save_notetypes(store.conn, _notetype_records(collection, records))
        if with_history:
            new_records = _new_records(trainer, answers)
            for record in new_records:
                store.record_review(record)
            # only the cards given answers: a whole replay would give every card
            # trainer's schedule, the due dates an earlier import kept from Anki too
            trainer.replay_states_of({(r.card_id, r.direction) for r in new_records})
            added = len(new_records)
            _keep_anki_due_dates(trainer, collection, plan.mapped)
    return PackageImportOutcome(
        member=collection.member,
        decks=tuple(imported),
        reviews_added=added,
        reviews_present=len(answers) - added,
        reviews_skipped=skipped,
        messages=tuple(plan.messages),
    )


def _placed(deck: Deck, planned: Mapping[str, NoteRecord], merged: bool) -> list[NoteRecord]:
    """The planned records of the notes that became cards of ``deck``, each in the
    deck and card it became.

    A planned record holds its card's identity (a cloze note's last gap's, as
    the deck's last card of a GUID names a note). Unless the deck was merged,
    every planned note is a card of it under that identity; a merge may have
    skipped a note or kept a renamed card, so its cards are asked.
    """
    slug = deck.slug
    if not merged:
        return [
            _NEW_TUPLE(NoteRecord, (guid, slug, f"{slug}/{record[2]}", *record[3:]))
            for guid, record in planned.items()
        ]
    identities = {card.guid or _guid_of(card, slug): card.identity for card in deck.cards}
    placed = []
    for guid, record in planned.items():
        identity = identities.get(guid)
        if identity is not None:
            placed.append(_NEW_TUPLE(NoteRecord, (guid, slug, f"{slug}/{identity}", *record[3:])))
    return placed


def _same_text(path: Path, text: str) -> bool:
    """Whether a deck file already holds exactly this text."""
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def _retarget(plan: _Plan, records: Sequence[NoteRecord]) -> None:
    """Point history at the cards the notes became (a merge may keep a renamed card's id)."""
    card_of = {record.guid: record.card_id for record in records}
    for target in plan.mapped.values():
        if not target.cloze:
            target.card_id = card_of.get(target.guid, target.card_id)


def _merge(
    trainer: Trainer, target: Path, incoming: Deck, plan: _DeckPlan, messages: list[str]
) -> Deck | None:
    """The existing deck file updated with a newer package, or None if it is not an import.

    A note new to the deck is added. A note already there is updated when the
    trainer card is unchanged since the last import (its fingerprint is the
    recorded one); when both sides changed, the trainer's card is kept and the
    conflict listed. Cards the package lacks stay. Only a deck holding notes of
    an earlier import (cards with a ``guid``) is merged.
    """
    from trainer.app.deckfile import read_deck_file
    from trainer.core.deck import DeckError

    try:
        existing = read_deck_file(target, incoming.slug)
    except DeckError:
        return None
    slug = existing.slug
    # the deck's tags, which its export put on every note: not the cards' own
    deck_tags = {*existing.tags, *(tag.replace(" ", "_") for tag in existing.tags)}
    arriving: dict[str, list[Card]] = {}
    for card in incoming.cards:
        if card.guid:
            if deck_tags.intersection(card.tags):
                card = replace(card, tags=tuple(t for t in card.tags if t not in deck_tags))
            arriving.setdefault(card.guid, []).append(card)
    if deck_tags:  # the notes' recorded versions are of the cards as kept
        for guid, group in arriving.items():
            record = plan.records.get(guid)
            if record is not None:
                plan.records[guid] = record._replace(digest=card_digest(group[0]))
    groups: dict[str, list[Card]] = {}
    for card in existing.cards:
        groups.setdefault(_guid_of(card, slug), []).append(card)
    if not any(guid in arriving for guid in groups):
        return None
    recorded = note_records(trainer.store.conn, guids=plan.records)

    def rebase(card: Card) -> Card:
        """The deck keeps its directions; a card from the package keeps its note's cards."""
        return _rebased(card, incoming.directions, existing.directions)

    cards: list[Card] = []
    for guid, mine in groups.items():
        theirs = arriving.pop(guid, None)
        if theirs is None:
            cards.extend(mine)
            continue
        ours, new = card_digest(mine[0]), card_digest(theirs[0])
        last = recorded.get(guid)
        if ours == new or (last is not None and ours == last.digest):
            if len(mine) == 1 and len(theirs) == 1 and mine[0].cloze is None:
                cards.append(replace(rebase(theirs[0]), key=mine[0].key, line=mine[0].line))
            else:  # a cloze note: its cards come and go with its gaps
                cards.extend(map(rebase, theirs))
        else:
            cards.extend(mine)
            if last is None or new != last.digest:
                messages.append(
                    f"{target}: {mine[0].term!r} changed here and in Anki; kept this version "
                    f"(Anki's: {_excerpt(theirs[0].definition)!r})"
                )
    taken = {normalize_term(card.term) for card in cards} | {card.identity for card in cards}
    for guid, group in arriving.items():
        if any(normalize_term(c.term) in taken or c.identity in taken for c in group):
            messages.append(
                f"{target}: note {guid} ({group[0].term!r}) has the term of another card; skipped"
            )
            plan.records.pop(guid, None)
            continue
        cards.extend(map(rebase, group))
    return replace(existing, cards=tuple(cards))


def _rebased(card: Card, old: tuple[Direction, ...], new: tuple[Direction, ...]) -> Card:
    """A card moved from a deck studying ``old`` to one studying ``new``, same cards."""
    if card.cloze is not None:
        return card
    own = card.directions or old
    return replace(card, directions=None if own == new else own)


def _guid_of(card: Card, slug: str) -> str:
    """The note GUID a card exports as: Anki's own, or the one derived from its identity
    (a cloze gap's from its entry's, as ``trainer.interop.export`` names the note)."""
    if card.guid:
        return card.guid
    identity = card.id_in(slug)
    if card.cloze is not None:
        identity = identity.rsplit(" #c", 1)[0]
    return note_guid("trainer", identity)


def _without_derived_guids(deck: Deck, derivable: set[str]) -> Deck:
    """Deck files keep only GUIDs that cannot be derived (notes made in Anki)."""
    cards = [
        _without_guid(card)
        if card.guid in derivable and card.guid == note_guid("trainer", card.id_in(deck.slug))
        else card
        for card in deck.cards
    ]
    if all(new is old for new, old in zip(cards, deck.cards, strict=True)):
        return deck
    return replace(deck, cards=tuple(cards))


def _without_guid(card: Card) -> Card:
    """``replace(card, guid=None)``, keeping the identity the card already knows.

    A package trainer exported has a derivable GUID on every card: at 100k cards
    ``dataclasses.replace`` cost a second, and the copy it made normalized each
    term again when the deck was synced. A test checks the two are equal.
    """
    copy = _NEW_OBJECT(Card)
    fields = copy.__dict__
    fields.update(card.__dict__)
    fields["guid"] = None
    return copy


def _notetype_records(
    collection: AnkiCollection, records: Sequence[NoteRecord]
) -> list[NotetypeRecord]:
    wanted = {record.notetype_id for record in records}
    return [
        NotetypeRecord(
            id=notetype.id,
            name=notetype.name,
            kind=notetype.kind,
            fields=notetype.fields,
            templates=notetype.formats,
            css=notetype.css,
        )
        for notetype in collection.notetypes.values()
        if notetype.id in wanted and len(notetype.formats) == notetype.templates
    ]


def _keep_anki_due_dates(
    trainer: Trainer, collection: AnkiCollection, mapped: Mapping[int, _Mapped]
) -> None:
    """Give cards whose last answer came from Anki Anki's own due date and interval.

    The replay reschedules every imported answer with trainer's SM-2, which
    differs from Anki's (learning steps, Hard, fuzz); for a card last answered
    in Anki, Anki's date is what the user expects. A card answered in trainer
    since keeps trainer's schedule. Anki counts a review card's due day from
    its collection's creation day.
    """
    if not collection.crt:
        return
    store = trainer.store
    tz, rollover = trainer.tz, trainer.settings.rollover_hour
    created = study_day(EPOCH + dt.timedelta(seconds=collection.crt), tz, rollover)
    last_anki = _last_anki_answers(collection, mapped)
    latest_here = last_answers(store.conn, (target.card_id for target in mapped.values()))
    updates = []
    for anki_id, target in mapped.items():
        card = target.card
        if card is None or card.type not in (2, 3) or card.interval <= 0:
            continue
        answered = last_anki.get(anki_id)
        latest = latest_here.get((target.card_id, str(target.direction)))
        if answered is None or latest is None or latest > answered:
            continue
        due = created + dt.timedelta(days=card.due)
        easiness = max(1.3, card.factor / 1000) if card.factor else None
        updates.append(
            (target.card_id, str(target.direction), due, card.interval, easiness, answered)
        )
    store_anki_schedules(store.conn, updates)


def _last_anki_answers(
    collection: AnkiCollection, mapped: Mapping[int, _Mapped]
) -> dict[int, dt.datetime]:
    last: dict[int, dt.datetime] = {}
    for row in collection.revlog:
        if row.card_id in mapped and row.ease in EASE_TO_GRADE and row.id > 0:
            last[row.card_id] = EPOCH + dt.timedelta(milliseconds=row.id)
    return last


def _anki_name(plan: _Plan, slug: str) -> str:
    return next(deck.anki_name for deck in plan.decks if deck.slug == slug)


def _deck_bytes(deck: Deck, source: str) -> bytes:
    """The deck file of a new imported deck, refused as ``_check_size`` refuses one."""
    from trainer.app.deckfile import dump_imported_deck

    data = dump_imported_deck(deck, ()).encode("utf-8")
    _check_size(len(data), source, deck)
    return data


def _check_size(size: int, source: str, deck: Deck) -> None:
    """Refuse a deck of ``size`` bytes if larger than a deck file may be, before it is
    written: a file sync would refuse is a file every later command would warn about."""
    from trainer.app.files import MAX_DECK_BYTES
    from trainer.app.trainer import UserError

    if size > MAX_DECK_BYTES:
        raise UserError(
            f"{source}: deck {shown(deck.name)!r} would be a {size}-byte deck file "
            f"(the limit is {MAX_DECK_BYTES}); nothing imported"
        )


def _refuse_taken_slug(trainer: Trainer, slug: str, name: str, target: Path) -> None:
    """A new deck file whose name another deck (a bundled one, one imported
    elsewhere) already has would silently replace that deck: ``--force`` says so."""
    from trainer.app.trainer import UserError

    existing = trainer.store.deck_path(slug)
    if existing and Path(existing) != target and Path(existing).exists():
        raise UserError(
            f"{shown(target)}: would replace the deck {slug!r} from {shown(existing)} "
            "(use --force to replace it, or --deck to choose another name)"
        )
    trainer.refuse_name_clash(slug, name, target)


def _is_bundled(path: Path) -> bool:
    """Whether a deck file is one shipped with the program (never written by an import)."""
    from trainer.app import locations

    try:
        return path.resolve().parent == locations.bundled_decks_dir().resolve()
    except OSError:
        return False
