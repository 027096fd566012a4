"""Read glossary documents (tables, "Definition" blocks, Markdown lists) into entries.

Seed documents arrive as copy-pasted or printed web pages, so the parser is
forgiving about layout and strict about content:

- Print and page artefacts (browser headers and footers, page numbers, chapter
  banners, "explore more" links) are dropped, and every dropped line is reported
  in ``skipped`` with a reason, so a human reviewing an import sees exactly what
  was thrown away. Blank lines and a recognised header row are layout, not
  content, and are not reported.
- A term is inferred from its definition only when the definition names it in an
  unmistakable way (a Title-Case or acronym-like phrase followed by ", a ..." or
  "is a ..."); everything else keeps an empty term and shows up in
  ``missing_terms``, because a wrong guess would teach the wrong name.
- An entry that merely repeats the one before it (a common copy-paste slip) is
  dropped; repeated terms further apart are kept and only reported in
  ``duplicates``, since deciding between them needs a human.
- Anything unreadable raises ``GlossaryError`` naming the source (and line when
  there is one), never another exception, so callers need a single ``except``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import PurePath

from trainer.core.model import normalize_term
from trainer.errors import TrainerError

__all__ = [
    "FORMATS",
    "GlossaryEntry",
    "GlossaryError",
    "GlossaryImport",
    "detect_format",
    "parse_glossary",
]

FORMATS = ("tsv", "csv", "blocks", "markdown")

#: A dropped line: (1-based line number, why it was dropped).
Skip = tuple[int, str]
#: A non-blank line of the document: (1-based line number, stripped text).
Line = tuple[int, str]

_EXTENSIONS = {
    ".tsv": "tsv",
    ".tab": "tsv",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
}


class GlossaryError(TrainerError, ValueError):
    """A document cannot be read as a glossary; says where, so the file can be fixed."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class GlossaryEntry:
    """One term/definition pair as found in the document, before any curation."""

    term: str
    definition: str
    line: int
    term_recovered: bool = False
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class GlossaryImport:
    """The entries of one document plus everything a reviewer needs to trust them."""

    format: str
    entries: tuple[GlossaryEntry, ...]
    skipped: tuple[Skip, ...] = ()

    @property
    def missing_terms(self) -> tuple[GlossaryEntry, ...]:
        """Entries whose term was lost and could not be recovered: they need a human."""
        if "" not in self.terms:  # the usual case, without a look at each entry
            return ()
        return tuple(entry for entry in self.entries if not entry.term)

    @cached_property
    def term_keys(self) -> tuple[str, ...]:
        """Each entry's normalized term ("" when it has none), in entry order.

        Computed once: the duplicate report and the deck built from an import
        both need it, and a 100k-term import should not fold every term twice.
        """
        terms = self.terms
        return tuple(_plain_ascii_keys(terms) or (normalize_term(term) for term in terms))

    @cached_property
    def terms(self) -> tuple[str, ...]:
        """Each entry's term ("" when it has none), in entry order."""
        return tuple(entry.term for entry in self.entries)

    @property
    def duplicates(self) -> dict[str, tuple[int, ...]]:
        """Normalized terms that occur more than once, with their lines.

        Reported, not resolved: the same term may legitimately carry two senses.
        """
        keys, untitled = self.term_keys, self.terms.count("")
        distinct = set(keys)
        # the keys of the entries with a term: "" too if a term is only white space
        named = len(distinct) - ("" in distinct and keys.count("") == untitled)
        if named == len(keys) - untitled:
            return {}  # the usual case: no term repeats
        first_line: dict[str, int] = {}
        repeated: dict[str, list[int]] = {}  # lists only for the few repeated terms
        for entry, key in zip(self.entries, self.term_keys, strict=True):
            if not entry.term:
                continue
            if key in first_line:
                repeated.setdefault(key, [first_line[key]]).append(entry.line)
            else:
                first_line[key] = entry.line
        # in the order each term first occurs
        return {key: tuple(repeated[key]) for key in first_line if key in repeated}


