"""Masking a card's own names in a text shown as a question."""

from __future__ import annotations

import random

import pytest

from trainer.core.fairness import (
    BLANK,
    card_names,
    is_acronym,
    mask_names,
    may_name_itself,
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
