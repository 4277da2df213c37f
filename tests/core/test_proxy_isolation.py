"""Nothing the proxy remembers between requests crosses clients or conversations."""

from __future__ import annotations

import json
from typing import Any

import pytest
from headroom.testing import FakeToolCall, RecordedRequest, Reply

from tests.core.proxy_support import (
    CLIENT_TOOLS_ANTHROPIC,
    CLIENT_TOOLS_CHAT,
    CLIENT_TOOLS_RESPONSES,
    Rig,
    anthropic_messages,
    chat_messages,
    refs_in,
    responses_input,
    service_log,
)

LOG = service_log()
SECRET = "payment gateway timeout after 30000ms order=10750"  # only in client A's retrieved original


def mixed_turn(call_id: str) -> Any:
    """A turn with a client tool call (``call_id``) and a headroom_retrieve of the request's first ref."""

    def reply(req: RecordedRequest) -> Reply:
        (ref,) = refs_in(req)
        ours = FakeToolCall("headroom_retrieve", {"ref": ref, "query": "gateway timeout"})
        return Reply(tool_calls=(FakeToolCall("read_log", {"file": "db.log"}, id=call_id), ours))

    return reply


def chat_follow(first: str, call_id: str) -> list[dict[str, Any]]:
    call = {"id": call_id, "type": "function", "function": {"name": "read_log", "arguments": '{"file": "db.log"}'}}
    return [
        {"role": "user", "content": first},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "content": "db ok"},
    ]


def anthropic_follow(first: str, call_id: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": first},
        {"role": "assistant", "content": [{"type": "tool_use", "id": call_id, "name": "read_log", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": "db ok"}]},
    ]


def responses_follow(first: str, call_id: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": first},
        {"type": "function_call", "call_id": call_id, "name": "read_log", "arguments": "{}"},
        {"type": "function_call_output", "call_id": call_id, "output": "db ok"},
    ]


def send(env: Rig, api: str, key: str, history: list[dict[str, Any]]) -> None:
    if api == "chat":
        env.openai(api_key=key).chat.completions.create(model="gpt-4o", messages=history, tools=CLIENT_TOOLS_CHAT)  # type: ignore[arg-type]
    elif api == "anthropic":
        env.anthropic(api_key=key).messages.create(
            model="claude-sonnet-4-6",
            max_tokens=100,
            messages=history,  # type: ignore[arg-type]
            tools=CLIENT_TOOLS_ANTHROPIC,  # type: ignore[arg-type]
        )
    else:
        env.openai(api_key=key).responses.create(model="gpt-4o", input=history, tools=CLIENT_TOOLS_RESPONSES)  # type: ignore[arg-type]


def history_text(req: RecordedRequest) -> str:
    """The conversation a request carries (its tools list, which offers headroom_retrieve, left out)."""
    return json.dumps(req.json.get("messages", req.json.get("input")))


FIRST = {"chat": chat_messages, "anthropic": anthropic_messages, "responses": responses_input}
FOLLOW = {"chat": chat_follow, "anthropic": anthropic_follow, "responses": responses_follow}


@pytest.mark.parametrize("api", ["chat", "anthropic", "responses"])
def test_a_hidden_retrieval_reaches_only_its_own_client_and_conversation(env: Rig, api: str) -> None:
    call_id = f"call_shared_{api}"
    env.up.script(mixed_turn(call_id), Reply.say("B"), Reply.say("A other"), Reply.say("A"))
    send(env, api, "sk-client-a", FIRST[api](LOG))  # A's retrieval is answered and held back
    assert len(env.up.model_requests) == 1
    # another key whose history holds a call with the same id gets nothing of A's
    send(env, api, "sk-client-b", FOLLOW[api]("What is in db.log?", call_id))
    assert SECRET not in env.up.model_requests[-1].text
    assert "headroom_retrieve" not in history_text(env.up.model_requests[-1])  # no call of ours put back
    # A's own other conversation that reuses the id gets nothing either
    send(env, api, "sk-client-a", FOLLOW[api]("What is in db.log?", call_id))
    assert SECRET not in env.up.model_requests[-1].text
    # A's conversation itself still gets its retrieval back
    first = FIRST[api](LOG)
    follow = FOLLOW[api]("", call_id)[1:]
    send(env, api, "sk-client-a", [*first, *follow])
    assert SECRET in env.up.model_requests[-1].text


def test_a_stateful_responses_follow_up_gets_its_retrieval_and_no_one_else_does(env: Rig) -> None:
    env.up.script(mixed_turn("call_stateful"), Reply.say("B"), Reply.say("A"))
    first = env.openai(api_key="sk-client-a").responses.create(
        model="gpt-4o",
        input=responses_input(LOG),  # type: ignore[arg-type]
        tools=CLIENT_TOOLS_RESPONSES,  # type: ignore[arg-type]
    )
    output = [{"type": "function_call_output", "call_id": "call_stateful", "output": "db ok"}]
    for key in ("sk-client-b", "sk-client-a"):
        env.openai(api_key=key).responses.create(
            model="gpt-4o",
            previous_response_id=first.id,
            input=output,  # type: ignore[arg-type]
            tools=CLIENT_TOOLS_RESPONSES,  # type: ignore[arg-type]
        )
    b, a = env.up.model_requests[-2:]
    assert SECRET not in b.text
    assert SECRET in a.text
