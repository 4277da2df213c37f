"""Persistent memory: facts that outlive a conversation, kept per scope and never shared across projects.

Scopes run user → project → session → agent → turn (`Scope`); a memory belongs to one scope and is
found from it and every scope below it. `SQLiteMemoryStore` (FTS5/BM25, plus vectors when given an
embedder such as `minilm_embedder`) is the embedded default; `PostgresMemoryStore` serves several
machines. Every backend passes `headroom.testing.MemoryStoreConformance`.

Example:
    >>> import tempfile
    >>> from headroom.memory import Scope, SQLiteMemoryStore, recall, remember
    >>> store = SQLiteMemoryStore(tempfile.mkdtemp() + "/memory.sqlite3")
    >>> _ = remember("The staging database is read-only on Fridays", scope=Scope("ann", "shop"), store=store)
    >>> [m.text for m in recall("staging database", scope=Scope("ann", "shop", "s7"), store=store)]
    ['The staging database is read-only on Fridays']
"""

from headroom.memory._embed import minilm_embedder
from headroom.memory._model import LEVELS, Memory, MemoryNotFoundError, MemoryStoreError, Scope
from headroom.memory._protocol import MemoryStore
from headroom.memory._rank import Embedder
from headroom.memory.api import default_memory_store, forget, recall, remember, set_default_memory_store
from headroom.memory.postgres import PostgresMemoryStore
from headroom.memory.sqlite import SQLiteMemoryStore

__all__ = [
    "LEVELS",
    "Embedder",
    "Memory",
    "MemoryNotFoundError",
    "MemoryStore",
    "MemoryStoreError",
    "PostgresMemoryStore",
    "SQLiteMemoryStore",
    "Scope",
    "default_memory_store",
    "forget",
    "minilm_embedder",
    "recall",
    "remember",
    "set_default_memory_store",
]
