"""Validation of a deck document into a ``Deck``.

The YAML reader (``trainer.app.deckfile``) hands over plain dicts and lists whose
mappings carry a ``line`` attribute; this module checks shape and content and
turns every problem into a ``DeckError`` that names the file and line, so a
user can fix a hand-edited deck without guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainer.core import cloze
from trainer.core.model import Card, Deck, Direction, normalize_term
from trainer.errors import TrainerError

KNOWN_DECK_KEYS = {"name", "description", "source", "tags", "directions", "cards"}
KNOWN_CARD_KEYS = {
    "term",
    "definition",
    "aliases",
    "tags",
    "example",
    "id",
    "guid",
    "missing_term",
    "cloze",
    "extra",
    "directions",
}


class DeckError(TrainerError, ValueError):
    """A deck file that cannot be used, with where and why."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")


class LineDict(dict[str, Any]):
    """A mapping of a deck document that knows the 1-based line it starts on."""

    line: int | None = None


def line_of(node: object) -> int | None:
    return getattr(node, "line", None)


def deck_from_data(data: Any, slug: str, source: str) -> Deck:
    """Build a Deck from a parsed document, or raise DeckError."""
    if not isinstance(data, Mapping):
        raise DeckError(source, line_of(data), "a deck must be a mapping with a 'cards' list")
    unknown = sorted(str(key) for key in data if key not in KNOWN_DECK_KEYS)
    if unknown:
        raise DeckError(source, line_of(data), f"unknown deck key {unknown[0]!r}")
    cards_node = data.get("cards")
    if cards_node is None:
        raise DeckError(source, line_of(data), "missing 'cards': a deck needs a list of cards")
    if not isinstance(cards_node, list):
        raise DeckError(source, line_of(data), "'cards' must be a list")
    cards: list[Card] = []
    drafts: list[int] = []
    missing: list[str] = []
    for index, node in enumerate(cards_node, start=1):
        if _is_draft(node):
            drafts.append(line_of(node) or index)
            definition = node.get("definition")
            missing.append(definition.strip() if isinstance(definition, str) else "")
        elif isinstance(node, Mapping) and "cloze" in node:
            cards.extend(_cloze_cards(node, index, source))
        else:
            cards.append(_card(node, index, source))
    _check_duplicates(cards, source)
    name = _optional_text(data, "name", source) or slug
    return Deck(
        slug=slug,
        name=name,
        cards=tuple(cards),
        drafts=tuple(drafts),
        missing=tuple(missing),
        description=_optional_text(data, "description", source) or "",
        source=_optional_text(data, "source", source) or "",
        tags=_text_list(data, "tags", source),
        directions=_directions(data, source),
    )


def _is_draft(node: Any) -> bool:
    """An imported card whose term could not be recovered, waiting for the user.

    ``trainer import`` writes such cards with ``missing_term: true`` and an empty
    term; they are skipped (and counted) until the user fills the term in, so one
    unfinished card does not make the whole deck unusable.
    """
    if not isinstance(node, Mapping) or node.get("missing_term") is not True:
        return False
    term = node.get("term")
    return term is None or (isinstance(term, str) and not term.strip())


def _card(node: Any, index: int, source: str) -> Card:
    line = line_of(node)
    if not isinstance(node, Mapping):
        raise DeckError(source, line, f"card {index} must be a mapping with term and definition")
    if not KNOWN_CARD_KEYS.issuperset(node):  # the set test first: 100k cards pass it
        unknown = sorted(str(key) for key in node if key not in KNOWN_CARD_KEYS)
        raise DeckError(source, line, f"card {index}: unknown key {unknown[0]!r}")
    term = _required_text(node, "term", index, source)
    definition = _required_text(node, "definition", index, source)
    return Card(
        term=term,
        definition=definition,
        aliases=_text_list(node, "aliases", source),
        tags=_text_list(node, "tags", source),
        example=_optional_text(node, "example", source),
        line=line,
        key=_optional_text(node, "id", source) or None,
        guid=_optional_text(node, "guid", source) or None,
        directions=_directions(node, source) if "directions" in node else None,
    )


