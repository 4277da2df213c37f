"""Message formats: read a provider's message list into slots and write it back unchanged but for them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from headroom.formats._base import (
    Api,
    FormatAdapter,
    FormatName,
    Message,
    PathPart,
    Slot,
    ToolCall,
    replace_at,
)
from headroom.formats.anthropic import AnthropicFormat
from headroom.formats.openai_chat import OpenAIChatFormat
from headroom.formats.responses import ResponsesFormat

__all__ = [
    "AnthropicFormat",
    "Api",
    "FormatAdapter",
    "FormatName",
    "Message",
    "OpenAIChatFormat",
    "PathPart",
    "ResponsesFormat",
    "Slot",
    "ToolCall",
    "detect_format",
    "format_names",
    "get_format",
    "pairs_intact",
    "replace_at",
]

_ALL: tuple[FormatAdapter, ...] = (OpenAIChatFormat(), AnthropicFormat(), ResponsesFormat())
# One table: each adapter under its format name and its API name.
_ADAPTERS: dict[str, FormatAdapter] = {**{a.name: a for a in _ALL}, **{a.api: a for a in _ALL}}

_RESPONSES_ITEMS = frozenset(
    {
        "function_call",
        "function_call_output",
        "reasoning",
        "message",
        "custom_tool_call",
        "custom_tool_call_output",
        "item_reference",
    }
)
_RESPONSES_PARTS = frozenset({"input_text", "output_text", "input_image", "input_file"})
_ANTHROPIC_BLOCKS = frozenset(
    {
        "tool_use",
        "tool_result",
        "thinking",
        "redacted_thinking",
        "document",
        "server_tool_use",
        "search_result",
        "web_search_tool_result",
    }
)
_OPENAI_PARTS = frozenset({"image_url", "input_audio", "refusal", "file"})


def get_format(name: FormatName | Api | str) -> FormatAdapter:
    """The adapter for a format name (``"openai"``, ``"anthropic"``, ``"responses"``) or the API
    that speaks it (``"openai-chat"``, ``"anthropic-messages"``, ``"openai-responses"``).

    >>> get_format("openai-responses").name, get_format("anthropic").api
    ('responses', 'anthropic-messages')

    Raises:
        ValueError: for any other name.
    """
    try:
        return _ADAPTERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown format or api {name!r}; expected one of {format_names()}") from None


def format_names() -> list[str]:
    """Every name `get_format` takes: the format names, then the API names."""
    return [a.name for a in _ALL] + [a.api for a in _ALL]


def _shape_votes(messages: Sequence[Any]) -> set[str]:
    votes: set[str] = set()
    for m in messages:
        if not isinstance(m, dict):
            continue
        if m.get("type") in _RESPONSES_ITEMS:
            votes.add("responses")
        if m.get("role") in ("tool", "system", "developer", "function") or "tool_calls" in m:
            votes.add("openai")
        content = m.get("content")
        for part in content if isinstance(content, list) else []:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind in _RESPONSES_PARTS:
                votes.add("responses")
            elif kind in _ANTHROPIC_BLOCKS or (kind == "image" and "source" in part):
                votes.add("anthropic")
            elif kind in _OPENAI_PARTS:
                votes.add("openai")
    return votes


def detect_format(messages: Sequence[Any], model: str | None = None) -> FormatName:
    """Guess the format from the messages' shape; the model name breaks ties.

    Responses items (``function_call``...) win over Chat Completions roles (``tool``...), which win
    over Anthropic blocks; plain ``user``/``assistant`` strings fit every format, so a ``claude``
    model means Anthropic and anything else OpenAI Chat Completions.
    """
    votes = _shape_votes(messages)
    for name in ("responses", "openai", "anthropic"):
        if votes == {name}:
            return name
    claude = "claude" in (model or "").lower()
    if "anthropic" in votes and claude:
        return "anthropic"
    if "responses" in votes:
        return "responses"
    if "openai" in votes:
        return "openai"
    return "anthropic" if claude else "openai"


def pairs_intact(fmt: str, messages: Sequence[Any]) -> bool:
    """True when every tool call in ``messages`` is answered, and every answer follows its call."""
    adapter = get_format(fmt)
    open_calls: set[str] = set()
    for m in messages:
        for answered in adapter.answers(m):
            if answered not in open_calls:
                return False
            open_calls.discard(answered)
        open_calls |= {c.id for c in adapter.tool_calls(m)}
    return not open_calls
