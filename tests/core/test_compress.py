"""compress(): accounting, retrieval tool, task context, determinism and failing open."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import headroom
import pytest
from headroom import MemoryStore, compress, compress_request, find_refs, retrieve, retrieve_tool_result
from headroom.compressors import ContentType, Detection, TaskContext
from headroom.formats import get_format
from headroom.markers import format_marker
from headroom.pipeline.pipeline import Pipeline, Request
from headroom.pipeline.router import ContentRouter
from headroom.store import Entry, StoreError

from tests.core.helpers import CONVERSATIONS, anthropic_conversation, build_log, openai_conversation


def test_quick_start(store: MemoryStore) -> None:
    result = compress(anthropic_conversation(build_log()), model="claude-sonnet-4-5-20250929", store=store)
    line = f"Saved {result.tokens_saved} tokens ({result.compression_ratio:.0%})"
    assert result.tokens_saved > 0 and line.endswith("%)")
    assert result.tokens_saved == result.tokens_before - result.tokens_after
    assert 0 < result.compression_ratio < 1
    assert result.tokenizer.startswith("claude-estimate") and not result.tokens_exact


def test_result_accounts_for_markers_and_the_tool_definition(store: MemoryStore) -> None:
    result = compress(openai_conversation(build_log()), model="gpt-4o", store=store)
    tool_tokens = headroom.tokens.get_tokenizer("gpt-4o").count(json.dumps(result.tools[0], ensure_ascii=False))
    (block,) = [b for b in result.blocks if b.status == "compressed"]
    assert result.tokens_after == result.tokens_before - (block.tokens_before - block.tokens_after) + tool_tokens
    assert block.ref == result.refs[0] and block.content_type is not None and block.seconds >= 0
    assert result.tokenizer == "o200k_base" and result.tokens_exact


@pytest.mark.parametrize("fmt", sorted(CONVERSATIONS))
def test_tools_carry_headroom_retrieve_in_the_callers_format(fmt: str, store: MemoryStore) -> None:
    result = compress(CONVERSATIONS[fmt](build_log()), model="gpt-4o", format=fmt, store=store)
    (tool,) = result.tools
    assert tool == get_format(fmt).retrieve_tool()
    name = tool["function"]["name"] if fmt == "openai" else tool["name"]
    assert name == "headroom_retrieve"


def test_every_marker_is_retrievable_through_find_refs_on_json(store: MemoryStore) -> None:
    log = build_log(2000)
    result = compress(openai_conversation(log), model="gpt-4o", store=store)
    refs = find_refs(json.dumps(result.messages))
    assert refs == result.refs and refs
    assert all(retrieve(r, store=store) == log for r in refs)


def test_default_store_redeems_refs_in_another_process(headroom_home: object) -> None:
    log = build_log()
    result = compress(openai_conversation(log), model="gpt-4o")
    code = "import headroom, sys; sys.stdout.write(headroom.retrieve(sys.argv[1]))"
    out = subprocess.run([sys.executable, "-c", code, result.refs[0]], capture_output=True, text=True, check=True)
    assert out.stdout == log


def test_a_block_compresses_the_same_in_turn_two_and_in_a_new_process(store: MemoryStore) -> None:
    turn1 = openai_conversation(build_log())
    turn2 = [
        *turn1,
        {"role": "assistant", "content": "The payment timed out upstream."},
        {"role": "user", "content": "Now check the queue warnings and the heartbeat latency."},
    ]
    first = compress(turn1, model="gpt-4o", store=store)
    second = compress(turn2, model="gpt-4o", store=store)
    assert second.messages[: len(turn1)] == first.messages
    assert json.dumps(second.messages[: len(turn1)]) == json.dumps(first.messages)

    code = (
        "import json, sys, headroom\n"
        "msgs = json.load(sys.stdin)\n"
        "sys.stdout.write(json.dumps(headroom.compress(msgs, model='gpt-4o', store=headroom.MemoryStore()).messages))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(turn1), capture_output=True, text=True, check=True
    )
    assert other.stdout == json.dumps(first.messages)


def test_task_context_is_the_user_text_before_the_blocks_own_call(store: MemoryStore) -> None:
    seen: list[TaskContext] = []

    @dataclass(frozen=True)
    class Spy:
        name: str = "spy"

        def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
            seen.append(task)
            return None

    messages = [
        *openai_conversation(build_log(), question="Why did payment 8812 fail?"),
        {"role": "user", "content": "Thanks. Something else entirely now."},
    ]
    run_pipeline(messages, store, Spy())
    (task,) = seen
    assert task.query == "Why did payment 8812 fail?"
    assert task.tool_name == "bash" and task.tool_args == {"command": "cat /var/log/app.log"}
    assert {"payment", "8812", "fail", "cat"} <= task.terms


def test_explicit_query_overrides_the_task_context(store: MemoryStore) -> None:
    result = compress(openai_conversation(build_log()), model="gpt-4o", store=store, query="queue depth")
    kept = result.messages[-1]["content"]
    assert "queue depth" in kept


def test_first_user_message_and_retrieved_originals_are_never_compressed(store: MemoryStore) -> None:
    log = build_log()
    messages = [
        {"role": "user", "content": "Here is the log, find the failure:\n" + log},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "r1",
                    "type": "function",
                    "function": {"name": "headroom_retrieve", "arguments": '{"ref": "0123456789abcdef"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "r1", "content": log},
        {"role": "user", "content": "And this one:\n" + log},
    ]
    result = compress(messages, model="gpt-4o", store=store)
    assert result.messages[0] == messages[0]
    assert result.messages[2] == messages[2]
    assert result.messages[3] != messages[3] and find_refs(result.messages[3]["content"])
    statuses = [b.status for b in result.blocks]
    assert statuses == ["skipped", "skipped", "compressed"]


def run_pipeline(messages: list[dict], store: MemoryStore, compressor: object) -> headroom.CompressResult:
    router = ContentRouter({t: compressor for t in ContentType})  # type: ignore[misc]
    request = Request(messages=messages, model="gpt-4o", adapter=get_format("openai"), store=lambda: store)
    return Pipeline(router=router).run(request)


@dataclass(frozen=True)
class Boom:
    name: str = "boom"

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        raise RuntimeError("compressor bug")


@dataclass(frozen=True)
class Bloat:
    name: str = "bloat"

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        return text + text


@dataclass(frozen=True)
class Forger:
    name: str = "forger"

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        return format_marker("feedfacefeedface", "everything omitted")


@dataclass(frozen=True)
class Cut:
    name: str = "cut"

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        return text[:100] + "\n" + format_marker(ref, "the rest omitted")


@pytest.mark.parametrize(
    ("compressor", "status"),
    [(Boom(), "error"), (Bloat(), "not_smaller"), (Forger(), "error")],
)
def test_a_misbehaving_compressor_keeps_the_original(compressor: object, status: str, store: MemoryStore) -> None:
    messages = openai_conversation(build_log())
    result = run_pipeline(messages, store, compressor)
    assert result.messages == messages and result.refs == []
    assert [b.status for b in result.blocks if b.kind == "tool_result"] == [status]
    assert result.tokens_after == result.tokens_before


def test_a_failing_store_means_no_marker(store: MemoryStore) -> None:
    class BrokenStore(MemoryStore):
        def put(self, ref: str, entry: Entry) -> None:
            raise StoreError("disk full")

    messages = openai_conversation(build_log())
    result = run_pipeline(messages, BrokenStore(), Cut())
    assert result.messages == messages and result.refs == []
    (block,) = [b for b in result.blocks if b.kind == "tool_result"]
    assert block.status == "error" and "disk full" in (block.error or "")


def test_the_original_is_stored_before_the_marker_leaves(store: MemoryStore) -> None:
    log = build_log()
    result = run_pipeline(openai_conversation(log), store, Cut())
    assert store.get(result.refs[0]).content == log


@pytest.mark.parametrize(
    ("api", "build", "key"),
    [
        ("openai-chat", openai_conversation, "messages"),
        ("anthropic-messages", anthropic_conversation, "messages"),
        ("openai-responses", CONVERSATIONS["responses"], "input"),
    ],
)
def test_compress_request_rewrites_only_messages_and_tools(
    api: str, build: object, key: str, store: MemoryStore
) -> None:
    user_tool = {"type": "function", "function": {"name": "bash", "parameters": {"type": "object"}}}
    body = {
        "model": "claude-sonnet-4-5" if "anthropic" in api else "gpt-4o",
        key: build(build_log()),  # type: ignore[operator]
        "tools": [user_tool],
        "temperature": 0,
        "system": "Be terse.",
        "metadata": {"trace": "t-1"},
    }
    new_body, result = compress_request(body, api=api, store=store)  # type: ignore[arg-type]
    assert {k: v for k, v in new_body.items() if k not in (key, "tools")} == {
        k: v for k, v in body.items() if k not in (key, "tools")
    }
    assert new_body["tools"] == [user_tool, *result.tools] and len(result.tools) == 1
    assert new_body[key] == result.messages and result.refs
    assert body["tools"] == [user_tool], "the caller's body was mutated"


def test_compress_request_rejects_bodies_without_messages() -> None:
    with pytest.raises(ValueError, match="'messages' list"):
        compress_request({"model": "gpt-4o"}, api="openai-chat")
    with pytest.raises(ValueError, match=r"unknown format or api .gemini."):
        compress_request({"messages": []}, api="gemini")  # type: ignore[arg-type]


def test_compress_request_accepts_a_string_responses_input(store: MemoryStore) -> None:
    new_body, result = compress_request({"model": "gpt-5", "input": "hello"}, api="openai-responses", store=store)
    assert new_body == {"model": "gpt-5", "input": "hello"} or new_body["input"][0]["content"] == "hello"
    assert result.tokens_saved == 0


@pytest.mark.parametrize("fmt", sorted(CONVERSATIONS))
def test_retrieve_tool_result_answers_in_each_format(fmt: str, store: MemoryStore) -> None:
    log = build_log()
    result = compress(CONVERSATIONS[fmt](log), model="gpt-4o", format=fmt, store=store)
    ref = result.refs[0]
    calls = {
        "openai": {
            "id": "c9",
            "type": "function",
            "function": {"name": "headroom_retrieve", "arguments": json.dumps({"ref": ref})},
        },
        "anthropic": {"type": "tool_use", "id": "c9", "name": "headroom_retrieve", "input": {"ref": ref}},
        "responses": {
            "type": "function_call",
            "call_id": "c9",
            "name": "headroom_retrieve",
            "arguments": json.dumps({"ref": ref, "query": "8812"}),
        },
    }
    answer = retrieve_tool_result(calls[fmt], format=fmt, store=store)  # type: ignore[arg-type]
    if fmt == "openai":
        assert answer == {"role": "tool", "tool_call_id": "c9", "content": log}
    elif fmt == "anthropic":
        assert answer == {"type": "tool_result", "tool_use_id": "c9", "content": log}
    else:
        assert answer["type"] == "function_call_output" and answer["call_id"] == "c9"
        assert "payment 8812 failed" in answer["output"] and "heartbeat" not in answer["output"]


def test_retrieve_tool_result_reports_unknown_refs_as_tool_errors(store: MemoryStore) -> None:
    call = {"type": "tool_use", "id": "c1", "name": "headroom_retrieve", "input": {"ref": "0123456789abcdef"}}
    answer = retrieve_tool_result(call, format="anthropic", store=store)
    assert answer["is_error"] is True and "0123456789abcdef" in answer["content"] and "not found" in answer["content"]
    bad = {"id": "c2", "type": "function", "function": {"name": "headroom_retrieve", "arguments": "{}"}}
    assert retrieve_tool_result(bad, format="openai", store=store)["content"].startswith("Error:")
    with pytest.raises(ValueError, match="not a headroom_retrieve call"):
        retrieve_tool_result({"id": "x", "function": {"name": "bash"}}, format="openai", store=store)


def test_compress_text_compresses_one_tool_output(store: MemoryStore) -> None:
    from headroom import compress_text

    log = build_log()
    result = compress_text(
        log, query="payment 8812", tool_name="bash", tool_args={"command": "cat app.log"}, store=store
    )
    assert "payment 8812 failed" in result.text and result.tokens_after < result.tokens_before / 2
    assert result.refs and retrieve(result.refs[0], store=store) == log
    assert f"{result.compression_ratio:.0%}".endswith("%") and result.block is not None
    retrieved = compress_text(log, tool_name="headroom_retrieve", store=store)
    assert retrieved.text == log and retrieved.refs == []


def test_originals_fetched_through_mcp_are_not_compressed_again(store: MemoryStore) -> None:
    log = build_log()
    call = {"id": "m1", "type": "function", "function": {"name": "mcp__headroom__headroom_retrieve", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "Why did payment 8812 fail?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "m1", "content": log},
    ]
    result = compress(messages, model="gpt-4o", store=store)
    assert result.messages[2]["content"] == log


def test_headrooms_own_output_is_not_compressed_again(store: MemoryStore) -> None:
    from headroom import compress_text

    log = build_log(3000)
    once = compress_text(log, query="payment 8812", store=store)
    twice = compress_text(once.text, query="payment 8812", store=store)
    assert twice.text == once.text and twice.refs == once.refs
    # With another store the markers are just data, and the text is compressed like any other.
    elsewhere = compress_text(once.text, query="payment 8812", store=MemoryStore())
    assert elsewhere.text != once.text
