"""The proxy answers the model's headroom_retrieve calls itself, streaming or not; the client never sees them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from headroom.testing import FakeToolCall, RecordedRequest, Reply

from tests.core.proxy_support import (
    CLIENT_TOOLS_ANTHROPIC,
    CLIENT_TOOLS_CHAT,
    Rig,
    anthropic_messages,
    chat_messages,
    refs_in,
    responses_input,
    service_log,
)

LOG = service_log()
FAILURE = "payment gateway timeout after 30000ms order=10750"


def fetch(text: str | None = None, *, also: FakeToolCall | None = None) -> Callable[[RecordedRequest], Reply]:
    """A reply that retrieves the failure from the first ref the request carries."""

    def reply(req: RecordedRequest) -> Reply:
        (ref,) = refs_in(req)
        call = FakeToolCall("headroom_retrieve", {"ref": ref, "query": "gateway timeout"})
        return Reply(text=text, tool_calls=(also, call) if also else (call,))

    return reply


def billed(env: Rig) -> int:
    """Input tokens the fake upstream billed over every round."""
    return sum(max(1, len(r.body) // 4) for r in env.up.model_requests)


def reply_id(env: Rig, req: RecordedRequest) -> str:
    """The message/response id the fake upstream gave its answer to ``req``."""
    match = re.search(rb'"id": "((?:msg|resp|chatcmpl)_fake_\d+)"', env.up.reply_body(req))
    assert match
    return match[1].decode()


def retrieved_text(api: str, req: RecordedRequest) -> str:
    body = req.json
    if api == "chat":
        last = body["messages"][-1]
        assert last["role"] == "tool"
        return str(last["content"])
    if api == "anthropic":
        (block,) = body["messages"][-1]["content"]
        assert block["type"] == "tool_result" and not block.get("is_error")
        return str(block["content"])
    last = body["input"][-1]
    assert last["type"] == "function_call_output"
    return str(last["output"])


def ask(env: Rig, api: str, *, stream: bool) -> tuple[str, Any]:
    """Ask the question through the SDK; (all text the client saw, the final response object)."""
    if api == "chat":
        client = env.openai().chat.completions
        if not stream:
            out = client.create(model="gpt-4o", messages=chat_messages(LOG))  # type: ignore[arg-type]
            return out.choices[0].message.content or "", out
        chunks = list(
            client.create(
                model="gpt-4o",
                messages=chat_messages(LOG),
                stream=True,  # type: ignore[arg-type]
                stream_options={"include_usage": True},
            )
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        return text, chunks
    if api == "anthropic":
        msgs = env.anthropic().messages
        if not stream:
            m = msgs.create(model="claude-sonnet-4-6", max_tokens=300, messages=anthropic_messages(LOG))  # type: ignore[arg-type]
        else:
            with msgs.stream(model="claude-sonnet-4-6", max_tokens=300, messages=anthropic_messages(LOG)) as s:  # type: ignore[arg-type]
                m = s.get_final_message()
        return "".join(b.text for b in m.content if b.type == "text"), m
    responses = env.openai().responses
    if not stream:
        r = responses.create(model="gpt-4o", input=responses_input(LOG))  # type: ignore[arg-type]
    else:
        with responses.stream(model="gpt-4o", input=responses_input(LOG)) as s:  # type: ignore[arg-type]
            r = s.get_final_response()
    return r.output_text, r


def usage_in(api: str, final: Any) -> int:
    if api == "chat":
        usage = final.usage if not isinstance(final, list) else next(c.usage for c in final if c.usage)
        return int(usage.prompt_tokens)
    return int(final.usage.input_tokens)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("api", ["chat", "anthropic", "responses"])
def test_retrieval_loop(env: Rig, api: str, stream: bool) -> None:
    env.up.script(fetch("Let me look at the failure."), Reply.say("The payment gateway timed out."))
    text, final = ask(env, api, stream=stream)
    assert "headroom_retrieve" not in json.dumps(
        final if not isinstance(final, list) else [c.model_dump() for c in final], default=str
    )
    first, second = env.up.model_requests
    assert retrieved_text(api, first) != retrieved_text(api, second)
    original = retrieved_text(api, second)
    assert FAILURE in original and "[headroom:" not in original  # the original, not re-compressed
    assert text.startswith("Let me look at the failure.") and text.endswith("The payment gateway timed out.")
    assert usage_in(api, final) == billed(env)
    assert env.up.pending == 0


def test_anthropic_stream_indices_and_ids_stay_consistent(env: Rig) -> None:
    env.up.script(
        fetch("Checking."), Reply(text="Found it.", tool_calls=(FakeToolCall("read_log", {"file": "b.log"}),))
    )
    with env.anthropic().messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=300,
        messages=anthropic_messages(LOG),  # type: ignore[arg-type]
        tools=CLIENT_TOOLS_ANTHROPIC,
    ) as s:  # type: ignore[arg-type]
        events = list(s)
        final = s.get_final_message()
    starts = [e for e in events if e.type == "content_block_start"]
    assert [e.index for e in starts] == [0, 1, 2]
    assert [b.type for b in final.content] == ["text", "text", "tool_use"]
    assert final.content[2].name == "read_log" and final.stop_reason == "tool_use"  # type: ignore[union-attr]
    first, second = env.up.model_requests
    assert final.id == reply_id(env, first) != reply_id(env, second)  # the id the stream started with
    assert sum(1 for e in events if e.type == "message_start") == 1


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_mixed_turn_chat(env: Rig, stream: bool) -> None:
    """A client tool call and ours in one turn: the client gets its call, ours comes back next time."""
    env.up.script(fetch(also=FakeToolCall("read_log", {"file": "db.log"}, id="call_client")), Reply.say("Done."))
    client = env.openai().chat.completions
    messages = chat_messages(LOG)
    if stream:
        chunks = list(client.create(model="gpt-4o", messages=messages, tools=CLIENT_TOOLS_CHAT, stream=True))  # type: ignore[arg-type]
        calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
        assert [(tc.index, tc.function.name) for tc in calls if tc.function and tc.function.name] == [(0, "read_log")]
        assert {tc.index for tc in calls} == {0}
        finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        assert finish == ["tool_calls"]
    else:
        out = client.create(model="gpt-4o", messages=messages, tools=CLIENT_TOOLS_CHAT)  # type: ignore[arg-type]
        (call,) = out.choices[0].message.tool_calls or []
        assert call.id == "call_client" and out.choices[0].finish_reason == "tool_calls"
    assert len(env.up.model_requests) == 1  # our call was answered without a second round
    # the client runs its tool and sends the conversation on, without our call
    follow = [
        *messages,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_client",
                    "type": "function",
                    "function": {"name": "read_log", "arguments": '{"file": "db.log"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_client", "content": "db ok"},
    ]
    out = client.create(model="gpt-4o", messages=follow, tools=CLIENT_TOOLS_CHAT)  # type: ignore[arg-type]
    assert out.choices[0].message.content == "Done."
    sent = env.up.model_requests[-1].json["messages"]
    assistant = sent[len(messages)]
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["read_log", "headroom_retrieve"]
    ours = assistant["tool_calls"][1]["id"]
    roles = [(m["role"], m.get("tool_call_id")) for m in sent[len(messages) + 1 :]]
    assert roles == [("tool", ours), ("tool", "call_client")]
    assert FAILURE in sent[len(messages) + 1]["content"]


def test_mixed_turn_anthropic_stream(env: Rig) -> None:
    env.up.script(
        fetch("One moment.", also=FakeToolCall("read_log", {"file": "db.log"}, id="toolu_client")), Reply.say("Done.")
    )
    messages = anthropic_messages(LOG)
    with env.anthropic().messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=300,
        messages=messages,  # type: ignore[arg-type]
        tools=CLIENT_TOOLS_ANTHROPIC,
    ) as s:  # type: ignore[arg-type]
        final = s.get_final_message()
    assert [b.type for b in final.content] == ["text", "tool_use"] and final.stop_reason == "tool_use"
    follow = [
        *messages,
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in final.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_client", "content": "db ok"}]},
    ]
    env.anthropic().messages.create(
        model="claude-sonnet-4-6", max_tokens=300, messages=follow, tools=CLIENT_TOOLS_ANTHROPIC
    )  # type: ignore[arg-type]
    sent = env.up.model_requests[-1].json["messages"]
    tool_uses = [b["name"] for b in sent[3]["content"] if b["type"] == "tool_use"]
    assert tool_uses == ["read_log", "headroom_retrieve"]
    results = sent[4]["content"]
    assert [r["type"] for r in results] == ["tool_result", "tool_result"]
    assert FAILURE in results[0]["content"] and results[1]["tool_use_id"] == "toolu_client"


def test_rounds_run_out(env: Rig) -> None:
    """A model that keeps retrieving gets its turn ended after the configured rounds."""
    env.up.script(fetch("a"), fetch("b"), fetch("c"), fetch("d"), fetch("e"))
    out = env.openai().chat.completions.create(model="gpt-4o", messages=chat_messages(LOG))  # type: ignore[arg-type]
    assert len(env.up.model_requests) == 4  # the first call and 3 retrieval rounds
    assert out.choices[0].finish_reason == "stop" and not out.choices[0].message.tool_calls
    assert out.choices[0].message.content == "a\n\nb\n\nc\n\nd"


def test_responses_stream_id_is_resolved_on_the_next_turn(env: Rig) -> None:
    env.up.script(fetch("Looking."), Reply.say("Timeout."), Reply.say("You're welcome."))
    client = env.openai()
    with client.responses.stream(model="gpt-4o", input=responses_input(LOG)) as s:  # type: ignore[arg-type]
        events = list(s)
        final = s.get_final_response()
    seqs = [e.sequence_number for e in events]
    assert seqs == list(range(len(seqs)))
    first, second = env.up.model_requests
    assert final.id == events[0].response.id == reply_id(env, first)  # type: ignore[union-attr]
    assert [o.type for o in final.output] == ["message", "message"]
    client.responses.create(model="gpt-4o", previous_response_id=final.id, input="thanks")
    assert env.up.model_requests[-1].json["previous_response_id"] == reply_id(env, second)
