"""`HeadroomDocumentCompressor`: query-aware compression of retrieved documents."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from headroom import CompressOptions, Store, compress_text
from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict, Field

DEFAULT_MODEL = "gpt-4o"


class HeadroomDocumentCompressor(BaseDocumentCompressor):
    """Compresses each retrieved document for the query: relevant sentences, lines and rows stay.

    Use it wherever LangChain takes a document compressor (the contextual-compression retriever
    pattern). A compressed document keeps its id and metadata and gains ``headroom_ref`` (the ref
    of its whole original: ``headroom.retrieve(ref, store=...)`` gives the page content back),
    ``headroom_tokens_before`` and ``headroom_tokens_after``. Documents with nothing worth leaving
    out come back as they were; none is dropped.

    Attributes:
        store: where originals go; None means the process-wide default store.
        model_name: the model Headroom counts tokens for.
        options: `headroom.CompressOptions` for every document.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Store | None = None
    model_name: str = DEFAULT_MODEL
    options: CompressOptions = Field(default_factory=CompressOptions)

    def _one(self, document: Document, query: str) -> Document:
        result = compress_text(
            document.page_content, model=self.model_name, query=query, store=self.store, options=self.options
        )
        if not result.refs or result.block is None or result.block.ref is None:
            return document
        metadata = {
            **document.metadata,
            "headroom_ref": result.block.ref,
            "headroom_tokens_before": result.tokens_before,
            "headroom_tokens_after": result.tokens_after,
        }
        return Document(page_content=result.text, metadata=metadata, id=document.id)

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Each document compressed for ``query``, in the same order."""
        return [self._one(d, query) for d in documents]

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Async `compress_documents` (compression runs in a worker thread)."""
        return await asyncio.to_thread(self.compress_documents, documents, query, callbacks)
