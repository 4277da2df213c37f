"""Headroom for LangChain: compress what a LangChain model reads; keep every original retrievable.

- `HeadroomChatModel` wraps any chat model: its messages are compressed, and ``headroom_retrieve``
  is offered to it and answered inside the wrapper.
- `HeadroomDocumentCompressor` compresses retrieved documents for the query.
- `compress_tool` / `HeadroomTool` compress a tool's outputs; `HeadroomChatMessageHistory` compresses
  a chat history on read; `headroom_retrieve_tool` is the retrieval tool for agents that run it
  themselves; `compress_messages` compresses a message list once.
"""

from collections.abc import Sequence

from headroom import CompressOptions, Store, __version__
from langchain_core.messages import BaseMessage

from headroom_langchain._chat_model import HeadroomChatModel
from headroom_langchain._convert import compress_lc
from headroom_langchain._documents import HeadroomDocumentCompressor
from headroom_langchain._history import HeadroomChatMessageHistory
from headroom_langchain._retrieve import headroom_retrieve_tool
from headroom_langchain._tools import HeadroomTool, compress_tool


def compress_messages(
    messages: Sequence[BaseMessage],
    *,
    model_name: str = "gpt-4o",
    store: Store | None = None,
    query: str | None = None,
    options: CompressOptions | None = None,
) -> list[BaseMessage]:
    """Compress LangChain messages once (for chains that compose their own steps).

    Args:
        messages: the conversation; it is not changed.
        model_name: the model Headroom counts tokens and context limits for.
        store: where originals go; None means the process-wide default store.
        query: what the task is about, for every block; by default each tool output uses the user
            text before its own tool call.
        options: `headroom.CompressOptions`.

    Returns:
        The same messages (same objects where nothing changed) with large content compressed; bind
        `headroom_retrieve_tool` so the model can fetch what the markers name.
    """
    opts = options or CompressOptions()
    return compress_lc(messages, model=model_name, store=store, options=opts, query=query).messages


__all__ = [
    "HeadroomChatMessageHistory",
    "HeadroomChatModel",
    "HeadroomDocumentCompressor",
    "HeadroomTool",
    "__version__",
    "compress_messages",
    "compress_tool",
    "headroom_retrieve_tool",
]
