"""The data that flows between layers: decks, cards, reviews.

Card identity is ``<deck slug>/<normalized term>`` so that editing a definition,
reordering a deck or re-importing it keeps every card's history attached.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from trainer.core.scheduler import Phase
from trainer.core.sm2 import SM2, SM2State


class Direction(StrEnum):
    """Which side is shown first: the term (forward) or the definition (reverse)."""

    FORWARD = "forward"
    REVERSE = "reverse"


class Mode(StrEnum):
    STUDY = "study"
    DRILL = "drill"
    QUIZ = "quiz"


#: Modes whose answers move the SM-2 state; drills never do.
SCHEDULING_MODES = frozenset({Mode.STUDY, Mode.QUIZ})
#: Modes whose answers count in new-card and retention statistics. Quiz answers do
#: not: only the wrong ones are logged (right ones leave the schedule alone), so
#: counting them would count a quiz's failures and none of its successes.
RETENTION_MODES = frozenset({Mode.STUDY})


def normalize_term(term: str) -> str:
    """Fold case, width and spacing so trivially different spellings collide.

    Imports call this for every term, so the common case is kept cheap: ASCII is
    already NFKC-normal and its ``casefold`` is ``lower``, and ``str.split``
    breaks on exactly the characters the regex ``\\s`` matches.
    """
    folded = term.lower() if term.isascii() else unicodedata.normalize("NFKC", term).casefold()
    return " ".join(folded.split())


def slugify(name: str) -> str:
    """A file-name- and URL-safe deck slug."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug or "deck"


def card_id(deck_slug: str, term: str) -> str:
    return f"{deck_slug}/{normalize_term(term)}"


class _KeptIdentity:
    """``Card.identity``: computed on the first read, then kept in the card's
    ``__dict__`` under the same name (the fields never change).

    A descriptor without ``__set__`` gives way to the instance's ``__dict__``,
    so every later read is a plain attribute read, with no call: an import of
    100k cards reads each identity several times (the store's rows, the deck's
    checks). ``Card.plain`` puts it there from the start. (A property that
    looked in ``__dict__`` cost a Python call per read; ``cached_property``
    takes a lock on each first read in Python 3.11.)
    """

    def __get__(self, card: Card, owner: type | None = None) -> str:
        identity: str = card._identity()
        card.__dict__["identity"] = identity
        return identity


@dataclass(frozen=True)
class Card:
    term: str
    definition: str
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    example: str | None = None
    line: int | None = None
    #: explicit identity (``id:`` in the deck file), kept when a card is renamed
    key: str | None = None
    #: the Anki note this card came from (``guid:``), so exports update that note
    guid: str | None = None
    #: a cloze card: the deck file's ``cloze:`` text and the gap number this card
    #: studies (term and definition are then that gap's question and answer)
    cloze: str | None = None
    cloze_number: int | None = None
    #: the directions this card studies when not its deck's (``directions:``);
    #: a cloze card studies its gap forward only
    directions: tuple[Direction, ...] | None = None

    #: The normalized key the card's id is made of (see ``_KeptIdentity``).
    identity = _KeptIdentity()

    def _identity(self) -> str:
        if self.cloze is not None:
            from trainer.core.cloze import strip

            return f"{normalize_term(self.key or strip(self.cloze))} #c{self.cloze_number}"
        return normalize_term(self.key or self.term)

    def id_in(self, deck_slug: str) -> str:
        return f"{deck_slug}/{self.identity}"

    @classmethod
    def plain(
        cls,
        term: str,
        definition: str,
        aliases: tuple[str, ...],
        tags: tuple[str, ...],
        identity: str,
        example: str | None = None,
        guid: str | None = None,
    ) -> Card:
        """A card of a term, definition, aliases, tags (and an imported note's example
        and GUID), its ``identity`` already known.

        ``identity`` must be ``normalize_term(term)``: an import has folded every
        term once to find duplicates. Built without the dataclass ``__init__``,
        which sets each of the eleven fields through ``object.__setattr__`` (a
        frozen dataclass): that was a third of turning 100k glossary entries into
        a deck. The instance is the same as ``Card(term, definition, aliases, tags)``.
        """
        card = object.__new__(cls)
        fields = _PLAIN_CARD.copy()
        fields["term"] = term
        fields["definition"] = definition
        fields["aliases"] = aliases
        fields["tags"] = tags
        fields["example"] = example
        fields["guid"] = guid
        fields["identity"] = identity
        object.__setattr__(card, "__dict__", fields)
        return card


