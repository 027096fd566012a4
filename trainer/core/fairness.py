"""Keeping the answer out of the question: masking a card's own names in a text.

A glossary definition often names its own term ("Learning Rate is a training
hyperparameter…", "Low-Rank Adaptation, a parameter-efficient…" for LoRA). Shown
as a question, such a text answers itself. ``mask_names`` blanks every way the
text can name the card:

- the term and each alias, whole words, case-insensitive, hyphen or space alike,
  with a plural ending (``Transformers`` for ``Transformer``);
- the parts of a parenthesised term: "Write-ahead log (WAL)" is also named by
  "Write-ahead log" and "WAL";
- the acronym of a multi-word name ("LoRA", "PEFT" for "Low-Rank Adaptation",
  "Parameter-Efficient Fine-Tuning"): a token whose capitals are the words'
  initials, small words such as "from" or "of" optional;
- the expansion of an acronym name, found in the text itself: a run of words
  whose initials spell the acronym ("Supervised Fine-Tuning" for "SFT");
- in a shown question only, each content word of a multi-word name on its own
  ("how a query is executed" for "Query planner"), since a word shared with
  the answer points at it; ``names_itself`` (what an import counts) leaves
  these out.

Design decisions:

- Pure and stdlib only; the deck text is never changed, only the shown copy.
- ``CardNames`` is computed once per card and reused for every text it masks, so
  quizzes and imports pay for the regular expression once.
- Matching is deliberately generous (a rare over-blanked phrase costs little; a
  leaked answer makes the question worthless).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "BLANK",
    "FUNCTION_WORDS",
    "CardNames",
    "card_names",
    "is_acronym",
    "mask_names",
    "may_name_itself",
    "may_name_their_terms",
    "may_name_themselves",
    "names_itself",
    "word_set",
]

#: What a masked name is replaced with.
BLANK = "_____"
#: Small words an acronym may skip ("Reinforcement Learning from Human Feedback" is RLHF).
SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"}
)
#: Words too common to be a cue: what a guesser counting shared content words skips.
FUNCTION_WORDS = SMALL_WORDS | frozenset(
    {"is", "are", "be", "that", "which", "this", "it", "its", "into", "than", "so", "used"}
)
#: Shorter words of a name are not blanked on their own ("of", "in", "AI").
MIN_OWN_WORD = 3
#: Hyphens and dashes that join the words of a compound, like a space does.
_JOINERS = "-\u2010\u2011\u2012\u2013"
_JOINER_CLASS = re.escape(_JOINERS)
_SEPARATORS = re.compile(rf"[\s{_JOINER_CLASS}]+")
_NAME_WORD = re.compile(rf"[^\s{_JOINER_CLASS}]+")
_TEXT_WORD = re.compile(r"[^\W_]+")
_PARENTHESISED = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*(.*)$")
_PLURAL_ENDINGS = ("", "s", "es")
_TWO_CAPITALS = re.compile(r"[A-Z][^\s]*[A-Z]")
_BLANK_PAIR = re.compile(rf"{BLANK}(?:\s*\(\s*{BLANK}\s*\)|\s*[{_JOINER_CLASS}]\s*{BLANK})+")


def _capitals(token: str) -> str:
    return "".join(ch for ch in token if ch.isupper())


def is_acronym(name: str) -> bool:
    """One token with at least two capitals and no lower-case run longer than the capitals."""
    if any(ch.isspace() for ch in name):
        return False
    capitals = _capitals(name)
    return len(capitals) >= 2 and len(capitals) * 2 > sum(ch.isalpha() for ch in name)


def _initials(name: str) -> tuple[str, ...]:
    """The acronyms a multi-word name abbreviates to: with and without the small words."""
    words = [w for w in _NAME_WORD.findall(name) if w[0].isalpha()]
    if len(words) < 2:
        return ()
    every = "".join(w[0] for w in words).upper()
    content = "".join(w[0] for w in words if w.lower() not in SMALL_WORDS).upper()
    return tuple(dict.fromkeys(i for i in (every, content) if len(i) >= 2))


def _forms(name: str) -> list[str]:
    """A name and the names its parentheses hold: "Write-ahead log (WAL)" gives three."""
    name = " ".join(name.split())
    forms = [name]
    match = _PARENTHESISED.match(name)
    if match:
        before, inside, after = (part.strip() for part in match.groups())
        joined = " ".join(part for part in (before, after) if part)
        if joined:
            forms.append(joined)
        if inside and " " not in inside:
            forms.append(inside)
            if after:
                forms.append(f"{inside} {after}")
    return [form for form in forms if form]


@dataclass(frozen=True)
class CardNames:
    """Every way a text may name one card, prepared for masking."""

    forms: tuple[str, ...]
    #: upper-case letters that spell the card's acronyms ("LRA" for LoRA / Low-Rank Adaptation)
    acronyms: frozenset[str]
    #: acronym names whose expansion is looked for in the text
    expandable: tuple[str, ...]
    #: each form as its folded words, the way a text is split
    word_forms: tuple[tuple[str, ...], ...]
    #: the content words of multi-word names, each blanked on its own in a question
    own_words: tuple[tuple[str, ...], ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        """The names folded for comparison: two cards sharing one may both be right."""
        return frozenset(_fold(form) for form in self.forms)


def _squash(text: str) -> str:
    """Folded, with every run of spaces and hyphens one space: how a name is compared."""
    return " ".join(_SEPARATORS.split(text.casefold())).strip()


def _fold(text: str) -> str:
    return " ".join(_NAME_WORD.findall(text.casefold()))


@lru_cache(maxsize=4096)
def card_names(term: str, aliases: Sequence[str] = ()) -> CardNames:
    """The names of the card ``term`` (with ``aliases``) in every form a text may use."""
    forms: list[str] = []
    for name in (term, *aliases):
        for form in _forms(name):
            if form.casefold() not in (f.casefold() for f in forms):
                forms.append(form)
    acronyms: set[str] = set()
    expandable: list[str] = []
    for form in forms:
        if is_acronym(form):
            acronyms.add(_capitals(form))
            expandable.append(_capitals(form))
        else:
            acronyms.update(_initials(form))
    word_forms = tuple(
        dict.fromkeys(
            words
            for form in forms
            if (words := tuple(_TEXT_WORD.findall(form.casefold())))
            and _squash(form) == " ".join(words)
        )
    )
    own_words = tuple(
        dict.fromkeys(
            (word,)
            for form in word_forms
            if len(form) > 1
            for word in form
            if len(word) >= MIN_OWN_WORD and word.isalpha() and word not in FUNCTION_WORDS
        )
    )
    return CardNames(
        tuple(forms),
        frozenset(acronyms),
        tuple(dict.fromkeys(expandable)),
        word_forms,
        own_words,
    )


def _joined(text: str, words: list[tuple[int, int, str]], index: int) -> bool:
    """Whether word ``index`` follows the one before it with only spaces or hyphens between."""
    return not text[words[index - 1][1] : words[index][0]].strip(_JOINERS + " \t\n\r")


def _name_spans(
    text: str, names: CardNames, forms: tuple[tuple[str, ...], ...] | None = None
) -> Iterable[tuple[int, int]]:
    """Where the text spells one of the names, whole words, the last one maybe plural.

    Plain word comparison rather than one regular expression per card: compiling
    one cost a millisecond, and an import checks every card of a glossary.
    """
    folded = text.casefold()
    wanted = names.word_forms if forms is None else forms
    present = [form for form in wanted if form[0] in folded]  # cheap first
    if not present:
        return
    if text.isascii():  # folding kept every index: look only where a first word occurs
        for form in present:
            yield from _spans_at_occurrences(text, folded, form)
        return
    words = [(m.start(), m.end(), m.group().casefold()) for m in _TEXT_WORD.finditer(text)]
    for form in present:
        first, size = form[0], len(form)
        for start in range(len(words) - size + 1):
            if (size == 1 or words[start][2] == first) and _spells_form(text, words, start, form):
                yield words[start][0], words[start + size - 1][1]


def _spans_at_occurrences(
    text: str, folded: str, form: tuple[str, ...]
) -> Iterable[tuple[int, int]]:
    """``_name_spans`` for one form of an ASCII text, reading words only where it may start."""
    position = folded.find(form[0])
    while position >= 0:
        if position == 0 or not folded[position - 1].isalnum():
            words = [
                (m.start(), m.end(), m.group().casefold())
                for m in itertools.islice(_TEXT_WORD.finditer(text, position), len(form))
            ]
            if len(words) == len(form) and _spells_form(text, words, 0, form):
                yield words[0][0], words[-1][1]
        position = folded.find(form[0], position + 1)


def _spells_form(
    text: str, words: list[tuple[int, int, str]], start: int, form: tuple[str, ...]
) -> bool:
    """Whether the words from ``start`` are ``form``, joined, the last maybe plural."""
    size = len(form)
    if any(words[start + k][2] != form[k] for k in range(size - 1)):
        return False
    last = words[start + size - 1][2]
    if not any(last == form[-1] + ending for ending in _PLURAL_ENDINGS):
        return False
    return all(_joined(text, words, start + k) for k in range(1, size))


def _acronym_spans(text: str, names: CardNames) -> Iterable[tuple[int, int]]:
    """Tokens of ``text`` that are one of the card's acronyms ("LoRA", "LLMs")."""
    if not names.acronyms or not _TWO_CAPITALS.search(text):
        return
    for match in _TEXT_WORD.finditer(text):
        token = match.group()
        if token.islower() or token.isdigit():
            continue
        if is_acronym(token.removesuffix("s")) and _capitals(token) in names.acronyms:
            yield match.span()


