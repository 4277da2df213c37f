"""`remember`, `recall`, `forget`: the memory API over a given store or the process-wide default one.

The default is a `SQLiteMemoryStore` at ``$HEADROOM_HOME/memory.sqlite3`` (``~/.headroom``), opened
on first use, text search only; pass ``store=`` for vectors (``embedder=``) or a server backend.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from headroom.memory._model import Memory, Scope
from headroom.memory._protocol import MemoryStore
from headroom.memory.sqlite import SQLiteMemoryStore

__all__ = ["default_memory_store", "forget", "recall", "remember", "set_default_memory_store"]

_lock = threading.Lock()
_default: MemoryStore | None = None


def default_memory_store() -> MemoryStore:
    """The process-wide default memory store (opened on first call)."""
    global _default
    with _lock:
        if _default is None:
            home = Path(os.environ.get("HEADROOM_HOME") or Path.home() / ".headroom")
            _default = SQLiteMemoryStore(home / "memory.sqlite3")
        return _default


def set_default_memory_store(store: MemoryStore | None) -> None:
    """Replace the default memory store (None: reopen from ``HEADROOM_HOME`` on next use)."""
    global _default
    with _lock:
        _default = store


def remember(
    text: str,
    *,
    scope: Scope,
    ttl_seconds: float | None = None,
    meta: dict[str, str] | None = None,
    store: MemoryStore | None = None,
) -> Memory:
    """Save a fact in ``scope``; the same or a near-identical fact updates the existing memory.

    Example:
        >>> import tempfile
        >>> from headroom.memory import SQLiteMemoryStore
        >>> store = SQLiteMemoryStore(tempfile.mkdtemp() + "/m.sqlite3")
        >>> _ = remember("Run tests with `uv run pytest`", scope=Scope("ann", "shop"), store=store)
        >>> recall("how to run the tests", scope=Scope("ann", "shop", "next-session"), store=store)[0].text
        'Run tests with `uv run pytest`'
        >>> recall("how to run the tests", scope=Scope("ann", "other-project"), store=store)
        []
    """
    return (store or default_memory_store()).remember(text, scope=scope, ttl_seconds=ttl_seconds, meta=meta)


def recall(query: str, *, scope: Scope, limit: int = 5, store: MemoryStore | None = None) -> list[Memory]:
    """The memories visible from ``scope`` (it and the scopes above it) most relevant to ``query``."""
    return (store or default_memory_store()).recall(query, scope=scope, limit=limit)


def forget(memory_id: str | None = None, *, scope: Scope | None = None, store: MemoryStore | None = None) -> int:
    """Delete a memory by id, or all of ``scope`` and the scopes below it; returns how many."""
    return (store or default_memory_store()).forget(memory_id, scope=scope)
