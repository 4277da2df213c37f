"""ImageCompressor: the smallest size, format and detail at which an image stays legible.

Tokens, not bytes, are what an image costs: every provider counts pixels (after its own
downscale). So the compressor decides a scale per image (`headroom.images._router`), never sends
more pixels than the provider would keep anyway, and counts tokens before and after with the
model's own rule (`headroom.models.image_tokens`). Text-like images go as PNG (no artefacts on
glyphs); photos as JPEG. An image it cannot read (corrupt, truncated, an unsupported or animated
format, too many pixels) is left exactly as it was, with a note saying why.
"""

from __future__ import annotations

import dataclasses
import io
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from headroom.images._features import features
from headroom.images._router import ImageRouter, Route, default_router
from headroom.models import ImageRule, image_rule_for

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["ImageCompressor", "ImageOutcome", "Skipped"]

Detail = Literal["auto", "low", "high"]
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
MIN_SIDE = 200  # Anthropic: images under 200 px on an edge may read worse; no side goes below it
INSTALL = 'pip install "headroom-core[image]"'


@dataclass(frozen=True)
class ImageOutcome:
    """A compressed image and the account of it."""

    data: bytes
    media_type: str
    size: tuple[int, int]
    original_size: tuple[int, int]
    original_media_type: str
    kind: str
    router: str
    detail: Detail | None  # the ``detail`` to send (OpenAI), None to leave the caller's as it is
    tokens_before: int
    tokens_after: int
    quality: int | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        """What was done, for the marker: sizes, formats, tokens."""
        (w, h), (w2, h2) = self.original_size, self.size
        fmt = self.original_media_type.split("/")[-1].upper()
        fmt2 = self.media_type.split("/")[-1].upper() + (f" q{self.quality}" if self.quality else "")
        low = ", detail low" if self.detail == "low" else ""
        return (
            f"image ({self.kind}) {w}×{h} → {w2}×{h2} ({fmt} → {fmt2}{low}), "
            f"{self.tokens_before:,} → {self.tokens_after:,} tokens"
        )


@dataclass(frozen=True)
class Skipped:
    """Why an image was left as it was (``tokens`` of it as sent, when it could be read)."""

    note: str
    tokens: int = 0
    kind: str | None = None


@dataclass
class ImageCompressor:
    """Shrink images to the smallest legible size for the model they go to.

    Attributes:
        router: decides kind and scale; the shipped trained router by default.
        margin: extra scale on top of the router's (1.0 = exactly what it says).
        max_pixels: larger images are not decoded at all (left as they are, with a note).
        photo_quality: JPEG quality for photos.
    """

    router: ImageRouter = field(default_factory=default_router)
    margin: float = 1.0
    max_pixels: int = 40_000_000
    photo_quality: int = 90
    name: str = "image"

    def compress(self, data: bytes, *, model: str, detail: Detail = "auto") -> ImageOutcome | Skipped:
        """Compress one encoded image for ``model``; never raises on bad image data."""
        t0 = time.perf_counter()
        try:
            from PIL import Image, UnidentifiedImageError
        except ImportError:
            return Skipped(f"images are not compressed without Pillow: {INSTALL}")
        try:
            img = Image.open(io.BytesIO(data))
            fmt = img.format or ""
            if fmt not in FORMATS:
                return Skipped(f"unsupported image format {fmt or 'unknown'}")
            w, h = img.size
            if w * h > self.max_pixels:
                return Skipped(f"image of {w * h / 1e6:.1f} MP is over the {self.max_pixels / 1e6:.0f} MP limit")
            if getattr(img, "n_frames", 1) > 1:
                return Skipped("animated image")
            rule = image_rule_for(model)
            if fmt == "JPEG":  # decode no larger than the provider would keep: far less work
                img.draft(img.mode, rule.seen_size(w, h, detail))
            img.load()
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
            return Skipped(f"could not decode the image ({type(e).__name__})")
        before = rule.tokens(w, h, detail)
        route = self.router.route(features(img, (w, h)))
        out = self._shrink(img, (w, h), FORMATS[fmt], rule, detail, route, before)
        if isinstance(out, Skipped):
            return out
        return dataclasses.replace(out, seconds=time.perf_counter() - t0)

    def _target(self, size: tuple[int, int], rule: ImageRule, detail: Detail, route: Route) -> tuple[int, int]:
        w, h = size
        seen_w, _ = rule.seen_size(w, h, detail)
        scale = min(route.scale * self.margin, seen_w / w, 1.0)
        scale = max(scale, min(1.0, MIN_SIDE / min(w, h)))
        return max(1, round(w * scale)), max(1, round(h * scale))

    def _shrink(
        self,
        img: Image.Image,
        original: tuple[int, int],
        media: str,
        rule: ImageRule,
        detail: Detail,
        route: Route,
        before: int,
    ) -> ImageOutcome | Skipped:
        size = self._target(original, rule, detail, route)
        new_detail: Detail | None = None
        if rule.has_detail and detail == "auto" and route.kind == "photo" and rule.tokens(*size) > rule.base:
            # A photo that fits OpenAI's low-detail 512 px view loses little: send it so, at base cost.
            new_detail = "low"
            size = rule.seen_size(*size, "low")
        after = rule.tokens(*size, new_detail or detail)
        if after >= before:
            return Skipped("already at its smallest legible size", tokens=before, kind=route.kind)
        from PIL import Image

        if img.mode not in ("RGB", "RGBA", "L", "LA"):
            img = img.convert("RGBA" if "transparency" in img.info or img.mode.endswith("A") else "RGB")
        small = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        buf = io.BytesIO()
        quality: int | None = None
        if route.kind == "photo" and small.mode in ("RGB", "L"):
            small.convert("RGB").save(buf, "JPEG", quality=self.photo_quality)
            media_out, quality = "image/jpeg", self.photo_quality
        else:
            small.save(buf, "PNG", compress_level=3)
            media_out = "image/png"
        return ImageOutcome(
            data=buf.getvalue(),
            media_type=media_out,
            size=size,
            original_size=original,
            original_media_type=media,
            kind=route.kind,
            router=route.router,
            detail=new_detail,
            tokens_before=before,
            tokens_after=after,
            quality=quality,
        )
