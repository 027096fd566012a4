"""The Browse/search query language: filters beside free words, parsed without storage."""

from __future__ import annotations

import pytest

from trainer.core.search import QueryError, SearchQuery, parse_query, split_query


def test_free_words_and_every_filter() -> None:
    query = parse_query('alpha tag:greek deck:"Small deck" is:leech IS:Suspended is:new beta')
    assert query == SearchQuery(
        words=("alpha", "beta"),
        tags=("greek",),
        decks=("Small deck",),
        flags=frozenset({"leech", "suspended", "new"}),
    )
    assert query.text == "alpha beta"


def test_is_missing_and_an_empty_query() -> None:
    assert parse_query("is:missing").flags == {"missing"}
    assert parse_query("   ") == SearchQuery()


def test_a_colon_in_free_text_is_just_text() -> None:
    assert parse_query("ratio:3 http://x").words == ("ratio:3", "http://x")


@pytest.mark.parametrize(
    ("text", "message"),
    [("is:lost", "unknown filter"), ("tag:", "needs a value"), ('deck:""', "needs a value")],
)
def test_bad_filters_name_the_word(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as caught:
        parse_query(f"alpha {text}")
    assert text.split(":")[0] + ":" in str(caught.value)


def test_quotes_group_words_and_an_open_quote_runs_to_the_end() -> None:
    assert split_query('a "b c" d') == ["a", "b c", "d"]
    assert split_query('tag:"two words') == ["tag:two words"]
