"""A conversation's tool list is byte-identical from its first request on, so the prompt cache keeps hitting."""

from __future__ import annotations

import json
from typing import Any

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