def _expansion_spans(text: str, names: CardNames) -> Iterable[tuple[int, int]]:
    """Runs of words whose initials spell one of the card's acronym names.

    A two-letter acronym is spelled by capitalised words only ("Machine
    Learning" for ML, never "most languages"); longer ones in any case.
    """
    if not names.expandable:
        return
    words = [(m.start(), m.end(), m.group()) for m in _TEXT_WORD.finditer(text)]
    for acronym in names.expandable:
        letters = acronym.lower()
        for start in range(len(words)):
            end = _spell(text, words, start, letters)
            if end is not None and (len(letters) > 2 or _capitalised(words[start : end + 1])):
                yield words[start][0], words[end][1]


def _capitalised(run: list[tuple[int, int, str]]) -> bool:
    """Whether every word of the run but the small ones starts with a capital."""
    return all(w[2][0].isupper() for w in run if w[2].lower() not in SMALL_WORDS)


def _spell(text: str, words: list[tuple[int, int, str]], start: int, letters: str) -> int | None:
    """Index of the last word of a run from ``start`` spelling ``letters``, else None.

    Words must follow each other with only spaces or hyphens between them; a
    small word may be skipped; the run starts and ends on a spelling word.
    """
    index, position = start, 0
    while position < len(letters):
        if index >= len(words):
            return None
        if index > start and not _joined(text, words, index):
            return None
        word = words[index][2].lower()
        if word[0] == letters[position] and (position or word not in SMALL_WORDS):
            position += 1
        elif word not in SMALL_WORDS or position == 0:
            return None
        index += 1
    return index - 1


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _spans(text: str, names: CardNames, own_words: bool = False) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = list(_name_spans(text, names))
    if own_words:
        found.extend(_name_spans(text, names, names.own_words))
    found.extend(_acronym_spans(text, names))
    found.extend(_expansion_spans(text, names))
    return _merged(found)