def _plain_ascii_keys(terms: Sequence[str]) -> list[str] | None:
    """``normalize_term`` of every term at once, when all are ASCII with single
    spaces between words and none at the ends; else None.

    Such a term's key is its lower-case form (``normalize_term`` only folds
    case and spacing, and ASCII is its own NFKC form), so all of them are one
    ``lower`` of the terms joined by line breaks.
    """
    joined = "\n".join(terms)
    if not joined.isascii() or joined.count("\n") != len(terms) - 1:
        return None
    if any(odd in joined for odd in _ODD_SPACING) or joined[:1] == " " or joined[-1:] == " ":
        return None
    return joined.lower().split("\n")


#: What ``normalize_term`` would change in ASCII terms joined by line breaks: white
#: space other than one space between words (``str.split`` also breaks at \x1c-\x1f).
_ODD_SPACING = ("  ", " \n", "\n ", *"\t\x0b\x0c\r\x1c\x1d\x1e\x1f")


# --------------------------------------------------------------------------- API


def parse_glossary(text: str, source: str, fmt: str | None = None) -> GlossaryImport:
    """Parse ``text`` (read from ``source``, used in errors and for the extension).

    ``fmt`` forces one of ``FORMATS``; by default it is detected.
    """
    text = _prepare(text, source)
    fmt = _detect(text, source) if fmt is None else fmt
    parser = _PARSERS.get(fmt)
    if parser is None:
        raise GlossaryError(source, f"unknown format {fmt!r}; expected one of {FORMATS}")
    entries, skipped = parser(text, source)
    entries = _drop_repeats(entries, skipped)
    if not entries:
        raise GlossaryError(source, f"no glossary entries found (read as {fmt})")
    recovered = tuple(entry if entry.term else _recover_term(entry) for entry in entries)
    return GlossaryImport(fmt, recovered, tuple(sorted(skipped)))


def detect_format(text: str, source: str) -> str:
    """Guess the format: a known file extension wins, then the content decides."""
    return _detect(_prepare(text, source), source)


def _detect(text: str, source: str) -> str:
    """``detect_format`` on text that has already been through ``_prepare``."""
    by_extension = _EXTENSIONS.get(PurePath(source).suffix.lower())
    if by_extension is not None:
        return by_extension
    by_header = _anki_separator(text)
    if by_header is not None:
        return by_header
    raw = text.split("\n")
    lines = [raw[no - 1] for no, t in _content_lines(text) if _artefact(t) is None]
    for fmt, looks_like in _DETECTORS:
        if looks_like(text, lines):
            return fmt
    raise GlossaryError(
        source,
        "unrecognised glossary format: expected a tab-separated table, a CSV with a "
        "term/definition header, 'Definition' blocks or a Markdown definition list",
    )


def _anki_separator(text: str) -> str | None:
    """The format an Anki text export declares in its ``#separator:`` header line."""
    for raw in text.split("\n"):
        if not raw.startswith("#"):
            return None
        label, _, value = raw.partition(":")
        if label.strip().casefold() == "#separator":
            return {"tab": "tsv", "\t": "tsv", "comma": "csv", ",": "csv"}.get(
                value.strip().casefold() or value
            )
    return None


# ------------------------------------------------------------------ preparation


def _prepare(text: str, source: str) -> str:
    """Strip a BOM, unify line endings, and refuse text that is empty or binary."""
    text = text.removeprefix("\ufeff")
    if "\r" in text:  # a search is far cheaper than copying a large text twice
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise GlossaryError(source, "the document is empty")
    binary_at = _binary_offset(text)
    if binary_at is not None:
        line = text.count("\n", 0, binary_at) + 1
        raise GlossaryError(source, "the document looks like binary data, not text", line)
    return text


#: Control characters other than tab, newline, vertical tab and form feed; lone
#: surrogates; and U+FFFD, the mark a failed decode leaves behind.
_ODD_CHARACTER = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
#: The ASCII bytes ``_ODD_CHARACTER`` does not match.
_ORDINARY_ASCII = bytes(b for b in range(128) if not _ODD_CHARACTER.match(chr(b)))


