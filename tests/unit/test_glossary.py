"""Glossary parser: both seed documents, each format, and every way a document can fail.

The seeds are the documents the curated decks were built from, so their exact
counts and dropped lines are pinned here: a parser change that loses or invents
an entry shows up as a failing count, not as a silently different deck.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.glossary import (
    FORMATS,
    GlossaryEntry,
    GlossaryError,
    GlossaryImport,
    detect_format,
    parse_glossary,
)

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
COURSE_SEED = "000_291cd2076ff69804.txt"
ALIGNMENT_SEED = "004_9734c457b66b72ff.txt"

#: Text of print artefacts and chapter furniture that must never reach a card.
ARTEFACT_TEXT = (
    "about:blank",
    "17:01",
    "3.9.2025",
    "2/5",
    "Agentic AI Glossary",
    "Explore more chapters",
    "test your knowledge",
)


def parse_seed(name: str) -> GlossaryImport:
    return parse_glossary((SEEDS / name).read_text(encoding="utf-8"), name)


def pairs(result: GlossaryImport) -> list[tuple[str, str]]:
    return [(entry.term, entry.definition) for entry in result.entries]


# ------------------------------------------------------------------------- seeds


def test_course_seed_is_a_tab_table_of_13_entries() -> None:
    result = parse_seed(COURSE_SEED)

    assert result.format == "tsv"
    assert len(result.entries) == 13
    assert result.entries[0].term == "Direct preference optimization (DPO)"
    assert result.entries[0].line == 4
    assert result.entries[-1].term == "Max and min tokens"
    assert result.entries[-1].definition.startswith("Parameters that set the maximum")
    assert not result.missing_terms
    assert not result.duplicates


def test_course_seed_reports_print_header_and_footer() -> None:
    result = parse_seed(COURSE_SEED)

    assert result.skipped == ((1, "page header"), (18, "about:blank"))


def test_alignment_seed_has_31_entries_in_blocks() -> None:
    result = parse_seed(ALIGNMENT_SEED)

    assert result.format == "blocks"
    assert len(result.entries) == 31
    assert result.entries[0] == GlossaryEntry(
        "Adapter Tuning",
        "A fine-tuning method that adds small trainable adapter layers while keeping most "
        "original model weights frozen.",
        1,
    )
    assert result.entries[-1].definition == (
        "Held-out data used during development to tune settings and detect overfitting."
    )


def test_alignment_seed_drops_header_repeat_and_trailer() -> None:
    result = parse_seed(ALIGNMENT_SEED)

    assert result.skipped == (
        (4, "chapter header"),
        (5, "repeated entry"),
        (67, "navigation text"),
    )
    definitions = [entry.definition for entry in result.entries]
    assert len(set(definitions)) == len(definitions)


@pytest.mark.parametrize("name", [COURSE_SEED, ALIGNMENT_SEED], ids=["course", "alignment"])
def test_no_artefact_text_reaches_an_entry(name: str) -> None:
    result = parse_seed(name)

    for entry in result.entries:
        for artefact in ARTEFACT_TEXT:
            assert artefact not in entry.term
            assert artefact not in entry.definition
        assert entry.definition != "Definition"


#: Lines of the alignment seed whose term the definition names, and that term.
RECOVERED_TERMS = {
    17: "Direct Preference Optimization",
    31: "Learning Rate",
    33: "Low-Rank Adaptation",
    39: "Proximal Policy Optimization",
    47: "Quantized LoRA",
    49: "Reward Model",
    51: "Reinforcement Learning from AI Feedback",
    53: "Reinforcement Learning from Human Feedback",
    55: "Supervised Fine-Tuning",
}
#: Lines of the alignment seed whose term is lost for good (the "Definition" label).
UNRECOVERED_LINES = [
    7, 9, 11, 13, 15, 19, 21, 23, 25, 27, 29, 35, 37, 41, 43, 45, 57, 59, 61, 63, 65,
]  # fmt: skip


@pytest.mark.parametrize(("line", "term"), RECOVERED_TERMS.items(), ids=RECOVERED_TERMS.values())
def test_alignment_seed_recovers_terms_its_definitions_name(line: int, term: str) -> None:
    entries = {entry.line: entry for entry in parse_seed(ALIGNMENT_SEED).entries}

    assert entries[line].term == term
    assert entries[line].term_recovered


def test_alignment_seed_lists_the_terms_it_could_not_recover() -> None:
    result = parse_seed(ALIGNMENT_SEED)

    assert [entry.line for entry in result.missing_terms] == UNRECOVERED_LINES
    assert len(RECOVERED_TERMS) + len(UNRECOVERED_LINES) + 1 == len(result.entries)
    assert all(not entry.term_recovered for entry in result.missing_terms)
    assert not result.entries[0].term_recovered


# ----------------------------------------------------------------------- formats

FORMAT_CASES = [
    pytest.param(
        "glossary.txt",
        "Alpha\tFirst letter.\nBeta\tSecond letter.\n",
        "tsv",
        [("Alpha", "First letter."), ("Beta", "Second letter.")],
        id="tab-table-without-header",
    ),
    pytest.param(
        "glossary.txt",
        "Term\tDefinition\nAlpha\tFirst letter.\n\n7\nBeta\tSecond letter.\n",
        "tsv",
        [("Alpha", "First letter."), ("Beta", "Second letter.")],
        id="tab-table-with-header-and-page-number",
    ),
    pytest.param(
        "glossary.tsv",
        'Question\tAnswer\n"Alpha"\t"First line\nsecond line"\nBeta\tSecond.\n',
        "tsv",
        [("Alpha", "First line\nsecond line"), ("Beta", "Second.")],
        id="tsv-question-answer-quoted-multiline",
    ),
    pytest.param(
        "glossary.txt",
        'He said "hi\tthere\nAlpha\tFirst.\n',
        "tsv",
        [('He said "hi', "there"), ("Alpha", "First.")],
        id="tab-table-stray-quote-taken-literally",
    ),
    pytest.param(
        "glossary.csv",
        'term,definition\nAlpha,"First, with a comma\nand a second line"\nBeta,Second.\n',
        "csv",
        [("Alpha", "First, with a comma\nand a second line"), ("Beta", "Second.")],
        id="csv-quoted-multiline",
    ),
    pytest.param(
        "export.txt",
        'Front,Back\nAlpha,"Said ""first"""\n',
        "csv",
        [("Alpha", 'Said "first"')],
        id="csv-front-back-detected-from-header",
    ),
    pytest.param(
        "export.txt",
        "Exported glossary\nterm,definition\nAlpha,First.\n",
        "csv",
        [("Alpha", "First.")],
        id="csv-header-after-title-line",
    ),
    pytest.param(
        "export.txt",
        "Definition;Term\nFirst letter.;Alpha\n",
        "csv",
        [("Alpha", "First letter.")],
        id="csv-semicolon-columns-in-any-order",
    ),
    pytest.param(
        "notes.md",
        "# Glossary\n\n**Alpha**: First letter.\n- **Beta** \u2014 Second letter,\n"
        "  continued.\n* **Gamma:** Third letter.\n1. __Delta__ - Fourth letter.\n",
        "markdown",
        [
            ("Alpha", "First letter."),
            ("Beta", "Second letter, continued."),
            ("Gamma", "Third letter."),
            ("Delta", "Fourth letter."),
        ],
        id="markdown-bold-list",
    ),
    pytest.param(
        "notes.txt",
        "Apple\n: A fruit.\n    Grows on trees.\n: A company.\n\nOrange\n:   Another fruit.\n",
        "markdown",
        [("Apple", "A fruit. Grows on trees.\nA company."), ("Orange", "Another fruit.")],
        id="markdown-colon-definition-list",
    ),
    pytest.param(
        "notes.txt",
        "Alpha\nDefinition\nFirst letter,\nwrapped.\nBeta\nDefinition\nSecond letter.\n",
        "blocks",
        [("Alpha", "First letter, wrapped."), ("Beta", "Second letter.")],
        id="blocks-with-terms-and-wrapped-definition",
    ),
]


