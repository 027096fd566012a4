"""Reading and writing deck files (YAML).

A deck in trainer's own form (what imports and edits write) is read and
written here without PyYAML; any other deck goes through
``trainer.app.deckyaml``, imported only then. Mappings come back as
``LineDict`` carrying the 1-based line they start on, which the pure
validator in ``trainer.core.deck`` puts into its messages.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from trainer.app.collector import collector_paused
from trainer.app.files import MAX_DECK_BYTES, FileRefused, read_bounded, shown
from trainer.core.deck import (
    KNOWN_CARD_KEYS,
    KNOWN_DECK_KEYS,
    DeckError,
    LineDict,
    deck_from_data,
)
from trainer.core.model import Card, Deck


def parse_deck_text(text: str, slug: str, source: str) -> Deck:
    """Parse YAML text into a validated Deck; every failure is a DeckError."""
    return parse_deck_text_form(text, slug, source)[0]


def parse_deck_text_form(text: str, slug: str, source: str) -> tuple[Deck, bool]:
    """``parse_deck_text``, and whether the text is in trainer's own form
    (``read_canonical`` read it), which later re-loads can diff line by line.

    Built with the collector paused: every node, mapping and card lives to the end."""
    with collector_paused():
        canonical = read_canonical(text)
        if canonical is not None:
            return deck_from_data(canonical, slug, source), True
        from trainer.app.deckyaml import parse_yaml

        return parse_yaml(text, slug, source), False


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def read_canonical(text: str) -> LineDict | None:
    """The document, read without YAML, when ``text`` is exactly what
    ``dump_deck_fast`` writes for it; else None.

    Imports write decks in that form, and libyaml takes four seconds to read
    100k cards back. There every line is a key and one JSON value (a quoted
    string, a list of them, or true/false), so each line is read directly.
    The result is accepted only if writing it again gives the very same
    text: that writer's output reads back through YAML as the data it was
    given (tests hold it to that), so YAML would have read this same data.
    """
    if not text.endswith("\n") or _SURROGATE_ESCAPE.search(text):
        return None  # JSON decodes a lone surrogate that libyaml refuses
    document = LineDict()
    document.line = 1
    card: LineDict | None = None
    try:
        for number, line in enumerate(text[:-1].split("\n"), 1):
            if line.startswith("  - "):
                card = LineDict()
                card.line = number
                document["cards"].append(card)
                target, entry = card, line[4:]
            elif line.startswith("    ") and card is not None:
                target, entry = card, line[4:]
            elif line == "cards:":
                document["cards"] = []
                continue
            else:
                target, entry = document, line
            key, separator, value = entry.partition(": ")
            # keys are written bare: only the deck format's own names read back as written
            known = KNOWN_CARD_KEYS if target is card else KNOWN_DECK_KEYS
            if not separator or key not in known or key in target:
                return None
            target[key] = _canonical_value(value)
        if dump_deck_fast(document) != text:
            return None
    except (ValueError, KeyError, AttributeError, TypeError, RecursionError):
        return None  # not trainer's form (``cards: true``, lists nested deep...): YAML says why
    return document


def _canonical_value(value: str) -> Any:
    """One value as ``dump_deck_fast`` writes it; ValueError for anything else."""
    if value in ("true", "false"):
        return value == "true"
    if value == "[]":
        return []
    if not value.startswith(('"', "[")):
        raise ValueError(value)
    parsed = json.loads(value)
    if isinstance(parsed, list) and not all(isinstance(item, str) for item in parsed):
        raise ValueError(value)
    return parsed


def decode_deck_bytes(raw: bytes, source: str) -> str:
    """The text of a deck or glossary file; every refusal is a DeckError."""
    if len(raw) > MAX_DECK_BYTES:
        raise DeckError(
            source, None, f"file is too large ({len(raw)} bytes; the limit is {MAX_DECK_BYTES})"
        )
    if b"\x00" in raw[:8192]:
        raise DeckError(source, None, "not a text file (binary data)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DeckError(source, line, f"not valid UTF-8 (byte 0x{raw[error.start]:02x})") from None
    return text


def read_deck_file(path: Path, slug: str | None = None) -> Deck:
    """Load and validate one deck file."""
    source = shown(path)
    try:
        raw = read_bounded(path, MAX_DECK_BYTES, "deck file")
    except FileRefused as error:
        message = str(error)
        message = message[len(source) + 2 :] if message.startswith(f"{source}: ") else message
        raise DeckError(source, None, message) from None
    return parse_deck_text(decode_deck_bytes(raw, source), slug or path.stem, source)


def deck_to_data(deck: Deck) -> dict[str, Any]:
    """The plain structure written to a deck file, optional keys omitted."""
    data: dict[str, Any] = {"name": deck.name}
    if deck.description:
        data["description"] = deck.description
    if deck.source:
        data["source"] = deck.source
    if deck.tags:
        data["tags"] = list(deck.tags)
    if tuple(deck.directions) != ("forward",):
        data["directions"] = [str(d) for d in deck.directions]
    data["cards"] = _cards_data(deck.cards)
    return data


def _cards_data(cards: Any) -> list[dict[str, Any]]:
    """Card entries; the cards of one cloze entry (one per gap) become that entry again."""
    entries: list[dict[str, Any]] = []
    previous = None
    for card in cards:
        if getattr(card, "cloze", None) is None:
            entries.append(_card_data(card))
            previous = None
            continue
        group = (card.cloze, card.key, card.guid, card.tags, card.example)
        if group == previous:
            continue
        previous = group
        entry: dict[str, Any] = {"cloze": card.cloze}
        if card.example:
            entry["extra"] = card.example
        if card.tags:
            entry["tags"] = list(card.tags)
        if card.key:
            entry["id"] = card.key
        if card.guid:
            entry["guid"] = card.guid
        entries.append(entry)
    return entries


def _card_data(card: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"term": card.term, "definition": card.definition}
    if card.aliases:
        entry["aliases"] = list(card.aliases)
    if card.tags:
        entry["tags"] = list(card.tags)
    if card.example:
        entry["example"] = card.example
    if getattr(card, "key", None):
        entry["id"] = card.key
    if getattr(card, "guid", None):
        entry["guid"] = card.guid
    if getattr(card, "directions", None) is not None:
        entry["directions"] = [str(d) for d in card.directions]
    return entry


def dump_deck(deck: Deck) -> str:
    """A deck as PyYAML writes it (block style), for an export a person reads."""
    from trainer.app.deckyaml import dump_data

    return dump_data(deck_to_data(deck))


#: Characters a YAML double-quoted scalar must not hold raw but JSON leaves alone
#: (U+FFFE and U+FFFF are noncharacters: YAML's reader refuses them raw).
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar: JSON's string syntax is a subset of it.

    Most text needs no escape at all, and then JSON's output is just the text
    in quotes: every character either escapes is unprintable, except ``"`` and
    ``\\``. Skipping ``json.dumps`` for it halves the cost of a large import.
    """
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return _YAML_UNSAFE.sub(
        lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False)
    )


