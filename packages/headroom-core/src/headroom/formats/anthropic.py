"""Anthropic Messages: ``tool_use`` / ``tool_result`` blocks, ``cache_control``, images, thinking."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from headroom.formats._base import (
    RETRIEVE_DESCRIPTION,
    RETRIEVE_PARAMETERS,
    Api,
    FormatName,
    Message,
    Slot,
    ToolCall,
    check_content,
    fail,
    parse_arguments,
    text_parts,
)
from headroom.markers import RETRIEVE_TOOL_NAME

TEXT_BLOCKS = frozenset({"text"})
TOOL_USE_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
ROLES = frozenset({"user", "assistant"})


class AnthropicFormat:
    """Adapter for ``/v1/messages`` message lists (the system prompt sits outside them)."""

    name: FormatName = "anthropic"
    api: Api = "anthropic-messages"
    items_key = "messages"
    system_key = "system"

    def validate(self, messages: Sequence[Any]) -> None:
        """Raise ValueError naming the first invalid message.

        A message with a role this adapter does not know (``system`` items that Claude Code sends
        inside ``messages``, or a future role) is not an error: it is carried as it is.
        """
        for i, m in enumerate(messages):
            if not isinstance(m, dict):
                raise fail(i, f"must be an object, not {type(m).__name__}")
            role = m.get("role")
            if not isinstance(role, str):
                raise fail(i, f"role must be a string, not {type(role).__name__}")
            if role not in ROLES:
                continue
            content = m.get("content")
            check_content(i, content)
            for j, block in enumerate(content if isinstance(content, list) else []):
                self._validate_block(i, j, block)

    def _validate_block(self, i: int, j: int, block: dict[str, Any]) -> None:
        kind = block["type"]
        if kind == "tool_result":
            if not isinstance(block.get("tool_use_id"), str):
                raise fail(i, f"content[{j}]: a tool_result needs a string 'tool_use_id'")
            inner = block.get("content")
            if inner is not None:
                try:
                    check_content(i, inner)
                except ValueError as e:
                    raise fail(i, f"content[{j}].{str(e).split(': ', 1)[1]}") from None
        elif kind == "tool_use" and not (isinstance(block.get("id"), str) and isinstance(block.get("name"), str)):
            raise fail(i, f"content[{j}]: a tool_use needs a string 'id' and 'name'")
        elif kind == "text" and not isinstance(block.get("text"), str):
            raise fail(i, f"content[{j}]: a text block needs a string 'text'")

    def slots(self, messages: Sequence[Message]) -> Iterator[Slot]:
        """tool_result contents (string or text blocks) and user text blocks."""
        for i, m in enumerate(messages):
            if m.get("role") != "user":
                continue
            content = m.get("content")
            if isinstance(content, str):
                yield Slot(i, ("content",), content, "user_text")
                continue
            for j, block in enumerate(content or []):
                kind = block.get("type")
                if kind == "tool_result":
                    call_id = block.get("tool_use_id")
                    for path, text in text_parts(block.get("content"), TEXT_BLOCKS):
                        yield Slot(i, ("content", j, "content", *path), text, "tool_result", call_id)
                elif kind == "text" and isinstance(block.get("text"), str):
                    yield Slot(i, ("content", j, "text"), block["text"], "user_text")

    def tool_calls(self, message: Message) -> list[ToolCall]:
        """``tool_use`` blocks of an assistant message."""
        content = message.get("content")
        if message.get("role") != "assistant" or not isinstance(content, list):
            return []
        return [self.parse_tool_call(b) for b in content if b.get("type") in TOOL_USE_BLOCKS]

    def user_text(self, message: Message) -> str | None:
        """Text blocks (not tool results) of a user message."""
        if message.get("role") != "user":
            return None
        return "\n".join(t for _, t in text_parts(message.get("content"), TEXT_BLOCKS)) or None

    def texts(self, message: Message) -> Iterator[str]:
        """Text, thinking, tool_use input and tool_result text (images and documents are not text)."""
        content = message.get("content")
        if isinstance(content, str):
            yield content
            return
        for block in content or []:
            kind = block.get("type")
            if kind == "text":
                yield block.get("text") or ""
            elif kind == "thinking":
                yield block.get("thinking") or ""
            elif kind in TOOL_USE_BLOCKS:
                yield f"{block.get('name', '')} {json.dumps(block.get('input', {}), ensure_ascii=False)}"
            elif kind == "tool_result":
                for _, text in text_parts(block.get("content"), TEXT_BLOCKS):
                    yield text

    def retrieve_tool(self) -> dict[str, Any]:
        """``{"name", "description", "input_schema"}``."""
        return {
            "name": RETRIEVE_TOOL_NAME,
            "description": RETRIEVE_DESCRIPTION,
            "input_schema": copy.deepcopy(RETRIEVE_PARAMETERS),
        }

    def parse_tool_call(self, call: Mapping[str, Any]) -> ToolCall:
        """A ``tool_use`` block."""
        return ToolCall(str(call.get("id", "")), str(call.get("name", "")), parse_arguments(call.get("input")))

    def answers(self, message: Message) -> list[str]:
        """The ``tool_use_id`` of each tool_result block."""
        content = message.get("content")
        if message.get("role") != "user" or not isinstance(content, list):
            return []
        return [b["tool_use_id"] for b in content if b.get("type") == "tool_result"]

    def is_system(self, message: Message) -> bool:
        """A ``system`` item inside ``messages`` (the main system prompt sits outside them)."""
        return message.get("role") == "system"

    def collapse(self, message: Message, marker: str) -> Message:
        """Text and media blocks go; tool_result contents become the marker; tool_use and thinking stay.

        A message with a role this adapter does not know (a ``system`` item) stays as it is.
        """
        if message.get("role") not in ROLES:
            return message
        content = message.get("content")
        if not isinstance(content, list):
            return {**message, "content": marker}
        blocks: list[Any] = []
        for block in content:
            kind = block.get("type")
            if kind == "tool_result":
                blocks.append({**block, "content": marker})
            elif kind not in ("text", "image", "document", "search_result"):
                blocks.append(block)
        if not any(b.get("type") == "tool_result" for b in blocks):
            at = sum(1 for b in blocks if b.get("type") in ("thinking", "redacted_thinking"))
            blocks.insert(at, {"type": "text", "text": marker})
        return {**message, "content": blocks}

    def note(self, marker: str) -> Message:
        """A user message with one text block."""
        return {"role": "user", "content": [{"type": "text", "text": marker}]}

    def tool_result(self, call_id: str, text: str, *, is_error: bool) -> dict[str, Any]:
        """A ``tool_result`` block (goes inside a user message)."""
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": call_id, "content": text}
        if is_error:
            block["is_error"] = True
        return block
