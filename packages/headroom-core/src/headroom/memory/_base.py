"""`BaseMemoryStore`: the `MemoryStore` behaviour every backend shares, over a few storage primitives.

A backend implements the primitives (find, write, rank by text, fetch, delete); scoping, dedupe,
TTL and hybrid ranking live here once, so every backend behaves the same and one conformance
suite checks them all.
"""

from __future__ import annotations

import json
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from headroom.memory._model import Memory, MemoryNotFoundError, Scope, check_meta, check_text
from headroom.memory._rank import (
    CANDIDATES,
    NEAR_DUPLICATE_COSINE,
    Embedder,
    VectorCache,
    fuse,
    near_identical,
    normalize,
    query_terms,
    to_blob,
)

__all__ = ["BaseMemoryStore", "Row", "below_prefix"]

MIN_VECTOR_SIMILARITY = 0.25
"""A vector hit below this cosine is not a candidate at all (it is about something else)."""


@dataclass(frozen=True)
class Row:
    """One stored memory as a backend reads it."""

    id: str
    key: str
    text: str
    meta: str
    created: float
    updated: float
    expires: float | None

    def memory(self, score: float = 0.0) -> Memory:
        return Memory(
            id=self.id,
            text=self.text,
            scope=Scope.from_key(self.key),
            created=self.created,
            updated=self.updated,
            expires=self.expires,
            meta=json.loads(self.meta),
            score=score,
        )


class BaseMemoryStore(ABC):
    """Shared `MemoryStore` logic; subclasses supply the storage primitives.

    Args:
        embedder: turns texts into vectors for semantic recall and dedupe; None is text search only.
        clock: returns the current time in seconds; tests inject a fake one.
    """

    def __init__(self, *, embedder: Embedder | None = None, clock: Callable[[], float] = time.time) -> None:
        self.embedder = embedder
        self._clock = clock
        self._vectors = VectorCache(self._vector_rows)

    # -- primitives ---------------------------------------------------------------------------

    @abstractmethod
    def _find_exact(self, key: str, norm: str, now: float) -> Row | None:
        """The live memory of scope ``key`` whose normalised text is ``norm``."""

    @abstractmethod
    def _lexical(self, keys: Sequence[str], words: Sequence[str], now: float, limit: int) -> list[str]:
        """Ids of live memories of ``keys`` matching any of ``words``, best full-text rank first."""

    @abstractmethod
    def _recent(self, keys: Sequence[str], now: float, limit: int) -> list[str]:
        """Ids of the live memories of ``keys``, most recently updated first."""

    @abstractmethod
    def _fetch(self, ids: Sequence[str], now: float) -> dict[str, Row]:
        """The live rows among ``ids``."""

    @abstractmethod
    def _write(self, row: Row, norm: str, vector: bytes | None, *, replace: bool) -> None:
        """Insert ``row`` (or overwrite the row with its id when ``replace``), in one transaction."""

    @abstractmethod
    def _delete(self, memory_id: str | None, key: str | None) -> int:
        """Delete one id, or every memory of scope ``key`` and of the scopes below it.

        A scope below ``key`` is one whose key starts with `below_prefix` of ``key``.
        """

    @abstractmethod
    def _vector_rows(self, key: str) -> tuple[list[str], list[bytes]]:
        """Ids and vectors of the memories of scope ``key`` that have one."""

    def _sync(self) -> None:  # noqa: B027 - optional hook; embedded backends check for other writers
        """Called before a vector search: drop cached vectors another process may have changed."""

    @abstractmethod
    def close(self) -> None:
        """Release resources."""

    # -- MemoryStore ----------------------------------------------------------------------------

    def remember(
        self,
        text: str,
        *,
        scope: Scope,
        ttl_seconds: float | None = None,
        meta: dict[str, str] | None = None,
    ) -> Memory:
        """Save ``text`` in ``scope``; see `headroom.memory.MemoryStore`."""
        text, meta_json = check_text(text), json.dumps(check_meta(meta), sort_keys=True)
        _check_scope(scope)
        if ttl_seconds is not None and not ttl_seconds > 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds!r}")
        now, key, norm = self._clock(), scope.key, normalize(text)
        expires = now + ttl_seconds if ttl_seconds is not None else None
        vector = self._embed(text)
        old = self._find_exact(key, norm, now) or self._near_duplicate(key, text, vector, now)
        if old is None:
            row = Row(uuid.uuid4().hex, key, text, meta_json, now, now, expires)
        else:
            row = Row(old.id, key, text, meta_json, old.created, now, expires)
        self._write(row, norm, to_blob(vector) if vector is not None else None, replace=old is not None)
        self._vectors.invalidate(key)
        return row.memory()

    def recall(self, query: str, *, scope: Scope, limit: int = 5) -> list[Memory]:
        """Memories visible from ``scope``, best first; see `headroom.memory.MemoryStore`."""
        if not isinstance(query, str):
            raise ValueError(f"a recall query must be a string, got {type(query).__name__}")
        _check_scope(scope)
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        now, keys, words = self._clock(), scope.visible_keys(), query_terms(query)
        if not words:
            rows = self._fetch(ids := self._recent(keys, now, limit), now)
            return [rows[i].memory() for i in ids if i in rows]
        rankings = [self._lexical(keys, words, now, CANDIDATES)]
        vector = self._embed(query)
        if vector is not None:
            self._sync()
            hits = self._vectors.search(keys, vector, CANDIDATES)
            rankings.append([mid for mid, sim in hits if sim >= MIN_VECTOR_SIMILARITY])
        fused = fuse(rankings, 2 * CANDIDATES)
        rows = self._fetch([mid for mid, _ in fused], now)
        return [rows[mid].memory(score) for mid, score in fused if mid in rows][:limit]

    def get(self, memory_id: str) -> Memory:
        """The live memory with ``memory_id``; `MemoryNotFoundError` otherwise."""
        row = self._fetch([memory_id], self._clock()).get(memory_id) if isinstance(memory_id, str) else None
        if row is None:
            raise MemoryNotFoundError(str(memory_id))
        return row.memory()

    def forget(self, memory_id: str | None = None, *, scope: Scope | None = None) -> int:
        """Delete one memory by id, or all of ``scope`` and below; returns how many."""
        if (memory_id is None) == (scope is None):
            raise ValueError("forget needs exactly one of memory_id or scope")
        if scope is not None:
            _check_scope(scope)
            n = self._delete(None, scope.key)
        else:
            n = self._delete(str(memory_id), None)
        self._vectors.invalidate()
        return n

    # -- helpers --------------------------------------------------------------------------------

    def _embed(self, text: str) -> list[float] | None:
        return self.embedder.encode([text])[0] if self.embedder is not None else None

    def _near_duplicate(self, key: str, text: str, vector: list[float] | None, now: float) -> Row | None:
        ids = self._lexical([key], query_terms(text), now, 5)
        rows = self._fetch(ids, now)
        for mid in ids:
            if mid in rows and near_identical(rows[mid].text, text):
                return rows[mid]
        if vector is None:
            return None
        self._sync()
        for mid, sim in self._vectors.search([key], vector, 1):
            if sim >= NEAR_DUPLICATE_COSINE:
                return self._fetch([mid], now).get(mid)
        return None


def below_prefix(key: str) -> str:
    """What the keys of the scopes below scope ``key`` start with: '["ann", "shop", ' for '["ann", "shop"]'."""
    return key[:-1] + ", "


def _check_scope(scope: object) -> None:
    if not isinstance(scope, Scope):
        raise ValueError(f"scope must be a headroom.memory.Scope, got {type(scope).__name__}")
