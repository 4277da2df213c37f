"""The per-image decision: what kind of image it is, and the smallest scale that keeps it legible.

A small trained model (`router_v1.json`, written by ``scripts/train_image_router.py``):
multinomial logistic regression on cheap features for the kind, then a per-kind scale rule fitted
to labels measured with real OCR (Tesseract recovering >= 95 % of the original's words) and SSIM
(>= 0.95 for photos). For text and UI kinds the scale is ``c_kind / line_px``: text stays legible
while its lines keep a fitted height in pixels, whatever size it came in. For charts and photos
it is a fitted constant. When the weights file is missing or unreadable, `RuleRouter` decides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, Protocol

from headroom.images._features import FEATURE_NAMES, Features

__all__ = ["ImageKind", "ImageRouter", "LinearRouter", "Route", "RuleRouter", "default_router"]

ImageKind = Literal["text", "ui", "chart", "photo"]
KINDS: tuple[ImageKind, ...] = ("text", "ui", "chart", "photo")
WEIGHTS_FILE = "router_v1.json"
MIN_SCALE = 0.08


@dataclass(frozen=True)
class Route:
    """The decision for one image: its kind, the scale to send it at, and who decided."""

    kind: ImageKind
    scale: float
    router: str


class ImageRouter(Protocol):
    """Anything that decides a `Route` from `Features`."""

    def route(self, f: Features) -> Route:
        """The kind and the smallest legible scale (relative to the original size)."""
        ...


def _clamp(scale: float) -> float:
    return min(1.0, max(MIN_SCALE, scale))


class RuleRouter:
    """The fallback: text needs its lines about 14 px tall; photos go to half size."""

    name = "rules"

    def route(self, f: Features) -> Route:
        """Classify from colour and flatness; scale text by its line height."""
        if f.log_colors > 8.5 and f.flat < 0.35:
            kind: ImageKind = "photo"
        elif f.saturation > 0.12 and f.flat > 0.5 and f.log_colors < 8.5:
            kind = "chart"
        elif f.flat > 0.4 and f.saturation > 0.06:
            kind = "ui"
        else:
            kind = "text"
        if kind == "photo":
            return Route(kind, 0.5, self.name)
        line = 2**f.log_line_px if f.log_line_px else 0.0
        return Route(kind, _clamp(16.0 / line) if line else 1.0, self.name)


@dataclass(frozen=True)
class LinearRouter:
    """The trained router: weights as the training script wrote them.

    ``log2(scale) = kind_b[k] + kind_line[k] * log2(line_px)``; ``kind_line`` is -1 for kinds
    scaled by their text-line height and 0 for kinds with a constant scale. An image of a
    line-scaled kind in which no text line was found keeps its size.
    """

    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_w: tuple[tuple[float, ...], ...]
    class_b: tuple[float, ...]
    kind_b: tuple[float, ...]
    kind_line: tuple[float, ...]
    version: str
    name: str = "model"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearRouter:
        """Build from the JSON the training script writes; raises ValueError when it does not fit."""
        if tuple(data["features"]) != FEATURE_NAMES or tuple(data["classes"]) != KINDS:
            raise ValueError("router weights were trained on other features or classes")
        router = cls(
            mean=tuple(map(float, data["mean"])),
            std=tuple(map(float, data["std"])),
            class_w=tuple(tuple(map(float, row)) for row in data["class_w"]),
            class_b=tuple(map(float, data["class_b"])),
            kind_b=tuple(map(float, data["kind_b"])),
            kind_line=tuple(map(float, data["kind_line"])),
            version=str(data["version"]),
        )
        n, k = len(FEATURE_NAMES), len(KINDS)
        shapes = (len(router.mean), len(router.std), *map(len, router.class_w))
        kinds = (len(router.class_w), len(router.class_b), len(router.kind_b), len(router.kind_line))
        if any(v != n for v in shapes) or any(v != k for v in kinds):
            raise ValueError("router weights have the wrong shape")
        return router

    def kind(self, f: Features) -> int:
        """Index into `KINDS` of the largest logit."""
        z = [(v - m) / (s or 1.0) for v, m, s in zip(f.vector(), self.mean, self.std, strict=True)]
        rows = zip(self.class_w, self.class_b, strict=True)
        logits = [b + sum(w * x for w, x in zip(row, z, strict=True)) for row, b in rows]
        return max(range(len(KINDS)), key=logits.__getitem__)

    def route(self, f: Features) -> Route:
        """Kind by the classifier; scale by that kind's rule."""
        k = self.kind(f)
        slope = self.kind_line[k]
        if slope and not f.log_line_px:
            return Route(KINDS[k], 1.0, f"{self.name}-{self.version}")
        return Route(KINDS[k], _clamp(2 ** (self.kind_b[k] + slope * f.log_line_px)), f"{self.name}-{self.version}")


def load_router(text: str) -> LinearRouter:
    """Parse a weights file's text."""
    return LinearRouter.from_dict(json.loads(text))


def default_router() -> ImageRouter:
    """The shipped trained router, or `RuleRouter` when its weights cannot be read."""
    try:
        text = resources.files("headroom.images").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
        return load_router(text)
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return RuleRouter()