def mask_names(text: str, *cards: CardNames) -> str:
    """``text`` with every name of the given cards shown as ``BLANK``.

    "Write-ahead log (WAL)" in a text becomes one blank, not "_____ (_____)".
    The content words of a multi-word name are blanked on their own too ("how
    a query is executed" for "Query planner"): a question that shares a word
    with its answer points at it as surely as one that names it.
    """
    spans = _merged(span for names in cards for span in _spans(text, names, own_words=True))
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(BLANK)
        last = end
    parts.append(text[last:])
    return _BLANK_PAIR.sub(BLANK, "".join(parts))


def names_itself(text: str, names: CardNames) -> bool:
    """Whether ``text`` names the card: what ``trainer import`` counts."""
    return any(
        True
        for spans in (_name_spans, _acronym_spans, _expansion_spans)
        for _ in spans(text, names)
    )


def word_set(text: str) -> frozenset[str]:
    """The folded words of a text: what a guesser compares options with."""
    return frozenset(word.casefold() for word in _TEXT_WORD.findall(text))


def may_name_itself(text: str, term: str, aliases: Sequence[str] = ()) -> bool:
    """False only when ``names_itself(text, card_names(term, aliases))`` is surely False.

    An import counts self-naming definitions over every card of a glossary, and
    ``card_names`` is most of that cost; most definitions share no word with
    their term. Each of ``names_itself``'s three searches needs something this
    checks without building the names:

    - a spelled name: the first word of one of its forms occurs in the folded
      text, and every form's words are words of the term or an alias (forms are
      cut at spaces and parentheses, never inside a word);
    - an acronym token: two capitals in one run of the text (``_acronym_spans``'
      own first test);
    - an expansion: an acronym name, which has two capitals.
    """
    if _TWO_CAPITALS.search(text):
        return True
    return _shares_a_name_word(text.casefold(), (term, *aliases) if aliases else (term,))


