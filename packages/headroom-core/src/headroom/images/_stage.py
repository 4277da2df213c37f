"""The pipeline's image pass: every image part compressed, its original stored, a marker beside it.

Runs on the messages after text compression. Each image is handled on its own and fails open:
what cannot be read (a URL, a file id, corrupt data, an unsupported format) stays byte-identical
and its report says why. Results are memoised by the image's hash, model and detail, so a
conversation that re-sends its screenshots every turn pays once and gets the same bytes back
(the provider's prompt cache keeps hitting).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from headroom.formats import Message
from headroom.formats._base import PathPart
from headroom.images._blocks import ImageSpot, image_spots, marker_part, read_part, write_part
from headroom.images.compressor import ImageCompressor, ImageOutcome, Skipped
from headroom.markers import format_marker
from headroom.pipeline._memo import Memo
from headroom.refs import make_ref
from headroom.result import BlockReport, BlockStatus
from headroom.store import Entry, Store
from headroom.tokens import Tokenizer

__all__ = ["ImagePass", "compress_images"]

log = logging.getLogger("headroom")
_MEMO = Memo(maxsize=64)
_COMPRESSOR: list[ImageCompressor] = []  # built on first use (loads the router's weights once)
Edit = tuple[int, dict[str, Any], dict[str, Any]]


@dataclass
class ImagePass:
    """What the image pass did: the new messages, one report per image, image tokens before/after."""

    messages: list[Message]
    reports: list[BlockReport] = field(default_factory=list)
    tokens_before: int = 0
    tokens_after: int = 0


def _compressor() -> ImageCompressor:
    if not _COMPRESSOR:
        _COMPRESSOR.append(ImageCompressor())
    return _COMPRESSOR[0]


def compress_images(
    messages: Sequence[Message],
    *,
    fmt: str,
    model: str,
    store: Callable[[], Store],
    tokenizer: Tokenizer,
    compressor: ImageCompressor | None = None,
) -> ImagePass:
    """Compress every image in ``messages`` for ``model``; the caller's list is never mutated."""
    spots = list(image_spots(fmt, messages))
    result = ImagePass(list(messages))
    if not spots:
        return result
    comp = compressor or _compressor()
    edits: dict[tuple[int, tuple[PathPart, ...]], list[Edit]] = {}
    for spot in spots:
        t0 = time.perf_counter()
        status, info, before, after, edit = _one(spot, fmt, model, store, tokenizer, comp)
        if edit is not None:
            edits.setdefault((spot.index, spot.path), []).append(edit)
        result.tokens_before += before
        result.tokens_after += after
        result.reports.append(
            BlockReport(
                index=spot.index,
                kind=spot.kind,
                content_type=info.get("content_type"),
                compressor=comp.name,
                tokens_before=before,
                tokens_after=after,
                seconds=time.perf_counter() - t0,
                status=status,
                ref=info.get("ref"),
                error=info.get("error"),
                note=info.get("note"),
            )
        )
    result.messages = _apply(result.messages, edits)
    return result


def _one(
    spot: ImageSpot, fmt: str, model: str, store: Callable[[], Store], tokenizer: Tokenizer, comp: ImageCompressor
) -> tuple[BlockStatus, dict[str, Any], int, int, Edit | None]:
    read = read_part(fmt, spot.part)
    if isinstance(read, str):
        return "skipped", {"note": read}, 0, 0, None
    data, _, detail = read
    key = (hashlib.sha256(data).hexdigest(), model, detail, id(comp))
    hit, out = _MEMO.get(key)
    if not hit:
        try:
            out = comp.compress(
                data, model=model, detail="low" if detail == "low" else "high" if detail == "high" else "auto"
            )
        except Exception as e:  # fail open: the image goes as it came
            log.warning("headroom: image compressor failed: %r", e)
            return "error", {"error": f"{type(e).__name__}: {e}"}, 0, 0, None
        _MEMO.put(key, out)
    if isinstance(out, Skipped):
        status: BlockStatus = "not_smaller" if out.kind else "skipped"
        return status, {"note": out.note, "content_type": out.kind}, out.tokens, out.tokens, None
    return _accept(spot, fmt, data, out, store, tokenizer)


def _accept(
    spot: ImageSpot, fmt: str, data: bytes, out: ImageOutcome, store: Callable[[], Store], tokenizer: Tokenizer
) -> tuple[BlockStatus, dict[str, Any], int, int, Edit | None]:
    original = base64.b64encode(data).decode("ascii")
    ref = make_ref(original)
    marker = format_marker(ref, out.summary())
    after = out.tokens_after + tokenizer.count(marker)
    info: dict[str, Any] = {"content_type": out.kind, "note": f"router {out.router}"}
    if after >= out.tokens_before:
        return "not_smaller", info, out.tokens_before, out.tokens_before, None
    meta = {
        "compressor": "image",
        "media_type": out.original_media_type,
        "width": str(out.original_size[0]),
        "height": str(out.original_size[1]),
    }
    try:  # the original goes to the store before the marker naming it leaves
        s = store()
        if not s.contains(ref):
            s.put(ref, Entry(original, kind="image", meta=meta))
    except Exception as e:
        log.warning("headroom: could not store an original image: %r", e)
        return "error", {**info, "error": f"store: {type(e).__name__}: {e}"}, out.tokens_before, out.tokens_before, None
    new = write_part(fmt, spot.part, out.data, out.media_type, out.detail)
    return "compressed", {**info, "ref": ref}, out.tokens_before, after, (spot.pos, new, marker_part(fmt, marker))


def _apply(messages: list[Message], edits: dict[tuple[int, tuple[PathPart, ...]], list[Edit]]) -> list[Message]:
    """Replace each image part and put its marker right after it; only the touched containers are copied.

    Deeper lists first (a tool_result's content), so a marker inserted in a message's own content
    list does not move the position of a tool_result block still to be edited.
    """
    out = list(messages)
    for (index, path), changes in sorted(edits.items(), key=lambda kv: -len(kv[0][1])):
        parent: Any = copy.copy(out[index])
        out[index] = parent
        for part in path[:-1]:
            parent[part] = copy.copy(parent[part])
            parent = parent[part]
        parts = list(parent[path[-1]])
        for pos, new, marker in sorted(changes, key=lambda c: -c[0]):
            parts[pos] = new
            parts.insert(pos + 1, marker)
        parent[path[-1]] = parts
    return out