@pytest.mark.parametrize(("source", "text", "fmt", "expected"), FORMAT_CASES)
def test_each_format(source: str, text: str, fmt: str, expected: list[tuple[str, str]]) -> None:
    result = parse_glossary(text, source)

    assert result.format == fmt
    assert detect_format(text, source) == fmt
    assert pairs(result) == expected


def test_csv_extra_columns_become_aliases_and_tags() -> None:
    text = (
        "Term,Definition,Aliases,Tags\nLow-rank adaptation,Small adapters.,LoRA; LRA,peft tuning\n"
    )

    (entry,) = parse_glossary(text, "deck.csv").entries

    assert entry.aliases == ("LoRA", "LRA")
    assert entry.tags == ("peft", "tuning")


def test_bom_and_crlf_are_invisible() -> None:
    plain = "Term\tDefinition\nAlpha\tFirst.\n\nBeta\tSecond.\n"
    windows = "\ufeff" + plain.replace("\n", "\r\n")

    assert parse_glossary(windows, "g.txt") == parse_glossary(plain, "g.txt")
    assert [entry.line for entry in parse_glossary(windows, "g.txt").entries] == [2, 4]


def test_forced_format_overrides_detection() -> None:
    text = "Alpha\tFirst.\n**Beta**: Second.\n"

    assert pairs(parse_glossary(text, "g.txt", fmt="markdown")) == [("Beta", "Second.")]