def _shares_a_name_word(folded: str, names: Iterable[str]) -> bool:
    """``may_name_itself`` for a text without two capitals in a run, ``folded`` its casefold."""
    for name in names:
        if not name.islower() and sum(map(str.isupper, name)) >= 2:
            return True
        lowered = name.casefold()
        # a name of letters, digits and spaces is its words; findall only for the rest
        if _plain(lowered):
            words: Iterable[str] = lowered.split()
        else:
            words = _TEXT_WORD.findall(lowered)
        for word in words:
            if word in folded:
                return True
    return False


def _plain(name: str) -> bool:
    """Whether ``name`` is letters, digits and spaces only: then its ``_TEXT_WORD``
    words (runs of ``isalnum`` characters) are ``name.split()``."""
    return name.replace(" ", "").isalnum()


def may_name_themselves(texts: Sequence[str], names: Sequence[Sequence[str]]) -> list[int]:
    """The indexes ``i`` where ``may_name_itself(texts[i], *names[i][:1], names[i][1:])``.

    For a whole import at once: the capitals test runs once over all the texts
    (joined by line breaks, which no match can cross) and they are folded in
    one call (no character folds into a line break), so a card costs only its
    name words' lookups. Texts that hold a line break are checked one by one.
    """
    prepared = _folded_with_capitals(texts)
    if prepared is None:
        return [
            i
            for i, (text, own) in enumerate(zip(texts, names, strict=True))
            if may_name_itself(text, own[0], tuple(own[1:]))
        ]
    folded, capitals = prepared
    found = []
    for i, (text, own) in enumerate(zip(folded, names, strict=True)):
        if i in capitals:
            found.append(i)
        elif len(own) == 1 and own[0].isascii() and own[0].islower() and _plain(own[0]):
            # the usual name, inline: lower-case ASCII, so no capitals and its own
            # casefold; letters, digits and spaces, so its words are its split
            for word in own[0].split():
                if word in text:
                    found.append(i)
                    break
        elif _shares_a_name_word(text, own):
            found.append(i)
    return found


