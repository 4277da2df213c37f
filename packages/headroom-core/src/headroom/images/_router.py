"""The per-image decision: what kind of image it is, and the smallest scale that keeps it legible.

A small trained model (`router_v1.json`, written by ``scripts/train_image_router.py``): multinomial
logistic regression for the kind, and a linear regression of log2(smallest legible scale) on the
same standardised features plus the kind, shifted up by a margin taken from its training residuals.
Labels came from real OCR (Tesseract recovering >= 95 % of the original's words) and SSIM (>= 0.95
for photos); see the script. When the weights file is missing or unreadable, `RuleRouter` decides
from the text-line height and colour statistics alone.
"""

from __future__ import annotations

import json
import math
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
    """The trained router: weights as the training script wrote them."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_w: tuple[tuple[float, ...], ...]
    class_b: tuple[float, ...]
    scale_w: tuple[float, ...]
    scale_kind: tuple[float, ...]
    scale_b: float
    margin: float
    version: str
    name: str = "model"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearRouter:
        """Build from the JSON the training script writes; raises ValueError when it does not fit."""
        if tuple(data["features"]) != FEATURE_NAMES or tuple(data["classes"]) != KINDS:
            raise ValueError("router weights were trained on other features or classes")
        n = len(FEATURE_NAMES)
        router = cls(
            mean=tuple(map(float, data["mean"])),
            std=tuple(map(float, data["std"])),
            class_w=tuple(tuple(map(float, row)) for row in data["class_w"]),
            class_b=tuple(map(float, data["class_b"])),
            scale_w=tuple(map(float, data["scale_w"])),
            scale_kind=tuple(map(float, data["scale_kind"])),
            scale_b=float(data["scale_b"]),
            margin=float(data["margin"]),
            version=str(data["version"]),
        )
        shapes = (len(router.mean), len(router.std), len(router.scale_w), *map(len, router.class_w))
        if any(k != n for k in shapes) or len(router.class_w) != len(KINDS) or len(router.scale_kind) != len(KINDS):
            raise ValueError("router weights have the wrong shape")
        return router

    def route(self, f: Features) -> Route:
        """Kind by the largest logit; scale from the regression plus the safety margin."""
        z = [(v - m) / (s or 1.0) for v, m, s in zip(f.vector(), self.mean, self.std, strict=True)]
        rows = zip(self.class_w, self.class_b, strict=True)
        logits = [b + sum(w * x for w, x in zip(row, z, strict=True)) for row, b in rows]
        k = max(range(len(KINDS)), key=logits.__getitem__)
        log_scale = self.scale_b + self.scale_kind[k] + sum(w * x for w, x in zip(self.scale_w, z, strict=True))
        return Route(KINDS[k], _clamp(2 ** (log_scale + self.margin)), f"{self.name}-{self.version}")


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


def softmax(logits: list[float]) -> list[float]:
    """Probabilities from logits (used by the training script's report)."""
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return [e / total for e in exps]
