"""The Responses API in the SDK (``litellm.aresponses``): compressed input, retrievals answered, streams buffered."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import litellm
from headroom import MemoryStore, find_refs
from headroom.testing import FakeUpstream, Reply
from headroom_litellm import HeadroomCallback

from .conftest import ORIGINAL, QUESTION, needs_mcp, retrieve_first_ref, tool_names

pytestmark = needs_mcp

Install = Callable[..., HeadroomCallback]
Run = Callable[[Any], Any]
FINAL = "Orders 1000, 1061 and 1122 failed."
TOOL = {"type": "function", "name": "get_requests", "parameters": {"type": "object", "properties": {}}}


def _input() -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": QUESTION},
        {"type": "function_call", "call_id": "call_1", "name": "get_requests", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": ORIGINAL},
    ]


def _aresponses(up: FakeUpstream, **kw: Any) -> Any:
    return litellm.aresponses(
        model="openai/fake-model", api_base=up.base_url + "/v1", api_key="sk-fake", input=_input(), tools=[TOOL], **kw
    )


def test_responses_input_is_compressed_and_retrievals_answered(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    install(HeadroomCallback(store=store))
    up.script(retrieve_first_ref, Reply.say(FINAL))
    reply = run(_aresponses(up))
    assert reply.output[-1].content[0].text == FINAL
    assert not [i for i in reply.output if getattr(i, "type", None) == "function_call"]
    first, second = up.model_requests
    assert first.path == "/v1/responses"
    assert len(first.body) < len(ORIGINAL) / 5
    assert tool_names(first.json) == ["get_requests", "headroom_retrieve"]
    (ref,) = find_refs(first.text)
    call, answer = second.json["input"][-2:]
    assert call["type"] == "function_call" and json.loads(call["arguments"]) == {"ref": ref}
    assert answer == {"type": "function_call_output", "call_id": call["call_id"], "output": ORIGINAL}


def test_a_streamed_responses_call_is_answered_then_streamed(
    up: FakeUpstream, store: MemoryStore, install: Install, run: Run
) -> None:
    install(HeadroomCallback(store=store))
    up.script(retrieve_first_ref, Reply.say(FINAL))

    async def events() -> list[Any]:
        return [event async for event in await _aresponses(up, stream=True)]

    seen = run(events())
    text = "".join(e.delta for e in seen if getattr(e, "type", "") == "response.output_text.delta")
    assert text == FINAL
    assert not any(r.json.get("stream") for r in up.model_requests)  # made unstreamed