def _cloze_cards(node: Mapping[str, Any], index: int, source: str) -> list[Card]:
    """One card per gap number of a ``cloze:`` entry (its ``extra`` shows with the answer)."""
    line = line_of(node)
    unknown = sorted(str(key) for key in node if key not in KNOWN_CARD_KEYS)
    if unknown:
        raise DeckError(source, line, f"card {index}: unknown key {unknown[0]!r}")
    for key in ("term", "definition", "aliases", "example", "directions"):
        if key in node:
            raise DeckError(source, line, f"card {index}: a cloze card has no {key!r}")
    text = _required_text(node, "cloze", index, source)
    numbers = cloze.numbers(text)
    if not numbers:
        raise DeckError(
            source, line, f"card {index}: the cloze has no gap such as {{{{c1::answer}}}}"
        )
    extra = _optional_text(node, "extra", source)
    tags = _text_list(node, "tags", source)
    key = _optional_text(node, "id", source) or None
    guid = _optional_text(node, "guid", source) or None
    return [
        Card(
            term=cloze.question(text, number),
            definition=cloze.reveal(text, number),
            tags=tags,
            example=extra,
            line=line,
            key=key,
            guid=guid,
            cloze=text,
            cloze_number=number,
            directions=(Direction.FORWARD,),
        )
        for number in numbers
    ]


def _required_text(node: Mapping[str, Any], key: str, index: int, source: str) -> str:
    value = node.get(key)
    if type(value) is str and (text := value.strip()):  # the usual case, checked first
        return text
    if value is None:
        raise DeckError(source, line_of(node), f"card {index} has no {key}")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DeckError(source, line_of(node), f"card {index}: {key} must be text")
    text = str(value).strip()
    if not text:
        raise DeckError(source, line_of(node), f"card {index} has an empty {key}")
    return text


def _optional_text(node: Mapping[str, Any], key: str, source: str) -> str | None:
    value = node.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DeckError(source, line_of(node), f"'{key}' must be text")
    return str(value).strip() or None  # a blank value is no value: files never write one


def _text_list(node: Mapping[str, Any], key: str, source: str) -> tuple[str, ...]:
    value = node.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(item, str | int | float) and not isinstance(item, bool) for item in value
    ):
        raise DeckError(source, line_of(node), f"'{key}' must be a list of text")
    return tuple(text for item in value if (text := str(item).strip()))


def _directions(data: Mapping[str, Any], source: str) -> tuple[Direction, ...]:
    names = _text_list(data, "directions", source)
    if not names:
        return (Direction.FORWARD,)
    try:
        directions = tuple(dict.fromkeys(Direction(name) for name in names))
    except ValueError:
        allowed = ", ".join(d.value for d in Direction)
        raise DeckError(
            source, line_of(data), f"'directions' must list {allowed}; got {list(names)}"
        ) from None
    return directions


def _check_duplicates(cards: list[Card], source: str) -> None:
    """Two cards may share neither a term nor an identity (``id:`` or term).

    A cloze entry's cards share their text, not their terms (each hides its gap).
    """
    term_keys = [normalize_term(card.term) for card in cards]
    # a card's identity is its normalized key or term; normalizing ASCII twice
    # changes nothing, so a term's key is reused for the (usual) plain card without id
    identity_keys = [
        term_key
        if card.key is None and card.cloze is None and card.term.isascii()
        else normalize_term(card.identity)
        for card, term_key in zip(cards, term_keys, strict=True)
    ]
    for attribute, keys in (("term", term_keys), ("identity", identity_keys)):
        seen: dict[str, Card] = {}
        for card, key in zip(cards, keys, strict=True):
            if key in seen:
                first = seen[key]
                what = "term" if attribute == "term" else "card id"
                raise DeckError(
                    source,
                    card.line,
                    f"duplicate {what} {getattr(card, attribute)!r} (first at line {first.line})",
                )
            seen[key] = card
