"""What every message format shares: slots (compressible text locations) and the adapter protocol."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

FormatName = Literal["openai", "anthropic", "responses"]
"""A message format: OpenAI Chat Completions messages, Anthropic messages, OpenAI Responses items."""
Api = Literal["openai-chat", "anthropic-messages", "openai-responses"]
"""A provider API, as the proxy's routes and the integrations name it. Each speaks exactly one
`FormatName` (its adapter's ``api``), and every function that takes one name takes the other."""
SlotKind = Literal["tool_result", "user_text"]
PathPart = str | int

Message = dict[str, Any]
"""A provider message (or Responses input item) exactly as the caller gave it."""


@dataclass(frozen=True)
class ToolCall:
    """A tool call as the model made it, normalised across formats."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Slot:
    """One compressible piece of text inside a message list.

    Attributes:
        index: index of the message (or Responses item) that holds the text.
        path: keys/indices from that message down to the string.
        text: the string itself.
        kind: ``"tool_result"`` (output of a tool) or ``"user_text"`` (large text a user turn carries).
        tool_call_id: the id of the tool call this result answers, when there is one.
    """

    index: int
    path: tuple[PathPart, ...]
    text: str
    kind: SlotKind
    tool_call_id: str | None = None


class FormatAdapter(Protocol):
    """How one provider format is read, validated and written back."""

    name: FormatName
    api: Api
    items_key: str
    """The request body key holding the conversation (``messages``; ``input`` for Responses)."""
    system_key: str
    """The request body key holding instructions outside it (``system``; ``instructions`` for OpenAI)."""

    def validate(self, messages: Sequence[Any]) -> None:
        """Raise ValueError naming the first message index that is not valid for this format."""
        ...

    def slots(self, messages: Sequence[Message]) -> Iterator[Slot]:
        """Every text location that may be compressed, in message order."""
        ...

    def tool_calls(self, message: Message) -> list[ToolCall]:
        """Tool calls made in ``message`` (empty when it makes none)."""
        ...

    def user_text(self, message: Message) -> str | None:
        """The text a user typed in ``message``, or None when it is not a user turn with text."""
        ...

    def texts(self, message: Message) -> Iterator[str]:
        """Every string in ``message`` that the model reads (for token counting)."""
        ...

    def retrieve_tool(self) -> dict[str, Any]:
        """The ``headroom_retrieve`` tool definition in this format."""
        ...

    def parse_tool_call(self, call: Mapping[str, Any]) -> ToolCall:
        """Normalise a tool call object (``tool_calls`` item, ``tool_use`` block, ``function_call`` item)."""
        ...

    def tool_result(self, call_id: str, text: str, *, is_error: bool) -> dict[str, Any]:
        """The message/block that answers tool call ``call_id`` with ``text``."""
        ...

    def answers(self, message: Message) -> list[str]:
        """Ids of the tool calls whose results ``message`` carries."""
        ...

    def is_system(self, message: Message) -> bool:
        """True for system/developer instructions inside the message list."""
        ...

    def collapse(self, message: Message, marker: str) -> Message:
        """``message`` with its text replaced by ``marker``; roles, tool calls and result ids kept."""
        ...

    def note(self, marker: str) -> Message:
        """A user message carrying only ``marker`` (stands for messages removed to fit the context)."""
        ...


def fail(index: int, problem: str) -> ValueError:
    """The ValueError every adapter raises for an invalid message."""
    return ValueError(f"messages[{index}]: {problem}")


def parse_arguments(raw: object) -> dict[str, Any]:
    """Tool-call arguments as a dict: JSON strings are decoded; anything unparseable becomes ``{}``."""
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, str) and raw.strip():
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            return {}
        return dict(value) if isinstance(value, dict) else {}
    return {}


def text_parts(content: object, text_types: frozenset[str]) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    """(path, text) for a content that is a string or a list of typed parts."""
    if isinstance(content, str):
        yield (), content
    elif isinstance(content, list):
        for i, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") in text_types and isinstance(part.get("text"), str):
                yield (i, "text"), part["text"]


def replace_at(messages: Sequence[Message], edits: Mapping[tuple[int, tuple[PathPart, ...]], str]) -> list[Message]:
    """A new message list with each edited string replaced; the caller's list is never mutated.

    Only the dicts and lists on the path to an edited string are copied (shallowly); everything
    else, including every key the caller sent, is shared with the input as it was.
    """
    out = list(messages)
    fresh: set[int] = set()  # ids of containers already copied for this call
    for (index, path), text in edits.items():
        parent: Any = out
        key: PathPart = index
        for part in path:
            child = parent[key]
            if id(child) not in fresh:
                child = copy.copy(child)
                fresh.add(id(child))
                parent[key] = child
            parent, key = child, part
        parent[key] = text
    return out


def check_content(index: int, content: object, *, allow_none: bool = False) -> None:
    """Content must be a string or a list of typed parts (dicts with a ``type``)."""
    if content is None and allow_none:
        return
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise fail(index, f"content must be a string or a list of parts, not {type(content).__name__}")
    for j, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise fail(index, f"content[{j}] must be an object with a 'type'")


RETRIEVE_DESCRIPTION = (
    "Fetch content that Headroom left out of an earlier tool result. Markers like "
    "[headroom: ... headroom_retrieve ref=<ref>] say what was omitted. Pass the ref; optionally a "
    "query to get only matching lines/rows, or lines like '120-180' for a line range."
)

RETRIEVE_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ref": {"type": "string", "description": "The ref named in the marker."},
        "query": {"type": "string", "description": "Only return lines or rows matching these words."},
        "lines": {"type": "string", "description": "A 1-based inclusive line range, e.g. '120-180'."},
    },
    "required": ["ref"],
}
