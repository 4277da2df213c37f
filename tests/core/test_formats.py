"""Every format keeps its exact structure and unknown keys, with and without compression."""

from __future__ import annotations

import copy
import json

import pytest
from headroom import MemoryStore, compress, find_refs, retrieve
from headroom.formats import detect_format

from tests.core.helpers import CONVERSATIONS, build_log

MODELS = {"openai": "gpt-4o", "anthropic": "claude-sonnet-4-5-20250929", "responses": "gpt-5"}


def _with_unknown_keys(messages: list[dict]) -> list[dict]:
    out = copy.deepcopy(messages)
    for i, m in enumerate(out):
        m["x_vendor_field"] = {"n": i, "nested": [1, "two", None]}
    return out


def _strip_text(obj: object) -> object:
    """The structure with every string replaced by its position: what must survive compression."""
    if isinstance(obj, dict):
        return {k: _strip_text(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_text(v) for v in obj]
    return "<str>" if isinstance(obj, str) else obj


@pytest.mark.parametrize("fmt", sorted(CONVERSATIONS))
def test_compressed_conversation_keeps_structure_and_unknown_keys(fmt: str, store: MemoryStore) -> None:
    log = build_log()
    messages = _with_unknown_keys(CONVERSATIONS[fmt](log))
    sent = copy.deepcopy(messages)

    result = compress(messages, model=MODELS[fmt], format=fmt, store=store)

    assert messages == sent, "the caller's messages were mutated"
    assert result.format == fmt
    assert result.tokens_after < result.tokens_before / 2
    assert _strip_text(result.messages) == _strip_text(messages)
    # Everything except the tool output is byte-identical.
    changed = [i for i, (a, b) in enumerate(zip(messages, result.messages, strict=True)) if a != b]
    assert changed == [len(messages) - 1]
    assert all(m["x_vendor_field"]["n"] == i for i, m in enumerate(result.messages))
    # The one ref written brings the original back exactly.
    (ref,) = result.refs
    assert retrieve(ref, store=store) == log


@pytest.mark.parametrize("fmt", sorted(CONVERSATIONS))
def test_small_conversation_passes_through_untouched(fmt: str, store: MemoryStore) -> None:
    messages = _with_unknown_keys(CONVERSATIONS[fmt]("exit code 0\n3 files changed"))
    result = compress(messages, model=MODELS[fmt], store=store)
    assert result.messages == messages
    assert result.refs == [] and result.tools == []
    assert result.tokens_saved == 0
    assert [b.status for b in result.blocks if b.kind == "tool_result"] == ["too_small"]


@pytest.mark.parametrize("fmt", sorted(CONVERSATIONS))
def test_format_is_detected_from_shape(fmt: str) -> None:
    assert detect_format(CONVERSATIONS[fmt]("x"), MODELS[fmt]) == fmt
    # The model name only breaks ties: an OpenAI-shaped list stays OpenAI under a Claude model.
    assert detect_format(CONVERSATIONS[fmt]("x"), "claude-opus-4-7" if fmt != "anthropic" else "gpt-4o") == fmt


def test_plain_text_messages_use_the_model_name_to_break_the_tie() -> None:
    plain = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    assert detect_format(plain, "claude-sonnet-4-5") == "anthropic"
    assert detect_format(plain, "gpt-4o") == "openai"


def test_anthropic_images_thinking_and_cache_control_pass_through(store: MemoryStore) -> None:
    messages = CONVERSATIONS["anthropic"](build_log())
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    messages[2]["content"].append(image)
    messages[1]["content"].insert(0, {"type": "redacted_thinking", "data": "EmwKAhgB"})
    result = compress(messages, model="claude-sonnet-4-5", system=[{"type": "text", "text": "sys"}], store=store)
    out = result.messages
    assert out[1] == messages[1]
    assert out[2]["content"][1] == image
    assert out[2]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert find_refs(out[2]["content"][0]["content"][0]["text"]) == result.refs


def test_openai_content_parts_are_compressed_part_by_part(store: MemoryStore) -> None:
    log = build_log()
    messages = CONVERSATIONS["openai"]("")
    messages[-1]["content"] = [{"type": "text", "text": log}, {"type": "text", "text": "exit 1"}]
    result = compress(messages, model="gpt-4o", store=store)
    parts = result.messages[-1]["content"]
    assert parts[1] == {"type": "text", "text": "exit 1"}
    assert find_refs(parts[0]["text"]) and retrieve(result.refs[0], store=store) == log


@pytest.mark.parametrize(
    ("fmt", "messages", "needle"),
    [
        ("openai", [{"role": "user", "content": "a"}, "not a dict"], "messages[1]"),
        ("openai", [{"role": ["user"], "content": "a"}], "messages[0]: role must be a string"),
        ("openai", [{"role": "tool", "content": "x"}], "tool_call_id"),
        ("openai", [{"role": "user", "content": 42}], "content must be"),
        ("openai", [{"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]}], "tool_calls[0]"),
        ("anthropic", [{"role": {"name": "user"}, "content": "x"}], "role must be a string"),
        ("responses", [{"type": "message", "role": None, "content": "x"}], "role must be a string"),
        ("anthropic", [{"role": "user", "content": [{"type": "tool_result"}]}], "tool_use_id"),
        ("anthropic", [{"role": "user", "content": [{"text": "no type"}]}], "content[0]"),
        (
            "anthropic",
            [{"role": "user", "content": "a"}, {"role": "assistant", "content": [{"type": "tool_use"}]}],
            "messages[1]",
        ),
        ("responses", [{"type": "function_call_output", "output": "x"}], "call_id"),
        ("responses", [{"type": "function_call", "call_id": "c"}], "name"),
    ],
)
def test_invalid_messages_name_the_index(fmt: str, messages: list, needle: str, store: MemoryStore) -> None:
    with pytest.raises(ValueError, match="messages\\[") as err:
        compress(messages, model="gpt-4o", format=fmt, store=store)  # type: ignore[arg-type]
    assert needle in str(err.value)


UNKNOWN_ITEMS = {
    # Claude Code sends system items inside `messages` (beta mid-conversation-system-2026-04-07).
    "anthropic": {"role": "system", "content": "Available agent types for the Agent tool: claude, explore."},
    "openai": {"role": "critic", "content": [{"type": "verdict", "score": 3}]},
    "responses": {"type": "reasoning_summary_v9", "id": "rs_1", "summary": [{"type": "note", "text": "x"}]},
}
NEW_BLOCK = {"type": "citation_bundle_v2", "payload": {"urls": ["https://example.com"], "n": 1}}


@pytest.mark.parametrize("fmt", sorted(UNKNOWN_ITEMS))
def test_an_item_the_adapter_does_not_know_is_carried_while_the_rest_is_compressed(
    fmt: str, store: MemoryStore
) -> None:
    log = build_log()
    messages = CONVERSATIONS[fmt](log)
    unknown = UNKNOWN_ITEMS[fmt]
    messages.insert(1, json.loads(json.dumps(unknown)))
    result = compress(messages, model=MODELS[fmt], store=store)
    assert result.messages[1] == unknown
    assert result.tokens_saved > 0 and result.refs
    assert retrieve(result.refs[0], store=store) == log


def test_an_unknown_block_type_is_carried_beside_a_compressed_tool_result(store: MemoryStore) -> None:
    log = build_log()
    messages = CONVERSATIONS["anthropic"](log)
    messages[-1]["content"].append(json.loads(json.dumps(NEW_BLOCK)))
    messages[1]["content"].insert(0, json.loads(json.dumps(NEW_BLOCK)))
    result = compress(messages, model=MODELS["anthropic"], store=store)
    assert result.messages[-1]["content"][-1] == NEW_BLOCK and result.messages[1]["content"][0] == NEW_BLOCK
    assert result.tokens_saved > 0 and retrieve(result.refs[0], store=store) == log


def test_messages_must_be_a_list() -> None:
    with pytest.raises(TypeError, match="list of message"):
        compress("hello", model="gpt-4o")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown format"):
        compress([], model="gpt-4o", format="gemini")  # type: ignore[arg-type]


def test_unknown_option_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match="unknown compress option"):
        compress([], model="gpt-4o", agressive=True)


def test_output_is_json_serialisable(store: MemoryStore) -> None:
    for fmt, build in CONVERSATIONS.items():
        result = compress(build(build_log()), model=MODELS[fmt], store=store)
        assert json.loads(json.dumps(result.messages)) == result.messages
