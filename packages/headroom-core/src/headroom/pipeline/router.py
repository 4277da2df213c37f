"""ContentRouter: which compressor handles each block, by the type `detect` finds."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from headroom.compressors import Compressor, ContentType, Detection
from headroom.compressors.code import CodeCompressor
from headroom.compressors.diff import DiffCompressor
from headroom.compressors.html import HTMLExtractor
from headroom.compressors.json_crusher import SmartCrusher
from headroom.compressors.logs import LogCompressor
from headroom.compressors.search import SearchCompressor
from headroom.compressors.text import TextCompressor
from headroom.config import LEVEL_SCALE, CompressOptions
from headroom.pipeline._embedded import EmbeddedCompressor, embedded_strings
from headroom.pipeline._sectioned import SectionedCompressor
from headroom.pipeline.detect import Section, split_sections


def _default_compressors(scale: float = 1.0) -> dict[ContentType, Compressor]:
    return {
        ContentType.JSON: SmartCrusher().scaled(scale),
        ContentType.LOG: LogCompressor().scaled(scale),
        ContentType.SEARCH: SearchCompressor().scaled(scale),
        ContentType.DIFF: DiffCompressor().scaled(scale),
        ContentType.CODE: CodeCompressor().scaled(scale),
        ContentType.HTML: HTMLExtractor(),  # the page's main content: nothing to budget
        ContentType.TEXT: TextCompressor().scaled(scale),
    }


@dataclass(frozen=True)
class ContentRouter:
    """Maps each block to a `Detection` and the compressor registered for its type."""

    compressors: Mapping[ContentType, Compressor] = field(default_factory=_default_compressors)

    def route(self, text: str, sections: Sequence[Section] | None = None) -> tuple[Detection, Compressor | None]:
        """The detection for ``text`` and its compressor (None: the type passes through).

        Mixed content (see `split_sections`) gets a `SectionedCompressor` that compresses each
        section with its own type's compressor; the detection reported is the largest section's.
        ``sections`` may pass `split_sections(text)` computed earlier (it depends on the text only).
        """
        if sections is None:
            sections = split_sections(text)
        if len(sections) == 1:
            detection = sections[0].detection
            if detection.type is ContentType.JSON:
                fields = embedded_strings(text)
                if fields:
                    return detection, EmbeddedCompressor(tuple(fields), self.route)
            return detection, self.compressors.get(detection.type)
        parts = tuple((s, self.compressors.get(s.detection.type)) for s in sections)
        largest = max(sections, key=lambda s: s.end - s.start)
        return largest.detection, SectionedCompressor(parts)


def router_for(options: CompressOptions) -> ContentRouter:
    """The router for a set of options: the default compressors at the options' level, or with the
    ML backend as the text compressor.

    The ML text compressor is built once per model (its loader runs in the background and is shared),
    so the memo of compressed blocks keeps working across calls.
    """
    scale = LEVEL_SCALE[options.level]
    model = options.text_model or os.environ.get("HEADROOM_TEXT_MODEL") or None
    if model is None:
        return _router(scale)
    return _ml_router(model, options.text_model_budget_ms, scale)


@functools.lru_cache(maxsize=4)
def _router(scale: float) -> ContentRouter:
    return ContentRouter(_default_compressors(scale))


@functools.lru_cache(maxsize=8)
def _ml_router(model: str, budget_ms: float, scale: float) -> ContentRouter:
    from headroom.ml import ml_text_compressor  # needs headroom-core[ml]; imported only when configured

    compressors = dict(_default_compressors(scale))
    compressors[ContentType.TEXT] = ml_text_compressor(model, budget_ms=budget_ms).scaled(scale)
    return ContentRouter(compressors)
