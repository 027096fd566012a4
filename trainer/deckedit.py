"""Editing deck files in place without destroying what the user wrote.

Edits go through ruamel.yaml's round-trip mode, which keeps comments, key
order, quoting and block layout, so a deck someone maintains by hand stays
theirs after a change made from the TUI. A renamed card gets an ``id:`` with
its old identity, which keeps its review history attached.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.core.deck import DeckError
from trainer.core.model import Card, normalize_term
from trainer.files import write_atomically


class DeckEditError(ValueError):
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


def _load(path: Path) -> tuple[Any, Any]:
    yaml = _yaml()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise DeckEditError(f"{path}: cannot read: {error.strerror}") from None
    try:
        document = yaml.load(text)
    except Exception as error:  # ruamel raises many unrelated classes for bad YAML
        raise DeckEditError(f"{path}: cannot edit a deck that does not parse: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("cards"), list):
        raise DeckEditError(f"{path}: not a deck (no 'cards' list)")
    return yaml, document


def _save(yaml: Any, document: Any, path: Path) -> None:
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    try:
        write_atomically(path, buffer.getvalue())
    except OSError as error:
        raise DeckEditError(f"{path}: cannot write: {error.strerror}") from None


def _identity(node: Any) -> str:
    key = node.get("id") or node.get("term") or ""
    return normalize_term(str(key))


def _find(document: Any, identity: str, path: Path) -> Any:
    for node in document["cards"]:
        if isinstance(node, dict) and _identity(node) == identity:
            return node
    raise DeckEditError(f"{path}: no card {identity!r}")


def _set_list(node: Any, key: str, values: tuple[str, ...]) -> None:
    if values:
        from ruamel.yaml.comments import CommentedSeq

        seq = CommentedSeq(list(values))
        seq.fa.set_flow_style()
        node[key] = seq
    elif key in node:
        del node[key]


def _check_unique(document: Any, edit: CardEdit, identity: str | None, path: Path) -> None:
    wanted = normalize_term(edit.term)
    for node in document["cards"]:
        if not isinstance(node, dict) or (identity and _identity(node) == identity):
            continue
        if normalize_term(str(node.get("term") or "")) == wanted or _identity(node) == wanted:
            raise DeckEditError(f"{path}: a card {edit.term!r} already exists")


def edit_card(path: Path, identity: str, edit: CardEdit) -> str:
    """Change one card in place; returns the card's (unchanged) identity."""
    edit.check()
    yaml, document = _load(path)
    node = _find(document, identity, path)
    _check_unique(document, edit, identity, path)
    if normalize_term(edit.term) != identity and "id" not in node:
        node.insert(0, "id", identity)
    node["term"] = edit.term.strip()
    node["definition"] = edit.definition.strip()
    _set_list(node, "aliases", tuple(a.strip() for a in edit.aliases if a.strip()))
    _set_list(node, "tags", tuple(t.strip() for t in edit.tags if t.strip()))
    _save(yaml, document, path)
    return identity


def add_card(path: Path, edit: CardEdit) -> str:
    """Append a card to a deck file; returns its identity."""
    edit.check()
    yaml, document = _load(path)
    _check_unique(document, edit, None, path)
    from ruamel.yaml.comments import CommentedMap

    node = CommentedMap()
    node["term"] = edit.term.strip()
    node["definition"] = edit.definition.strip()
    _set_list(node, "aliases", tuple(a.strip() for a in edit.aliases if a.strip()))
    _set_list(node, "tags", tuple(t.strip() for t in edit.tags if t.strip()))
    document["cards"].append(node)
    _save(yaml, document, path)
    return normalize_term(edit.term)


def card_line(path: Path, identity: str) -> int:
    """The 1-based line where a card starts, for opening an editor there."""
    _, document = _load(path)
    for node in document["cards"]:
        if isinstance(node, dict) and _identity(node) == identity:
            return node.lc.line + 1
    raise DeckEditError(f"{path}: no card {identity!r}")


def edit_from_card(card: Card) -> CardEdit:
    return CardEdit(card.term, card.definition, card.aliases, card.tags)


__all__ = ["CardEdit", "DeckEditError", "DeckError", "add_card", "card_line", "edit_card"]
