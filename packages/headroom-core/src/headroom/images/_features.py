"""Cheap image features for the router: colour, edges, flatness, and the height of text lines.

All are computed with Pillow alone on a copy reduced by a whole factor to at most `ANALYSIS_EDGE`
px on its long edge, in a few milliseconds. The one that matters most for legibility is
`line_px`: the median height, in pixels of the original, of the bands of rows that hold ink (text
lines), measured in four vertical strips so that a sidebar and a page body each count. Small text
needs the resolution it has; large text can shrink.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass
from statistics import median
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["ANALYSIS_EDGE", "FEATURE_NAMES", "Features", "features"]

ANALYSIS_EDGE = 1024
_STRIPS = 4


@dataclass(frozen=True)
class Features:
    """What the router sees of an image (all floats, roughly in [-4, 12])."""

    log_colors: float  # log2 of distinct colours in a 64x64 thumbnail (4 bits per channel)
    edges: float  # mean edge strength, 0..1
    strong_edges: float  # fraction of pixels on a sharp edge
    flat: float  # fraction of pixels within 8 grey levels of the commonest one (a plain background)
    entropy: float  # grey-level histogram entropy / 8
    saturation: float  # mean HSV saturation, 0..1
    log_line_px: float  # log2 of the median text-line height in original pixels (0 when none)
    line_density: float  # ink bands per 100 analysed rows
    log_megapixels: float
    log_aspect: float

    def vector(self) -> list[float]:
        """The features in `FEATURE_NAMES` order."""
        return [float(v) for v in astuple(self)]


FEATURE_NAMES = tuple(Features.__dataclass_fields__)


def _entropy(hist: list[int]) -> float:
    total = sum(hist) or 1
    return -sum(c / total * math.log2(c / total) for c in hist if c) / 8


def _bands(profile: list[int], threshold: float) -> list[int]:
    """Lengths of the runs of rows whose edge mean is above ``threshold``."""
    runs, n = [], 0
    for v in profile:
        if v > threshold:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    if n:
        runs.append(n)
    return [r for r in runs if r >= 2]


def _line_stats(edges: Image.Image) -> tuple[float, float]:
    """(median band height in analysed px, bands per 100 rows) over vertical strips."""
    from PIL import Image

    w, h = edges.size
    heights: list[int] = []
    count = 0
    for k in range(_STRIPS):
        strip = edges.crop((k * w // _STRIPS, 0, (k + 1) * w // _STRIPS, h))
        profile = list(strip.resize((1, h), Image.Resampling.BOX).tobytes())
        mean = sum(profile) / max(len(profile), 1)
        runs = _bands(profile, max(mean * 0.6, 4.0))
        heights += runs
        count += len(runs)
    if not heights:
        return 0.0, 0.0
    return float(median(heights)), 100.0 * count / _STRIPS / max(h, 1)


def features(img: Image.Image, size: tuple[int, int] | None = None) -> Features:
    """The router's features of a decoded image (any mode).

    Args:
        img: the image.
        size: the original's size when ``img`` was decoded smaller (JPEG draft mode); line heights
            and megapixels are those of the original.
    """
    from PIL import Image, ImageFilter

    w, h = size or img.size
    factor = math.ceil(max(img.size) / ANALYSIS_EDGE)
    small = img.reduce(factor) if factor > 1 else img  # a box average: far cheaper than resampling
    ratio = small.width / w
    rgb = small.convert("RGB")
    gray = rgb.convert("L")
    thumb = rgb.resize((64, 64), Image.Resampling.BOX)
    raw = thumb.tobytes()
    quant = {(raw[i] >> 4, raw[i + 1] >> 4, raw[i + 2] >> 4) for i in range(0, len(raw), 3)}
    edges = gray.filter(ImageFilter.FIND_EDGES)
    ehist = edges.histogram()
    pixels = max(sum(ehist), 1)
    ghist = gray.histogram()
    peak = max(range(256), key=ghist.__getitem__)
    flat = sum(ghist[max(0, peak - 8) : peak + 9]) / pixels
    sat = thumb.convert("HSV").getchannel("S").histogram()
    line, density = _line_stats(edges)
    return Features(
        log_colors=math.log2(len(quant)),
        edges=sum(i * c for i, c in enumerate(ehist)) / pixels / 255,
        strong_edges=sum(ehist[80:]) / pixels,
        flat=flat,
        entropy=_entropy(ghist),
        saturation=sum(i * c for i, c in enumerate(sat)) / max(sum(sat), 1) / 255,
        log_line_px=math.log2(line / ratio) if line else 0.0,
        line_density=density,
        log_megapixels=math.log2(max(w * h, 1) / 1e6),
        log_aspect=math.log2(w / max(h, 1)),
    )
