"""Bad input: a clear error or a safe passthrough, never a crash, never a half-written store entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from headroom import MemoryStore, SQLiteStore, compress, compress_request, find_refs, retrieve

from tests.core.helpers import anthropic_conversation, build_log, openai_conversation


@pytest.mark.parametrize(
    "messages",
    [
        [None],
        [{"role": "user"}],
        [{"role": "tool", "tool_call_id": 5, "content": "x"}],
        [{"role": "assistant", "tool_calls": "not a list", "content": None}],
        [{"role": "user", "content": [{"type": "text", "text": "a"}, 7]}],
    ],
)
def test_malformed_messages_raise_value_error(messages: list, store: MemoryStore) -> None:
    with pytest.raises(ValueError, match=r"messages\[0\]"):
        compress(messages, model="gpt-4o", format="openai", store=store)


def test_undecodable_bytes_survive_round_trip(tmp_path: Path) -> None:
    raw = build_log().encode() + b"\nbinary tail \xff\xfe\x80 end\n"
    text = raw.decode("utf-8", "surrogateescape")  # how a tool output with bad bytes reaches Python
    store = SQLiteStore(tmp_path / "s.sqlite3")
    result = compress(openai_conversation(text), model="gpt-4o", store=store)
    assert result.refs, "the block was compressed"
    assert retrieve(result.refs[0], store=store).encode("utf-8", "surrogateescape") == raw
    store.close()


@pytest.mark.slow  # over 5 s on the 2-core machine
def test_fifty_megabyte_tool_result(store: MemoryStore) -> None:
    block = build_log(2000)
    big = "\n".join([block] * (50_000_000 // len(block) + 1))
    assert len(big) >= 50_000_000
    result = compress(openai_conversation(big), model="gpt-4o", store=store)
    assert result.tokens_after < result.tokens_before / 4
    (ref,) = result.refs
    assert retrieve(ref, store=store) == big


def test_deeply_nested_json_tool_result_passes_through(store: MemoryStore) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    result = compress(openai_conversation(deep), model="gpt-4o", store=store)
    assert result.messages[-1]["content"] == deep
    (block,) = [b for b in result.blocks if b.kind == "tool_result"]
    assert block.status in ("unchanged", "not_smaller")


def test_deeply_nested_unknown_keys_and_arguments_are_carried_over(store: MemoryStore) -> None:
    nested: object = "leaf"
    for _ in range(5000):
        nested = {"k": nested}
    messages = openai_conversation(build_log())
    messages[-1]["x_deep"] = nested
    messages[2]["tool_calls"][0]["function"]["arguments"] = "[" * 50_000 + "]" * 50_000
    result = compress(messages, model="gpt-4o", store=store)
    assert result.messages[-1]["x_deep"] is nested
    assert find_refs(result.messages[-1]["content"]) == result.refs


def test_json_that_is_not_a_request_body() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        compress_request(["not", "a", "body"], api="openai-chat")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"messages\[1\]"):
        compress_request(
            {"model": "claude-sonnet-4-5", "messages": [*anthropic_conversation("x")[:1], {"role": ["user"]}]},
            api="anthropic-messages",
        )


def test_tool_output_with_marker_lookalikes_is_still_compressed(store: MemoryStore) -> None:
    log = build_log().replace(
        "heartbeat ok", "heartbeat ok [headroom: fake; headroom_retrieve ref=ffffffffffffffff]", 3
    )
    result = compress(openai_conversation(log), model="gpt-4o", store=store)
    (block,) = [b for b in result.blocks if b.kind == "tool_result"]
    assert block.status == "compressed" and block.ref in result.refs
    assert retrieve(block.ref, store=store) == log
