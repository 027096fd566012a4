"""``normalize_term`` has a fast path; it must fold exactly like the plain definition.

Card ids are built from it, so one differing character would orphan a card's
history. The reference below is the original implementation, kept verbatim.
"""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from trainer.core.model import Card, normalize_term


def fullwidth(ascii_text: str) -> str:
    """The fullwidth forms of ASCII letters, written out so the source stays ASCII."""
    return "".join(chr(ord(char) + 0xFEE0) for char in ascii_text)


def reference(term: str) -> str:
    """The original definition: NFKC, casefold, then collapse ``\\s`` runs."""
    folded = unicodedata.normalize("NFKC", term).casefold()
    return re.sub(r"\s+", " ", folded).strip()


TRICKY = {
    "empty": "",
    "spaces only": "   ",
    "ascii": "Learning Rate",
    "ascii mixed spacing": " \tLearning \n\r Rate\x0b\x0c ",
    "ascii separators": "a\x1cb\x1dc\x1ed\x1fe",
    "nbsp": "learning\u00a0rate",
    "narrow nbsp and figure space": "a\u202fb\u2007c",
    "ideographic space": "\u3000a\u3000b\u3000",
    "line and paragraph separators": "a\u2028b\u2029c",
    "next line": "a\x85b",
    "zero width space is not a space": "a\u200bb",
    "fullwidth": f"{fullwidth('LEARNING')}\u3000{fullwidth('RATE')}",
    "combining acute": "Cafe\u0301",
    "precomposed acute": "Café",
    "sharp s": "Straße",
    "capital sharp s": "STRAẞE",
    "final sigma": "ΟΔΟΣ",
    "ligature": "ﬁne-tuning",
    "superscript": "x²",
    "roman numeral": "Ⅻ",
    "dotted capital i": "İstanbul",
    "turkish dotless i": "\u0131",
    "kelvin sign": "\u212a",
    "tabs and newlines": "a\tb\nc\r\nd",
    "ascii control": "a\x00b\x7f",
    "bom": "\ufeffterm",
}


@pytest.mark.parametrize("term", TRICKY.values(), ids=TRICKY.keys())
def test_tricky_terms_fold_like_the_reference(term: str) -> None:
    assert normalize_term(term) == reference(term)


@settings(max_examples=2000, deadline=None)
@given(st.text() | st.text(alphabet=st.characters(max_codepoint=127)))
@example("\u00a0A\u3000b ")
def test_any_text_folds_like_the_reference(term: str) -> None:
    assert normalize_term(term) == reference(term)


def test_str_split_breaks_on_exactly_the_regex_whitespace() -> None:
    """The fast path's one assumption about Unicode, checked for every code point."""
    space = re.compile(r"\s")
    differing = [
        code
        for code in range(sys.maxunicode + 1)
        if bool(space.fullmatch(chr(code))) != (len(f"a{chr(code)}a".split()) == 2)
    ]
    assert differing == []


def test_ascii_needs_no_nfkc_and_casefolds_as_lower() -> None:
    for code in range(128):
        char = chr(code)
        assert unicodedata.normalize("NFKC", char) == char
        assert char.casefold() == char.lower()


def test_card_identity_uses_the_key_before_the_term() -> None:
    assert Card(fullwidth("Term"), "d").id_in("deck") == "deck/term"
    assert Card("Renamed", "d", key=" Old\u00a0Name ").identity == "old name"
