"""Browse and ``trainer search`` queries: free words plus Anki-style filters.

``tag:NAME``, ``deck:NAME``, ``is:leech``, ``is:suspended``, ``is:new`` and
``is:missing`` sit beside free text; a value with spaces is written in double
quotes (``deck:"Greek letters"``). Parsing is pure; storage turns the result
into SQL, so filtering stays one query on 100k cards.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.errors import UserError

FLAGS = ("leech", "suspended", "new", "missing")
FIELDS = ("tag", "deck", "is")


class QueryError(UserError):
    """A filter that cannot mean anything (``is:lost``, ``tag:`` with no name)."""


@dataclass(frozen=True)
class SearchQuery:
    words: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    decks: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        """The free words, for the full-text index."""
        return " ".join(self.words)


def split_query(text: str) -> list[str]:
    """Words split on spaces; double quotes keep spaces inside one word (``tag:"a b"``).

    An unclosed quote runs to the end, as someone still typing means it to.
    """
    words: list[str] = []
    current: list[str] = []
    quoted = False
    started = False
    for char in text:
        if char == '"':
            quoted = not quoted
            started = True
        elif char.isspace() and not quoted:
            if started:
                words.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if started:
        words.append("".join(current))
    return words


def parse_query(text: str) -> SearchQuery:
    """Split a query into free words and filters; raises ``QueryError`` on a bad filter."""
    words: list[str] = []
    tags: list[str] = []
    decks: list[str] = []
    flags: set[str] = set()
    for word in split_query(text):
        field, colon, value = word.partition(":")
        field = field.lower()
        if not colon or field not in FIELDS:
            if word:
                words.append(word)
            continue
        value = value.strip()
        if not value:
            raise QueryError(f"{word!r}: {field}: needs a value, as in {field}:{_example(field)}")
        if field == "tag":
            tags.append(value)
        elif field == "deck":
            decks.append(value)
        elif value.lower() in FLAGS:
            flags.add(value.lower())
        else:
            known = ", ".join(f"is:{flag}" for flag in FLAGS)
            raise QueryError(f"{word!r}: unknown filter (known: {known})")
    return SearchQuery(tuple(words), tuple(tags), tuple(decks), frozenset(flags))


def _example(field: str) -> str:
    return {"tag": "verbs", "deck": "greek", "is": "leech"}[field]
