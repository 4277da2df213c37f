"""Whole conversations: a repeated tool output becomes a reference to the earlier one plus what changed."""

from __future__ import annotations

import json

from headroom import MemoryStore, compress, find_refs, retrieve


def source(version: int) -> str:
    lines = [f"def handler_{i}(request):\n    return respond(request, code={200 + i})" for i in range(60)]
    if version == 2:
        lines[30] = "def handler_30(request):\n    return respond(request, code=503)  # fixed"
    return "\n".join(lines)


def read_file_turns(outputs: list[str]) -> list[dict]:
    messages: list[dict] = [{"role": "user", "content": "Fix handler_30 so it returns 503."}]
    for k, out in enumerate(outputs):
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"c{k}",
                        "type": "function",
                        "function": {"name": "read_file", "arguments": '{"path": "app.py"}'},
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": f"c{k}", "content": out})
    return messages


def test_a_file_read_twice_is_not_repeated(store: MemoryStore) -> None:
    messages = read_file_turns([source(1), "ok", source(1)])
    result = compress(messages, model="gpt-4o", store=store, query="handler_30")
    second = result.messages[-1]["content"]
    assert second.startswith("[headroom: identical to the output of read_file in message 3")
    (ref,) = find_refs(second)
    assert retrieve(ref, store=store) == source(1)
    assert [b.compressor for b in result.blocks][-1] == "dedupe"


def test_an_edited_file_shows_only_what_changed(store: MemoryStore) -> None:
    messages = read_file_turns([source(1), source(2)])
    result = compress(messages, model="gpt-4o", store=store, query="handler_30")
    second = result.messages[-1]["content"]
    assert "same as the output of read_file in message 3" in second
    assert "+    return respond(request, code=503)  # fixed" in second
    assert "-    return respond(request, code=230)" in second
    assert len(second) < len(source(2)) / 4
    assert retrieve(find_refs(second)[0], store=store) == source(2)


def test_the_earlier_occurrence_never_changes(store: MemoryStore) -> None:
    turn1 = read_file_turns([source(1)])
    turn2 = read_file_turns([source(1), source(1)])
    first = compress(turn1, model="gpt-4o", store=store).messages
    second = compress(turn2, model="gpt-4o", store=store).messages
    assert json.dumps(second[: len(first)]) == json.dumps(first)


def test_dedupe_can_be_turned_off(store: MemoryStore) -> None:
    messages = read_file_turns([source(1), source(1)])
    result = compress(messages, model="gpt-4o", store=store, dedupe=False)
    assert "dedupe" not in [b.compressor for b in result.blocks]