def quote_value(text: str) -> str:
    """A string exactly as ``dump_deck_fast`` writes it."""
    return _quoted(text)


def has_surrogate_escape(text: str) -> bool:
    """Whether ``read_canonical`` would refuse ``text`` for a lone surrogate escape."""
    return _SURROGATE_ESCAPE.search(text) is not None


def _scalar_or_list(value: Any) -> str:
    if type(value) is str:  # the usual case first: cheaper than the checks below
        return _quoted(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_quoted(str(item)) for item in value) + "]"
    return _quoted(str(value))


def dump_deck_fast(data: dict[str, Any]) -> str:
    """The same document as ``dump_data`` for the deck shape, written directly.

    Imports write decks of 100k cards, where PyYAML's emitter alone takes
    seconds; a deck is a flat mapping of scalars and a list of flat card
    mappings, which needs no general emitter. Every string is double-quoted,
    so no value can be misread (``no``, ``1e3``, ``: ``) when loaded back.
    """
    lines = [f"{key}: {_scalar_or_list(value)}" for key, value in data.items() if key != "cards"]
    cards = data.get("cards", [])
    lines.append("cards:" if cards else "cards: []")
    for card in cards:
        lines.extend(_entry_lines(card))
    lines.append("")
    return "\n".join(lines)