def _binary_offset(text: str) -> int | None:
    """Offset of the first NUL, or of the first odd character if they are common.

    Stray control characters happen in pasted text; many of them mean the bytes
    were never text (an image, a zip, a wrongly decoded file).
    """
    if "\0" in text:
        return text.index("\0")
    if text.isascii():
        # Deleting every ordinary byte leaves the odd ones, twice as fast as the
        # regex on a large text; the regex still finds the offset when needed.
        odd_count = len(text.encode("ascii").translate(None, _ORDINARY_ASCII))
        if odd_count * 10 <= len(text):
            return None
    odd = [match.start() for match in _ODD_CHARACTER.finditer(text)]
    if odd and len(odd) * 10 > len(text):
        return odd[0]
    return None


def _content_lines(text: str) -> list[Line]:
    """Non-blank lines, stripped, with their 1-based numbers."""
    return [(no, raw.strip()) for no, raw in enumerate(text.split("\n"), 1) if raw.strip()]


# -------------------------------------------------------------------- artefacts

_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b")
_FOOTER = re.compile(
    r"(?P<url>about:blank|[a-z][a-z0-9+.-]*://\S+)(?:\s+\d{1,4}\s*(?:/|of)\s*\d{1,4})?",
    re.IGNORECASE,
)
_PAGE_NUMBER = re.compile(
    r"(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?|[-\u2013\u2014]\s*\d{1,4}\s*[-\u2013\u2014]",
    re.IGNORECASE,
)
_CHAPTER_HEADER = re.compile(
    r".*\b(?:terms|definitions|explanations)\b.*\bglossary\b.*"
    r"|\d+\s+(?:terms|entries|definitions)\s+in\s+this\s+(?:chapter|section|glossary)",
    re.IGNORECASE,
)
_NAVIGATION = re.compile(
    r"(?:back to|explore more|next chapter|previous chapter|see all)\b.*"
    r"|.*\btest your knowledge\b.*|table of contents|back to top",
    re.IGNORECASE,
)


def _artefact(text: str) -> str | None:
    """Why a whole line is page furniture rather than glossary content, if it is."""
    if len(text) > 200:
        return None
    if text[:1].isdigit() and _TIME.search(text[:40]) and _DATE.search(text[:40]):
        return "page header"
    footer = _FOOTER.fullmatch(text)
    if footer:
        return "about:blank" if footer["url"].lower() == "about:blank" else "page footer"
    if _PAGE_NUMBER.fullmatch(text):
        return "page number"
    if _CHAPTER_HEADER.fullmatch(text):
        return "chapter header"
    if _NAVIGATION.fullmatch(text):
        return "navigation text"
    return None


# ----------------------------------------------------------------------- tables

_TERM_COLUMNS = frozenset({"term", "front", "question", "word", "concept", "name", "keyword"})
_DEFINITION_COLUMNS = frozenset(
    {"definition", "back", "answer", "meaning", "description", "explanation"}
)
_ALIAS_COLUMNS = frozenset({"aliases", "alias", "synonyms", "synonym", "aka"})
_TAG_COLUMNS = frozenset({"tags", "tag", "labels", "categories", "category"})


@dataclass(frozen=True)
class _Columns:
    """Where each field sits in a table row."""

    term: int = 0
    definition: int = 1
    aliases: int | None = None
    tags: int | None = None


def _header_columns(cells: Sequence[str]) -> _Columns | None:
    """The column layout if ``cells`` is a header row naming a term and a definition."""
    names = [cell.strip().strip("\"'").casefold() for cell in cells]

    def find(wanted: frozenset[str]) -> int | None:
        return next((i for i, name in enumerate(names) if name in wanted), None)

    term, definition = find(_TERM_COLUMNS), find(_DEFINITION_COLUMNS)
    if term is None or definition is None:
        return None
    return _Columns(term, definition, find(_ALIAS_COLUMNS), find(_TAG_COLUMNS))


