"""Streams and ``/v1/messages`` in the SDK: buffered retrieval, inline expansion, Anthropic's held-back streams."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import litellm
from headroom import MemoryStore, find_refs
from headroom.testing import FakeUpstream, Reply
from headroom_litellm import HeadroomCallback

from .conftest import (
    ORIGINAL,
    TOOL,
    anthropic_messages,
    needs_fastapi,
    openai_messages,
    retrieve_first_ref,
    tool_names,
)

Install = Callable[..., HeadroomCallback]
Run = Callable[[Any], Any]
FINAL = "Orders 1000, 1061 and 1122 failed."


async def _stream_chat(up: FakeUpstream, messages: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    stream = await litellm.acompletion(
        model="openai/fake-model",
        api_base=up.base_url + "/v1",
        api_key="sk-fake",
        messages=messages,
        tools=[TOOL],
        stream=True,
        num_retries=0,
    )
    deltas = [chunk.choices[0].delta async for chunk in stream]
    return "".join(d.content or "" for d in deltas), [c for d in deltas for c in d.tool_calls or []]


def test_a_stream_with_markers_is_answered_and_streamed_back(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    install(HeadroomCallback(store=store))
    up.script(retrieve_first_ref, Reply.say(FINAL))
    text, calls = run(_stream_chat(up, openai_messages()))
    assert text == FINAL
    assert calls == []
    first, second = up.model_requests
    assert first.json.get("stream") is not True  # made unstreamed so the retrieval could be answered
    assert json.dumps(ORIGINAL)[1:-1] in second.text


def test_a_stream_without_markers_stays_live(up: FakeUpstream, store: MemoryStore, install: Install, run: Run) -> None:
    install(HeadroomCallback(store=store))
    up.script(Reply.say(FINAL))
    text, _ = run(_stream_chat(up, openai_messages('{"status": 500}')))
    assert text == FINAL
    assert up.model_requests[0].json["stream"] is True


def test_inline_streaming_expands_the_call_on_the_next_request(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    install(HeadroomCallback(store=store, streaming="inline"))
    up.script(retrieve_first_ref)
    _, calls = run(_stream_chat(up, openai_messages()))
    assert up.model_requests[0].json["stream"] is True
    assert calls[0].function.name == "headroom_retrieve"  # the live stream carried the call
    # The client could not run the tool; on its next request the result comes from the store.
    call = {"id": calls[0].id, "type": "function", "function": {"name": "headroom_retrieve", "arguments": ""}}
    call["function"]["arguments"] = "".join(c.function.arguments or "" for c in calls)
    history = [
        *openai_messages(),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "Error: unknown tool headroom_retrieve"},
    ]
    up.script(Reply.say(FINAL))
    text, _ = run(_stream_chat(up, history))
    assert text == FINAL
    first, second = up.model_requests
    assert second.json["messages"][-1]["content"] == ORIGINAL
    assert second.json["messages"][2] == first.json["messages"][2]  # the earlier turn is compressed the same


def _messages_call(up: FakeUpstream, **kw: Any) -> Any:
    return litellm.anthropic.messages.acreate(
        model="anthropic/claude-sonnet-4-5",
        api_base=up.base_url,
        api_key="sk-fake",
        max_tokens=256,
        messages=anthropic_messages(),
        tools=[{"name": "get_requests", "input_schema": {"type": "object", "properties": {}}}],
        **kw,
    )


def test_anthropic_messages_are_compressed_and_retrievals_answered(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    install(HeadroomCallback(store=store))
    up.script(retrieve_first_ref, Reply.say(FINAL))
    reply = run(_messages_call(up))
    assert [b["type"] for b in reply["content"]] == ["text"]
    assert reply["content"][0]["text"] == FINAL
    first, second = up.model_requests
    assert first.path == "/v1/messages"
    assert len(first.body) < len(ORIGINAL) / 5
    assert tool_names(first.json) == ["get_requests", "headroom_retrieve"]
    (ref,) = find_refs(first.text)
    result = second.json["messages"][-1]["content"][0]
    assert result["type"] == "tool_result"
    assert result["content"] == ORIGINAL
    assert second.json["messages"][-2]["content"][-1]["input"] == {"ref": ref}


@needs_fastapi
def test_a_streamed_anthropic_answer_is_held_back_until_retrieval_is_done(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    install(HeadroomCallback(store=store))
    up.script(retrieve_first_ref, Reply.say(FINAL))

    async def read() -> bytes:
        return b"".join([chunk async for chunk in await _messages_call(up, stream=True)])

    sse = run(read()).decode()
    events = [json.loads(line[6:]) for line in sse.splitlines() if line.startswith("data: ")]
    text = "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
    assert text == FINAL
    assert "headroom_retrieve" not in sse  # the client never saw the tool call
    assert [r.json["stream"] for r in up.model_requests] == [True, True]
