"""What every backend shares: query terms, near-duplicate detection, hybrid ranking, vector scans.

Ranking is reciprocal-rank fusion (RRF) of the lexical ranking (BM25 or the backend's full-text
rank) and the vector ranking (cosine similarity), so an exact name or number still wins while a
paraphrase with no word in common is found too. Ties break on id, so results are deterministic.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Embedder",
    "VectorCache",
    "fuse",
    "jaccard",
    "near_identical",
    "normalize",
    "query_terms",
    "terms",
]

RRF_K = 60
"""The usual RRF constant: a hit's weight is 1 / (RRF_K + rank)."""

CANDIDATES = 50
"""How deep each ranking is read before fusion."""

NEAR_DUPLICATE_JACCARD = 0.9
"""Word-set overlap at or above which a new text updates an existing memory of its scope. High on
purpose: "orbit must not restart on Fridays" and "ledger must not restart on Fridays" are two facts."""

NEAR_DUPLICATE_COSINE = 0.97
"""Embedding similarity at or above which a new text updates an existing memory of its scope."""

_WORD = re.compile(r"\w+", re.UNICODE)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors (e.g. `headroom.memory.minilm_embedder`)."""

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit-length vector per text, all of one dimension."""
        ...


_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "the",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "you",
    ]
)


def query_terms(text: str) -> list[str]:
    """The words of a query worth searching for: `terms` without the commonest English words
    (they match most memories and only slow the ranking), unless nothing else is left."""
    words = terms(text)
    return [w for w in words if w not in _STOP] or words


def terms(text: str) -> list[str]:
    """The words of ``text``, case-folded, in order, without repeats."""
    out: dict[str, None] = {}
    for w in _WORD.findall(text.casefold()):
        out.setdefault(w, None)
    return list(out)


def normalize(text: str) -> str:
    """The form two texts share when they say the same thing: case-folded words, single-spaced."""
    return " ".join(_WORD.findall(text.casefold()))


def near_identical(a: str, b: str) -> bool:
    """Nearly all the same words (case, spacing, punctuation and word order aside)."""
    return jaccard(a, b) >= NEAR_DUPLICATE_JACCARD


def jaccard(a: str, b: str) -> float:
    """Overlap of the word sets of ``a`` and ``b`` (0 when either has no words)."""
    sa, sb = set(terms(a)), set(terms(b))
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def fuse(rankings: Iterable[Sequence[str]], limit: int) -> list[tuple[str, float]]:
    """Ids ranked by reciprocal-rank fusion of ``rankings`` (best first), with their fused scores."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, mid in enumerate(ranking):
            scores[mid] = scores.get(mid, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError as e:  # pragma: no cover - the memory extra installs it
        raise ImportError('vector search needs numpy: pip install "headroom-core[memory]"') from e
    return numpy


def to_blob(vector: Sequence[float]) -> bytes:
    """A vector as little-endian float32 bytes (how backends store it)."""
    np = _numpy()
    return bytes(np.asarray(vector, dtype="<f4").tobytes())


class VectorCache:
    """Exact cosine search over the vectors of a few scopes, kept in memory between searches.

    A backend stores each memory's vector next to its text (one write, one transaction) and hands
    this cache a loader; the matrix of a scope is rebuilt only after ``invalidate`` (a backend calls
    it when it or another process changed the data). Exact scans were measured faster than an HNSW
    index here up to ~100k vectors per scope and never miss (see benchmarks/memory.md).

    Args:
        load: returns ``(ids, blobs)`` of the live memories of one scope key.
    """

    def __init__(self, load: Callable[[str], tuple[list[str], list[bytes]]]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._scopes: dict[str, tuple[list[str], Any]] = {}

    def invalidate(self, key: str | None = None) -> None:
        """Forget the cached matrix of ``key`` (all of them when None)."""
        with self._lock:
            if key is None:
                self._scopes.clear()
            else:
                self._scopes.pop(key, None)

    def _matrix(self, key: str) -> tuple[list[str], Any]:
        with self._lock:
            hit = self._scopes.get(key)
        if hit is not None:
            return hit
        np = _numpy()
        ids, blobs = self._load(key)
        matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(ids), -1) if ids else None
        with self._lock:
            self._scopes[key] = (ids, matrix)
        return ids, matrix

    def search(self, keys: Sequence[str], query: Sequence[float], limit: int) -> list[tuple[str, float]]:
        """The ``limit`` ids most similar to ``query`` among the scopes ``keys``, with cosines."""
        np = _numpy()
        q = np.asarray(query, dtype="<f4")
        found: list[tuple[str, float]] = []
        for key in keys:
            ids, matrix = self._matrix(key)
            if matrix is None or matrix.shape[1] != q.shape[0]:
                continue
            sims = matrix @ q
            top = np.argpartition(-sims, limit)[:limit] if len(ids) > limit else range(len(ids))
            found.extend((ids[i], float(sims[i])) for i in top)
        return sorted(found, key=lambda kv: (-kv[1], kv[0]))[:limit]
