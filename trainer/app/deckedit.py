"""Editing deck files in place without destroying what the user wrote.

Edits go through ruamel.yaml's round-trip mode, which keeps comments, key
order, quoting and block layout, so a deck someone maintains by hand stays
theirs after a change made from the TUI. A renamed card gets an ``id:`` with
its old identity, which keeps its review history attached.

ruamel is pure Python and reads about 2,000 cards a second, so one edit in
an imported 10,000-card glossary took six seconds. A file that is exactly
what trainer itself writes (``dump_deck_fast`` of its own content: no
comment, no layout of the user's to keep) is read with libyaml and written
again by ``dump_deck_fast`` instead; anything else keeps the round trip.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.app.files import write_atomically
from trainer.core.deck import DeckError, deck_from_data
from trainer.core.model import Card, Deck, normalize_term
from trainer.errors import TrainerError, os_error


class DeckEditError(TrainerError, ValueError):
    pass


@dataclass(frozen=True)
class CardEdit:
    term: str
    definition: str
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def check(self) -> None:
        if not self.term.strip():
            raise DeckEditError("the term cannot be empty")
        if not self.definition.strip():
            raise DeckEditError("the definition cannot be empty")


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


@dataclass(frozen=True)
class _Loaded:
    """A deck document to change, and how to write it back."""

    document: Any  # a mapping with a "cards" list: plain dicts, or ruamel's commented ones
    render: Callable[[Any], str]

    @property
    def plain(self) -> bool:
        return not _keeps_comments(self.document)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise os_error(error, path, "read", DeckEditError) from None


def _load(path: Path) -> _Loaded:
    text = _read(path)
    loaded = _load_canonical(text) or _load_round_trip(text, path)
    document = loaded.document
    if not isinstance(document, dict) or not isinstance(document.get("cards"), list):
        raise DeckEditError(f"{path}: not a deck (no 'cards' list)")
    return loaded


def _load_canonical(text: str) -> _Loaded | None:
    """The document as plain data, when writing that data back gives the same text."""
    from trainer.app.deckfile import dump_deck_fast, read_canonical

    document = read_canonical(text)
    return None if document is None else _Loaded(document, dump_deck_fast)


def _load_round_trip(text: str, path: Path) -> _Loaded:
    yaml = _yaml()
    try:
        document = yaml.load(text)
    except Exception as error:  # ruamel raises many unrelated classes for bad YAML
        raise DeckEditError(f"{path}: cannot edit a deck that does not parse: {error}") from None

    def render(document: Any) -> str:
        buffer = io.StringIO()
        yaml.dump(document, buffer)
        return buffer.getvalue()

    return _Loaded(document, render)


def _save(loaded: _Loaded, path: Path) -> Deck | None:
    """Write the document; returns the deck it holds when the document is plain data.

    That deck is what reading the file back would give (``deck_from_data`` is
    what the reader applies to the same data), without parsing it again.
    """
    try:
        write_atomically(path, loaded.render(loaded.document))
    except OSError as error:
        raise os_error(error, path, "write", DeckEditError) from None
    if not loaded.plain:
        return None
    return deck_from_data(loaded.document, path.stem, str(path))


#: A cloze card's identity ends with its gap number (``trainer.core.model.Card.identity``).
_CLOZE_IDENTITY = re.compile(r" #c\d+$")


def _identity(node: Any) -> str:
    key = node.get("id") or node.get("term") or ""
    return normalize_term(str(key))


def _find(document: Any, identity: str, path: Path) -> Any:
    for node in document["cards"]:
        if isinstance(node, dict) and _identity(node) == identity:
            return node
    raise DeckEditError(f"{path}: no card {identity!r}")


def _keeps_comments(node: Any) -> bool:
    """ruamel's round-trip maps and lists carry their comments in ``ca``."""
    return hasattr(node, "ca")


def _set_list(node: Any, key: str, values: tuple[str, ...]) -> None:
    if values and not _keeps_comments(node):
        node[key] = list(values)  # dump_deck_fast writes every list in flow style
    elif values:
        from ruamel.yaml.comments import CommentedSeq

        seq = CommentedSeq(list(values))
        seq.fa.set_flow_style()
        node[key] = seq
    elif key in node:
        del node[key]


def _put_id_first(node: Any, identity: str) -> None:
    if not _keeps_comments(node):
        rest = list(node.items())
        node.clear()
        node["id"] = identity
        node.update(rest)
    else:
        node.insert(0, "id", identity)  # ruamel's map: keeps the comments around it


def _check_unique(document: Any, edit: CardEdit, identity: str | None, path: Path) -> None:
    wanted = normalize_term(edit.term)
    for node in document["cards"]:
        if not isinstance(node, dict) or (identity and _identity(node) == identity):
            continue
        if normalize_term(str(node.get("term") or "")) == wanted or _identity(node) == wanted:
            raise DeckEditError(f"{path}: a card {edit.term!r} already exists")


@dataclass(frozen=True)
class Edited:
    """The changed card's identity, and the deck as it now is when that is known
    without reading the file back (a file in trainer's own form)."""

    identity: str
    deck: Deck | None


def edit_card(path: Path, identity: str, edit: CardEdit) -> Edited:
    """Change one card in place; the card keeps its identity."""
    edit.check()
    if _CLOZE_IDENTITY.search(identity):
        raise DeckEditError(
            f"{path}: a cloze card is one gap of a 'cloze:' entry; edit its text in the deck file"
        )
    loaded = _load(path)
    node = _find(loaded.document, identity, path)
    _check_unique(loaded.document, edit, identity, path)
    apply_edit(node, identity, edit)
    return Edited(identity, _save(loaded, path))