# ----------------------------------------------------------- reviewing an import


def test_duplicate_terms_are_kept_and_reported() -> None:
    text = "Alpha\tFirst.\nBeta\tSecond.\nalpha \tAnother sense.\n"

    result = parse_glossary(text, "g.txt")

    assert len(result.entries) == 3
    assert result.duplicates == {"alpha": (1, 3)}


def test_an_entry_repeating_the_previous_one_is_dropped() -> None:
    text = "Alpha\tFirst.\nAlpha\tFirst.\n\tFirst.\nBeta\tSecond.\n"

    result = parse_glossary(text, "g.txt")

    assert pairs(result) == [("Alpha", "First."), ("Beta", "Second.")]
    assert result.skipped == ((2, "repeated entry"), (3, "repeated entry"))


def test_missing_terms_are_listed_with_their_lines() -> None:
    text = "Definition\nOne full pass.\nBeta\nDefinition\nSecond.\nDefinition\nThird one.\n"

    result = parse_glossary(text, "g.txt")

    assert [(entry.line, entry.definition) for entry in result.missing_terms] == [
        (1, "One full pass."),
        (6, "Third one."),
    ]
    assert result.entries[1] == GlossaryEntry("Beta", "Second.", 3)


@pytest.mark.parametrize(
    ("definition", "term"),
    [
        ("Direct Preference Optimization, a preference method.", "Direct Preference Optimization"),
        ("Learning Rate is a training hyperparameter.", "Learning Rate"),
        ("Quantized LoRA, a memory-efficient method.", "Quantized LoRA"),
        ("Key-Value Cache (KV), a store of attention states.", "Key-Value Cache (KV)"),
        ("Overfitting is a failure to generalize.", "Overfitting"),
        ("GPT, a family of models.", "GPT"),
        ("One full pass through the training dataset.", ""),
        ("A fine-tuning method that adds adapters.", ""),
        ("Parameter-efficient fine-tuning, a family of methods.", ""),
        ("However, a model can drift.", ""),
        ("This is a placeholder.", ""),
        ("Examples where people compare outputs.", ""),
    ],
    ids=[
        "apposition",
        "copula",
        "acronym-inside",
        "parenthesised-acronym",
        "single-word-copula",
        "bare-acronym",
        "sentence",
        "article",
        "lowercase-words",
        "single-ordinary-word",
        "pronoun",
        "plural-noun-clause",
    ],
)
def test_term_recovery_is_conservative(definition: str, term: str) -> None:
    (entry,) = parse_glossary(f"Definition\n{definition}\n", "g.txt").entries

    assert entry.term == term
    assert entry.term_recovered == bool(term)


