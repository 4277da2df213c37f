"""ContentRouter: which compressor handles each block, by the type `detect` finds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from headroom.compressors import Compressor, ContentType, Detection, LineCompressor
from headroom.compressors.logs import LogCompressor
from headroom.compressors.search import SearchCompressor
from headroom.pipeline.detect import detect


def _default_compressors() -> dict[ContentType, Compressor]:
    lines = LineCompressor()
    return {
        # JSON has no compressor yet: a line-based cut would break its syntax, so it passes through.
        ContentType.LOG: LogCompressor(),
        ContentType.SEARCH: SearchCompressor(),
        ContentType.DIFF: lines,
        ContentType.CODE: lines,
        ContentType.HTML: lines,
        ContentType.TEXT: lines,
    }


@dataclass(frozen=True)
class ContentRouter:
    """Maps each block to a `Detection` and the compressor registered for its type."""

    compressors: Mapping[ContentType, Compressor] = field(default_factory=_default_compressors)

    def route(self, text: str) -> tuple[Detection, Compressor | None]:
        """The detection for ``text`` and its compressor (None: the type passes through)."""
        detection = detect(text)
        return detection, self.compressors.get(detection.type)
