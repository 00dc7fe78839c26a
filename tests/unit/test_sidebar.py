"""The sidebar's pure parts: the page cursor and the in-memory directory's name order and word search."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from query_api.cursors import Cursor, decode_cursor, encode_cursor
from query_api.directory import Directory, name_key, words


def test_a_cursor_comes_back_as_it_was_handed_out() -> None:
    for cursor in (
        Cursor("conversations", ("2026-12-01T10:00:00+00:00", "u1")),
        Cursor("people", ("ann lee", "u2")),
        Cursor("people", None),
    ):
        assert decode_cursor(encode_cursor(cursor)) == cursor
    assert decode_cursor(None) == Cursor("conversations", None)


@pytest.mark.parametrize(
    "forged",
    ["x", "e30", "eyJwIjoiZXZpbCIsImEiOm51bGx9", "eyJwIjoiY29udmVyc2F0aW9ucyIsImEiOlsibm90IGEgZGF0ZSIsIngiXX0"],
)
def test_a_cursor_we_did_not_hand_out_is_refused(forged: str) -> None:
    with pytest.raises(HTTPException) as refused:
        decode_cursor(forged)
    assert refused.value.status_code == 422


def directory(names: dict[str, str]) -> Directory:
    d = Directory.__new__(Directory)
    d.names = names
    d._by_name = sorted((name_key(n), i) for i, n in names.items())
    d._by_word = sorted((w, i) for i, n in names.items() for w in words(n))
    return d


def test_pages_by_name_leave_out_whom_to_skip_and_go_on_after_the_cursor() -> None:
    d = directory({"a": "Zoë Adams", "b": "ann Lee", "c": "Bob", "d": "Émile", "me": "Me"})
    first = d.by_name(None, {"me", "c"}, 2)  # Émile sorts as Emile
    assert [i for _, i in first] == ["b", "d"]
    assert [i for _, i in d.by_name(first[-1], {"me", "c"}, 2)] == ["a"]


def test_search_matches_the_start_of_any_word_case_insensitively() -> None:
    d = directory({"a": "Zoë Adams", "b": "ann Lee", "c": "Annabel", "d": "Joanne"})
    assert [i for _, i in d.search("ann", None, set(), 10)] == ["b", "c"]  # not Joanne
    assert [i for _, i in d.search("ad", None, set(), 10)] == ["a"]
    assert [i for _, i in d.search("ann", ("ann lee", "b"), set(), 10)] == ["c"]
    assert [i for _, i in d.search("ann", ("annabel", "c"), set(), 10)] == []
    assert d.matches("a", "zoe") and not d.matches("a", "oe")