def test_named_term_is_not_overwritten() -> None:
    (entry,) = parse_glossary("LR\tLearning Rate is a setting.\n", "g.txt").entries

    assert (entry.term, entry.term_recovered) == ("LR", False)


# ------------------------------------------------------------------------ errors

ERROR_CASES = [
    pytest.param("", None, "empty", id="empty"),
    pytest.param(" \n\t\r\n", None, "empty", id="whitespace-only"),
    pytest.param("\ufeff", None, "empty", id="bom-only"),
    pytest.param("PK\x03\x04\x00\x00\x08\x00", None, "binary", id="zip-bytes"),
    pytest.param("ok line\n\x01\x02\x03\x04\x05\x06", None, "binary", id="control-chars"),
    pytest.param("Just some prose.\nNothing else.\n", None, "unrecognised", id="prose"),
    pytest.param(
        "about:blank 1/5\n17:01 ,3.9.2025 about:blank\n3\n",
        None,
        "unrecognised",
        id="only-artefacts",
    ),
    pytest.param("Term\tDefinition\n", None, "no glossary entries", id="header-only"),
    pytest.param("Alpha\n\nDefinition\n", None, "no glossary entries", id="empty-block"),
    pytest.param("Alpha\tFirst.\n", "yaml", "unknown format", id="unknown-format"),
    pytest.param("Alpha\tFirst.\n", "markdown", "no glossary entries", id="wrong-forced-format"),
]


@pytest.mark.parametrize(("text", "fmt", "message"), ERROR_CASES)
def test_bad_documents_raise_glossary_error(text: str, fmt: str | None, message: str) -> None:
    with pytest.raises(GlossaryError) as caught:
        parse_glossary(text, "decks/bad.txt", fmt)

    assert str(caught.value).startswith("decks/bad.txt")
    assert message in caught.value.message
    assert caught.value.source == "decks/bad.txt"


def test_error_names_the_line_when_there_is_one() -> None:
    with pytest.raises(GlossaryError) as caught:
        parse_glossary("Alpha\tFirst.\nBeta\tSec\x00ond.\n", "g.tsv")

    assert caught.value.line == 2
    assert str(caught.value) == "g.tsv:2: the document looks like binary data, not text"


def test_error_message_format_without_line() -> None:
    error = GlossaryError("g.txt", "the document is empty")

    assert (error.source, error.line, str(error)) == ("g.txt", None, "g.txt: the document is empty")
    assert isinstance(error, ValueError)


# -------------------------------------------------------------------- invariants

GLOSSARY_PIECES = st.sampled_from(
    [
        "\t", "\n", "\r\n", "\r", '"', ",", ";", ": ", "**", "__", "- ", "# ", "  ",
        "Definition", "Term", "Term\tDefinition\n", "term,definition\n", "about:blank 2/5",
        "17:01 ,3.9.2025", "Alpha", "Beta is a thing.", "Gamma Ray, a ray", "\ufeff", "\x00",
        "\u2028", "\u2014", "\ud800", "12",
    ]
)  # fmt: skip
GLOSSARY_TEXT = st.one_of(st.text(), st.lists(GLOSSARY_PIECES, max_size=30).map("".join))


@settings(max_examples=300, deadline=None)
@given(
    text=GLOSSARY_TEXT,
    source=st.sampled_from(["g.txt", "g.csv", "g.tsv", "g.md", ""]),
    fmt=st.sampled_from([None, *FORMATS]),
)
def test_any_text_parses_or_raises_glossary_error(text: str, source: str, fmt: str | None) -> None:
    try:
        result = parse_glossary(text, source, fmt)
    except GlossaryError as error:
        assert str(error).startswith(source)
        return
    assert result.entries
    assert all(entry.definition for entry in result.entries)
    assert all(entry.line >= 1 for entry in result.entries)
