"""`HeadroomCompressionManager`: Agno's tool-result compression, done by Headroom instead of an LLM."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agno.compression.manager import CompressionManager
from agno.metrics import RunMetrics
from agno.models.base import Model
from agno.models.message import Message
from headroom import CompressOptions, Store
from headroom.integrations import RETRIEVE_TOOL_NAME, ToolOutputCompressor
from pydantic import BaseModel

from headroom_agno._metrics import (
    SECONDS,
    TOKENS_SAVED,
    TOOL_RESULT_TOKENS_SAVED,
    TOOL_RESULTS,
    agno_options,
    record,
    task_queries,
)

if TYPE_CHECKING:
    from headroom import CompressKwargs
    from typing_extensions import Unpack

_REMEMBER = 100_000


class HeadroomCompressionManager(CompressionManager):
    """Compresses each tool result before the next model call; no LLM involved.

    Pass it as ``Agent(compression_manager=HeadroomCompressionManager(...))`` (Agno then turns
    ``compress_tool_results`` on) and give the agent `headroom_retrieve_tool` with the same store.
    Each result's compressed text goes into ``Message.compressed_content``, which is what the
    provider sends; ``content``, the run's history and the session keep the original. Results of
    ``headroom_retrieve`` are never compressed.

    Every run's ``metrics.additional_metrics`` gets ``headroom_tool_results_compressed``,
    ``headroom_tool_result_tokens_saved`` (what the results lost, counted once each: every later
    model call that carries them saves it again), ``headroom_tokens_saved`` (all of Headroom's
    savings in the run) and ``headroom_seconds``; Agno adds them up in the session's metrics.
    Agno's own ``stats`` (characters) and compression events are kept up to date too.

    Args:
        store: where originals go; None means the process-wide default store.
        model_name: the model name for token counting; None takes the agent model's ``id``.
        options: a `headroom.CompressOptions` (its ``fit`` is ignored).
        **kwargs: fields of `headroom.CompressOptions` over ``options``, except ``fit``.
    """

    def __init__(
        self,
        *,
        store: Store | None = None,
        model_name: str | None = None,
        options: CompressOptions | None = None,
        **kwargs: Unpack[CompressKwargs],
    ) -> None:
        super().__init__(compress_tool_results=True, compress_tool_results_limit=1)
        self._outputs = ToolOutputCompressor(store=store, model=model_name, options=agno_options(options, kwargs))
        # Ids of tool results looked at and left as they were (too small, or not smaller): without
        # this, each of them would trigger a compression pass (and Agno's events) before every call.
        self._done: dict[str, None] = {}
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any]) -> HeadroomCompressionManager:
        return self  # shared across Agno's per-run copies, like its store

    def _pending(self, messages: Sequence[Message]) -> list[int]:
        with self._lock:
            return [
                i
                for i, m in enumerate(messages)
                if m.role == "tool"
                and m.compressed_content is None
                and m.tool_name != RETRIEVE_TOOL_NAME  # retrieved originals are never compressed
                and m.id not in self._done
            ]

    def should_compress(
        self,
        messages: list[Message],
        tools: list[Any] | None = None,
        model: Model | None = None,
        response_format: dict[str, Any] | type[BaseModel] | None = None,
    ) -> bool:
        """True when a tool result has not been looked at yet (every result is, before the next call)."""
        return self.compress_tool_results and bool(self._pending(messages))

    async def ashould_compress(
        self,
        messages: list[Message],
        tools: list[Any] | None = None,
        model: Model | None = None,
        response_format: dict[str, Any] | type[BaseModel] | None = None,
    ) -> bool:
        """Same as `should_compress`."""
        return self.should_compress(messages, tools, model, response_format)

    def compress(self, messages: list[Message], run_metrics: RunMetrics | None = None) -> None:
        """Set ``compressed_content`` on every new tool result that Headroom can make smaller.

        Args:
            messages: the run's messages; only ``compressed_content`` of tool messages is set.
            run_metrics: the run's metrics, for ``additional_metrics``.
        """
        pending = self._pending(messages)
        queries = task_queries(messages)
        model = self.model.id if isinstance(self.model, Model) else ""
        for i in pending:
            message = messages[i]
            text, args = message.content, message.tool_args
            if not isinstance(text, str):
                self._remember(message.id)
                continue
            outcome = self._outputs.compress(
                text,
                tool_name=message.tool_name,
                tool_args=args if isinstance(args, Mapping) else None,
                query=queries[i],
                model=model,
            )
            record(run_metrics, **{SECONDS: outcome.seconds})
            if not outcome.compressed:
                self._remember(message.id)
                continue
            message.compressed_content = outcome.text
            saved = outcome.tokens_saved
            record(run_metrics, **{TOOL_RESULTS: 1, TOOL_RESULT_TOKENS_SAVED: saved, TOKENS_SAVED: saved})
            self._count_chars(len(str(message.content)), len(outcome.text))

    async def acompress(self, messages: list[Message], run_metrics: RunMetrics | None = None) -> None:
        """`compress` in a worker thread, so the event loop keeps running."""
        await asyncio.to_thread(self.compress, messages, run_metrics)

    def _remember(self, message_id: str) -> None:
        with self._lock:
            self._done[message_id] = None
            if len(self._done) > _REMEMBER:
                del self._done[next(iter(self._done))]

    def _count_chars(self, before: int, after: int) -> None:
        # Agno's own counters (characters), reported in its compression-completed events.
        with self._lock:
            for key, value in (("tool_results_compressed", 1), ("original_size", before), ("compressed_size", after)):
                self.stats[key] = self.stats.get(key, 0) + value
