"""LangChain messages ↔ OpenAI chat dicts at the boundary to `headroom.compress`.

The dicts are built for compression only and never sent anywhere: every message carries its index
in the caller's list, and every content block becomes one part (text parts keep their text, other
blocks an opaque placeholder the pipeline neither reads nor counts). The compressed dicts are then
mapped back onto the caller's own message objects, so ids, ``additional_kwargs``, tool calls,
artifacts and non-text blocks travel to the model exactly as the caller built them; only text
changes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from headroom import CompressOptions, Store, compress
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    ToolMessage,
)

logger = logging.getLogger("headroom_langchain")

INDEX_KEY = "headroom_lc_index"
"""Key each dict carries: the index of the LangChain message it was built from."""

_OPAQUE = {"type": "headroom_opaque"}
_CHAT_ROLES = frozenset({"system", "developer", "user", "assistant"})
_TYPE_ROLES = {"human": "user", "system": "system", "ai": "assistant", "tool": "tool", "function": "function"}


@dataclass(frozen=True)
class Compressed:
    """What the model gets, and the refs its markers name."""

    messages: list[BaseMessage]
    refs: list[str]


def _role(message: BaseMessage) -> str:
    if isinstance(message, ChatMessage):
        # Unknown custom roles are sent as assistant text: never a slot, never rewritten.
        return message.role if message.role in _CHAT_ROLES else "assistant"
    return _TYPE_ROLES.get(message.type, "assistant")


def _content(content: str | list[Any]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
        elif isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append({"type": "text", "text": block["text"]})
        else:
            parts.append(dict(_OPAQUE))
    return parts


def _arguments(args: dict[str, Any]) -> str:
    return json.dumps(args, ensure_ascii=False, default=str)


def call_id(message_index: int, call_index: int) -> str:
    """The id given to a tool call that has none (some providers leave it out)."""
    return f"headroom_call_{message_index}_{call_index}"


def to_openai(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """OpenAI chat dicts for ``messages``, one per message, each tagged with its index."""
    out: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        d: dict[str, Any] = {"role": _role(m), "content": _content(m.content), INDEX_KEY: i}
        if isinstance(m, AIMessage) and m.tool_calls:
            d["tool_calls"] = [
                {
                    "id": tc.get("id") or call_id(i, j),
                    "type": "function",
                    "function": {
                        "name": tc["name"],
                        "arguments": json.dumps(tc["args"], ensure_ascii=False, default=str),
                    },
                }
                for j, tc in enumerate(m.tool_calls)
            ]
        if isinstance(m, ToolMessage):
            d["tool_call_id"] = m.tool_call_id
        if isinstance(m, FunctionMessage):
            d["name"] = m.name
        out.append(d)
    return out


def _merge_content(original: str | list[Any], new: Any) -> str | list[Any]:
    if isinstance(new, str) or not isinstance(original, list) or not isinstance(new, list):
        return new if isinstance(new, (str, list)) else original
    merged: list[Any] = []
    for block, part in zip(original, new, strict=False):  # same length: one part per block
        text = part.get("text") if isinstance(part, dict) and part.get("type") == "text" else None
        if not isinstance(text, str):
            merged.append(block)
        elif isinstance(block, str):
            merged.append(text)
        elif isinstance(block, dict) and block.get("text") != text:
            merged.append({**block, "text": text})
        else:
            merged.append(block)
    return merged


def from_openai(
    compressed: Sequence[dict[str, Any]], sent: Sequence[dict[str, Any]], originals: Sequence[BaseMessage]
) -> list[BaseMessage]:
    """The caller's messages with the compressed text put back in.

    Args:
        compressed: ``CompressResult.messages``.
        sent: what `to_openai` gave for ``originals`` (an unchanged dict comes back as the same object).
        originals: the caller's messages.
    """
    out: list[BaseMessage] = []
    for d in compressed:
        index = d.get(INDEX_KEY)
        if not isinstance(index, int) or not 0 <= index < len(originals):
            # A note the ContextFitter wrote where it removed a run of turns.
            out.append(HumanMessage(content=d.get("content") or ""))
            continue
        original = originals[index]
        if d is sent[index]:
            out.append(original)
            continue
        content = _merge_content(original.content, d.get("content"))
        out.append(original if content == original.content else original.model_copy(update={"content": content}))
    return out


def compress_lc(
    messages: Sequence[BaseMessage],
    *,
    model: str,
    store: Store | None,
    options: CompressOptions,
    query: str | None = None,
) -> Compressed:
    """Compress LangChain messages; on any failure, log it and give the messages back unchanged.

    Headroom fails open: a request always goes through, compressed or not.
    """
    sent = to_openai(messages)
    try:
        result = compress(sent, model, format="openai", store=store, query=query, options=options)
    except Exception:
        logger.warning("headroom: compression failed; the messages are sent uncompressed", exc_info=True)
        return Compressed(list(messages), [])
    return Compressed(from_openai(result.messages, sent, messages), list(result.refs))
