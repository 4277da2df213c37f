"""Per-type compressors and the protocol they share."""

from headroom.compressors._base import (
    Compressor,
    ContentType,
    Detection,
    TaskContext,
)
from headroom.compressors.code import CodeCompressor
from headroom.compressors.diff import DiffCompressor
from headroom.compressors.html import HTMLExtractor
from headroom.compressors.json_crusher import SmartCrusher
from headroom.compressors.lines import LineCompressor
from headroom.compressors.logs import LogCompressor
from headroom.compressors.search import SearchCompressor
from headroom.compressors.text import TextCompressor

__all__ = [
    "CodeCompressor",
    "Compressor",
    "ContentType",
    "Detection",
    "DiffCompressor",
    "HTMLExtractor",
    "LineCompressor",
    "LogCompressor",
    "SearchCompressor",
    "SmartCrusher",
    "TaskContext",
    "TextCompressor",
]