def _read_rows(text: str, delimiter: str, source: str) -> list[tuple[int, list[str]]]:
    """Rows with their starting line; quoted (multi-line) fields when the quoting is sound.

    Strict quoting is tried first; if it fails (a stray quote in an unquoted
    tab table, say) the table is re-read without giving quotes any meaning
    rather than letting one quote swallow the rest of the file.
    """
    plain = _plain_rows(text, delimiter)
    if plain is not None:
        return plain
    try:
        return _csv_rows(text, delimiter, csv.QUOTE_MINIMAL, strict=True)
    except csv.Error:
        pass
    fallback = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    try:
        return _csv_rows(text, delimiter, fallback, strict=False)
    except csv.Error as exc:
        raise GlossaryError(source, f"cannot read the table: {exc}") from exc


def _plain_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]] | None:
    """The rows of a table with nothing for ``csv`` to interpret, else None.

    Without a quote, a carriage return or a NUL, the ``csv`` reader only splits
    lines on newlines and fields on the delimiter, so ``str.split`` gives the
    same cells at a fraction of the cost. Blank lines are left out: ``csv``
    yields them as empty rows, which carry no cells. A line longer than the
    field size limit goes to ``csv`` too, so that its error is the one reported.
    """
    if '"' in text or "\r" in text or "\0" in text:
        return None
    lines = text.split("\n")
    if max(map(len, lines)) > csv.field_size_limit():
        return None
    return [(no, line.split(delimiter)) for no, line in enumerate(lines, 1) if line]


def _csv_rows(
    text: str, delimiter: str, quoting: int, *, strict: bool
) -> list[tuple[int, list[str]]]:
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting, strict=strict
    )
    rows: list[tuple[int, list[str]]] = []
    start = 1
    for cells in reader:
        rows.append((start, cells))
        start = reader.line_num + 1
    return rows


