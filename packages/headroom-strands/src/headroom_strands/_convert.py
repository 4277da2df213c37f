"""Strands messages seen as Anthropic messages (what core reads), and core's edits written back.

Strands keeps Bedrock Converse content blocks: ``{"text"}``, ``{"toolUse"}``, ``{"toolResult"}``,
images, documents, reasoning, cache points. Text, tool calls and tool results map one to one onto
Anthropic ``text`` / ``tool_use`` / ``tool_result`` blocks; every other block becomes a placeholder
core leaves alone, so positions line up and core's edits (`headroom.Edit`: strings replaced in place;
fitting is off) are written back by position. Strands messages are never mutated.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from headroom import Edit, find_refs

log = logging.getLogger("headroom_strands")

StrandsMessage = Mapping[str, Any]
"""A Strands ``Message`` (``{"role", "content": [ContentBlock, ...]}``); typed loosely at the host boundary."""

_PLACEHOLDER_TYPE = "strands_block"


def _placeholder() -> dict[str, Any]:
    return {"type": _PLACEHOLDER_TYPE}


def item_text(item: Mapping[str, Any]) -> str | None:
    """The text of a tool-result content item (``{"text"}``, or ``{"json"}`` as compact JSON); None for media."""
    if isinstance(item.get("text"), str):
        return str(item["text"])
    if "json" in item:
        return json.dumps(item["json"], ensure_ascii=False)
    return None


def with_text(item: Mapping[str, Any], text: str) -> dict[str, Any]:
    """``item`` carrying ``text`` instead: a ``{"json"}`` item stays JSON when ``text`` still parses to its type."""
    if "json" in item and not isinstance(item.get("text"), str):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return {"text": text}
        return {"json": value} if type(value) is type(item["json"]) else {"text": text}
    return {**item, "text": text}


def _text_view(text: str, hide_compressed: bool) -> dict[str, Any]:
    # Text that already names Headroom refs was compressed when its tool ran; compressing it again
    # would hide those markers behind a new one, so core never sees it.
    if hide_compressed and find_refs(text):
        return _placeholder()
    return {"type": "text", "text": text}


def _result_view(result: Mapping[str, Any], hide_compressed: bool) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for item in result.get("content") or []:
        text = item_text(item) if isinstance(item, Mapping) else None
        items.append(_placeholder() if text is None else _text_view(text, hide_compressed))
    view: dict[str, Any] = {"type": "tool_result", "tool_use_id": str(result.get("toolUseId", "")), "content": items}
    if result.get("status") == "error":
        view["is_error"] = True
    return view


def _block_view(block: Any, hide_compressed: bool) -> dict[str, Any]:
    if not isinstance(block, Mapping):
        return _placeholder()
    if isinstance(block.get("text"), str):
        return _text_view(block["text"], hide_compressed)
    if isinstance(block.get("toolUse"), Mapping):
        use = block["toolUse"]
        args = use.get("input")
        return {
            "type": "tool_use",
            "id": str(use.get("toolUseId", "")),
            "name": str(use.get("name", "")),
            "input": dict(args) if isinstance(args, Mapping) else {},
        }
    if isinstance(block.get("toolResult"), Mapping):
        return _result_view(block["toolResult"], hide_compressed)
    return _placeholder()


def to_anthropic(messages: Sequence[StrandsMessage], *, hide_compressed: bool = True) -> list[dict[str, Any]]:
    """Anthropic messages with one block per Strands block, in the same positions.

    Args:
        messages: Strands messages.
        hide_compressed: show text that already carries Headroom markers as a placeholder.
    """
    return [
        {
            "role": str(m.get("role", "")),
            "content": [_block_view(b, hide_compressed) for b in m.get("content") or []],
        }
        for m in messages
    ]


def apply_edits(messages: Sequence[StrandsMessage], edits: Sequence[Edit]) -> list[Any]:
    """The Strands messages with core's edits (`headroom.CompressResult.edits` of their view) written back.

    Unchanged messages and blocks are the caller's own objects; changed ones are shallow copies.

    Raises:
        ValueError: an edit at a place `to_anthropic` puts no text (core changed its view's shape).
    """
    out = list(messages)
    for e in edits:
        message = out[e.index]
        blocks = list(message.get("content") or [])
        j = e.path[1] if len(e.path) > 1 else None
        if e.path == ("content", j, "text") and isinstance(j, int):
            blocks[j] = {**blocks[j], "text": e.new}
        elif len(e.path) == 5 and e.path[2:3] == ("content",) and isinstance(j, int) and isinstance(e.path[3], int):
            result = blocks[j]["toolResult"]
            items = list(result.get("content") or [])
            items[e.path[3]] = with_text(items[e.path[3]], e.new)
            blocks[j] = {**blocks[j], "toolResult": {**result, "content": items}}
        else:
            raise ValueError(f"core edited messages[{e.index}] at {e.path}, where the Strands view has no text")
        out[e.index] = {**message, "content": blocks}
    return out


def texts(messages: Sequence[StrandsMessage]) -> Iterator[str]:
    """Every text and tool-result text in ``messages`` (to look for markers)."""
    for m in messages:
        for block in m.get("content") or []:
            if not isinstance(block, Mapping):
                continue
            if isinstance(block.get("text"), str):
                yield block["text"]
            result = block.get("toolResult")
            if isinstance(result, Mapping):
                for item in result.get("content") or []:
                    text = item_text(item) if isinstance(item, Mapping) else None
                    if text is not None:
                        yield text


def last_user_text(messages: Sequence[StrandsMessage]) -> str:
    """The text of the latest user turn that has any (tool-result turns carry none): the task."""
    for m in reversed(messages):
        if m.get("role") != "user":
            continue
        parts = [b["text"] for b in m.get("content") or [] if isinstance(b, Mapping) and isinstance(b.get("text"), str)]
        if parts:
            return "\n".join(parts)
    return ""
