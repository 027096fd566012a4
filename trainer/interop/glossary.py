"""Glossary documents in: a TSV/CSV table, Term/Definition blocks or Markdown
becomes a YAML deck file, loaded in the same pass.

Parsing is pure (``trainer.core.glossary``); this module reads the file with a
bound, writes the deck file atomically and loads it through the application
layer, so the file and the database always agree: if loading fails, the file
is put back as it was.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.app.collector import collector_paused
from trainer.app.files import BackgroundWrite, ForkedJob, restored_on_failure, write_file
from trainer.core.deck import DeckError
from trainer.core.model import Deck, slugify
from trainer.core.text import excerpt, visible
from trainer.errors import UserError
from trainer.storage.store import BULK_SYNC_ROWS

if TYPE_CHECKING:
    from trainer.app.trainer import Trainer
    from trainer.core.glossary import GlossaryEntry, GlossaryImport


def import_glossary(
    trainer: Trainer,
    file: Path,
    *,
    deck_name: str | None = None,
    out: Path | None = None,
    fmt: str | None = None,
    refuse_missing_terms: bool = False,
    overwrite: bool = False,
) -> ImportOutcome:
    """Write a deck file from a glossary document and load it, in one pass."""
    with collector_paused():
        return _import_glossary(
            trainer,
            file,
            deck_name=deck_name,
            out=out,
            fmt=fmt,
            refuse_missing_terms=refuse_missing_terms,
            overwrite=overwrite,
        )


@dataclass(frozen=True)
class ImportOutcome:
    slug: str
    path: Path
    cards: int
    messages: tuple[str, ...]
    #: definitions that name their own term (shown with the name blanked in questions)
    self_naming: int = 0


def import_messages(result: GlossaryImport, source: str) -> list[str]:
    """What the user must know about an import: gaps, guesses and duplicates."""
    messages = []
    for entry in result.entries:
        if entry.term_recovered:
            messages.append(
                f"{source}:{entry.line}: term {visible(entry.term)!r} recovered from definition"
            )
    for entry in result.missing_terms:
        messages.append(
            f"{source}:{entry.line}: no term for: {visible(excerpt(entry.definition, 60))}"
        )
    for term, lines in result.duplicates.items():
        where = ", ".join(str(line) for line in lines)
        messages.append(f"{source}: duplicate term {visible(term)!r} on lines {where} (first kept)")
    return messages


def glossary_to_deck(result: GlossaryImport, slug: str, name: str, source: str) -> tuple[Deck, str]:
    """A Deck of the complete entries plus the YAML of the whole import, drafts included.

    The first entry of each term becomes a card; entries without a term are the
    drafts, written at the end of the file. Built column by column: a large
    glossary's terms are usually all present and distinct, and then every
    entry is a card.
    """
    from trainer.app.deckfile import dump_imported_deck
    from trainer.core.model import plain_cards

    entries: Sequence[GlossaryEntry] = result.entries
    # term_keys: normalized once per import, shared with the duplicate report
    keys: Sequence[str] = result.term_keys
    drafts = [entry.definition for entry in entries if not entry.term]
    if drafts or len(set(keys)) != len(keys):
        entries, keys = _first_of_each_term(entries, keys)
    cards = plain_cards(
        [entry.term for entry in entries],
        [entry.definition for entry in entries],
        [entry.aliases for entry in entries],
        [entry.tags for entry in entries],
        keys,
    )
    note = f"Imported by trainer from {source} ({result.format} layout)."
    if drafts:
        note += f" {len(drafts)} cards have no term yet (missing_term: true): fill them in."
    deck = Deck(slug=slug, name=name, cards=tuple(cards), source=note, missing=tuple(drafts))
    return deck, dump_imported_deck(deck, drafts)


def _first_of_each_term(
    entries: Sequence[GlossaryEntry], keys: Sequence[str]
) -> tuple[list[GlossaryEntry], list[str]]:
    """The entries that have a term not seen before, and their keys."""
    seen: set[str] = set()
    kept: list[GlossaryEntry] = []
    kept_keys: list[str] = []
    for entry, key in zip(entries, keys, strict=True):
        if entry.term and key not in seen:
            seen.add(key)
            kept.append(entry)
            kept_keys.append(key)
    return kept, kept_keys


#: the Anki importer (``trainer.interop.anki_import``) pauses the collector through this
#: name; the pause itself lives in ``trainer.app.collector``, which deck loads use too
_collector_paused = collector_paused


def _import_glossary(
    trainer: Trainer,
    file: Path,
    *,
    deck_name: str | None,
    out: Path | None,
    fmt: str | None,
    refuse_missing_terms: bool,
    overwrite: bool,
) -> ImportOutcome:
    from trainer.app.deckfile import decode_deck_bytes
    from trainer.app.files import MAX_DECK_BYTES, read_bounded, shown
    from trainer.core.glossary import GlossaryError, parse_glossary

    source = shown(file)
    raw = read_bounded(file, MAX_DECK_BYTES, "glossary file")
    try:
        text = decode_deck_bytes(raw, source)
        result = parse_glossary(text, source, fmt)
    except (DeckError, GlossaryError) as error:
        raise UserError(str(error)) from None
    messages = import_messages(result, source)
    if refuse_missing_terms and result.missing_terms:
        lines = ", ".join(str(e.line) for e in result.missing_terms)
        raise UserError(
            f"{source}: {len(result.missing_terms)} definitions have no term (lines {lines}); "
            "nothing written (use --missing-terms flag to import them for filling in)"
        )
    stem = os.fsencode(file.stem).decode("utf-8", "replace")  # a file name in another encoding
    name = deck_name or stem.replace("_", " ").replace("-", " ").strip() or "Imported deck"
    path = out.expanduser().resolve() if out else trainer.user_decks / f"{slugify(name)}.yaml"
    slug = path.stem
    if path == file.resolve():
        raise UserError(f"{path}: is the glossary being imported; choose another --out")
    if path.exists() and not overwrite:
        raise UserError(f"{path}: already exists (use --force to replace it)")
    _refuse_slug_taken(trainer, slug, path)
    if not overwrite:
        trainer.refuse_name_clash(slug, name, path)
    deck, text_out = glossary_to_deck(result, slug, name, source)
    if not deck.cards:
        raise UserError(f"{source}: no entry has a term; nothing to study")
    if len(deck.cards) < BULK_SYNC_ROWS:
        with restored_on_failure([path]):
            write_file(path, text_out)
            trainer.sync_deck_file(path, deck, written=text_out)
        naming = count_self_naming(deck)
        return ImportOutcome(slug, path, len(deck.cards), tuple(messages), naming)
    # a large deck: its file and the count come from child processes, beside the
    # database work; the count is read once the file and the cards are in
    trainer.settle_deck_copies()
    with ForkedJob.start(partial(_self_naming_text, deck), f"{source}: counting") as count:
        with (
            restored_on_failure([path]),
            BackgroundWrite.start(
                path, partial(str.encode, text_out, "utf-8"), trainer.keep_deck_copy(path)
            ) as written,
        ):
            trainer.sync_deck_being_written(written, deck)
        naming = int(count.result())
    return ImportOutcome(slug, path, len(deck.cards), tuple(messages), naming)


def _self_naming_text(deck: Deck) -> str:
    return str(count_self_naming(deck))


def count_self_naming(deck: Deck) -> int:
    """How many definitions name their own term: questions show those names blanked.

    ``may_name_themselves`` first: on 100k cards building every card's names took
    longer than storing the deck. A glossary's cards rarely have aliases: their
    terms are then checked as one column (``may_name_their_terms``).
    """
    from trainer.core.fairness import (
        card_names,
        may_name_their_terms,
        may_name_themselves,
        names_itself,
    )

    cards = deck.cards
    definitions = [card.definition for card in cards]
    if any(card.aliases for card in cards):
        names = [(card.term, *card.aliases) if card.aliases else (card.term,) for card in cards]
        maybe = may_name_themselves(definitions, names)
    else:
        maybe = may_name_their_terms(definitions, [card.term for card in cards])
    return sum(
        1
        for card in (cards[i] for i in maybe)
        if names_itself(card.definition, card_names(card.term, tuple(card.aliases)))
    )


def _refuse_slug_taken(trainer: Trainer, slug: str, path: Path) -> None:
    """A deck is known by its file name: two files with one name would fight."""
    existing = trainer.store.deck_path(slug)
    if existing and Path(existing).resolve() != path and Path(existing).exists():
        raise UserError(
            f"{path}: a deck named {slug!r} already comes from {existing}; "
            "choose another file name with --out"
        )
