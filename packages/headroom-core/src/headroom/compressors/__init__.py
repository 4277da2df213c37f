"""Per-type compressors and the protocol they share."""

from headroom.compressors._base import (
    Compressor,
    ContentType,
    Detection,
    TaskContext,
)
from headroom.compressors.lines import LineCompressor

__all__ = ["Compressor", "ContentType", "Detection", "LineCompressor", "TaskContext"]
