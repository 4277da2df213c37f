"""Cache safety: stable prefixes, cache_control breakpoints honoured, volatile values found."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from headroom import MemoryStore, compress, compress_request, find_refs, retrieve
from headroom.compressors import ContentType, Detection, LineCompressor, TaskContext
from headroom.formats import get_format
from headroom.pipeline.pipeline import Pipeline, Request
from headroom.pipeline.router import ContentRouter

from tests.core.helpers import build_log


def agent_turns(n: int) -> list[dict]:
    """An Anthropic agent conversation with ``n`` tool round trips, each reading a different log."""
    messages: list[dict] = [{"role": "user", "content": [{"type": "text", "text": "Find why payments fail."}]}]
    for k in range(n):
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": f"Reading log {k}."},
                    {"type": "tool_use", "id": f"toolu_{k}", "name": "bash", "input": {"command": f"cat app{k}.log"}},
                ],
            }
        )
        log = build_log(300 + 40 * k).replace("worker-3", f"worker-{k}")
        messages.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{k}", "content": log}]}
        )
    return messages


def with_breakpoint_on_last(messages: list[dict]) -> list[dict]:
    out = copy.deepcopy(messages)
    out[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
    return out


def test_each_turn_starts_with_the_previous_turns_output(store: MemoryStore) -> None:
    convo = agent_turns(6)
    previous: list[dict] | None = None
    for end in range(3, len(convo) + 1, 2):
        out = compress(convo[:end], model="claude-sonnet-4-5", store=store).messages
        if previous is not None:
            assert json.dumps(out[: len(previous)]) == json.dumps(previous)
        previous = out


def test_content_before_the_last_breakpoint_keeps_the_bytes_the_client_sent(store: MemoryStore) -> None:
    convo = agent_turns(3)
    convo[2]["content"][0]["cache_control"] = {"type": "ephemeral"}  # cached earlier, never seen by Headroom
    result = compress(convo, model="claude-sonnet-4-5", store=store)
    assert result.messages[:3] == convo[:3]
    assert result.messages[4] != convo[4] and find_refs(json.dumps(result.messages[4]))
    assert result.cache is not None and result.cache.breakpoint == (2, 0)
    assert result.cache.frozen_blocks >= 1 and result.cache.reused_blocks == 0


@dataclass(frozen=True)
class Newer:
    """A different compressor version: keeps far less than the one that ran before."""

    name: str = "lines-v2"

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        return LineCompressor(keep_ratio=0.05).compress(text, ref=ref, task=task, detection=detection)


def test_a_moving_breakpoint_keeps_what_was_sent_even_if_compression_changed(store: MemoryStore) -> None:
    convo = agent_turns(3)
    turn1 = with_breakpoint_on_last(convo[:3])
    first = compress(turn1, model="claude-sonnet-4-5", store=store).messages
    assert first[2] != turn1[2], "the newest tool result was compressed"

    turn2 = with_breakpoint_on_last(convo[:5])
    router = ContentRouter({t: Newer() for t in ContentType})
    request = Request(messages=turn2, model="claude-sonnet-4-5", adapter=get_format("anthropic"), store=lambda: store)
    second = Pipeline(router=router).run(request)
    assert json.dumps(second.messages[:2]) == json.dumps(first[:2])
    sent = first[2]["content"][0]["content"]
    assert second.messages[2]["content"][0]["content"] == sent, "the cached prefix kept its bytes"
    assert second.cache is not None and second.cache.reused_blocks == 1
    # The reused block's marker still redeems the original.
    (ref,) = find_refs(json.dumps(second.messages[2]))
    assert retrieve(ref, store=store) == convo[2]["content"][0]["content"]


def test_volatile_values_in_system_and_tools_are_reported(store: MemoryStore) -> None:
    system = (
        "You are a helpful agent.\nCurrent time: 2026-11-23T10:15:00Z\nSession 3f2a9c1e-8b7d-4e21-9a0f-1c2d3e4f5a6b"
    )
    tools = [{"name": "search", "description": "Search. req_id=req_8f7a6b5c4d3e2f1a", "input_schema": {}}]
    result = compress(agent_turns(1), model="claude-sonnet-4-5", system=system, tools=tools, store=store)
    assert result.cache is not None
    kinds = {(v.where, v.kind) for v in result.cache.volatile}
    assert {("system", "timestamp"), ("system", "uuid"), ("tools", "request_id")} <= kinds
    assert result.system is system and not result.cache.moved_volatile


def test_volatile_move_puts_those_lines_at_the_end_of_the_prompt(store: MemoryStore) -> None:
    system = "You are a helpful agent.\nToday is 2026-11-23.\nAnswer briefly."
    body = {"model": "claude-sonnet-4-5", "system": system, "messages": agent_turns(1), "max_tokens": 1000}
    new_body, result = compress_request(body, api="anthropic-messages", store=store, volatile="move")
    assert new_body["system"] == "You are a helpful agent.\nAnswer briefly."
    last = new_body["messages"][-1]
    assert last["role"] == "user" and "Today is 2026-11-23." in last["content"][0]["text"]
    assert result.cache is not None and result.cache.moved_volatile


def test_two_runs_give_identical_bytes(store: MemoryStore) -> None:
    convo = agent_turns(4)
    a = compress(convo, model="claude-sonnet-4-5", store=store)
    b = compress(copy.deepcopy(convo), model="claude-sonnet-4-5", store=MemoryStore())
    assert json.dumps(a.messages) == json.dumps(b.messages)
