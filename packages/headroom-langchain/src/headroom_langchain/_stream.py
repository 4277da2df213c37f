"""Relaying an inner model's stream: hide ``headroom_retrieve`` calls, keep one closing chunk per reply.

A streamed reply may be one of several rounds (the model fetched an original, then answered). The
caller must see one reply: text and its own tool calls as they arrive, never a retrieval call, and
the reply's metadata (finish reason, model name, ``chunk_position="last"``) once, at the very end —
LangChain merges chunk metadata by concatenating strings, so a ``finish_reason`` from a hidden
round would otherwise be glued to the final one.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.messages.utils import message_chunk_to_message
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk

from headroom_langchain._retrieve import hidden_indexes, strip_content, strip_kwargs


def as_chunk(generation: ChatGeneration) -> ChatGenerationChunk:
    """A whole generation as one stream chunk (for inner models that do not stream)."""
    message = generation.message
    if isinstance(message, BaseMessageChunk):
        return ChatGenerationChunk(message=message, generation_info=generation.generation_info)
    chunk = AIMessageChunk(content=message.content, id=message.id, name=message.name)
    if isinstance(message, AIMessage):
        chunk = AIMessageChunk(
            content=message.content,
            additional_kwargs=message.additional_kwargs,
            response_metadata=message.response_metadata,
            id=message.id,
            name=message.name,
            usage_metadata=message.usage_metadata,
            tool_call_chunks=[
                tool_call_chunk(
                    name=tc["name"], args=json.dumps(tc["args"], ensure_ascii=False), id=tc.get("id"), index=i
                )
                for i, tc in enumerate(message.tool_calls)
            ],
        )
    return ChatGenerationChunk(message=chunk, generation_info=generation.generation_info)


class Relay:
    """Feeds one round's chunks through, hiding retrieval calls when ``hide``; remembers the whole reply."""

    def __init__(self, *, hide: bool) -> None:
        """Start a round; ``hide`` drops ``headroom_retrieve`` tool-call chunks and blocks."""
        self._hide = hide
        self._hidden: set[int] = set()
        self._acc: ChatGenerationChunk | None = None

    def feed(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk | None:
        """The chunk to pass on, or None when nothing of it is for the caller."""
        self._acc = chunk if self._acc is None else self._acc + chunk
        message = chunk.message
        if not isinstance(message, AIMessageChunk):
            return chunk
        chunks: list[Any] = list(message.tool_call_chunks)
        content, extra = message.content, message.additional_kwargs
        if self._hide:
            self._hidden = hidden_indexes(chunks, self._hidden)
            chunks = [c for c in chunks if c.get("index") not in self._hidden]
            content, extra = strip_content(content, self._hidden), strip_kwargs(extra, self._hidden)
        if not (content or chunks or extra or message.usage_metadata):
            return None
        relayed = AIMessageChunk(
            content=content,
            additional_kwargs=extra,
            id=message.id,
            name=message.name,
            usage_metadata=message.usage_metadata,
            tool_call_chunks=chunks,
        )
        return ChatGenerationChunk(message=relayed)

    def message(self) -> BaseMessage:
        """The whole reply of this round, retrieval calls included."""
        if self._acc is None:
            return AIMessage(content="")
        return message_chunk_to_message(self._acc.message)

    def closing(self) -> ChatGenerationChunk:
        """The last chunk of the caller's reply: no content, the reply's metadata."""
        if self._acc is None:
            return ChatGenerationChunk(message=AIMessageChunk(content="", chunk_position="last"))
        message = self._acc.message
        empty: str | list[Any] = "" if isinstance(message.content, str) else []
        last = AIMessageChunk(
            content=empty,
            response_metadata=message.response_metadata,
            id=message.id,
            chunk_position="last",
        )
        return ChatGenerationChunk(message=last, generation_info=self._acc.generation_info)
