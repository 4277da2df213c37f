"""Across a conversation's requests: tools byte-identical from the first on, continuations about its question."""

from __future__ import annotations

import json
from typing import Any

import pytest
from headroom.testing import Reply

from tests.core.proxy_support import (
    CLIENT_TOOLS_ANTHROPIC,
    CLIENT_TOOLS_RESPONSES,
    QUESTION,
    anthropic_messages,
    responses_input,
    rig,
    service_log,
    tool_names,
)


def _tools_bytes(body: dict[str, Any]) -> str:
    return json.dumps(body.get("tools"), sort_keys=False)


def test_an_agent_conversation_sends_the_same_tools_before_and_after_its_first_compressed_turn() -> None:
    with rig() as env:
        env.up.script(Reply.say("Let me read the log."), Reply.say("The gateway timed out."))
        client = env.anthropic()
        first = [{"role": "user", "content": QUESTION}]
        client.messages.create(model="claude-opus-4-8", max_tokens=64, messages=first, tools=CLIENT_TOOLS_ANTHROPIC)
        client.messages.create(
            model="claude-opus-4-8",
            max_tokens=64,
            messages=anthropic_messages(service_log()),
            tools=CLIENT_TOOLS_ANTHROPIC,
        )
        turn1, turn2 = env.up.requests
    assert "[headroom:" in turn2.text, "the second turn's log was not compressed"
    assert tool_names(turn1) == ["read_log", "headroom_retrieve"]
    assert _tools_bytes(turn1.json) == _tools_bytes(turn2.json)


def test_tools_declared_inside_an_input_item_count_as_an_agent_request() -> None:
    # Codex's default model lists its tools in an input item of its own, with no top-level `tools`.
    declared = {"type": "additional_tools", "role": "developer", "tools": CLIENT_TOOLS_RESPONSES}
    with rig() as env:
        env.up.script(Reply.say("Reading."), Reply.say("Timeout."))
        client = env.openai()
        client.responses.create(model="gpt-5", input=[declared, {"role": "user", "content": QUESTION}])  # type: ignore[list-item]
        client.responses.create(model="gpt-5", input=[declared, *responses_input(service_log())])  # type: ignore[list-item]
        turn1, turn2 = env.up.requests
    assert turn1.json["input"][0] == declared
    assert tool_names(turn1) == ["headroom_retrieve"]
    assert _tools_bytes(turn1.json) == _tools_bytes(turn2.json)
    assert "[headroom:" in turn2.text


def test_a_plain_chat_request_without_tools_goes_unchanged() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi in French."}]}
    with rig() as env:
        env.openai().chat.completions.create(**body)  # type: ignore[call-overload]
        (req,) = env.up.requests
    assert "tools" not in req.json


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_an_http_continuation_by_previous_response_id_is_compressed_for_the_earlier_question(stream: bool) -> None:
    rows = [{"order": 30_000 + i, "status": "paid", "amount": round(10 + i * 1.37, 2)} for i in range(400)]
    output = {"type": "function_call_output", "call_id": "call_orders", "output": json.dumps(rows)}
    with rig() as env:
        env.up.script(Reply.call("list_orders", {}, id="call_orders"), Reply.say("It was never charged."))
        client = env.openai()
        ask = {"model": "gpt-5", "tools": CLIENT_TOOLS_RESPONSES, "stream": stream}
        first = client.responses.create(input="Why did the payment for order 30250 fail?", **ask)  # type: ignore[call-overload]
        first_id = next(e.response.id for e in first if e.type == "response.completed") if stream else first.id
        again = client.responses.create(input=[output], previous_response_id=first_id, **ask)  # type: ignore[call-overload]
        if stream:
            list(again)
        sent = env.up.model_requests[-1].json["input"][0]["output"]
    assert len(sent) < len(output["output"]) / 10 and "30250," in sent  # the asked-about row, inline
