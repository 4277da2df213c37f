"""compress_tool / HeadroomTool: a tool's outputs compressed, originals in the store, schema unchanged."""

from __future__ import annotations

import asyncio
from typing import Any

from headroom import MemoryStore, find_refs, retrieve
from headroom_langchain import HeadroomTool, compress_tool
from langchain_core.messages import ToolMessage
from langchain_core.tools import ToolException, tool
from langchain_core.utils.function_calling import convert_to_openai_tool


def make_tools(log: str) -> tuple[Any, Any, Any]:
    @tool
    def read_log(path: str, lines: int = 400) -> str:
        """Read the last lines of a log file."""
        return log

    @tool(response_format="content_and_artifact")
    def read_log_with_stats(path: str) -> tuple[str, dict[str, int]]:
        """Read a log file and report its size."""
        return log, {"bytes": len(log)}

    @tool
    def read_blocks(path: str) -> list[dict[str, str]]:
        """Read a log file as content blocks."""
        return [{"type": "text", "text": log}, {"type": "text", "text": "end of file"}]

    return read_log, read_log_with_stats, read_blocks


def test_schema_name_and_description_are_the_tools_own(auth_log: str) -> None:
    read_log, _, _ = make_tools(auth_log)
    wrapped = compress_tool(read_log)
    assert isinstance(wrapped, HeadroomTool)
    assert convert_to_openai_tool(wrapped) == convert_to_openai_tool(read_log)
    assert HeadroomTool(tool=read_log).name == "read_log"


def test_tool_message_is_compressed_and_original_stored(auth_log: str, store: MemoryStore) -> None:
    read_log, _, _ = make_tools(auth_log)
    tc = {"name": "read_log", "args": {"path": "/var/log/auth.log"}, "id": "c1", "type": "tool_call"}
    msg = compress_tool(read_log, store=store).invoke(tc)
    assert isinstance(msg, ToolMessage) and msg.tool_call_id == "c1" and msg.name == "read_log"
    assert len(msg.content) < len(auth_log) / 2
    (ref,) = find_refs(str(msg.content))
    assert retrieve(ref, store=store) == auth_log


def test_plain_invocation_returns_compressed_text(auth_log: str, store: MemoryStore) -> None:
    read_log, _, _ = make_tools(auth_log)
    out = compress_tool(read_log, store=store).invoke({"path": "/var/log/auth.log"})
    assert isinstance(out, str) and find_refs(out) and len(out) < len(auth_log) / 2
    assert asyncio.run(compress_tool(read_log, store=store).ainvoke({"path": "/var/log/auth.log"})) == out


def test_artifacts_are_kept(auth_log: str, store: MemoryStore) -> None:
    _, with_stats, _ = make_tools(auth_log)
    tc = {"name": with_stats.name, "args": {"path": "x"}, "id": "c2", "type": "tool_call"}
    msg = compress_tool(with_stats, store=store).invoke(tc)
    assert msg.artifact == {"bytes": len(auth_log)}
    assert find_refs(str(msg.content))


def test_content_blocks_are_compressed_one_by_one(auth_log: str, store: MemoryStore) -> None:
    _, _, blocks = make_tools(auth_log)
    tc = {"name": blocks.name, "args": {"path": "x"}, "id": "c3", "type": "tool_call"}
    msg = asyncio.run(compress_tool(blocks, store=store).ainvoke(tc))
    first, second = msg.content
    assert find_refs(first["text"]) and second == {"type": "text", "text": "end of file"}


def test_tool_errors_pass_through(store: MemoryStore) -> None:
    @tool
    def flaky(path: str) -> str:
        """Always fails."""
        raise ToolException(f"{path}: permission denied")

    flaky.handle_tool_error = True
    tc = {"name": "flaky", "args": {"path": "/root/secret"}, "id": "c4", "type": "tool_call"}
    msg = compress_tool(flaky, store=store).invoke(tc)
    assert msg.status == "error" and msg.content == "/root/secret: permission denied"
