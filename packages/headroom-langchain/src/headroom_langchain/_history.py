"""`HeadroomChatMessageHistory`: a chat history (memory) that is compressed when it is read."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from headroom import CompressOptions, Store
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage

from headroom_langchain._convert import compress_lc

DEFAULT_MODEL = "gpt-4o"


class HeadroomChatMessageHistory(BaseChatMessageHistory):
    """Wraps any chat message history: it stores the originals and reads back compressed.

    ``messages`` (and ``aget_messages``) give the stored conversation with large tool outputs and
    long pasted text compressed, so a chain that loads its memory sends less; the originals stay in
    the wrapped history untouched and in ``store`` under the refs the markers name. Writes and
    ``clear`` go straight to the wrapped history. Reading is deterministic: the same history reads
    back byte-identical, so a provider's prompt cache keeps hitting.

    Example:
        >>> history = HeadroomChatMessageHistory(InMemoryChatMessageHistory())  # doctest: +SKIP
        >>> chain = RunnableWithMessageHistory(model, lambda session_id: history)  # doctest: +SKIP
    """

    def __init__(
        self,
        history: BaseChatMessageHistory,
        *,
        store: Store | None = None,
        model_name: str = DEFAULT_MODEL,
        options: CompressOptions | None = None,
    ) -> None:
        """Wrap ``history``.

        Args:
            history: the history that keeps the messages.
            store: where originals go; None means the process-wide default store.
            model_name: the model Headroom counts tokens and context limits for.
            options: `headroom.CompressOptions` for every read.
        """
        self.history = history
        self.store = store
        self.model_name = model_name
        self.options = options or CompressOptions()

    def _compressed(self, messages: Sequence[BaseMessage]) -> list[BaseMessage]:
        return compress_lc(messages, model=self.model_name, store=self.store, options=self.options).messages

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]  # the base declares an attribute; reads compress
        """The stored messages, compressed."""
        return self._compressed(self.history.messages)

    async def aget_messages(self) -> list[BaseMessage]:
        """Async `messages`."""
        stored = await self.history.aget_messages()
        return await asyncio.to_thread(self._compressed, stored)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Store ``messages`` as they are."""
        self.history.add_messages(messages)

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Async `add_messages`."""
        await self.history.aadd_messages(messages)

    def clear(self) -> None:
        """Remove every message from the wrapped history (stored originals stay until they expire)."""
        self.history.clear()

    async def aclear(self) -> None:
        """Async `clear`."""
        await self.history.aclear()
