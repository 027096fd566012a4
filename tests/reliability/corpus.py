"""A corpus of hostile and broken user files, generated at test time (nothing large is committed).

Each entry says what a correct program does with it: ``error`` is a fragment
the one-line message must contain, or ``None`` when the file is fine and must
load. Generators take a scratch folder (for side-effect markers) and return
bytes; the big ones are built once per session by the tests' fixtures.
"""

from __future__ import annotations

import codecs
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Make = Callable[[Path], bytes]

GOOD_DECK = """\
name: Good deck
description: A deck that is fine.
cards:
  - term: Alpha
    definition: The first letter.
  - term: Beta
    definition: The second letter.
"""

#: Terms and definitions that look like markup or terminal control, written as
#: YAML escapes (a raw ESC byte is not allowed in a YAML stream at all).
HOSTILE_TEXT_DECK = r"""name: "Hostile text"
cards:
  - term: "[bold red]Alert[/bold red]"
    definition: "[link=https://x]click me[/link]"
  - term: "\e[31mRed\e[0m"
    definition: "Clears the screen: \e[2J\e[H and rings \a"
  - term: "[/]closing tag"
    definition: "[bold unbalanced"
"""

HOSTILE_TERMS = {
    "[bold red]Alert[/bold red]": "[link=https://x]click me[/link]",
    "\x1b[31mRed\x1b[0m": "Clears the screen: \x1b[2J\x1b[H and rings \x07",
    "[/]closing tag": "[bold unbalanced",
}


@dataclass(frozen=True)
class Entry:
    name: str
    make: Make
    #: a fragment of the expected one-line error; None: the file must load
    error: str | None
    suffix: str = ".yaml"


def text(value: str) -> Make:
    return lambda _: value.encode("utf-8")


def raw(value: bytes) -> Make:
    return lambda _: value


def seeded_bytes(size: int, seed: int, *, nul: bool) -> bytes:
    rng = random.Random(seed)
    data = bytearray(rng.randrange(0 if nul else 1, 256) for _ in range(size))
    if nul:
        data[10] = 0
    return bytes(data)


def python_object_tag(scratch: Path) -> bytes:
    marker = scratch / "PWNED"
    return (
        "name: Evil\ncards:\n"
        f"  - term: !!python/object/apply:os.system ['touch {marker}']\n"
        "    definition: runs a command if loaded unsafely\n"
    ).encode()


