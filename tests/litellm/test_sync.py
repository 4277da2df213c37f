"""The sync path: `headroom_litellm.completion` (LiteLLM's sync ``completion`` runs no async hooks)."""

from __future__ import annotations

import headroom_litellm
import litellm
import pytest
from headroom import MemoryStore, find_refs
from headroom.testing import FakeUpstream, Reply
from headroom_litellm import HeadroomCallback

from .conftest import ORIGINAL, TOOL, openai_messages, retrieve_first_ref


def test_sync_completion_compresses_and_answers_retrievals(up: FakeUpstream, store: MemoryStore) -> None:
    up.script(retrieve_first_ref, Reply.say("Orders 1000, 1061 and 1122 failed."))
    reply = headroom_litellm.completion(
        callback=HeadroomCallback(store=store),
        model="openai/fake-model",
        api_base=up.base_url + "/v1",
        api_key="sk-fake",
        messages=openai_messages(),
        tools=[TOOL],
    )
    assert reply.choices[0].message.content == "Orders 1000, 1061 and 1122 failed."
    first, second = up.model_requests
    assert len(first.body) < len(ORIGINAL) / 5
    assert find_refs(first.text)
    assert second.json["messages"][-1] == {
        "role": "tool",
        "tool_call_id": second.json["messages"][-2]["tool_calls"][0]["id"],
        "content": ORIGINAL,
    }


def test_plain_sync_completion_is_not_compressed(up: FakeUpstream, store: MemoryStore) -> None:
    """What the callback cannot do: LiteLLM's sync path calls none of its hooks."""
    saved = list(litellm.callbacks)
    litellm.callbacks = [HeadroomCallback(store=store)]
    try:
        up.script(Reply.say("ok"))
        litellm.completion(
            model="openai/fake-model", api_base=up.base_url + "/v1", api_key="sk-fake", messages=openai_messages()
        )
    finally:
        litellm.callbacks = saved
    assert up.model_requests[0].json["messages"][-1]["content"] == ORIGINAL


def test_sync_completion_refuses_to_stream() -> None:
    with pytest.raises(ValueError, match="does not stream"):
        headroom_litellm.completion(model="openai/fake-model", messages=openai_messages(), stream=True)