def _cell(cells: Sequence[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _split_list(value: str, separators: str) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in re.split(separators, value) if part.strip())


def _row_entry(line: int, cells: Sequence[str], columns: _Columns) -> GlossaryEntry:
    aliases = _cell(cells, columns.aliases)
    tags = _cell(cells, columns.tags)
    # Most tables have neither column: skip the regexes for empty cells.
    if aliases:
        aliases_found = _split_list(aliases, r"[;|]" if re.search(r"[;|]", aliases) else r",")
    else:
        aliases_found = ()
    term, definition = _cell(cells, columns.term), _cell(cells, columns.definition)
    tags_found = _split_list(tags, r"[,;|\s]+") if tags else ()
    return GlossaryEntry(
        term=term, definition=definition, line=line, aliases=aliases_found, tags=tags_found
    )


def _bare_entry(term: str, definition: str, line: int) -> GlossaryEntry:
    """``GlossaryEntry(term, definition, line)``, built without the frozen dataclass's
    ``__init__`` (six ``object.__setattr__`` calls): a table row's usual entry."""
    entry = object.__new__(GlossaryEntry)
    fields = _BARE_ENTRY.copy()
    fields["term"] = term
    fields["definition"] = definition
    fields["line"] = line
    object.__setattr__(entry, "__dict__", fields)
    return entry


_BARE_ENTRY = dict(GlossaryEntry("", "", 0).__dict__)


def _bare_entries(
    terms: Sequence[str], definitions: Sequence[str], lines: Sequence[int]
) -> list[GlossaryEntry]:
    """``_bare_entry`` of each term, definition and line, in one loop."""
    new, set_fields, blank = object.__new__, object.__setattr__, _BARE_ENTRY
    entries = []
    for term, definition, line in zip(terms, definitions, lines, strict=True):
        entry = new(GlossaryEntry)
        fields = blank.copy()
        fields["term"] = term
        fields["definition"] = definition
        fields["line"] = line
        set_fields(entry, "__dict__", fields)
        entries.append(entry)
    return entries


def _filled_pairs(rows: Sequence[tuple[int, list[str]]]) -> tuple[list[str], list[str]] | None:
    """The stripped terms and definitions of ``rows`` if every row is two filled cells."""
    if any(len(cells) != 2 for _, cells in rows):
        return None
    terms = [cells[0].strip() for _, cells in rows]
    definitions = [cells[1].strip() for _, cells in rows]
    if not all(terms) or not all(definitions):
        return None
    return terms, definitions


#: Anki's plain-text export starts with lines like ``#separator:tab`` or ``#html:false``.
_ANKI_HEADER = re.compile(r"#[a-z][a-z ]*:", re.IGNORECASE)


def _parse_rows(
    rows: Sequence[tuple[int, list[str]]],
) -> tuple[list[GlossaryEntry], list[Skip]]:
    """Turn table rows into entries; single-cell rows are artefacts or stray text."""
    entries: list[GlossaryEntry] = []
    skipped: list[Skip] = []
    columns: _Columns | None = None
    default_columns = _Columns()
    # True while the layout is term then definition: a row of two filled cells after
    # the first entry is then an entry of just those (the loop's usual, fast case)
    two_cells = True
    whole_rest_tried = False
    for index, (line, cells) in enumerate(rows):
        if entries and two_cells and not whole_rest_tried:
            # the layout is settled by the first entry; a clean table's remaining
            # rows are all two filled cells, and then they are read per column
            whole_rest_tried = True
            rest = rows[index:]
            pairs = _filled_pairs(rest)
            if pairs is not None:
                entries.extend(_bare_entries(*pairs, [no for no, _ in rest]))
                break
        if entries and two_cells and len(cells) == 2:
            term, definition = cells[0].strip(), cells[1].strip()
            if term and definition:
                entries.append(_bare_entry(term, definition, line))
                continue
        # Each cell is stripped once; a 100k-row import makes this loop hot.
        stripped = [cell.strip() for cell in cells]
        filled = len(stripped) - stripped.count("")
        if not filled:
            continue
        first = stripped[0]
        if not entries and _ANKI_HEADER.match(first):
            label, _, value = first.partition(":")
            if label.casefold() == "#columns":
                columns = _header_columns([value, *cells[1:]]) or columns
                two_cells = columns is None or (columns.term, columns.definition) == (0, 1)
            skipped.append((line, "Anki header line"))
            continue
        # A single filled cell in the first column is the only candidate artefact.
        reason = _artefact(first) if filled == 1 and first else None
        if reason is not None:
            skipped.append((line, reason))
            continue
        header = _header_columns(cells) if columns is None and not entries else None
        if header is not None:
            columns = header
            two_cells = (columns.term, columns.definition) == (0, 1)
            continue
        if len(cells) < 2:
            skipped.append((line, "not a table row"))
            continue
        entry = _row_entry(line, stripped, columns or default_columns)
        if entry.definition:
            entries.append(entry)
        else:
            skipped.append((line, "no definition"))
    return entries, skipped


def _parse_tsv(text: str, source: str) -> tuple[list[GlossaryEntry], list[Skip]]:
    return _parse_rows(_read_rows(text, "\t", source))


def _parse_csv(text: str, source: str) -> tuple[list[GlossaryEntry], list[Skip]]:
    delimiter = _header_delimiter(text) or ","
    return _parse_rows(_read_rows(text, delimiter, source))


def _header_delimiter(text: str) -> str | None:
    """The delimiter of a term/definition header among the first few content lines.

    A few, not just the first: exported tables often open with a title line.
    """
    candidates = [t for _, t in _content_lines(text)[:10] if _artefact(t) is None][:5]
    for line in candidates:
        for delimiter in ("\t", ",", ";", "|"):
            try:
                cells = next(csv.reader([line], delimiter=delimiter), [])
            except csv.Error:
                continue
            if len(cells) > 1 and _header_columns(cells) is not None:
                return delimiter
    return None


# ----------------------------------------------------------------------- blocks

_DEFINITION_LABEL = re.compile(r"definition\s*:?", re.IGNORECASE)
_TERM_LABEL = re.compile(r"term\s*:?", re.IGNORECASE)


def _looks_like_term(text: str) -> bool:
    """Short and not a sentence: what a term line looks like next to definitions."""
    return len(text) <= 80 and len(text.split()) <= 8 and not text.endswith((".", "!", "?", ";"))


def _parse_blocks(text: str, source: str) -> tuple[list[GlossaryEntry], list[Skip]]:
    """Read "term / Definition / text" blocks, where any block may have lost its term.

    A line just before a ``Definition`` label is that block's term when it looks
    like one and the previous block keeps at least one line of definition;
    otherwise the block simply has no term.
    """
    lines, skipped = _block_lines(text)
    labels = [i for i, (_, t) in enumerate(lines) if _DEFINITION_LABEL.fullmatch(t)]
    if not labels:
        return [], skipped
    entries: list[GlossaryEntry] = []
    term = _preamble_term(lines[: labels[0]], skipped)
    for k, start in enumerate(labels):
        end = labels[k + 1] if k + 1 < len(labels) else len(lines)
        body = lines[start + 1 : end]
        next_term = None
        if end < len(lines) and len(body) >= 2 and _looks_like_term(body[-1][1]):
            next_term = body.pop()
        _add_block(entries, skipped, term, lines[start][0], body)
        term = next_term
    return entries, skipped


def _block_lines(text: str) -> tuple[list[Line], list[Skip]]:
    """Content lines minus artefacts and bare "Term" labels, which are reported."""
    kept: list[Line] = []
    skipped: list[Skip] = []
    for no, text_line in _content_lines(text):
        reason = _artefact(text_line)
        if reason is None and _TERM_LABEL.fullmatch(text_line):
            reason = "label"
        if reason is None:
            kept.append((no, text_line))
        else:
            skipped.append((no, reason))
    return kept, skipped


def _preamble_term(preamble: list[Line], skipped: list[Skip]) -> Line | None:
    """The first block's term, if the line before its label is one; the rest is preamble."""
    term = preamble.pop() if preamble and _looks_like_term(preamble[-1][1]) else None
    skipped.extend((no, "preamble") for no, _ in preamble)
    return term


def _add_block(
    entries: list[GlossaryEntry],
    skipped: list[Skip],
    term: Line | None,
    label_line: int,
    body: list[Line],
) -> None:
    if not body:
        skipped.append((label_line, "no definition"))
        if term is not None:
            skipped.append((term[0], "term without definition"))
        return
    definition = " ".join(text for _, text in body)
    line, name = term if term is not None else (label_line, "")
    entries.append(GlossaryEntry(name, definition, line))


# --------------------------------------------------------------------- markdown

_MD_BOLD = re.compile(
    r"\s{0,3}(?:[-*+]\s+|\d{1,3}[.)]\s+)?"
    r"(?P<mark>\*\*|__)(?P<term>[^*_\s].*?)(?P=mark)"
    r"(?:\s*(?P<sep>[:\u2013\u2014])|\s+(?P<dash>--?)(?=\s|$))?"
    r"\s*(?P<definition>.*)"
)
_MD_DEFINITION = re.compile(r"\s{0,3}:[ \t]+(?P<definition>\S.*)")
_MD_HEADING = re.compile(r"\s{0,3}#{1,6}(?:\s.*)?")
_MD_RULE = re.compile(r"\s{0,3}(?:[-*_]\s*){3,}")
_MD_LIST_ITEM = re.compile(r"\s{0,3}(?:[-*+]|\d{1,3}[.)])\s.*")


def _bold_entry(raw: str) -> tuple[str, str] | None:
    """(term, definition) for ``**Term**: text`` and its variants, else None."""
    match = _MD_BOLD.fullmatch(raw)
    if match is None:
        return None
    term = match["term"].strip()
    if match["sep"] is None and match["dash"] is None and not term.endswith(":"):
        return None
    return _clean_md_term(term), match["definition"].strip()


def _clean_md_term(term: str) -> str:
    """Remove emphasis markers and a trailing colon that belong to the layout."""
    previous = None
    while previous != term:
        previous = term
        term = term.strip().rstrip(":").strip()
        for mark in ("**", "__", "*", "_", "`"):
            if len(term) > 2 * len(mark) and term.startswith(mark) and term.endswith(mark):
                term = term[len(mark) : -len(mark)]
    return term


@dataclass
class _Draft:
    """An entry being read: continuation lines and further ``: ...`` senses join it."""

    term: str
    line: int
    senses: list[list[str]]
    colon_form: bool

    def entry(self) -> GlossaryEntry:
        definition = "\n".join(" ".join(sense) for sense in self.senses if sense)
        return GlossaryEntry(self.term, definition, self.line)


class _MarkdownReader:
    """A small line-by-line state machine; one method per kind of line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.entries: list[GlossaryEntry] = []
        self.skipped: list[Skip] = []
        self.pending: list[Line] = []
        self.draft: _Draft | None = None
        self.before_definition = self._before_definition()

    def _before_definition(self) -> list[bool]:
        """For each line, whether the next non-blank line is a ``: definition`` line."""
        flags = [False] * len(self.lines)
        following = False
        for i in range(len(self.lines) - 1, -1, -1):
            flags[i] = following
            if self.lines[i].strip():
                following = bool(_MD_DEFINITION.fullmatch(self.lines[i]))
        return flags

    def read(self) -> tuple[list[GlossaryEntry], list[Skip]]:
        previous_blank = False
        for index, raw in enumerate(self.lines):
            if raw.strip():
                self._line(index, raw, previous_blank)
            previous_blank = not raw.strip()
        self._flush()
        self._drop_pending()
        return self.entries, self.skipped

    def _line(self, index: int, raw: str, previous_blank: bool) -> None:
        no, text = index + 1, raw.strip()
        reason = _artefact(text)
        definition = _MD_DEFINITION.fullmatch(raw)
        bold = _bold_entry(raw) if definition is None else None
        if reason is not None:
            self.skipped.append((no, reason))
        elif definition is not None:
            self._definition(no, definition["definition"].strip())
        elif bold is not None:
            self._start(_Draft(bold[0], no, [[bold[1]] if bold[1] else []], colon_form=False))
        elif _MD_HEADING.fullmatch(raw) or _MD_RULE.fullmatch(raw):
            self._start(None)
            self.skipped.append((no, "heading" if text.startswith("#") else "horizontal rule"))
        elif self._continues(index, raw, previous_blank):
            assert self.draft is not None
            self.draft.senses[-1].append(text)
        else:
            self._flush()
            self.pending.append((no, text))

    def _continues(self, index: int, raw: str, previous_blank: bool) -> bool:
        """Indented lines, or lines right under an entry, continue it unless they are a term."""
        if self.draft is None or _MD_LIST_ITEM.fullmatch(raw):
            return False
        if raw[:1] in (" ", "\t"):
            return True
        return not previous_blank and not self.before_definition[index]

    def _definition(self, no: int, text: str) -> None:
        if self.pending:
            term_line, term = self.pending.pop()
            self._start(_Draft(_clean_md_term(term), term_line, [[text]], colon_form=True))
        elif self.draft is not None and self.draft.colon_form:
            self.draft.senses.append([text])
        else:
            self._start(_Draft("", no, [[text]], colon_form=True))

    def _start(self, draft: _Draft | None) -> None:
        self._flush()
        self._drop_pending()
        self.draft = draft

    def _flush(self) -> None:
        if self.draft is None:
            return
        entry = self.draft.entry()
        if entry.definition:
            self.entries.append(entry)
        else:
            self.skipped.append((entry.line, "no definition"))
        self.draft = None

    def _drop_pending(self) -> None:
        self.skipped.extend((no, "not an entry") for no, _ in self.pending)
        self.pending.clear()


def _parse_markdown(text: str, source: str) -> tuple[list[GlossaryEntry], list[Skip]]:
    return _MarkdownReader(text.split("\n")).read()


# -------------------------------------------------------------------- detection


# Each detector sees the whole text and its content lines (unstripped, artefacts removed).


def _looks_tsv(text: str, lines: list[str]) -> bool:
    """A tab header, or a tab inside at least half of the content lines."""
    if _header_delimiter(text) == "\t":
        return True
    tabbed = sum(1 for line in lines if "\t" in line.strip())
    return tabbed > 0 and 2 * tabbed >= len(lines)


def _looks_csv(text: str, lines: list[str]) -> bool:
    return _header_delimiter(text) not in (None, "\t")


def _looks_blocks(text: str, lines: list[str]) -> bool:
    return any(_DEFINITION_LABEL.fullmatch(line.strip()) for line in lines)


def _looks_markdown(text: str, lines: list[str]) -> bool:
    return any(_MD_DEFINITION.fullmatch(line) or _bold_entry(line) for line in lines)


_Detector = Callable[[str, list[str]], bool]
_DETECTORS: tuple[tuple[str, _Detector], ...] = (
    ("tsv", _looks_tsv),
    ("csv", _looks_csv),
    ("blocks", _looks_blocks),
    ("markdown", _looks_markdown),
)

_Parser = Callable[[str, str], tuple[list[GlossaryEntry], list[Skip]]]
_PARSERS: dict[str, _Parser] = {
    "tsv": _parse_tsv,
    "csv": _parse_csv,
    "blocks": _parse_blocks,
    "markdown": _parse_markdown,
}


# --------------------------------------------------------------- post-processing


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _first_word(text: str) -> str:
    """The casefolded first word: equal for any two texts ``_same_text`` calls equal.

    ``casefold`` works character by character and folds no character into
    whitespace (a unit test checks every code point), so the first word of the
    folded, respaced text is the folded first word. Comparing it first spares
    a full fold of both definitions for nearly every pair of neighbours.
    """
    words = text.split(None, 1)
    return words[0].casefold() if words else ""


def _drop_repeats(entries: list[GlossaryEntry], skipped: list[Skip]) -> list[GlossaryEntry]:
    """Drop an entry that repeats the previous one (same definition, same or no term).

    If only the repeat carries the term, the term moves onto the kept entry.
    """
    kept: list[GlossaryEntry] = []
    previous_word = ""  # _first_word of kept[-1].definition
    for entry in entries:
        word = _first_word(entry.definition)
        previous = kept[-1] if kept else None
        if previous is None or word != previous_word or not _repeats(previous, entry):
            kept.append(entry)
            previous_word = word
            continue
        skipped.append((entry.line, "repeated entry"))
        if not previous.term and entry.term:
            kept[-1] = replace(previous, term=entry.term)
    return kept


def _repeats(previous: GlossaryEntry, entry: GlossaryEntry) -> bool:
    """Same definition, and the terms agree or one of them is missing."""
    if not _same_text(previous.definition, entry.definition):
        return False
    return not (previous.term and entry.term) or _same_text(previous.term, entry.term)


_CONNECTOR = r"(?:of|from|for|and|or|the|to|in|on|with|by|via|a|an)"
_TITLE_WORD = r"[A-Z][A-Za-z0-9]*(?:[-/'][A-Z0-9][A-Za-z0-9]*)*"
_PHRASE = rf"{_TITLE_WORD}(?: (?:{_CONNECTOR} )*{_TITLE_WORD}){{0,7}}(?: \([^()]{{1,30}}\))?"
_APPOSITION = re.compile(rf"(?P<term>{_PHRASE}), (?:a|an|the|where|which|in which|used|also)\b")
_COPULA = re.compile(rf"(?P<term>{_PHRASE}) (?:is|are|refers to|means|describes|denotes) ")
_NOT_A_TERM_START = frozenset(
    {
        *("a", "an", "the", "this", "that", "these", "those", "it", "its", "there", "here"),
        *("one", "each", "every", "some", "any", "such", "many", "most", "however", "also"),
        *("when", "where", "which", "what", "who", "if", "as", "like", "unlike"),
        *("for", "in", "on", "at", "by", "with", "often", "usually", "typically"),
    }
)


def _recover_term(entry: GlossaryEntry) -> GlossaryEntry:
    """Fill an empty term from a definition that clearly names it, else leave it empty.

    "Direct Preference Optimization, a ..." and "Learning Rate is a ..." name
    their terms; "One full pass through ..." or "A fine-tuning method ..." do
    not. A single ordinary word before ", a" ("However, a ...") is not trusted.
    """
    if entry.term:
        return entry
    apposition = _APPOSITION.match(entry.definition)
    copula = _COPULA.match(entry.definition)
    term = apposition["term"] if apposition else copula["term"] if copula else ""
    words = term.split()
    if not words or words[0].casefold() in _NOT_A_TERM_START:
        return entry
    acronym_like = any(char.isupper() for char in term[1:])
    if apposition and len(words) < 2 and not acronym_like:
        return entry
    return replace(entry, term=term, term_recovered=True)