def billion_laughs(_: Path) -> bytes:
    """Nine levels of nine aliases each: 9**9 strings if anything expanded them."""
    levels = ['&a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"&a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    tags = ", ".join(levels)
    return f"name: Laughs\ncards:\n  - term: x\n    definition: y\n    tags: [{tags}]\n".encode()


def many_aliases(_: Path) -> bytes:
    """Tens of thousands of aliases of one small anchor: cheap to write, slow to expand."""
    tags = ", ".join(["*t"] * 50_000)
    return (
        "name: Aliases\ncards:\n  - term: x\n    definition: y\n    tags: &t [a]\n"
        f"  - term: z\n    definition: w\n    aliases: [{tags}]\n"
    ).encode()


def few_aliases(_: Path) -> bytes:
    """Anchors and aliases as a hand-written deck uses them: fine."""
    return (
        b"name: Shared tags\ncards:\n"
        b"  - {term: a, definition: b, tags: &t [greek, letters]}\n"
        b"  - {term: c, definition: d, tags: *t}\n"
    )


def mb_definition(_: Path) -> bytes:
    definition = ("lorem ipsum dolor " * 60_000)[:1_000_000]
    return f"name: Long\ncards:\n  - term: Long one\n    definition: {definition}\n".encode()


def deck_of_size(size: int) -> bytes:
    """A valid deck of about ``size`` bytes: 2,000 cards with long definitions."""
    cards = 2_000
    definition = ("spaced repetition " * (size // cards // 18 + 1))[: size // cards - 40]
    body = "".join(f"  - term: Term {n}\n    definition: {definition}\n" for n in range(cards))
    return f"name: Fifty megabytes\ncards:\n{body}".encode()


DECKS: list[Entry] = [
    Entry("malformed-yaml", text("name: [unclosed\ncards:\n  - term: a\n"), "YAML syntax error"),
    Entry("tab-indented", text("cards:\n\t- term: a\n\t  definition: b\n"), "YAML"),
    Entry("python-object-tag", python_object_tag, "python/object"),
    Entry("python-name-tag", text("name: !!python/name:os.system\ncards: []\n"), "python/name"),
    Entry("billion-laughs", billion_laughs, "YAML aliases expand to more than"),
    Entry("many-aliases", many_aliases, "YAML aliases"),
    Entry("few-aliases", few_aliases, None),
    Entry("deeply-nested", text("cards: " + "[" * 100_000), "YAML"),
    Entry("two-documents", text(GOOD_DECK + "---\n" + GOOD_DECK), "another document"),
    Entry("non-utf8-latin1", raw(b"name: Caf\xe9\ncards: []\n"), "not valid UTF-8"),
    Entry("utf16", raw(codecs.BOM_UTF16_LE + GOOD_DECK.encode("utf-16-le")), "binary"),
    Entry("utf8-bom", raw(codecs.BOM_UTF8 + GOOD_DECK.encode()), None),
    Entry("crlf", text(GOOD_DECK.replace("\n", "\r\n")), None),
    Entry("cr-only", text(GOOD_DECK.replace("\n", "\r")), None),
    Entry("empty", raw(b""), "must be a mapping"),
    Entry("whitespace-only", text("   \n\n  \n"), "must be a mapping"),
    Entry("binary-with-nul", raw(seeded_bytes(4096, 1, nul=True)), "binary"),
    Entry("binary-png", raw(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)), "binary"),
    Entry("binary-no-nul", raw(seeded_bytes(4096, 2, nul=False)), "not valid UTF-8"),
    Entry("nul-after-8k", text(GOOD_DECK + "#" * 9000 + "\x00\n"), "U+0000"),
    Entry("raw-escape-byte", text("cards:\n  - term: \x1b[31mred\n    definition: d\n"), "U+001B"),
    Entry("scalar-document", text("just a sentence\n"), "must be a mapping"),
    Entry("list-document", text("- term: a\n  definition: b\n"), "must be a mapping"),
    Entry("cards-not-a-list", text("name: x\ncards: 5\n"), "'cards' must be a list"),
    Entry("card-not-a-mapping", text("cards:\n  - just text\n"), "card 1 must be a mapping"),
    Entry("unknown-key", text("nmae: typo\ncards: []\n"), "unknown deck key"),
    Entry("unhashable-key", text("? [a, b]\n: c\ncards: []\n"), "YAML"),
    Entry(
        "date-as-term", text("cards:\n  - term: 2024-01-01\n    definition: d\n"), "must be text"
    ),
    Entry(
        "duplicate-terms",
        text("cards:\n  - {term: A, definition: x}\n  - {term: a, definition: y}\n"),
        "duplicate term",
    ),
    Entry("whitespace-terms", text('cards:\n  - term: "   "\n    definition: d\n'), "empty term"),
    Entry(
        "unicode-space-terms",
        text('cards:\n  - term: "\\u3000\\u00a0\\t"\n    definition: d\n'),
        "empty term",
    ),
    Entry(
        "whitespace-definition",
        text('cards:\n  - term: T\n    definition: "\\n\\n "\n'),
        "empty definition",
    ),
    Entry("markup-and-ansi", text(HOSTILE_TEXT_DECK), None),
    Entry("one-mb-definition", mb_definition, None),
    Entry("no-cards", text("name: Nothing yet\ncards: []\n"), None),
]

# ------------------------------------------------------------------ glossaries
TSV = "Term\tDefinition\nAlpha\tThe first letter.\nBeta\tThe second letter.\n"

GLOSSARIES: list[Entry] = [
    Entry("empty", raw(b""), "empty", ".txt"),
    Entry("whitespace-only", text(" \n\t\n  "), "empty", ".txt"),
    Entry("binary-with-nul", raw(seeded_bytes(4096, 3, nul=True)), "binary", ".tsv"),
    Entry("binary-no-nul", raw(seeded_bytes(4096, 4, nul=False)), "not valid UTF-8", ".csv"),
    Entry(
        "non-utf8-latin1", raw(b"Term\tDefinition\nCaf\xe9\tA place.\n"), "not valid UTF-8", ".tsv"
    ),
    Entry("utf16", raw(codecs.BOM_UTF16_LE + TSV.encode("utf-16-le")), "binary", ".tsv"),
    Entry("utf8-bom", raw(codecs.BOM_UTF8 + TSV.encode()), None, ".tsv"),
    Entry("crlf-csv", text("term,definition\r\nAlpha,First.\r\nBeta,Second.\r\n"), None, ".csv"),
    Entry("cr-only-markdown", text("**Alpha**: First.\r**Beta**: Second.\r"), None, ".md"),
    Entry(
        "blocks",
        text("Alpha\nDefinition\nThe first letter.\nBeta\nDefinition\nThe second.\n"),
        None,
        ".txt",
    ),
    Entry(
        "unclosed-quote-csv",
        text('term,definition\nAlpha,"never closed\nBeta,Second.\n'),
        None,
        ".csv",
    ),
    Entry(
        "no-structure",
        text("Just some prose.\nNothing that looks like a glossary.\n"),
        "glossary",
        ".txt",
    ),
    Entry(
        "whitespace-terms",
        text("Term\tDefinition\n   \tFirst.\n\u3000\u00a0\tSecond.\n"),
        "no entry has a term",
        ".tsv",
    ),
    Entry(
        "yaml-tags-as-text", text("**!!python/object/apply:os.system**: ['touch x']\n"), None, ".md"
    ),
    Entry(
        "markup-and-ansi",
        text("Term\tDefinition\n" + "".join(f"{t}\t{d}\n" for t, d in HOSTILE_TERMS.items())),
        None,
        ".tsv",
    ),
    # Python's csv module refuses fields over 131,072 characters; it must say so in one line.
    Entry(
        "one-mb-definition-tsv",
        text("Term\tDefinition\nLong\t" + "lorem ipsum " * 85_000 + "\n"),
        "field larger than field limit",
        ".tsv",
    ),
    Entry("one-mb-definition-md", text("**Long**: " + "lorem ipsum " * 85_000 + "\n"), None, ".md"),
]

# -------------------------------------------------------------------- settings
SETTINGS: list[Entry] = [
    Entry("malformed", text("new_per_day = \n"), "invalid value", ".toml"),
    Entry("non-utf8", raw(b'timezone = "Caf\xe9"\n'), "not valid UTF-8", ".toml"),
    Entry("binary", raw(seeded_bytes(2048, 5, nul=True)), "not valid UTF-8", ".toml"),
    Entry("yaml-instead", text("new_per_day: 10\n!!python/object:x {}\n"), "expected '='", ".toml"),
    Entry(
        "deeply-nested",
        text("a = " + "[" * 50_000 + "]" * 50_000 + "\n"),
        "nested too deeply",
        ".toml",
    ),
    Entry("unknown-key", text("new_per_dya = 10\n"), "unknown setting 'new_per_dya'", ".toml"),
    Entry("word-for-number", text('new_per_day = "lots"\n'), "new_per_day must be", ".toml"),
    Entry("out-of-range", text("rollover_hour = 99\n"), "rollover_hour must be", ".toml"),
    Entry("infinite", text("new_per_day = inf\n"), "new_per_day must be", ".toml"),
    Entry("fraction", text("reviews_per_day = 1.5\n"), "reviews_per_day must be", ".toml"),
    Entry("unknown-zone", text('timezone = "Mars/Olympus_Mons"\n'), "unknown timezone", ".toml"),
    Entry("zone-path", text('timezone = "../../../etc/passwd"\n'), "unknown timezone", ".toml"),
    Entry("zone-escape", text('timezone = "\\u001b[31m"\n'), "unknown timezone", ".toml"),
    Entry(
        "bad-directions", text('[decks.small]\ndirections = "sideways"\n'), "directions", ".toml"
    ),
    Entry("decks-not-table", text('decks = "all"\n'), "[decks]", ".toml"),
    Entry("utf8-bom", raw(codecs.BOM_UTF8 + b"new_per_day = 5\n"), None, ".toml"),
    Entry("crlf", text("new_per_day = 5\r\nrollover_hour = 3\r\n"), None, ".toml"),
    Entry("empty", raw(b""), None, ".toml"),
    Entry("big-comment", text("# " + "x" * 1_000_000 + "\nnew_per_day = 5\n"), None, ".toml"),
]
