"""The glossary parser's shortcuts for large imports give exactly the plain results.

Each shortcut is checked against the code it replaced, kept verbatim here as
a reference, on generated input that leans on the awkward cases: blank and
whitespace-only cells, header and Anki lines, artefacts, case and spacing
variants, quotes and carriage returns.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.glossary import (
    _ANKI_HEADER,
    _ODD_CHARACTER,
    GlossaryEntry,
    GlossaryImport,
    Skip,
    _artefact,
    _binary_offset,
    _cell,
    _Columns,
    _csv_rows,
    _drop_repeats,
    _first_word,
    _header_columns,
    _parse_rows,
    _plain_rows,
    _same_text,
    _split_list,
    parse_glossary,
)
from trainer.core.model import normalize_term

# ---------------------------------------------------------------- references


def reference_row_entry(line: int, cells: Sequence[str], columns: _Columns) -> GlossaryEntry:
    aliases = _cell(cells, columns.aliases)
    alias_separators = r"[;|]" if re.search(r"[;|]", aliases) else r","
    return GlossaryEntry(
        term=_cell(cells, columns.term),
        definition=_cell(cells, columns.definition),
        line=line,
        aliases=_split_list(aliases, alias_separators),
        tags=_split_list(_cell(cells, columns.tags), r"[,;|\s]+"),
    )


def reference_parse_rows(
    rows: Iterable[tuple[int, list[str]]],
) -> tuple[list[GlossaryEntry], list[Skip]]:
    entries: list[GlossaryEntry] = []
    skipped: list[Skip] = []
    columns: _Columns | None = None
    for line, cells in rows:
        filled = [cell.strip() for cell in cells if cell.strip()]
        if not filled:
            continue
        if not entries and _ANKI_HEADER.match(cells[0].strip()):
            label, _, first = cells[0].strip().partition(":")
            if label.casefold() == "#columns":
                columns = _header_columns([first, *cells[1:]]) or columns
            skipped.append((line, "Anki header line"))
            continue
        reason = _artefact(filled[0]) if len(filled) == 1 and cells[0].strip() else None
        if reason is not None:
            skipped.append((line, reason))
            continue
        header = _header_columns(cells) if columns is None and not entries else None
        if header is not None:
            columns = header
            continue
        if len(cells) < 2:
            skipped.append((line, "not a table row"))
            continue
        entry = reference_row_entry(line, cells, columns or _Columns())
        if entry.definition:
            entries.append(entry)
        else:
            skipped.append((line, "no definition"))
    return entries, skipped


def reference_drop_repeats(
    entries: list[GlossaryEntry], skipped: list[Skip]
) -> list[GlossaryEntry]:
    kept: list[GlossaryEntry] = []
    for entry in entries:
        previous = kept[-1] if kept else None
        if previous is None or not reference_repeats(previous, entry):
            kept.append(entry)
            continue
        skipped.append((entry.line, "repeated entry"))
        if not previous.term and entry.term:
            kept[-1] = replace(previous, term=entry.term)
    return kept


def reference_repeats(previous: GlossaryEntry, entry: GlossaryEntry) -> bool:
    if not _same_text(previous.definition, entry.definition):
        return False
    return not (previous.term and entry.term) or _same_text(previous.term, entry.term)


def reference_duplicates(result: GlossaryImport) -> dict[str, tuple[int, ...]]:
    lines: dict[str, list[int]] = {}
    for entry in result.entries:
        if entry.term:
            lines.setdefault(normalize_term(entry.term), []).append(entry.line)
    return {term: tuple(found) for term, found in lines.items() if len(found) > 1}


def reference_binary_offset(text: str) -> int | None:
    if "\0" in text:
        return text.index("\0")
    odd = [match.start() for match in _ODD_CHARACTER.finditer(text)]
    if odd and len(odd) * 10 > len(text):
        return odd[0]
    return None


# ---------------------------------------------------------------- strategies

CELLS = st.sampled_from(
    [
        *("", " ", "\t", "\u00a0", "Alpha", " alpha ", "ALPHA", "Beta", "Gamma ray"),
        *("The first letter.", "the  first letter. ", "THE FIRST\tLETTER.", "Straße", "STRASSE"),
        *("term", "Definition", "front", "back", "aliases", "tags", "#columns:Back", "#html:false"),
        *("#separator:tab", "page 3", "about:blank", "17:01 3.9.2025", "Explore more chapters"),
        *("a;b", "x | y", "t1, t2", "one two", "Learning Rate is a step size."),
    ]
)
ROWS = st.lists(st.lists(CELLS, max_size=5), max_size=12).map(
    lambda rows: [(line, cells) for line, cells in enumerate(rows, 1)]
)
#: Mostly a clean table: a few rows of anything, then rows of two filled cells (read
#: per column when nothing follows them), then perhaps a few rows of anything again.
FILLED = CELLS.filter(lambda cell: bool(cell.strip()))
CLEAN_TAILED_ROWS = st.tuples(
    st.lists(st.lists(CELLS, max_size=5), max_size=3),
    st.lists(st.lists(FILLED, min_size=2, max_size=2), min_size=1, max_size=8),
    st.lists(st.lists(CELLS, max_size=5), max_size=2),
).map(lambda parts: list(enumerate([*parts[0], *parts[1], *parts[2]], 1)))
TEXTS = st.lists(
    st.sampled_from(["\t", "\n", ",", ";", "|", " ", "a", "B", "\u00a0", "Def", "x\ty\n"]),
    max_size=60,
).map("".join)


# --------------------------------------------------------------------- tables


@settings(max_examples=1000, deadline=None)
@given(ROWS)
def test_rows_become_the_same_entries_and_skips(rows: list[tuple[int, list[str]]]) -> None:
    assert _parse_rows(rows) == reference_parse_rows(rows)


@settings(max_examples=1000, deadline=None)
@given(CLEAN_TAILED_ROWS)
def test_a_clean_tail_becomes_the_same_entries(rows: list[tuple[int, list[str]]]) -> None:
    assert _parse_rows(rows) == reference_parse_rows(rows)


@settings(max_examples=1000, deadline=None)
@given(TEXTS, st.sampled_from(["\t", ",", ";", "|"]))
def test_plain_rows_are_the_rows_csv_reads(text: str, delimiter: str) -> None:
    by_csv = _csv_rows(text, delimiter, csv.QUOTE_MINIMAL, strict=True)
    assert _plain_rows(text, delimiter) == [(line, cells) for line, cells in by_csv if cells]


@pytest.mark.parametrize(
    "text",
    [
        'a\t"quoted"\n',
        "a\tb\r\nc\td\n",
        "a\tb\0\n",
        "a\t" + "x" * (csv.field_size_limit() + 1) + "\n",
    ],
    ids=["quote", "carriage return", "nul", "over the field limit"],
)
def test_text_csv_must_interpret_is_left_to_csv(text: str) -> None:
    assert _plain_rows(text, "\t") is None


def test_a_field_over_the_limit_still_reports_the_csv_error() -> None:
    text = "term\tdefinition\nalpha\t" + "x" * (csv.field_size_limit() + 1) + "\n"
    with pytest.raises(ValueError, match="field larger than field limit"):
        parse_glossary(text, "big.tsv")


def test_blank_lines_keep_the_line_numbers_csv_gives() -> None:
    text = "Alpha\tA.\n\n   \n\t\nBeta\tB.\n"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    assert [cells for cells in rows if cells] == [cells for _, cells in _plain_rows(text, "\t")]
    assert [entry.line for entry in parse_glossary(text, "g.tsv").entries] == [1, 5]


# -------------------------------------------------------------------- repeats

TEXT_VARIANTS = st.sampled_from(
    [
        *("", "Alpha", "alpha", " ALPHA ", "Alpha beta", "alpha  BETA", "Beta", "ß", "SS", "ss x"),
        # ASCII white space that split() folds, and a line break inside a term
        *("Alpha\nbeta", "alpha\x1cbeta", "\tALPHA\x0b", "\n"),
    ]
)
ENTRIES = st.lists(
    st.builds(GlossaryEntry, term=TEXT_VARIANTS, definition=TEXT_VARIANTS, line=st.integers(1, 9)),
    max_size=12,
)


@settings(max_examples=1000, deadline=None)
@given(ENTRIES)
def test_repeats_are_dropped_as_before(entries: list[GlossaryEntry]) -> None:
    skipped: list[Skip] = []
    expected_skipped: list[Skip] = []
    kept = _drop_repeats(list(entries), skipped)
    assert kept == reference_drop_repeats(list(entries), expected_skipped)
    assert skipped == expected_skipped


@settings(max_examples=1000, deadline=None)
@given(st.text(), st.text())
def test_same_text_implies_the_same_first_word(a: str, b: str) -> None:
    if _same_text(a, b):
        assert _first_word(a) == _first_word(b)
    assert _first_word(a) == _first_word(" ".join(a.split()).casefold())


def test_no_character_casefolds_into_whitespace() -> None:
    """What ``_first_word`` relies on, for every code point of this Python."""
    folding_into_space = [
        code
        for code in range(sys.maxunicode + 1)
        if not chr(code).isspace() and any(char.isspace() for char in chr(code).casefold())
    ]
    assert folding_into_space == []


# ----------------------------------------------------------------- duplicates


#: Terms that are all ASCII more often than not (their keys are then read as one column).
ASCII_TERMS = st.lists(
    st.text(st.sampled_from("aB z\t\x0b\x0c\r\x1c\x1f\n-."), max_size=6)
    | st.sampled_from(["", " ", "Alpha", "alpha beta", "Alpha  Beta", " x", "x ", "ß"]),
    max_size=8,
)


@settings(max_examples=2000, deadline=None)
@given(ASCII_TERMS)
def test_term_keys_are_normalize_term(terms: list[str]) -> None:
    result = GlossaryImport("tsv", tuple(GlossaryEntry(term, "D.", 1) for term in terms))
    assert result.term_keys == tuple(normalize_term(term) for term in terms)


@settings(max_examples=1000, deadline=None)
@given(ENTRIES)
def test_duplicates_are_reported_in_the_same_order(entries: list[GlossaryEntry]) -> None:
    result = GlossaryImport("tsv", tuple(entries))
    assert list(result.duplicates.items()) == list(reference_duplicates(result).items())
    assert result.term_keys == tuple(normalize_term(entry.term) for entry in entries)


# --------------------------------------------------------------------- binary

ODD_TEXT = st.lists(
    st.sampled_from(["a", "\n", "\t", "\x01", "\x08", "\x0e", "\x7f", "\x85", "\ufffd", "é"]),
    max_size=40,
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(ODD_TEXT)
def test_binary_detection_is_unchanged(text: str) -> None:
    assert _binary_offset(text) == reference_binary_offset(text)
