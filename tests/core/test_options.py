"""CompressOptions is checked where it is built, and every public function takes it or its fields."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import pytest
from headroom import CompressKwargs, CompressOptions, MemoryStore, compress, compress_request, compress_text

from .helpers import build_log, openai_conversation

BAD: list[tuple[dict[str, Any], str]] = [
    ({"volatile": "bogus"}, "volatile must be one of ['move', 'report'], not 'bogus'"),
    ({"min_tokens": -5}, "min_tokens must be an int >= 0, not -5"),
    ({"min_tokens": "250"}, "min_tokens must be an int >= 0, not '250'"),
    ({"user_text_min_tokens": 1.5}, "user_text_min_tokens must be an int >= 0"),
    ({"output_reserve": -1}, "output_reserve must be an int >= 0"),
    ({"max_query_chars": 0}, "max_query_chars must be an int >= 1"),
    ({"context_limit": 0}, "context_limit must be None or an int >= 1"),
    ({"fit": "yes"}, "fit must be True or False"),
    ({"dedupe": 1}, "dedupe must be True or False"),
    ({"text_model_budget_ms": -1}, "text_model_budget_ms must be a number >= 0"),
    ({"text_model": 3}, "text_model must be None or a string"),
    ({"level": "extreme"}, "level must be one of ['balanced', 'max', 'safe']"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD)
def test_bad_values_are_refused_with_the_field_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"CompressOptions.{message}".replace("[", r"\[").replace("]", r"\]")):
        CompressOptions(**kwargs)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        compress([{"role": "user", "content": "hi"}], "gpt-4o", **kwargs)


def test_typed_kwargs_match_the_options() -> None:
    fields = {f.name: f.type for f in dataclasses.fields(CompressOptions)}
    assert set(typing.get_type_hints(CompressKwargs)) == set(fields)
    assert CompressKwargs.__total__ is False


def test_unknown_names_are_a_type_error_listing_the_known_ones() -> None:
    with pytest.raises(TypeError, match=r"unknown compress option\(s\) \['min_token'\]; known options: .*min_tokens"):
        compress([{"role": "user", "content": "hi"}], "gpt-4o", min_token=5)  # type: ignore[call-arg]


def test_an_options_object_and_keywords_over_it_give_the_same_result(store: MemoryStore) -> None:
    messages = openai_conversation(build_log())
    by_kwargs = compress(messages, "gpt-4o", store=store, min_tokens=100, level="max")
    by_object = compress(messages, "gpt-4o", store=store, options=CompressOptions(min_tokens=100, level="max"))
    mixed = compress(messages, "gpt-4o", store=store, options=CompressOptions(level="max"), min_tokens=100)
    assert by_kwargs.messages == by_object.messages == mixed.messages
    untouched = compress(messages, "gpt-4o", store=store, options=CompressOptions(min_tokens=10**6))
    assert untouched.messages == messages


def test_compress_text_and_compress_request_take_an_options_object(store: MemoryStore) -> None:
    log = build_log()
    never = CompressOptions(min_tokens=10**6)
    assert compress_text(log, store=store, options=never).text == log
    assert compress_text(log, store=store).text != log
    body = {"model": "gpt-4o", "max_tokens": 100, "messages": openai_conversation(log)}
    new, result = compress_request(body, api="openai-chat", store=store, options=never)
    assert new["messages"] == body["messages"] and not result.refs
    _, result = compress_request({**body, "max_tokens": -3}, api="openai-chat", store=store)
    assert result.refs  # a nonsense max_tokens is the upstream's to judge, not an error of ours
