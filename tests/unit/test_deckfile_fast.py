"""The direct deck writer produces YAML that loads back to exactly what was written."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.deckfile import dump_deck_fast

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
card = st.fixed_dictionaries(
    {"term": text, "definition": text},
    optional={"aliases": st.lists(text, max_size=3), "missing_term": st.booleans()},
)
deck = st.fixed_dictionaries(
    {"name": text, "cards": st.lists(card, max_size=5)},
    optional={"description": text, "source": text, "tags": st.lists(text, max_size=3)},
)


@settings(max_examples=300, deadline=None)
@given(deck)
def test_fast_dump_round_trips_through_the_safe_loader(data: dict) -> None:
    assert yaml.safe_load(dump_deck_fast(data)) == data


def test_values_yaml_would_reinterpret_stay_strings() -> None:
    data = {"name": "no", "cards": [{"term": "1e3", "definition": "key: value # not a comment"}]}
    assert yaml.safe_load(dump_deck_fast(data)) == data