#: Every field of a Card at its default: what ``Card.plain`` starts from.
_PLAIN_CARD: dict[str, object] = dict(Card(term="", definition="").__dict__)


def plain_cards(
    terms: Sequence[str],
    definitions: Sequence[str],
    aliases: Sequence[tuple[str, ...]],
    tags: Sequence[tuple[str, ...]],
    identities: Sequence[str],
) -> list[Card]:
    """``Card.plain`` of each term, definition, aliases, tags and identity, in one loop.

    For a whole glossary: the call of ``Card.plain`` per card was a third of
    building 100k of them.
    """
    new, set_fields, blank = object.__new__, object.__setattr__, _PLAIN_CARD
    cards = []
    for term, definition, own_aliases, own_tags, identity in zip(
        terms, definitions, aliases, tags, identities, strict=True
    ):
        card = new(Card)
        fields = blank.copy()
        fields["term"] = term
        fields["definition"] = definition
        fields["aliases"] = own_aliases
        fields["tags"] = own_tags
        fields["identity"] = identity
        set_fields(card, "__dict__", fields)
        cards.append(card)
    return cards


@dataclass(frozen=True)
class Deck:
    slug: str
    name: str
    cards: tuple[Card, ...]
    description: str = ""
    #: lines of imported cards still waiting for a term (``missing_term: true``)
    drafts: tuple[int, ...] = ()
    #: the definitions of those cards, in file order: Browse lists them (``is:missing``)
    missing: tuple[str, ...] = ()
    source: str = ""
    tags: tuple[str, ...] = ()
    directions: tuple[Direction, ...] = (Direction.FORWARD,)


@dataclass(frozen=True)
class ReviewRecord:
    """One row of the append-only review log, as the core sees it."""

    id: str
    card_id: str
    direction: Direction
    answered_at: dt.datetime
    day: dt.date
    grade: int
    mode: Mode
    response_ms: int | None
    before: SM2State
    after: SM2State


@dataclass(frozen=True)
class CardStatus:
    """A card with its scheduling state in one direction: what queues and stats read."""

    card_id: str
    deck: str
    direction: Direction
    state: SM2State = field(default_factory=SM2State)
    retired: bool = False
    suspended: bool = False


@dataclass(frozen=True)
class BrowseRow:
    """One card in one direction (that direction's schedule only), or a draft: an
    imported card still waiting for its term (``missing_term``, no direction)."""

    card_id: str
    deck: str
    term: str
    definition: str
    suspended: bool
    leech: bool
    repetitions: int | None
    interval: int | None
    easiness: float | None
    lapses: int | None
    due: dt.date | None
    #: FSRS's probability of recall today (the weakest direction); None under SM-2
    recall: float | None = None
    direction: Direction | None = None
    missing_term: bool = False

    @property
    def key(self) -> str:
        """Unique per row: a card shows once per direction."""
        return f"{self.card_id}|{self.direction}" if self.direction else self.card_id

    @property
    def state(self) -> str:
        """New, learning, young or mature, by SM-2's reading of the row's state."""
        if self.missing_term:
            return "missing"
        if self.repetitions is None:
            return Phase.NEW.value
        state = SM2State(self.repetitions, self.easiness or 0.0, self.interval or 0, self.due)
        return SM2().phase(state).value
