"""OpenAI Responses ``input`` items: messages, ``function_call`` and ``function_call_output``."""

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

ROLES = frozenset({"system", "developer", "user", "assistant"})
TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
CALL_TYPES = frozenset({"function_call", "custom_tool_call"})
OUTPUT_TYPES = frozenset({"function_call_output", "custom_tool_call_output"})


class ResponsesFormat:
    """Adapter for ``/v1/responses`` input item lists."""

    name: FormatName = "responses"
    api: Api = "openai-responses"
    items_key = "input"
    system_key = "instructions"

    def validate(self, messages: Sequence[Any]) -> None:
        """Raise ValueError naming the first invalid item."""
        for i, item in enumerate(messages):
            if not isinstance(item, dict):
                raise fail(i, f"must be an object, not {type(item).__name__}")
            kind = item.get("type", "message")
            if not isinstance(kind, str):
                raise fail(i, f"type must be a string, not {type(kind).__name__}")
            if kind == "message":
                role = item.get("role")
                if not isinstance(role, str):
                    raise fail(i, f"role must be a string, not {type(role).__name__}")
                if role in ROLES:
                    check_content(i, item.get("content"))
            elif kind in CALL_TYPES:
                if not isinstance(item.get("call_id"), str) or not isinstance(item.get("name"), str):
                    raise fail(i, f"a {kind} item needs a string 'call_id' and 'name'")
            elif kind in OUTPUT_TYPES:
                if not isinstance(item.get("call_id"), str):
                    raise fail(i, f"a {kind} item needs a string 'call_id'")
                check_content(i, item.get("output"))

    def slots(self, messages: Sequence[Message]) -> Iterator[Slot]:
        """Tool outputs and user message text."""
        for i, item in enumerate(messages):
            kind = item.get("type", "message")
            if kind in OUTPUT_TYPES:
                for path, text in text_parts(item.get("output"), TEXT_PARTS):
                    yield Slot(i, ("output", *path), text, "tool_result", item.get("call_id"))
            elif kind == "message" and item.get("role") == "user":
                for path, text in text_parts(item.get("content"), TEXT_PARTS):
                    yield Slot(i, ("content", *path), text, "user_text")

    def tool_calls(self, message: Message) -> list[ToolCall]:
        """A ``function_call`` item is itself one call."""
        return [self.parse_tool_call(message)] if message.get("type") in CALL_TYPES else []

    def user_text(self, message: Message) -> str | None:
        """Text of a user message item."""
        if message.get("type", "message") != "message" or message.get("role") != "user":
            return None
        return "\n".join(t for _, t in text_parts(message.get("content"), TEXT_PARTS)) or None

    def texts(self, message: Message) -> Iterator[str]:
        """Message text, call names/arguments and outputs."""
        kind = message.get("type", "message")
        if kind == "message":
            for _, text in text_parts(message.get("content"), TEXT_PARTS | {"refusal"}):
                yield text
        elif kind in CALL_TYPES:
            yield f"{message.get('name', '')} {message.get('arguments', message.get('input', ''))}"
        elif kind in OUTPUT_TYPES:
            for _, text in text_parts(message.get("output"), TEXT_PARTS):
                yield text

    def retrieve_tool(self) -> dict[str, Any]:
        """``{"type": "function", "name", "description", "parameters"}``."""
        return {
            "type": "function",
            "name": RETRIEVE_TOOL_NAME,
            "description": RETRIEVE_DESCRIPTION,
            "parameters": copy.deepcopy(RETRIEVE_PARAMETERS),
        }

    def parse_tool_call(self, call: Mapping[str, Any]) -> ToolCall:
        """A ``function_call`` item."""
        raw = call.get("arguments", call.get("input"))
        return ToolCall(str(call.get("call_id", "")), str(call.get("name", "")), parse_arguments(raw))

    def answers(self, message: Message) -> list[str]:
        """A tool-output item answers its ``call_id``."""
        call_id = message.get("call_id")
        return [call_id] if message.get("type") in OUTPUT_TYPES and isinstance(call_id, str) else []

    def is_system(self, message: Message) -> bool:
        """``system`` and ``developer`` message items."""
        return message.get("type", "message") == "message" and message.get("role") in ("system", "developer")

    def collapse(self, message: Message, marker: str) -> Message:
        """Message text and tool outputs become the marker; calls and reasoning items stay."""
        kind = message.get("type", "message")
        if kind in OUTPUT_TYPES:
            return {**message, "output": marker}
        if kind != "message" or message.get("role") not in ROLES:
            return message
        part = "output_text" if message.get("role") == "assistant" else "input_text"
        content = message.get("content")
        return {**message, "content": marker if isinstance(content, str) else [{"type": part, "text": marker}]}

    def note(self, marker: str) -> Message:
        """A user message item with one input_text part."""
        return {"role": "user", "content": [{"type": "input_text", "text": marker}]}

    def tool_result(self, call_id: str, text: str, *, is_error: bool) -> dict[str, Any]:
        """A ``function_call_output`` item."""
        return {"type": "function_call_output", "call_id": call_id, "output": f"Error: {text}" if is_error else text}