def may_name_their_terms(texts: Sequence[str], terms: Sequence[str]) -> list[int]:
    """``may_name_themselves(texts, [(term,) for term in terms])``: cards without aliases.

    When every term is ASCII, the terms are read as one column too: one
    lower-casing of them all gives every term's words (an ASCII word is a run
    of letters and digits: what a split leaves once every other character is a
    space) and one byte translation the terms with two capitals, so a card
    costs only its words' lookups in its folded text.
    """
    joined = "\n".join(terms)
    prepared = _folded_with_capitals(texts)
    if prepared is None or not joined.isascii() or joined.count("\n") != len(terms) - 1:
        return may_name_themselves(texts, [(term,) for term in terms])
    folded, capitals = prepared
    encoded = joined.encode("ascii")
    words = encoded.lower().translate(_WORDS_AND_BREAKS).decode("ascii").split("\n")
    counts = encoded.translate(None, _NOT_CAPITAL_OR_BREAK).split(b"\n")
    # a name with two capitals may be an acronym: always checked in full
    flagged = capitals.union(i for i, kept in enumerate(counts) if len(kept) >= 2)
    found = []
    for i, (text, own) in enumerate(zip(folded, words, strict=True)):
        if i in flagged:
            found.append(i)
            continue
        for word in own.split():
            if word in text:
                found.append(i)
                break
    return found


def _folded_with_capitals(texts: Sequence[str]) -> tuple[list[str], set[int]] | None:
    """Each text casefolded, and the indexes of those with two capitals in one run;
    None when a text holds a line break (the texts are joined by them)."""
    joined = "\n".join(texts)
    folded = joined.casefold().split("\n")
    if len(folded) != len(texts):
        return None
    return folded, _two_capitals_at(joined, texts)


def _two_capitals_at(joined: str, texts: Sequence[str]) -> set[int]:
    """The indexes of the texts (``joined`` by line breaks) where ``_TWO_CAPITALS`` matches.

    In ASCII, with every capital made ``A``, every other white space a space
    and every other character deleted, two capitals run together exactly where
    ``AA`` remains: a byte search, many times faster than the regex on the text.
    """
    if not joined.isascii():
        starts = list(itertools.accumulate((len(text) + 1 for text in texts), initial=0))
        matches = _TWO_CAPITALS.finditer(joined)
        return {bisect.bisect_right(starts, m.start()) - 1 for m in matches}
    kept = joined.encode("ascii").translate(_CAPITALS_AND_SPACES, _NOT_CAPITAL_OR_SPACE)
    found: set[int] = set()
    index = position = 0
    while (hit := kept.find(b"AA", position)) >= 0:
        index += kept.count(b"\n", position, hit)
        found.add(index)
        position = kept.find(b"\n", hit)
        if position < 0:
            break
    return found


def _capitals_and_spaces(byte: int) -> int:
    if byte == ord("\n") or not chr(byte).isspace():
        return ord("A") if chr(byte).isupper() and byte < 128 else byte
    return ord(" ")


#: The ASCII characters other than capitals and white space (``\s`` in a pattern).
_NOT_CAPITAL_OR_SPACE = bytes(
    b for b in range(128) if not (chr(b).isspace() or "A" <= chr(b) <= "Z")
)
#: The ASCII bytes other than capitals and the line break.
_NOT_CAPITAL_OR_BREAK = bytes(b for b in range(128) if not ("A" <= chr(b) <= "Z" or b == 10))
#: Letters and digits as themselves and line breaks kept; any other byte a space.
_WORDS_AND_BREAKS = bytes(
    b if (b < 128 and chr(b).isalnum()) or b == 10 else 32 for b in range(256)
)
#: Capitals to ``A``, white space but line breaks to a space.
_CAPITALS_AND_SPACES = bytes(_capitals_and_spaces(b) for b in range(256))
