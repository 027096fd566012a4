"""The hand-curated decks stay true to their seeds and stay usable as decks.

These read the YAML directly with ``yaml.safe_load`` rather than through the
deck loader, so they check the files themselves: a loader bug cannot hide a
broken deck, and a deck edit that drifts from its seed fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from trainer.core.glossary import parse_glossary
from trainer.core.model import normalize_term

REPO = Path(__file__).resolve().parents[2]
COURSE = ("fine-tuning-course.yaml", "000_291cd2076ff69804.txt", 13)
ALIGNMENT = ("fine-tuning-alignment.yaml", "004_9734c457b66b72ff.txt", 31)
DECKS = [COURSE, ALIGNMENT]
DECK_IDS = ["course", "alignment"]


def load_deck(file_name: str) -> dict[str, Any]:
    data = yaml.safe_load((REPO / "decks" / file_name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def seed_definitions(seed: str) -> list[str]:
    text = (REPO / "seeds" / seed).read_text(encoding="utf-8")
    return [squash(entry.definition) for entry in parse_glossary(text, seed).entries]


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("deck", "seed", "count"), DECKS, ids=DECK_IDS)
def test_deck_header_is_complete(deck: str, seed: str, count: int) -> None:
    data = load_deck(deck)

    for key in ("name", "description", "source"):
        assert isinstance(data[key], str) and data[key].strip(), key
    assert f"seeds/{seed}" in data["source"]
    assert "repaired" in data["source"]
    assert all(isinstance(tag, str) and tag for tag in data["tags"])


@pytest.mark.parametrize(("deck", "seed", "count"), DECKS, ids=DECK_IDS)
def test_every_card_has_a_term_and_a_definition(deck: str, seed: str, count: int) -> None:
    cards = load_deck(deck)["cards"]

    assert len(cards) == count
    for card in cards:
        assert set(card) <= {"term", "definition", "aliases", "tags"}
        assert isinstance(card["term"], str) and card["term"].strip()
        assert isinstance(card["definition"], str) and card["definition"].strip()
        for key in ("aliases", "tags"):
            assert all(isinstance(item, str) and item.strip() for item in card.get(key, []))


@pytest.mark.parametrize(("deck", "seed", "count"), DECKS, ids=DECK_IDS)
def test_no_term_or_alias_is_shared(deck: str, seed: str, count: int) -> None:
    """Terms name cards and aliases are accepted answers: each must point at one card."""
    owner: dict[str, str] = {}
    for card in load_deck(deck)["cards"]:
        names = {normalize_term(card["term"])} | {
            normalize_term(alias) for alias in card.get("aliases", [])
        }
        for name in names:
            assert name not in owner, (
                f"{name!r} names both {owner.get(name)!r} and {card['term']!r}"
            )
            owner[name] = card["term"]


@pytest.mark.parametrize(("deck", "seed", "count"), DECKS, ids=DECK_IDS)
def test_definitions_are_the_seed_definitions_in_order(deck: str, seed: str, count: int) -> None:
    definitions = [squash(card["definition"]) for card in load_deck(deck)["cards"]]

    assert definitions == seed_definitions(seed)


def test_course_deck_keeps_the_seed_terms() -> None:
    text = (REPO / "seeds" / COURSE[1]).read_text(encoding="utf-8")
    seed_terms = [entry.term for entry in parse_glossary(text, COURSE[1]).entries]

    assert [card["term"] for card in load_deck(COURSE[0])["cards"]] == seed_terms


def test_alignment_terms_follow_the_seed_alphabetical_order() -> None:
    """The lost terms were restored under the constraint that the chapter is sorted."""
    terms = [card["term"].casefold() for card in load_deck(ALIGNMENT[0])["cards"]]

    assert terms == sorted(terms)


@pytest.mark.parametrize(
    ("term", "alias"),
    [
        ("DPO", "Direct Preference Optimization"),
        ("LoRA", "Low-Rank Adaptation"),
        ("PEFT", "Parameter-Efficient Fine-Tuning"),
        ("PPO", "Proximal Policy Optimization"),
        ("QLoRA", "Quantized LoRA"),
        ("RLAIF", "Reinforcement Learning from AI Feedback"),
        ("RLHF", "Reinforcement Learning from Human Feedback"),
        ("Fine-Tuning Evaluation", "Evaluation"),
    ],
    ids=lambda value: str(value),
)
def test_alignment_acronyms_carry_their_expansion(term: str, alias: str) -> None:
    cards = {card["term"]: card for card in load_deck(ALIGNMENT[0])["cards"]}

    assert alias in cards[term]["aliases"]
