"""Headroom: compress what an LLM reads, keep every original retrievable.

Quick start::

    from headroom import compress
    result = compress(messages, model="claude-sonnet-4-5-20250929")
    print(f"Saved {result.tokens_saved} tokens ({result.compression_ratio:.0%})")
"""

from headroom.api import answer_retrieve, compress, compress_request, compress_text, retrieve, retrieve_tool_result
from headroom.config import CompressKwargs, CompressOptions
from headroom.markers import find_refs, format_marker
from headroom.result import BlockReport, CompressResult, Edit, TextResult
from headroom.store import (
    MemoryStore,
    RefConflictError,
    RefError,
    RefExpiredError,
    RefNotFoundError,
    SQLiteStore,
    Store,
    default_store,
)
from headroom.turns import RETRIEVE_ROUNDS, RetrievalTurn, retrieval_turn

__version__ = "0.1.0"

__all__ = [
    "RETRIEVE_ROUNDS",
    "BlockReport",
    "CompressKwargs",
    "CompressOptions",
    "CompressResult",
    "Edit",
    "MemoryStore",
    "RefConflictError",
    "RefError",
    "RefExpiredError",
    "RefNotFoundError",
    "RetrievalTurn",
    "SQLiteStore",
    "Store",
    "TextResult",
    "__version__",
    "answer_retrieve",
    "compress",
    "compress_request",
    "compress_text",
    "default_store",
    "find_refs",
    "format_marker",
    "retrieval_turn",
    "retrieve",
    "retrieve_tool_result",
]
