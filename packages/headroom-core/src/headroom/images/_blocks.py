"""Where images sit in each message format, how to read them, and how to write a smaller one back.

* Anthropic: ``{"type": "image", "source": {"type": "base64", "media_type", "data"}}`` blocks in
  user turns and inside ``tool_result`` contents (``source.type == "url"`` is never fetched).
* OpenAI Chat Completions: ``{"type": "image_url", "image_url": {"url": "data:...", "detail"}}``
  parts of user messages.
* OpenAI Responses: ``{"type": "input_image", "image_url": "data:...", "detail"}`` parts of user
  message items and of ``function_call_output`` items whose ``output`` is a list.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from headroom.formats import Message
from headroom.formats._base import PathPart

__all__ = ["ImageSpot", "image_spots", "marker_part", "read_part", "write_part"]

_DATA_URL = re.compile(r"data:(?P<media>[\w.+-]+/[\w.+-]+)?(?:;[\w=.+-]+)*;base64,(?P<data>.*)", re.DOTALL)
_TEXT_TYPES = frozenset({"text", "input_text"})
MARKER_START = "[headroom: image "


@dataclass(frozen=True)
class ImageSpot:
    """One image part: message ``index``, the ``path`` to the list holding it, its position there."""

    index: int
    path: tuple[PathPart, ...]
    pos: int
    part: dict[str, Any]
    kind: str  # "tool_result" or "user_text", like a text slot


def _parts(content: object, image_type: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(content, list):
        for j, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") == image_type and not _followed_by_marker(content, j):
                yield j, part


def _followed_by_marker(content: list[Any], j: int) -> bool:
    """An image Headroom already compressed carries its marker right after it: leave it as it is."""
    nxt = content[j + 1] if j + 1 < len(content) else None
    return (
        isinstance(nxt, dict) and nxt.get("type") in _TEXT_TYPES and str(nxt.get("text", "")).startswith(MARKER_START)
    )


def _spots(fmt: str, i: int, m: Message) -> Iterator[ImageSpot]:
    content = m.get("content")
    role, kind = m.get("role"), m.get("type", "message")
    if fmt == "anthropic" and role == "user":
        for j, part in _parts(content, "image"):
            yield ImageSpot(i, ("content",), j, part, "user_text")
        for j, block in enumerate(content if isinstance(content, list) else []):
            if isinstance(block, dict) and block.get("type") == "tool_result":
                for k, part in _parts(block.get("content"), "image"):
                    yield ImageSpot(i, ("content", j, "content"), k, part, "tool_result")
    elif fmt == "openai" and role == "user":
        for j, part in _parts(content, "image_url"):
            yield ImageSpot(i, ("content",), j, part, "user_text")
    elif fmt == "responses" and role == "user" and kind == "message":
        for j, part in _parts(content, "input_image"):
            yield ImageSpot(i, ("content",), j, part, "user_text")
    elif fmt == "responses" and kind == "function_call_output":
        for j, part in _parts(m.get("output"), "input_image"):
            yield ImageSpot(i, ("output",), j, part, "tool_result")


def image_spots(fmt: str, messages: Sequence[Message]) -> Iterator[ImageSpot]:
    """Every image part in ``messages`` that Headroom may compress, in order."""
    for i, m in enumerate(messages):
        if isinstance(m, dict):
            yield from _spots(fmt, i, m)


def _decode(media: str | None, data: object) -> tuple[bytes, str] | str:
    if not isinstance(data, str):
        return "image data is not a string"
    try:
        return base64.b64decode(data, validate=True), media or ""
    except (binascii.Error, ValueError):
        return "image data is not valid base64"


def read_part(fmt: str, part: dict[str, Any]) -> tuple[bytes, str, str] | str:
    """(image bytes, media type, detail) of a part, or a note saying why it cannot be read."""
    if fmt == "anthropic":
        source = part.get("source")
        if not isinstance(source, dict) or source.get("type") != "base64":
            kind = source.get("type") if isinstance(source, dict) else None
            return f"image {kind or 'source'} is not fetched" if kind == "url" else f"image source {kind!r} left as is"
        out = _decode(source.get("media_type"), source.get("data"))
        return out if isinstance(out, str) else (*out, "auto")
    holder = part.get("image_url")
    url = holder.get("url") if isinstance(holder, dict) else holder
    detail = (holder if isinstance(holder, dict) else part).get("detail") or "auto"
    if not isinstance(url, str):
        return "image given by file id, left as is" if part.get("file_id") else "image without a URL"
    m = _DATA_URL.match(url)
    if m is None:
        return "image URL is not fetched"
    out = _decode(m["media"], m["data"])
    return out if isinstance(out, str) else (*out, str(detail))


def write_part(fmt: str, part: dict[str, Any], data: bytes, media: str, detail: str | None) -> dict[str, Any]:
    """``part`` carrying ``data`` instead, every other key kept (``detail`` changed when given)."""
    b64 = base64.b64encode(data).decode("ascii")
    new = copy.copy(part)
    if fmt == "anthropic":
        new["source"] = {**part["source"], "media_type": media, "data": b64}
        return new
    url = f"data:{media};base64,{b64}"
    if fmt == "openai":
        holder = part["image_url"]
        new["image_url"] = {**holder, "url": url, **({"detail": detail} if detail else {})}
        return new
    new["image_url"] = url
    if detail:
        new["detail"] = detail
    return new


def marker_part(fmt: str, marker: str) -> dict[str, Any]:
    """The text part that stands beside a compressed image."""
    return {"type": "input_text" if fmt == "responses" else "text", "text": marker}
