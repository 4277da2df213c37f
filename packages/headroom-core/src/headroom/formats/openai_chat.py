"""OpenAI Chat Completions messages: string or content-part content, ``tool`` role, ``tool_calls``."""

from __future__ import annotations

import copy
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

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
TEXT_PARTS = frozenset({"text"})


class OpenAIChatFormat:
    """Adapter for ``/v1/chat/completions`` message lists."""

    name: FormatName = "openai"
    api: Api = "openai-chat"
    items_key = "messages"
    system_key = "instructions"

    def validate(self, messages: Sequence[Any]) -> None:
        """Raise ValueError naming the first invalid message."""
        for i, m in enumerate(messages):
            if not isinstance(m, dict):
                raise fail(i, f"must be an object, not {type(m).__name__}")
            role = m.get("role")
            if not isinstance(role, str):
                raise fail(i, f"role must be a string, not {type(role).__name__}")
            if role not in ROLES:
                continue  # a role this adapter does not know is carried as it is
            check_content(i, m.get("content"), allow_none=role in ("assistant", "function", "tool"))
            if role == "tool" and not isinstance(m.get("tool_call_id"), str):
                raise fail(i, "a tool message needs a string 'tool_call_id'")
            calls = m.get("tool_calls")
            if calls is not None:
                if role != "assistant" or not isinstance(calls, list):
                    raise fail(i, "'tool_calls' must be a list on an assistant message")
                for j, c in enumerate(calls):
                    fn = c.get("function") if isinstance(c, dict) else None
                    if not isinstance(c, dict) or not isinstance(c.get("id"), str) or not isinstance(fn, dict):
                        raise fail(i, f"tool_calls[{j}] needs an 'id' and a 'function' object")

    def slots(self, messages: Sequence[Message]) -> Iterator[Slot]:
        """Tool message contents and user text, part by part."""
        for i, m in enumerate(messages):
            role = m.get("role")
            if role in ("tool", "function"):
                call_id = m.get("tool_call_id") if role == "tool" else None
                for path, text in text_parts(m.get("content"), TEXT_PARTS):
                    yield Slot(i, ("content", *path), text, "tool_result", call_id)
            elif role == "user":
                for path, text in text_parts(m.get("content"), TEXT_PARTS):
                    yield Slot(i, ("content", *path), text, "user_text")

    def tool_calls(self, message: Message) -> list[ToolCall]:
        """The assistant message's ``tool_calls``."""
        if message.get("role") != "assistant":
            return []
        return [self.parse_tool_call(c) for c in message.get("tool_calls") or []]

    def user_text(self, message: Message) -> str | None:
        """Joined text parts of a user message."""
        if message.get("role") != "user":
            return None
        return "\n".join(t for _, t in text_parts(message.get("content"), TEXT_PARTS)) or None

    def texts(self, message: Message) -> Iterator[str]:
        """Content text and tool-call names/arguments."""
        for _, text in text_parts(message.get("content"), TEXT_PARTS | {"refusal"}):
            yield text
        for c in message.get("tool_calls") or []:
            fn = c.get("function") or {}
            yield f"{fn.get('name', '')} {fn.get('arguments', '')}"

    def retrieve_tool(self) -> dict[str, Any]:
        """``{"type": "function", "function": {...}}``."""
        return {
            "type": "function",
            "function": {
                "name": RETRIEVE_TOOL_NAME,
                "description": RETRIEVE_DESCRIPTION,
                "parameters": copy.deepcopy(RETRIEVE_PARAMETERS),
            },
        }

    def parse_tool_call(self, call: Mapping[str, Any]) -> ToolCall:
        """A ``tool_calls`` item."""
        fn = call.get("function") or {}
        return ToolCall(str(call.get("id", "")), str(fn.get("name", "")), parse_arguments(fn.get("arguments")))

    def answers(self, message: Message) -> list[str]:
        """A tool message answers its ``tool_call_id``."""
        call_id = message.get("tool_call_id")
        return [call_id] if message.get("role") == "tool" and isinstance(call_id, str) else []

    def is_system(self, message: Message) -> bool:
        """``system`` and ``developer`` roles."""
        return message.get("role") in ("system", "developer")

    def collapse(self, message: Message, marker: str) -> Message:
        """Content becomes the marker; ``tool_calls`` and ``tool_call_id`` stay (a role it does not know: as it is)."""
        return {**message, "content": marker} if message.get("role") in ROLES else message

    def note(self, marker: str) -> Message:
        """``{"role": "user", "content": marker}``."""
        return {"role": "user", "content": marker}

    def tool_result(self, call_id: str, text: str, *, is_error: bool) -> dict[str, Any]:
        """A ``tool`` role message (errors are plain text: the format has no error flag)."""
        return {"role": "tool", "tool_call_id": call_id, "content": f"Error: {text}" if is_error else text}
