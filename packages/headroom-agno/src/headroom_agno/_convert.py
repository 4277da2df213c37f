"""Agno messages seen as OpenAI Chat Completions messages (what core reads), and core's edits written back.

Agno's `Message` already follows the Chat Completions shape: roles, string or part-list content,
``tool_calls`` and ``tool_call_id``. Each Agno message becomes one view message in the same
position, each content part one part; what core cannot read (images, audio, unknown parts) becomes
a placeholder part. Core's edits (`headroom.Edit`: strings replaced in place; fitting is off) are
written back into copies made with ``model_copy``; Agno's messages are never mutated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from agno.models.message import Message
from headroom import Edit, find_refs

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_PLACEHOLDER_TYPE = "agno_part"


def sent_content(message: Message, use_compressed: bool) -> Any:
    """What a provider sends as the message's content (a tool result's compressed content when in use)."""
    return message.get_content(use_compressed_content=use_compressed and message.role == "tool")


def _text_part(text: str, hide_compressed: bool) -> dict[str, Any]:
    # Text that already names refs was compressed when the tool ran: compressing it again would hide
    # those markers behind a new one, so core sees a placeholder instead.
    if hide_compressed and find_refs(text):
        return {"type": _PLACEHOLDER_TYPE}
    return {"type": "text", "text": text}


def _content_view(content: Any, hide_compressed: bool) -> Any:
    if isinstance(content, str):
        return [] if hide_compressed and find_refs(content) else content
    if isinstance(content, list):
        return [
            _text_part(p["text"], hide_compressed)
            if isinstance(p, Mapping) and p.get("type") == "text" and isinstance(p.get("text"), str)
            else {"type": _PLACEHOLDER_TYPE}
            for p in content
        ]
    return None


def _calls_view(calls: Any) -> list[dict[str, Any]]:
    out = []
    for c in calls if isinstance(calls, list) else []:
        fn = c.get("function") if isinstance(c, Mapping) else None
        if not isinstance(fn, Mapping):
            continue
        args = fn.get("arguments")
        out.append(
            {
                "id": str(c.get("id") or ""),
                "type": "function",
                "function": {
                    "name": str(fn.get("name") or ""),
                    "arguments": args if isinstance(args, str) else json.dumps(args or {}, default=str),
                },
            }
        )
    return out


def to_openai(
    messages: Sequence[Message], *, use_compressed: bool, hide_compressed: bool = True
) -> list[dict[str, Any]]:
    """One Chat Completions message per Agno message, in the same positions.

    Args:
        messages: Agno messages.
        use_compressed: read tool results' ``compressed_content`` when set (as the provider will).
        hide_compressed: show text that already carries Headroom markers as a placeholder.
    """
    out: list[dict[str, Any]] = []
    for m in messages:
        role = m.role if m.role in _ROLES else "assistant"  # unknown roles: nothing core would compress
        view: dict[str, Any] = {
            "role": role,
            "content": _content_view(sent_content(m, use_compressed), hide_compressed),
        }
        if view["content"] is None and role not in ("assistant", "tool"):
            view["content"] = []
        if role == "tool":
            view["tool_call_id"] = m.tool_call_id or ""
        calls = _calls_view(m.tool_calls) if role == "assistant" else []
        if calls:
            view["tool_calls"] = calls
        out.append(view)
    return out


def _edited(content: Any, edit: Edit) -> Any:
    if edit.path == ("content",):
        return edit.new
    k = edit.path[1] if len(edit.path) == 3 else None
    if isinstance(k, int) and isinstance(content, list) and edit.path[2] == "text":
        parts = list(content)
        parts[k] = {**parts[k], "text": edit.new}
        return parts
    raise ValueError(f"core edited messages[{edit.index}] at {edit.path}, where the Agno view has no text")


def apply_edits(messages: Sequence[Message], edits: Sequence[Edit], *, use_compressed: bool) -> list[Message]:
    """The Agno messages with core's edits (`headroom.CompressResult.edits` of their view) written into copies.

    Raises:
        ValueError: an edit at a place `to_openai` puts no text.
    """
    contents: dict[int, Any] = {}
    for e in edits:
        contents[e.index] = _edited(contents.get(e.index, sent_content(messages[e.index], use_compressed)), e)
    out = list(messages)
    for i, content in contents.items():
        m = messages[i]
        compressed = use_compressed and m.role == "tool" and m.compressed_content is not None
        out[i] = m.model_copy(update={"compressed_content": content} if compressed else {"content": content})
    return out


def message_texts(message: Message, use_compressed: bool) -> Iterator[str]:
    """The text strings of one message as it is sent."""
    content = sent_content(message, use_compressed)
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for p in content:
            if isinstance(p, Mapping) and isinstance(p.get("text"), str):
                yield p["text"]


def user_text(message: Message) -> str | None:
    """The text of a user message, or None for any other message."""
    if message.role != "user":
        return None
    return "\n".join(message_texts(message, False)) or None
