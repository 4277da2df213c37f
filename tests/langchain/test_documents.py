"""HeadroomDocumentCompressor: retrieved documents compressed for the query, originals retrievable."""

from __future__ import annotations

import asyncio

from headroom import MemoryStore, retrieve
from headroom_langchain import HeadroomDocumentCompressor
from langchain_core.documents import BaseDocumentCompressor, Document

QUERY = "Who killed Harold II?"
ANSWER = "In 1066, Duke William II of Normandy conquered England killing King Harold II at the Battle of Hastings."


def test_documents_are_compressed_for_the_query(article: str, store: MemoryStore) -> None:
    docs = [
        Document(page_content=article, metadata={"source": "wiki/Normans"}, id="normans"),
        Document(page_content="The Normans were a people of northern France.", metadata={"source": "short"}),
    ]
    compressor = HeadroomDocumentCompressor(store=store)
    assert isinstance(compressor, BaseDocumentCompressor)

    big, small = compressor.compress_documents(docs, QUERY)

    assert ANSWER in big.page_content  # the sentence that answers the query is kept verbatim
    assert len(big.page_content) < len(article) / 2
    assert big.id == "normans" and big.metadata["source"] == "wiki/Normans"
    assert retrieve(big.metadata["headroom_ref"], store=store) == article
    assert big.metadata["headroom_tokens_after"] < big.metadata["headroom_tokens_before"]
    assert small is docs[1]  # nothing worth leaving out: returned as it was
    assert docs[0].page_content == article  # inputs are not changed


def test_async_gives_the_same_documents(article: str, store: MemoryStore) -> None:
    docs = [Document(page_content=article)]
    compressor = HeadroomDocumentCompressor(store=store)
    assert asyncio.run(compressor.acompress_documents(docs, QUERY)) == compressor.compress_documents(docs, QUERY)
