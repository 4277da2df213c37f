"""The `MemoryStore` protocol: what every memory backend does, checked by one conformance suite."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from headroom.memory._model import Memory, Scope

__all__ = ["MemoryStore"]


@runtime_checkable
class MemoryStore(Protocol):
    """Facts that outlive a conversation, kept per scope (user → project → session → agent → turn).

    Implementations pass `headroom.testing.MemoryStoreConformance`. Contract:

    * ``remember`` saves ``text`` in exactly one scope. The same text (ignoring case, spacing and
      punctuation) in the same scope refreshes the existing memory instead of adding one; a
      near-identical text (nearly all words shared, or nearly the same embedding) replaces it and
      keeps its id; a text about another subject never does. A write is atomic: after a failure
      nothing is stored.
    * ``recall`` ranks the live memories of ``scope`` and of every scope above it, never of a
      sibling or a scope below: lexical (BM25-style) and, when the store has an embedder, vector
      similarity, fused. Results are deterministic for the same data.
    * A memory whose ``ttl_seconds`` ran out is never returned; ``forget`` deletes at once.
    * Safe to use from several threads; persistent backends from several processes too.
    """

    def remember(
        self,
        text: str,
        *,
        scope: Scope,
        ttl_seconds: float | None = None,
        meta: dict[str, str] | None = None,
    ) -> Memory:
        """Save ``text`` in ``scope`` (see the class docstring); returns the stored memory."""
        ...

    def recall(self, query: str, *, scope: Scope, limit: int = 5) -> list[Memory]:
        """The memories visible from ``scope`` most relevant to ``query``, best first.

        An empty query returns the most recently updated ones.
        """
        ...

    def get(self, memory_id: str) -> Memory:
        """The live memory with ``memory_id``; `MemoryNotFoundError` otherwise."""
        ...

    def forget(self, memory_id: str | None = None, *, scope: Scope | None = None) -> int:
        """Delete one memory by id, or every memory of ``scope`` and the scopes below it.

        Returns how many were deleted (0 for an unknown id: forgetting is idempotent).
        """
        ...

    def close(self) -> None:
        """Release resources. The store must not be used afterwards."""
        ...
