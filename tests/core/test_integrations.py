"""The integration kit: the retrieve tool spec, answering calls, one tool output at a time, and edits."""

from __future__ import annotations

import copy
import dataclasses
import logging
from typing import Any

import pytest
from headroom import CompressOptions, Edit, MemoryStore, compress, compress_request, retrieve
from headroom import integrations as kit
from headroom.formats import get_format, replace_at
from headroom.store import Entry

from .helpers import build_log, openai_conversation


def test_all_is_explicit() -> None:
    assert set(kit.__all__) == {
        "RETRIEVE_TOOL",
        "RETRIEVE_TOOL_NAME",
        "Api",
        "CompressResult",
        "Edit",
        "FormatName",
        "RetrieveToolSpec",
        "ToolOutput",
        "ToolOutputCompressor",
        "answer_retrieve",
        "get_format",
    }
    assert all(hasattr(kit, name) for name in kit.__all__)


def test_retrieve_tool_spec_is_what_every_format_declares() -> None:
    spec = kit.RETRIEVE_TOOL
    assert spec.name == kit.RETRIEVE_TOOL_NAME == "headroom_retrieve"
    assert spec.openai() == get_format("openai").retrieve_tool()
    anthropic = get_format("anthropic").retrieve_tool()
    assert (spec.description, spec.schema()) == (anthropic["description"], anthropic["input_schema"])
    schema = spec.schema()
    schema["properties"].clear()  # a host may mutate what it is given
    assert spec.schema()["properties"], "the spec's own schema changed"


def test_answer_retrieve_gives_the_original_or_a_readable_error(store: MemoryStore) -> None:
    store.put("0123456789abcdef", Entry("alpha\nbeta timeout\ngamma", kind="text"))
    assert kit.answer_retrieve({"ref": "0123456789abcdef"}, store) == ("alpha\nbeta timeout\ngamma", False)
    assert kit.answer_retrieve({"ref": "0123456789abcdef", "query": "timeout"}, store) == ("2: beta timeout", False)
    assert kit.answer_retrieve({"ref": "0123456789abcdef", "lines": "3"}, store) == ("gamma", False)
    for bad in ({}, {"ref": ""}, {"ref": 7}, {"ref": "ffffffffffffffff"}, {"ref": "0123456789abcdef", "lines": "x"}):
        text, is_error = kit.answer_retrieve(bad, store)
        assert is_error and text, bad
    assert "not found" in kit.answer_retrieve({"ref": "ffffffffffffffff"}, store)[0].lower()


def test_tool_output_compressor_compresses_and_stores_the_original(store: MemoryStore) -> None:
    log = build_log()
    outputs = kit.ToolOutputCompressor(store=store, min_tokens=100)
    out = outputs.compress(log, tool_name="bash", tool_args={"command": "cat app.log"}, query="why did 8812 fail?")
    assert out.compressed and out.error is None
    assert len(out.text) < len(log) / 3 and "payment 8812 failed" in out.text
    assert out.tokens_saved > 1000 and out.seconds > 0
    assert [retrieve(r, store=store) for r in out.refs] == [log]


def test_tool_output_compressor_leaves_what_it_must_not_touch(store: MemoryStore) -> None:
    outputs = kit.ToolOutputCompressor(store=store)
    log = build_log()
    marked = outputs.compress(log).text
    for text, name in ((log, kit.RETRIEVE_TOOL_NAME), (marked, "bash"), ("", "bash"), ("small", "bash")):
        out = outputs.compress(text, tool_name=name)
        assert (out.text, out.compressed, out.tokens_saved) == (text, False, 0)


def test_tool_output_compressor_fails_open(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(MemoryStore):
        def put(self, ref: str, entry: Entry) -> None:
            raise OSError("disk full")

    log = build_log()
    with caplog.at_level(logging.WARNING, logger="headroom"):
        out = kit.ToolOutputCompressor(store=Broken()).compress(log, tool_name="bash")
    assert (out.text, out.compressed, out.refs) == (log, False, ())  # no marker without its original


def test_tool_output_compressor_checks_options_up_front() -> None:
    with pytest.raises(TypeError, match="unknown compress option"):
        kit.ToolOutputCompressor(min_token=5)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="min_tokens"):
        kit.ToolOutputCompressor(options=CompressOptions(), min_tokens=-5)
    assert kit.ToolOutputCompressor(options=CompressOptions(fit=True)).options.fit is False


def test_edits_name_every_replaced_block_and_rebuild_the_messages(store: MemoryStore) -> None:
    messages = openai_conversation(build_log())
    given = copy.deepcopy(messages)
    result = compress(messages, "gpt-4o", store=store, fit=False)
    [edit] = result.edits
    assert isinstance(edit, Edit)
    assert messages == given  # the input is untouched
    assert messages[edit.index]["content"] == edit.old and result.messages[edit.index]["content"] == edit.new
    [report] = [b for b in result.blocks if b.status == "compressed"]
    assert edit.path == ("content",) and edit.tokens_saved == report.tokens_before - report.tokens_after > 0
    assert replace_at(messages, {(e.index, e.path): e.new for e in result.edits}) == result.messages
    assert compress(result.messages, "gpt-4o", store=store, fit=False).edits == ()  # nothing new to replace


def test_edits_cover_text_parts_in_anthropic_tool_results(store: MemoryStore) -> None:
    log = build_log()
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Why did payment 8812 fail?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "bash", "input": {}}]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": log}]},
                {"type": "text", "text": "short note"},
            ],
        },
    ]
    result = compress(messages, "claude-sonnet-4-5", format="anthropic", store=store, fit=False)
    assert [(e.index, e.path, e.old) for e in result.edits] == [(2, ("content", 0, "content", 0, "text"), log)]
    assert dataclasses.replace(result.edits[0]).new == result.messages[2]["content"][0]["content"][0]["text"]


@pytest.mark.parametrize(
    ("api", "fmt"), [("openai-chat", "openai"), ("anthropic-messages", "anthropic"), ("openai-responses", "responses")]
)
def test_one_vocabulary_every_function_takes_either_name(api: str, fmt: str, store: MemoryStore) -> None:
    assert kit.get_format(api) is kit.get_format(fmt)
    assert (kit.get_format(fmt).name, kit.get_format(fmt).api) == (fmt, api)
    key = kit.get_format(api).items_key
    body = {"model": "gpt-4o", key: [{"role": "user", "content": "hi"}]}
    assert compress_request(body, api=api, store=store)[1].format == fmt  # type: ignore[arg-type]
    assert compress_request(body, api=fmt, store=store)[1].format == fmt  # type: ignore[arg-type]
    assert compress(body[key], "gpt-4o", format=api, store=store).format == fmt  # type: ignore[arg-type]


def test_an_unknown_name_lists_both_vocabularies() -> None:
    with pytest.raises(ValueError, match=r"unknown format or api 'openai-completions'.*'openai'.*'openai-chat'"):
        kit.get_format("openai-completions")
