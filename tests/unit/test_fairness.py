"""Masking a card's own names in a text shown as a question."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.fairness import (
    BLANK,
    card_names,
    is_acronym,
    mask_names,
    may_name_itself,
    may_name_their_terms,
    may_name_themselves,
    names_itself,
)

CASES = [
    pytest.param(
        "Learning Rate",
        (),
        "Learning Rate is a training hyperparameter; learning rates decay.",
        f"{BLANK} is a training hyperparameter; {BLANK} decay.",
        id="term-and-plural-any-case",
    ),
    pytest.param(
        "SFT",
        (),
        "Supervised Fine-Tuning, where a model is trained on labelled data.",
        f"{BLANK}, where a model is trained on labelled data.",
        id="expansion-of-an-acronym-term",
    ),
    pytest.param(
        "RLHF",
        (),
        "Reinforcement Learning from Human Feedback trains a reward model.",
        f"{BLANK} trains a reward model.",
        id="expansion-skipping-a-small-word",
    ),
    pytest.param(
        "Low-Rank Adaptation",
        (),
        "LoRA freezes the weights and trains low-rank adapters.",
        f"{BLANK} freezes the weights and trains {BLANK} adapters.",
        id="acronym-of-an-expanded-term",
    ),
    pytest.param(
        "Write-ahead log (WAL)",
        (),
        "A write-ahead log is flushed first; the WAL is replayed. Write-ahead log (WAL) again.",
        f"A {BLANK} is flushed first; the {BLANK} is replayed. {BLANK} again.",
        id="parenthesised-acronym",
    ),
    pytest.param(
        "Kullback-Leibler (KL) divergence",
        (),
        "KL divergence measures how far apart; the KL term.",
        f"{BLANK} measures how far apart; the {BLANK} term.",
        id="acronym-inside-the-term",
    ),
    pytest.param(
        "Central processing unit",
        ("CPU", "processor"),
        "The processor, or CPU, runs instructions.",
        f"The {BLANK}, or {BLANK}, runs instructions.",
        id="aliases",
    ),
    pytest.param(
        "Model",
        (),
        "A remodelled approach; models generalise.",
        f"A remodelled approach; {BLANK} generalise.",
        id="whole-words-only",
    ),
    pytest.param(
        "Fine-tuning",
        (),
        "Fine tuning continues training; fine-tuning helps.",
        f"{BLANK} continues training; {BLANK} helps.",
        id="hyphen-or-space",
    ),
    pytest.param(
        "Epoch",
        (),
        "One full pass through the training dataset.",
        "One full pass through the training dataset.",
        id="nothing-to-mask",
    ),
]


@pytest.mark.parametrize(("term", "aliases", "text", "masked"), CASES)
def test_mask_names(term: str, aliases: tuple[str, ...], text: str, masked: str) -> None:
    names = card_names(term, aliases)
    assert mask_names(text, names) == masked
    assert names_itself(text, names) is (BLANK in masked)


def test_masking_is_idempotent_and_keeps_other_text() -> None:
    names = card_names("Gradient descent", ("GD",))
    text = "GD (gradient descent) steps downhill; stochastic gradient descent samples."
    once = mask_names(text, names)
    assert mask_names(once, names) == once
    assert once == f"{BLANK} steps downhill; stochastic {BLANK} samples."


def test_several_cards_are_masked_together() -> None:
    text = "Unlike TCP, UDP sends datagrams."
    tcp, udp = card_names("TCP"), card_names("UDP")
    assert mask_names(text, tcp, udp) == f"Unlike {BLANK}, {BLANK} sends datagrams."


@pytest.mark.parametrize(
    ("name", "expected"),
    [("LoRA", True), ("RLHF", True), ("GPT-2", True), ("Model", False), ("KL divergence", False)],
)
def test_is_acronym(name: str, expected: bool) -> None:
    assert is_acronym(name) is expected


def test_a_short_acronym_does_not_blank_ordinary_words() -> None:
    names = card_names("ML", ("machine learning",))
    text = "Most languages; machine learning models learn."
    assert mask_names(text, names) == f"Most languages; {BLANK} models learn."


def test_a_names_own_words_are_blanked_in_questions_but_not_counted_as_naming() -> None:
    names = card_names("Query planner")
    text = "The component that chooses how a query is executed."
    assert mask_names(text, names) == f"The component that chooses how a {BLANK} is executed."
    assert not names_itself(text, names)  # a shared word is not the name


def test_small_words_of_a_name_are_not_blanked_alone() -> None:
    names = card_names("Reinforcement learning from human feedback")
    text = "Feedback from people, learned from rewards."
    assert mask_names(text, names) == f"{BLANK} from people, learned from rewards."


def _words(rng: random.Random, pool: list[str], low: int, high: int) -> str:
    return " ".join(rng.choice(pool) for _ in range(rng.randint(low, high)))


def test_the_quick_check_never_misses_a_self_naming_text() -> None:
    """``may_name_itself`` is a necessary condition: every text ``names_itself``
    finds (the masking cases and thousands of generated ones, with acronyms,
    parentheses, hyphens, plurals and accents) passes it, and it rules out most
    of the texts that share no word with the term."""
    rng = random.Random(7)
    pool = [
        "model",
        "Model",
        "LoRA",
        "low",
        "rank",
        "Low-Rank",
        "adaptation",
        "of",
        "the",
        "(WAL)",
        "write-ahead",
        "log",
        "logs",
        "Café",
        "CAFÉ",
        "straße",
        "STRASSE",
        "SFT",
        "supervised",
        "fine-tuning",
        "Fine",
        "tuning",
        "a",
        "KL",
        "divergence",
        "x",
        "GPUs",
        "gpu",
        "(",
        ")",
    ]
    cases: list[tuple[str, tuple[str, ...], str]] = [
        (values[0], values[1], values[2]) for values in (case.values for case in CASES)
    ]
    for _ in range(3000):
        term = _words(rng, pool, 1, 4)
        aliases = tuple(_words(rng, pool, 1, 2) for _ in range(rng.randint(0, 2)))
        cases.append((term, aliases, _words(rng, pool, 0, 12)))
    found = ruled_out = 0
    for term, aliases, text in cases:
        names = names_itself(text, card_names(term, aliases))
        quick = may_name_itself(text, term, aliases)
        assert quick or not names, (term, aliases, text)
        found += names
        ruled_out += not quick
    assert found > 500
    assert ruled_out > 100, ruled_out
    assert not may_name_itself("One full pass through the dataset.", "epoch")


def reference_may_name_itself(text: str, term: str, aliases: Sequence[str] = ()) -> bool:
    """``may_name_itself`` before it was made faster, kept verbatim as the reference."""
    if re.search(r"[A-Z][^\s]*[A-Z]", text):
        return True
    folded = text.casefold()
    for name in (term, *aliases) if aliases else (term,):
        if not name.islower() and sum(ch.isupper() for ch in name) >= 2:
            return True
        for word in re.findall(r"[^\W_]+", name.casefold()):
            if word in folded:
                return True
    return False


#: Characters that test every branch: capitals (ASCII and not), folds that change
#: length, every kind of white space, line breaks, underscores, digits, joiners.
TRICKY = (
    "aAbBzZ09_ -\u2010()'.\n\r\t\x0b\x0c\x1c\x1f\x85\xa0\u2028\u3000"
    "ßẞİ\u0131ÉéΣ\u03c3\u03c2\ufb01\u00b2"
)
tricky_text = st.text(st.sampled_from(TRICKY), max_size=30) | st.text(max_size=20)
card = st.tuples(tricky_text, st.lists(tricky_text, max_size=2), tricky_text)


@settings(max_examples=1500, deadline=None)
@given(st.lists(card, max_size=8))
def test_the_quick_checks_agree_with_the_original_on_any_text(
    cards: list[tuple[str, list[str], str]],
) -> None:
    expected = [
        i
        for i, (term, aliases, text) in enumerate(cards)
        if reference_may_name_itself(text, term, aliases)
    ]
    single = [
        i for i, (term, aliases, text) in enumerate(cards) if may_name_itself(text, term, aliases)
    ]
    texts = [text for _, _, text in cards]
    names = [(term, *aliases) for term, aliases, _ in cards]
    assert single == expected
    assert may_name_themselves(texts, names) == expected


def test_the_quick_checks_agree_with_the_original_on_the_generated_cases() -> None:
    rng = random.Random(11)
    pool = ["Model", "LoRA", "low", "rank", "Low-Rank", "of", "(WAL)", "log_file", "Café", "x"]
    pool += ["STRASSE", "straße", "GPUs", "AB\u2028CD", "A\x1cB", "line\nbreak", "ΣΑΣ", "é"]
    cards = [
        (_words(rng, pool, 1, 3), [_words(rng, pool, 1, 2)], _words(rng, pool, 0, 10))
        for _ in range(3000)
    ]
    cards += [(term, [], text) for term, _, text in cards[:500]]
    expected = [i for i, (t, a, x) in enumerate(cards) if reference_may_name_itself(x, t, a)]
    assert 100 < len(expected) < len(cards) - 100
    assert may_name_themselves([x for _, _, x in cards], [(t, *a) for t, a, _ in cards]) == (
        expected
    )
    ascii_only = [card for card in cards if "\n" not in card[2]]  # the one-pass route
    expected = [i for i, (t, a, x) in enumerate(ascii_only) if reference_may_name_itself(x, t, a)]
    texts = [x for _, _, x in ascii_only]
    assert may_name_themselves(texts, [(t, *a) for t, a, _ in ascii_only]) == expected


#: ASCII that tests the column route of ``may_name_their_terms``: capitals alone and
#: in pairs, digits, underscores, joiners, brackets and ASCII's odd white space.
ASCII_TRICKY = "aAbBzZ09_ -()'.\t\x0b\x0c\x1c\x1f"
ascii_term = st.text(st.sampled_from(ASCII_TRICKY), max_size=20) | st.sampled_from(
    ["epoch", "Learning Rate", "LoRA", "low rank", "x", "", " ", "a-b", "GPU_s"]
)
ascii_card = st.tuples(ascii_term, tricky_text)


@settings(max_examples=1500, deadline=None)
@given(st.lists(ascii_card | st.tuples(tricky_text, tricky_text), max_size=8))
def test_terms_read_as_a_column_agree_with_the_original(cards: list[tuple[str, str]]) -> None:
    expected = [i for i, (term, text) in enumerate(cards) if reference_may_name_itself(text, term)]
    texts = [text for _, text in cards]
    terms = [term for term, _ in cards]
    assert may_name_their_terms(texts, terms) == expected
    assert may_name_themselves(texts, [(term,) for term in terms]) == expected


def test_terms_read_as_a_column_on_a_generated_glossary() -> None:
    rng = random.Random(5)
    pool = ["model", "Model", "LoRA", "rank", "low", "of", "x", "GPUs", "log_file", "Low-Rank"]
    cards = [(_words(rng, pool, 1, 3), _words(rng, pool, 0, 10)) for _ in range(3000)]
    expected = [i for i, (term, text) in enumerate(cards) if reference_may_name_itself(text, term)]
    assert 100 < len(expected) < len(cards) - 100
    found = may_name_their_terms([text for _, text in cards], [term for term, _ in cards])
    assert found == expected
