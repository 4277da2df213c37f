"""Markers that arrive in the input: real ones, look-alikes, and Headroom's own output sent back."""

from __future__ import annotations

import pytest
from headroom import MemoryStore, compress, find_refs, retrieve

from tests.core.helpers import build_log, openai_conversation

FAKE = "[headroom: 12 rows omitted; headroom_retrieve ref=0123456789abcdef]"


def _tool_block(result):  # type: ignore[no-untyped-def]
    (block,) = [b for b in result.blocks if b.kind == "tool_result"]
    return block


def test_a_block_quoting_one_real_marker_is_still_compressed(store: MemoryStore) -> None:
    earlier = compress(openai_conversation(build_log(400)), model="gpt-4o", store=store)
    (marker_ref,) = earlier.refs
    marker = next(line for line in earlier.messages[-1]["content"].splitlines() if marker_ref in line)
    lines = build_log(3000).splitlines()
    lines.insert(1500, f"note from the last run: {marker}")  # e.g. a transcript or a file the agent wrote
    text = "\n".join(lines)
    result = compress(openai_conversation(text), model="gpt-4o", store=store)
    block = _tool_block(result)
    assert block.status == "compressed" and block.tokens_after < block.tokens_before / 2
    assert retrieve(block.ref, store=store) == text  # nothing lost, the quoted marker included


def test_headroom_output_sent_back_stays_byte_identical(store: MemoryStore) -> None:
    first = compress(openai_conversation(build_log(3000)), model="gpt-4o", store=store)
    again = compress(first.messages, model="gpt-4o", store=store)
    assert again.messages == first.messages
    assert _tool_block(again).status == "unchanged"
    assert again.refs == first.refs


def test_result_refs_name_only_refs_the_store_holds(store: MemoryStore) -> None:
    log = build_log().replace("heartbeat ok", f"heartbeat ok {FAKE}", 2)
    messages = openai_conversation(log)
    messages[1]["content"] += f" (see {FAKE.replace('0123456789abcdef', 'fedcba9876543210')})"
    result = compress(messages, model="gpt-4o", store=store)
    assert "0123456789abcdef" in str(result.messages) and "fedcba9876543210" in str(result.messages)
    assert result.refs == [_tool_block(result).ref]
    for ref in result.refs:
        assert retrieve(ref, store=store)


def test_look_alikes_alone_bring_no_refs_and_no_tool(store: MemoryStore) -> None:
    messages = openai_conversation(f"short output {FAKE}")
    result = compress(messages, model="gpt-4o", store=store)
    assert find_refs(str(result.messages)) == ["0123456789abcdef"]
    assert result.refs == [] and result.tools == []


@pytest.mark.parametrize("fmt", [None, "openai", "anthropic", "responses"])
@pytest.mark.parametrize("role", [["user"], {"name": "user"}])
def test_a_role_that_is_not_a_string_is_a_value_error_naming_the_index(
    fmt: str | None, role: object, store: MemoryStore
) -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": role, "content": "there"}]
    with pytest.raises(ValueError, match=r"messages\[1\]"):
        compress(messages, model="gpt-4o", format=fmt, store=store)  # type: ignore[arg-type]