def dump_imported_deck(deck: Deck, drafts: Sequence[str]) -> str:
    """``dump_deck_fast`` of ``deck_to_data(deck)`` with ``drafts`` (definitions still
    waiting for a term) appended as ``missing_term`` entries: what an import writes.

    Written from the cards directly rather than through a mapping per card. A
    glossary's cards are mostly a bare term and definition, and when no text of
    the deck needs an escape (one check over all of them) those are written
    with no quoting decision per value.
    """
    head = deck_to_data(replace(deck, cards=()))
    del head["cards"]
    lines = [f"{key}: {_scalar_or_list(value)}" for key, value in head.items()]
    lines.append("cards:" if deck.cards or drafts else "cards: []")
    if any(card.cloze is not None for card in deck.cards):  # cloze cards group into entries
        lines.extend(line for entry in _cards_data(deck.cards) for line in _entry_lines(entry))
        return "\n".join([*lines, *_draft_lines(drafts), ""])
    terms = [card.term for card in deck.cards]
    definitions = [card.definition for card in deck.cards]
    guids = [card.guid for card in deck.cards if card.guid]
    raw = _needs_no_escape(terms, definitions, guids, drafts)
    if raw and not guids and _all_bare(deck.cards):  # a glossary's cards, written per column
        pairs = zip(terms, definitions, strict=True)
        lines.extend([f'  - term: "{t}"\n    definition: "{d}"' for t, d in pairs])
    else:
        for card in deck.cards:
            if raw and _is_bare(card):
                if card.guid:  # an imported Anki note's card keeps its note's GUID
                    lines.append(
                        f'  - term: "{card.term}"\n    definition: "{card.definition}"\n'
                        f'    guid: "{card.guid}"'
                    )
                else:
                    lines.append(f'  - term: "{card.term}"\n    definition: "{card.definition}"')
            else:
                lines.extend(_entry_lines(_card_data(card)))
    lines.extend(_draft_lines(drafts))
    lines.append("")
    return "\n".join(lines)


def _draft_lines(drafts: Sequence[str]) -> list[str]:
    return [f'  - term: ""\n    missing_term: true\n    definition: {_quoted(d)}' for d in drafts]


def _needs_no_escape(*groups: Sequence[str]) -> bool:
    """Whether every text of the groups is written as itself in quotes (see ``_quoted``)."""
    joined = " ".join(itertools.chain.from_iterable(groups))
    if joined.isascii():  # deleting the harmless bytes is five times faster than isprintable
        return not joined.encode("ascii").translate(None, _RAW_ASCII)
    return joined.isprintable() and '"' not in joined and "\\" not in joined


#: The ASCII characters ``_quoted`` writes as themselves: printable, not ``"`` or ``\\``.
_RAW_ASCII = bytes(b for b in range(128) if chr(b).isprintable() and chr(b) not in '"\\')


def _all_bare(cards: Sequence[Card]) -> bool:
    """``_is_bare`` of every card, without a call per card."""
    return not any(
        card.aliases
        or card.tags
        or card.example
        or card.key
        or card.directions is not None
        or card.cloze is not None
        for card in cards
    )


def _is_bare(card: Card) -> bool:
    """A card whose entry is its term and definition, and its GUID if it has one
    (as most cards of an imported Anki package), and nothing else."""
    return not (
        card.aliases
        or card.tags
        or card.example
        or card.key
        or card.directions is not None
        or card.cloze is not None
    )


def _entry_lines(entry: dict[str, Any]) -> list[str]:
    """One card entry's lines, as ``dump_deck_fast`` writes them."""
    lines = []
    prefix = "  - "
    for key, value in entry.items():
        lines.append(f"{prefix}{key}: {_scalar_or_list(value)}")
        prefix = "    "
    return lines
