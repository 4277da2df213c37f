"""Image input tokens per provider and model, from the providers' published rules.

Every rule first applies the provider's own downscale (an image larger than it takes is shrunk
before it is counted), then counts. Sources, as read in the providers' docs:

* Anthropic (docs.claude.com "Vision", "Evaluate image size"): an image whose long edge exceeds
  1568 px, or that would cost more than ~1,600 tokens (1.15 megapixels), is scaled down keeping
  its aspect ratio; it then costs ``width * height / 750`` tokens. Opus 4.7 and later, Sonnet 5 and
  Haiku 5.5 take high-resolution images (up to 2576 px on the long edge, 3.75 MP) counted as
  ``ceil(w / 28) * ceil(h / 28)`` visual tokens, at most 4,784 (Anthropic's 4.7 release notes, and
  count_tokens measurements published with the adk-vision crate's ``ClaudeVisionTier::High``).
* OpenAI (platform.openai.com "Images and vision", "Calculating costs"), two schemes:
  tile models (gpt-4o, gpt-4.1, gpt-4.5, o1, o3, gpt-5 and gpt-5.x) fit the image in 2048 x 2048,
  then shrink its shortest side to 768 px, and cost ``base + tile * (number of 512 px tiles)``;
  ``detail: "low"`` costs ``base`` alone. Patch models (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano)
  cost one token per 32 x 32 patch, the image shrunk until it fits 1536 patches, times a
  per-model multiplier.
* Gemini (ai.google.dev "Understand and count tokens", 2.x rule): 258 tokens when both sides are
  at most 384 px, else 258 per 768 x 768 tile. Gemini 3's ``media_resolution`` setting is not
  modelled: its default costs are counted with the 2.x tiles.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["ImageRule", "image_rule", "image_tokens"]

Detail = Literal["auto", "low", "high"]

# (name prefix, base tokens, tokens per 512 px tile) for OpenAI's tile models; first match wins.
_OPENAI_TILES: tuple[tuple[str, int, int], ...] = (
    ("gpt-4o-mini", 2833, 5667),
    ("computer-use", 65, 129),
    ("gpt-5", 70, 140),
    ("o1", 75, 150),
    ("o3", 75, 150),
    ("gpt-4", 85, 170),
    ("chatgpt-4o", 85, 170),
)
# (name prefix, multiplier) for OpenAI's 32 px patch models.
_OPENAI_PATCHES: tuple[tuple[str, float], ...] = (
    ("gpt-4.1-mini", 1.62),
    ("gpt-4.1-nano", 2.46),
    ("gpt-5-mini", 1.62),
    ("gpt-5-nano", 2.46),
    ("o4-mini", 1.72),
)
_CLAUDE_HIGH = re.compile(r"claude-(?:opus-(?:4-[7-9]|[5-9])|sonnet-[5-9]|haiku-(?:5-[5-9]|[6-9]))")


@dataclass(frozen=True)
class ImageRule:
    """How one model counts an image.

    Attributes:
        scheme: ``anthropic``, ``anthropic-high``, ``openai-tiles``, ``openai-patches`` or ``gemini``.
        base: OpenAI tile models' base tokens (the whole cost at ``detail: "low"``).
        per_unit: tokens per tile (OpenAI tiles, Gemini) or the patch multiplier.
    """

    scheme: Literal["anthropic", "anthropic-high", "openai-tiles", "openai-patches", "gemini"]
    base: int = 0
    per_unit: float = 0.0

    @property
    def has_detail(self) -> bool:
        """Whether the API's ``detail: "low"`` changes the cost (OpenAI tile models)."""
        return self.scheme == "openai-tiles"

    def seen_size(self, width: int, height: int, detail: Detail = "auto") -> tuple[int, int]:
        """The size the provider shrinks an image to before the model sees it."""
        w, h = max(int(width), 1), max(int(height), 1)
        if self.scheme == "anthropic":
            scale = min(1.0, 1568 / max(w, h), math.sqrt(1_150_000 / (w * h)))
        elif self.scheme == "anthropic-high":
            scale = min(1.0, 2576 / max(w, h), math.sqrt(3_750_000 / (w * h)))
            while math.ceil(w * scale / 28) * math.ceil(h * scale / 28) > 4784:
                scale *= 0.99
        elif self.scheme == "openai-tiles":
            if detail == "low":
                scale = min(1.0, 512 / max(w, h))
            else:
                scale = min(1.0, 2048 / max(w, h))
                scale *= min(1.0, 768 / (min(w, h) * scale))
        elif self.scheme == "openai-patches":
            scale = _patch_scale(w, h)
        else:
            scale = 1.0
        return max(int(w * scale), 1), max(int(h * scale), 1)

    def tokens(self, width: int, height: int, detail: Detail = "auto") -> int:
        """Input tokens of one ``width`` x ``height`` image sent with ``detail``."""
        w, h = self.seen_size(width, height, detail)
        if self.scheme == "anthropic":
            return max(1, math.ceil(w * h / 750))
        if self.scheme == "anthropic-high":
            return math.ceil(w / 28) * math.ceil(h / 28)
        if self.scheme == "openai-tiles":
            if detail == "low":
                return self.base
            return self.base + int(self.per_unit) * math.ceil(w / 512) * math.ceil(h / 512)
        if self.scheme == "openai-patches":
            return math.ceil(min(math.ceil(w / 32) * math.ceil(h / 32), 1536) * self.per_unit)
        if w <= 384 and h <= 384:
            return 258
        return 258 * math.ceil(w / 768) * math.ceil(h / 768)


def _patch_scale(w: int, h: int) -> float:
    """OpenAI's patch-model shrink: scale so the image fits 1536 patches of 32 px, then so that its
    width is a whole number of patches (per the published algorithm)."""
    if math.ceil(w / 32) * math.ceil(h / 32) <= 1536:
        return 1.0
    shrink = math.sqrt(32 * 32 * 1536 / (w * h))
    shrink *= math.floor(w * shrink / 32) / (w * shrink / 32)
    return shrink


def image_rule(model: str, provider: str | None = None) -> ImageRule:
    """The counting rule for ``model`` (a normalised name); ``provider`` from the registry breaks ties.

    An unknown model is counted as Claude if its name says so, as Gemini likewise, else as gpt-4o.
    """
    name = model.lower()
    if provider == "anthropic" or "claude" in name:
        return ImageRule("anthropic-high") if _CLAUDE_HIGH.search(name) else ImageRule("anthropic")
    if provider == "google" or "gemini" in name:
        return ImageRule("gemini", per_unit=258)
    for prefix, mult in _OPENAI_PATCHES:
        if name.startswith(prefix):
            return ImageRule("openai-patches", per_unit=mult)
    for prefix, base, tile in _OPENAI_TILES:
        if name.startswith(prefix):
            return ImageRule("openai-tiles", base=base, per_unit=tile)
    return ImageRule("openai-tiles", base=85, per_unit=170)


def image_tokens(model: str, width: int, height: int, detail: Detail = "auto", provider: str | None = None) -> int:
    """Input tokens ``model`` charges for a ``width`` x ``height`` image (see the module docstring)."""
    return image_rule(model, provider).tokens(width, height, detail)
