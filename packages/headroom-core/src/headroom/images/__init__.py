"""Image compression: fewer image tokens at the same legibility, the original one call away.

`ImageCompressor` decides per image (kind and smallest legible scale, from a small trained router
with a rule-based fallback), resizes and re-encodes with Pillow (``headroom-core[image]``), and
counts tokens with each provider's own rule (`headroom.models.image_tokens`). The pipeline runs it
on every image part of every format; `image_tool_result` answers ``headroom_retrieve`` for an
image ref with the image itself where the API allows images in tool results.
"""

from __future__ import annotations

from headroom.images._retrieve import image_note, image_tool_result
from headroom.images._router import ImageRouter, LinearRouter, Route, RuleRouter, default_router
from headroom.images._stage import ImagePass, compress_images
from headroom.images.compressor import ImageCompressor, ImageOutcome, Skipped

__all__ = [
    "ImageCompressor",
    "ImageOutcome",
    "ImagePass",
    "ImageRouter",
    "LinearRouter",
    "Route",
    "RuleRouter",
    "Skipped",
    "compress_images",
    "default_router",
    "image_note",
    "image_tool_result",
]