def apply_edit(node: Any, identity: str, edit: CardEdit) -> None:
    """Put ``edit`` into a card's mapping; a renamed card gets ``id:`` first."""
    if normalize_term(edit.term) != identity and "id" not in node:
        _put_id_first(node, identity)
    node["term"] = edit.term.strip()
    node["definition"] = edit.definition.strip()
    _set_list(node, "aliases", tuple(a.strip() for a in edit.aliases if a.strip()))
    _set_list(node, "tags", tuple(t.strip() for t in edit.tags if t.strip()))


def edit_block(
    raw: bytes, term: str, identity: str, edit: CardEdit, slug: str
) -> EditedBlock | None:
    """A deck file in trainer's own form with one card's block rewritten, or None
    when that needs the whole document: the card is not found by its term line,
    its block is not in trainer's form, or the edit changes its term (so
    uniqueness must be checked against every card). Only the block is decoded."""
    from trainer.app.deckdelta import card_block
    from trainer.app.deckfile import dump_deck_fast, read_canonical

    edit.check()
    if normalize_term(edit.term) != normalize_term(term):
        return None
    found = card_block(raw, term)
    if found is None:
        return None
    start, end = found
    try:
        document = read_canonical("cards:\n" + raw[start:end].decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if document is None or len(document["cards"]) != 1:
        return None
    node = document["cards"][0]
    if _identity(node) != identity:
        return None
    apply_edit(node, identity, edit)
    try:
        deck = deck_from_data(document, slug, slug)
    except DeckError:
        return None
    if len(deck.cards) != 1:
        return None
    block = dump_deck_fast({"cards": [node]}).removeprefix("cards:\n").encode("utf-8")
    whole = memoryview(raw)  # views, not copies: the two ends are most of 20 MB
    return EditedBlock((whole[:start], block, whole[end:]), deck.cards[0])


@dataclass(frozen=True)
class EditedBlock:
    """A deck file's bytes in three pieces (before, the card's new block, after),
    and that card as it now reads."""

    pieces: tuple[bytes | memoryview, bytes, bytes | memoryview]
    card: Card


def add_card(path: Path, edit: CardEdit) -> Edited:
    """Append a card to a deck file."""
    edit.check()
    loaded = _load(path)
    _check_unique(loaded.document, edit, None, path)
    if loaded.plain:
        node: Any = {}
    else:
        from ruamel.yaml.comments import CommentedMap

        node = CommentedMap()
    node["term"] = edit.term.strip()
    node["definition"] = edit.definition.strip()
    _set_list(node, "aliases", tuple(a.strip() for a in edit.aliases if a.strip()))
    _set_list(node, "tags", tuple(t.strip() for t in edit.tags if t.strip()))
    loaded.document["cards"].append(node)
    return Edited(normalize_term(edit.term), _save(loaded, path))


def remove_card(path: Path, identity: str) -> Edited:
    """Take a card out of its deck file; the next sync retires it (history kept)."""
    loaded = _load(path)
    node = _find(loaded.document, identity, path)
    cards = loaded.document["cards"]
    del cards[next(i for i, other in enumerate(cards) if other is node)]
    return Edited(identity, _save(loaded, path))


def _is_draft(node: Any) -> bool:
    return isinstance(node, dict) and node.get("missing_term") is True and not _identity(node)


def complete_draft(path: Path, number: int, edit: CardEdit) -> Edited:
    """Give the ``number``-th card waiting for a term (file order) its term: it
    becomes an ordinary card where it stands in the file."""
    edit.check()
    loaded = _load(path)
    drafts = [node for node in loaded.document["cards"] if _is_draft(node)]
    if not 0 <= number < len(drafts):
        raise DeckEditError(f"{path}: no card waiting for a term at place {number + 1}")
    _check_unique(loaded.document, edit, None, path)
    node = drafts[number]
    del node["missing_term"]
    node["term"] = edit.term.strip()
    node["definition"] = edit.definition.strip()
    _set_list(node, "aliases", tuple(a.strip() for a in edit.aliases if a.strip()))
    _set_list(node, "tags", tuple(t.strip() for t in edit.tags if t.strip()))
    return Edited(normalize_term(edit.term), _save(loaded, path))


def card_line(path: Path, identity: str) -> int:
    """The 1-based line where a card starts, for opening an editor there.

    The deck reader records every card's line and is fast; ruamel is asked
    only about a file that reader refuses (one being fixed by hand, say).
    """
    from trainer.app.deckfile import read_deck_file

    try:
        deck = read_deck_file(path)
    except DeckError:
        document = _load_round_trip(_read(path), path).document
        nodes = document.get("cards") if isinstance(document, dict) else None
        for node in nodes if isinstance(nodes, list) else []:
            if isinstance(node, dict) and _identity(node) == identity:
                return node.lc.line + 1
    else:
        for card in deck.cards:
            if card.identity == identity and card.line is not None:
                return card.line
    raise DeckEditError(f"{path}: no card {identity!r}")


def edit_from_card(card: Card) -> CardEdit:
    return CardEdit(card.term, card.definition, card.aliases, card.tags)


__all__ = [
    "CardEdit",
    "DeckEditError",
    "DeckError",
    "Edited",
    "EditedBlock",
    "add_card",
    "apply_edit",
    "card_line",
    "complete_draft",
    "edit_block",
    "edit_card",
    "remove_card",
]
