"""Turning an Anki package into YAML decks and, on request, review history.

Notes become cards: by default the first field is the term and the second the
definition (``--fields`` picks others, by 1-based position or by field name);
fields named ``Example`` and ``Aliases`` fill those card keys when present (the
packages ``trainer export`` writes have them). HTML becomes plain text
(``trainer.interop.html``); media is not copied but reported. Each Anki deck
becomes one deck file; ``Parent::Child`` reads "Parent / Child" with the slug
``parent-child``. A deck whose notes have reverse cards (the second template of
a non-cloze note type, as in "Basic (and reversed card)") studies both
directions.

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
id, so importing the same package twice adds nothing; card states are then
rebuilt by replaying the whole log.

Everything is read and checked before anything is written: a package that
cannot be read, or deck files that exist and differ (without ``overwrite``),
leave the database and the decks folder untouched.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.app.files import restored_on_failure, shown, write_file
from trainer.core.clock import study_day
from trainer.core.model import (
    SCHEDULING_MODES,
    Card,
    Deck,
    Direction,
    Mode,
    ReviewRecord,
    card_id,
    normalize_term,
    slugify,
)
from trainer.core.sm2 import SM2State
from trainer.core.text import excerpt, one_line
from trainer.interop.anki import AnkiCollection, AnkiNote, Limits, Notetype, read_package
from trainer.interop.html import html_to_text

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

FieldRef = int | str
FieldChoice = tuple[FieldRef, FieldRef]


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


@dataclass
class _DeckPlan:
    anki_name: str
    name: str
    slug: str = ""
    cards: list[Card] = field(default_factory=list)
    #: normalized terms already taken, for duplicate detection
    terms: set[str] = field(default_factory=set)
    reverse: bool = False


@dataclass
class _Plan:
    decks: list[_DeckPlan]
    mapped: dict[int, _Mapped]
    messages: list[str]


def _field_index(notetype: Notetype, ref: FieldRef) -> int | None:
    if isinstance(ref, int):
        return ref - 1 if ref <= len(notetype.fields) else None
    wanted = ref.casefold()
    return next((i for i, name in enumerate(notetype.fields) if name.casefold() == wanted), None)


def _readable(anki_name: str) -> str:
    parts = [part.strip() for part in anki_name.split("::") if part.strip()]
    return " / ".join(parts) or "Anki deck"


def _plan(
    collection: AnkiCollection, fields: FieldChoice, deck_name: str | None, source: str
) -> _Plan:
    messages: list[str] = []
    cards_by_note: dict[int, list[tuple[int, int, int]]] = {}
    for card in collection.cards:
        cards_by_note.setdefault(card.note_id, []).append((card.ord, card.deck_id, card.id))
    decks: dict[str, _DeckPlan] = {}
    unusable: dict[str, int] = {}
    media: list[str] = []
    pending: list[tuple[_DeckPlan, AnkiNote, Notetype, str]] = []
    for note in collection.notes:
        notetype = collection.notetypes.get(note.notetype_id)
        note_cards = sorted(cards_by_note.get(note.id, []))
        if notetype is None or not note_cards:
            reason = "unknown note type" if notetype is None else "no cards"
            unusable[reason] = unusable.get(reason, 0) + 1
            continue
        term_at, definition_at = (_field_index(notetype, ref) for ref in fields)
        if term_at is None or definition_at is None:
            wanted = ",".join(str(ref) for ref in fields)
            reason = f"note type {notetype.name!r} has no fields {wanted}"
            unusable[reason] = unusable.get(reason, 0) + 1
            continue
        values = list(note.fields) + [""] * (len(notetype.fields) - len(note.fields))
        term_text = html_to_text(values[term_at])
        definition_text = html_to_text(values[definition_at])
        term = one_line(term_text.text)
        anki_deck = collection.decks.get(note_cards[0][1], "Default")
        plan_name = deck_name or anki_deck
        deck = decks.get(plan_name)
        if deck is None:
            deck = decks[plan_name] = _DeckPlan(
                anki_name=anki_deck, name=deck_name or _readable(anki_deck)
            )
        where = f"{source}: {deck.name}"
        for name in (*term_text.media, *definition_text.media):
            media.append(f"{where}: {term or '(no term)'!r}: media not imported: {name}")
        if not term or not definition_text.text:
            missing = "term" if not term else "definition"
            shown = excerpt(definition_text.text or term_text.text or "(empty)", 40)
            messages.append(f"{where}: note {note.id} has no {missing} ({shown}); skipped")
            continue
        key = normalize_term(term)
        if key in deck.terms:
            messages.append(
                f"{where}: duplicate term {term!r} (note {note.id}); the first note is kept"
            )
            continue
        deck.terms.add(key)
        pending.append((deck, note, notetype, term))
        extra = {
            name.casefold(): values[i]
            for i, name in enumerate(notetype.fields)
            if i not in (term_at, definition_at)
        }
        example = html_to_text(extra.get("example", "")).text or None
        aliases = tuple(
            alias
            for part in html_to_text(extra.get("aliases", "")).text.replace("\n", ";").split(";")
            if (alias := part.strip()) and normalize_term(alias) != key
        )
        deck.cards.append(
            Card(
                term=term,
                definition=definition_text.text,
                aliases=tuple(dict.fromkeys(aliases)),
                tags=tuple(dict.fromkeys(note.tags)),
                example=example,
            )
        )
    for reason, count in unusable.items():
        messages.append(f"{source}: {count} notes skipped: {reason}")
    if len(media) > MAX_LISTED:
        media = [*media[:MAX_LISTED], f"{source}: … and {len(media) - MAX_LISTED} more media files"]
    messages.extend(media)

    used: set[str] = set()
    for deck in decks.values():
        base = slugify(deck.name)
        slug, counter = base, 2
        while slug in used:
            slug, counter = f"{base}-{counter}", counter + 1
        used.add(slug)
        deck.slug = slug
    mapped: dict[int, _Mapped] = {}
    for deck, note, notetype, term in pending:
        card = card_id(deck.slug, term)
        for ord_, _deck_id, anki_card in cards_by_note[note.id]:
            reverse = ord_ == 1 and notetype.templates >= 2
            deck.reverse = deck.reverse or reverse
            direction = Direction.REVERSE if reverse else Direction.FORWARD
            mapped[anki_card] = _Mapped(card, direction, note.guid, ord_)
    kept = [deck for deck in decks.values() if deck.cards]
    return _Plan(kept, mapped, messages)


def _deck_of(plan: _DeckPlan, source_name: str) -> Deck:
    directions = (Direction.FORWARD, Direction.REVERSE) if plan.reverse else (Direction.FORWARD,)
    origin = f"Imported by trainer from {source_name} (Anki deck {plan.anki_name!r})."
    return Deck(
        slug=plan.slug,
        name=plan.name,
        cards=tuple(plan.cards),
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
    """Import an Anki package: one deck file per Anki deck, plus history on request."""
    from trainer.app.deckfile import dump_deck, parse_deck_text
    from trainer.app.trainer import UserError
    from trainer.core.deck import DeckError
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
    plan = _plan(collection, fields or (1, 2), deck_name, source)
    if not plan.decks:
        raise UserError(f"{source}: no note has a usable term and definition; nothing imported")
    folder = out_dir or trainer.user_decks
    writes: list[tuple[Path, str, Deck, bool]] = []
    for deck_plan in plan.decks:
        deck = _deck_of(deck_plan, path.name)
        text = dump_deck(deck)
        target = Path(os.path.abspath(folder / f"{deck.slug}.yaml"))
        _check_size(text, source, deck)
        try:
            parse_deck_text(text, deck.slug, shown(target))  # what sync will read back
        except DeckError as error:
            raise UserError(f"{source}: cannot make a deck of it: {error}") from None
        unchanged = False
        if target.exists() or target.is_symlink():
            unchanged = _same_deck(target, deck)
            if not unchanged and not overwrite:
                raise UserError(f"{shown(target)}: already exists (use --force to replace it)")
        elif not overwrite:
            _refuse_taken_slug(trainer, deck.slug, deck.name, target)
        writes.append((target, text, deck, not unchanged))
    answers: list[_Answer] = []
    skipped = 0
    if with_history:
        answers, skipped = _answers(collection, plan.mapped)

    imported = []
    with restored_on_failure(target for target, _text, _deck, changed in writes if changed):
        for target, text, _deck, changed in writes:
            if changed:
                write_file(target, text)
        for target, _text, deck, written in writes:
            trainer.sync_deck_file(target, deck)
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
    added = 0
    if with_history:
        store = trainer.store
        with store.write():
            records = _new_records(trainer, answers)
            for record in records:
                store.record_review(record)
            trainer.rebuild()
        added = len(records)
    return PackageImportOutcome(
        member=collection.member,
        decks=tuple(imported),
        reviews_added=added,
        reviews_present=len(answers) - added,
        reviews_skipped=skipped,
        messages=tuple(plan.messages),
    )


def _same_deck(path: Path, deck: Deck) -> bool:
    """Whether a deck file already holds this deck (where it was imported from aside)."""
    from trainer.app.deckfile import deck_to_data, read_deck_file
    from trainer.core.deck import DeckError

    try:
        existing = deck_to_data(read_deck_file(path, deck.slug))
    except DeckError:
        return False
    wanted = deck_to_data(deck)
    existing.pop("source", None)
    wanted.pop("source", None)
    return existing == wanted


def _anki_name(plan: _Plan, slug: str) -> str:
    return next(deck.anki_name for deck in plan.decks if deck.slug == slug)


def _check_size(text: str, source: str, deck: Deck) -> None:
    """Refuse a deck larger than a deck file may be, before anything is written:
    a file sync would refuse is a file every later command would warn about."""
    from trainer.app.files import MAX_DECK_BYTES
    from trainer.app.trainer import UserError

    size = len(text.encode("utf-8"))
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
