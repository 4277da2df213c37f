"""``headroom_retrieve`` for an image ref: the original image itself where the API takes one.

Anthropic ``tool_result`` blocks and Responses ``function_call_output`` items may carry images, so
the original goes back as an image. A Chat Completions ``tool`` message carries text only: it says
what the image is and how the application can fetch it (`headroom.retrieve`, or the proxy's
``POST /v1/retrieve``), instead of pasting megabytes of base64 into the context.
"""

from __future__ import annotations

from typing import Any

from headroom.formats import get_format
from headroom.store import Entry

__all__ = ["image_note", "image_tool_result"]


def _describe(ref: str, entry: Entry) -> str:
    w, h = entry.meta.get("width", "?"), entry.meta.get("height", "?")
    return f"Original image of ref {ref}: {w}×{h} {entry.meta.get('media_type', 'image')}."


def image_tool_result(fmt: str, call_id: str, ref: str, entry: Entry) -> dict[str, Any]:
    """The tool result answering ``call_id`` with the image stored under ``ref``."""
    media = entry.meta.get("media_type", "image/png")
    text = _describe(ref, entry)
    if fmt == "anthropic":
        image = {"type": "image", "source": {"type": "base64", "media_type": media, "data": entry.content}}
        return {"type": "tool_result", "tool_use_id": call_id, "content": [{"type": "text", "text": text}, image]}
    if fmt == "responses":
        url = f"data:{media};base64,{entry.content}"
        return {
            "type": "function_call_output",
            "call_id": call_id,
            "output": [{"type": "input_text", "text": text}, {"type": "input_image", "image_url": url}],
        }
    return get_format(fmt).tool_result(call_id, image_note(ref, entry), is_error=False)


def image_note(ref: str, entry: Entry) -> str:
    """The text answer for an image ref where a tool result cannot carry an image."""
    return (
        f"{_describe(ref, entry)} This tool result cannot carry images, so it is not shown here. The "
        f"application can fetch it with headroom.retrieve({ref!r}) or POST /v1/retrieve on the "
        "Headroom proxy (base64 in 'content') and send it in a user message."
    )
