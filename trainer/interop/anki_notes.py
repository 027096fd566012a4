"""What trainer and Anki agree on for a note: names, identities and fingerprints.

Both directions of the Anki bridge need the same answers, so they live here:

- **Deck names.** Anki nests decks with ``::``; a trainer deck imported from
  ``Parent::Child`` is named "Parent / Child". ``anki_deck_name`` maps a trainer
  name to Anki's form, so that exporting "Parent / Child" (or a deck literally
  named "Parent::Child") gives Anki's nested deck, and importing it again finds
  the trainer deck it came from instead of making another.
- **Note GUIDs.** An imported note keeps Anki's GUID (``guid:`` in the deck
  file); every other card gets one derived from its identity, as genanki does
  (base91 of the first 64 bits of a SHA-256), so exporting twice names the same
  notes and never duplicates them in Anki.
- **Fingerprints.** A digest of a card's content as the trainer holds it, kept
  for every imported note, tells a later import whether the trainer side was
  edited since (see ``trainer.interop.anki_import``).
"""

from __future__ import annotations

import hashlib
import re

from trainer.core.model import Card

__all__ = ["anki_deck_name", "card_digest", "note_guid", "trainer_deck_name"]

_BASE91 = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
)
_SEPARATORS = re.compile(r"\s*::\s*|\s+/\s+")


def anki_deck_name(name: str) -> str:
    """A trainer deck name in Anki's form: " / " and "::" both nest."""
    parts = [part.strip() for part in _SEPARATORS.split(name) if part.strip()]
    return "::".join(parts) or "Default"


def trainer_deck_name(anki_name: str) -> str:
    """How an Anki deck name reads in trainer: its levels joined by " / "."""
    parts = [part.strip() for part in anki_name.split("::") if part.strip()]
    return " / ".join(parts) or "Anki deck"


def note_guid(*parts: str) -> str:
    """A GUID in Anki's base91 alphabet from a SHA-256 of ``parts``.

    ``note_guid("trainer", card_id)`` equals genanki's ``guid_for`` of the same
    values, which earlier trainer exports used: notes exported then update.
    """
    digest = hashlib.sha256("__".join(parts).encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big")
    letters = []
    while number:
        number, rest = divmod(number, len(_BASE91))
        letters.append(_BASE91[rest])
    return "".join(reversed(letters))


_blake2b = hashlib.blake2b


def card_digest(card: Card) -> str:
    """A fingerprint of what a user can edit on a card (not its place or identity).

    Parts are joined with separators no deck text holds (YAML refuses them raw).
    A card with only a term and a definition (most of a large import) skips the
    general join.
    """
    if not card.aliases and not card.tags and not card.example:
        return bare_card_digest(card.term, card.definition)
    content = "\x1e".join(
        (
            card.term,
            card.definition,
            "\x1f".join(card.aliases),
            "\x1f".join(card.tags),
            card.example or "",
        )
    )
    return _blake2b(content.encode("utf-8"), digest_size=16).hexdigest()


def bare_card_digest(term: str, definition: str) -> str:
    """``card_digest`` of a card with no aliases, tags or example (for an importer that
    knows this before it has built the card)."""
    content = f"{term}\x1e{definition}\x1e\x1e\x1e"
    return _blake2b(content.encode("utf-8"), digest_size=16).hexdigest()
